/* git rlpromote gate: the gate on result files (the git-backed form, with a
 * candidate revision, reuses the same engine). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "error.h"
#include "evidence.h"
#include "gate.h"
#include "json.h"
#include "policy.h"
#include "report_format.h"
#include "results.h"

#define RLP_EXIT_HOLD 2
#define RUN_METRICS_MAX (1u << 20)

struct gate_opts {
	const char *policy, *to, *candidate, *baseline, *run_metrics;
	const char *shadow;   /* a shadow traffic file, for shadow_compare */
	const char *revision; /* git mode: the candidate commit */
	const char *policy_rev;
	const char *html_url; /* linked from the markdown report */
	enum report_format format;
};

static void parse_options(struct gate_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"to", required_argument, NULL, 't'},
		{"candidate-results", required_argument, NULL, 'c'},
		{"baseline-results", required_argument, NULL, 'b'},
		{"run-metrics", required_argument, NULL, 'r'},
		{"format", required_argument, NULL, 'f'},
		{"policy-rev", required_argument, NULL, 'P'},
		{"html-url", required_argument, NULL, 'u'},
		{"shadow-results", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	check_help(argc, argv, "gate");
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->policy = optarg; break;
		case 't': o->to = optarg; break;
		case 'c': o->candidate = optarg; break;
		case 'b': o->baseline = optarg; break;
		case 'r': o->run_metrics = optarg; break;
		case 'P': o->policy_rev = optarg; break;
		case 'u': o->html_url = optarg; break;
		case 'S': o->shadow = optarg; break;
		case 'f':
			if (report_format_parse(&o->format, optarg) < 0 || o->format == REPORT_HTML) {
				error("unknown format '%s' (text, json or markdown)", optarg);
				usage_of("gate", false);
			}
			break;
		default:
			usage_of("gate", false);
		}
	}
	if (o->html_url)
		check_html_url(o->html_url);
	if (optind < argc)
		o->revision = argv[optind++];
	if (optind < argc) {
		error("unexpected argument '%s'", argv[optind]);
		usage_of("gate", false);
	}
	if (o->revision) {
		if (!o->to || o->candidate || o->baseline || o->run_metrics || o->policy || o->shadow) {
			error("gate <candidate> takes --to and finds its evidence in git");
			usage_of("gate", false);
		}
		return;
	}
	if (!o->policy || !o->to || (!o->candidate && !o->shadow)) {
		error("--policy, --to and --candidate-results (or --shadow-results) are required");
		usage_of("gate", false);
	}
	if (o->baseline && !o->candidate) {
		error("--baseline-results needs --candidate-results");
		usage_of("gate", false);
	}
}

static void load_run_metrics(struct rlp_run_metrics *run, const char *path)
{
	char *buf;
	size_t len;

	if (rlp_read_file(&buf, &len, path, RUN_METRICS_MAX) < 0)
		die("%s", rlp_error_last());
	if (rlp_run_metrics_parse(run, buf, len, path) < 0) {
		free(buf);
		die("%s", rlp_error_last());
	}
	free(buf);
}

static char *render(const struct gate_opts *o, const struct rlp_gate_result *res,
		    struct rlp_report_meta *meta)
{
	meta->html_url = o->html_url;
	return report_render(o->format, res, meta, want_color(stdout));
}

static int exit_code_of(const struct rlp_gate_result *res)
{
	return res->decision == RLP_GO ? 0 : res->decision == RLP_NOGO ? 1 : RLP_EXIT_HOLD;
}

static void read_shadow(struct rlp_shadow_tally *t, const char *path)
{
	struct rlp_shadow *s = NULL;
	char *buf = NULL;
	size_t len;

	if (rlp_read_file(&buf, &len, path, RLP_RESULTS_MAX) < 0 || rlp_shadow_new(&s) < 0 ||
	    rlp_shadow_add(s, buf, len, path) < 0)
		die("%s", rlp_error_last());
	rlp_shadow_get_tally(s, t);
	rlp_shadow_free(s);
	free(buf);
}

/* gate <candidate> --to <stage>: the evidence in git, the trusted policy. */
static int gate_revision(const struct gate_opts *o)
{
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, o->policy_rev);
	struct rlp_evidence ev;
	git_oid cand;
	char policy_name[512];
	int code;

	resolve_commit(&cand, store, o->revision);
	if (rlp_evidence_gate_trusted(&ev, store, trusted, &cand, o->to) < 0)
		die("%s", rlp_error_last());
	if (ev.problem[0])
		warning("%s", ev.problem);
	snprintf(policy_name, sizeof(policy_name), "%s:%s", trusted->rev, RLP_POLICY_PATH);
	struct rlp_report_meta meta = {
		.policy = trusted->policy, .policy_name = policy_name,
		.candidate = ev.has_cand_run ? ev.cand_run.path : "shadow traffic",
		.baseline = ev.has_base_run ? ev.base_run.path : NULL,
	};
	char *text = render(o, ev.result, &meta);
	if (!text)
		die("cannot render the report: %s", rlp_error_last());
	write_stdout(text);
	free(text);
	code = exit_code_of(ev.result);
	rlp_evidence_clear(&ev);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return code;
}

int cmd_gate(int argc, char **argv)
{
	struct gate_opts o;
	struct rlp_policy *policy = NULL;
	struct rlp_results_spec spec;
	struct rlp_results *results[2] = {NULL, NULL};
	struct rlp_run_metrics run;
	struct rlp_gate_result *res = NULL;
	const struct rlp_promotion *promotion;
	const char *paths[2];
	char *text;
	int exit_code;

	parse_options(&o, argc, argv);
	if (o.revision)
		return gate_revision(&o);
	if (rlp_policy_load(&policy, o.policy) < 0)
		die("%s", rlp_error_last());
	if (!(promotion = rlp_policy_promotion(policy, o.to)))
		die("%s: no promotion to stage '%s'", o.policy, o.to);
	if (promotion->baseline && !o.baseline && o.candidate)
		warning("no --baseline-results: rules comparing with stage '%s' cannot decide",
			promotion->baseline);
	if (rlp_gate_spec(&spec, policy, o.to) < 0)
		die("%s", rlp_error_last());
	rlp_run_metrics_init(&run);
	if (o.run_metrics)
		load_run_metrics(&run, o.run_metrics);

	paths[0] = o.candidate;
	paths[1] = o.baseline;
	if (o.candidate && rlp_results_read_files(results, paths, o.baseline ? 2 : 1, &spec) < 0)
		die("%s", rlp_error_last());
	struct rlp_shadow_tally tally;
	if (o.shadow)
		read_shadow(&tally, o.shadow);

	struct rlp_gate_input in = {
		.policy = policy, .to = o.to, .candidate = results[0], .baseline = results[1],
		.spec = &spec, .run = o.run_metrics ? &run : NULL, .shadow = o.shadow ? &tally : NULL,
	};
	if (rlp_gate_evaluate(&res, &in) < 0)
		die("gate: %s", rlp_error_last());
	struct rlp_report_meta meta = {
		.policy = policy, .policy_name = o.policy,
		.candidate = o.candidate ? o.candidate : o.shadow, .baseline = o.baseline,
	};
	if (!(text = render(&o, res, &meta)))
		die("cannot render the report: %s", rlp_error_last());
	write_stdout(text);
	free(text);

	exit_code = exit_code_of(res);
	rlp_gate_result_free(res);
	rlp_results_free(results[0]);
	rlp_results_free(results[1]);
	rlp_run_metrics_clear(&run);
	rlp_gate_spec_free(&spec);
	rlp_policy_free(policy);
	return exit_code;
}
