/* git rlpromote promote|rollback: signed decisions on stage refs. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "report.h"

static void print_decision(const struct rlp_decision *d)
{
	printf("%s: %s %s to %s (%s) by %s, decision %s\n", d->stage, rlp_decision_kind_name(d->kind),
	       short_id(&d->candidate), d->stage, d->verdict, d->actor, short_id(&d->commit));
}

int cmd_promote(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},
		{"override", no_argument, NULL, 'o'},
		{"reason", required_argument, NULL, 'r'},
		{"policy-rev", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	const char *to = NULL, *reason = NULL, *policy_rev = NULL;
	bool override = false;
	struct rlp_evidence ev;
	struct rlp_decision d;
	git_oid cand;
	int c, err;

	check_help(argc, argv, "promote");
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'o': override = true; break;
		case 'r': reason = optarg; break;
		case 'p': policy_rev = optarg; break;
		default: usage_of("promote", false);
		}
	}
	if (!to || optind != argc - 1) {
		error("promote needs <candidate> and --to <stage>");
		usage_of("promote", false);
	}
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, policy_rev);
	resolve_commit(&cand, store, argv[optind]);
	if (!rlp_policy_promotion(trusted->policy, to))
		die("%s:%s has no promotion to stage '%s'", trusted->rev, RLP_POLICY_PATH, to);
	err = rlp_evidence_gate_trusted(&ev, store, trusted, &cand, to);
	if (err < 0 && err != RLP_ENOTFOUND)
		die("%s", rlp_error_last());
	if (err == RLP_ENOTFOUND)
		warning("%s", rlp_error_last()); /* no evidence: only an override can proceed */
	if (ev.result && ev.result->decision != RLP_GO) {
		char *text = NULL;
		struct rlp_report_meta meta = {
			.policy = trusted->policy, .policy_name = RLP_POLICY_PATH,
			.candidate = ev.has_cand_run ? ev.cand_run.path : "shadow traffic",
			.baseline = ev.has_base_run ? ev.base_run.path : NULL,
		};
		if (rlp_report_text(&text, ev.result, &meta, want_color(stderr)) == 0)
			fputs(text, stderr);
		free(text);
	}
	struct rlp_decide_opts opts = {
		.kind = override ? RLP_DECISION_OVERRIDE : RLP_DECISION_PROMOTE,
		.reason = reason, .trusted = trusted,
	};
	err = rlp_decide(&d, store, &ev, &opts);
	if (err < 0) {
		fprintf(stderr, "rlpromote: %s\n", rlp_error_last());
		rlp_evidence_clear(&ev);
		rlp_trusted_free(trusted);
		rlp_store_free(store);
		return err == RLP_ECONFLICT || err == RLP_EINVALID ? RLP_EXIT_FAIL : RLP_EXIT_FATAL;
	}
	print_decision(&d);
	rlp_decision_clear(&d);
	rlp_evidence_clear(&ev);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return 0;
}

int cmd_rollback(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},
		{"reason", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	const char *to = NULL, *reason = NULL;
	struct rlp_decision d;
	git_oid target;
	int c;

	check_help(argc, argv, "rollback");
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'r': reason = optarg; break;
		default: usage_of("rollback", false);
		}
	}
	if (optind != argc - 1 || !reason) {
		error("rollback needs <stage> and --reason");
		usage_of("rollback", false);
	}
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	if (to)
		resolve_commit(&target, store, to);
	if (rlp_rollback(&d, store, trusted, argv[optind], to ? &target : NULL, reason) < 0) {
		fprintf(stderr, "rlpromote: %s\n", rlp_error_last());
		rlp_trusted_free(trusted);
		rlp_store_free(store);
		return RLP_EXIT_FAIL;
	}
	print_decision(&d);
	rlp_decision_clear(&d);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return 0;
}
