/*
 * Frozen environment versions as commits on refs/rlpromote/envs/<name>:
 * freezing (objects first, the ref last with compare-and-swap), resolving
 * <name>[@<n>] and commit ids, reading a version back and checking its
 * structure. The file-system side is in env_fs.c.
 */
#include "env.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"

#define MAX_CHAIN 1000000

static int nomem(void)
{
	return rlp_error_set(RLP_ENOMEM, "out of memory");
}

static int commit_tree(git_tree **tree, struct rlp_store *store, const git_oid *commit)
{
	git_commit *c = NULL;
	int err;

	*tree = NULL;
	if ((err = git_commit_lookup(&c, store->repo, commit)) < 0 ||
	    (err = git_commit_tree(tree, c)) < 0)
		err = rlp_git_error(err, "cannot read environment version");
	git_commit_free(c);
	return err;
}

struct lister {
	struct rlp_env_file *files;
	size_t n, cap;
	git_odb *odb;
	int err;
};

/* A tree entry name that is safe to write out as a path component. */
static bool safe_name(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") && strcasecmp(name, ".git") &&
	       !strchr(name, '/') && !strchr(name, '\\');
}

static int list_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct lister *l = payload;
	const char *name = git_tree_entry_name(entry);
	git_filemode_t mode = git_tree_entry_filemode(entry);
	git_object_t type;
	size_t size;
	char *path;

	if (!safe_name(name)) {
		l->err = rlp_error_set(RLP_EINVALID, "unsafe entry name '%s%s' in the version's tree",
				       root, name);
		return -1;
	}
	if (mode == GIT_FILEMODE_TREE)
		return 0;
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) {
		l->err = rlp_error_set(RLP_EINVALID, "'%s%s' is a %s, not a file", root, name,
				       mode == GIT_FILEMODE_LINK ? "symbolic link" : "submodule");
		return -1;
	}
	if (l->n > RLP_ENV_MAX_FILES) { /* env.yaml and the files */
		l->err = rlp_error_set(RLP_EINVALID, "the version has more than %d files",
				       RLP_ENV_MAX_FILES);
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct rlp_env_file *grown = realloc(l->files, cap * sizeof(*grown));
		if (!grown) {
			l->err = nomem();
			return -1;
		}
		l->files = grown;
		l->cap = cap;
	}
	size_t rlen = strlen(root), nlen = strlen(name);
	if (!(path = malloc(rlen + nlen + 1))) {
		l->err = nomem();
		return -1;
	}
	memcpy(path, root, rlen);
	memcpy(path + rlen, name, nlen + 1);
	l->files[l->n] = (struct rlp_env_file){.path = path,
					       .executable = mode == GIT_FILEMODE_BLOB_EXECUTABLE};
	git_oid_cpy(&l->files[l->n].blob, git_tree_entry_id(entry));
	l->n++;
	if (git_odb_read_header(&size, &type, l->odb, git_tree_entry_id(entry)) < 0 ||
	    type != GIT_OBJECT_BLOB) {
		l->err = rlp_error_set(RLP_EINVALID, "cannot read blob '%s'", path);
		return -1;
	}
	l->files[l->n - 1].size = size;
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rlp_env_file *)a)->path, ((const struct rlp_env_file *)b)->path);
}

int rlp_env_files(struct rlp_env_file **out, size_t *n, struct rlp_store *store,
		  const git_oid *commit)
{
	struct lister l = {0};
	git_tree *tree = NULL;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = commit_tree(&tree, store, commit)) < 0)
		return err;
	if ((err = git_repository_odb(&l.odb, store->repo)) < 0)
		err = rlp_git_error(err, "cannot open the object database");
	else if ((err = git_tree_walk(tree, GIT_TREEWALK_PRE, list_entry, &l)) != 0)
		err = l.err ? l.err : rlp_git_error(err, "cannot read the version's tree");
	git_odb_free(l.odb);
	git_tree_free(tree);
	if (err < 0) {
		rlp_env_files_free(l.files, l.n);
		return err;
	}
	qsort(l.files, l.n, sizeof(*l.files), file_cmp);
	*out = l.files;
	*n = l.n;
	return 0;
}

