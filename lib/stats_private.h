/* Internals shared by stats.c (intervals, tests, planning), stats_dist.c
 * (distributions) and stats_rank.c (rank statistics, quantiles). Not
 * installed, not used outside lib/. */
#ifndef RLP_STATS_PRIVATE_H
#define RLP_STATS_PRIVATE_H

#include "stats.h"

#include <stddef.h>

/* A value and its original position, so a sort can report where each came from. */
struct stats_keyed {
	double value;
	size_t index;
};

/* qsort order for struct stats_keyed: by value, ties by position. */
int stats_compare_keyed(const void *pa, const void *pb);

/* The alpha spent on each bound of an interval; NaN for an invalid
 * confidence or `sided`. */
double stats_tail_alpha(double confidence, enum rlp_sided sided);

/* x with I_x(a, b) = p, given q = 1 - p exactly so a target near 1 is not
 * rounded; the upper Clopper-Pearson bound needs it. */
double stats_beta_inc_inv_pq(double a, double b, double p, double q);

/* An interval with every field NaN: the result for invalid arguments. */
struct rlp_interval stats_interval_nan(void);

#endif
