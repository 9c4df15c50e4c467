/* git rlpromote shadow record|show: shadow and canary traffic as signed runs. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "runs.h"
#include "shadow.h"

static void print_tally(const char *what, const struct rlp_shadow_tally *t)
{
	char first[40], last[40], elapsed[32];

	rlp_instant_format(first, &t->first);
	rlp_instant_format(last, &t->last);
	rlp_duration_format(elapsed, sizeof(elapsed), rlp_instant_diff(&t->last, &t->first));
	printf("%s: %ld requests (%ld wins, %ld ties, %ld losses; %ld candidate errors) in %ld "
	       "sessions, %s to %s (%s)\n", what, t->n, t->wins, t->ties, t->losses,
	       t->candidate_errors, t->sessions, first, last, elapsed);
}

/* The model on the other side, by default what the policy's last stage
 * holds (the one serving live traffic). */
static bool default_baseline(git_oid *out, struct rlp_store *store,
			     const struct rlp_policy *policy)
{
	int error = policy->nstages ? rlp_stage_candidate(out, NULL, store, policy,
							  policy->stages[policy->nstages - 1])
				    : RLP_ENOTFOUND;

	if (error < 0 && error != RLP_ENOTFOUND)
		die("%s", rlp_error_last());
	return error == 0;
}

/* The share of live traffic the candidate has now: what a rollout stage
 * that holds it gives it, else 0 (shadow only). */
static double default_share(struct rlp_store *store, const struct rlp_policy *policy,
			    const git_oid *candidate)
{
	for (size_t i = 0; i < policy->npromotions; i++) {
		const char *stage = policy->promotions[i].rollout.stage;
		struct rlp_decision d;
		char ref[512];
		git_oid tip;
		double share = 0;
		if (!stage)
			continue;
		rlp_stage_ref(ref, sizeof(ref), policy, stage);
		if (git_reference_name_to_id(&tip, store->repo, ref) < 0)
			continue;
		if (rlp_decision_load(&d, store, &tip) < 0)
			die("%s", rlp_error_last());
		if (d.kind == RLP_DECISION_PROMOTE && git_oid_equal(&d.candidate, candidate))
			share = d.traffic_share;
		rlp_decision_clear(&d);
		if (share > 0)
			return share;
	}
	return 0;
}

static int shadow_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"candidate", required_argument, NULL, 'c'},
		{"baseline", required_argument, NULL, 'b'},
		{"share", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *candidate = NULL, *baseline = NULL, *share = NULL;
	struct rlp_shadow *check = NULL;
	struct rlp_shadow_tally t;
	struct rlp_run_new run;
	struct rlp_run_ref ref;
	char *traffic = NULL;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': candidate = optarg; break;
		case 'b': baseline = optarg; break;
		case 's': share = optarg; break;
		default: usage_of("shadow", false);
		}
	}
	if (!candidate || optind != argc - 1) {
		error("shadow record needs --candidate and one traffic file");
		usage_of("shadow", false);
	}
	memset(&run, 0, sizeof(run));
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	resolve_commit(&run.candidate, store, candidate);
	if (baseline) {
		resolve_commit(&run.baseline, store, baseline);
		run.has_baseline = true;
	} else {
		run.has_baseline = default_baseline(&run.baseline, store, trusted->policy);
	}
	if (share) {
		char *end;
		run.traffic_share = strtod(share, &end);
		if (end == share || *end || !(run.traffic_share >= 0 && run.traffic_share <= 100))
			die("--share: expected a percentage from 0 to 100, got '%s'", share);
	} else {
		run.traffic_share = default_share(store, trusted->policy, &run.candidate);
	}
	if (rlp_read_file(&traffic, &run.results_len, argv[optind], RLP_RESULTS_MAX) < 0)
		die("%s", rlp_error_last());
	/* read it once here, so a bad line is named by the file it is in */
	if (rlp_shadow_new(&check) < 0 ||
	    rlp_shadow_add(check, traffic, run.results_len, argv[optind]) < 0)
		die("%s", rlp_error_last());
	rlp_shadow_get_tally(check, &t);
	rlp_shadow_free(check);
	run.results = traffic;
	run.shadow = true;
	run.command = "shadow record";
	run.repeats = -1;
	run.repeats_identical = -1;
	char *artifact = candidate_artifact(store, &run.candidate);
	run.artifact_json = artifact;
	if (rlp_run_record(&ref, store, &run) < 0)
		die("%s", rlp_error_last());
	printf("recorded shadow traffic %s of %s against %s at %g%% of the traffic in %s%s\n",
	       ref.run_id, short_id(&run.candidate),
	       run.has_baseline ? short_id(&run.baseline) : "(none)", run.traffic_share,
	       RLP_REF_RUNS, ref.writer);
	print_tally("batch", &t);
	rlp_trusted_free(trusted);
	free(artifact);
	free(traffic);
	rlp_store_free(store);
	return 0;
}

static int shadow_show(int argc, char **argv)
{
	struct rlp_run_ref *runs = NULL;
	struct rlp_shadow *all = NULL;
	struct rlp_shadow_tally t;
	size_t n = 0;
	git_oid cand;

	if (argc != 2) {
		error("shadow show needs <candidate>");
		usage_of("shadow", false);
	}
	struct rlp_store *store = open_store();
	resolve_commit(&cand, store, argv[1]);
	if (rlp_runs_find(&runs, &n, store, &cand, RLP_SHADOW_ENV) < 0 || rlp_shadow_new(&all) < 0)
		die("%s", rlp_error_last());
	if (!n)
		die("no shadow traffic of %s", short_id(&cand));
	for (size_t i = n; i-- > 0;) { /* oldest first */
		struct rlp_shadow *one = NULL;
		struct rlp_run_data d;
		char what[300];
		if (rlp_run_load(&d, store, &runs[i]) < 0 || rlp_shadow_new(&one) < 0 ||
		    rlp_shadow_add(one, d.results, d.results_len, runs[i].path) < 0 ||
		    rlp_shadow_add(all, d.results, d.results_len, runs[i].path) < 0)
			die("%s", rlp_error_last());
		rlp_shadow_get_tally(one, &t);
		snprintf(what, sizeof(what), "%s by %s against %s at %g%%", runs[i].run_id,
			 runs[i].writer, d.has_baseline ? short_id(&d.baseline) : "(none)",
			 d.traffic_share);
		print_tally(what, &t);
		rlp_shadow_free(one);
		rlp_run_data_clear(&d);
	}
	rlp_shadow_get_tally(all, &t);
	print_tally("all", &t);
	if (t.duplicates)
		printf("(%ld requests recorded twice, counted once)\n", t.duplicates);
	rlp_shadow_free(all);
	free(runs);
	rlp_store_free(store);
	return 0;
}

int cmd_shadow(int argc, char **argv)
{
	check_help(argc, argv, "shadow");
	if (argc < 2)
		usage_of("shadow", false);
	if (!strcmp(argv[1], "record"))
		return shadow_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return shadow_show(argc - 1, argv + 1);
	error("unknown shadow subcommand '%s'", argv[1]);
	usage_of("shadow", false);
}