int rlp_env_chain(git_oid **out, size_t *n, struct rlp_store *store, const git_oid *commit)
{
	git_oid *ids = NULL, id = *commit;
	size_t count = 0, cap = 0;
	int err = 0;

	*out = NULL;
	*n = 0;
	for (;;) {
		git_commit *c = NULL;
		if (count == cap) {
			git_oid *grown = realloc(ids, (cap = cap ? 2 * cap : 16) * sizeof(*grown));
			if (!grown) {
				err = nomem();
				break;
			}
			ids = grown;
		}
		if (count >= MAX_CHAIN) {
			err = rlp_error_set(RLP_EINVALID, "more than %d versions", MAX_CHAIN);
			break;
		}
		ids[count++] = id;
		if ((err = git_commit_lookup(&c, store->repo, &id)) < 0) {
			err = rlp_git_error(err, "cannot read environment version");
			break;
		}
		bool root = git_commit_parentcount(c) == 0;
		if (!root)
			id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		if (root)
			break;
	}
	if (err < 0) {
		free(ids);
		return err;
	}
	for (size_t i = 0; i < count / 2; i++) { /* oldest first */
		git_oid t = ids[i];
		ids[i] = ids[count - 1 - i];
		ids[count - 1 - i] = t;
	}
	*out = ids;
	*n = count;
	return 0;
}

static int env_ref(char *ref, size_t size, const char *name)
{
	if (!rlp_env_name_valid(name))
		return rlp_error_set(RLP_EINVALID, "'%s' is not a valid environment name", name);
	snprintf(ref, size, "%s%s", RLP_REF_ENVS, name);
	return 0;
}

