/*
 * The gate: promotion rules applied to eval results, giving per-rule and
 * overall verdicts. Pure logic over parsed inputs; no I/O, so the git-backed
 * gate and the hooks reuse it unchanged.
 */
#ifndef RLP_GATE_H
#define RLP_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "results.h"
#include "shadow.h"

/* Ordered so that the worst of several is the largest (RULES.md). */
enum rlp_verdict { RLP_PASS = 0, RLP_INCONCLUSIVE = 1, RLP_ERROR_VERDICT = 2, RLP_FAIL = 3 };
enum rlp_outcome { RLP_GO = 0, RLP_NOGO = 1, RLP_HOLD = 2 };

/* Run-level figures (run.json, or `gate --run-metrics`): named numbers plus
 * the repeat record the `reproducible` rule reads. */
struct rlp_run_metric {
	char *name;
	double value;
};
struct rlp_run_metrics {
	struct rlp_run_metric *items;
	size_t count;
	long repeats;        /* -1 when unknown */
	int repeats_identical; /* 1, 0, or -1 when unknown */
};

/* Numbers of one evaluated unit (a rule, or one slice of it). NaN = not
 * applicable. `baseline` and `delta` are set for comparisons with a baseline. */
struct rlp_figures {
	enum rlp_verdict verdict;
	double estimate, lower, upper;
	double threshold;
	double baseline; /* the baseline's value (rate, mean, quantile) */
	double delta;    /* candidate - baseline */
	long n;          /* candidate ids (pairs for paired comparisons) */
	long n_baseline;
	char reason[160];
};

struct rlp_slice_result {
	const char *slice; /* the policy's slice name (borrowed) */
	struct rlp_figures fig;
};

/* What shadow_compare saw: the paired outcomes and the time they span. */
struct rlp_shadow_result {
	bool set;
	long wins, ties, losses;
	double first, last; /* epoch seconds of the first and last request */
	double elapsed_s;   /* last - first */
	double sd;          /* of the paired scores (1 win, 0.5 tie, 0 loss) */
	double halfwidth;   /* of the confidence sequence */
	double tuning_n;
	bool deadline;      /* max_duration had passed: the at-deadline verdict */
};

/* Reports list at most this many reward-hacking suspects per rule. */
#define RLP_GATE_MAX_SUSPECTS 20

struct rlp_rule_result {
	const struct rlp_rule *rule; /* borrowed from the policy */
	struct rlp_figures fig;      /* the rule as a whole (worst slice for slice rules) */
	const char *method;          /* "wilson", "agresti-min", ... (static string) */
	double confidence;
	bool blocking;               /* severity block */
	struct rlp_slice_result *slices;
	size_t nslices;
	/* derived.reward_hack: the candidate ids flagged in any record (the
	 * first RLP_GATE_MAX_SUSPECTS, copied) and how many there are in all */
	char **suspects;
	size_t nsuspects, suspects_total;
	struct rlp_shadow_result shadow; /* shadow_compare */
};

struct rlp_gate_result {
	enum rlp_outcome decision;
	const char *to;              /* target stage (borrowed) */
	const struct rlp_rule_result *decided_by; /* critical FAIL that decided, else NULL */
	struct rlp_rule_result *rules;
	size_t nrules;
	size_t candidate_records, candidate_ids;
	size_t baseline_records, baseline_ids; /* 0 without a baseline */
};

struct rlp_gate_input {
	const struct rlp_policy *policy;
	const char *to;                        /* target stage */
	const struct rlp_results *candidate;   /* NULL: none (a gate on shadow traffic alone) */
	const struct rlp_results *baseline;    /* NULL when none */
	const struct rlp_results_spec *spec;   /* the spec both were read with */
	const struct rlp_run_metrics *run;     /* NULL when none */
	const struct rlp_shadow_tally *shadow; /* shadow/canary traffic; NULL when none */
};

/* The tags and metrics the promotion's rules need from the records, so the
 * reader keeps nothing else. Strings are borrowed from the policy; free the
 * arrays with rlp_gate_spec_free. */
int rlp_gate_spec(struct rlp_results_spec *spec, const struct rlp_policy *policy, const char *to);
void rlp_gate_spec_free(struct rlp_results_spec *spec);

int rlp_gate_evaluate(struct rlp_gate_result **out, const struct rlp_gate_input *in);
void rlp_gate_result_free(struct rlp_gate_result *result);

/* Parse a run-metrics JSON object: numeric members become run.<name>;
 * "repeats" (integer) and "repeats_identical" (boolean) feed `reproducible`. */
int rlp_run_metrics_parse(struct rlp_run_metrics *out, const char *buf, size_t len,
			  const char *name);
/* Start empty (repeats unknown); clear frees and starts empty again. */
void rlp_run_metrics_init(struct rlp_run_metrics *run);
void rlp_run_metrics_clear(struct rlp_run_metrics *run);

const char *rlp_verdict_name(enum rlp_verdict v);   /* "PASS", ... */
const char *rlp_outcome_name(enum rlp_outcome d); /* "GO", "NO-GO", "HOLD" */

#endif
