/*
 * Unit tests for lib/stats.c: every reference value of RULES.md, then the
 * edges. Tolerances: a reference printed with d decimals is checked to half
 * a unit in its last place (5 * 10^-(d+1)); full-precision references to
 * 1e-13 relative or better, as stated at each check. Extra references not
 * in RULES.md come from scipy 1.10 / numpy 1.24 and say so.
 */
#include <math.h>
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stats.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* |actual - expected| <= tol, with both values in the failure message. */
#define assert_near(actual, expected, tol) \
	assert_near_at((actual), (expected), (tol), #actual, __FILE__, __LINE__)

static void assert_near_at(double actual, double expected, double tol, const char *what,
			   const char *file, int line)
{
	if (!(fabs(actual - expected) <= tol)) {
		print_error("%s = %.17g, expected %.17g +- %g\n", what, actual, expected, tol);
		_fail(file, line);
	}
}

#define assert_nan(v) assert_true(isnan(v))

/* Relative tolerance helper for full-precision references. */
static double rel(double expected, double r)
{
	return fabs(expected) * r;
}

/* ---- normal ----------------------------------------------------------- */

static void test_stats_norm_ppf_reference(void **state)
{
	(void)state;
	assert_near(rlp_norm_ppf(0.975), 1.959963984540054, 1e-15);
	assert_near(rlp_norm_ppf(0.025), -1.959963984540054, 1e-15);
	assert_true(rlp_norm_ppf(0.5) == 0);
	/* scipy.stats.norm.ppf: central, tail and far-tail branches of AS 241. */
	assert_near(rlp_norm_ppf(0.95), 1.6448536269514722, rel(1.6448536269514722, 1e-15));
	assert_near(rlp_norm_ppf(1e-10), -6.361340902404056, rel(6.361340902404056, 1e-15));
	assert_near(rlp_norm_ppf(1e-300), -37.0470962993612, rel(37.0470962993612, 1e-14));
}

static void test_stats_norm_ppf_edges(void **state)
{
	(void)state;
	assert_true(isinf(rlp_norm_ppf(0)) && rlp_norm_ppf(0) < 0);
	assert_true(isinf(rlp_norm_ppf(1)) && rlp_norm_ppf(1) > 0);
	assert_nan(rlp_norm_ppf(-0.1));
	assert_nan(rlp_norm_ppf(1.1));
	assert_nan(rlp_norm_ppf(NAN));
}

static void test_stats_norm_cdf_inverts_ppf(void **state)
{
	static const double ps[] = { 1e-12, 0.001, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999 };
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(ps); i++)
		assert_near(rlp_norm_cdf(rlp_norm_ppf(ps[i])), ps[i], rel(ps[i], 1e-13));
	assert_near(rlp_norm_sf(1.959963984540054), 0.025, 1e-16);
}

static void test_stats_z_for_sidedness(void **state)
{
	(void)state;
	assert_near(rlp_z_for(0.95, RLP_TWO_SIDED), 1.959963984540054, 1e-15);
	assert_near(rlp_z_for(0.95, RLP_ONE_SIDED), 1.6448536269514722, 1e-15);
	assert_nan(rlp_z_for(1, RLP_ONE_SIDED));
	assert_nan(rlp_z_for(0, RLP_TWO_SIDED));
	assert_nan(rlp_z_for(0.95, (enum rlp_sided)3));
}

static void test_stats_chi2_sf(void **state)
{
	(void)state;
	assert_near(rlp_chi2_sf_1df(3.841458820694124), 0.05, 1e-15);
	assert_true(rlp_chi2_sf_1df(0) == 1);
	assert_true(rlp_chi2_sf_1df(-1) == 1);
	assert_nan(rlp_chi2_sf_1df(NAN));
}

/* ---- beta and binomial ------------------------------------------------ */

