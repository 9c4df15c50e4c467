/* Signing: the git config that says how, the child process that signs, and
 * the signed commit (what git's gpg-interface.c and commit.c do). */
#include "sign.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "proc.h"
#include "sign_private.h"

int sign_git_error(int code, const char *what)
{
	const git_error *e = git_error_last();

	return rlp_error_set(code, "%s: %s", what,
			     e && e->message ? e->message : "unknown libgit2 error");
}

int sign_tmpdir_create(char **dir)
{
	const char *base = getenv("TMPDIR");
	struct rlp_buf b = RLP_BUF_INIT;

	*dir = NULL;
	if (!base || base[0] != '/')
		base = "/tmp";
	if (rlp_buf_printf(&b, "%s/rlp-sign.XXXXXX", base) < 0)
		return RLP_ENOMEM;
	if (!mkdtemp(b.ptr)) {
		int e = errno;
		rlp_buf_free(&b);
		return rlp_error_set(RLP_EIO, "cannot create a temporary directory in '%s': %s",
				     base, strerror(e));
	}
	return rlp_buf_detach(dir, &b);
}

/* Depth-first removal that never follows a symlink out of the tree. */
static void remove_entry(int parent, const char *name, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return;
	if (depth < 16 &&
	    (fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		if (!(d = fdopendir(fd))) {
			close(fd);
		} else {
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					remove_entry(dirfd(d), e->d_name, depth + 1);
			closedir(d);
		}
	}
	unlinkat(parent, name, AT_REMOVEDIR);
}

void sign_tmpdir_remove(const char *dir)
{
	if (dir)
		remove_entry(AT_FDCWD, dir, 0);
}

int sign_file_write(char **path, const char *dir, const char *name, const char *data,
		    size_t len)
{
	struct rlp_buf b = RLP_BUF_INIT;
	int fd = -1, error = 0;

	*path = NULL;
	if (rlp_buf_printf(&b, "%s/%s", dir, name) < 0)
		return RLP_ENOMEM;
	if ((fd = open(b.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		error = rlp_error_set(RLP_EIO, "cannot create '%s': %s", b.ptr, strerror(errno));
		goto done;
	}
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = rlp_error_set(RLP_EIO, "cannot write '%s': %s", b.ptr,
					      strerror(errno));
			goto done;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = rlp_error_set(RLP_EIO, "cannot write '%s': %s", b.ptr, strerror(errno));
		goto done;
	}
	fd = -1;
	error = rlp_buf_detach(path, &b);
done:
	if (fd >= 0)
		close(fd);
	rlp_buf_free(&b);
	return error;
}

void sign_first_line(char *dst, size_t size, const char *text)
{
	const char *p = text ? text : "", *end;

	if (!size)
		return;
	dst[0] = '\0';
	for (; *p; p = *end ? end + 1 : end) {
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		/* gpg's status lines share stderr with its messages when signing */
		if (end == p || !strncmp(p, "[GNUPG:] ", 9))
			continue;
		size_t n = (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n >= size)
			n = size - 1;
		memcpy(dst, p, n);
		dst[n] = '\0';
		return;
	}
}

void sign_format_time(char *dst, size_t size, time_t t, bool for_ssh)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !(for_ssh ? strftime(dst, size, "%Y%m%d%H%M%S", &tm)
		      : strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm)))
		snprintf(dst, size, "@%lld", (long long)t);
}

int sign_copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* A config string; *out stays NULL when the key is absent or empty. */
static int config_string(char **out, git_config *cfg, const char *name)
{
	const char *value = NULL;
	int rc;

	*out = NULL;
	if (!cfg)
		return 0;
	rc = git_config_get_string(&value, cfg, name);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return sign_git_error(RLP_ERROR, "cannot read git config");
	if (!value || !*value)
		return 0;
	if (!(*out = strdup(value)))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	return 0;
}

int sign_program_lookup(char **program, git_config *cfg, enum rlp_sign_format format)
{
	static const char *const keys[][2] = {
		[RLP_SIGN_OPENPGP] = {"gpg.openpgp.program", "gpg.program"},
		[RLP_SIGN_SSH] = {"gpg.ssh.program", NULL},
		[RLP_SIGN_X509] = {"gpg.x509.program", NULL},
	};
	static const char *const defaults[] = {
		[RLP_SIGN_OPENPGP] = "gpg",
		[RLP_SIGN_SSH] = "ssh-keygen",
		[RLP_SIGN_X509] = "gpgsm",
	};
	int error;

	*program = NULL;
	for (int i = 0; i < 2 && keys[format][i] && !*program; i++)
		if ((error = config_string(program, cfg, keys[format][i])) < 0)
			return error;
	if (!*program && !(*program = strdup(defaults[format])))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	return 0;
}

