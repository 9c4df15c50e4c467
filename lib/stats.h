/*
 * Pure statistics for the gate: no I/O, no allocation unless a function says
 * so. Every routine is checked against the reference values in RULES.md and
 * cross-checked against scipy/statsmodels (tests/stats_crosscheck.py).
 *
 * Conventions: `confidence` is in (0, 1); `sided` is RLP_ONE_SIDED or
 * RLP_TWO_SIDED. A one-sided interval at confidence c puts all of alpha = 1-c
 * on the side that matters, and its (lower, upper) pair is the two one-sided
 * bounds, each at confidence c. Functions that can fail on their input return
 * -1 (and set rlp_error) or NaN, as documented.
 *
 * Invalid arguments (k < 0, k > n, confidence outside (0, 1), an unknown
 * `sided`) give NaN in every field of an interval.
 */
#ifndef RLP_STATS_H
#define RLP_STATS_H

#include <stddef.h>

enum rlp_sided { RLP_ONE_SIDED = 1, RLP_TWO_SIDED = 2 };

struct rlp_interval {
	double estimate;
	double lower;
	double upper;
};

/* Standard normal CDF, upper tail and quantile (Phi^-1, accurate to ~1e-15). */
double rlp_norm_cdf(double x);
double rlp_norm_sf(double x);
double rlp_norm_ppf(double p);

/* z for a confidence level: Phi^-1(c) one-sided, Phi^-1(1-(1-c)/2) two-sided. */
double rlp_z_for(double confidence, enum rlp_sided sided);

/* Chi-square(1 df) survival function; binomial pmf/cdf; regularized
 * incomplete beta and its inverse (for Clopper-Pearson). The incomplete
 * beta is good to ~1e-14 relative for shapes up to ~1e5; its continued
 * fraction then loses about eps*sqrt(a + b) (~1e-11 at a = b = 1e8). */
double rlp_chi2_sf_1df(double x);
double rlp_binom_pmf(long k, long n, double p);
double rlp_binom_cdf(long k, long n, double p);
double rlp_beta_inc(double a, double b, double x);
double rlp_beta_inc_inv(double a, double b, double p);

/* Binomial proportion k/n. n = 0 gives estimate NaN and the interval [0, 1].
 * k = 0 gives lower exactly 0 and k = n upper exactly 1. */
struct rlp_interval rlp_wilson(long k, long n, double confidence, enum rlp_sided sided);
struct rlp_interval rlp_clopper_pearson(long k, long n, double confidence, enum rlp_sided sided);

/* Unpaired difference p1 - p2 (k1/n1 minus k2/n2), Newcombe's hybrid score
 * interval built on Wilson intervals (method 10). n1 or n2 = 0 gives
 * estimate NaN and the interval [-1, 1]. */
struct rlp_interval rlp_newcombe(long k1, long n1, long k2, long n2, double confidence,
				 enum rlp_sided sided);

/* Paired difference of proportions, Agresti-Min: b = pairs where the first
 * (candidate) succeeds and the second fails, c = the reverse, n = all pairs.
 * The estimate is the observed difference (b - c)/n; the bounds are the
 * RULES.md formula, centred on (b - c)/(n + 2), clamped to [-1, 1]. n = 0
 * gives estimate NaN and the interval [-1, 1]. */
struct rlp_interval rlp_agresti_min(long b, long c, long n, double confidence, enum rlp_sided sided);

/* McNemar's test on discordant counts b, c. */
struct rlp_mcnemar {
	double chi2;           /* (b-c)^2/(b+c), uncorrected */
	double p;              /* chi2 p-value, uncorrected */
	double p_corrected;    /* with continuity correction (|b-c|-1)^2/(b+c) */
	double p_exact;        /* two-sided exact binomial, min(1, 2*P(X<=min(b,c))) */
	double p_exact_less;   /* one-sided exact: P(X <= b) with X ~ Bin(b+c, 1/2), i.e.
				  evidence that the first (candidate) is worse */
};
/* b = c = 0 (no discordant pairs) gives chi2 0 and every p-value 1;
 * negative counts give NaN everywhere. */
struct rlp_mcnemar rlp_mcnemar(long b, long c);

/* Mann-Whitney U for x vs y (U of x), two-sided p-values: exact when both
 * samples are small (n1*n2 <= 10000) and there are no ties, asymptotic with tie
 * correction and continuity correction otherwise. Allocates scratch memory;
 * returns -1 on allocation failure. Also returns -1 (fields NaN) when a
 * sample is empty or holds NaN; infinities are ranked like any value. */