static void test_stats_beta_inc_values(void **state)
{
	(void)state;
	/* Closed forms: I_x(1,1) = x, I_x(a,1) = x^a, I_0.5(a,a) = 1/2. */
	assert_near(rlp_beta_inc(1, 1, 0.3), 0.3, 1e-15);
	assert_near(rlp_beta_inc(3, 1, 0.7), 0.343, 1e-15);
	assert_near(rlp_beta_inc(40, 40, 0.5), 0.5, 1e-14);
	/* scipy.special.betainc */
	assert_near(rlp_beta_inc(2.5, 7.5, 0.3), 0.6789434858661818, 1e-14);
	/* Large shapes: I_0.5(a, a+1) = 1/2 + C(2a, a) 4^-a / 2, evaluated with
	 * mpmath at 30 digits (scipy 1.10 itself is off by 1.2e-9 here). The
	 * continued fraction needs ~1e3 steps there and gathers ~2e-13. */
	assert_near(rlp_beta_inc(5e5, 5e5 + 1, 0.5), 0.5003989421806659, 1e-12);
	assert_near(rlp_beta_inc(5e3, 5e3 + 1, 0.5), 0.5039893230696911, 1e-13);
	assert_true(rlp_beta_inc(2, 3, 0) == 0);
	assert_true(rlp_beta_inc(2, 3, 1) == 1);
	assert_nan(rlp_beta_inc(0, 3, 0.5));
	assert_nan(rlp_beta_inc(2, 3, NAN));
}

static void test_stats_beta_inc_inv_round_trip(void **state)
{
	/* Points where the inverse is well conditioned (p not within rounding of
	 * 0 or 1), spanning small, large and unbalanced shapes. */
	static const double cases[][3] = {
		{ 0.5, 0.5, 1e-6 }, { 0.5, 0.5, 0.9 }, { 1, 30, 1e-5 },  { 1, 30, 0.2 },
		{ 18, 3, 0.683 },   { 2.5, 7.5, 0.3 }, { 1000, 5, 0.99 }, { 3, 1e6, 2e-6 },
		{ 5e5, 5e5, 0.4995 },
	};
	size_t i;
	double a, b, x;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++) {
		a = cases[i][0];
		b = cases[i][1];
		x = cases[i][2];
		assert_near(rlp_beta_inc_inv(a, b, rlp_beta_inc(a, b, x)), x, rel(x, 1e-12));
	}
	/* scipy.special.betaincinv */
	assert_near(rlp_beta_inc_inv(2.5, 7.5, 0.3), 0.16694327320179278, 1e-15);
	/* I_x(1, b) = 1 - (1-x)^b, so x = 1 - (1 - p)^(1/b); mpmath at 40
	 * digits for the double 0.975 (scipy 1.10 is off by 2e-11 relative). */
	assert_near(rlp_beta_inc_inv(1, 1e6, 0.975), 3.6888726502064882e-06, 1e-20);
	assert_true(rlp_beta_inc_inv(2, 3, 0) == 0);
	assert_true(rlp_beta_inc_inv(2, 3, 1) == 1);
	assert_nan(rlp_beta_inc_inv(2, -1, 0.5));
}

static void test_stats_binomial(void **state)
{
	(void)state;
	assert_near(rlp_binom_cdf(3, 10, 0.5), 176.0 / 1024, 1e-14);
	assert_near(rlp_binom_pmf(5, 10, 0.5), 252.0 / 1024, 1e-14);
	assert_near(rlp_binom_pmf(0, 7, 0.2), pow(0.8, 7), 1e-15);
	assert_true(rlp_binom_cdf(-1, 10, 0.5) == 0);
	assert_true(rlp_binom_cdf(10, 10, 0.5) == 1);
	assert_true(rlp_binom_cdf(0, 10, 0) == 1);
	assert_true(rlp_binom_cdf(9, 10, 1) == 0);
	assert_true(rlp_binom_pmf(11, 10, 0.5) == 0);
	assert_true(rlp_binom_pmf(0, 10, 0) == 1);
	assert_nan(rlp_binom_cdf(3, 10, 1.5));
}

/* ---- single proportions ----------------------------------------------- */

static void test_stats_wilson_two_sided_reference(void **state)
{
	struct rlp_interval iv;

	(void)state;
	iv = rlp_wilson(18, 20, 0.95, RLP_TWO_SIDED);
	assert_near(iv.estimate, 0.9, 1e-15);
	assert_near(iv.lower, 0.6989663548, 5e-11);
	assert_near(iv.upper, 0.9721335188, 5e-11);
	iv = rlp_wilson(0, 30, 0.95, RLP_TWO_SIDED);
	assert_true(iv.lower == 0);
	assert_near(iv.upper, 0.11351339, 5e-9);
}

static void test_stats_wilson_one_sided_reference(void **state)
{
	static const struct {
		long k, n;
		double lower;
	} cases[] = { { 870, 1000, 0.851504 }, { 87, 100, 0.804806 }, { 9, 10, 0.652281 },
		      { 10, 10, 0.787058 } };
	struct rlp_interval iv;
	size_t i;

	(void)state;
	iv = rlp_wilson(100, 200, 0.95, RLP_ONE_SIDED);
	assert_near(iv.lower, 0.442235, 5e-7);
	assert_near(iv.upper, 0.557765, 5e-7);
	for (i = 0; i < N_ELEMS(cases); i++) {
		iv = rlp_wilson(cases[i].k, cases[i].n, 0.95, RLP_ONE_SIDED);
		assert_near(iv.lower, cases[i].lower, 5e-7);
	}
}

