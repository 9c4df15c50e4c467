/* Unit tests for lib/json.c: the cJSON wrapper and its per-thread arena. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"

static struct rlp_json *parse_str(const char *s, size_t *off)
{
	return rlp_json_parse(s, strlen(s), off);
}

static void test_json_round_trip(void **state)
{
	const char *text = "{\"a\":1,\"b\":[true,null,\"x\\\"y\"],\"c\":{\"d\":-2.5,\"e\":false}}";
	struct rlp_json *j = parse_str(text, NULL);
	char *printed = NULL;

	(void)state;
	assert_non_null(j);
	printed = rlp_json_print(j, false);
	assert_string_equal(printed, text);
	free(printed);
	assert_true(rlp_json_is_object(j));
	assert_int_equal(rlp_json_size(j), 3);
	assert_true(rlp_json_number(rlp_json_get(j, "a")) == 1.0);
	assert_int_equal(rlp_json_size(rlp_json_get(j, "b")), 3);
	assert_string_equal(rlp_json_string(rlp_json_next(rlp_json_next(
				    rlp_json_first(rlp_json_get(j, "b"))))),
			    "x\"y");
	assert_string_equal(rlp_json_key(rlp_json_first(j)), "a");
	assert_true(rlp_json_is_true(rlp_json_first(rlp_json_get(j, "b"))));
	assert_true(rlp_json_is_null(rlp_json_next(rlp_json_first(rlp_json_get(j, "b")))));
	printed = rlp_json_print(j, true);
	assert_non_null(strstr(printed, "\n\t\"a\":\t1,\n"));
	free(printed);
	rlp_json_free(j);
}

static void test_json_build_and_print(void **state)
{
	struct rlp_json *o = rlp_json_new_object(), *arr = NULL;
	char *printed = NULL;

	(void)state;
	assert_non_null(rlp_json_add_string(o, "s", "v"));
	assert_non_null(rlp_json_add_number(o, "n", 0.25));
	assert_non_null(rlp_json_add_bool(o, "b", true));
	assert_non_null(rlp_json_add_null(o, "z"));
	arr = rlp_json_add_array(o, "a");
	assert_non_null(rlp_json_push_number(arr, 3));
	assert_non_null(rlp_json_push_string(arr, "t"));
	assert_non_null(rlp_json_add_string(rlp_json_push_object(arr), "k", "w"));
	assert_non_null(rlp_json_add_object(o, "o"));
	/* Wrong containers and NULL chains answer NULL. */
	assert_null(rlp_json_push_number(o, 1));
	assert_null(rlp_json_add_number(arr, "x", 1));
	assert_null(rlp_json_add_string(rlp_json_add_object(NULL, "x"), "y", "z"));
	printed = rlp_json_print(o, false);
	assert_string_equal(printed, "{\"s\":\"v\",\"n\":0.25,\"b\":true,\"z\":null,"
				     "\"a\":[3,\"t\",{\"k\":\"w\"}],\"o\":{}}");
	free(printed);
	rlp_json_free(o);
}

static void test_json_nonfinite_added_as_null(void **state)
{
	struct rlp_json *o = rlp_json_new_object(), *arr = rlp_json_add_array(o, "a");
	char *printed = NULL;

	(void)state;
	assert_true(rlp_json_is_null(rlp_json_add_number(o, "nan", NAN)));
	assert_true(rlp_json_is_null(rlp_json_add_number(o, "inf", INFINITY)));
	assert_true(rlp_json_is_null(rlp_json_push_number(arr, -INFINITY)));
	printed = rlp_json_print(o, false);
	assert_string_equal(printed, "{\"a\":[null],\"nan\":null,\"inf\":null}");
	free(printed);
	rlp_json_free(o);
}

static void test_json_overflow_parses_as_nonfinite(void **state)
{
	struct rlp_json *j = parse_str("{\"x\":1e999,\"y\":-1e999,\"z\":1e308}", NULL);

	(void)state;
	assert_non_null(j);
	assert_true(rlp_json_is_number(rlp_json_get(j, "x")));
	assert_false(rlp_json_is_finite_number(rlp_json_get(j, "x")));
	assert_false(rlp_json_is_finite_number(rlp_json_get(j, "y")));
	assert_true(rlp_json_is_finite_number(rlp_json_get(j, "z")));
	rlp_json_free(j);
}

static void test_json_error_offset(void **state)
{
	size_t off = 0;

	(void)state;
	assert_null(parse_str("{\"a\":1,}", &off));
	assert_int_equal(off, 7);
	assert_int_equal(rlp_error_last()[0] != '\0', 1);
	assert_string_equal(rlp_error_last(), "invalid JSON at byte 8");
	/* Trailing data after the value is an error, trailing blanks are not. */
	assert_null(parse_str("{\"a\":1} x", &off));
	assert_int_equal(off, 8);
	assert_null(parse_str("{\"a\":1}{}", &off));
	assert_int_equal(off, 7);
	rlp_json_free(parse_str("{\"a\":1} \r\n\t", &off));
	assert_null(parse_str("", &off));
	assert_int_equal(off, 0);
	assert_null(parse_str("nul", &off));
	/* A NUL byte is never whitespace. */
	assert_null(rlp_json_parse("{\"a\":\0 1}", 9, &off));
	assert_int_equal(off, 5);
	/* Only `len` bytes are read: the closing brace lies beyond. */
	assert_null(rlp_json_parse("{\"a\":1}", 6, &off));
	assert_null(parse_str("{\"a\":1", NULL));
}

