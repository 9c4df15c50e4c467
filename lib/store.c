/* Repository access, commits and compare-and-swap ref updates. */
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

int rlp_git_error(int git_code, const char *what)
{
	const git_error *e = git_error_last();

	if (git_code == GIT_ENOTFOUND)
		return rlp_error_set(RLP_ENOTFOUND, "%s: %s", what, e && e->message ? e->message : "not found");
	if (git_code == GIT_EMODIFIED || git_code == GIT_EEXISTS || git_code == GIT_ELOCKED)
		return rlp_error_set(RLP_ECONFLICT, "%s: %s", what,
				     e && e->message ? e->message : "changed concurrently");
	return rlp_error_set(RLP_ERROR, "%s: %s", what, e && e->message ? e->message : "git error");
}

static int once_init(void)
{
	static int initialized;
	if (!initialized) {
		if (git_libgit2_init() < 0)
			return rlp_git_error(-1, "cannot initialize libgit2");
		initialized = 1;
	}
	return 0;
}

static char *config_string(git_config *cfg, const char *name)
{
	git_buf buf = GIT_BUF_INIT;
	char *s = NULL;

	if (git_config_get_string_buf(&buf, cfg, name) == 0)
		s = strdup(buf.ptr);
	git_buf_dispose(&buf);
	return s;
}