static void test_stats_wilson_edges(void **state)
{
	static const double confidences[] = { 0.8, 0.9, 0.95, 0.99, 0.999 };
	struct rlp_interval iv;
	size_t i;
	long n;

	(void)state;
	/* Exact ends for every n: the raw formula leaves ~1e-18 at k = 0 for
	 * some n (e.g. n = 31 at 80% one-sided). */
	for (i = 0; i < N_ELEMS(confidences); i++) {
		for (n = 1; n <= 200; n++) {
			assert_true(rlp_wilson(0, n, confidences[i], RLP_ONE_SIDED).lower == 0);
			assert_true(rlp_wilson(0, n, confidences[i], RLP_TWO_SIDED).lower == 0);
			assert_true(rlp_wilson(n, n, confidences[i], RLP_ONE_SIDED).upper == 1);
			assert_true(rlp_wilson(n, n, confidences[i], RLP_TWO_SIDED).upper == 1);
		}
	}
	iv = rlp_wilson(0, 0, 0.95, RLP_TWO_SIDED);
	assert_nan(iv.estimate);
	assert_true(iv.lower == 0 && iv.upper == 1);
	iv = rlp_wilson(10, 10, 0.95, RLP_ONE_SIDED);
	assert_true(iv.upper == 1);
	iv = rlp_wilson(0, 5, 0.99, RLP_ONE_SIDED);
	assert_true(iv.lower == 0 && iv.upper < 1);
	iv = rlp_wilson(11, 10, 0.95, RLP_TWO_SIDED);
	assert_nan(iv.lower);
	iv = rlp_wilson(-1, 10, 0.95, RLP_TWO_SIDED);
	assert_nan(iv.upper);
	iv = rlp_wilson(5, 10, 1.5, RLP_TWO_SIDED);
	assert_nan(iv.lower);
}

static void test_stats_clopper_pearson_reference(void **state)
{
	struct rlp_interval iv;

	(void)state;
	iv = rlp_clopper_pearson(18, 20, 0.95, RLP_TWO_SIDED);
	assert_near(iv.lower, 0.6830172859809176, 1e-14);
	assert_near(iv.upper, 0.9876514728297052, 1e-14);
	iv = rlp_clopper_pearson(0, 30, 0.95, RLP_TWO_SIDED);
	assert_true(iv.lower == 0);
	assert_near(iv.upper, 0.11570331, 5e-9);
	assert_near(iv.upper, 1 - pow(0.025, 1.0 / 30), 1e-15);
}

static void test_stats_clopper_pearson_one_sided_extremes(void **state)
{
	struct rlp_interval iv;

	(void)state;
	/* k = 0: the whole alpha on the upper bound, 1 - alpha^(1/n). */
	iv = rlp_clopper_pearson(0, 299, 0.95, RLP_ONE_SIDED);
	assert_true(iv.lower == 0);
	assert_near(iv.upper, 1 - pow(0.05, 1.0 / 299), 1e-15);
	assert_true(iv.upper <= 0.01);
	/* k = n: upper is 1, lower is alpha^(1/n). */
	iv = rlp_clopper_pearson(20, 20, 0.95, RLP_ONE_SIDED);
	assert_true(iv.upper == 1);
	assert_near(iv.lower, pow(0.05, 1.0 / 20), 1e-15);
	iv = rlp_clopper_pearson(0, 0, 0.95, RLP_ONE_SIDED);
	assert_nan(iv.estimate);
	assert_true(iv.lower == 0 && iv.upper == 1);
	iv = rlp_clopper_pearson(3, 2, 0.95, RLP_ONE_SIDED);
	assert_nan(iv.lower);
}

/* ---- differences of proportions --------------------------------------- */

static void test_stats_newcombe_reference(void **state)
{
	struct rlp_interval iv = rlp_newcombe(56, 70, 48, 80, 0.95, RLP_TWO_SIDED);

	(void)state;
	assert_near(iv.estimate, 0.2, 1e-15);
	assert_near(iv.lower, 0.0524, 5e-5);
	assert_near(iv.upper, 0.3339, 5e-5);
}

