/* git rlpromote hook pre-receive|update|pre-push|install: enforcement on push. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "error.h"
#include "hook.h"

/* A push names at most this many refs; longer input is refused, not read. */
#define HOOK_LINE_MAX 2048

static const char *prefix(void)
{
	/* GitLab shows a custom hook's message only behind this prefix */
	return getenv("GL_ID") || getenv("GL_PROTOCOL") ? "GL-HOOK-ERR: " : "rlpromote: ";
}

/* Refuse the push with a message the forge shows (no "fatal: " before the
 * prefix: GitLab only shows lines that start with it). */
_Noreturn static void refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void refuse(const char *fmt, ...)
{
	va_list ap;

	fputs(prefix(), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(RLP_EXIT_FAIL);
}

static size_t read_updates(struct rlp_ref_update *updates, bool pre_push)
{
	char line[HOOK_LINE_MAX];
	size_t n = 0;

	while (fgets(line, sizeof(line), stdin)) {
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n')
			refuse("hook input line too long");
		if (strspn(line, " \t\r\n") == len)
			continue; /* blank lines carry nothing */
		if (n == RLP_HOOK_MAX_UPDATES)
			refuse("more than %d refs in one push", RLP_HOOK_MAX_UPDATES);
		if (!pre_push) {
			if (rlp_hook_parse_line(&updates[n], line, len) < 0)
				refuse("%s", rlp_error_last());
		} else {
			/* <local ref> <local oid> <remote ref> <remote oid> */
			char lref[HOOK_LINE_MAX], loid[64], rref[HOOK_LINE_MAX], roid[64];
			struct rlp_ref_update *u = &updates[n];
			memset(u, 0, sizeof(*u));
			if (sscanf(line, "%2047s %63s %2047s %63s", lref, loid, rref, roid) != 4 ||
			    strlen(rref) >= sizeof(u->name) || git_oid_fromstr(&u->new_id, loid) < 0 ||
			    git_oid_fromstr(&u->old_id, roid) < 0)
				refuse("malformed pre-push input");
			strcpy(u->name, rref);
		}
		n++;
	}
	return n;
}

/* Check and report; returns the exit code (0 accept, 1 reject). */
static int check(struct rlp_ref_update *updates, size_t n, bool pre_push)
{
	struct rlp_hook_verdict *verdict;
	struct rlp_store *store = NULL;
	struct rlp_trusted *trusted = NULL;
	int rejected;

	if (!rlp_hook_concerns_us(updates, n))
		return 0; /* ordinary branches: nothing to open, nothing to add */
	/* the quarantined objects of the push are visible through the environment */
	if (rlp_store_open(&store, NULL) < 0 || rlp_trusted_load(&trusted, store, NULL) < 0) {
		fprintf(stderr, "%scannot check this push: %s\n", prefix(), rlp_error_last());
		rlp_store_free(store);
		return 1;
	}
	for (size_t i = 0; pre_push && i < n; i++) {
		git_commit *c = NULL;
		updates[i].old_known = git_commit_lookup(&c, store->repo, &updates[i].old_id) == 0;
		git_commit_free(c);
	}
	if (!(verdict = calloc(n, sizeof(*verdict))))
		die("out of memory");
	rejected = rlp_hook_check(verdict, store, trusted, updates, n, time(NULL));
	if (rejected < 0)
		fprintf(stderr, "%scannot check this push: %s\n", prefix(), rlp_error_last());
	for (size_t i = 0; i < n; i++)
		if (verdict[i].rejected)
			fprintf(stderr, "%s%s: %s\n", prefix(), updates[i].name, verdict[i].reason);
	if (rejected > 0)
		fprintf(stderr, "%s%d ref%s rejected under %s:%s\n", prefix(), rejected,
			rejected == 1 ? "" : "s", trusted->rev, RLP_POLICY_PATH);
	free(verdict);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return rejected != 0;
}

static int hook_pre_receive(void)
{
	struct rlp_ref_update *updates = calloc(RLP_HOOK_MAX_UPDATES, sizeof(*updates));
	if (!updates)
		die("out of memory");
	size_t n = read_updates(updates, false);
	int code = check(updates, n, false);
	free(updates);
	return code;
}

static int hook_update(int argc, char **argv)
{
	struct rlp_ref_update u;
	char line[HOOK_LINE_MAX];

	if (argc != 4)
		usage_of("hook", false);
	snprintf(line, sizeof(line), "%s %s %s", argv[2], argv[3], argv[1]);
	if (rlp_hook_parse_line(&u, line, strlen(line)) < 0)
		refuse("%s", rlp_error_last());
	return check(&u, 1, false);
}

static int hook_pre_push(void)
{
	struct rlp_ref_update *updates = calloc(RLP_HOOK_MAX_UPDATES, sizeof(*updates));
	if (!updates)
		die("out of memory");
	size_t n = read_updates(updates, true);
	int code = check(updates, n, true);
	free(updates);
	return code;
}

/* ---- install ---- */

#define HOOK_MARKER "# installed by git rlpromote hook install"

static bool is_ours(const char *path)
{
	char *text = NULL;
	bool ours = rlp_read_file(&text, NULL, path, 1u << 20) == 0 && strstr(text, HOOK_MARKER);
	free(text);
	return ours;
}

/* The wrapper. Ordinary pushes never start the binary: the shell sees that
 * no line names refs/rlpromote/ and exits, so a branch push pays for one
 * sh only (a pre-push hook that adds milliseconds to every push gets
 * uninstalled). A hook that was here before runs first, with the same input. */
static void write_hook(const char *path, const char *name, bool chained)
{
	char tmp[4096];
	int fd;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.rlpromote-new", path) >= (int)sizeof(tmp))
		die("path too long: '%s'", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0755)) < 0 || !(f = fdopen(fd, "w")))
		die("cannot create '%s': %s", tmp, strerror(errno));
	fprintf(f, "#!/bin/sh\n" HOOK_MARKER "\n"
		   "input=$(cat)\n");
	if (chained)
		fprintf(f, "printf '%%s\\n' \"$input\" | \"$0.rlpromote-chained\" \"$@\" || exit $?\n");
	fprintf(f, "case $input in\n"
		   "*refs/rlpromote/*) ;;\n"
		   "*) exit 0 ;;\n"
		   "esac\n"
		   "rlp=git-rlpromote\n"
		   "command -v $rlp >/dev/null 2>&1 || rlp='git rlpromote'\n"
		   "printf '%%s\\n' \"$input\" | $rlp hook %s \"$@\"\n",
		name);
	if (fclose(f) == EOF || rename(tmp, path) < 0)
		die("cannot install '%s': %s", path, strerror(errno));
}