/* A writer name is a ref component: keep [A-Za-z0-9._-], map the rest to '-'. */
static void sanitize_writer(char *w)
{
	for (char *p = w; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			*p = '-';
	if (w[0] == '.' || w[0] == '-')
		w[0] = '_';
}

int rlp_store_open(struct rlp_store **out, const char *path)
{
	struct rlp_store *s = NULL;
	git_config *cfg = NULL;
	int error;

	*out = NULL;
	if ((error = once_init()) < 0)
		return error;
	if (!(s = calloc(1, sizeof(*s))))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	if (path)
		error = git_repository_open(&s->repo, path);
	else
		error = git_repository_open_ext(&s->repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (error < 0) {
		error = rlp_git_error(error, path ? path : "not a git repository");
		goto done;
	}
	if ((error = git_repository_config_snapshot(&cfg, s->repo)) < 0) {
		error = rlp_git_error(error, "cannot read git config");
		goto done;
	}
	s->writer = config_string(cfg, "rlpromote.writer");
	if (!s->writer)
		s->writer = config_string(cfg, "user.email");
	if (!s->writer)
		s->writer = strdup("local");
	if (!s->writer) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	sanitize_writer(s->writer);
	error = rlp_sign_config_load(&s->sign, s->repo);
	if (error == 0)
		s->signing = true;
	else if (error == RLP_ENOTFOUND)
		error = 0;
	else
		goto done;
	*out = s;
	s = NULL;
done:
	git_config_free(cfg);
	rlp_store_free(s);
	return error;
}

void rlp_store_free(struct rlp_store *store)
{
	if (!store)
		return;
	if (store->signing)
		rlp_sign_config_clear(&store->sign);
	git_repository_free(store->repo);
	free(store->writer);
	free(store);
}

int rlp_store_commit(git_oid *out, struct rlp_store *store, const git_tree *tree,
		     const git_commit **parents, size_t nparents, const char *message)
{
	git_signature *author = NULL, *committer = NULL;
	int error;

	if ((error = git_signature_default(&author, store->repo)) < 0) {
		error = rlp_git_error(error, "cannot tell who you are (set user.name and user.email)");
		goto done;
	}
	/* git's environment overrides, so tests and CI pin dates as with git */
	const char *name = getenv("GIT_COMMITTER_NAME"), *email = getenv("GIT_COMMITTER_EMAIL");
	if (name || email) {
		error = git_signature_now(&committer, name ? name : author->name,
					  email ? email : author->email);
		if (error < 0) {
			error = rlp_git_error(error, "bad committer identity");
			goto done;
		}
	} else if ((error = git_signature_dup(&committer, author)) < 0) {
		error = rlp_git_error(error, "out of memory");
		goto done;
	}
	error = rlp_sign_commit_create(out, store->repo, store->signing ? &store->sign : NULL,
				       author, committer, message, tree, nparents, parents);
done:
	git_signature_free(author);
	git_signature_free(committer);
	return error;
}

int rlp_store_blob(git_oid *out, struct rlp_store *store, const void *data, size_t len)
{
	int error = git_blob_create_from_buffer(out, store->repo, data, len);
	return error < 0 ? rlp_git_error(error, "cannot write blob") : 0;
}

int rlp_store_tree_update(git_oid *out, struct rlp_store *store, const git_tree *base,
			  const struct rlp_tree_edit *edits, size_t nedits)
{
	git_tree_update *updates = calloc(nedits ? nedits : 1, sizeof(*updates));
	git_treebuilder *empty = NULL;
	git_tree *empty_tree = NULL;
	int error = 0;

	if (!updates)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < nedits; i++) {
		updates[i].action = edits[i].remove ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		updates[i].path = edits[i].path;
		updates[i].id = edits[i].blob;
		updates[i].filemode = GIT_FILEMODE_BLOB;
	}
	if (!base) {
		/* git_tree_create_updated needs a base tree: start from the empty one */
		git_oid empty_id;
		if ((error = git_treebuilder_new(&empty, store->repo, NULL)) < 0 ||
		    (error = git_treebuilder_write(&empty_id, empty)) < 0 ||
		    (error = git_tree_lookup(&empty_tree, store->repo, &empty_id)) < 0) {
			error = rlp_git_error(error, "cannot write tree");
			goto done;
		}
		base = empty_tree;
	}
	if ((error = git_tree_create_updated(out, store->repo, (git_tree *)base, nedits, updates)) < 0)
		error = rlp_git_error(error, "cannot write tree");
done:
	git_treebuilder_free(empty);
	git_tree_free(empty_tree);
	free(updates);
	return error;
}

int rlp_store_read_path(char **data, size_t *len, struct rlp_store *store, const git_tree *tree,
			const char *path, size_t max)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int error;

	*data = NULL;
	if (len)
		*len = 0;
	if ((error = git_tree_entry_bypath(&entry, tree, path)) < 0) {
		error = error == GIT_ENOTFOUND ? rlp_error_set(RLP_ENOTFOUND, "'%s' not found", path)
					       : rlp_git_error(error, path);
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		error = rlp_error_set(RLP_EINVALID, "'%s' is not a file", path);
		goto done;
	}
	if ((error = git_blob_lookup(&blob, store->repo, git_tree_entry_id(entry))) < 0) {
		error = rlp_git_error(error, path);
		goto done;
	}
	size_t size = (size_t)git_blob_rawsize(blob);
	if (size > max) {
		error = rlp_error_set(RLP_EINVALID, "'%s' is larger than %zu bytes", path, max);
		goto done;
	}
	if (!(*data = malloc(size + 1))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(*data, git_blob_rawcontent(blob), size);
	(*data)[size] = '\0';
	if (len)
		*len = size;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	return error;
}

int rlp_store_ref_commit(git_commit **out, struct rlp_store *store, const char *ref)
{
	git_oid id;
	int error;

	*out = NULL;
	if ((error = git_reference_name_to_id(&id, store->repo, ref)) < 0)
		return error == GIT_ENOTFOUND ? rlp_error_set(RLP_ENOTFOUND, "no ref '%s'", ref)
					      : rlp_git_error(error, ref);
	if ((error = git_commit_lookup(out, store->repo, &id)) < 0)
		return rlp_git_error(error, ref);
	return 0;
}

/* Short randomized pause before retrying a lost race, so racing writers
 * spread out instead of colliding again. */
static void backoff(int attempt)
{
	struct timespec ts = {0, (long)((1 + rand() % 4) * (1L << (attempt < 6 ? attempt : 6)) * 1000000L)};
	nanosleep(&ts, NULL);
}

int rlp_store_advance(git_oid *out, struct rlp_store *store, const char *ref,
		      rlp_store_build_fn build, void *payload, const char *reflog)
{
	int error = 0;

	for (int attempt = 0; attempt <= RLP_STORE_CAS_RETRIES; attempt++) {
		git_commit *tip = NULL;
		git_reference *moved = NULL;
		git_oid next, tip_id;

		error = rlp_store_ref_commit(&tip, store, ref);
		if (error < 0 && error != RLP_ENOTFOUND)
			return error;
		if (tip)
			git_oid_cpy(&tip_id, git_commit_id(tip));
		error = build(&next, store, tip, payload);
		git_commit_free(tip);
		if (error < 0)
			return error;
		if (error == 1) {
			if (out)
				git_oid_cpy(out, &tip_id);
			return 0;
		}
		if (tip)
			error = git_reference_create_matching(&moved, store->repo, ref, &next, 1,
							      &tip_id, reflog);
		else
			error = git_reference_create(&moved, store->repo, ref, &next, 0, reflog);
		git_reference_free(moved);
		if (error == 0) {
			if (out)
				git_oid_cpy(out, &next);
			return 0;
		}
		if (error != GIT_EMODIFIED && error != GIT_EEXISTS && error != GIT_ELOCKED)
			return rlp_git_error(error, ref);
		backoff(attempt);
	}
	return rlp_error_set(RLP_ECONFLICT,
			     "'%s' kept changing under us (%d attempts): fetch and try again", ref,
			     RLP_STORE_CAS_RETRIES + 1);
}
