/* git rlpromote eval run: run a frozen environment's command on a candidate,
 * in a fresh directory with the frozen seed and clock, N times; compare the
 * repeats and record the run. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "env.h"
#include "error.h"
#include "evidence.h"
#include "progress_bar.h"
#include "runs.h"
#include "summary.h"

extern char **environ;

/* libfaketime, when installed, freezes the clock for programs that read it
 * themselves; SOURCE_DATE_EPOCH and RLPROMOTE_TIME tell the ones that ask. */
static const char *faketime_library(void)
{
	static const char *const candidates[] = {
		"/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
		"/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
		"/usr/lib/faketime/libfaketime.so.1",
	};
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

struct run_env {
	char *vars[16];
	size_t n;
};

static void env_add(struct run_env *e, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *s = malloc(len);
	if (!s || e->n >= sizeof(e->vars) / sizeof(e->vars[0]) - 1)
		die("out of memory");
	snprintf(s, len, "%s=%s", name, value);
	e->vars[e->n++] = s;
}

/* environ without the names we set, then ours. */
static char **child_environment(const struct run_env *e)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **out = calloc(n + e->n + 1, sizeof(*out));
	if (!out)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		bool overridden = false;
		for (size_t j = 0; j < e->n && !overridden; j++) {
			size_t name = strcspn(e->vars[j], "=");
			overridden = !strncmp(environ[i], e->vars[j], name + 1);
		}
		if (!overridden)
			out[k++] = environ[i];
	}
	for (size_t j = 0; j < e->n; j++)
		out[k++] = e->vars[j];
	return out;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The scratch directory of the repeat in progress, removed at exit (die()
 * included); "" when none. */
static char scratch_dir[64];

static void remove_scratch(void)
{
	if (scratch_dir[0])
		nftw(scratch_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	scratch_dir[0] = '\0';
}

/* One repeat: a fresh directory, the env materialized, the command run in
 * it. Returns the results; *metrics gets the run-level figures the command
 * wrote to $RLPROMOTE_RUN_METRICS (NULL when it wrote none). */
static char *run_once(size_t *len, char **metrics, struct rlp_store *store,
		      const git_oid *env_commit, const struct rlp_envspec *spec,
		      const git_oid *candidate, int repeat, struct progress_bar *bar)
{
	char tmp[] = "/tmp/rlpromote-eval-XXXXXX", envdir[64], results[80], seed[32], epoch[32];
	char metrics_path[80];
	char cand[GIT_OID_HEXSZ + 1];
	struct run_env e = {{NULL}, 0};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	char *data = NULL;

	if (!mkdtemp(tmp))
		die("cannot create a temporary directory: %s", strerror(errno));
	/* a failed repeat leaves nothing behind */
	static bool registered;
	if (!registered && atexit(remove_scratch) == 0)
		registered = true;
	snprintf(scratch_dir, sizeof(scratch_dir), "%s", tmp);
	snprintf(envdir, sizeof(envdir), "%s/env", tmp);
	snprintf(results, sizeof(results), "%s/results.jsonl", tmp);
	snprintf(metrics_path, sizeof(metrics_path), "%s/run-metrics.json", tmp);
	if (mkdir(envdir, 0700) < 0 || rlp_env_materialize(store, env_commit, envdir) < 0)
		die("cannot materialize the environment: %s", rlp_error_last());
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)spec->seed);
	snprintf(epoch, sizeof(epoch), "%lld", (long long)spec->time_epoch);
	git_oid_tostr(cand, sizeof(cand), candidate);
	env_add(&e, "RLPROMOTE_SEED", seed);
	env_add(&e, "RLPROMOTE_TIME", spec->time);
	env_add(&e, "SOURCE_DATE_EPOCH", epoch);
	env_add(&e, "TZ", "UTC");
	env_add(&e, "RLPROMOTE_ENV_DIR", envdir);
	env_add(&e, "RLPROMOTE_CANDIDATE", cand);
	env_add(&e, "RLPROMOTE_RESULTS", results);
	env_add(&e, "RLPROMOTE_RUN_METRICS", metrics_path);
	env_add(&e, "RLPROMOTE_GIT_DIR", git_repository_path(store->repo));
	const char *faketime = faketime_library();
	if (faketime) {
		char when[32];
		snprintf(when, sizeof(when), "@%.10s %.8s", spec->time, spec->time + 11);
		env_add(&e, "LD_PRELOAD", faketime);
		env_add(&e, "FAKETIME", when);
	}
	char **envp = child_environment(&e);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, envdir);
	/* the command's chatter goes to stderr: stdout is ours */
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	progress_interrupt();
	fprintf(stderr, "eval run %d: %s (seed %s, clock %s%s)\n", repeat, spec->command[0], seed,
		spec->time, faketime ? ", libfaketime" : "");
	/* the bar stays up while the command runs (it may write below it) */
	progress_redraw(bar);
	int rc = posix_spawnp(&pid, spec->command[0], &fa, NULL, spec->command, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		die("cannot run '%s': %s", spec->command[0], strerror(rc));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("'%s' failed (%s %d)", spec->command[0],
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (rlp_read_file(&data, len, results, RLP_RESULTS_MAX) < 0)
		die("the command wrote no results to $RLPROMOTE_RESULTS: %s", rlp_error_last());
	*metrics = NULL;
	int error = rlp_read_file(metrics, NULL, metrics_path, 1u << 20);
	if (error < 0 && error != RLP_ENOTFOUND)
		die("%s", rlp_error_last());
	remove_scratch();
	free(envp);
	for (size_t i = 0; i < e.n; i++)
		free(e.vars[i]);
	return data;
}

/* The first line where two results differ, for the user. */
static void show_first_difference(const char *a, const char *b)
{
	size_t line = 1;
	progress_interrupt();
	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
		if (la != lb || memcmp(a, b, la)) {
			fprintf(stderr, "repeats differ at record %zu:\n  1: %.*s\n  2: %.*s\n", line,
				(int)(la > 300 ? 300 : la), a, (int)(lb > 300 ? 300 : lb), b);
			return;
		}
		a += la + (ea != NULL);
		b += lb + (eb != NULL);
		line++;
	}
	fprintf(stderr, "repeats differ in length after record %zu\n", line - 1);
}