struct rlp_mannwhitney {
	double u;
	double p_exact;      /* NaN when not computed (ties or too large) */
	double p_asymptotic; /* normal approximation, tie- and continuity-corrected */
};
int rlp_mannwhitney(struct rlp_mannwhitney *out, const double *x, size_t nx, const double *y,
		    size_t ny);

/* Hodges-Lehmann shift estimate (median of x_i - y_j) and its
 * distribution-free confidence interval (Walsh/Bauer, as R's wilcox.test with
 * conf.int=TRUE, exact=TRUE for small samples without ties). Allocates
 * scratch; returns -1 on allocation failure. With ties or more than 10000
 * pairs the bound ranks come from the tie-corrected normal approximation
 * instead. The nx*ny differences are never stored (order statistics are
 * found by bisection), so scratch is O(nx + ny). Also returns -1 (fields
 * NaN) for an empty sample, NaN/Inf values or confidence outside (0, 1). */
int rlp_hodges_lehmann(struct rlp_interval *out, const double *x, size_t nx, const double *y,
		       size_t ny, double confidence);

/* Mean, sample standard deviation (n-1), standard error sd/sqrt(n).
 * n = 0: all NaN; n = 1: sd and se NaN. */
struct rlp_moments {
	size_t n;
	double mean;
	double sd;
	double se;
};
struct rlp_moments rlp_moments(const double *x, size_t n);

/* Clustered (CR1-style as in RULES.md) standard error of the mean:
 * sqrt(C/(C-1) * sum_c (sum_{i in c}(x_i - mean))^2) / n, where cluster[i] is
 * in [0, nclusters). Returns NaN when fewer than 2 clusters hold data.
 * Allocates scratch of nclusters doubles (plus a flag byte each). Also NaN
 * when a cluster index is out of range or scratch cannot be allocated. */
double rlp_clustered_se(const double *x, const int *cluster, size_t n, size_t nclusters);

/* Multiple comparisons: adjusted p-values written to `adjusted` (may alias
 * `p`), in the input order. Allocates scratch; returns -1 on failure,
 * including any p-value outside [0, 1] or NaN (adjusted is then untouched).
 * Adjusted values are capped at 1. */
int rlp_holm(double *adjusted, const double *p, size_t n);
int rlp_benjamini_hochberg(double *adjusted, const double *p, size_t n);

/* Quantile of the sorted array x (ascending, n >= 1), Hyndman-Fan type 7
 * (numpy's default linear interpolation). q in [0, 1]. NaN when n = 0 or q
 * is outside [0, 1]. */
double rlp_quantile_sorted(const double *sorted, size_t n, double q);

/* The same type-7 quantile of an unsorted array in O(n) (quickselect); x is
 * reordered. Gives exactly rlp_quantile_sorted's value. */
double rlp_quantile_select(double *x, size_t n, double q);

/* Sort in place ascending (NaN not allowed). */
void rlp_sort_doubles(double *x, size_t n);

/* Confidence sequence half-width (Waudby-Smith et al., normal-mixture
 * boundary as in RULES.md): rho = sqrt((-2 ln a + ln(-2 ln a + 1))/N),
 * h = sd*sqrt(2(n rho^2 + 1) ln(sqrt(n rho^2 + 1)/a)/(n rho)^2). */
double rlp_cs_halfwidth(double sd, double n, double alpha, double tuning_n);

/* Sample size per RULES.md: n = (z_{1-a/2} + z_{1-b})^2 (w2 + sA2/KA + sB2/KB)/delta^2,
 * rounded up. Pass sA2 = sB2 = 0 (KA = KB = 1) for the simple case; `alpha`
 * two-sided, `power` = 1 - beta. */
double rlp_sample_size(double w2, double sA2, double KA, double sB2, double KB, double delta,
		       double alpha, double power);

/* Minimum detectable effect for n per group: the delta solving the formula above. */
double rlp_min_detectable_effect(double w2, double n, double alpha, double power);

/* Smallest n that certifies rate <= max_rate at `confidence` when 0 events are
 * seen (1 - alpha^(1/n) <= max_rate). Returns -1 (message set) when
 * max_rate or confidence is outside (0, 1) or n would not fit in a long. */
long rlp_rate_cap_n_required(double max_rate, double confidence);

#endif
