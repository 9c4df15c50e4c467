/*
 * Gate statistics. Formulas follow RULES.md; where a reference
 * implementation exists (scipy, statsmodels, R) the conventions match it so
 * tests/stats_crosscheck.py can compare to ~1e-9.
 */
#include "stats.h"

#include "error.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Above this many pairs the exact null distribution of U is not computed. */
#define EXACT_MAX_PAIRS 10000

/* The incomplete beta continued fraction needs at most O(sqrt(max(a, b)))
 * iterations; this cap covers shapes far beyond any realistic sample size. */
#define BETA_CF_MAX_ITER 1000000

#define LN_SQRT_2PI 0.918938533204672741780329736406
#define SQRT2 1.41421356237309504880168872420969808

/* ---- normal distribution ---------------------------------------------- */

double rlp_norm_cdf(double x)
{
	return 0.5 * erfc(-x / SQRT2);
}

double rlp_norm_sf(double x)
{
	return 0.5 * erfc(x / SQRT2);
}

/* Ratio of two degree-7 polynomials in r, coefficients lowest first; the
 * denominator's constant term is 1. */
static double rational7(const double *num, const double *den, double r)
{
	double n = num[7], d = den[6];
	int i;

	for (i = 6; i >= 0; i--)
		n = n * r + num[i];
	for (i = 5; i >= 0; i--)
		d = d * r + den[i];
	return n / (d * r + 1);
}

/* Wichura's AS 241 (PPND16): relative accuracy about 1e-16 over (0, 1),
 * including the far tails, without a refinement step. */
double rlp_norm_ppf(double p)
{
	static const double a[8] = {
		3.3871328727963666080,   133.14166789178437745, 1971.5909503065514427,
		13731.693765509461125,   45921.953931549871457, 67265.770927008700853,
		33430.575583588128105,   2509.0809287301226727,
	};
	static const double b[7] = {
		42.313330701600911252,   687.18700749205790830, 5394.1960214247511077,
		21213.794301586595867,   39307.895800092710610, 28729.085735721942674,
		5226.4952788528545610,
	};
	static const double c[8] = {
		1.42343711074968357734,  4.63033784615654529590, 5.76949722146069140550,
		3.64784832476320460504,  1.27045825245236838258, 0.241780725177450611770,
		0.0227238449892691845833, 7.74545014278341407640e-4,
	};
	static const double d[7] = {
		2.05319162663775882187,  1.67638483018380384940,  0.689767334985100004550,
		0.148103976427480074590, 0.0151986665636164571966, 5.47593808499534494600e-4,
		1.05075007164441684324e-9,
	};
	static const double e[8] = {
		6.65790464350110377720,  5.46378491116411436990,  1.78482653991729133580,
		0.296560571828504891230, 0.0265321895265761230930, 1.24266094738807843860e-3,
		2.71155556874348757815e-5, 2.01033439929228813265e-7,
	};
	static const double f[7] = {
		0.599832206555887937690, 0.136929880922735805310, 0.0148753612908506148525,
		7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
		2.04426310338993978564e-15,
	};
	double q = p - 0.5, r, value;

	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	if (fabs(q) <= 0.425) {
		r = 0.180625 - q * q;
		return q * rational7(a, b, r);
	}
	/* Tails: work with the smaller of p and 1-p, so small p keeps its digits. */
	r = sqrt(-log(q < 0 ? p : 1 - p));
	if (r <= 5)
		value = rational7(c, d, r - 1.6);
	else
		value = rational7(e, f, r - 5);
	return q < 0 ? -value : value;
}

/* The alpha spent on each bound: all of 1-c one-sided, half of it two-sided. */
static double tail_alpha(double confidence, enum rlp_sided sided)
{
	if (!(confidence > 0 && confidence < 1))
		return NAN;
	if (sided == RLP_ONE_SIDED)
		return 1 - confidence;
	if (sided == RLP_TWO_SIDED)
		return (1 - confidence) / 2;
	return NAN;
}

