/*
 * Distributions behind the gate statistics: normal, chi-square (1 df),
 * regularized incomplete beta and its inverse, binomial. Same conventions as
 * stats.c: they match scipy so tests/stats_crosscheck.py can compare to ~1e-9.
 */
#include "stats.h"
#include "stats_private.h"

#include <float.h>
#include <math.h>

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
double stats_tail_alpha(double confidence, enum rlp_sided sided)
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
	return -rlp_norm_ppf(stats_tail_alpha(confidence, sided));
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
double stats_beta_inc_inv_pq(double a, double b, double p, double q)
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
	return stats_beta_inc_inv_pq(a, b, p, 1 - p);
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
