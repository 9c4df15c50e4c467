/*
 * Frozen environment versions in git (DESIGN.md, "Data in git"): a chain of
 * commits on refs/rlpromote/envs/<name>, each with the tree
 *
 *   env.yaml             the normalized spec (envspec.h)
 *   files/<path>         every file the spec names, byte for byte
 *
 * A version is identified by its tree: freezing identical content again
 * moves nothing. Versions are numbered 1, 2, ... along the first-parent
 * chain and addressed as <name> (the latest), <name>@<n>, or a commit id.
 */
#ifndef RLP_ENV_H
#define RLP_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "envspec.h"
#include "store.h"

struct rlp_progress;

#define RLP_ENV_MAX_FILES 100000
#define RLP_ENV_SPEC_FILE "env.yaml"
#define RLP_ENV_FILES_DIR "files"

/* A file of an environment: on disk (collect) or in a version (files). */
struct rlp_env_file {
	char *path;      /* relative: to the spec's directory, or to the version's root */
	uint64_t size;
	bool executable;
	git_oid blob;    /* set once written or read from a tree */
};

/* Every regular file the spec's paths name below `basedir` (directories
 * walked recursively), sorted by path, each once. Refuses, with the spec's
 * location: missing paths, symbolic links anywhere on the way (lstat),
 * anything but regular files and directories, empty directories (git cannot
 * store them), a filesystem that is not a directory, more than
 * RLP_ENV_MAX_FILES files. */
int rlp_env_collect(struct rlp_env_file **out, size_t *n, const struct rlp_envspec *spec,
		    const char *basedir);
void rlp_env_files_free(struct rlp_env_file *files, size_t n);

/* Bytes frozen so far of all the files, for a progress reporter. */
struct rlp_env_progress {
	const struct rlp_progress *report; /* may be NULL */
	uint64_t done, total;
};

/* Stream the file at `path` (relative to the directory open as `dirfd`;
 * symbolic links refused on the way) into a blob, never holding it in
 * memory. It must still be a regular file of `size` bytes. Each chunk
 * written adds to progress->done and is reported (progress may be NULL). */
int rlp_env_blob_from_file(git_oid *out, struct rlp_store *store, int dirfd, const char *path,
			   uint64_t size, struct rlp_env_progress *progress);

/* Freeze the spec at `spec_path` as the next version of its environment.
 * *created is false when the latest version already has identical content
 * (*out_commit is then that version). */
int rlp_env_freeze(struct rlp_store *store, const char *spec_path, git_oid *out_commit,
		   bool *created);
/* The same, reporting the bytes of the files frozen so far. */
int rlp_env_freeze_progress(struct rlp_store *store, const char *spec_path, git_oid *out_commit,
			    bool *created, const struct rlp_progress *progress);

/* <name>, <name>@<n> or a commit id (at least 4 hex digits) to a version. */
int rlp_env_resolve(git_oid *out, struct rlp_store *store, const char *spec);
/* The same; *by_name tells whether `spec` named an environment's ref
 * (<name>[@<n>]) rather than a commit. */
int rlp_env_resolve_ext(git_oid *out, bool *by_name, struct rlp_store *store, const char *spec);

/* The versions from the first up to `commit` (its first-parent chain,
 * oldest first); the version number of `commit` is *n. */
int rlp_env_chain(git_oid **out, size_t *n, struct rlp_store *store, const git_oid *commit);

/* The spec of a version, parsed from its env.yaml (named "<name>@<n>:env.yaml"
 * in messages when `label` is given); *yaml (may be NULL) gets the text. */
int rlp_env_load(struct rlp_envspec **out, char **yaml, struct rlp_store *store,
		 const git_oid *commit, const char *label);

/* Every file of a version's tree (env.yaml, files/...), sorted by path. */
int rlp_env_files(struct rlp_env_file **out, size_t *n, struct rlp_store *store,
		  const git_oid *commit);

/* Structural check of one version: env.yaml parses and is normalized, names
 * environment `name` (when not NULL), every path it names is under files/
 * and nothing else is, entries are plain files and directories, and the
 * version has the parents a version has (none for the first, else one).
 * RLP_EINVALID with the first problem. */
int rlp_env_check(struct rlp_store *store, const git_oid *commit, const char *name);

/* Write env.yaml and files/ of a version into `dir`, which must exist and be
 * empty; exact bytes, executable bits kept. */
int rlp_env_materialize(struct rlp_store *store, const git_oid *env_commit, const char *dir);

struct rlp_env_info {
	char *name;
	size_t versions;
	git_oid latest;
	char time[21]; /* the latest version's frozen clock; "" when unreadable */
};

/* Every environment under refs/rlpromote/envs/, sorted by name. */
int rlp_env_list(struct rlp_env_info **out, size_t *n, struct rlp_store *store);
void rlp_env_info_free(struct rlp_env_info *info, size_t n);

#endif
