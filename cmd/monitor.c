/* git rlpromote monitor record|check: live windows of a stage, compared
 * with the baseline its decision names; a breach can roll the stage back. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cmd.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "json.h"
#include "monitor.h"
#include "runs.h"
#include "verify.h"

#define RLP_EXIT_UNKNOWN 2

static void stage_decision(struct rlp_decision *d, struct rlp_store *store,
			   const struct rlp_trusted *trusted, const char *stage)
{
	char ref[512];
	git_oid tip;

	if (!rlp_policy_stage_promotion(trusted->policy, stage))
		die("%s:%s has no stage '%s' to monitor", trusted->rev, RLP_POLICY_PATH, stage);
	rlp_stage_ref(ref, sizeof(ref), trusted->policy, stage);
	if (git_reference_name_to_id(&tip, store->repo, ref) < 0)
		die("stage '%s' holds no model", stage);
	if (rlp_decision_load(d, store, &tip) < 0)
		die("%s", rlp_error_last());
}

static int monitor_record(int argc, char **argv)
{
	struct rlp_window *w = NULL;
	struct rlp_decision d;
	struct rlp_run_new run;
	struct rlp_run_ref ref;
	char *window = NULL;

	if (argc != 3) {
		error("monitor record needs <stage> and one window file");
		usage_of("monitor", false);
	}
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	stage_decision(&d, store, trusted, argv[1]);
	memset(&run, 0, sizeof(run));
	git_oid_cpy(&run.candidate, &d.candidate);
	if (rlp_read_file(&window, &run.results_len, argv[2], RLP_RESULTS_MAX) < 0 ||
	    rlp_window_new(&w) < 0 || rlp_window_add(w, window, run.results_len, argv[2]) < 0)
		die("%s", rlp_error_last());
	run.results = window;
	run.monitor = true;
	run.stage = argv[1];
	run.command = "monitor record";
	run.repeats = -1;
	run.repeats_identical = -1;
	if (rlp_run_record(&ref, store, &run) < 0)
		die("%s", rlp_error_last());
	printf("recorded live window %s of %s on %s (%zu requests) in %s%s\n", ref.run_id,
	       short_id(&run.candidate), argv[1], rlp_window_requests(w), RLP_REF_RUNS, ref.writer);
	rlp_window_free(w);
	free(window);
	rlp_decision_clear(&d);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return 0;
}

/* When a run was recorded: its id starts with the UTC time, 20260302T101500. */
static time_t run_time(const char *run_id)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(run_id, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* The newest window of `candidate` on `stage` recorded by an eval signer,
 * not before `since` (a window of an earlier time on the stage is not
 * this decision's). */
static bool newest_window(struct rlp_window **out, struct rlp_run_ref *which,
			  struct rlp_store *store, const struct rlp_trusted *trusted,
			  const git_oid *candidate, const char *stage, time_t since)
{
	struct rlp_run_ref *runs = NULL;
	size_t n = 0;
	bool found = false;

	*out = NULL;
	if (rlp_runs_find(&runs, &n, store, candidate, RLP_MONITOR_ENV) < 0)
		die("%s", rlp_error_last());
	for (size_t i = 0; i < n && !found && run_time(runs[i].run_id) >= since; i++) {
		struct rlp_verified who; /* newest first */
		struct rlp_run_data d;
		if (rlp_run_load(&d, store, &runs[i]) < 0)
			die("%s", rlp_error_last());
		if (!strcmp(d.stage, stage) &&
		    rlp_sign_verify_commit(&who, store->repo, &runs[i].commit, &trusted->trust,
					   time(NULL)) == 0 &&
		    rlp_trusted_has_role(trusted, RLP_ROLE_EVAL, who.principal)) {
			if (rlp_window_new(out) < 0 ||
			    rlp_window_add(*out, d.results, d.results_len, runs[i].path) < 0)
				die("%s", rlp_error_last());
			*which = runs[i];
			found = true;
		}
		rlp_run_data_clear(&d);
	}
	free(runs);
	return found;
}

static void print_checks(const struct rlp_monitor_result *res)
{
	printf("%-12s %-7s %-12s %-12s %-9s %s\n", "CHECK", "STATE", "LIVE", "BASELINE", "N", "REASON");
	for (int i = 0; i < RLP_MONITOR_CHECKS; i++) {
		const struct rlp_monitor_check *c = &res->checks[i];
		char live[32] = "-", base[32] = "-", n[40];
		if (c->state != RLP_MONITOR_UNKNOWN && strcmp(c->name, "actions")) {
			snprintf(live, sizeof(live), "%.4g", c->live);
			snprintf(base, sizeof(base), "%.4g", c->baseline);
		}
		snprintf(n, sizeof(n), "%ld/%ld", c->n_live, c->n_baseline);
		printf("%-12s %-7s %-12s %-12s %-9s %s\n", c->name, rlp_monitor_state_name(c->state),
		       live, base, n, c->reason);
	}
}

static char *breach_reason(const struct rlp_monitor_result *res, const char *stage)
{
	struct rlp_buf b = RLP_BUF_INIT;
	char *out = NULL;

	rlp_buf_printf(&b, "monitor breach on %s:", stage);
	for (int i = 0; i < RLP_MONITOR_CHECKS; i++)
		if (res->checks[i].state == RLP_MONITOR_BREACH)
			rlp_buf_printf(&b, " %s: %s;", res->checks[i].name, res->checks[i].reason);
	if (rlp_buf_detach(&out, &b) < 0)
		die("out of memory");
	out[strlen(out) - 1] = '\0'; /* the last ';' */
	return out;
}

static void print_json(const char *stage, const struct rlp_decision *d,
		       const struct rlp_run_ref *live, const struct rlp_run_ref *base,
		       const struct rlp_monitor_result *res, const struct rlp_decision *rollback)
{
	struct rlp_json *o = rlp_json_new_object(), *checks;
	char hex[GIT_OID_HEXSZ + 1];
	char *text;

	rlp_json_add_string(o, "stage", stage);
	rlp_json_add_string(o, "candidate", git_oid_tostr(hex, sizeof(hex), &d->candidate));
	rlp_json_add_string(o, "baseline", git_oid_tostr(hex, sizeof(hex), &d->baseline));
	rlp_json_add_string(o, "live_window", live->path);
	rlp_json_add_string(o, "baseline_window", base->path);
	rlp_json_add_bool(o, "breach", res->breach);
	checks = rlp_json_add_array(o, "checks");
	for (int i = 0; i < RLP_MONITOR_CHECKS; i++) {
		const struct rlp_monitor_check *c = &res->checks[i];
		struct rlp_json *x = rlp_json_push_object(checks);
		rlp_json_add_string(x, "name", c->name);
		rlp_json_add_string(x, "state", c->state == RLP_MONITOR_OK	   ? "ok"
						: c->state == RLP_MONITOR_BREACH ? "breach"
										 : "unknown");
		rlp_json_add_number(x, "live", c->live);
		rlp_json_add_number(x, "baseline", c->baseline);
		rlp_json_add_number(x, "statistic", c->statistic);
		rlp_json_add_number(x, "threshold", c->threshold);
		if (!strcmp(c->name, "actions"))
			rlp_json_add_number(x, "psi", c->extra);
		rlp_json_add_number(x, "n_live", (double)c->n_live);
		rlp_json_add_number(x, "n_baseline", (double)c->n_baseline);
		rlp_json_add_string(x, "reason", c->reason);
	}
	if (rollback)
		rlp_json_add_string(o, "rollback", git_oid_tostr(hex, sizeof(hex), &rollback->commit));
	else
		rlp_json_add_null(o, "rollback");
	if (!(text = rlp_json_print(o, true)))
		die("out of memory");
	printf("%s\n", text);
	free(text);
	rlp_json_free(o);
}

static int monitor_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rollback", no_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct rlp_window *live = NULL, *base = NULL;
	struct rlp_run_ref live_ref, base_ref;
	struct rlp_monitor_result res;
	struct rlp_decision d, rb;
	bool rollback = false, json = false, rolled = false;
	int c, code;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': rollback = true; break;
		case 'j': json = true; break;
		default: usage_of("monitor", false);
		}
	}
	if (optind != argc - 1) {
		error("monitor check needs <stage>");
		usage_of("monitor", false);
	}
	const char *stage = argv[optind];
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	const struct rlp_monitor_policy *mp = &trusted->policy->monitor;
	struct rlp_monitor_config cfg = {mp->alpha, mp->max_error_increase, mp->max_latency_ratio,
					 mp->max_action_tv, mp->min_n};

	stage_decision(&d, store, trusted, stage);
	if (rlp_verify_decision_signer(store, trusted, &d, time(NULL)) < 0)
		die("stage '%s': decision %s does not verify: %s", stage, short_id(&d.commit),
		    rlp_error_last());
	if (!d.has_baseline) {
		fprintf(stderr, "rlpromote: stage '%s': decision %s names no baseline to compare "
				"with\n", stage, short_id(&d.commit));
		code = RLP_EXIT_UNKNOWN;
		goto done;
	}
	if (!newest_window(&live, &live_ref, store, trusted, &d.candidate, stage, (time_t)d.time) ||
	    !newest_window(&base, &base_ref, store, trusted, &d.baseline, stage, 0)) {
		fprintf(stderr, "rlpromote: stage '%s': no live window of %s %s (monitor record)\n",
			stage, live ? "the baseline" : "the candidate",
			short_id(live ? &d.baseline : &d.candidate));
		code = RLP_EXIT_UNKNOWN;
		goto done;
	}
	if (rlp_monitor_compare(&res, live, base, &cfg) < 0)
		die("%s", rlp_error_last());
	if (res.breach && rollback) {
		char *reason = breach_reason(&res, stage);
		if (rlp_rollback(&rb, store, trusted, stage, NULL, reason) < 0)
			die("cannot roll back: %s", rlp_error_last());
		free(reason);
		rolled = true;
	}
	if (json) {
		print_json(stage, &d, &live_ref, &base_ref, &res, rolled ? &rb : NULL);
	} else {
		printf("%s  %s %s on %s against baseline %s\n\n",
		       res.breach ? "BREACH" : res.decided ? "OK" : "UNKNOWN", trusted->policy->model,
		       short_id(&d.candidate), stage, short_id(&d.baseline));
		print_checks(&res);
		if (rolled)
			printf("\n%s: rollback to %s, decision %s\n", stage, short_id(&rb.candidate),
			       short_id(&rb.commit));
	}
	code = res.breach ? RLP_EXIT_FAIL : res.decided ? RLP_EXIT_OK : RLP_EXIT_UNKNOWN;
	if (rolled)
		rlp_decision_clear(&rb);
done:
	rlp_window_free(live);
	rlp_window_free(base);
	rlp_decision_clear(&d);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return code;
}

int cmd_monitor(int argc, char **argv)
{
	check_help(argc, argv, "monitor");
	if (argc < 2)
		usage_of("monitor", false);
	if (!strcmp(argv[1], "record"))
		return monitor_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return monitor_check(argc - 1, argv + 1);
	error("unknown monitor subcommand '%s'", argv[1]);
	usage_of("monitor", false);
}
