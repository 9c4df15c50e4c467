/*
 * The file-system side of frozen environments: collecting the files a spec
 * names without ever following a symbolic link, streaming them into blobs,
 * and writing a version back out. Every path is opened one component at a
 * time below a directory descriptor with O_NOFOLLOW, so a link swapped in
 * after the check is refused rather than followed.
 */
#include "env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "progress.h"

#define MAX_DEPTH 256
#define CHUNK (64 * 1024)
#define LINK_HINT "symbolic links are not frozen: copy the target into the environment"

struct collector {
	const struct rlp_envspec *spec;
	const struct rlp_env_path *at; /* the spec path being collected, for messages */
	struct rlp_env_file *files;
	size_t n, cap;
};

__attribute__((format(printf, 2, 3))) static int refuse(const struct collector *c,
							 const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rlp_error_set(RLP_EINVALID, "%s:%zu:%zu: %s: %s", c->spec->source, c->at->line,
			     c->at->col, c->at->what, msg);
}

static int add_file(struct collector *c, const char *path, const struct stat *st)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct rlp_env_file *grown = realloc(c->files, cap * sizeof(*grown));
		if (!grown)
			return rlp_error_set(RLP_ENOMEM, "out of memory");
		c->files = grown;
		c->cap = cap;
	}
	if (c->n >= RLP_ENV_MAX_FILES)
		return refuse(c, "the environment has more than %d files", RLP_ENV_MAX_FILES);
	c->files[c->n] = (struct rlp_env_file){.size = (uint64_t)st->st_size,
					       .executable = (st->st_mode & S_IXUSR) != 0};
	if (!(c->files[c->n].path = strdup(path)))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	c->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int visit(struct collector *c, int dirfd, const char *name, char *path, size_t len,
		 int depth);

/* Every entry of the directory `path` (open as fd, which this closes), in
 * sorted order. */
static int walk_dir(struct collector *c, int fd, char *path, size_t len, int depth)
{
	DIR *d = fdopendir(fd);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int err = 0;

	if (!d) {
		close(fd);
		return rlp_error_set(RLP_EIO, "cannot read directory '%s': %s", path, strerror(errno));
	}
	while ((errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*grown));
			if (!grown) {
				err = rlp_error_set(RLP_ENOMEM, "out of memory");
				goto done;
			}
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name))) {
			err = rlp_error_set(RLP_ENOMEM, "out of memory");
			goto done;
		}
		if (++n > RLP_ENV_MAX_FILES) {
			err = refuse(c, "'%s' has more than %d entries", path, RLP_ENV_MAX_FILES);
			goto done;
		}
	}
	if (errno) {
		err = rlp_error_set(RLP_EIO, "cannot read directory '%s': %s", path, strerror(errno));
		goto done;
	}
	if (n == 0) {
		err = refuse(c, "'%s' is an empty directory (git stores no empty directories: add a "
			     "file such as '%s/.keep')", path, path);
		goto done;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && !err; i++)
		err = visit(c, dirfd(d), names[i], path, len, depth + 1);
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return err;
}

/* Entry `name` of dirfd, whose parent path (len bytes) is in `path`. */
static int visit(struct collector *c, int dirfd, const char *name, char *path, size_t len,
		 int depth)
{
	size_t sub = len ? len + 1 : 0, nlen = strlen(name);
	struct stat st;
	int fd, err;

	if (sub + nlen >= 4096)
		return refuse(c, "'%s/%s' is a path longer than 4096 bytes", path, name);
	if (len)
		path[len] = '/';
	memcpy(path + sub, name, nlen + 1);
	if (!strcasecmp(name, ".git"))
		return refuse(c, "'%s' cannot be stored in git", path);
	if (depth > MAX_DEPTH)
		return refuse(c, "'%s' is nested deeper than %d directories", path, MAX_DEPTH);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? refuse(c, "'%s' does not exist", path)
				       : rlp_error_set(RLP_EIO, "cannot stat '%s': %s", path,
						       strerror(errno));
	if (S_ISLNK(st.st_mode))
		return refuse(c, "'%s' is a symbolic link (" LINK_HINT ")", path);
	if (S_ISREG(st.st_mode)) {
		if (depth == 0 && c->at->type == RLP_ENV_PATH_DIR)
			return refuse(c, "'%s' is not a directory", path);
		err = add_file(c, path, &st);
	} else if (S_ISDIR(st.st_mode)) {
		if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return rlp_error_set(RLP_EIO, "cannot open '%s': %s", path, strerror(errno));
		err = walk_dir(c, fd, path, sub + nlen, depth);
	} else {
		return refuse(c, "'%s' is not a regular file or a directory", path);
	}
	path[len] = '\0';
	return err;
}

/* Open the directory holding the last component of `rel`, below `basefd`,
 * one component at a time without following links; *last is that
 * component. On failure: -1, errno set and *failed the length of the prefix
 * of `rel` that could not be opened. */