static void test_stats_newcombe_edges(void **state)
{
	struct rlp_interval iv;

	(void)state;
	iv = rlp_newcombe(3, 0, 1, 5, 0.95, RLP_TWO_SIDED);
	assert_nan(iv.lower);
	iv = rlp_newcombe(0, 0, 1, 5, 0.95, RLP_TWO_SIDED);
	assert_nan(iv.estimate);
	assert_true(iv.lower == -1 && iv.upper == 1);
	/* Both proportions at 1: the interval straddles 0 and stays in [-1, 1]. */
	iv = rlp_newcombe(10, 10, 10, 10, 0.95, RLP_ONE_SIDED);
	assert_true(iv.estimate == 0 && iv.lower < 0 && iv.upper > 0);
	assert_true(iv.lower >= -1 && iv.upper <= 1);
}

static void test_stats_agresti_min_reference(void **state)
{
	struct rlp_interval iv;

	(void)state;
	iv = rlp_agresti_min(20, 40, 160, 0.95, RLP_TWO_SIDED);
	assert_near(iv.estimate, -0.125, 1e-15);
	assert_near(iv.lower, -0.216017, 5e-7);
	assert_near(iv.upper, -0.030896, 5e-7);
	iv = rlp_agresti_min(30, 15, 200, 0.95, RLP_ONE_SIDED);
	assert_near(iv.lower, 0.019703, 5e-7);
}

static void test_stats_agresti_min_edges(void **state)
{
	struct rlp_interval iv;

	(void)state;
	iv = rlp_agresti_min(0, 0, 0, 0.95, RLP_TWO_SIDED);
	assert_nan(iv.estimate);
	assert_true(iv.lower == -1 && iv.upper == 1);
	iv = rlp_agresti_min(6, 5, 10, 0.95, RLP_TWO_SIDED);
	assert_nan(iv.lower);
	/* (5 - 0)/7 + 2.58 * sqrt(6 - 25/7)/7 > 1: clamped. */
	iv = rlp_agresti_min(5, 0, 5, 0.99, RLP_TWO_SIDED);
	assert_true(iv.upper == 1);
	assert_true(iv.lower > 0 && iv.lower < 1);
	/* No discordant pairs: centred on 0. */
	iv = rlp_agresti_min(0, 0, 50, 0.95, RLP_TWO_SIDED);
	assert_near(iv.lower, -iv.upper, 1e-17);
	assert_near(iv.upper, 1.959963984540054 / 52, 1e-15);
}

static void test_stats_mcnemar_reference(void **state)
{
	struct rlp_mcnemar m = rlp_mcnemar(15, 19);

	(void)state;
	assert_near(m.chi2, 0.470588235294118, 5e-16);
	assert_near(m.p, 0.492716677227088, 5e-16);
	assert_near(m.p_corrected, 0.606905427217951, 5e-16);
	assert_near(m.p_exact, 0.60759136127308, 5e-15);
	assert_near(m.p_exact_less, 0.60759136127308 / 2, 5e-15);
}

static void test_stats_mcnemar_edges(void **state)
{
	struct rlp_mcnemar m;

	(void)state;
	m = rlp_mcnemar(0, 0);
	assert_true(m.chi2 == 0 && m.p == 1 && m.p_corrected == 1);
	assert_true(m.p_exact == 1 && m.p_exact_less == 1);
	/* b = c: two-sided exact p would be 2 * P(X <= b) > 1, capped. */
	m = rlp_mcnemar(7, 7);
	assert_true(m.p_exact == 1);
	assert_true(m.p == 1);
	/* Candidate never wins: P(X <= 0) = 2^-10, the one-sided signal. */
	m = rlp_mcnemar(0, 10);
	assert_near(m.p_exact_less, 1.0 / 1024, 1e-17);
	assert_near(m.p_exact, 2.0 / 1024, 1e-17);
	m = rlp_mcnemar(10, 0);
	assert_near(m.p_exact_less, 1, 1e-15);
	m = rlp_mcnemar(-1, 3);
	assert_nan(m.chi2);
	assert_nan(m.p_exact);
}

/* ---- rank statistics -------------------------------------------------- */

static void test_stats_mannwhitney_reference(void **state)
{
	static const double x[] = { 19, 22, 16, 29, 24 }, y[] = { 20, 11, 17, 12 };
	struct rlp_mannwhitney mw;

	(void)state;
	assert_int_equal(rlp_mannwhitney(&mw, x, 5, y, 4), 0);
	assert_true(mw.u == 17);
	assert_near(mw.p_exact, 1.0 / 9, 1e-15);
	assert_near(mw.p_asymptotic, 0.11134688653314041, 1e-15);
	/* Swapping the samples reflects U and keeps both p-values. */
	assert_int_equal(rlp_mannwhitney(&mw, y, 4, x, 5), 0);
	assert_true(mw.u == 3);
	assert_near(mw.p_exact, 1.0 / 9, 1e-15);
	assert_near(mw.p_asymptotic, 0.11134688653314041, 1e-15);
}

