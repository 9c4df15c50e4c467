/* Unit tests for lib/results*.c: the streaming JSONL results reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "results.h"

static const char *const TAGS[] = { "headache", "math", "division", "search_api", "tools" };
static const char *const METRICS[] = { "pass", "rm", "format_ok", RLP_FIELD_LATENCY,
				       RLP_FIELD_COST, RLP_DERIVED_KL_K1, RLP_DERIVED_KL_K3 };
enum { PASS, RM, FORMAT_OK, LATENCY, COST, KL_K1, KL_K3 };

static struct rlp_results_spec spec_all(void)
{
	struct rlp_results_spec s = { TAGS, 5, METRICS, 7, 0, NULL };

	return s;
}

static struct rlp_results *read_ok(const char *text, const struct rlp_results_spec *spec)
{
	struct rlp_results *r = NULL;
	int rc = rlp_results_read_buffer(&r, text, strlen(text), "t.jsonl", spec);

	if (rc)
		fail_msg("unexpected error %d: %s", rc, rlp_error_last());
	assert_non_null(r);
	return r;
}

static void expect_error_spec(const char *text, size_t len, const struct rlp_results_spec *spec,
			      const char *message)
{
	struct rlp_results *r = (struct rlp_results *)&r; /* must be reset to NULL */
	int rc = rlp_results_read_buffer(&r, text, len, "t.jsonl", spec);

	if (rc != RLP_EINVALID || r || strcmp(rlp_error_last(), message) != 0)
		fail_msg("input:\n%s\nrc %d, message '%s', want '%s'", text, rc, rlp_error_last(),
			 message);
}

static void expect_error(const char *text, const char *message)
{
	struct rlp_results_spec spec = spec_all();

	expect_error_spec(text, strlen(text), &spec, message);
}

static double value(const struct rlp_results *r, const char *id, size_t m)
{
	long i = rlp_results_find(r, id);
	double v = NAN;

	assert_true(i >= 0);
	if (!rlp_results_value(r, (size_t)i, m, &v))
		return NAN;
	return v;
}

static void test_results_epoch_averaging(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"q-1\",\"epoch\":0,\"scores\":{\"pass\":1,\"rm\":0.5},\"latency_ms\":100}\n"
		"{\"id\":\"q-2\",\"scores\":{\"pass\":0,\"rm\":0.25}}\n"
		"{\"id\":\"q-1\",\"epoch\":1,\"scores\":{\"pass\":0,\"rm\":0.7}}\n"
		"{\"id\":\"q-1\",\"epoch\":2,\"scores\":{\"pass\":1,\"rm\":0.9},\"latency_ms\":300}\n",
		&spec);

	(void)state;
	assert_int_equal(rlp_results_count(r), 2);
	assert_int_equal(rlp_results_records(r), 4);
	assert_string_equal(rlp_results_id(r, 0), "q-1");
	assert_string_equal(rlp_results_id(r, 1), "q-2");
	assert_null(rlp_results_id(r, 2));
	assert_int_equal(rlp_results_epochs(r, 0), 3);
	assert_int_equal(rlp_results_epochs(r, 1), 1);
	assert_float_equal(value(r, "q-1", PASS), 2.0 / 3, 1e-15);
	assert_float_equal(value(r, "q-1", RM), 0.7, 1e-15);
	assert_float_equal(value(r, "q-2", RM), 0.25, 0);
	/* Averaged over the records that carry the metric. */
	assert_float_equal(value(r, "q-1", LATENCY), 200, 0);
	assert_true(isnan(value(r, "q-2", LATENCY)));
	assert_int_equal(rlp_results_metric_count(r, LATENCY), 1);
	assert_int_equal(rlp_results_metric_count(r, PASS), 2);
	assert_int_equal(rlp_results_metric_count(r, FORMAT_OK), 0);
	assert_true(rlp_results_metric_binary(r, PASS));
	assert_false(rlp_results_metric_binary(r, RM));
	rlp_results_free(r);
}

static void test_results_large_epochs(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"epoch\":63,\"scores\":{\"pass\":1}}\n"
		"{\"id\":\"a\",\"epoch\":64,\"scores\":{\"pass\":0}}\n"
		"{\"id\":\"a\",\"epoch\":9007199254740992,\"scores\":{\"pass\":0}}\n"
		"{\"id\":\"b\",\"epoch\":64,\"scores\":{\"pass\":1}}\n",
		&spec);

	(void)state;
	assert_int_equal(rlp_results_epochs(r, 0), 3);
	assert_int_equal(rlp_results_epochs(r, 1), 1);
	assert_float_equal(value(r, "a", PASS), 1.0 / 3, 1e-15);
	rlp_results_free(r);
	expect_error("{\"id\":\"a\",\"epoch\":70}\n{\"id\":\"b\",\"epoch\":70}\n"
		     "{\"id\":\"a\",\"epoch\":70}\n",
		     "t.jsonl:3: duplicate id 'a' for epoch 70 (first seen on line 1)");
}