/* -Phi^-1(tail) rather than Phi^-1(1 - tail): the same number, without
 * rounding 1 - tail, and the form statsmodels uses (norm.isf(alpha/2)). */
double rlp_z_for(double confidence, enum rlp_sided sided)
{
	return -rlp_norm_ppf(tail_alpha(confidence, sided));
}

double rlp_chi2_sf_1df(double x)
{
	if (isnan(x))
		return NAN;
	if (x <= 0)
		return 1;
	return erfc(sqrt(x / 2));
}

/* ---- beta and binomial ------------------------------------------------ */

/* lgamma(x) minus its Stirling approximation, for x >= 10 (error < 1e-15). */
static double stirling_remainder(double x)
{
	double x2 = 1 / (x * x);

	return (1.0 / 12 - x2 * (1.0 / 360 - x2 * (1.0 / 1260 - x2 * (1.0 / 1680 -
		x2 * (1.0 / 1188 - x2 * 691.0 / 360360))))) / x;
}

/* log B(a, b), used when min(a, b) < 10 (larger shapes go through
 * beta_log_front's expansion). With one large shape, differencing lgamma
 * values loses digits (lgamma(1e6) ~ 1.3e7), so that case uses the Stirling
 * form in which the big terms cancel analytically (as R's lbeta does). */
static double log_beta(double a, double b)
{
	double p = fmin(a, b), q = fmax(a, b), corr;

	if (q >= 10) {
		corr = stirling_remainder(q) - stirling_remainder(p + q);
		return lgamma(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
	}
	return lgamma(p) + lgamma(q) - lgamma(p + q);
}

/* log(1 + t) - t without the cancellation for small |t|: with
 * y = t/(2 + t), log(1 + t) = 2 atanh(y), so the difference is
 * -t y + 2 (y^3/3 + y^5/5 + ...), and |y| <= 1/7 makes the series short. */
static double log1p_minus(double t)
{
	double y, y2, term, sum = 0;
	int k;

	if (fabs(t) > 0.25)
		return log1p(t) - t;
	y = t / (2 + t);
	y2 = y * y;
	term = y;
	for (k = 3; k < 40; k += 2) {
		term *= y2;
		sum += term / k;
		if (fabs(term) < 1e-17 * fabs(sum))
			break;
	}
	return -t * y + 2 * sum;
}

/* log(x^a y^b / B(a, b)) with y = 1 - x, the factor in front of the
 * continued fraction. Both x and y are passed and the logs come from the
 * smaller one, which is exact: forming 1 - x for a small x would round, and
 * (1 - x)^b with b ~ 1e6 turns that rounding into ~1e-10.
 * Written plainly, three terms of size ~a + b cancel to O(1), which costs
 * ~1e-10 relative at a, b ~ 1e6. For large shapes, expand around the mean
 * instead (as TOMS 708 and R's bd0 do): with s = a + b and e = x s - a, the
 * terms linear in e cancel exactly, leaving
 * a log1p_minus(e/a) + b log1p_minus(-e/b) + log sqrt(ab/(2 pi s)) - corr. */
static double beta_log_front(double a, double b, double x, double y)
{
	double s = a + b, e;
	double log_x = x <= y ? log(x) : log1p(-y), log_y = x <= y ? log1p(-x) : log(y);

	if (fmin(a, b) < 10)
		return a * log_x + b * log_y - log_beta(a, b);
	e = x <= y ? x * s - a : b - y * s;
	return a * log1p_minus(e / a) + b * log1p_minus(-e / b) + 0.5 * log(a / s * b) -
	       LN_SQRT_2PI - (stirling_remainder(a) + stirling_remainder(b) - stirling_remainder(s));
}

/* Guard against Lentz's intermediate values reaching zero. */
static double nonzero(double v)
{
	return fabs(v) < 1e-300 ? 1e-300 : v;
}

/* Continued fraction for I_x(a, b) (modified Lentz), to be multiplied by
 * x^a y^b / (a B(a, b)). Converges fast for x < (a+1)/(a+b+2). Its first
 * term 1 - (a+b)x/(a+1) is written as y + (1-b)x/(a+1): for x near 1 the
 * subtraction would otherwise magnify the rounding of x. NaN if it does
 * not converge. */
static double beta_continued_fraction(double a, double b, double x, double y)
{
	double c = 1, d = 1 / nonzero(y + (1 - b) * x / (a + 1)), h = d;
	double m, m2, coef, delta;

	for (m = 1; m <= BETA_CF_MAX_ITER; m++) {
		m2 = 2 * m;
		coef = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
		d = 1 / nonzero(1 + coef * d);
		c = nonzero(1 + coef / c);
		h *= d * c;
		coef = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
		d = 1 / nonzero(1 + coef * d);
		c = nonzero(1 + coef / c);
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1) <= DBL_EPSILON)
			return h;
	}
	return NAN;
}