int eval_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"env", required_argument, NULL, 'e'},
		{"candidate", required_argument, NULL, 'c'},
		{"repeat", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *env = NULL, *candidate = "HEAD";
	long repeat = 1;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': env = optarg; break;
		case 'c': candidate = optarg; break;
		case 'n':
			repeat = strtol(optarg, NULL, 10);
			if (repeat < 1 || repeat > 100)
				die("--repeat must be between 1 and 100");
			break;
		default: usage_of("eval", false);
		}
	}
	if (!env || optind != argc) {
		error("eval run needs --env");
		usage_of("eval", false);
	}
	struct rlp_store *store = open_store();
	struct rlp_run_new run;
	struct rlp_envspec *spec = NULL;
	struct rlp_run_ref ref;
	memset(&run, 0, sizeof(run));
	resolve_commit(&run.candidate, store, candidate);
	if (rlp_env_tip(&run.env_commit, &run.env_version, store, env) < 0 ||
	    rlp_env_load(&spec, NULL, store, &run.env_commit, env) < 0)
		die("%s", rlp_error_last());
	if (!spec->command || !spec->command[0])
		die("environment '%s' names no command to run", env);

	char *first = NULL, *first_summary = NULL, *first_metrics = NULL;
	size_t first_len = 0;
	int identical = 1;
	struct progress_bar bar;
	progress_start(&bar, "eval run", PROGRESS_COUNT, repeat == 1 ? "repeat" : "repeats");
	for (long r = 1; r <= repeat; r++) {
		size_t len;
		char *metrics, *sum;
		progress_update(&bar, (uint64_t)r - 1, (uint64_t)repeat);
		char *data = run_once(&len, &metrics, store, &run.env_commit, spec, &run.candidate,
				      (int)r, &bar);
		if (rlp_summary_compute(&sum, data, len, "$RLPROMOTE_RESULTS") < 0)
			die("%s", rlp_error_last());
		if (!first) {
			first = data;
			first_len = len;
			first_summary = sum;
			first_metrics = metrics;
			continue;
		}
		if (identical && (!metrics != !first_metrics ||
				  (metrics && strcmp(metrics, first_metrics)))) {
			identical = 0;
			progress_interrupt();
			fprintf(stderr, "repeats differ in their run metrics\n");
		}
		free(metrics);
		/* identical metrics: the per-tag summaries agree */
		if (identical && strcmp(sum, first_summary)) {
			identical = 0;
			show_first_difference(first, data);
		}
		free(sum);
		free(data);
	}
	progress_stop(&bar);
	struct rlp_run_metrics figures;
	rlp_run_metrics_init(&figures);
	if (first_metrics && rlp_run_metrics_parse(&figures, first_metrics, strlen(first_metrics),
						   "$RLPROMOTE_RUN_METRICS") < 0)
		die("%s", rlp_error_last());
	run.metrics = first_metrics ? &figures : NULL;
	char *artifact = candidate_artifact(store, &run.candidate);
	run.artifact_json = artifact;
	run.env_name = env;
	run.results = first;
	run.results_len = first_len;
	struct rlp_buf argv_text = RLP_BUF_INIT;
	for (size_t i = 0; spec->command[i]; i++)
		rlp_buf_printf(&argv_text, "%s%s", i ? " " : "", spec->command[i]);
	char *command = NULL;
	if (rlp_buf_detach(&command, &argv_text) < 0)
		die("out of memory");
	run.command = command;
	run.repeats = repeat;
	run.repeats_identical = repeat >= 2 ? identical : -1;
	progress_start(&bar, "summarizing results", PROGRESS_BYTES, NULL);
	run.progress = progress_of(&bar);
	if (rlp_run_record(&ref, store, &run) < 0)
		die("%s", rlp_error_last());
	progress_stop(&bar);
	printf("recorded run %s of %s on %s@%u in %s%s: %ld repeat%s, %s\n", ref.run_id,
	       short_id(&run.candidate), env, run.env_version, RLP_REF_RUNS, ref.writer, repeat,
	       repeat == 1 ? "" : "s",
	       repeat < 2 ? "reproducibility not checked" : identical ? "identical metrics"
								 : "METRICS DIFFER");
	free(command);
	free(artifact);
	rlp_run_metrics_clear(&figures);
	free(first_metrics);
	free(first);
	free(first_summary);
	rlp_envspec_free(spec);
	rlp_store_free(store);
	return identical ? 0 : RLP_EXIT_FAIL;
}
