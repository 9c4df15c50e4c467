/* git rlpromote env: freeze, show, list, verify and check out frozen RL test
 * environments (refs/rlpromote/envs/<name>). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "env.h"
#include "error.h"
#include "progress_bar.h"
#include "sign.h"
#include "store.h"
#include "trust.h"

/* Bad input (a spec, a directory, a broken version) is the user's to fix:
 * exit 1. Anything else (no repository, no such environment, I/O) is fatal. */
static void check(int err)
{
	if (err == RLP_EINVALID) {
		error("%s", rlp_error_last());
		exit(RLP_EXIT_FAIL);
	}
	if (err < 0)
		die("%s", rlp_error_last());
}

static struct rlp_store *open_repo(void)
{
	struct rlp_store *store = NULL;

	check(rlp_store_open(&store, NULL));
	return store;
}

static size_t version_of(struct rlp_store *store, const git_oid *commit)
{
	git_oid *chain = NULL;
	size_t n = 0;

	check(rlp_env_chain(&chain, &n, store, commit));
	free(chain);
	return n;
}

/* <env>[@<n>] or a commit id: the version, its number and its name (the
 * ref's when named by it, else what its env.yaml says). */
static void resolve(git_oid *commit, size_t *version, char **name, struct rlp_store *store,
		    const char *arg)
{
	struct rlp_envspec *spec = NULL;
	bool by_name;

	check(rlp_env_resolve_ext(commit, &by_name, store, arg));
	*version = version_of(store, commit);
	if (by_name)
		*name = strndup(arg, strcspn(arg, "@"));
	else if (rlp_env_load(&spec, NULL, store, commit, NULL) == 0)
		*name = strdup(spec->name);
	else
		*name = strdup(arg);
	if (!*name)
		die("out of memory");
	rlp_envspec_free(spec);
}

static int env_freeze(int argc, char **argv)
{
	struct rlp_store *store;
	struct rlp_envspec *spec = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid commit;
	bool created;

	if (argc != 2) {
		error("env freeze takes one spec file");
		usage_of("env", false);
	}
	store = open_repo();
	struct progress_bar bar;
	progress_start(&bar, "freezing", PROGRESS_BYTES, NULL);
	check(rlp_env_freeze_progress(store, argv[1], &commit, &created, progress_of(&bar)));
	progress_stop(&bar);
	check(rlp_env_load(&spec, NULL, store, &commit, NULL));
	git_oid_tostr(hex, sizeof(hex), &commit);
	if (created)
		printf("frozen %s@%zu %s\n", spec->name, version_of(store, &commit), hex);
	else
		printf("%s@%zu %s is unchanged\n", spec->name, version_of(store, &commit), hex);
	rlp_envspec_free(spec);
	rlp_store_free(store);
	return RLP_EXIT_OK;
}

static int env_show(int argc, char **argv)
{
	struct rlp_store *store;
	struct rlp_envspec *spec = NULL;
	struct rlp_env_file *files = NULL;
	char hex[GIT_OID_HEXSZ + 1], *yaml = NULL;
	size_t n = 0;
	git_oid commit;

	if (argc != 2) {
		error("env show takes one environment");
		usage_of("env", false);
	}
	store = open_repo();
	check(rlp_env_resolve(&commit, store, argv[1]));
	check(rlp_env_load(&spec, &yaml, store, &commit, NULL));
	check(rlp_env_files(&files, &n, store, &commit));
	git_oid_tostr(hex, sizeof(hex), &commit);
	printf("env %s@%zu %s\n", spec->name, version_of(store, &commit), hex);
	printf("seed %" PRIu64 ", time %s (%" PRId64 "), temperature %g\n\n", spec->seed,
	       spec->time, spec->time_epoch, spec->decoding.temperature);
	write_stdout(yaml);
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		git_oid_tostr(hex, sizeof(hex), &files[i].blob);
		printf("%s %s %10" PRIu64 "\t%s\n", files[i].executable ? "100755" : "100644", hex,
		       files[i].size, files[i].path);
	}
	if (fflush(stdout) == EOF)
		die("cannot write to standard output");
	rlp_env_files_free(files, n);
	rlp_envspec_free(spec);
	free(yaml);
	rlp_store_free(store);
	return RLP_EXIT_OK;
}

