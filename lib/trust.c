/* Trust material from a protected revision. */
#include "trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define TRUST_FILE_MAX (1u << 20)

const char *rlp_role_name(enum rlp_role role)
{
	static const char *const names[] = {"eval", "promote", "override"};
	return (unsigned)role < 3 ? names[role] : "?";
}

static int read_optional(char **data, size_t *len, struct rlp_store *store, const git_tree *tree,
			 const char *path)
{
	int error = rlp_store_read_path(data, len, store, tree, path, TRUST_FILE_MAX);
	return error == RLP_ENOTFOUND ? 0 : error;
}

int rlp_trusted_load(struct rlp_trusted **out, struct rlp_store *store, const char *rev)
{
	struct rlp_trusted *t = NULL;
	git_object *obj = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_config *cfg = NULL;
	git_buf configured = GIT_BUF_INIT;
	char *policy_text = NULL, name[512];
	size_t policy_len = 0;
	int error;

	*out = NULL;
	if (!rev) {
		if (git_repository_config_snapshot(&cfg, store->repo) == 0 &&
		    git_config_get_string_buf(&configured, cfg, "rlpromote.trustedRef") == 0)
			rev = configured.ptr;
		else
			rev = "HEAD";
	}
	if (!(t = calloc(1, sizeof(*t))) || !(t->rev = strdup(rev))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = git_revparse_single(&obj, store->repo, rev)) < 0 ||
	    (error = git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT)) < 0 ||
	    (error = git_commit_tree(&tree, commit)) < 0) {
		error = rlp_git_error(error, rev);
		goto done;
	}
	git_oid_cpy(&t->commit, git_commit_id(commit));
	error = rlp_store_read_path(&policy_text, &policy_len, store, tree, RLP_POLICY_PATH,
				    TRUST_FILE_MAX);
	if (error < 0) {
		rlp_error_wrap(error, "trusted policy at '%s'", rev);
		goto done;
	}
	snprintf(name, sizeof(name), "%s:%s", rev, RLP_POLICY_PATH);
	if ((error = rlp_policy_parse(&t->policy, policy_text, policy_len, name)) < 0)
		goto done;
	const char *signers_path =
		t->policy->allowed_signers ? t->policy->allowed_signers : RLP_ALLOWED_SIGNERS_PATH;
	if ((error = read_optional(&t->allowed_signers, &t->allowed_signers_len, store, tree,
				   signers_path)) < 0 ||
	    (error = read_optional(&t->gpg_keys, &t->gpg_keys_len, store, tree,
				   RLP_GPG_KEYS_PATH)) < 0 ||
	    (error = read_optional(&t->x509_certs, &t->x509_certs_len, store, tree,
				   RLP_X509_CERTS_PATH)) < 0)
		goto done;
	t->trust.allowed_signers = t->allowed_signers;
	t->trust.allowed_signers_len = t->allowed_signers_len;
	t->trust.gpg_keys = t->gpg_keys;
	t->trust.gpg_keys_len = t->gpg_keys_len;
	t->trust.x509_certs = t->x509_certs;
	t->trust.x509_certs_len = t->x509_certs_len;
	*out = t;
	t = NULL;
done:
	free(policy_text);
	git_buf_dispose(&configured);
	git_config_free(cfg);
	git_tree_free(tree);
	git_commit_free(commit);
	git_object_free(obj);
	rlp_trusted_free(t);
	return error;
}

void rlp_trusted_free(struct rlp_trusted *t)
{
	if (!t)
		return;
	rlp_policy_free(t->policy);
	free(t->allowed_signers);
	free(t->gpg_keys);
	free(t->x509_certs);
	free(t->rev);
	free(t);
}

bool rlp_trusted_has_role(const struct rlp_trusted *t, enum rlp_role role, const char *principal)
{
	const struct rlp_signers *s = &t->policy->signers;
	char *const *list = role == RLP_ROLE_EVAL ? s->eval : role == RLP_ROLE_PROMOTE ? s->promote
										   : s->override;
	size_t n = role == RLP_ROLE_EVAL ? s->neval : role == RLP_ROLE_PROMOTE ? s->npromote
									     : s->noverride;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], principal))
			return true;
	return false;
}
