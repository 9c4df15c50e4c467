/*
 * The git-backed store (DESIGN.md, "Data in git"): few refs, trees that grow,
 * every operation moves exactly one ref with compare-and-swap. Objects are
 * written first and the ref last, so a crash leaves nothing half-written; a
 * lost race is retried from the new tip or reported, never overwritten.
 */
#ifndef RLP_STORE_H
#define RLP_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

#include "sign.h"

#define RLP_REF_PREFIX "refs/rlpromote/"
#define RLP_REF_ENVS RLP_REF_PREFIX "envs/"
#define RLP_REF_RUNS RLP_REF_PREFIX "runs/"
#define RLP_REF_STAGES RLP_REF_PREFIX "stages/"
#define RLP_NOTES_REF "refs/notes/rlpromote"

/* How many times a compare-and-swap that lost a race is retried. */
#define RLP_STORE_CAS_RETRIES 16

struct rlp_store {
	git_repository *repo;
	struct rlp_sign_config sign; /* valid when `signing` */
	bool signing;
	char *writer;                /* rlpromote.writer, else user.email, else "local" */
};

/* Open the repository at `path`, or discover it from the current directory
 * (honouring GIT_DIR and friends) when path is NULL. Loads the signing setup
 * and the writer name. */
int rlp_store_open(struct rlp_store **out, const char *path);
void rlp_store_free(struct rlp_store *store);

/* Build the next commit of a chain from its current tip. `tip` is NULL when
 * the ref does not exist yet. Return 0 with *out set to the new commit, 1
 * for "nothing to do" (the ref stays as it is, *out = tip), < 0 on error. */
typedef int (*rlp_store_build_fn)(git_oid *out, struct rlp_store *store, git_commit *tip,
				  void *payload);

/* Move `ref` to what `build` makes, with compare-and-swap against the tip it
 * was built from; on a lost race, rebuild from the new tip, up to
 * RLP_STORE_CAS_RETRIES times, then fail with RLP_ECONFLICT. *out (may be
 * NULL) receives the ref's final target. */
int rlp_store_advance(git_oid *out, struct rlp_store *store, const char *ref,
		      rlp_store_build_fn build, void *payload, const char *reflog);

/* Write a commit of `tree` with `parents`, signed when the store signs;
 * author and committer from git config (GIT_COMMITTER_* honoured). */
int rlp_store_commit(git_oid *out, struct rlp_store *store, const git_tree *tree,
		     const git_commit **parents, size_t nparents, const char *message);

/* Write a blob from memory. */
int rlp_store_blob(git_oid *out, struct rlp_store *store, const void *data, size_t len);

/* A tree edit list for rlp_store_tree_update (git_tree_create_updated). */
struct rlp_tree_edit {
	const char *path;  /* slash-separated, relative */
	git_oid blob;      /* ignored when remove */
	bool remove;
};
int rlp_store_tree_update(git_oid *out, struct rlp_store *store, const git_tree *base,
			  const struct rlp_tree_edit *edits, size_t nedits);

/* Read a file of a tree into memory (malloc'd, NUL-terminated), refusing
 * blobs larger than `max`. RLP_ENOTFOUND when absent. */
int rlp_store_read_path(char **data, size_t *len, struct rlp_store *store, const git_tree *tree,
			const char *path, size_t max);

/* The commit a ref points at; RLP_ENOTFOUND when the ref does not exist. */
int rlp_store_ref_commit(git_commit **out, struct rlp_store *store, const char *ref);

/* Convert the last libgit2 error into ours, prefixed with `what`. */
int rlp_git_error(int git_code, const char *what);

#endif
