/* rlp_diff_compute: paired statistics per slice against RULES.md's
 * reference values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "diff.h"
#include "error.h"

static const char *const tags[] = {"math", "division"};
static const char *const metrics[] = {"pass", "rm", "pass"}; /* pass twice: compared once */
static const struct rlp_results_spec spec = {
	.tags = tags, .ntags = 2, .metrics = metrics, .nmetrics = 3,
};

/* b pairs where B passes alone, c where A does, then ties. */
static void add_pairs(struct rlp_buf *a, struct rlp_buf *b, const char *tag, int bwins, int awins,
		      int ties)
{
	int k = 0;
	for (int i = 0; i < bwins + awins + ties; i++, k++) {
		int pa = i < bwins ? 0 : i < bwins + awins ? 1 : (i % 2);
		int pb = i < bwins ? 1 : i < bwins + awins ? 0 : (i % 2);
		rlp_buf_printf(a, "{\"id\":\"%s-%d\",\"tags\":[\"%s\"],\"scores\":{\"pass\":%d,\"rm\":%g}}\n",
			       tag, k, tag, pa, 0.5);
		rlp_buf_printf(b, "{\"id\":\"%s-%d\",\"tags\":[\"%s\"],\"scores\":{\"pass\":%d,\"rm\":%g}}\n",
			       tag, k, tag, pb, 0.5 + (k % 2) * 0.1);
	}
}

static const struct rlp_diff_row *row(const struct rlp_diff *d, const char *slice,
				      const char *metric)
{
	for (size_t i = 0; i < d->nrows; i++)
		if (!strcmp(d->rows[i].slice, slice) && !strcmp(d->rows[i].metric, metric))
			return &d->rows[i];
	return NULL;
}

static void test_diff_matches_reference_values(void **state)
{
	static char *math_tags[] = {"math"}, *div_tags[] = {"division"}, *none_tags[] = {"nothing"};
	const struct rlp_slice slices[] = {
		{.name = "math", .tags = math_tags, .ntags = 1},
		{.name = "division", .tags = div_tags, .ntags = 1},
		{.name = "empty", .tags = none_tags, .ntags = 1},
	};
	struct rlp_buf a = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct rlp_results *ra = NULL, *rb = NULL;
	struct rlp_diff *d = NULL;
	(void)state;

	add_pairs(&a, &b, "math", 15, 19, 66);
	add_pairs(&a, &b, "division", 20, 40, 100);
	rlp_buf_puts(&a, "{\"id\":\"only-a\",\"tags\":[\"math\"],\"scores\":{\"pass\":1,\"rm\":1}}\n");
	assert_int_equal(rlp_results_read_buffer(&ra, a.ptr, a.len, "a", &spec), 0);
	assert_int_equal(rlp_results_read_buffer(&rb, b.ptr, b.len, "b", &spec), 0);
	struct rlp_diff_input in = {.a = ra, .b = rb, .spec = &spec, .slices = slices, .nslices = 3};
	assert_int_equal(rlp_diff_compute(&d, &in), 0);

	assert_int_equal(d->ids_a, 261);
	assert_int_equal(d->ids_b, 260);
	assert_int_equal(d->shared, 260);
	assert_int_equal(d->nrows, 6); /* all, math, division x pass, rm; empty has no pairs */
	const struct rlp_diff_row *m = row(d, "math", "pass");
	assert_non_null(m);
	assert_true(m->binary);
	assert_int_equal(m->n, 100);
	assert_int_equal(m->b, 15);
	assert_int_equal(m->c, 19);
	assert_true(fabs(m->delta - -0.04) < 1e-12);
	assert_true(fabs(m->p_mcnemar - 0.60759136127308) < 1e-12); /* RULES.md */
	assert_string_equal(m->method, "agresti-min");
	const struct rlp_diff_row *v = row(d, "division", "pass");
	/* RULES.md: Agresti-Min 95% two-sided, b=20, c=40, n=160 */
	assert_true(fabs(v->lower - -0.216017) < 5e-7);
	assert_true(fabs(v->upper - -0.030896) < 5e-7);
	const struct rlp_diff_row *r = row(d, "math", "rm");
	assert_false(r->binary);
	assert_true(isnan(r->p_mcnemar));
	assert_true(fabs(r->delta - 0.05) < 1e-12); /* half the ids gain 0.1 */
	/* sd of 50 zeros and 50 tenths (n-1) = 0.1 * sqrt(25 / 99) */
	double se = 0.1 * sqrt(25.0 / 99) / 10;
	assert_true(fabs(r->lower - (0.05 - 1.959963984540054 * se)) < 1e-12);
	assert_string_equal(d->rows[0].slice, "all");

	rlp_diff_free(d);
	rlp_results_free(ra);
	rlp_results_free(rb);
	rlp_buf_free(&a);
	rlp_buf_free(&b);
}

static void test_diff_refuses_bad_confidence(void **state)
{
	const char *one = "{\"id\":\"x\",\"scores\":{\"pass\":1}}\n";
	struct rlp_results *r = NULL;
	struct rlp_diff *d = NULL;
	(void)state;

	assert_int_equal(rlp_results_read_buffer(&r, one, strlen(one), "r", &spec), 0);
	struct rlp_diff_input in = {.a = r, .b = r, .spec = &spec, .confidence = 1.5};
	assert_int_equal(rlp_diff_compute(&d, &in), RLP_EINVALID);
	assert_null(d);
	in.confidence = 0.9;
	assert_int_equal(rlp_diff_compute(&d, &in), 0);
	assert_int_equal(d->nrows, 1); /* "all" on pass: no record carries rm */
	assert_int_equal(d->rows[0].n, 1);
	assert_int_equal(d->rows[0].b + d->rows[0].c, 0);
	rlp_diff_free(d);
	rlp_results_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_matches_reference_values),
		cmocka_unit_test(test_diff_refuses_bad_confidence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
