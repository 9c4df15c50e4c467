/* The production monitor (lib/monitor.c): windows and the four checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "monitor.h"

/* n requests: reward drawn evenly from [lo, lo + 0.4), errors the first
 * `errors` of every 1000, latency 100..199 ms times `slow` (the last 2%
 * twice that again), actions cycling through `actions` ("a,b,c"). */
static struct rlp_window *window(long n, double lo, long errors, double slow, const char *actions)
{
	struct rlp_buf b = RLP_BUF_INIT;
	struct rlp_window *w = NULL;
	char acts[8][16];
	int na = 0;
	char *text;

	for (const char *p = actions; *p && na < 8; na++) {
		size_t len = strcspn(p, ",");
		snprintf(acts[na], sizeof(acts[na]), "%.*s", (int)len, p);
		p += len + (p[len] == ',');
	}
	for (long k = 0; k < n; k++) {
		double lat = (100 + (double)(k % 100)) * slow * (k % 100 >= 98 ? 2 : 1);
		rlp_buf_printf(&b, "{\"id\":\"q%ld\",\"timestamp\":\"2026-03-02T10:%02ld:%02ldZ\","
			       "\"reward\":%.6f,\"error\":%s,\"latency_ms\":%.1f,\"action\":\"%s\"}\n",
			       k, k / 60 % 60, k % 60, lo + 0.4 * (double)(k % 97) / 97,
			       k % 1000 < errors ? "true" : "false", lat, acts[k % na]);
	}
	assert_int_equal(rlp_buf_detach(&text, &b), 0);
	assert_int_equal(rlp_window_new(&w), 0);
	if (rlp_window_add(w, text, strlen(text), "w.jsonl") < 0)
		fail_msg("%s", rlp_error_last());
	free(text);
	return w;
}

static struct rlp_monitor_result compare(struct rlp_window *live, struct rlp_window *base)
{
	struct rlp_monitor_config cfg = RLP_MONITOR_CONFIG_INIT;
	struct rlp_monitor_result r;

	assert_int_equal(rlp_monitor_compare(&r, live, base, &cfg), 0);
	rlp_window_free(live);
	rlp_window_free(base);
	return r;
}

enum { REWARD, ERRORS, LATENCY, ACTIONS };

static void test_monitor_healthy(void **state)
{
	(void)state;
	struct rlp_monitor_result r = compare(window(2000, 0.5, 5, 1, "a,b,c"),
					      window(2000, 0.5, 5, 1, "a,b,c"));
	assert_false(r.breach);
	assert_true(r.decided);
	for (int i = 0; i < RLP_MONITOR_CHECKS; i++)
		assert_int_equal(r.checks[i].state, RLP_MONITOR_OK);
	assert_true(fabs(r.checks[LATENCY].statistic - 1) < 1e-12);
	assert_true(r.checks[ACTIONS].statistic == 0);
}

static void test_monitor_each_breach(void **state)
{
	(void)state;
	/* reward 0.1 lower on average */
	struct rlp_monitor_result r = compare(window(2000, 0.4, 5, 1, "a,b,c"),
					      window(2000, 0.5, 5, 1, "a,b,c"));
	assert_int_equal(r.checks[REWARD].state, RLP_MONITOR_BREACH);
	assert_true(r.checks[REWARD].statistic < 1e-6);
	assert_non_null(strstr(r.checks[REWARD].reason, "reward dropped"));
	assert_int_equal(r.checks[ERRORS].state, RLP_MONITOR_OK);
	/* reward higher: different, but no breach */
	r = compare(window(2000, 0.6, 5, 1, "a,b,c"), window(2000, 0.5, 5, 1, "a,b,c"));
	assert_int_equal(r.checks[REWARD].state, RLP_MONITOR_OK);
	/* errors 5% against 0.5%: rise lcb above 0.01 */
	r = compare(window(2000, 0.5, 50, 1, "a,b,c"), window(2000, 0.5, 5, 1, "a,b,c"));
	assert_int_equal(r.checks[ERRORS].state, RLP_MONITOR_BREACH);
	assert_true(fabs(r.checks[ERRORS].live - 0.05) < 1e-12);
	assert_true(r.checks[ERRORS].statistic > 0.01);
	/* 1% against 0.5%: not shown to be worse by 0.01 */
	r = compare(window(2000, 0.5, 10, 1, "a,b,c"), window(2000, 0.5, 5, 1, "a,b,c"));
	assert_int_equal(r.checks[ERRORS].state, RLP_MONITOR_OK);
	/* latency 1.5x */
	r = compare(window(2000, 0.5, 5, 1.5, "a,b,c"), window(2000, 0.5, 5, 1, "a,b,c"));
	assert_int_equal(r.checks[LATENCY].state, RLP_MONITOR_BREACH);
	assert_true(fabs(r.checks[LATENCY].statistic - 1.5) < 1e-9);
	/* actions: half the traffic to a new action: TV 0.5 */
	r = compare(window(2000, 0.5, 5, 1, "a,new"), window(2000, 0.5, 5, 1, "a,b"));
	assert_int_equal(r.checks[ACTIONS].state, RLP_MONITOR_BREACH);
	assert_true(fabs(r.checks[ACTIONS].statistic - 0.5) < 1e-12);
	assert_true(r.checks[ACTIONS].extra > 1); /* PSI */
	assert_true(r.breach);
}

