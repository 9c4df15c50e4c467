/*
 * Gate statistics: intervals for proportions and their differences,
 * McNemar, moments and clustered standard errors, multiple-comparison
 * adjustments and planning. Distributions are in stats_dist.c, rank
 * statistics and quantiles in stats_rank.c. Formulas follow RULES.md; where
 * a reference implementation exists (scipy, statsmodels, R) the conventions
 * match it so tests/stats_crosscheck.py can compare to ~1e-9.
 */
#include "stats.h"
#include "stats_private.h"

#include "error.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

/* ---- proportions ------------------------------------------------------ */

struct rlp_interval stats_interval_nan(void)
{
	struct rlp_interval iv = { NAN, NAN, NAN };

	return iv;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int valid_count(long k, long n)
{
	return n >= 0 && k >= 0 && k <= n;
}

struct rlp_interval rlp_wilson(long k, long n, double confidence, enum rlp_sided sided)
{
	struct rlp_interval iv = { NAN, 0, 1 };
	double z = rlp_z_for(confidence, sided), z2, nn, p, denom, centre, half;

	if (!valid_count(k, n) || isnan(z))
		return stats_interval_nan();
	if (n == 0)
		return iv;
	nn = (double)n;
	p = (double)k / nn;
	z2 = z * z;
	denom = 1 + z2 / nn;
	centre = (p + z2 / (2 * nn)) / denom;
	half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
	iv.estimate = p;
	/* The formula gives 0 and 1 only up to rounding at the extremes. */
	iv.lower = k == 0 ? 0 : clamp(centre - half, 0, 1);
	iv.upper = k == n ? 1 : clamp(centre + half, 0, 1);
	return iv;
}

/* Exact (Clopper-Pearson): the bounds are beta quantiles; each bound spends
 * the tail alpha of its side. For k = 0 the upper bound reduces to
 * 1 - tail^(1/n). */
struct rlp_interval rlp_clopper_pearson(long k, long n, double confidence, enum rlp_sided sided)
{
	struct rlp_interval iv = { NAN, 0, 1 };
	double tail = stats_tail_alpha(confidence, sided);

	if (!valid_count(k, n) || isnan(tail))
		return stats_interval_nan();
	if (n == 0)
		return iv;
	iv.estimate = (double)k / (double)n;
	if (k > 0)
		iv.lower = rlp_beta_inc_inv((double)k, (double)(n - k) + 1, tail);
	if (k < n)
		iv.upper = stats_beta_inc_inv_pq((double)k + 1, (double)(n - k), 1 - tail, tail);
	return iv;
}

/* Newcombe (1998) method 10: the two Wilson intervals combined in
 * quadrature, each side using the errors that push the difference that way. */
struct rlp_interval rlp_newcombe(long k1, long n1, long k2, long n2, double confidence,
				 enum rlp_sided sided)
{
	struct rlp_interval iv = { NAN, -1, 1 }, w1, w2;
	double d;

	if (!valid_count(k1, n1) || !valid_count(k2, n2) || isnan(stats_tail_alpha(confidence, sided)))
		return stats_interval_nan();
	if (n1 == 0 || n2 == 0)
		return iv;
	w1 = rlp_wilson(k1, n1, confidence, sided);
	w2 = rlp_wilson(k2, n2, confidence, sided);
	d = w1.estimate - w2.estimate;
	iv.estimate = d;
	iv.lower = clamp(d - hypot(w1.estimate - w1.lower, w2.upper - w2.estimate), -1, 1);
	iv.upper = clamp(d + hypot(w1.upper - w1.estimate, w2.estimate - w2.lower), -1, 1);
	return iv;
}

/* Agresti-Min (2005) paired interval, exactly as RULES.md writes it: the
 * Wald interval after adding one pair of each discordant kind. The estimate
 * reported is the plain observed difference (b - c)/n. */
struct rlp_interval rlp_agresti_min(long b, long c, long n, double confidence, enum rlp_sided sided)
{
	struct rlp_interval iv = { NAN, -1, 1 };
	double z = rlp_z_for(confidence, sided), m, diff, centre, half;