static void test_results_metric_missing_on_some_records(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"scores\":{\"pass\":1}}\n"
		"{\"id\":\"b\",\"scores\":{\"pass\":0,\"rm\":0.5}}\n"
		"{\"id\":\"a\",\"epoch\":1,\"scores\":{\"rm\":0.25}}\n"
		"{\"id\":\"a\",\"epoch\":2,\"scores\":{\"pass\":0,\"rm\":0.75}}\n"
		"{\"id\":\"c\",\"epoch\":3,\"scores\":{}}\n",
		&spec);

	(void)state;
	assert_float_equal(value(r, "a", PASS), 0.5, 0);
	assert_float_equal(value(r, "a", RM), 0.5, 0);
	assert_float_equal(value(r, "b", PASS), 0, 0);
	assert_float_equal(value(r, "b", RM), 0.5, 0);
	assert_true(isnan(value(r, "c", PASS)));
	assert_int_equal(rlp_results_metric_count(r, PASS), 2);
	assert_int_equal(rlp_results_metric_count(r, RM), 2);
	assert_int_equal(rlp_results_epochs(r, 2), 1);
	rlp_results_free(r);
}

static void test_results_tags_membership(void **state)
{
	static const char *const tags[] = { "math", "tools", "math", "absent" };
	struct rlp_results_spec spec = { tags, 4, METRICS, 1, 0, NULL };
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"tags\":[\"math\",\"other\"]}\n"
		"{\"id\":\"b\",\"tags\":[\"tools\"]}\n"
		"{\"id\":\"c\",\"tags\":[]}\n"
		"{\"id\":\"d\"}\n"
		"{\"id\":\"c\",\"epoch\":1,\"tags\":[\"tools\"]}\n",
		&spec);

	(void)state;
	assert_true(rlp_results_has_tag(r, 0, 0));
	assert_false(rlp_results_has_tag(r, 0, 1));
	assert_true(rlp_results_has_tag(r, 0, 2)); /* a duplicate spec entry */
	assert_false(rlp_results_has_tag(r, 0, 3));
	assert_true(rlp_results_has_tag(r, 1, 1));
	assert_false(rlp_results_has_tag(r, 1, 0));
	assert_true(rlp_results_has_tag(r, 2, 1)); /* membership of any epoch */
	assert_false(rlp_results_has_tag(r, 3, 0));
	assert_false(rlp_results_has_tag(r, 0, 4)); /* out of range */
	assert_false(rlp_results_has_tag(r, 9, 0));
	rlp_results_free(r);
}

/* More tags than one bitset word. */
static void test_results_many_tags(void **state)
{
	static char names[130][8];
	const char *tags[130];
	struct rlp_results_spec spec = { tags, 130, NULL, 0, 0, NULL };
	struct rlp_results *r = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 130; i++) {
		snprintf(names[i], sizeof(names[i]), "t%zu", i);
		tags[i] = names[i];
	}
	r = read_ok("{\"id\":\"a\",\"tags\":[\"t0\",\"t64\",\"t129\"]}\n", &spec);
	for (i = 0; i < 130; i++)
		assert_int_equal(rlp_results_has_tag(r, 0, i), i == 0 || i == 64 || i == 129);
	rlp_results_free(r);
}

static void test_results_booleans(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"scores\":{\"pass\":true,\"format_ok\":false}}\n"
		"{\"id\":\"b\",\"scores\":{\"pass\":false,\"format_ok\":true}}\n"
		"{\"id\":\"a\",\"epoch\":1,\"scores\":{\"pass\":true,\"format_ok\":true}}\n",
		&spec);

	(void)state;
	assert_float_equal(value(r, "a", PASS), 1, 0);
	assert_float_equal(value(r, "a", FORMAT_OK), 0.5, 0);
	assert_float_equal(value(r, "b", PASS), 0, 0);
	assert_true(rlp_results_metric_binary(r, PASS));
	assert_true(rlp_results_metric_binary(r, FORMAT_OK));
	rlp_results_free(r);
}

static void test_results_binary_flag_false_after_fraction(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"scores\":{\"pass\":1,\"format_ok\":1}}\n"
		"{\"id\":\"b\",\"scores\":{\"pass\":0.5,\"format_ok\":0}}\n"
		"{\"id\":\"c\",\"scores\":{\"pass\":0,\"format_ok\":1}}\n",
		&spec);

	(void)state;
	assert_false(rlp_results_metric_binary(r, PASS));
	assert_true(rlp_results_metric_binary(r, FORMAT_OK));
	/* Per record, not per id: two epochs averaging 0.5 stay binary. */
	rlp_results_free(r);
	r = read_ok("{\"id\":\"a\",\"scores\":{\"pass\":1}}\n"
		    "{\"id\":\"a\",\"epoch\":1,\"scores\":{\"pass\":0}}\n",
		    &spec);
	assert_true(rlp_results_metric_binary(r, PASS));
	assert_float_equal(value(r, "a", PASS), 0.5, 0);
	rlp_results_free(r);
}

