/* Shadow traffic batches (lib/shadow.c): outcomes, errors, batches, times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "shadow.h"

#define LINE(id, ts, rest) "{\"id\":\"" id "\",\"timestamp\":\"" ts "\",\"session\":\"s\"," rest "}\n"

static struct rlp_shadow_tally tally_of(const char *text)
{
	struct rlp_shadow *s = NULL;
	struct rlp_shadow_tally t;

	assert_int_equal(rlp_shadow_new(&s), 0);
	if (rlp_shadow_add(s, text, strlen(text), "t.jsonl") != 0)
		fail_msg("%s", rlp_error_last());
	rlp_shadow_get_tally(s, &t);
	rlp_shadow_free(s);
	return t;
}

static void expect_error(const char *text, const char *message)
{
	struct rlp_shadow *s = NULL;
	struct rlp_shadow_tally t;

	assert_int_equal(rlp_shadow_new(&s), 0);
	assert_int_equal(rlp_shadow_add(s, text, strlen(text), "t.jsonl"), RLP_EINVALID);
	if (strcmp(rlp_error_last(), message))
		fail_msg("input:\n%s\ngot  '%s'\nwant '%s'", text, rlp_error_last(), message);
	rlp_shadow_get_tally(s, &t);
	assert_int_equal(t.n, 0); /* nothing merged */
	rlp_shadow_free(s);
}

static void test_shadow_outcomes(void **state)
{
	struct rlp_shadow_tally t = tally_of(
		LINE("a", "2026-03-01T00:00:00Z", "\"candidate\":{\"score\":0.8},\"production\":{\"score\":0.7}")
		LINE("b", "2026-03-01T00:00:01Z", "\"candidate\":{\"score\":0.7},\"production\":{\"score\":0.7}")
		LINE("c", "2026-03-01T00:00:02Z", "\"candidate\":{\"score\":0.1},\"production\":{\"score\":0.7}")
		LINE("d", "2026-03-01T00:00:03Z", "\"candidate\":{\"error\":\"timeout\",\"score\":1},\"production\":{\"score\":0}")
		LINE("e", "2026-03-01T00:00:04Z", "\"candidate\":{\"timeout\":true},\"production\":{\"error\":\"500\"}")
		LINE("f", "2026-03-01T00:00:05Z", "\"candidate\":{\"score\":0,\"error\":null},\"production\":{\"error\":\"503\"}")
		"\n"
		LINE("g", "2026-03-01T00:00:06Z", "\"judge\":\"win\"")
		LINE("h", "2026-03-01T00:00:07Z", "\"judge\":\"tie\"")
		LINE("i", "2026-03-01T00:00:08Z", "\"judge\":\"loss\",\"latency_ms\":12"));
	(void)state;
	assert_int_equal(t.n, 9);
	assert_int_equal(t.wins, 3);   /* a, f (production failed), g */
	assert_int_equal(t.ties, 2);   /* b, h */
	assert_int_equal(t.losses, 4); /* c, d and e (candidate failed), i */
	assert_int_equal(t.candidate_errors, 2);
	assert_int_equal(t.sessions, 1);
	assert_true(t.sum == 4);
	assert_true(t.sumsq == 3.5);
	assert_true(rlp_instant_diff(&t.last, &t.first) == 8);
}

static void test_shadow_errors(void **state)
{
	(void)state;
	expect_error("", "t.jsonl: no requests");
	expect_error("{\"id\":\"a\"\n", "t.jsonl:1: invalid JSON at byte 9");
	expect_error("[1]\n", "t.jsonl:1: not a JSON object");
	expect_error("{\"timestamp\":\"2026-03-01T00:00:00Z\",\"session\":\"s\",\"judge\":\"win\"}\n",
		     "t.jsonl:1: missing id");
	expect_error(LINE("", "2026-03-01T00:00:00Z", "\"judge\":\"win\""),
		     "t.jsonl:1: id: not a non-empty string");
	expect_error("{\"id\":\"a\",\"timestamp\":\"2026-03-01T00:00:00Z\",\"judge\":\"win\"}\n",
		     "t.jsonl:1: missing session");
	expect_error(LINE("a", "2026-02-29T00:00:00Z", "\"judge\":\"win\""),
		     "t.jsonl:1: timestamp: '2026-02-29T00:00:00Z' is not an RFC 3339 time");
	expect_error(LINE("a", "2026-03-01 00:00:00", "\"judge\":\"win\""),
		     "t.jsonl:1: timestamp: '2026-03-01 00:00:00' is not an RFC 3339 time");
	expect_error(LINE("a", "2026-03-01T00:00:00Z", "\"judge\":\"better\""),
		     "t.jsonl:1: judge: not \"win\", \"tie\" or \"loss\"");
	expect_error(LINE("a", "2026-03-01T00:00:00Z",
			  "\"judge\":\"win\",\"candidate\":{\"score\":1}"),
		     "t.jsonl:1: judge and candidate/production: give one or the other");
	expect_error(LINE("a", "2026-03-01T00:00:00Z", "\"candidate\":{\"score\":1}"),
		     "t.jsonl:1: needs a judge, or candidate and production");
	expect_error(LINE("a", "2026-03-01T00:00:00Z",
			  "\"candidate\":{\"score\":\"high\"},\"production\":{\"score\":1}"),
		     "t.jsonl:1: candidate.score: not a finite number");
	expect_error(LINE("a", "2026-03-01T00:00:00Z",
			  "\"candidate\":{},\"production\":{\"score\":1}"),
		     "t.jsonl:1: candidate: needs a score, or an error");
	expect_error(LINE("a", "2026-03-01T00:00:00Z",
			  "\"candidate\":{\"score\":1},\"production\":{\"timeout\":1}"),
		     "t.jsonl:1: production.timeout: not a boolean");
	expect_error(LINE("a", "2026-03-01T00:00:00Z", "\"judge\":\"win\",\"judge\":\"win\""),
		     "t.jsonl:1: duplicate key 'judge'");
	expect_error(LINE("a", "2026-03-01T00:00:00Z", "\"judge\":\"win\"")
		     LINE("b", "2026-03-01T00:00:01Z", "\"judge\":\"win\"")
		     LINE("a", "2026-03-01T00:00:02Z", "\"judge\":\"loss\""),
		     "t.jsonl:3: request 'a' appears twice");
}