/* I_x(a, b) for x in (0, 1), y = 1 - x (the smaller one exact). The
 * continued fraction converges quickly below the mean; above it, use
 * I_x(a, b) = 1 - I_y(b, a). */
static double beta_inc_xy(double a, double b, double x, double y)
{
	if (x > (a + 1) / (a + b + 2))
		return 1 - exp(beta_log_front(b, a, y, x)) * beta_continued_fraction(b, a, y, x) / b;
	return exp(beta_log_front(a, b, x, y)) * beta_continued_fraction(a, b, x, y) / a;
}

double rlp_beta_inc(double a, double b, double x)
{
	if (isnan(a) || isnan(b) || isnan(x) || a <= 0 || b <= 0)
		return NAN;
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	return beta_inc_xy(a, b, x, 1 - x);
}

/* Beta(a, b) density, for Newton steps. */
static double beta_density(double a, double b, double x)
{
	return exp(beta_log_front(a, b, x, 1 - x) - log(x) - log1p(-x));
}

/* Starting point for the inverse (Numerical Recipes, 3rd ed., invbetai): a
 * normal approximation when both shapes are >= 1, the tail power laws
 * otherwise. Only needs to land near the root; Newton does the rest. */
static double beta_inc_inv_guess(double a, double b, double p)
{
	double x, t, u, w, h, al, pp;

	if (a >= 1 && b >= 1) {
		pp = p < 0.5 ? p : 1 - p;
		t = sqrt(-2 * log(pp));
		x = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t;
		if (p < 0.5)
			x = -x;
		al = (x * x - 3) / 6;
		h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
		w = x * sqrt(al + h) / h -
		    (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5.0 / 6 - 2 / (3 * h));
		x = a / (a + b * exp(2 * w));
	} else {
		t = exp(a * log(a / (a + b))) / a;
		u = exp(b * log(b / (a + b))) / b;
		w = t + u;
		if (p < t / w)
			x = pow(a * w * p, 1 / a);
		else
			x = 1 - pow(b * w * (1 - p), 1 / b);
	}
	return x > 0 && x < 1 ? x : 0.5;
}

/* I_x(a, b) - p, from whichever tail has the smaller target, so a target
 * such as 1 - 0.0005 is never rounded (p + q = 1, the smaller one exact). */
static double beta_inc_minus(double a, double b, double x, double p, double q)
{
	if (p <= q)
		return beta_inc_xy(a, b, x, 1 - x) - p;
	return q - beta_inc_xy(b, a, 1 - x, x);
}

/* Solves I_x(a, b) = p = 1 - q by Newton's method kept inside a shrinking
 * bracket: a step that leaves the bracket (or a density that under- or
 * overflows) falls back to bisection, so it always converges; near the root
 * it converges quadratically. */