static void path_of(char *out, size_t size, const char *a, const char *b, const char *c)
{
	if (snprintf(out, size, "%s%s%s", a, b, c) >= (int)size)
		die("path too long: '%s%s%s'", a, b, c);
}

static void install_one(const char *dir, const char *name)
{
	char path[4096], chained[4096], dotd[4096];
	struct stat st;

	/* GitLab (custom_hooks) and Gitea run every script in <hook>.d */
	char base[4096];
	path_of(base, sizeof(base), dir, "/", name);
	path_of(dotd, sizeof(dotd), base, ".d", "");
	if (stat(dotd, &st) == 0 && S_ISDIR(st.st_mode)) {
		path_of(path, sizeof(path), dotd, "/rlpromote", "");
		if (access(path, F_OK) == 0 && !is_ours(path))
			die("'%s' exists and is not ours", path);
		write_hook(path, name, false);
		printf("installed %s\n", path);
		return;
	}
	path_of(path, sizeof(path), base, "", "");
	path_of(chained, sizeof(chained), base, ".rlpromote-chained", "");
	if (access(path, F_OK) == 0) {
		if (is_ours(path)) {
			printf("%s is already installed\n", path);
			return;
		}
		if (access(chained, F_OK) == 0)
			die("'%s' exists: remove it or merge the hooks by hand", chained);
		if (rename(path, chained) < 0)
			die("cannot keep the existing hook: %s", strerror(errno));
		write_hook(path, name, true);
		printf("installed %s (the hook that was there runs first: %s)\n", path, chained);
		return;
	}
	write_hook(path, name, false);
	printf("installed %s\n", path);
}

static int hook_install(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL;
	char dir[4096];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 's')
			server = optarg;
		else
			usage_of("hook", false);
	}
	if (optind != argc)
		usage_of("hook", false);
	if (server) {
		struct rlp_store *store = NULL;
		if (rlp_store_open(&store, server) < 0)
			die("%s", rlp_error_last());
		path_of(dir, sizeof(dir), git_repository_path(store->repo), "hooks", "");
		rlp_store_free(store);
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			die("cannot create '%s': %s", dir, strerror(errno));
		install_one(dir, "pre-receive");
		return 0;
	}
	struct rlp_store *store = open_store();
	git_buf path = GIT_BUF_INIT;
	/* honours core.hooksPath, as git does */
	if (git_repository_item_path(&path, store->repo, GIT_REPOSITORY_ITEM_HOOKS) < 0)
		die("cannot find the hooks directory");
	path_of(dir, sizeof(dir), path.ptr, "", "");
	if (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	git_buf_dispose(&path);
	rlp_store_free(store);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		die("cannot create '%s': %s", dir, strerror(errno));
	install_one(dir, "pre-push");
	return 0;
}

int cmd_hook(int argc, char **argv)
{
	check_help(argc, argv, "hook");
	if (argc < 2)
		usage_of("hook", false);
	if (!strcmp(argv[1], "pre-receive") && argc == 2)
		return hook_pre_receive();
	if (!strcmp(argv[1], "update"))
		return hook_update(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pre-push"))
		return hook_pre_push();
	if (!strcmp(argv[1], "install"))
		return hook_install(argc - 1, argv + 1);
	error("unknown hook '%s'", argv[1]);
	usage_of("hook", false);
}