/* Batches add up; a request an earlier batch had counts once. */
static void test_shadow_batches(void **state)
{
	const char *one = LINE("a", "2026-03-01T10:00:00Z", "\"judge\":\"win\"")
			  LINE("b", "2026-03-01T11:00:00Z", "\"judge\":\"loss\"");
	const char *two = LINE("b", "2026-03-01T11:00:00Z", "\"judge\":\"loss\"")
			  LINE("c", "2026-03-01T09:30:00+01:00", "\"judge\":\"tie\"");
	const char *bad = LINE("d", "2026-03-01T12:00:00Z", "\"judge\":\"nope\"");
	struct rlp_shadow *s = NULL;
	struct rlp_shadow_tally t;
	char buf[40];
	(void)state;

	assert_int_equal(rlp_shadow_new(&s), 0);
	assert_int_equal(rlp_shadow_add(s, one, strlen(one), "one"), 0);
	assert_int_equal(rlp_shadow_add(s, two, strlen(two), "two"), 0);
	assert_int_equal(rlp_shadow_add(s, bad, strlen(bad), "bad"), RLP_EINVALID);
	rlp_shadow_get_tally(s, &t);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.duplicates, 1);
	assert_int_equal(t.wins + t.ties + t.losses, 3);
	rlp_instant_format(buf, &t.first);
	assert_string_equal(buf, "2026-03-01T08:30:00Z"); /* c, given at +01:00 */
	rlp_instant_format(buf, &t.last);
	assert_string_equal(buf, "2026-03-01T11:00:00Z");
	rlp_shadow_free(s);
}

static void test_shadow_times(void **state)
{
	struct rlp_instant t;
	char buf[40];
	(void)state;

	assert_int_equal(rlp_instant_parse(&t, "1970-01-01T00:00:00Z"), 0);
	assert_true(t.sec == 0 && t.nsec == 0);
	assert_int_equal(rlp_instant_parse(&t, "2026-03-01T12:00:00.25Z"), 0);
	assert_true(t.sec == 1772366400 && t.nsec == 250000000);
	rlp_instant_format(buf, &t);
	assert_string_equal(buf, "2026-03-01T12:00:00.25Z");
	assert_int_equal(rlp_instant_parse(&t, "2024-02-29t23:59:60.5-02:30"), 0);
	rlp_instant_format(buf, &t);
	assert_string_equal(buf, "2024-03-01T02:29:59.5Z");
	assert_int_equal(rlp_instant_parse(&t, "1969-12-31T23:59:59Z"), 0);
	rlp_instant_format(buf, &t);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	assert_int_equal(rlp_instant_parse(&t, "2026-03-01T12:00:00"), RLP_EINVALID);
	assert_int_equal(rlp_instant_parse(&t, "2026-03-01T12:00:00.Z"), RLP_EINVALID);
	assert_int_equal(rlp_instant_parse(&t, "2026-13-01T12:00:00Z"), RLP_EINVALID);
	assert_int_equal(rlp_instant_parse(&t, "2026-03-01T24:00:00Z"), RLP_EINVALID);
	assert_int_equal(rlp_instant_parse(&t, "2026-03-01T12:00:00Zjunk"), RLP_EINVALID);
	rlp_duration_format(buf, sizeof(buf), 90061.5);
	assert_string_equal(buf, "1d1h1m1s");
	rlp_duration_format(buf, sizeof(buf), 86400);
	assert_string_equal(buf, "1d");
	rlp_duration_format(buf, sizeof(buf), 0.4);
	assert_string_equal(buf, "0s");
}

static void test_shadow_summary(void **state)
{
	const char *text = LINE("a", "2026-03-01T10:00:00Z", "\"judge\":\"win\"")
			   LINE("b", "2026-03-01T11:00:00.5Z",
				"\"candidate\":{\"error\":\"x\"},\"production\":{\"score\":1}");
	char *out = NULL;
	(void)state;

	assert_int_equal(rlp_shadow_summary(&out, text, strlen(text), "t"), 0);
	assert_string_equal(out, "{\"candidate_errors\":1,\"first\":\"2026-03-01T10:00:00Z\","
				 "\"last\":\"2026-03-01T11:00:00.5Z\",\"losses\":1,\"requests\":2,"
				 "\"sessions\":1,\"ties\":0,\"wins\":1}\n");
	free(out);
	assert_int_equal(rlp_shadow_summary(&out, "x\n", 2, "t"), RLP_EINVALID);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadow_outcomes),
		cmocka_unit_test(test_shadow_errors),
		cmocka_unit_test(test_shadow_batches),
		cmocka_unit_test(test_shadow_times),
		cmocka_unit_test(test_shadow_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