static double beta_inc_inv_pq(double a, double b, double p, double q)
{
	double lo = 0, hi = 1, x, next, f;
	int i;

	x = beta_inc_inv_guess(a, b, p);
	for (i = 0; i < 1000; i++) {
		f = beta_inc_minus(a, b, x, p, q);
		if (isnan(f))
			return NAN;
		if (f == 0)
			return x;
		if (f < 0)
			lo = x;
		else
			hi = x;
		next = x - f / beta_density(a, b, x);
		if (!(next > lo && next < hi))
			next = lo + (hi - lo) / 2;
		if (next == lo || next == hi || fabs(next - x) <= 2 * DBL_EPSILON * next)
			return next;
		x = next;
	}
	return x;
}

double rlp_beta_inc_inv(double a, double b, double p)
{
	if (isnan(a) || isnan(b) || isnan(p) || a <= 0 || b <= 0)
		return NAN;
	if (p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	return beta_inc_inv_pq(a, b, p, 1 - p);
}

/* C(n, k) p^k (1-p)^(n-k) = x^a (1-x)^b / B(a, b) / ((n + 1) p (1 - p)) with
 * a = k + 1, b = n - k + 1, x = p: the accurate beta front factor again. */
double rlp_binom_pmf(long k, long n, double p)
{
	if (n < 0 || isnan(p) || p < 0 || p > 1)
		return NAN;
	if (k < 0 || k > n)
		return 0;
	if (p == 0)
		return k == 0;
	if (p == 1)
		return k == n;
	return exp(beta_log_front((double)k + 1, (double)(n - k) + 1, p, 1 - p) - log(p) -
		   log1p(-p)) /
	       ((double)n + 1);
}

/* P(X <= k) = I_{1-p}(n - k, k + 1); p itself is passed along as the exact
 * complement. */
double rlp_binom_cdf(long k, long n, double p)
{
	if (n < 0 || isnan(p) || p < 0 || p > 1)
		return NAN;
	if (k < 0)
		return 0;
	if (k >= n)
		return 1;
	if (p == 0)
		return 1;
	if (p == 1)
		return 0;
	return beta_inc_xy((double)(n - k), (double)k + 1, 1 - p, p);
}

/* ---- proportions ------------------------------------------------------ */

static struct rlp_interval interval_nan(void)
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
		return interval_nan();
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
	double tail = tail_alpha(confidence, sided);

	if (!valid_count(k, n) || isnan(tail))
		return interval_nan();
	if (n == 0)
		return iv;
	iv.estimate = (double)k / (double)n;
	if (k > 0)
		iv.lower = rlp_beta_inc_inv((double)k, (double)(n - k) + 1, tail);
	if (k < n)
		iv.upper = beta_inc_inv_pq((double)k + 1, (double)(n - k), 1 - tail, tail);
	return iv;
}

/* Newcombe (1998) method 10: the two Wilson intervals combined in
 * quadrature, each side using the errors that push the difference that way. */
struct rlp_interval rlp_newcombe(long k1, long n1, long k2, long n2, double confidence,
				 enum rlp_sided sided)
{
	struct rlp_interval iv = { NAN, -1, 1 }, w1, w2;
	double d;

