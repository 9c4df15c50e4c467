/*
 * What verification trusts, read from a protected revision (DESIGN.md:
 * "never from the pushed objects"): the policy, the ssh allowed-signers file
 * and the OpenPGP public keys, as committed at that revision.
 *
 *   .rlpromote/policy.yaml        the policy (roles: signers.eval/promote/override)
 *   .rlpromote/allowed_signers    ssh allowed signers (or the policy's allowed_signers path)
 *   .rlpromote/keys.asc           armored OpenPGP public keys (optional)
 *   .rlpromote/certs.pem          PEM X.509 root certificates for gpgsm (optional)
 */
#ifndef RLP_TRUST_H
#define RLP_TRUST_H

#include <stdbool.h>

#include "policy.h"
#include "sign.h"
#include "store.h"

#define RLP_POLICY_PATH ".rlpromote/policy.yaml"
#define RLP_ALLOWED_SIGNERS_PATH ".rlpromote/allowed_signers"
#define RLP_GPG_KEYS_PATH ".rlpromote/keys.asc"
#define RLP_X509_CERTS_PATH ".rlpromote/certs.pem"

enum rlp_role { RLP_ROLE_EVAL, RLP_ROLE_PROMOTE, RLP_ROLE_OVERRIDE };

struct rlp_trusted {
	struct rlp_policy *policy;
	char *allowed_signers;
	size_t allowed_signers_len;
	char *gpg_keys;
	size_t gpg_keys_len;
	char *x509_certs;
	size_t x509_certs_len;
	struct rlp_trust trust; /* views into the texts above, for rlp_sign_verify_commit */
	git_oid commit;         /* the revision they were read from */
	char *rev;              /* as named */
};

/* Load from `rev`; NULL means git config rlpromote.trustedRef, else HEAD. */
int rlp_trusted_load(struct rlp_trusted **out, struct rlp_store *store, const char *rev);
void rlp_trusted_free(struct rlp_trusted *trusted);

/* Does the policy give `principal` (an email) the role? */
bool rlp_trusted_has_role(const struct rlp_trusted *trusted, enum rlp_role role,
			  const char *principal);
const char *rlp_role_name(enum rlp_role role);

#endif