static void test_stats_mannwhitney_ties(void **state)
{
	static const double x[] = { 1, 2, 2, 3, 3, 3 }, y[] = { 2, 3, 4, 4, 5 };
	static const double same[] = { 4, 4, 4 };
	struct rlp_mannwhitney mw;

	(void)state;
	assert_int_equal(rlp_mannwhitney(&mw, x, 6, y, 5), 0);
	assert_true(mw.u == 5.5);
	assert_nan(mw.p_exact);
	/* scipy.stats.mannwhitneyu(x, y, method='asymptotic') */
	assert_near(mw.p_asymptotic, 0.08871369199677616, 1e-15);
	/* All values tied: zero variance, no evidence. */
	assert_int_equal(rlp_mannwhitney(&mw, same, 3, same, 2), 0);
	assert_true(mw.u == 3);
	assert_true(mw.p_asymptotic == 1);
	assert_nan(mw.p_exact);
}

static void test_stats_mannwhitney_exact_extreme(void **state)
{
	static const double x[] = { 6, 7, 8, 9, 10 }, y[] = { 1, 2, 3, 4, 5 };
	static const double one[] = { 1 }, two[] = { 2 };
	struct rlp_mannwhitney mw;

	(void)state;
	/* Complete separation: 2 of the C(10,5) = 252 arrangements as extreme. */
	assert_int_equal(rlp_mannwhitney(&mw, x, 5, y, 5), 0);
	assert_true(mw.u == 25);
	assert_near(mw.p_exact, 2.0 / 252, 1e-17);
	/* One value each: U is 0 or 1 with probability 1/2, p = 1. */
	assert_int_equal(rlp_mannwhitney(&mw, one, 1, two, 1), 0);
	assert_true(mw.u == 0 && mw.p_exact == 1 && mw.p_asymptotic == 1);
}

static void test_stats_mannwhitney_rejects_bad_input(void **state)
{
	static const double x[] = { 1, NAN, 3 }, y[] = { 2, 4 };
	struct rlp_mannwhitney mw;

	(void)state;
	assert_int_equal(rlp_mannwhitney(&mw, x, 3, y, 2), -1);
	assert_nan(mw.u);
	assert_int_equal(rlp_mannwhitney(&mw, y, 0, y, 2), -1);
	assert_nan(mw.p_asymptotic);
}

static void test_stats_hodges_lehmann_reference(void **state)
{
	static const double x[] = { 10, 20, 30, 40 }, y[] = { 1, 2, 3, 4 };
	struct rlp_interval iv;

	(void)state;
	assert_int_equal(rlp_hodges_lehmann(&iv, x, 4, y, 4, 0.95), 0);
	assert_true(iv.estimate == 22.5);
	assert_true(iv.lower == 6);
	assert_true(iv.upper == 39);
}

static void test_stats_hodges_lehmann_exact_small(void **state)
{
	static const double x[] = { 1.5, 3.1, 4.7, 8.2, 9.9 }, y[] = { 0.2, 1.1, 2.6 };
	struct rlp_interval iv;

	(void)state;
	/* 15 differences, median d_(8). Exact null counts of U for (5, 3) out
	 * of 56: cdf 1, 2, 4, 7, ... so at 80% (alpha/2 = 0.1) k = 3 (7/56 is
	 * the first >= 0.1): [d_(3), d_(13)]. Sorted differences: -1.1 0.4 0.5
	 * 1.3 2.0 2.1 2.9 3.6 4.5 5.6 7.1 7.3 8.0 8.8 9.7. */
	assert_int_equal(rlp_hodges_lehmann(&iv, x, 5, y, 3, 0.80), 0);
	assert_near(iv.estimate, 3.6, 1e-15);
	assert_near(iv.lower, 0.5, 1e-15);
	assert_near(iv.upper, 8.0, 1e-14);
	/* At 95% (alpha/2 = 0.025) 2/56 is the first >= 0.025, so k = 1: the
	 * whole range [d_(1), d_(15)]. */
	assert_int_equal(rlp_hodges_lehmann(&iv, x, 5, y, 3, 0.95), 0);
	assert_near(iv.lower, -1.1, 1e-15);
	assert_near(iv.upper, 9.7, 1e-14);
}