int rlp_sign_config_load(struct rlp_sign_config *out, git_repository *repo)
{
	git_config *cfg = NULL;
	char *format = NULL;
	int gpgsign = 0, rc, error = 0;

	memset(out, 0, sizeof(*out));
	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return sign_git_error(RLP_ERROR, "cannot read git config");
	if ((error = config_string(&format, cfg, "gpg.format")) < 0)
		goto done;
	if (!format || !strcmp(format, "openpgp")) {
		out->format = RLP_SIGN_OPENPGP;
	} else if (!strcmp(format, "ssh")) {
		out->format = RLP_SIGN_SSH;
	} else if (!strcmp(format, "x509")) {
		out->format = RLP_SIGN_X509;
	} else {
		error = rlp_error_set(RLP_EINVALID, "invalid value for 'gpg.format': '%s'", format);
		goto done;
	}
	if ((error = config_string(&out->key, cfg, "user.signingKey")) < 0 ||
	    (error = sign_program_lookup(&out->program, cfg, out->format)) < 0)
		goto done;
	rc = git_config_get_bool(&gpgsign, cfg, "commit.gpgSign");
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		error = sign_git_error(RLP_EINVALID, "invalid value for 'commit.gpgSign'");
		goto done;
	}
	/* gpg (and gpgsm) can pick their default key; ssh-keygen cannot */
	if (!out->key && (out->format == RLP_SIGN_SSH || !gpgsign))
		error = rlp_error_set(RLP_ENOTFOUND, "no signing key configured: set user.signingKey");
done:
	if (error < 0)
		rlp_sign_config_clear(out);
	free(format);
	git_config_free(cfg);
	return error;
}

void rlp_sign_config_clear(struct rlp_sign_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->key);
	free(cfg->program);
	cfg->key = cfg->program = NULL;
}

/* gpg and gpgsm: the signature on stdout, SIG_CREATED on the status fd. */
static int sign_with_gpg(char **sig, const struct rlp_sign_config *cfg, const char *data,
			 size_t len)
{
	const char *argv[] = {cfg->program, "--status-fd=2", cfg->key ? "-bsau" : "-bsa",
			      cfg->key, NULL};
	struct rlp_proc_options opts = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc proc;
	char why[256];
	int error;

	opts.input = data;
	opts.input_len = len;
	opts.out_max = opts.err_max = SIGN_OUTPUT_MAX;
	opts.timeout_ms = SIGN_TIMEOUT_MS;
	if ((error = rlp_proc_run(&proc, argv, &opts)) < 0) {
		error = error == RLP_ENOMEM ? error : RLP_ERROR; /* not "no key" */
		goto done;
	}
	/* like git: the exit status alone is not trusted */
	if (proc.status != 0 || !proc.err.ptr ||
	    (strncmp(proc.err.ptr, "[GNUPG:] SIG_CREATED ", 21) &&
	     !strstr(proc.err.ptr, "\n[GNUPG:] SIG_CREATED "))) {
		sign_first_line(why, sizeof(why), proc.err.ptr);
		error = rlp_error_set(RLP_ERROR, "%s failed to sign the data%s%s", cfg->program,
				      *why ? ": " : "", why);
		goto done;
	}
	error = rlp_buf_detach(sig, &proc.out);
done:
	rlp_proc_clear(&proc);
	return error;
}

static bool ssh_key_is_literal(const char *key, const char **literal)
{
	if (!strncmp(key, "key::", 5)) {
		*literal = key + 5;
		return true;
	}
	/* git still accepts a bare public key line, with a deprecation warning */
	if (!strncmp(key, "ssh-", 4)) {
		*literal = key;
		return true;
	}
	return false;
}