static void test_results_clusters(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"cluster\":\"task-1\"}\n"
		"{\"id\":\"b\",\"cluster\":\"task-2\"}\n"
		"{\"id\":\"c\",\"cluster\":\"task-1\"}\n"
		"{\"id\":\"a\",\"epoch\":1,\"cluster\":\"task-1\"}\n",
		&spec);

	(void)state;
	assert_int_equal(rlp_results_nclusters(r), 2);
	assert_int_equal(rlp_results_cluster(r, 0), 0);
	assert_int_equal(rlp_results_cluster(r, 1), 1);
	assert_int_equal(rlp_results_cluster(r, 2), 0);
	assert_int_equal(rlp_results_cluster(r, 3), -1);
	rlp_results_free(r);

	/* Ids before the first cluster name none. */
	r = read_ok("{\"id\":\"a\"}\n{\"id\":\"b\",\"cluster\":\"x\"}\n", &spec);
	assert_int_equal(rlp_results_cluster(r, 0), -1);
	assert_int_equal(rlp_results_cluster(r, 1), 0);
	assert_int_equal(rlp_results_nclusters(r), 1);
	rlp_results_free(r);

	r = read_ok("{\"id\":\"a\"}\n", &spec);
	assert_int_equal(rlp_results_cluster(r, 0), -1);
	assert_int_equal(rlp_results_nclusters(r), 0);
	rlp_results_free(r);

	expect_error("{\"id\":\"a\",\"cluster\":\"x\"}\n{\"id\":\"a\",\"epoch\":1,\"cluster\":\"y\"}\n",
		     "t.jsonl:2: id 'a' names cluster 'y', but 'x' on an earlier record");
	expect_error("{\"id\":\"a\",\"cluster\":\"x\"}\n{\"id\":\"a\",\"epoch\":1}\n",
		     "t.jsonl:2: id 'a' names no cluster, but cluster 'x' on an earlier record");
	expect_error("{\"id\":\"a\"}\n{\"id\":\"a\",\"epoch\":1,\"cluster\":\"x\"}\n",
		     "t.jsonl:2: id 'a' names cluster 'x', but none on an earlier record");
}

static void test_results_kl_derived(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"logprob\":-41.2,\"ref_logprob\":-43.0}\n"
		"{\"id\":\"b\",\"logprob\":-10,\"ref_logprob\":-10.001}\n"
		"{\"id\":\"c\",\"logprob\":-12.5}\n"
		"{\"id\":\"d\"}\n"
		"{\"id\":\"e\",\"logprob\":-20.5,\"ref_logprob\":-20.0}\n"
		"{\"id\":\"e\",\"epoch\":1,\"logprob\":-20,\"ref_logprob\":-20}\n",
		&spec);

	(void)state;
	/* k1 = lp - ref; k3 = (r - 1) - log r, r = exp(ref - lp). */
	assert_float_equal(value(r, "a", KL_K1), 1.8, 1e-12);
	assert_float_equal(value(r, "a", KL_K3), exp(-1.8) - 1 + 1.8, 1e-12);
	assert_float_equal(value(r, "a", KL_K3), 0.9652988882215865, 1e-12);
	assert_float_equal(value(r, "b", KL_K1), 0.001, 1e-12);
	/* d = -0.001: d^2/2 + d^3/6 + ... without cancellation. */
	assert_float_equal(value(r, "b", KL_K3) / 4.998333749911141e-07, 1, 1e-9);
	assert_true(isnan(value(r, "c", KL_K1)));
	assert_true(isnan(value(r, "d", KL_K3)));
	/* e: (0.1487212707001282 + 0) / 2 over two epochs. */
	assert_float_equal(value(r, "e", KL_K3), 0.1487212707001282 / 2, 1e-12);
	assert_float_equal(value(r, "e", KL_K1), -0.25, 1e-12);
	assert_int_equal(rlp_results_metric_count(r, KL_K1), 3);
	assert_false(rlp_results_metric_binary(r, KL_K3));
	rlp_results_free(r);

	expect_error("{\"id\":\"a\",\"logprob\":-1000,\"ref_logprob\":0}\n",
		     "t.jsonl:1: derived.kl_k3: not finite (ref_logprob - logprob = 1000)");
	expect_error("{\"id\":\"a\",\"logprob\":\"x\",\"ref_logprob\":0}\n",
		     "t.jsonl:1: logprob: not a number");
	expect_error("{\"id\":\"a\",\"ref_logprob\":-1e999}\n",
		     "t.jsonl:1: ref_logprob: not a finite number");
}