static void test_json_accessors_accept_null(void **state)
{
	(void)state;
	assert_false(rlp_json_is_object(NULL));
	assert_false(rlp_json_is_array(NULL));
	assert_false(rlp_json_is_string(NULL));
	assert_false(rlp_json_is_number(NULL));
	assert_false(rlp_json_is_finite_number(NULL));
	assert_false(rlp_json_is_bool(NULL));
	assert_false(rlp_json_is_true(NULL));
	assert_false(rlp_json_is_null(NULL));
	assert_null(rlp_json_get(NULL, "a"));
	assert_null(rlp_json_string(NULL));
	assert_true(isnan(rlp_json_number(NULL)));
	assert_null(rlp_json_first(NULL));
	assert_null(rlp_json_next(NULL));
	assert_null(rlp_json_key(NULL));
	assert_int_equal(rlp_json_size(NULL), 0);
	assert_null(rlp_json_print(NULL, false));
	rlp_json_free(NULL);
	rlp_json_arena_free(NULL);
	rlp_json_arena_reset(NULL);
}

/* Many documents through one arena, reset between them, in blocks far
 * smaller than a document so chaining and dedicated blocks are exercised. */
static void test_json_arena_many_parses(void **state)
{
	struct rlp_json_arena *arena = rlp_json_arena_new(128);
	struct rlp_json *kept[50];
	char doc[256], big[5000];
	int i;

	(void)state;
	assert_non_null(arena);
	rlp_json_arena_use(arena);
	for (i = 0; i < 20000; i++) {
		struct rlp_json *j = NULL;

		snprintf(doc, sizeof(doc),
			 "{\"id\":\"q-%d\",\"scores\":{\"pass\":%d,\"rm\":%d.5},\"tags\":[\"a\",\"b\"]}",
			 i, i % 2, i);
		rlp_json_arena_reset(arena);
		j = parse_str(doc, NULL);
		assert_non_null(j);
		assert_true(rlp_json_number(rlp_json_get(rlp_json_get(j, "scores"), "rm")) ==
			    i + 0.5);
		rlp_json_free(j); /* a no-op inside the arena */
	}
	/* Without resets, earlier trees stay intact across new blocks. */
	rlp_json_arena_reset(arena);
	for (i = 0; i < 50; i++) {
		snprintf(doc, sizeof(doc), "{\"n\":%d,\"s\":\"%0*d\"}", i, 100, i);
		kept[i] = parse_str(doc, NULL);
		assert_non_null(kept[i]);
	}
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[sizeof(big) - 1] = '"';
	assert_non_null(rlp_json_parse(big, sizeof(big), NULL)); /* larger than a block */
	for (i = 0; i < 50; i++)
		assert_true(rlp_json_number(rlp_json_get(kept[i], "n")) == i);
	/* Printing works inside an arena and the result outlives a reset. */
	{
		char *printed = rlp_json_print(kept[7], false);

		rlp_json_arena_reset(arena);
		assert_non_null(printed);
		assert_non_null(strstr(printed, "\"n\":7"));
		free(printed);
	}
	rlp_json_arena_use(NULL);
	rlp_json_arena_free(arena);

	/* Back to malloc: trees are freed normally. */
	rlp_json_free(parse_str("{\"a\":[1,2,3]}", NULL));
}

static void test_json_arena_limit(void **state)
{
	struct rlp_json_arena *arena = rlp_json_arena_new(1024);
	char doc[4096];
	size_t off = 0, i;

	(void)state;
	doc[0] = '[';
	for (i = 1; i < sizeof(doc) - 1; i += 2)
		doc[i] = '0', doc[i + 1] = ',';
	doc[sizeof(doc) - 2] = ']';
	rlp_json_arena_set_limit(arena, 16384);
	rlp_json_arena_use(arena);
	assert_null(rlp_json_parse(doc, sizeof(doc) - 1, &off));
	assert_int_equal(off, SIZE_MAX);
	assert_string_equal(rlp_error_last(), "JSON needs more than 16384 bytes of memory to parse");
	/* Small documents still parse after a reset; a larger limit lets it through. */
	rlp_json_arena_reset(arena);
	assert_non_null(parse_str("[0,0]", NULL));
	rlp_json_arena_set_limit(arena, 0);
	rlp_json_arena_reset(arena);
	assert_int_equal(rlp_json_size(rlp_json_parse(doc, sizeof(doc) - 1, NULL)), 2047);
	rlp_json_arena_use(NULL);
	rlp_json_arena_free(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_build_and_print),
		cmocka_unit_test(test_json_nonfinite_added_as_null),
		cmocka_unit_test(test_json_overflow_parses_as_nonfinite),
		cmocka_unit_test(test_json_error_offset),
		cmocka_unit_test(test_json_accessors_accept_null),
		cmocka_unit_test(test_json_arena_many_parses),
		cmocka_unit_test(test_json_arena_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