static void test_monitor_too_little_data(void **state)
{
	(void)state;
	struct rlp_monitor_result r = compare(window(50, 0.1, 50, 3, "x"), window(2000, 0.5, 5, 1, "a"));
	assert_false(r.breach);
	assert_false(r.decided);
	assert_int_equal(r.checks[REWARD].state, RLP_MONITOR_UNKNOWN);
	assert_string_equal(r.checks[REWARD].reason, "n=50 vs 2000: needs 100 on each side");
	assert_string_equal(rlp_monitor_state_name(RLP_MONITOR_UNKNOWN), "-");
}

static void test_monitor_window_errors(void **state)
{
	static const struct { const char *text, *message; } cases[] = {
		{"", "w: no requests"},
		{"{\"timestamp\":\"2026-03-02T10:00:00Z\"}\n", "w:1: id: missing or not a non-empty string"},
		{"{\"id\":\"a\"}\n", "w:1: timestamp: missing or not a string"},
		{"{\"id\":\"a\",\"timestamp\":\"yesterday\"}\n",
		 "w:1: timestamp: 'yesterday' is not an RFC 3339 time"},
		{"{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\",\"reward\":\"high\"}\n",
		 "w:1: reward: not a finite number"},
		{"{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\",\"latency_ms\":-1}\n",
		 "w:1: latency_ms: not a finite number >= 0"},
		{"{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\",\"error\":1}\n",
		 "w:1: error: not a boolean or a string"},
		{"{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\",\"action\":[]}\n",
		 "w:1: action: not a string"},
		{"{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\"}\n"
		 "{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\"}\n", "w:2: request 'a' appears twice"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rlp_window *w = NULL;
		assert_int_equal(rlp_window_new(&w), 0);
		assert_int_equal(rlp_window_add(w, cases[i].text, strlen(cases[i].text), "w"),
				 RLP_EINVALID);
		if (strcmp(rlp_error_last(), cases[i].message))
			fail_msg("case %zu: got '%s', want '%s'", i, rlp_error_last(), cases[i].message);
		assert_int_equal(rlp_window_requests(w), 0);
		rlp_window_free(w);
	}
}

static void test_monitor_summary(void **state)
{
	const char *text = "{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\",\"reward\":1,"
			   "\"error\":\"boom\",\"action\":\"x\"}\n"
			   "{\"id\":\"b\",\"timestamp\":\"2026-03-02T11:00:00Z\",\"reward\":0.5,"
			   "\"latency_ms\":3}\n";
	char *out = NULL;
	(void)state;

	assert_int_equal(rlp_window_summary(&out, text, strlen(text), "w"), 0);
	assert_string_equal(out, "{\"actions\":1,\"errors\":1,\"first\":\"2026-03-02T10:00:00Z\","
				 "\"last\":\"2026-03-02T11:00:00Z\",\"latency_ms\":1,\"requests\":2,"
				 "\"reward_mean\":0.75,\"rewards\":2}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor_healthy),
		cmocka_unit_test(test_monitor_each_breach),
		cmocka_unit_test(test_monitor_too_little_data),
		cmocka_unit_test(test_monitor_window_errors),
		cmocka_unit_test(test_monitor_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