static void test_results_rollout_diversity(void **state)
{
	static const char *const metrics[] = { RLP_DERIVED_DISTINCT_2, RLP_DERIVED_DUPLICATE_RATE,
					       RLP_DERIVED_COLLAPSED };
	enum { D2, DUP, COLL };
	struct rlp_results_spec spec = { NULL, 0, metrics, 3, 0, NULL };
	/* interleaved ids; "the  cat\tsat" has the bigrams of "the cat sat"
	 * but is another output */
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"output\":\"the cat sat\"}\n"
		"{\"id\":\"b\",\"output\":\"x y z\"}\n"
		"{\"id\":\"a\",\"epoch\":1,\"output\":\"the cat sat\"}\n"
		"{\"id\":\"b\",\"epoch\":1,\"output\":\"x y z\"}\n"
		"{\"id\":\"c\",\"output\":\"one two\"}\n"
		"{\"id\":\"a\",\"epoch\":2,\"output\":\"a dog ran\"}\n"
		"{\"id\":\"b\",\"epoch\":2,\"output\":\"x y z\"}\n"
		"{\"id\":\"d\"}\n"
		"{\"id\":\"b\",\"epoch\":3,\"output\":\"x y z\"}\n"
		"{\"id\":\"e\",\"output\":\"ok\"}\n"
		"{\"id\":\"e\",\"epoch\":1,\"output\":\"ok\"}\n"
		"{\"id\":\"f\",\"output\":\"the cat sat\"}\n"
		"{\"id\":\"f\",\"epoch\":1,\"output\":\"the  cat\\tsat\"}\n",
		&spec);

	(void)state;
	/* a: bigrams (the cat)(cat sat) twice, (a dog)(dog ran): 4 of 6 */
	assert_float_equal(value(r, "a", D2), 4.0 / 6, 1e-15);
	assert_float_equal(value(r, "a", DUP), 2.0 / 3, 1e-15);
	assert_float_equal(value(r, "a", COLL), 0, 0);
	/* b: one rollout four times: collapsed */
	assert_float_equal(value(r, "b", D2), 2.0 / 8, 1e-15);
	assert_float_equal(value(r, "b", DUP), 1, 0);
	assert_float_equal(value(r, "b", COLL), 1, 0);
	/* c: one record: no duplicates to speak of */
	assert_float_equal(value(r, "c", D2), 1, 0);
	assert_true(isnan(value(r, "c", DUP)));
	assert_true(isnan(value(r, "c", COLL)));
	assert_true(isnan(value(r, "d", D2)));
	/* e: identical one-token outputs: no bigrams, but collapsed */
	assert_true(isnan(value(r, "e", D2)));
	assert_float_equal(value(r, "e", COLL), 1, 0);
	/* f: same tokens, different bytes */
	assert_float_equal(value(r, "f", D2), 0.5, 0);
	assert_float_equal(value(r, "f", DUP), 0, 0);
	assert_float_equal(value(r, "f", COLL), 0, 0);
	assert_int_equal(rlp_results_metric_count(r, D2), 4);
	assert_int_equal(rlp_results_metric_count(r, COLL), 4);
	assert_true(rlp_results_metric_binary(r, COLL));
	assert_false(rlp_results_metric_binary(r, DUP));
	rlp_results_free(r);

	expect_error_spec("{\"id\":\"a\",\"output\":3}\n", 23, &spec, "t.jsonl:1: output: not a string");
	expect_error_spec("{\"id\":\"a\",\"output\":\"x\",\"output\":\"y\"}\n", 38, &spec,
			  "t.jsonl:1: duplicate key 'output'");
	/* not asked for: any output is the user's business */
	r = read_ok("{\"id\":\"a\",\"output\":3,\"output\":null}\n", NULL);
	rlp_results_free(r);
}

/* Long diverse rollouts: the bigram set of an id stays bounded, and the
 * estimate beyond RLP_RESULTS_BIGRAMS_EXACT stays close. */
static void test_results_distinct_2_estimate(void **state)
{
	static const char *const metrics[] = { RLP_DERIVED_DISTINCT_2 };
	struct rlp_results_spec spec = { NULL, 0, metrics, 1, 0, NULL };
	char *text = malloc(8 * 3000 * 16 + 8 * 64), *p = text;
	struct rlp_results *r;

	(void)state;
	assert_non_null(text);
	/* four copies of one rollout, four rollouts of their own: distinct
	 * bigrams 5 * 2999 of 8 * 2999 */
	for (int e = 0; e < 8; e++) {
		p += sprintf(p, "{\"id\":\"q\",\"epoch\":%d,\"output\":\"", e);
		for (int k = 0; k < 3000; k++)
			p += sprintf(p, "%sw%d_%d", k ? " " : "", e < 4 ? 0 : e, k);
		p += sprintf(p, "\"}\n");
	}
	r = read_ok(text, &spec);
	assert_float_equal(value(r, "q", 0), 0.625, 0.625 * 0.15);
	rlp_results_free(r);
	free(text);
}

static void test_results_reward_hack(void **state)
{
	static const char *const metrics[] = { RLP_DERIVED_REWARD_HACK, "rm", "unit_tests" };
	struct rlp_results_hack hack = { "rm", "unit_tests", 0.8, 1 };
	struct rlp_results_spec spec = { NULL, 0, metrics, 3, 0, &hack };
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"scores\":{\"rm\":0.9,\"unit_tests\":false}}\n"
		"{\"id\":\"b\",\"scores\":{\"rm\":0.9,\"unit_tests\":true}}\n"
		"{\"id\":\"c\",\"scores\":{\"rm\":0.5,\"unit_tests\":0}}\n"
		"{\"id\":\"d\",\"scores\":{\"rm\":0.85}}\n"
		"{\"id\":\"e\",\"scores\":{\"unit_tests\":0,\"rm\":0.8}}\n"
		"{\"id\":\"e\",\"epoch\":1,\"scores\":{\"rm\":0.95,\"unit_tests\":1}}\n",
		&spec);

	(void)state;
	assert_float_equal(value(r, "a", 0), 1, 0);
	assert_float_equal(value(r, "b", 0), 0, 0);
	assert_float_equal(value(r, "c", 0), 0, 0);
	assert_true(isnan(value(r, "d", 0)));
	assert_float_equal(value(r, "e", 0), 0.5, 0); /* threshold inclusive */
	assert_int_equal(rlp_results_metric_count(r, 0), 4);
	rlp_results_free(r);

	spec.hack = NULL;
	expect_error_spec("{\"id\":\"a\"}\n", 11, &spec,
			  "results spec: derived.reward_hack needs its reward and verifier scores "
			  "among the metrics, and both thresholds");
	spec.hack = &hack;
	spec.nmetrics = 2;
	expect_error_spec("{\"id\":\"a\"}\n", 11, &spec,
			  "results spec: derived.reward_hack needs its reward and verifier scores "
			  "among the metrics, and both thresholds");
}