static void test_stats_hodges_lehmann_normal_approximation(void **state)
{
	double x[200], y[200];
	struct rlp_interval iv;
	size_t i;

	(void)state;
	/* 40000 pairs: normal path. Reference from numpy: sorted outer
	 * differences, k = ceil(mn/2 - 0.5 - 1.96 sd) = 17734. */
	for (i = 0; i < 200; i++) {
		x[i] = (double)i + 5;
		y[i] = (double)(199 - i) + 0.5;
	}
	assert_int_equal(rlp_hodges_lehmann(&iv, x, 200, y, 200, 0.95), 0);
	assert_true(iv.estimate == 4.5);
	assert_true(iv.lower == -7.5);
	assert_true(iv.upper == 16.5);
}

static void test_stats_hodges_lehmann_rejects_bad_input(void **state)
{
	static const double x[] = { 1, INFINITY }, y[] = { 2, 4 };
	struct rlp_interval iv;

	(void)state;
	assert_int_equal(rlp_hodges_lehmann(&iv, x, 2, y, 2, 0.95), -1);
	assert_nan(iv.lower);
	assert_int_equal(rlp_hodges_lehmann(&iv, y, 2, y, 0, 0.95), -1);
	assert_int_equal(rlp_hodges_lehmann(&iv, y, 2, y, 2, 1.0), -1);
}

/* ---- means and standard errors ---------------------------------------- */

static void test_stats_moments(void **state)
{
	static const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct rlp_moments m;

	(void)state;
	m = rlp_moments(x, 8);
	assert_int_equal(m.n, 8);
	assert_near(m.mean, 5, 1e-15);
	assert_near(m.sd, sqrt(32.0 / 7), 1e-15);
	assert_near(m.se, sqrt(32.0 / 7) / sqrt(8), 1e-15);
	m = rlp_moments(x, 1);
	assert_true(m.mean == 2);
	assert_nan(m.sd);
	assert_nan(m.se);
	m = rlp_moments(x, 0);
	assert_nan(m.mean);
}

static void test_stats_clustered_se_reference(void **state)
{
	double x[20];
	int cluster[20];
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++) {
		x[i] = (double)i;
		cluster[i] = (int)(i % 4);
	}
	assert_near(rlp_clustered_se(x, cluster, 20, 4), 0.645, 5e-4);
	/* Cluster sums of deviations are -7.5, -2.5, 2.5, 7.5. */
	assert_near(rlp_clustered_se(x, cluster, 20, 4), sqrt(4.0 / 3 * 125) / 20, 1e-15);
	/* Unused cluster slots do not count towards C. */
	assert_near(rlp_clustered_se(x, cluster, 20, 9), sqrt(4.0 / 3 * 125) / 20, 1e-15);
}

static void test_stats_clustered_se_edges(void **state)
{
	static const double x[] = { 1, 2, 3 };
	static const int one[] = { 0, 0, 0 }, bad[] = { 0, 1, 5 };

	(void)state;
	assert_nan(rlp_clustered_se(x, one, 3, 2));
	assert_nan(rlp_clustered_se(x, bad, 3, 2));
	assert_nan(rlp_clustered_se(x, one, 0, 2));
	assert_nan(rlp_clustered_se(x, one, 3, 1));
}

/* ---- multiple comparisons --------------------------------------------- */

static const double pvalues[10] = { .001, .002, .003, .004, .005, .05, .06, .07, .08, .09 };

static void test_stats_holm_reference(void **state)
{
	static const double expected[10] = { .01, .018, .024, .028, .03, .25, .25, .25, .25, .25 };
	double adjusted[10];
	size_t i;

	(void)state;
	assert_int_equal(rlp_holm(adjusted, pvalues, 10), 0);
	for (i = 0; i < 10; i++)
		assert_near(adjusted[i], expected[i], 1e-15);
}

static void test_stats_benjamini_hochberg_reference(void **state)
{
	static const double expected[10] = { .01, .01, .01, .01, .01, .0833, .0857, .0875, .0889,
					     .09 };
	double adjusted[10];
	size_t i;

	(void)state;
	assert_int_equal(rlp_benjamini_hochberg(adjusted, pvalues, 10), 0);
	for (i = 0; i < 10; i++)
		assert_near(adjusted[i], expected[i], i < 5 || i == 9 ? 1e-15 : 5e-5);
}

