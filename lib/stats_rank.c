/*
 * Rank statistics for the gate: Mann-Whitney U, the Hodges-Lehmann shift
 * with its interval, and the sorting and quantiles they and the gate use.
 * Conventions match scipy and R's wilcox.test so tests/stats_crosscheck.py
 * can compare to ~1e-9.
 */
#include "stats.h"
#include "stats_private.h"

#include "error.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Above this many pairs the exact null distribution of U is not computed. */
#define EXACT_MAX_PAIRS 10000

/* ---- rank statistics -------------------------------------------------- */

int stats_compare_keyed(const void *pa, const void *pb)
{
	const struct stats_keyed *a = pa, *b = pb;

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
	struct stats_keyed *pool = malloc(n * sizeof(*pool));
	double t, rank;

	*rank_sum_x = *tie_term = 0;
	if (!pool)
		return rlp_error_set(RLP_ERROR, "out of memory ranking %zu values", n);
	for (i = 0; i < nx; i++)
		pool[i] = (struct stats_keyed){ x[i], i };
	for (i = 0; i < ny; i++)
		pool[nx + i] = (struct stats_keyed){ y[i], nx + i };
	qsort(pool, n, sizeof(*pool), stats_compare_keyed);
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

	*out = stats_interval_nan();
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

/* The k-th smallest of x (0-based) by quickselect with a median-of-three
 * pivot; reorders x so that everything after index k is >= x[k]. */
static double select_kth(double *x, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		double a = x[lo], b = x[mid], c = x[hi];
		double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		size_t i = lo, j = hi;
		while (i <= j) {
			while (x[i] < pivot)
				i++;
			while (x[j] > pivot)
				j--;
			if (i <= j) {
				double t = x[i];
				x[i] = x[j];
				x[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break; /* x[k] sits between the partitions: it is the pivot */
	}
	return x[k];
}

double rlp_quantile_select(double *x, size_t n, double q)
{
	double h, t, lo, hi;
	size_t i;

	if (n == 0 || !(q >= 0 && q <= 1))
		return NAN;
	h = (double)(n - 1) * q;
	if (h >= (double)(n - 1)) {
		hi = x[0];
		for (size_t k = 1; k < n; k++)
			hi = x[k] > hi ? x[k] : hi;
		return hi;
	}
	i = (size_t)floor(h);
	t = h - (double)i;
	lo = select_kth(x, n, i);
	/* the next order statistic: the smallest of what selection left above */
	hi = x[i + 1];
	for (size_t k = i + 2; k < n; k++)
		hi = x[k] < hi ? x[k] : hi;
	/* the same arithmetic as rlp_quantile_sorted, so both agree bit for bit */
	return t >= 0.5 ? hi - (hi - lo) * (1 - t) : lo + (hi - lo) * t;
}