	if (b < 0 || c < 0 || n < 0 || b > n - c || isnan(z))
		return stats_interval_nan();
	if (n == 0)
		return iv;
	m = (double)n + 2;
	diff = (double)b - (double)c;
	centre = diff / m;
	half = z * sqrt((double)b + (double)c + 1 - diff * diff / m) / m;
	iv.estimate = diff / (double)n;
	iv.lower = clamp(centre - half, -1, 1);
	iv.upper = clamp(centre + half, -1, 1);
	return iv;
}

struct rlp_mcnemar rlp_mcnemar(long b, long c)
{
	struct rlp_mcnemar r = { NAN, NAN, NAN, NAN, NAN };
	double diff = (double)b - (double)c, sum = (double)b + (double)c;

	if (b < 0 || c < 0 || b > LONG_MAX - c)
		return r;
	if (b + c == 0) {
		/* No discordant pairs: no evidence either way. */
		r.chi2 = 0;
		r.p = r.p_corrected = r.p_exact = r.p_exact_less = 1;
		return r;
	}
	r.chi2 = diff * diff / sum;
	r.p = rlp_chi2_sf_1df(r.chi2);
	/* Not clamped at 0 when b = c, like R's mcnemar.test and statsmodels. */
	r.p_corrected = rlp_chi2_sf_1df((fabs(diff) - 1) * (fabs(diff) - 1) / sum);
	r.p_exact = fmin(1, 2 * rlp_binom_cdf(b < c ? b : c, b + c, 0.5));
	r.p_exact_less = rlp_binom_cdf(b, b + c, 0.5);
	return r;
}

/* ---- means and standard errors ---------------------------------------- */

/* Two passes: the deviations are summed around the computed mean, which
 * keeps the variance accurate when the mean is large. */
struct rlp_moments rlp_moments(const double *x, size_t n)
{
	struct rlp_moments m = { n, NAN, NAN, NAN };
	double sum = 0, ss = 0, dev;
	size_t i;

	if (n == 0)
		return m;
	for (i = 0; i < n; i++)
		sum += x[i];
	m.mean = sum / (double)n;
	if (n < 2)
		return m;
	for (i = 0; i < n; i++) {
		dev = x[i] - m.mean;
		ss += dev * dev;
	}
	m.sd = sqrt(ss / (double)(n - 1));
	m.se = m.sd / sqrt((double)n);
	return m;
}

double rlp_clustered_se(const double *x, const int *cluster, size_t n, size_t nclusters)
{
	double *sums = NULL, mean, ss = 0, result = NAN;
	unsigned char *seen = NULL;
	size_t i, used = 0;

	if (n == 0 || nclusters < 2)
		return NAN;
	sums = calloc(nclusters, sizeof(*sums));
	seen = calloc(nclusters, 1);
	if (!sums || !seen)
		goto done;
	mean = rlp_moments(x, n).mean;
	for (i = 0; i < n; i++) {
		if (cluster[i] < 0 || (size_t)cluster[i] >= nclusters)
			goto done;
		sums[cluster[i]] += x[i] - mean;
		seen[cluster[i]] = 1;
	}
	for (i = 0; i < nclusters; i++) {
		used += seen[i];
		ss += sums[i] * sums[i];
	}
	if (used >= 2)
		result = sqrt((double)used / (double)(used - 1) * ss) / (double)n;
done:
	free(sums);
	free(seen);
	return result;
}

/* ---- multiple comparisons --------------------------------------------- */

/* The p-values in ascending order with their positions; validates them. */
static struct stats_keyed *sorted_pvalues(const double *p, size_t n)
{
	struct stats_keyed *order;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(p[i] >= 0 && p[i] <= 1)) {
			rlp_error_set(RLP_ERROR, "p-value %zu (%g) is not in [0, 1]", i + 1, p[i]);
			return NULL;
		}
	}
	order = malloc((n ? n : 1) * sizeof(*order));
	if (!order) {
		rlp_error_set(RLP_ERROR, "out of memory sorting %zu p-values", n);
		return NULL;
	}
	for (i = 0; i < n; i++)
		order[i] = (struct stats_keyed){ p[i], i };
	qsort(order, n, sizeof(*order), stats_compare_keyed);
	return order;
}

