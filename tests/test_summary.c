/* summary.json: counts and means per tag, canonical bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "summary.h"

static void test_summary_counts_every_tag_of_a_record(void **state)
{
	/* a record whose second tag is new: the tag table grows mid-record */
	const char *in = "{\"id\":\"a\",\"tags\":[\"x\"],\"scores\":{\"p\":1}}\n"
			 "{\"id\":\"b\",\"tags\":[\"x\",\"y\"],\"scores\":{\"p\":0,\"q\":true}}\n"
			 "{\"id\":\"c\",\"tags\":[\"z\",\"y\",\"w\"],\"scores\":{\"p\":1}}\n";
	char *out = NULL;
	(void)state;

	assert_int_equal(rlp_summary_compute(&out, in, strlen(in), "r"), 0);
	assert_string_equal(
		out, "{\"ids\":3,\"records\":3,\"scores\":{\"p\":{\"n\":3,\"mean\":0.66666666666666663},"
		     "\"q\":{\"n\":1,\"mean\":1}},\"tags\":{"
		     "\"w\":{\"records\":1,\"scores\":{\"p\":{\"n\":1,\"mean\":1}}},"
		     "\"x\":{\"records\":2,\"scores\":{\"p\":{\"n\":2,\"mean\":0.5},\"q\":{\"n\":1,\"mean\":1}}},"
		     "\"y\":{\"records\":2,\"scores\":{\"p\":{\"n\":2,\"mean\":0.5},\"q\":{\"n\":1,\"mean\":1}}},"
		     "\"z\":{\"records\":1,\"scores\":{\"p\":{\"n\":1,\"mean\":1}}}}}\n");
	free(out);
}

static void test_summary_is_canonical(void **state)
{
	const char *a = "{\"id\":\"a\",\"tags\":[\"y\",\"x\"],\"scores\":{\"q\":1,\"p\":0.5}}\n";
	const char *b = "{\"scores\":{\"p\":0.5,\"q\":1},\"tags\":[\"x\",\"y\"],\"id\":\"a\"}\n\n";
	char *sa = NULL, *sb = NULL;
	(void)state;

	assert_int_equal(rlp_summary_compute(&sa, a, strlen(a), "a"), 0);
	assert_int_equal(rlp_summary_compute(&sb, b, strlen(b), "b"), 0);
	assert_string_equal(sa, sb);
	free(sa);
	free(sb);
}

static void test_summary_refuses_bad_results(void **state)
{
	const char *bad = "{\"id\":\"a\",\"scores\":{\"p\":1e999}}\n";
	char *out = NULL;
	(void)state;

	assert_int_equal(rlp_summary_compute(&out, bad, strlen(bad), "r.jsonl"), RLP_EINVALID);
	assert_null(out);
	assert_non_null(strstr(rlp_error_last(), "r.jsonl:1"));
}

/* No tags and no scores: nothing to sort (qsort of NULL was undefined
 * behaviour the sanitizer build caught through eval run). */
static void test_summary_without_tags_or_scores(void **state)
{
	const char *in = "{\"id\":\"a\"}\n";
	char *out = NULL;
	(void)state;

	assert_int_equal(rlp_summary_compute(&out, in, strlen(in), "r"), 0);
	assert_string_equal(out, "{\"ids\":1,\"records\":1,\"scores\":{},\"tags\":{}}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_counts_every_tag_of_a_record),
		cmocka_unit_test(test_summary_is_canonical),
		cmocka_unit_test(test_summary_refuses_bad_results),
		cmocka_unit_test(test_summary_without_tags_or_scores),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