static bool is_hex(const char *s, size_t min, size_t max)
{
	size_t len = strlen(s);

	if (len < min || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int rlp_env_resolve(git_oid *out, struct rlp_store *store, const char *spec)
{
	bool by_name;
	return rlp_env_resolve_ext(out, &by_name, store, spec);
}

int rlp_env_resolve_ext(git_oid *out, bool *by_name, struct rlp_store *store, const char *spec)
{
	char name[RLP_ENV_NAME_MAX + 1], ref[sizeof(RLP_REF_ENVS) + RLP_ENV_NAME_MAX + 1];
	const char *at = strrchr(spec, '@');
	git_oid *chain = NULL;
	git_object *obj = NULL;
	size_t n = 0, len = at ? (size_t)(at - spec) : strlen(spec);
	unsigned long want = 0;
	int err;

	*by_name = false;
	if (len > RLP_ENV_NAME_MAX)
		return rlp_error_set(RLP_EINVALID, "'%s' is not a valid environment name", spec);
	memcpy(name, spec, len);
	name[len] = '\0';
	if (at) {
		char *end;
		errno = 0;
		want = strtoul(at + 1, &end, 10);
		if (!isdigit((unsigned char)at[1]) || *end || errno || want == 0)
			return rlp_error_set(RLP_EINVALID, "'%s': expected <name>@<version>, a version "
					     "number from 1", spec);
	}
	if (rlp_env_name_valid(name)) {
		env_ref(ref, sizeof(ref), name);
		err = git_reference_name_to_id(out, store->repo, ref);
		*by_name = err == 0;
		if (err == 0 && !at)
			return 0;
		if (err == 0) {
			if ((err = rlp_env_chain(&chain, &n, store, out)) < 0)
				return err;
			if (want <= n)
				*out = chain[want - 1];
			free(chain);
			return want <= n ? 0 : rlp_error_set(RLP_ENOTFOUND, "environment '%s' has %zu "
							       "version%s: no version %lu", name, n,
							       n == 1 ? "" : "s", want);
		}
		if (err != GIT_ENOTFOUND)
			return rlp_git_error(err, ref);
	}
	if (!at && is_hex(spec, 4, GIT_OID_HEXSZ)) {
		git_oid prefix;
		if ((err = git_oid_fromstrn(&prefix, spec, len)) == 0 &&
		    (err = git_object_lookup_prefix(&obj, store->repo, &prefix, len,
						    GIT_OBJECT_COMMIT)) == 0) {
			git_oid_cpy(out, git_object_id(obj));
			git_object_free(obj);
			return 0;
		}
		if (err != GIT_ENOTFOUND)
			return rlp_git_error(err, spec);
	}
	return rlp_error_set(RLP_ENOTFOUND, "no environment '%s'", at ? name : spec);
}

int rlp_env_load(struct rlp_envspec **out, char **yaml, struct rlp_store *store,
		 const git_oid *commit, const char *label)
{
	git_tree *tree = NULL;
	char *text = NULL, name[256];
	size_t len = 0;
	int err;

	*out = NULL;
	if (yaml)
		*yaml = NULL;
	snprintf(name, sizeof(name), "%s%s" RLP_ENV_SPEC_FILE, label ? label : "", label ? ":" : "");
	if ((err = commit_tree(&tree, store, commit)) < 0)
		return err;
	err = rlp_store_read_path(&text, &len, store, tree, RLP_ENV_SPEC_FILE, RLP_ENVSPEC_MAX_BYTES);
	git_tree_free(tree);
	if (err < 0)
		return rlp_error_wrap(err, "%s", label ? label : "environment version");
	if ((err = rlp_envspec_parse(out, text, len, name)) == 0 && yaml)
		*yaml = text;
	else
		free(text);
	return err;
}

/* Is `file` (a path below files/) `path` or inside it? */
static bool covers(const char *path, const char *file)
{
	size_t len = strlen(path);
	return !strncmp(file, path, len) && (file[len] == '\0' || file[len] == '/');
}

int rlp_env_check(struct rlp_store *store, const git_oid *commit, const char *name)
{
	static const char prefix[] = RLP_ENV_FILES_DIR "/";
	struct rlp_envspec *spec = NULL;
	struct rlp_env_file *files = NULL;
	git_commit *c = NULL;
	char *yaml = NULL, *norm = NULL;
	size_t n = 0, norm_len = 0;
	int err;

	if ((err = git_commit_lookup(&c, store->repo, commit)) < 0)
		return rlp_git_error(err, "cannot read environment version");
	if (git_commit_parentcount(c) > 1) {
		err = rlp_error_set(RLP_EINVALID, "a version has at most one parent (the previous "
				    "version); this one has %u", git_commit_parentcount(c));
		goto done;
	}
	if ((err = rlp_env_files(&files, &n, store, commit)) < 0)
		goto done;
	if ((err = rlp_env_load(&spec, &yaml, store, commit, NULL)) == RLP_ENOTFOUND)
		err = rlp_error_set(RLP_EINVALID, "no " RLP_ENV_SPEC_FILE " in the version's tree");
	if (err < 0 || (err = rlp_envspec_normalize(&norm, &norm_len, spec)) < 0)
		goto done;
	if (norm_len != strlen(yaml) || memcmp(norm, yaml, norm_len)) {
		err = rlp_error_set(RLP_EINVALID, RLP_ENV_SPEC_FILE " is not in normalized form");
		goto done;
	}
	if (name && strcmp(spec->name, name)) {
		err = rlp_error_set(RLP_EINVALID, RLP_ENV_SPEC_FILE " names environment '%s', not '%s'",
				    spec->name, name);
		goto done;
	}
	for (size_t i = 0; i < n && !err; i++) {
		const char *f = files[i].path;
		bool named = false;
		if (!strcmp(f, RLP_ENV_SPEC_FILE))
			continue;
		if (strncmp(f, prefix, sizeof(prefix) - 1)) {
			err = rlp_error_set(RLP_EINVALID, "'%s' is outside " RLP_ENV_FILES_DIR "/", f);
			break;
		}
		for (size_t k = 0; k < spec->npaths && !named; k++)
			named = covers(spec->paths[k].path, f + sizeof(prefix) - 1);
		if (!named)
			err = rlp_error_set(RLP_EINVALID, "'%s' is not named by " RLP_ENV_SPEC_FILE, f);
	}
	for (size_t k = 0; k < spec->npaths && !err; k++) {
		const struct rlp_env_path *p = &spec->paths[k];
		bool found = false, dir = false;
		for (size_t i = 0; i < n && !found; i++) {
			const char *f = files[i].path;
			if (!strncmp(f, prefix, sizeof(prefix) - 1) && covers(p->path, f + sizeof(prefix) - 1)) {
				found = true;
				dir = strlen(f + sizeof(prefix) - 1) > strlen(p->path);
			}
		}
		if (!found)
			err = rlp_error_set(RLP_EINVALID, "%s: '" RLP_ENV_FILES_DIR "/%s' is missing",
					    p->what, p->path);
		else if (p->type == RLP_ENV_PATH_DIR && !dir)
			err = rlp_error_set(RLP_EINVALID, "%s: '" RLP_ENV_FILES_DIR "/%s' is not a "
					    "directory", p->what, p->path);
	}
done:
	git_commit_free(c);
	rlp_env_files_free(files, n);
	rlp_envspec_free(spec);
	free(yaml);
	free(norm);
	return err;
}

struct freeze {
	const struct rlp_envspec *spec;
	git_oid tree;
	size_t nfiles;
	bool created;
};

static int build_version(git_oid *out, struct rlp_store *store, git_commit *tip, void *payload)
{
	struct freeze *f = payload;
	struct rlp_buf msg = RLP_BUF_INIT;
	git_oid *chain = NULL;
	git_tree *tree = NULL;
	size_t n = 0;
	char *text = NULL;
	int err;

	f->created = false;
	if (tip && git_oid_equal(git_commit_tree_id(tip), &f->tree))
		return 1; /* identical content freezes to the same version */
	if (tip && (err = rlp_env_chain(&chain, &n, store, git_commit_id(tip))) < 0)
		return err;
	free(chain);
	rlp_buf_printf(&msg, "env %s: freeze version %zu\n\n", f->spec->name, n + 1);
	rlp_buf_printf(&msg, "seed %" PRIu64 ", time %s (%" PRId64 "), temperature %g%s\n",
		       f->spec->seed, f->spec->time, f->spec->time_epoch,
		       f->spec->decoding.temperature,
		       f->spec->decoding.allow_sampling ? " (sampling allowed)" : "");
	rlp_buf_printf(&msg, "%zu file%s\n", f->nfiles, f->nfiles == 1 ? "" : "s");
	if ((err = rlp_buf_detach(&text, &msg)) < 0)
		goto done;
	if ((err = git_tree_lookup(&tree, store->repo, &f->tree)) < 0) {
		err = rlp_git_error(err, "cannot read the new tree");
		goto done;
	}
	err = rlp_store_commit(out, store, tree, (const git_commit **)&tip, tip ? 1 : 0, text);
	f->created = err == 0;
done:
	rlp_buf_free(&msg);
	git_tree_free(tree);
	free(text);
	return err;
}

/* env.yaml and files/<path> for every collected file; blobs written first. */
static int write_tree(git_oid *out, struct rlp_store *store, const char *yaml, size_t yaml_len,
		      struct rlp_env_file *files, size_t n, const char *basedir,
		      const struct rlp_progress *report)
{
	struct rlp_env_progress progress = {report, 0, 0};
	git_tree_update *updates = calloc(n + 1, sizeof(*updates));
	git_treebuilder *empty = NULL;
	git_tree *base = NULL;
	char **paths = calloc(n + 1, sizeof(*paths));
	git_oid empty_id;
	int err = 0, basefd = -1;

	if (!updates || !paths) {
		err = nomem();
		goto done;
	}
	if ((basefd = open(basedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err = rlp_error_set(RLP_EIO, "cannot open '%s': %s", basedir, strerror(errno));
		goto done;
	}
	updates[0] = (git_tree_update){.action = GIT_TREE_UPDATE_UPSERT,
				       .filemode = GIT_FILEMODE_BLOB, .path = RLP_ENV_SPEC_FILE};
	if ((err = rlp_store_blob(&updates[0].id, store, yaml, yaml_len)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		progress.total += files[i].size;
	for (size_t i = 0; i < n; i++) {
		if ((err = rlp_env_blob_from_file(&files[i].blob, store, basefd, files[i].path,
						  files[i].size, &progress)) < 0)
			goto done;
		if (!(paths[i] = malloc(sizeof(RLP_ENV_FILES_DIR "/") + strlen(files[i].path)))) {
			err = nomem();
			goto done;
		}
		snprintf(paths[i], sizeof(RLP_ENV_FILES_DIR "/") + strlen(files[i].path), "%s/%s",
			 RLP_ENV_FILES_DIR, files[i].path);
		updates[i + 1] = (git_tree_update){
			.action = GIT_TREE_UPDATE_UPSERT, .id = files[i].blob, .path = paths[i],
			.filemode = files[i].executable ? GIT_FILEMODE_BLOB_EXECUTABLE
							: GIT_FILEMODE_BLOB};
	}
	if ((err = git_treebuilder_new(&empty, store->repo, NULL)) < 0 ||
	    (err = git_treebuilder_write(&empty_id, empty)) < 0 ||
	    (err = git_tree_lookup(&base, store->repo, &empty_id)) < 0 ||
	    (err = git_tree_create_updated(out, store->repo, base, n + 1, updates)) < 0)
		err = rlp_git_error(err, "cannot write tree");
done:
	if (basefd >= 0)
		close(basefd);
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	free(updates);
	git_treebuilder_free(empty);
	git_tree_free(base);
	return err;
}

int rlp_env_freeze(struct rlp_store *store, const char *spec_path, git_oid *out_commit,
		   bool *created)
{
	return rlp_env_freeze_progress(store, spec_path, out_commit, created, NULL);
}

int rlp_env_freeze_progress(struct rlp_store *store, const char *spec_path, git_oid *out_commit,
			    bool *created, const struct rlp_progress *progress)
{
	struct rlp_envspec *spec = NULL;
	struct rlp_env_file *files = NULL;
	struct freeze f = {0};
	char *yaml = NULL, *basedir = NULL, *slash, ref[sizeof(RLP_REF_ENVS) + RLP_ENV_NAME_MAX + 1],
	     reflog[RLP_ENV_NAME_MAX + 32];
	size_t n = 0, yaml_len = 0;
	int err;

	*created = false;
	if ((err = rlp_envspec_load(&spec, spec_path)) < 0 ||
	    (err = rlp_envspec_normalize(&yaml, &yaml_len, spec)) < 0)
		goto done;
	if (!(basedir = strdup(spec_path))) {
		err = nomem();
		goto done;
	}
	if ((slash = strrchr(basedir, '/')))
		slash[slash == basedir] = '\0'; /* "/spec.yaml" keeps its "/" */
	if ((err = rlp_env_collect(&files, &n, spec, slash ? basedir : ".")) < 0 ||
	    (err = write_tree(&f.tree, store, yaml, yaml_len, files, n, slash ? basedir : ".",
			      progress)) < 0 ||
	    (err = env_ref(ref, sizeof(ref), spec->name)) < 0)
		goto done;
	f.spec = spec;
	f.nfiles = n;
	snprintf(reflog, sizeof(reflog), "rlpromote env freeze %s", spec->name);
	if ((err = rlp_store_advance(out_commit, store, ref, build_version, &f, reflog)) == 0)
		*created = f.created;
done:
	rlp_envspec_free(spec);
	rlp_env_files_free(files, n);
	free(yaml);
	free(basedir);
	return err;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rlp_env_info *)a)->name, ((const struct rlp_env_info *)b)->name);
}

int rlp_env_list(struct rlp_env_info **out, size_t *n, struct rlp_store *store)
{
	git_reference_iterator *it = NULL;
	struct rlp_env_info *v = NULL;
	const char *refname;
	size_t count = 0, cap = 0;
	int err = 0, gerr;

	*out = NULL;
	*n = 0;
	if ((gerr = git_reference_iterator_glob_new(&it, store->repo, RLP_REF_ENVS "*")) < 0)
		return rlp_git_error(gerr, "cannot list environments");
	while ((gerr = git_reference_next_name(&refname, it)) == 0) {
		const char *name = refname + strlen(RLP_REF_ENVS);
		struct rlp_envspec *spec = NULL;
		git_oid *chain = NULL;

		if (!rlp_env_name_valid(name))
			continue; /* not ours: refs/rlpromote/envs/a/b */
		if (count == cap) {
			struct rlp_env_info *grown = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof(*v));
			if (!grown) {
				err = nomem();
				break;
			}
			v = grown;
		}
		memset(&v[count], 0, sizeof(*v));
		if (!(v[count].name = strdup(name))) {
			err = nomem();
			break;
		}
		count++;
		if ((gerr = git_reference_name_to_id(&v[count - 1].latest, store->repo, refname)) < 0) {
			err = rlp_git_error(gerr, refname);
			break;
		}
		if ((err = rlp_env_chain(&chain, &v[count - 1].versions, store,
					 &v[count - 1].latest)) < 0)
			break;
		free(chain);
		if (rlp_env_load(&spec, NULL, store, &v[count - 1].latest, NULL) == 0)
			memcpy(v[count - 1].time, spec->time, sizeof(spec->time));
		rlp_envspec_free(spec);
	}
	if (err == 0 && gerr != GIT_ITEROVER)
		err = rlp_git_error(gerr, "cannot list environments");
	git_reference_iterator_free(it);
	if (err < 0) {
		rlp_env_info_free(v, count);
		return err;
	}
	qsort(v, count, sizeof(*v), info_cmp);
	*out = v;
	*n = count;
	return 0;
}

void rlp_env_info_free(struct rlp_env_info *info, size_t n)
{
	for (size_t i = 0; info && i < n; i++)
		free(info[i].name);
	free(info);
}