	if (!valid_count(k1, n1) || !valid_count(k2, n2) || isnan(tail_alpha(confidence, sided)))
		return interval_nan();
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
		return interval_nan();
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

/* ---- rank statistics -------------------------------------------------- */

struct keyed {
	double value;
	size_t index;
};

static int compare_keyed(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;

	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return (a->index > b->index) - (a->index < b->index);
}

static int compare_doubles(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

void rlp_sort_doubles(double *x, size_t n)
{
	if (n > 1)
		qsort(x, n, sizeof(*x), compare_doubles);
}

static int any_nan(const double *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (isnan(x[i]))
			return 1;
	return 0;
}

static int too_many_pairs(size_t nx, size_t ny)
{
	return nx > EXACT_MAX_PAIRS || ny > EXACT_MAX_PAIRS || nx * ny > EXACT_MAX_PAIRS;
}

/* P(U <= u) for u = 0..floor(m n / 2) under the null without ties; the
 * upper half follows by symmetry. The counts are the coefficients of the
 * Gaussian binomial [m+n choose m]_q, built one factor
 * (1 - q^(n+i)) / (1 - q^i) at a time so that every intermediate is itself
 * such a polynomial (Harding 1984): O(m * mn) work, no cancellation to speak
 * of. Coefficient u only depends on lower ones, so stopping at mn/2 is
 * exact. Returns a malloc'd array, NULL when out of memory. */
static double *u_null_cdf(size_t m, size_t n)
{
	size_t small = m < n ? m : n, large = m < n ? n : m;
	size_t top = m * n / 2, i, j, up;
	double *a = calloc(top + 1, sizeof(*a)), total = 0, run = 0;

	if (!a)
		return NULL;
	a[0] = 1;
	for (i = 1; i <= small; i++) {
		up = large + i;
		if (up <= top)
			for (j = top; j >= up; j--)
				a[j] -= a[j - up];
		for (j = i; j <= top; j++)
			a[j] += a[j - i];
	}
	for (j = 0; j <= top; j++)
		total += a[j];
	total = 2 * total - ((m * n) % 2 == 0 ? a[top] : 0);
	for (j = 0; j <= top; j++) {
		run += a[j];
		a[j] = run / total;
	}
	return a;
}

/* Midranks of the pooled sample; reports the rank sum of the first nx
 * values and sum(t^3 - t) over groups of t tied values. */
static int pooled_ranks(double *rank_sum_x, double *tie_term, const double *x, size_t nx,
			const double *y, size_t ny)
{
	size_t n = nx + ny, i, j, k;
	struct keyed *pool = malloc(n * sizeof(*pool));
	double t, rank;

	*rank_sum_x = *tie_term = 0;
	if (!pool)
		return rlp_error_set(RLP_ERROR, "out of memory ranking %zu values", n);
	for (i = 0; i < nx; i++)
		pool[i] = (struct keyed){ x[i], i };
	for (i = 0; i < ny; i++)
		pool[nx + i] = (struct keyed){ y[i], nx + i };
	qsort(pool, n, sizeof(*pool), compare_keyed);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && pool[j].value == pool[i].value; j++)
			;
		t = (double)(j - i);
		rank = ((double)i + 1 + (double)j) / 2;
		*tie_term += t * t * t - t;
		for (k = i; k < j; k++)
			if (pool[k].index < nx)
				*rank_sum_x += rank;
	}
	free(pool);
	return 0;
}

/* Standard deviation of U under the null, with the tie correction. */
static double u_null_sd(size_t nx, size_t ny, double tie_term)
{
	double n = (double)nx + (double)ny;

	return sqrt((double)nx * (double)ny / 12 * ((n + 1) - tie_term / (n * (n - 1))));
}

static double mannwhitney_exact_p(double u, size_t nx, size_t ny, int *error)
{
	double pairs = (double)nx * (double)ny, *cdf, p;
	size_t lower = (size_t)fmin(u, pairs - u);

	cdf = u_null_cdf(nx, ny);
	if (!cdf) {
		*error = rlp_error_set(RLP_ERROR, "out of memory for the exact U distribution");
		return NAN;
	}
	p = fmin(1, 2 * cdf[lower]);
	free(cdf);
	return p;
}

/* As scipy.stats.mannwhitneyu(alternative='two-sided', use_continuity=True). */
static double mannwhitney_asymptotic_p(double u, size_t nx, size_t ny, double tie_term)
{
	double sd = u_null_sd(nx, ny, tie_term);
	double excess = fabs(u - (double)nx * (double)ny / 2) - 0.5;

	if (!(sd > 0))
		return 1;
	return fmin(1, 2 * rlp_norm_sf(excess / sd));
}

