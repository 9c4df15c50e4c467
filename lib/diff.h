/*
 * Slice-by-slice comparison of two eval results (`git rlpromote diff`):
 * paired statistics on the ids both share, per slice and metric. Pure logic
 * over two parsed results, like the gate.
 *
 * For each slice (every record first, as "all", then the slices given) and
 * each metric of the spec, over the ids of the slice in A that B also has,
 * where both carry the metric (epoch-averaged values, as the gate pairs):
 *   n pairs, mean of A, mean of B, delta = mean B - mean A, and its
 *   two-sided interval at `confidence`:
 *   - binary metrics (every paired value 0 or 1): Agresti-Min with
 *     b = pairs where B succeeds and A fails, c = the reverse, and McNemar's
 *     exact two-sided p-value on (b, c);
 *   - otherwise the paired mean difference +/- z * SE (sd of the differences
 *     / sqrt(n)); no p-value.
 * A slice holds the ids carrying any of its tags (as the gate's slices).
 * Rows with no pairs are left out. Clusters are not used: the comparison is
 * descriptive, not a decision.
 */
#ifndef RLP_DIFF_H
#define RLP_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "results.h"

struct rlp_diff_row {
	const char *slice;  /* "all" or the slice's name (borrowed) */
	const char *metric; /* borrowed from the spec */
	long n;             /* pairs */
	double mean_a, mean_b, delta, lower, upper;
	bool binary;
	long b, c;          /* binary: B-only and A-only successes */
	double p_mcnemar;   /* binary: exact two-sided; NaN otherwise */
	const char *method; /* "agresti-min" or "paired-mean-se" */
};

struct rlp_diff {
	struct rlp_diff_row *rows;
	size_t nrows;
	size_t ids_a, ids_b, shared; /* distinct ids of A, of B, in both */
	double confidence;
};

struct rlp_diff_input {
	const struct rlp_results *a, *b;
	const struct rlp_results_spec *spec; /* both were read with it */
	const struct rlp_slice *slices;      /* tags must be among spec->tags to count */
	size_t nslices;
	double confidence;                   /* two-sided, in (0, 1); 0 means 0.95 */
};

/* Rows ordered by slice (all, then as given), then metric (spec order). */
int rlp_diff_compute(struct rlp_diff **out, const struct rlp_diff_input *in);
void rlp_diff_free(struct rlp_diff *diff);

#endif