static int open_parent(int basefd, const char *rel, const char **last, size_t *failed)
{
	const char *comp = rel;
	char name[4097];
	int fd = dup(basefd);

	*failed = 0;
	while (fd >= 0 && comp[strcspn(comp, "/")] == '/') {
		size_t clen = strcspn(comp, "/");
		int next;

		if (clen >= sizeof(name)) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, comp, clen);
		name[clen] = '\0';
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			struct stat st;
			int saved = errno;
			/* Linux says ENOTDIR for a link opened with O_DIRECTORY | O_NOFOLLOW */
			if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				saved = ELOOP;
			*failed = (size_t)(comp - rel) + clen;
			close(fd);
			errno = saved;
			return -1;
		}
		close(fd);
		fd = next;
		comp += clen + 1;
	}
	*last = comp;
	return fd;
}

/* Why opening a prefix of a path failed, in words. */
static int open_failed(struct collector *c, const char *rel, size_t failed, int err)
{
	char prefix[4097];

	snprintf(prefix, sizeof(prefix), "%.*s", (int)failed, rel);
	if (err == ENOENT)
		return refuse(c, "'%s' does not exist", prefix);
	if (err == ELOOP)
		return refuse(c, "'%s' is a symbolic link (" LINK_HINT ")", prefix);
	if (err == ENOTDIR)
		return refuse(c, "'%s' is not a directory", prefix);
	return rlp_error_set(RLP_EIO, "cannot open '%s': %s", prefix, strerror(err));
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rlp_env_file *)a)->path, ((const struct rlp_env_file *)b)->path);
}