int rlp_mannwhitney(struct rlp_mannwhitney *out, const double *x, size_t nx, const double *y,
		    size_t ny)
{
	double rank_sum_x, tie_term;
	int error = 0;

	out->u = out->p_exact = out->p_asymptotic = NAN;
	if (nx == 0 || ny == 0)
		return rlp_error_set(RLP_ERROR, "mann-whitney needs two non-empty samples");
	if (any_nan(x, nx) || any_nan(y, ny))
		return rlp_error_set(RLP_ERROR, "mann-whitney sample contains NaN");
	if (pooled_ranks(&rank_sum_x, &tie_term, x, nx, y, ny) < 0)
		return -1;
	out->u = rank_sum_x - (double)nx * ((double)nx + 1) / 2;
	out->p_asymptotic = mannwhitney_asymptotic_p(out->u, nx, ny, tie_term);
	if (tie_term == 0 && !too_many_pairs(nx, ny))
		out->p_exact = mannwhitney_exact_p(out->u, nx, ny, &error);
	return error < 0 ? -1 : 0;
}

/* Doubles mapped to unsigned integers in the same order, so a bisection over
 * keys pins down an exact order statistic in at most 64 steps. */
static uint64_t order_key(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits >> 63 ? ~bits : bits | (UINT64_C(1) << 63);
}