static int ssh_key_path(char **path, const char *key)
{
	const char *home = getenv("HOME");
	struct rlp_buf b = RLP_BUF_INIT;

	if (!strncmp(key, "~/", 2) && home && *home)
		rlp_buf_printf(&b, "%s/%s", home, key + 2);
	else
		rlp_buf_puts(&b, key);
	return rlp_buf_detach(path, &b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* ssh-keygen -Y sign reads a file and writes <file>.sig next to it. */
static int sign_with_ssh(char **sig, const struct rlp_sign_config *cfg, const char *data,
			 size_t len)
{
	struct rlp_proc_options opts = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc proc = RLP_PROC_INIT;
	const char *literal = NULL, *argv[10];
	char *dir = NULL, *buffer = NULL, *keyfile = NULL, *sigfile = NULL, *keytext = NULL;
	char why[256];
	bool use_agent;
	size_t n = 0;
	int error;

	if (!cfg->key)
		return rlp_error_set(RLP_ENOTFOUND, "no signing key configured: set user.signingKey");
	if ((error = sign_tmpdir_create(&dir)) < 0 ||
	    (error = sign_file_write(&buffer, dir, "buffer", data, len)) < 0)
		goto done;
	use_agent = ssh_key_is_literal(cfg->key, &literal);
	if (use_agent) {
		struct rlp_buf b = RLP_BUF_INIT;
		rlp_buf_puts(&b, literal);
		rlp_buf_putc(&b, '\n');
		if ((error = rlp_buf_detach(&keytext, &b)) < 0 ||
		    (error = sign_file_write(&keyfile, dir, "signing_key.pub", keytext,
					     strlen(keytext))) < 0)
			goto done;
	} else {
		if ((error = ssh_key_path(&keyfile, cfg->key)) < 0)
			goto done;
		use_agent = ends_with(keyfile, ".pub");
	}
	argv[n++] = cfg->program;
	argv[n++] = "-Y";
	argv[n++] = "sign";
	argv[n++] = "-n";
	argv[n++] = "git";
	argv[n++] = "-f";
	argv[n++] = keyfile;
	if (use_agent)
		argv[n++] = "-U";
	argv[n++] = buffer;
	argv[n] = NULL;
	opts.out_max = opts.err_max = SIGN_OUTPUT_MAX;
	opts.timeout_ms = SIGN_TIMEOUT_MS;
	if ((error = rlp_proc_run(&proc, argv, &opts)) < 0) {
		error = error == RLP_ENOMEM ? error : RLP_ERROR; /* not "no key" */
		goto done;
	}
	if (proc.status != 0) {
		if (proc.err.ptr && strstr(proc.err.ptr, "usage:")) {
			error = rlp_error_set(RLP_ERROR, "ssh-keygen -Y sign is needed for ssh "
							 "signing (available in openssh 8.2p1+)");
			goto done;
		}
		sign_first_line(why, sizeof(why), proc.err.ptr);
		error = rlp_error_set(RLP_ERROR, "%s failed to sign the data%s%s", cfg->program,
				      *why ? ": " : "", why);
		goto done;
	}
	{
		struct rlp_buf b = RLP_BUF_INIT;
		rlp_buf_printf(&b, "%s.sig", buffer);
		if ((error = rlp_buf_detach(&sigfile, &b)) < 0)
			goto done;
	}
	if ((error = rlp_read_file(sig, NULL, sigfile, SIGN_OUTPUT_MAX)) < 0)
		error = rlp_error_wrap(RLP_ERROR, "%s wrote no signature", cfg->program);
done:
	rlp_proc_clear(&proc);
	sign_tmpdir_remove(dir);
	free(dir);
	free(buffer);
	free(keyfile);
	free(keytext);
	free(sigfile);
	return error;
}

/* git_commit_create_with_signature puts the text after "gpgsig " and each
 * newline before a continuation space: drop CRs and the final newline, and
 * refuse what would not survive as a header. */
static int normalise_signature(char *sig, const char *program)
{
	size_t r = 0, w = 0;

	for (; sig[r]; r++)
		if (!(sig[r] == '\r' && sig[r + 1] == '\n'))
			sig[w++] = sig[r];
	while (w > 0 && (sig[w - 1] == '\n' || sig[w - 1] == '\r'))
		w--;
	sig[w] = '\0';
	if (!w)
		return rlp_error_set(RLP_ERROR, "%s produced an empty signature", program);
	return 0;
}

int rlp_sign_buffer(char **sig, const struct rlp_sign_config *cfg, const char *data, size_t len)
{
	int error;

	*sig = NULL;
	if (!cfg || !cfg->program)
		return rlp_error_set(RLP_EINVALID, "no signing program configured");
	if (cfg->format == RLP_SIGN_SSH)
		error = sign_with_ssh(sig, cfg, data, len);
	else
		error = sign_with_gpg(sig, cfg, data, len);
	if (error < 0)
		return error;
	if ((error = normalise_signature(*sig, cfg->program)) < 0) {
		free(*sig);
		*sig = NULL;
	}
	return error;
}

int rlp_sign_commit_create(git_oid *out, git_repository *repo, const struct rlp_sign_config *cfg,
			   const git_signature *author, const git_signature *committer,
			   const char *message, const git_tree *tree, size_t nparents,
			   const git_commit **parents)
{
	git_buf buf = GIT_BUF_INIT;
	char *sig = NULL;
	int error = 0;

	if (!cfg) {
		if (git_commit_create(out, repo, NULL, author, committer, NULL, message, tree,
				      nparents, parents) < 0)
			error = sign_git_error(RLP_ERROR, "cannot create commit");
		return error;
	}
	if (git_commit_create_buffer(&buf, repo, author, committer, NULL, message, tree, nparents,
				     parents) < 0) {
		error = sign_git_error(RLP_ERROR, "cannot create commit");
		goto done;
	}
	if (memchr(buf.ptr, '\0', buf.size)) {
		error = rlp_error_set(RLP_EINVALID, "commit text holds a NUL byte");
		goto done;
	}
	if ((error = rlp_sign_buffer(&sig, cfg, buf.ptr, buf.size)) < 0)
		goto done;
	if (git_commit_create_with_signature(out, repo, buf.ptr, sig, "gpgsig") < 0)
		error = sign_git_error(RLP_ERROR, "cannot write signed commit");
done:
	free(sig);
	git_buf_dispose(&buf);
	return error;
}
