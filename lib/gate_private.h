/* Internals shared by gate.c (framework) and gate_rules.c (one evaluator per
 * rule kind). Not installed, not used outside lib/. */
#ifndef RLP_GATE_PRIVATE_H
#define RLP_GATE_PRIVATE_H

#include <stdint.h>

#include "gate.h"
#include "stats.h"

/* The ids of one side that belong to a slice (or to every slice: all).
 * 32-bit indices: a million-record gate keeps these for 20 slices a side. */
struct gate_members {
	uint32_t *idx;
	size_t n;
};

/* One side's per-id values of a metric within a set of ids. */
struct gate_sample {
	double *x;
	int *cluster;     /* NULL unless the results carry clusters */
	size_t n;
	size_t nclusters; /* distinct clusters in this sample (ids without one count alone) */
	bool binary;      /* every value exactly 0 or 1 */
};

struct gate_ctx {
	const struct rlp_gate_input *in;
	const struct rlp_promotion *promotion;
	struct gate_members cand_all, base_all;
	struct gate_members *cand_slice, *base_slice; /* per policy slice */
	int32_t *base_of; /* candidate index -> baseline index or -1; NULL without baseline */
};

/* What a rule evaluates: one slice (slice >= 0) or every record (-1). */
struct gate_unit {
	long slice;
	const struct gate_members *cand, *base; /* base NULL without baseline */
};

long gate_metric_index(const struct gate_ctx *ctx, const char *metric);
/* derived.alignment_tax: a difference the gate computes from two scores. */
bool gate_is_alignment_tax(const struct rlp_rule *rule);
int gate_sample_collect(struct gate_sample *s, const struct rlp_results *r,
			const struct gate_members *members, long metric);
void gate_sample_free(struct gate_sample *s);

/* Mean (or proportion) with its interval; on insufficient data sets fig's
 * verdict INCONCLUSIVE with a reason and returns 1; 0 when the interval is set. */
int gate_mean_interval(struct rlp_figures *fig, const char **method, const struct gate_sample *s,
		       double confidence, int sided);

/* Candidate minus baseline on a unit, paired or not as the rule and data say. */
struct gate_diff {
	struct rlp_interval iv;
	double cand, base; /* means of the compared values */
	long n, n_base;
	double se;
	bool paired, binary;
	long b, c;         /* discordant pairs (binary, paired) */
	const char *method;
};
int gate_compare(struct gate_diff *d, struct rlp_figures *fig, const struct gate_ctx *ctx,
		 const struct rlp_rule *rule, const struct gate_unit *unit, long metric);

/* Data the rule needs is absent: apply on_missing. */
void gate_missing(struct rlp_figures *fig, const struct rlp_rule *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gate_reason(struct rlp_figures *fig, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gate_figures_init(struct rlp_figures *fig);

const struct rlp_run_metric *gate_run_metric(const struct gate_ctx *ctx, const char *name);

/* What a rule evaluates over: its slices, or every record (gate_rules.c). */
struct unit_list {
	struct gate_unit *units;
	size_t n;
	bool sliced; /* the rule reports per slice */
};
int gate_units_for(struct unit_list *ul, const struct gate_ctx *ctx, const struct rlp_rule *rule,
		   bool default_all_slices);
const char *gate_unit_name(const struct gate_ctx *ctx, const struct gate_unit *u);
/* The candidate's sample of the rule's metric on a unit, or a missing-data
 * verdict in fig (returns 1). */
int gate_candidate_sample(struct gate_sample *s, struct rlp_figures *fig,
			  const struct gate_ctx *ctx, const struct rlp_rule *rule,
			  const struct gate_unit *unit, long metric);
bool gate_need_baseline(struct rlp_figures *fig, const struct gate_ctx *ctx,
			const struct rlp_rule *rule);
/* "in [0.9, 1]", "<= 0.2" or ">= 0.9": the range as the policy wrote it. */
const char *gate_range_text(char *buf, size_t size, double lo, double hi);

/* RL parts (gate_rl.c). */
/* The alignment tax's per-id differences on a unit, or a missing-data verdict (1). */
int gate_alignment_sample(struct gate_sample *s, struct rlp_figures *fig,
			  const struct gate_ctx *ctx, const struct rlp_rule *rule,
			  const struct gate_unit *unit);
int gate_alignment_reason(struct rlp_figures *fig, const struct gate_ctx *ctx,
			  const struct gate_unit *unit);
void gate_evaluate_shadow(struct rlp_rule_result *res, const struct gate_ctx *ctx);
int gate_collect_suspects(struct rlp_rule_result *res, const struct gate_ctx *ctx);

/* One evaluator per kind; each fills res->fig (and res->slices for slice rules). */
int gate_rule_evaluate(struct rlp_rule_result *res, const struct gate_ctx *ctx);

#endif
