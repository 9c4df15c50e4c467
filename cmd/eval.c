/* git rlpromote eval record|show: eval runs in git. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "error.h"
#include "evidence.h"
#include "progress_bar.h"
#include "runs.h"

static void load_metrics(struct rlp_run_metrics *m, const char *path)
{
	char *buf = NULL;
	size_t len;

	if (rlp_read_file(&buf, &len, path, 1u << 20) < 0 ||
	    rlp_run_metrics_parse(m, buf, len, path) < 0)
		die("%s", rlp_error_last());
	free(buf);
}

static int eval_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"env", required_argument, NULL, 'e'},
		{"candidate", required_argument, NULL, 'c'},
		{"run-metrics", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	const char *env = NULL, *candidate = "HEAD", *metrics_path = NULL;
	struct rlp_run_metrics metrics;
	struct rlp_run_new run;
	struct rlp_run_ref ref;
	struct rlp_store *store;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': env = optarg; break;
		case 'c': candidate = optarg; break;
		case 'r': metrics_path = optarg; break;
		default: usage_of("eval", false);
		}
	}
	if (!env || optind != argc - 1) {
		error("eval record needs --env and one results file");
		usage_of("eval", false);
	}
	memset(&run, 0, sizeof(run));
	rlp_run_metrics_init(&metrics);
	store = open_store();
	resolve_commit(&run.candidate, store, candidate);
	if (rlp_env_tip(&run.env_commit, &run.env_version, store, env) < 0)
		die("%s (git rlpromote env freeze first)", rlp_error_last());
	run.env_name = env;
	char *results = NULL;
	if (rlp_read_file(&results, &run.results_len, argv[optind], RLP_RESULTS_MAX) < 0)
		die("%s", rlp_error_last());
	run.results = results;
	run.command = "record";
	run.repeats = -1;
	run.repeats_identical = -1;
	if (metrics_path) {
		load_metrics(&metrics, metrics_path);
		run.metrics = &metrics;
		run.repeats = metrics.repeats;
		run.repeats_identical = metrics.repeats_identical;
	}
	char *artifact = candidate_artifact(store, &run.candidate);
	run.artifact_json = artifact;
	struct progress_bar bar;
	progress_start(&bar, "summarizing results", PROGRESS_BYTES, NULL);
	run.progress = progress_of(&bar);
	if (rlp_run_record(&ref, store, &run) < 0)
		die("%s", rlp_error_last());
	progress_stop(&bar);
	printf("recorded run %s of %s on %s@%u in %s%s\n", ref.run_id, short_id(&run.candidate),
	       env, run.env_version, RLP_REF_RUNS, ref.writer);
	free(artifact);
	free(results);
	rlp_run_metrics_clear(&metrics);
	rlp_store_free(store);
	return 0;
}

static int eval_show(int argc, char **argv)
{
	struct rlp_store *store;
	struct rlp_run_ref *runs = NULL;
	size_t n = 0;
	git_oid cand;

	if (argc < 2 || argc > 3) {
		error("eval show needs <candidate> [<env>]");
		usage_of("eval", false);
	}
	store = open_store();
	resolve_commit(&cand, store, argv[1]);
	if (argc == 3) {
		if (rlp_runs_find(&runs, &n, store, &cand, argv[2]) < 0)
			die("%s", rlp_error_last());
		if (!n)
			die("no runs of %s on '%s'", short_id(&cand), argv[2]);
		struct rlp_run_data d;
		if (rlp_run_load(&d, store, &runs[0]) < 0)
			die("%s", rlp_error_last());
		printf("run %s by %s (%s)\n", runs[0].run_id, runs[0].writer, short_id(&runs[0].commit));
		write_stdout(d.run_json);
		printf("\nsummary: ");
		write_stdout(d.summary);
		if (n > 1)
			printf("(%zu earlier runs)\n", n - 1);
		rlp_run_data_clear(&d);
	} else {
		die("eval show needs the env name");
	}
	free(runs);
	rlp_store_free(store);
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	check_help(argc, argv, "eval");
	if (argc < 2)
		usage_of("eval", false);
	if (!strcmp(argv[1], "record"))
		return eval_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return eval_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return eval_run(argc - 1, argv + 1);
	error("unknown eval subcommand '%s'", argv[1]);
	usage_of("eval", false);
}