static void test_stats_multiplicity_keeps_input_order(void **state)
{
	/* The reference set reversed, adjusted in place (adjusted aliases p). */
	double p[10];
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		p[i] = pvalues[9 - i];
	assert_int_equal(rlp_holm(p, p, 10), 0);
	assert_near(p[0], .25, 1e-15);
	assert_near(p[9], .01, 1e-15);
	assert_near(p[5], .03, 1e-15);
	for (i = 0; i < 10; i++)
		p[i] = pvalues[9 - i];
	assert_int_equal(rlp_benjamini_hochberg(p, p, 10), 0);
	assert_near(p[0], .09, 1e-15);
	assert_near(p[4], .05 * 10 / 6, 1e-15);
}

static void test_stats_multiplicity_caps_and_rejects(void **state)
{
	static const double big[] = { 0.4, 0.6, 0.9 }, bad[] = { 0.1, NAN };
	double adjusted[3] = { -1, -1, -1 };

	(void)state;
	assert_int_equal(rlp_holm(adjusted, big, 3), 0);
	assert_true(adjusted[0] == 1 && adjusted[1] == 1 && adjusted[2] == 1);
	assert_int_equal(rlp_benjamini_hochberg(adjusted, big, 3), 0);
	assert_near(adjusted[0], 0.9, 1e-15);
	adjusted[0] = adjusted[1] = -1;
	assert_int_equal(rlp_holm(adjusted, bad, 2), -1);
	assert_int_equal(rlp_benjamini_hochberg(adjusted, bad, 2), -1);
	assert_true(adjusted[0] == -1 && adjusted[1] == -1);
	assert_int_equal(rlp_holm(adjusted, big, 0), 0);
}

/* ---- quantiles -------------------------------------------------------- */

static void test_stats_quantile_type7(void **state)
{
	double ten[10], four[] = { 3, 1, 2, 10 }, one[] = { 42 };
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		ten[i] = (double)(10 - i);
	rlp_sort_doubles(ten, 10);
	assert_true(ten[0] == 1 && ten[9] == 10);
	/* numpy.quantile */
	assert_near(rlp_quantile_sorted(ten, 10, 0.95), 9.549999999999999, 1e-15);
	assert_near(rlp_quantile_sorted(ten, 10, 0.5), 5.5, 1e-15);
	rlp_sort_doubles(four, 4);
	assert_near(rlp_quantile_sorted(four, 4, 0.1), 1.3, 1e-15);
	assert_true(rlp_quantile_sorted(four, 4, 0) == 1);
	assert_true(rlp_quantile_sorted(four, 4, 1) == 10);
	assert_true(rlp_quantile_sorted(one, 1, 0.95) == 42);
	assert_true(rlp_quantile_sorted(one, 1, 0) == 42);
	assert_nan(rlp_quantile_sorted(one, 0, 0.5));
	assert_nan(rlp_quantile_sorted(four, 4, 1.5));
	assert_nan(rlp_quantile_sorted(four, 4, NAN));
}

/* ---- planning --------------------------------------------------------- */

static void test_stats_sample_size_reference(void **state)
{
	(void)state;
	assert_true(rlp_sample_size(1.0 / 9, 0, 1, 0, 1, 0.03, 0.05, 0.8) == 969);
	/* The inverse: 969 detects 0.03, 968 does not quite. */
	assert_true(rlp_min_detectable_effect(1.0 / 9, 969, 0.05, 0.8) <= 0.03);
	assert_true(rlp_min_detectable_effect(1.0 / 9, 968, 0.05, 0.8) > 0.03);
	/* Resampling terms add variance: sA2/KA = 0.1/2. */
	assert_true(rlp_sample_size(1.0 / 9, 0.1, 2, 0, 1, 0.03, 0.05, 0.8) ==
		    ceil(pow(1.959963984540054 + 0.8416212335729143, 2) * (1.0 / 9 + 0.05) /
			 0.0009));
	assert_nan(rlp_sample_size(1.0 / 9, 0, 1, 0, 1, 0, 0.05, 0.8));
	assert_nan(rlp_sample_size(1.0 / 9, 0, 1, 0, 1, 0.03, 0.05, 1));
}

static void test_stats_cs_halfwidth_reference(void **state)
{
	(void)state;
	assert_near(rlp_cs_halfwidth(0.5, 5000, 0.05, 5000), 0.02146, 5e-6);
	/* Narrows as n grows, scales with sd. */
	assert_true(rlp_cs_halfwidth(0.5, 20000, 0.05, 5000) <
		    rlp_cs_halfwidth(0.5, 5000, 0.05, 5000));
	assert_near(rlp_cs_halfwidth(1, 5000, 0.05, 5000),
		    2 * rlp_cs_halfwidth(0.5, 5000, 0.05, 5000), 1e-16);
	assert_nan(rlp_cs_halfwidth(0.5, 0, 0.05, 5000));
}