static double from_order_key(uint64_t key)
{
	uint64_t bits = key >> 63 ? key & ~(UINT64_C(1) << 63) : ~key;
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* Number of pairs with x_i - y_j <= t, for ascending x and y: for each x_i
 * the qualifying y_j form a suffix that only shrinks as x_i grows. */
static size_t count_differences_at_most(const double *x, size_t nx, const double *y, size_t ny,
					double t)
{
	size_t i, j = 0, count = 0;

	for (i = 0; i < nx; i++) {
		while (j < ny && x[i] - y[j] > t)
			j++;
		count += ny - j;
	}
	return count;
}

/* The k-th smallest (1-based) of the nx*ny differences x_i - y_j without
 * materialising them: the smallest key whose count reaches k. */
static double kth_difference(const double *x, size_t nx, const double *y, size_t ny, size_t k)
{
	uint64_t lo = order_key(x[0] - y[ny - 1]), hi = order_key(x[nx - 1] - y[0]), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (count_differences_at_most(x, nx, y, ny, from_order_key(mid)) >= k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return from_order_key(lo);
}

/* sum(t^3 - t) over tie groups of the pooled sample, from the sorted parts. */
static double sorted_tie_term(const double *x, size_t nx, const double *y, size_t ny)
{
	size_t i = 0, j = 0, t;
	double v, term = 0;

	while (i < nx || j < ny) {
		v = j == ny || (i < nx && x[i] <= y[j]) ? x[i] : y[j];
		for (t = 0; i < nx && x[i] == v; i++)
			t++;
		for (; j < ny && y[j] == v; j++)
			t++;
		term += (double)t * (double)t * (double)t - (double)t;
	}
	return term;
}

/* Rank k of the lower bound; the interval is [d_(k), d_(mn-k+1)]. Exact
 * case as R's wilcox.test: k = qwilcox(alpha/2, m, n), with R's 10 eps
 * fuzz, and at least 1. Otherwise the same quantile from the tie-corrected
 * normal approximation with continuity correction. */
static int hodges_lehmann_rank(size_t *k, const double *x, size_t nx, const double *y, size_t ny,
			       double confidence)
{
	double half_alpha = (1 - confidence) / 2, tie_term = sorted_tie_term(x, nx, y, ny);
	double mean = (double)nx * (double)ny / 2, *cdf, u;
	size_t rank = 0, top = nx * ny / 2;

	*k = 1;
	if (tie_term == 0 && !too_many_pairs(nx, ny)) {
		cdf = u_null_cdf(nx, ny);
		if (!cdf)
			return rlp_error_set(RLP_ERROR, "out of memory for the exact U distribution");
		while (rank < top && cdf[rank] < half_alpha - 10 * DBL_EPSILON)
			rank++;
		free(cdf);
	} else {
		u = ceil(mean - 0.5 + rlp_norm_ppf(half_alpha) * u_null_sd(nx, ny, tie_term));
		rank = u > 0 ? (size_t)fmin(u, (double)top) : 0;
	}
	*k = rank > 0 ? rank : 1;
	return 0;
}

static double *sorted_copy(const double *x, size_t n)
{
	double *copy = malloc(n * sizeof(*copy));

	if (copy) {
		memcpy(copy, x, n * sizeof(*copy));
		rlp_sort_doubles(copy, n);
	}
	return copy;
}

static int all_finite(const double *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

int rlp_hodges_lehmann(struct rlp_interval *out, const double *x, size_t nx, const double *y,
		       size_t ny, double confidence)
{
	double *xs = NULL, *ys = NULL;
	size_t pairs, k;
	int error = -1;

	*out = interval_nan();
	if (nx == 0 || ny == 0)
		return rlp_error_set(RLP_ERROR, "hodges-lehmann needs two non-empty samples");
	if (nx > SIZE_MAX / ny)
		return rlp_error_set(RLP_ERROR, "hodges-lehmann: too many pairs");
	if (!all_finite(x, nx) || !all_finite(y, ny))
		return rlp_error_set(RLP_ERROR, "hodges-lehmann sample contains NaN or Inf");
	if (!(confidence > 0 && confidence < 1))
		return rlp_error_set(RLP_ERROR, "confidence %g is not in (0, 1)", confidence);
	xs = sorted_copy(x, nx);
	ys = sorted_copy(y, ny);
	if (!xs || !ys) {
		rlp_error_set(RLP_ERROR, "out of memory copying %zu + %zu values", nx, ny);
		goto done;
	}
	pairs = nx * ny;
	if (hodges_lehmann_rank(&k, xs, nx, ys, ny, confidence) < 0)
		goto done;
	if (pairs % 2)
		out->estimate = kth_difference(xs, nx, ys, ny, pairs / 2 + 1);
	else
		out->estimate = (kth_difference(xs, nx, ys, ny, pairs / 2) +
				 kth_difference(xs, nx, ys, ny, pairs / 2 + 1)) / 2;
	out->lower = kth_difference(xs, nx, ys, ny, k);
	out->upper = kth_difference(xs, nx, ys, ny, pairs - k + 1);
	error = 0;
done:
	free(xs);
	free(ys);
	return error;
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
static struct keyed *sorted_pvalues(const double *p, size_t n)
{
	struct keyed *order;
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
		order[i] = (struct keyed){ p[i], i };
	qsort(order, n, sizeof(*order), compare_keyed);
	return order;
}

/* Step-down: the i-th smallest is scaled by (n - i), then made monotone
 * by a running maximum. */
int rlp_holm(double *adjusted, const double *p, size_t n)
{
	struct keyed *order = sorted_pvalues(p, n);
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
	struct keyed *order = sorted_pvalues(p, n);
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

/* ---- quantiles -------------------------------------------------------- */

/* Type 7, computed as numpy does (index (n-1)q, and the interpolation taken
 * from the nearer end) so results agree to the last bit. */
double rlp_quantile_sorted(const double *sorted, size_t n, double q)
{
	double h, t, lo, hi;
	size_t i;

	if (n == 0 || !(q >= 0 && q <= 1))
		return NAN;
	h = (double)(n - 1) * q;
	if (h >= (double)(n - 1))
		return sorted[n - 1];
	i = (size_t)floor(h);
	t = h - (double)i;
	lo = sorted[i];
	hi = sorted[i + 1];
	return t >= 0.5 ? hi - (hi - lo) * (1 - t) : lo + (hi - lo) * t;
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
