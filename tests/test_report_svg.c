/* The SVG writer and forest plots: fixed-precision numbers, escaped text,
 * the same bytes for the same input, NaN never drawn. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "report_svg.h"

static char *take(struct rlp_buf *b)
{
	char *s = NULL;
	assert_false(b->failed);
	assert_int_equal(rlp_buf_detach(&s, b), 0);
	return s;
}

static void test_report_svg_numbers_have_fixed_precision(void **state)
{
	struct rlp_buf b = RLP_BUF_INIT;
	(void)state;

	rlp_svg_number(&b, 1.0 / 3);
	rlp_buf_putc(&b, ' ');
	rlp_svg_number(&b, -0.001); /* rounds to -0.00: printed as 0.00 */
	rlp_buf_putc(&b, ' ');
	rlp_svg_number(&b, 12.345);
	rlp_buf_putc(&b, ' ');
	rlp_svg_number(&b, NAN);
	char *s = take(&b);
	assert_string_equal(s, "0.33 0.00 12.35 0.00");
	free(s);
}

static void test_report_svg_escapes_text(void **state)
{
	struct rlp_buf b = RLP_BUF_INIT;
	(void)state;

	rlp_svg_text(&b, 1, 2, RLP_SVG_END, 11, "#000000", true, "a<b & \"c\" 'd'>\x01\x1f é");
	char *s = take(&b);
	assert_string_equal(s, "<text x=\"1.00\" y=\"2.00\" text-anchor=\"end\" font-size=\"11.00\" "
			       "fill=\"#000000\" font-weight=\"bold\">"
			       "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt; é</text>\n");
	free(s);
}

static const struct rlp_forest_row rows[] = {
	{"headache", 0.01, -0.02, 0.04, 0.91, 0.90, "#1a7f37", "Δ +0.01", NULL, "tip <1>"},
	{"a very long slice name that must be cut short", -0.3, -0.35, -0.25, 0.4, 0.7, "#cf222e",
	 "Δ -0.3", NULL, NULL},
	{"empty", NAN, NAN, NAN, NAN, NAN, "#9a6700", "INCONCLUSIVE", "no baseline <here>", NULL},
};

static char *forest(void)
{
	struct rlp_forest_panel p = {
		.title = "no-regress · slice_noninferiority", .axis = "Δ candidate − baseline",
		.difference = true, .rows = rows, .nrows = 3,
		.refs = {{0, NULL, false}, {-0.03, "−margin 0.03", true}}, .nrefs = 2,
	};
	struct rlp_buf b = RLP_BUF_INIT;
	rlp_svg_forest(&b, "pass & co", &p, 1);
	return take(&b);
}

static void test_report_svg_forest_is_deterministic(void **state)
{
	char *a = forest(), *b = forest();
	(void)state;

	assert_string_equal(a, b);
	assert_true(!strncmp(a, "<svg width=\"1000.00\" height=\"", 29));
	assert_non_null(strstr(a, "aria-label=\"pass &amp; co\""));
	assert_non_null(strstr(a, "<title>tip &lt;1&gt;</title>"));
	assert_non_null(strstr(a, ">−margin 0.03</text>"));
	assert_non_null(strstr(a, "stroke-dasharray")); /* the threshold line */
	assert_non_null(strstr(a, ">no baseline &lt;here&gt;</text>"));
	/* 22 characters at most, the last one an ellipsis */
	assert_non_null(strstr(a, ">a very long slice nam…</text>"));
	/* no NaN or infinity printed as a number */
	assert_null(strstr(a, "nan"));
	assert_null(strstr(a, "\"inf"));
	assert_null(strstr(a, "\"-inf"));
	assert_null(strstr(a, ">inf"));
	assert_null(strstr(a, "-0.00"));
	assert_true(strlen(a) > 7 && !strcmp(a + strlen(a) - 7, "</svg>\n"));
	free(a);
	free(b);
}

static void test_report_svg_forest_survives_no_numbers(void **state)
{
	static const struct rlp_forest_row none[] = {
		{"all", NAN, NAN, NAN, NAN, NAN, NULL, NULL, "missing", NULL},
	};
	struct rlp_forest_panel p = {.title = "t", .rows = none, .nrows = 1};
	struct rlp_buf b = RLP_BUF_INIT;
	(void)state;

	rlp_svg_forest(&b, "x", &p, 1);
	char *s = take(&b);
	assert_non_null(strstr(s, ">missing</text>"));
	assert_null(strstr(s, "nan"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_svg_numbers_have_fixed_precision),
		cmocka_unit_test(test_report_svg_escapes_text),
		cmocka_unit_test(test_report_svg_forest_is_deterministic),
		cmocka_unit_test(test_report_svg_forest_survives_no_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