int rlp_env_collect(struct rlp_env_file **out, size_t *n, const struct rlp_envspec *spec,
		    const char *basedir)
{
	struct collector c = {.spec = spec};
	char path[4097];
	int basefd, err = 0;
	size_t kept = 0;

	*out = NULL;
	*n = 0;
	if ((basefd = open(basedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return rlp_error_set(RLP_EIO, "cannot open directory '%s': %s", basedir,
				     strerror(errno));
	for (size_t i = 0; i < spec->npaths && !err; i++) {
		const char *last;
		size_t failed, len;
		int fd;

		c.at = &spec->paths[i];
		if ((fd = open_parent(basefd, c.at->path, &last, &failed)) < 0) {
			err = open_failed(&c, c.at->path, failed, errno);
			break;
		}
		len = (size_t)(last - c.at->path);
		len -= len > 0; /* the parent, without its slash */
		snprintf(path, sizeof(path), "%.*s", (int)len, c.at->path);
		err = visit(&c, fd, last, path, len, 0);
		close(fd);
	}
	close(basefd);
	if (err == 0) {
		/* overlapping paths (a directory and a file in it) name a file twice */
		qsort(c.files, c.n, sizeof(*c.files), file_cmp);
		for (size_t i = 0; i < c.n; i++) {
			if (kept && !strcmp(c.files[kept - 1].path, c.files[i].path))
				free(c.files[i].path);
			else
				c.files[kept++] = c.files[i];
		}
		c.n = kept;
		*out = c.files;
		*n = c.n;
		return 0;
	}
	rlp_env_files_free(c.files, c.n);
	return err;
}

void rlp_env_files_free(struct rlp_env_file *files, size_t n)
{
	for (size_t i = 0; files && i < n; i++)
		free(files[i].path);
	free(files);
}

int rlp_env_blob_from_file(git_oid *out, struct rlp_store *store, int dirfd, const char *path,
			   uint64_t size, struct rlp_env_progress *progress)
{
	git_odb_stream *stream = NULL;
	git_odb *odb = NULL;
	const char *last;
	char *chunk = NULL;
	uint64_t total = 0;
	size_t failed;
	struct stat st;
	int parent, fd = -1, err = 0;
	ssize_t got;

	if ((parent = open_parent(dirfd, path, &last, &failed)) >= 0) {
		fd = openat(parent, last, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		close(parent);
	}
	if (fd < 0 || fstat(fd, &st) < 0)
		return rlp_error_set(RLP_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		err = rlp_error_set(RLP_ECONFLICT, "'%s' changed while it was being frozen", path);
		goto done;
	}
	if (!(chunk = malloc(CHUNK))) {
		err = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = git_repository_odb(&odb, store->repo)) < 0 ||
	    (err = git_odb_open_wstream(&stream, odb, (git_object_size_t)size, GIT_OBJECT_BLOB)) < 0) {
		err = rlp_git_error(err, "cannot write blob");
		goto done;
	}
	while ((got = read(fd, chunk, CHUNK)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = rlp_error_set(RLP_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto done;
		}
		if ((total += (uint64_t)got) > size) {
			err = rlp_error_set(RLP_ECONFLICT, "'%s' changed while it was being frozen", path);
			goto done;
		}
		if ((err = git_odb_stream_write(stream, chunk, (size_t)got)) < 0) {
			err = rlp_git_error(err, "cannot write blob");
			goto done;
		}
		if (progress) {
			progress->done += (uint64_t)got;
			rlp_progress_report(progress->report, progress->done, progress->total);
		}
	}
	if (total != size)
		err = rlp_error_set(RLP_ECONFLICT, "'%s' changed while it was being frozen", path);
	else if ((err = git_odb_stream_finalize_write(out, stream)) < 0)
		err = rlp_git_error(err, "cannot write blob");
done:
	git_odb_stream_free(stream);
	git_odb_free(odb);
	free(chunk);
	close(fd);
	return err;
}

/* Create the directories of `rel` below `basefd` as needed (never through a
 * link) and return the one holding its last component, *last. */
static int make_parent(int basefd, const char *rel, const char **last)
{
	const char *comp = rel;
	char name[4097];
	int fd = dup(basefd);

	while (fd >= 0 && comp[strcspn(comp, "/")] == '/') {
		size_t clen = strcspn(comp, "/");
		int next;

		snprintf(name, sizeof(name), "%.*s", (int)clen, comp);
		if (mkdirat(fd, name, 0777) < 0 && errno != EEXIST)
			next = -1;
		else
			next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		comp += clen + 1;
	}
	*last = comp;
	return fd;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Blob `id` into fd: streamed where the object database can (loose
 * objects), else from memory. */
static int write_blob(int fd, git_odb *odb, const git_oid *id, const char *path)
{
	git_odb_stream *stream = NULL;
	git_odb_object *obj = NULL;
	git_object_t type;
	char *chunk = NULL;
	size_t len, total = 0;
	int err = 0, got;

	if (git_odb_open_rstream(&stream, &len, &type, odb, id) == 0 && type == GIT_OBJECT_BLOB &&
	    (chunk = malloc(CHUNK))) {
		while (err == 0 && total < len) {
			if ((got = git_odb_stream_read(stream, chunk, CHUNK)) <= 0)
				err = rlp_git_error(got < 0 ? got : -1, path);
			else if (write_all(fd, chunk, (size_t)got) < 0)
				err = rlp_error_set(RLP_EIO, "cannot write '%s': %s", path, strerror(errno));
			else
				total += (size_t)got;
		}
		goto done;
	}
	git_error_clear();
	if ((err = git_odb_read(&obj, odb, id)) < 0 || git_odb_object_type(obj) != GIT_OBJECT_BLOB)
		err = err < 0 ? rlp_git_error(err, path)
			      : rlp_error_set(RLP_EINVALID, "'%s' is not a blob", path);
	else if (write_all(fd, git_odb_object_data(obj), git_odb_object_size(obj)) < 0)
		err = rlp_error_set(RLP_EIO, "cannot write '%s': %s", path, strerror(errno));
done:
	git_odb_stream_free(stream);
	git_odb_object_free(obj);
	free(chunk);
	return err;
}

static int refuse_nonempty(const char *dir)
{
	struct dirent *e;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;
	DIR *d;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? rlp_error_set(RLP_ENOTFOUND, "'%s' is not a directory", dir)
			       : rlp_error_set(RLP_EIO, "cannot open '%s': %s", dir, strerror(errno));
	if (!(d = fdopendir(fd))) {
		close(fd);
		return rlp_error_set(RLP_EIO, "cannot read '%s': %s", dir, strerror(errno));
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			err = rlp_error_set(RLP_EINVALID, "'%s' is not empty", dir);
			break;
		}
	closedir(d);
	return err;
}

int rlp_env_materialize(struct rlp_store *store, const git_oid *env_commit, const char *dir)
{
	struct rlp_env_file *files = NULL;
	git_odb *odb = NULL;
	size_t n = 0;
	int basefd = -1, err;

	if ((err = refuse_nonempty(dir)) < 0 || (err = rlp_env_files(&files, &n, store, env_commit)) < 0)
		return err;
	if ((err = git_repository_odb(&odb, store->repo)) < 0) {
		err = rlp_git_error(err, "cannot open the object database");
		goto done;
	}
	if ((basefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err = rlp_error_set(RLP_EIO, "cannot open '%s': %s", dir, strerror(errno));
		goto done;
	}
	for (size_t i = 0; i < n && err == 0; i++) {
		const char *last;
		int parent = make_parent(basefd, files[i].path, &last), fd = -1;

		if (parent >= 0) {
			fd = openat(parent, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    files[i].executable ? 0777 : 0666);
			close(parent);
		}
		if (fd < 0) {
			err = rlp_error_set(RLP_EIO, "cannot create '%s/%s': %s", dir, files[i].path,
					    strerror(errno));
			break;
		}
		err = write_blob(fd, odb, &files[i].blob, files[i].path);
		if (close(fd) < 0 && err == 0)
			err = rlp_error_set(RLP_EIO, "cannot write '%s/%s': %s", dir, files[i].path,
					    strerror(errno));
	}
done:
	if (basefd >= 0)
		close(basefd);
	git_odb_free(odb);
	rlp_env_files_free(files, n);
	return err;
}