static void test_results_latency_and_cost(void **state)
{
	struct rlp_results_spec spec = spec_all();
	static const char *const pass_only[] = { "pass" };
	struct rlp_results_spec narrow = { NULL, 0, pass_only, 1, 0, NULL };
	const char *nonfinite = "{\"id\":\"a\",\"latency_ms\":-1e999}\n";
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"latency_ms\":812,\"cost_usd\":0.0021,"
		"\"scores\":{\"latency_ms\":5}}\n",
		&spec);

	(void)state;
	assert_float_equal(value(r, "a", LATENCY), 812, 0);
	assert_float_equal(value(r, "a", COST), 0.0021, 0);
	rlp_results_free(r);
	expect_error("{\"id\":\"a\",\"latency_ms\":\"slow\"}\n", "t.jsonl:1: latency_ms: not a number");
	expect_error("{\"id\":\"a\",\"cost_usd\":1e999}\n", "t.jsonl:1: cost_usd: not a finite number");
	/* Not asked for: a wrong type is ignored, a non-finite number is not. */
	r = read_ok("{\"id\":\"a\",\"latency_ms\":\"slow\",\"logprob\":null}\n", &narrow);
	rlp_results_free(r);
	expect_error_spec(nonfinite, strlen(nonfinite), &narrow,
			  "t.jsonl:1: latency_ms: not a finite number");
}

struct error_case {
	const char *input;
	const char *message;
};

static void test_results_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "{\"id\":\"a\"}\n{\"id\":\"b\",\"scores\":{\"pass\":}}\n",
		  "t.jsonl:2: invalid JSON at byte 28" },
		{ "{\"id\":\"a\"} x\n", "t.jsonl:1: invalid JSON at byte 12" },
		{ "{\"id\":\"a\",\"scores\":{\"pass\":NaN}}\n", "t.jsonl:1: invalid JSON at byte 28" },
		{ "[1,2]\n", "t.jsonl:1: not a JSON object" },
		{ "{\"scores\":{\"pass\":1}}\n", "t.jsonl:1: missing id" },
		{ "{\"id\":7}\n", "t.jsonl:1: id: not a string" },
		{ "{\"id\":\"\"}\n", "t.jsonl:1: id: empty" },
		{ "{\"id\":\"a\",\"id\":\"b\"}\n", "t.jsonl:1: duplicate key 'id'" },
		{ "{\"id\":\"a\"}\n{\"id\":\"b\",\"scores\":{\"pass\":1e999}}\n",
		  "t.jsonl:2: scores.pass: not a finite number" },
		{ "{\"id\":\"a\",\"scores\":{\"unknown\":-1e999}}\n",
		  "t.jsonl:1: scores.unknown: not a finite number" },
		{ "{\"id\":\"a\",\"scores\":{\"pass\":\"yes\"}}\n",
		  "t.jsonl:1: scores.pass: not a number or boolean" },
		{ "{\"id\":\"a\",\"scores\":{\"rm\":null}}\n",
		  "t.jsonl:1: scores.rm: not a number or boolean" },
		{ "{\"id\":\"a\",\"scores\":{\"pass\":1,\"pass\":0}}\n",
		  "t.jsonl:1: scores.pass: duplicate key" },
		{ "{\"id\":\"a\",\"scores\":[1]}\n", "t.jsonl:1: scores: not an object" },
		{ "{\"id\":\"a\",\"tags\":\"math\"}\n", "t.jsonl:1: tags: not an array of strings" },
		{ "{\"id\":\"a\",\"tags\":[\"math\",1]}\n", "t.jsonl:1: tags: not an array of strings" },
		{ "{\"id\":\"a\",\"epoch\":-1}\n", "t.jsonl:1: epoch: not a non-negative integer" },
		{ "{\"id\":\"a\",\"epoch\":1.5}\n", "t.jsonl:1: epoch: not a non-negative integer" },
		{ "{\"id\":\"a\",\"epoch\":\"1\"}\n", "t.jsonl:1: epoch: not a non-negative integer" },
		{ "{\"id\":\"a\",\"epoch\":1e300}\n", "t.jsonl:1: epoch: not a non-negative integer" },
		{ "{\"id\":\"a\",\"cluster\":3}\n", "t.jsonl:1: cluster: not a string" },
		{ "{\"id\":\"q-1\"}\n{\"id\":\"q-2\"}\n\n{\"id\":\"q-3\"}\n{\"id\":\"q-2\"}\n",
		  "t.jsonl:5: duplicate id 'q-2' for epoch 0 (first seen on line 2)" },
		{ "{\"id\":\"q-1\",\"epoch\":0}\n{\"id\":\"q-1\",\"epoch\":1}\n{\"id\":\"q-1\",\"epoch\":1}\n",
		  "t.jsonl:3: duplicate id 'q-1' for epoch 1 (first seen on line 2)" },
		/* The first record spells the id with an escape. */
		{ "{\"id\":\"q\\u002d1\"}\n{\"id\":\"q-1\"}\n",
		  "t.jsonl:2: duplicate id 'q-1' for epoch 0 (first seen on line 1)" },
		{ "{\"id\":\"a\\nb\"}\n{\"id\":\"a\\nb\"}\n",
		  "t.jsonl:2: duplicate id 'a?b' for epoch 0 (first seen on line 1)" },
		{ "", "t.jsonl: no records" },
		{ "\n  \n\r\n", "t.jsonl: no records" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].input, cases[i].message);
}