static void test_stats_rate_cap_n_reference(void **state)
{
	(void)state;
	assert_int_equal(rlp_rate_cap_n_required(0.01, 0.95), 299);
	/* 299 certifies 1% and 298 does not. */
	assert_true(1 - pow(0.05, 1.0 / 299) <= 0.01);
	assert_true(1 - pow(0.05, 1.0 / 298) > 0.01);
	assert_int_equal(rlp_rate_cap_n_required(0.001, 0.95), 2995);
	assert_int_equal(rlp_rate_cap_n_required(0, 0.95), -1);
	assert_int_equal(rlp_rate_cap_n_required(0.01, 1), -1);
}

/* Quickselect gives the sorted array's type-7 quantile exactly, on random
 * data with many ties, for quantiles at and between order statistics. */
static void test_stats_quantile_select_matches_sorted(void **state)
{
	static const double qs[] = {0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
	unsigned long seed = 12345;
	(void)state;

	for (size_t n = 1; n <= 300; n += 7) {
		double x[300], sorted[300], work[300];
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			x[i] = (double)((seed >> 33) % 50) / 4.0; /* ties on purpose */
		}
		memcpy(sorted, x, n * sizeof(*x));
		rlp_sort_doubles(sorted, n);
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			memcpy(work, x, n * sizeof(*x));
			double a = rlp_quantile_select(work, n, qs[k]);
			double b = rlp_quantile_sorted(sorted, n, qs[k]);
			assert_true(a == b);
		}
	}
	double none[1] = {0};
	assert_true(isnan(rlp_quantile_select(none, 0, 0.5)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_norm_ppf_reference),
		cmocka_unit_test(test_stats_norm_ppf_edges),
		cmocka_unit_test(test_stats_norm_cdf_inverts_ppf),
		cmocka_unit_test(test_stats_z_for_sidedness),
		cmocka_unit_test(test_stats_chi2_sf),
		cmocka_unit_test(test_stats_beta_inc_values),
		cmocka_unit_test(test_stats_beta_inc_inv_round_trip),
		cmocka_unit_test(test_stats_binomial),
		cmocka_unit_test(test_stats_wilson_two_sided_reference),
		cmocka_unit_test(test_stats_wilson_one_sided_reference),
		cmocka_unit_test(test_stats_wilson_edges),
		cmocka_unit_test(test_stats_clopper_pearson_reference),
		cmocka_unit_test(test_stats_clopper_pearson_one_sided_extremes),
		cmocka_unit_test(test_stats_newcombe_reference),
		cmocka_unit_test(test_stats_newcombe_edges),
		cmocka_unit_test(test_stats_agresti_min_reference),
		cmocka_unit_test(test_stats_agresti_min_edges),
		cmocka_unit_test(test_stats_mcnemar_reference),
		cmocka_unit_test(test_stats_mcnemar_edges),
		cmocka_unit_test(test_stats_mannwhitney_reference),
		cmocka_unit_test(test_stats_mannwhitney_ties),
		cmocka_unit_test(test_stats_mannwhitney_exact_extreme),
		cmocka_unit_test(test_stats_mannwhitney_rejects_bad_input),
		cmocka_unit_test(test_stats_hodges_lehmann_reference),
		cmocka_unit_test(test_stats_hodges_lehmann_exact_small),
		cmocka_unit_test(test_stats_hodges_lehmann_normal_approximation),
		cmocka_unit_test(test_stats_hodges_lehmann_rejects_bad_input),
		cmocka_unit_test(test_stats_moments),
		cmocka_unit_test(test_stats_clustered_se_reference),
		cmocka_unit_test(test_stats_clustered_se_edges),
		cmocka_unit_test(test_stats_holm_reference),
		cmocka_unit_test(test_stats_benjamini_hochberg_reference),
		cmocka_unit_test(test_stats_multiplicity_keeps_input_order),
		cmocka_unit_test(test_stats_multiplicity_caps_and_rejects),
		cmocka_unit_test(test_stats_quantile_type7),
		cmocka_unit_test(test_stats_quantile_select_matches_sorted),
		cmocka_unit_test(test_stats_sample_size_reference),
		cmocka_unit_test(test_stats_cs_halfwidth_reference),
		cmocka_unit_test(test_stats_rate_cap_n_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