static int env_list(int argc, char **argv)
{
	struct rlp_store *store;
	struct rlp_env_info *envs = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t n = 0, width = 4;

	if (argc != 1) {
		error("env list takes no arguments");
		usage_of("env", false);
	}
	store = open_repo();
	check(rlp_env_list(&envs, &n, store));
	for (size_t i = 0; i < n; i++)
		if (strlen(envs[i].name) > width)
			width = strlen(envs[i].name);
	for (size_t i = 0; i < n; i++) {
		git_oid_tostr(hex, sizeof(hex), &envs[i].latest);
		printf("%-*s %4zu %s %s\n", (int)width, envs[i].name, envs[i].versions, hex,
		       envs[i].time[0] ? envs[i].time : "(unreadable)");
	}
	if (fflush(stdout) == EOF)
		die("cannot write to standard output");
	rlp_env_info_free(envs, n);
	rlp_store_free(store);
	return RLP_EXIT_OK;
}

/* One line per version, oldest first: its structure, then its signature. */
static int env_verify(int argc, char **argv)
{
	struct rlp_store *store;
	struct rlp_trusted *trusted = NULL;
	char hex[GIT_OID_HEXSZ + 1], *name = NULL, *untrusted = NULL;
	git_oid commit, *chain = NULL;
	size_t version, n = 0, bad = 0;

	if (argc != 2) {
		error("env verify takes one environment");
		usage_of("env", false);
	}
	store = open_repo();
	resolve(&commit, &version, &name, store, argv[1]);
	check(rlp_env_chain(&chain, &n, store, &commit));
	if (rlp_trusted_load(&trusted, store, NULL) < 0 && !(untrusted = strdup(rlp_error_last())))
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		struct rlp_verified who;
		int err;

		git_oid_tostr(hex, sizeof(hex), &chain[i]);
		printf("%s@%zu %s ", name, i + 1, hex);
		if ((err = rlp_env_check(store, &chain[i], name)) == RLP_EINVALID)
			printf("structure BAD: %s; ", rlp_error_last());
		else if (err < 0)
			die("%s", rlp_error_last());
		else
			printf("structure ok; ");
		bad += err < 0;
		if (!trusted) {
			printf("signature not checked: %s\n", untrusted);
			bad++;
			continue;
		}
		err = rlp_sign_verify_commit(&who, store->repo, &chain[i], &trusted->trust, time(NULL));
		if (err == 0)
			printf("signed by %s (%s)\n", who.principal, who.key_id);
		else if (err == RLP_ENOTFOUND)
			printf("unsigned\n");
		else
			printf("bad signature: %s\n", rlp_error_last());
		bad += err < 0;
	}
	if (fflush(stdout) == EOF)
		die("cannot write to standard output");
	if (bad)
		error("%s@%zu: %zu problem%s in %zu version%s", name, version, bad,
		      bad == 1 ? "" : "s", n, n == 1 ? "" : "s");
	rlp_trusted_free(trusted);
	free(untrusted);
	free(chain);
	free(name);
	rlp_store_free(store);
	return bad ? RLP_EXIT_FAIL : RLP_EXIT_OK;
}

static int env_checkout(int argc, char **argv)
{
	struct rlp_store *store;
	char hex[GIT_OID_HEXSZ + 1], *name = NULL;
	size_t version;
	git_oid commit;

	if (argc != 3) {
		error("env checkout takes an environment and a directory");
		usage_of("env", false);
	}
	store = open_repo();
	resolve(&commit, &version, &name, store, argv[1]);
	check(rlp_env_materialize(store, &commit, argv[2]));
	git_oid_tostr(hex, sizeof(hex), &commit);
	fprintf(stderr, "checked out %s@%zu %s into '%s'\n", name, version, hex, argv[2]);
	free(name);
	rlp_store_free(store);
	return RLP_EXIT_OK;
}

int cmd_env(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
		{"freeze", env_freeze}, {"show", env_show},         {"list", env_list},
		{"verify", env_verify}, {"checkout", env_checkout},
	};

	check_help(argc, argv, "env");
	if (argc < 2)
		usage_of("env", false);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(argc - 1, argv + 1);
	error("unknown env subcommand '%s'", argv[1]);
	usage_of("env", false);
}