static void test_results_unknown_scores_of_other_types_ignored(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok(
		"{\"id\":\"a\",\"scores\":{\"pass\":1,\"notes\":\"fine\",\"sub\":{\"x\":1},"
		"\"n\":null},\"output\":{\"anything\":[1e999]}}\n",
		&spec);

	(void)state;
	assert_float_equal(value(r, "a", PASS), 1, 0);
	rlp_results_free(r);
}

static void test_results_blank_lines_skipped(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = read_ok("\n  \n{\"id\":\"a\"}\r\n\t\n\n{\"id\":\"b\"}", &spec);

	(void)state;
	assert_int_equal(rlp_results_count(r), 2);
	assert_int_equal(rlp_results_records(r), 2);
	rlp_results_free(r);
	/* Line numbers count the blank lines. */
	expect_error("\n\n{\"id\":\"a\"}\n\n{\"id\":\"b\",\"epoch\":-2}\n",
		     "t.jsonl:5: epoch: not a non-negative integer");
	/* A UTF-8 BOM at the start is skipped. */
	r = read_ok("\xEF\xBB\xBF{\"id\":\"a\"}\n", &spec);
	assert_string_equal(rlp_results_id(r, 0), "a");
	rlp_results_free(r);
}

static char *line_of(size_t len)
{
	/* {"id":"a","pad":"xxx..."} padded to exactly len bytes */
	static const char head[] = "{\"id\":\"a\",\"pad\":\"";
	char *s = malloc(len + 2);
	size_t h = sizeof(head) - 1;

	assert_true(len >= h + 2);
	memcpy(s, head, h);
	memset(s + h, 'x', len - h - 2);
	memcpy(s + len - 2, "\"}", 2);
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

static void test_results_max_line_boundary(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = NULL;
	char *exact = line_of(40), *over = line_of(41);

	(void)state;
	spec.max_line = 40;
	r = read_ok(exact, &spec);
	rlp_results_free(r);
	exact[40] = '\0'; /* the last line without a newline */
	r = read_ok(exact, &spec);
	rlp_results_free(r);
	expect_error_spec(over, strlen(over), &spec, "t.jsonl:1: line longer than 40 bytes");
	over[41] = '\0';
	expect_error_spec(over, strlen(over), &spec, "t.jsonl:1: line longer than 40 bytes");
	free(exact);
	free(over);
}

static void test_results_default_max_line(void **state)
{
	size_t len = RLP_RESULTS_MAX_LINE_DEFAULT + 1;
	char *text = malloc(len + 20);
	char *big = line_of(len);
	struct rlp_results_spec spec = spec_all();

	(void)state;
	strcpy(text, "{\"id\":\"a\"}\n");
	memcpy(text + 11, big, len + 1);
	expect_error_spec(text, 11 + len + 1, &spec, "t.jsonl:2: line longer than 16777216 bytes");
	free(big);
	free(text);
}

/* A line of tiny values would take ~30 bytes of parse tree per byte: capped. */
static void test_results_parse_memory_capped(void **state)
{
	const size_t n = 3u << 20;
	char *text = malloc(n + 64), *p = text;
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = NULL;
	size_t i;

	(void)state;
	p += sprintf(p, "{\"id\":\"a\",\"output\":[0");
	for (i = 0; i < n / 2; i++)
		*p++ = ',', *p++ = '0';
	p += sprintf(p, "]}\n");
	assert_int_equal(rlp_results_read_buffer(&r, text, (size_t)(p - text), "t.jsonl", &spec),
			 RLP_ENOMEM);
	assert_null(r);
	assert_string_equal(rlp_error_last(),
			    "t.jsonl:1: JSON needs more than 67108864 bytes of memory to parse");
	free(text);
}

/* Enough ids to grow the table and the columns many times over. */
static void test_results_many_ids(void **state)
{
	const size_t n = 200000;
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = NULL;
	char *text = malloc(n * 128), *p = text, id[32];
	size_t i;

	(void)state;
	for (i = 0; i < n; i++)
		p += sprintf(p, "{\"id\":\"id-%zu\",\"tags\":[\"%s\"],\"scores\":{\"pass\":%zu,\"rm\":%zu}}\n",
			     i * 7919, TAGS[i % 5], i % 2, i);
	r = read_ok(text, &spec);
	free(text);
	assert_int_equal(rlp_results_count(r), n);
	for (i = 0; i < n; i++) {
		long k;
		double v;

		snprintf(id, sizeof(id), "id-%zu", i * 7919);
		k = rlp_results_find(r, id);
		assert_int_equal(k, (long)i);
		assert_string_equal(rlp_results_id(r, i), id);
		assert_true(rlp_results_value(r, i, RM, &v));
		assert_true(v == (double)i);
		assert_true(rlp_results_has_tag(r, i, i % 5));
		assert_false(rlp_results_has_tag(r, i, (i + 1) % 5));
	}
	assert_int_equal(rlp_results_find(r, "id-1"), -1);
	assert_int_equal(rlp_results_find(r, ""), -1);
	assert_int_equal(rlp_results_find(r, NULL), -1);
	assert_true(rlp_results_metric_binary(r, PASS));
	rlp_results_free(r);
}

static void assert_same_results(const struct rlp_results *a, const struct rlp_results *b)
{
	size_t i, m, t;

	assert_int_equal(rlp_results_count(a), rlp_results_count(b));
	assert_int_equal(rlp_results_records(a), rlp_results_records(b));
	assert_int_equal(rlp_results_nclusters(a), rlp_results_nclusters(b));
	for (m = 0; m < 7; m++) {
		assert_int_equal(rlp_results_metric_count(a, m), rlp_results_metric_count(b, m));
		assert_int_equal(rlp_results_metric_binary(a, m), rlp_results_metric_binary(b, m));
	}
	for (i = 0; i < rlp_results_count(a); i++) {
		assert_string_equal(rlp_results_id(a, i), rlp_results_id(b, i));
		assert_int_equal(rlp_results_epochs(a, i), rlp_results_epochs(b, i));
		assert_int_equal(rlp_results_cluster(a, i), rlp_results_cluster(b, i));
		for (t = 0; t < 5; t++)
			assert_int_equal(rlp_results_has_tag(a, i, t), rlp_results_has_tag(b, i, t));
		for (m = 0; m < 7; m++) {
			double va = NAN, vb = NAN;

			assert_int_equal(rlp_results_value(a, i, m, &va),
					 rlp_results_value(b, i, m, &vb));
			assert_true(va == vb || (isnan(va) && isnan(vb)));
		}
	}
}

static void test_results_fixture_files(void **state)
{
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *c = NULL, *b = NULL;

	(void)state;
	assert_int_equal(rlp_results_read_file(&c, FIXTURES "/results/cand.jsonl", &spec), 0);
	assert_int_equal(rlp_results_count(c), 4);
	assert_int_equal(rlp_results_records(c), 6);
	assert_int_equal(rlp_results_epochs(c, 0), 3);
	assert_float_equal(value(c, "q-1", PASS), 2.0 / 3, 1e-15);
	assert_float_equal(value(c, "q-1", LATENCY), 900, 0);
	assert_float_equal(value(c, "q-2", KL_K1), 1.8, 1e-12);
	assert_false(rlp_results_metric_binary(c, RM));
	assert_true(rlp_results_metric_binary(c, FORMAT_OK));
	assert_int_equal(rlp_results_nclusters(c), 3);
	assert_true(rlp_results_has_tag(c, 0, 1));
	/* BOM, CRLF, a blank line and no final newline. */
	assert_int_equal(rlp_results_read_file(&b, FIXTURES "/results/base.jsonl", &spec), 0);
	assert_int_equal(rlp_results_count(b), 4);
	assert_string_equal(rlp_results_id(b, 0), "q-2");
	assert_float_equal(value(b, "q-3", PASS), 0, 0);
	assert_int_equal(rlp_results_cluster(b, 2), -1);
	rlp_results_free(c);
	rlp_results_free(b);
}

static void test_results_read_files_matches_read_file(void **state)
{
	static const char *const paths[] = { FIXTURES "/results/cand.jsonl",
					     FIXTURES "/results/base.jsonl",
					     FIXTURES "/results/cand.jsonl" };
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *many[3] = { NULL, NULL, NULL }, *one = NULL;
	size_t i;

	(void)state;
	assert_int_equal(rlp_results_read_files(many, paths, 3, &spec), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rlp_results_read_file(&one, paths[i], &spec), 0);
		assert_same_results(many[i], one);
		rlp_results_free(one);
		rlp_results_free(many[i]);
	}
	assert_int_equal(rlp_results_read_files(many, paths, 0, &spec), 0);
}

