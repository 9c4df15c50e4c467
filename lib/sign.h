/*
 * Signing and verifying commits the way git does (DESIGN.md, "Signing and
 * trust"). Signing honours git config: gpg.format (openpgp | ssh | x509),
 * user.signingKey, gpg.program, gpg.ssh.program, gpg.x509.program. Every
 * child process is started from an argv array, never through a shell.
 *
 * Verification has one code path for the CLI, the hooks and audits: the
 * signature must sit in the commit header (a "gpgsig" line in the message
 * body is not a signature); ssh signatures are checked with
 * `ssh-keygen -Y find-principals` and `-Y verify -n git` against an
 * allowed-signers text, gpg signatures in a throw-away GNUPGHOME holding only
 * the trusted keys, with exactly one GOODSIG / VALIDSIG, x509 signatures
 * likewise with gpgsm and the trusted certificates as its only roots. An
 * unknown key is not valid.
 */
#ifndef RLP_SIGN_H
#define RLP_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <git2.h>

enum rlp_sign_format { RLP_SIGN_OPENPGP, RLP_SIGN_SSH, RLP_SIGN_X509 };

struct rlp_sign_config {
	enum rlp_sign_format format;
	char *key;     /* user.signingKey; for ssh a key file path or "key::<literal>" */
	char *program; /* gpg / ssh-keygen / gpgsm, from config or the default */
};

/* Read the signing setup from the repository's git config. RLP_ENOTFOUND
 * when no signing key is configured (for openpgp, gpg's default key is used
 * when user.signingKey is absent but commit.gpgSign is true). */
int rlp_sign_config_load(struct rlp_sign_config *out, git_repository *repo);
void rlp_sign_config_clear(struct rlp_sign_config *cfg);

/* Sign `data` (a commit buffer from git_commit_create_buffer); *sig is the
 * armored signature without its trailing newline, ready for
 * git_commit_create_with_signature(..., "gpgsig"). */
int rlp_sign_buffer(char **sig, const struct rlp_sign_config *cfg, const char *data, size_t len);

/* Create a commit signed with cfg (or unsigned when cfg is NULL) and return
 * its id; no ref is touched. */
int rlp_sign_commit_create(git_oid *out, git_repository *repo, const struct rlp_sign_config *cfg,
			   const git_signature *author, const git_signature *committer,
			   const char *message, const git_tree *tree, size_t nparents,
			   const git_commit **parents);

/* What verification trusts: all texts come from the protected ref. */
struct rlp_trust {
	const char *allowed_signers; /* ssh allowed-signers file content, or NULL */
	size_t allowed_signers_len;
	const char *gpg_keys;        /* armored OpenPGP public keys, or NULL */
	size_t gpg_keys_len;
	/* PEM X.509 certificates, or NULL: the self-signed ones are gpgsm's
	 * only trusted roots, the others may complete a chain up to one */
	const char *x509_certs;
	size_t x509_certs_len;
};

struct rlp_verified {
	enum rlp_sign_format format;
	char principal[256]; /* ssh: the allowed-signers principal; gpg: the key's email;
			      * x509: the signing certificate's (first) email */
	char key_id[128];    /* ssh: key fingerprint; gpg: primary key fingerprint;
			      * x509: the certificate's SHA-1 fingerprint */
};

/* Split a raw commit object into the header signature and the signed
 * payload, accepting only a "gpgsig" (or "gpgsig-sha256") header before the
 * first blank line. RLP_ENOTFOUND when the header holds none.
 * *signature has the continuation spaces removed and every line ending in
 * '\n', as git hands it to gpg; *payload (NUL-terminated, *payload_len
 * bytes) is the object without the signature header, byte for byte.
 * RLP_EINVALID for more than one signature header or a NUL in it. */
int rlp_sign_extract(char **signature, char **payload, size_t *payload_len, const char *raw,
		     size_t raw_len);

/* Verify a commit's header signature against `trust`, as of time `at`
 * (ssh: -Overify-time, so a key's valid-before is honoured; allowed-signers
 * times are read as UTC; gpg: the signature's own time must not be in the
 * future beyond 5 minutes of `at`, and gpg itself judges key expiry and
 * revocation as of now). The helper programs come from the repository's
 * config (gpg.program, gpg.ssh.program), as for `git verify-commit`.
 * RLP_ENOTFOUND: unsigned ("unsigned commit <short>", or "commit <short>:
 * signature is not in the commit header" when one sits in the message);
 * RLP_EINVALID: bad or untrusted signature, with a one-line reason in
 * rlp_error_last(): "bad signature", "key is not in allowed signers",
 * "key expired or not yet valid at <time>", "signed by an unknown key
 * <fingerprint>", "certificate <fingerprint> is not trusted", ...; x509:
 * gpgsm, offline (no CRL or OCSP), with the trusted certificates as its
 * only roots; RLP_ERROR:
 * the commit or a helper program could not be read or run. On failure *out
 * is zeroed. */
int rlp_sign_verify_commit(struct rlp_verified *out, git_repository *repo, const git_oid *commit,
			   const struct rlp_trust *trust, time_t at);

#endif