/* Step-down: the i-th smallest is scaled by (n - i), then made monotone
 * by a running maximum. */
int rlp_holm(double *adjusted, const double *p, size_t n)
{
	struct stats_keyed *order = sorted_pvalues(p, n);
	double running = 0;
	size_t i;

	if (!order)
		return -1;
	for (i = 0; i < n; i++) {
		running = fmax(running, (double)(n - i) * order[i].value);
		adjusted[order[i].index] = fmin(1, running);
	}
	free(order);
	return 0;
}

/* Step-up: the i-th smallest is scaled by n / i, then made monotone by a
 * running minimum from the largest down. */
int rlp_benjamini_hochberg(double *adjusted, const double *p, size_t n)
{
	struct stats_keyed *order = sorted_pvalues(p, n);
	double running = 1;
	size_t i;

	if (!order)
		return -1;
	for (i = n; i-- > 0;) {
		running = fmin(running, order[i].value * (double)n / (double)(i + 1));
		adjusted[order[i].index] = running;
	}
	free(order);
	return 0;
}

/* ---- planning --------------------------------------------------------- */

double rlp_cs_halfwidth(double sd, double n, double alpha, double tuning_n)
{
	double log_term, rho2, v;

	if (!(sd >= 0) || !(n > 0) || !(alpha > 0 && alpha < 1) || !(tuning_n > 0))
		return NAN;
	log_term = -2 * log(alpha);
	rho2 = (log_term + log(log_term + 1)) / tuning_n;
	v = n * rho2 + 1;
	return sd * sqrt(2 * v * log(sqrt(v) / alpha) / (n * n * rho2));
}

static double z_sum(double alpha, double power)
{
	if (!(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
		return NAN;
	return -rlp_norm_ppf(alpha / 2) + rlp_norm_ppf(power);
}

double rlp_sample_size(double w2, double sA2, double KA, double sB2, double KB, double delta,
		       double alpha, double power)
{
	double z = z_sum(alpha, power), n;

	if (isnan(z) || !(w2 >= 0) || !(sA2 >= 0) || !(sB2 >= 0) || !(KA > 0) || !(KB > 0) ||
	    !(delta > 0))
		return NAN;
	n = z * z * (w2 + sA2 / KA + sB2 / KB) / (delta * delta);
	/* A result that is an integer up to rounding must not be bumped up. */
	return ceil(n * (1 - 8 * DBL_EPSILON));
}

double rlp_min_detectable_effect(double w2, double n, double alpha, double power)
{
	double z = z_sum(alpha, power);

	if (isnan(z) || !(w2 >= 0) || !(n > 0))
		return NAN;
	return z * sqrt(w2 / n);
}

/* 1 - alpha^(1/n) <= r  <=>  n >= ln(alpha) / ln(1 - r); the candidate is
 * then nudged so the inequality holds as evaluated, not just on paper. */
long rlp_rate_cap_n_required(double max_rate, double confidence)
{
	double alpha = 1 - confidence, n;

	if (!(max_rate > 0 && max_rate < 1) || !(confidence > 0 && confidence < 1))
		return rlp_error_set(RLP_ERROR, "rate %g or confidence %g is not in (0, 1)",
				     max_rate, confidence);
	n = ceil(log(alpha) / log1p(-max_rate));
	if (!(n < (double)LONG_MAX / 2))
		return rlp_error_set(RLP_ERROR, "rate %g needs more than %ld samples", max_rate,
				     LONG_MAX / 2);
	if (n < 1)
		n = 1;
	while (n > 1 && -expm1(log(alpha) / (n - 1)) <= max_rate)
		n--;
	while (-expm1(log(alpha) / n) > max_rate)
		n++;
	return (long)n;
}