static void test_results_read_files_error(void **state)
{
	static const char *const paths[] = { FIXTURES "/results/cand.jsonl",
					     FIXTURES "/results/bad.jsonl",
					     FIXTURES "/results/missing.jsonl" };
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *many[3] = { NULL, NULL, NULL }, *one = NULL;

	(void)state;
	/* The lowest failing file is reported; nothing is returned. */
	assert_int_equal(rlp_results_read_files(many, paths, 3, &spec), RLP_EINVALID);
	assert_string_equal(rlp_error_last(),
			    FIXTURES "/results/bad.jsonl:3: invalid JSON at byte 30");
	assert_null(many[0]);
	assert_null(many[1]);
	assert_null(many[2]);
	assert_int_equal(rlp_results_read_file(&one, paths[2], &spec), RLP_EIO);
	assert_null(one);
	assert_string_equal(rlp_error_last(), "cannot open '" FIXTURES
			    "/results/missing.jsonl': No such file or directory");
	assert_int_equal(rlp_results_read_files(many, paths + 2, 1, &spec), RLP_EIO);
}

static char *write_temp(const char *text, size_t len)
{
	char *path = strdup("/tmp/test_results_XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Lines longer than the file reader's first buffer, split across reads. */
static void test_results_file_long_lines(void **state)
{
	const size_t pad = 3u << 20;
	struct rlp_results_spec spec = spec_all();
	struct rlp_results *r = NULL;
	char *text = malloc(2 * pad + 200), *p = text, *path = NULL;

	(void)state;
	p += sprintf(p, "{\"id\":\"a\",\"scores\":{\"pass\":1}}\n{\"id\":\"b\",\"output\":\"");
	memset(p, 'y', pad);
	p += pad;
	p += sprintf(p, "\"}\n{\"id\":\"c\",\"output\":\"");
	memset(p, 'z', pad);
	p += pad;
	p += sprintf(p, "\"}\n{\"id\":\"a\"}");
	path = write_temp(text, (size_t)(p - text));
	assert_int_equal(rlp_results_read_file(&r, path, &spec), RLP_EINVALID);
	assert_null(r);
	assert_non_null(strstr(rlp_error_last(), ":4: duplicate id 'a' for epoch 0 (first seen on line 1)"));
	spec.max_line = pad + 10;
	assert_int_equal(rlp_results_read_file(&r, path, &spec), RLP_EINVALID);
	assert_non_null(strstr(rlp_error_last(), ":2: line longer than 3145738 bytes"));
	unlink(path);
	free(path);

	/* The same without the duplicate reads fine, in a file and a buffer. */
	p -= strlen("{\"id\":\"a\"}");
	spec.max_line = 0;
	path = write_temp(text, (size_t)(p - text));
	assert_int_equal(rlp_results_read_file(&r, path, &spec), 0);
	assert_int_equal(rlp_results_count(r), 3);
	rlp_results_free(r);
	r = NULL;
	assert_int_equal(rlp_results_read_buffer(&r, text, (size_t)(p - text), NULL, &spec), 0);
	assert_int_equal(rlp_results_count(r), 3);
	rlp_results_free(r);
	unlink(path);
	free(path);
	free(text);
}

static void test_results_spec_errors(void **state)
{
	static const char *const bad[] = { "pass", NULL };
	struct rlp_results_spec spec = { NULL, 2, NULL, 0, 0, NULL };
	struct rlp_results *r = NULL;

	(void)state;
	assert_int_equal(rlp_results_read_buffer(&r, "{\"id\":\"a\"}", 10, "x", &spec),
			 RLP_EINVALID);
	assert_string_equal(rlp_error_last(), "results spec: no tag names");
	spec.ntags = 0;
	spec.metrics = bad;
	spec.nmetrics = 2;
	assert_int_equal(rlp_results_read_buffer(&r, "{\"id\":\"a\"}", 10, "x", &spec),
			 RLP_EINVALID);
	assert_string_equal(rlp_error_last(), "results spec: metric 1 is NULL");
	/* No spec: ids only. */
	assert_int_equal(rlp_results_read_buffer(&r, "{\"id\":\"a\"}", 10, "x", NULL), 0);
	assert_int_equal(rlp_results_count(r), 1);
	assert_false(rlp_results_value(r, 0, 0, NULL));
	rlp_results_free(r);
}

static void test_results_duplicate_metric_in_spec(void **state)
{
	static const char *const metrics[] = { "pass", "rm", "pass" };
	struct rlp_results_spec spec = { NULL, 0, metrics, 3, 0, NULL };
	struct rlp_results *r = read_ok("{\"id\":\"a\",\"scores\":{\"pass\":1,\"rm\":0.5}}\n"
					"{\"id\":\"b\",\"scores\":{\"rm\":0.5}}\n",
					&spec);
	double v = 0;

	(void)state;
	assert_true(rlp_results_value(r, 0, 2, &v));
	assert_float_equal(v, 1, 0);
	assert_false(rlp_results_value(r, 1, 2, &v));
	assert_int_equal(rlp_results_metric_count(r, 2), 1);
	assert_true(rlp_results_metric_binary(r, 2));
	rlp_results_free(r);
}

static void test_results_accessors_accept_null(void **state)
{
	(void)state;
	assert_int_equal(rlp_results_count(NULL), 0);
	assert_int_equal(rlp_results_records(NULL), 0);
	assert_null(rlp_results_id(NULL, 0));
	assert_int_equal(rlp_results_find(NULL, "a"), -1);
	assert_false(rlp_results_has_tag(NULL, 0, 0));
	assert_int_equal(rlp_results_epochs(NULL, 0), 0);
	assert_false(rlp_results_value(NULL, 0, 0, NULL));
	assert_false(rlp_results_metric_binary(NULL, 0));
	assert_int_equal(rlp_results_metric_count(NULL, 0), 0);
	assert_int_equal(rlp_results_cluster(NULL, 0), -1);
	assert_int_equal(rlp_results_nclusters(NULL), 0);
	rlp_results_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_epoch_averaging),
		cmocka_unit_test(test_results_large_epochs),
		cmocka_unit_test(test_results_metric_missing_on_some_records),
		cmocka_unit_test(test_results_tags_membership),
		cmocka_unit_test(test_results_many_tags),
		cmocka_unit_test(test_results_booleans),
		cmocka_unit_test(test_results_binary_flag_false_after_fraction),
		cmocka_unit_test(test_results_clusters),
		cmocka_unit_test(test_results_kl_derived),
		cmocka_unit_test(test_results_rollout_diversity),
		cmocka_unit_test(test_results_distinct_2_estimate),
		cmocka_unit_test(test_results_reward_hack),
		cmocka_unit_test(test_results_latency_and_cost),
		cmocka_unit_test(test_results_errors),
		cmocka_unit_test(test_results_unknown_scores_of_other_types_ignored),
		cmocka_unit_test(test_results_blank_lines_skipped),
		cmocka_unit_test(test_results_max_line_boundary),
		cmocka_unit_test(test_results_default_max_line),
		cmocka_unit_test(test_results_parse_memory_capped),
		cmocka_unit_test(test_results_many_ids),
		cmocka_unit_test(test_results_fixture_files),
		cmocka_unit_test(test_results_read_files_matches_read_file),
		cmocka_unit_test(test_results_read_files_error),
		cmocka_unit_test(test_results_file_long_lines),
		cmocka_unit_test(test_results_spec_errors),
		cmocka_unit_test(test_results_duplicate_metric_in_spec),
		cmocka_unit_test(test_results_accessors_accept_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
