/* What the git-backed subcommands share: the store, revisions, trust. */
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "cmd.h"
#include "error.h"

struct rlp_store *open_store(void)
{
	struct rlp_store *store = NULL;

	if (rlp_store_open(&store, NULL) < 0)
		die("%s", rlp_error_last());
	return store;
}

void resolve_commit(git_oid *out, struct rlp_store *store, const char *rev)
{
	git_object *obj = NULL, *peeled = NULL;

	if (git_revparse_single(&obj, store->repo, rev) < 0 ||
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0)
		die("not a commit: '%s'", rev);
	git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
	git_object_free(obj);
}

struct rlp_trusted *load_trusted(struct rlp_store *store, const char *rev)
{
	struct rlp_trusted *trusted = NULL;

	if (rlp_trusted_load(&trusted, store, rev) < 0)
		die("%s", rlp_error_last());
	return trusted;
}

const char *short_id(const git_oid *id)
{
	static _Thread_local char buf[4][13];
	static _Thread_local int next;
	char *s = buf[next++ % 4];
	git_oid_tostr(s, 13, id);
	return s;
}

/* The artifact descriptor the trusted policy names, if any. */
char *candidate_artifact(struct rlp_store *store, const git_oid *candidate)
{
	struct rlp_trusted *trusted = NULL;
	char *json = NULL;

	if (rlp_trusted_load(&trusted, store, NULL) < 0)
		return NULL; /* no policy yet: runs can still be recorded */
	if (trusted->policy->artifact) {
		int error = rlp_artifact_read(&json, store, candidate, trusted->policy->artifact);
		if (error < 0 && error != RLP_ENOTFOUND)
			die("%s", rlp_error_last());
	}
	rlp_trusted_free(trusted);
	return json;
}

