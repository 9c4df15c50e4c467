/* The gate against numbers worked out by hand or taken from RULES.md's
 * reference table: each test builds a policy and results in memory. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "error.h"
#include "gate.h"
#include "policy.h"
#include "results.h"

#define POLICY_HEAD                                                                          \
	"version: 1\nmodel: m\nstages: [dev, prod]\n"                                          \
	"slices: {a: {tags: [a]}, b: {tags: [b]}}\n"                                           \
	"promotions:\n  prod:\n    from: dev\n    baseline: prod\n    rules:\n"

struct fixture {
	struct rlp_policy *policy;
	struct rlp_results_spec spec;
	struct rlp_results *cand, *base;
	struct rlp_run_metrics run;
	struct rlp_gate_result *res;
};

/* Records: `n` ids "i<k>" tagged `tag`, metric `m` = 1 for the first `ones`. */
static void add_binary(struct rlp_buf *b, const char *prefix, const char *tag, const char *m,
		       long n, long ones)
{
	for (long k = 0; k < n; k++)
		rlp_buf_printf(b, "{\"id\":\"%s%ld\",\"tags\":[\"%s\"],\"scores\":{\"%s\":%d}}\n",
			       prefix, k, tag, m, k < ones);
}

/* Paired binary outcomes: b pairs where the candidate wins, c where the
 * baseline wins, the rest (n - b - c) both pass. */
static void add_pairs(struct rlp_buf *cand, struct rlp_buf *base, const char *tag, long b, long c,
		      long n)
{
	for (long k = 0; k < n; k++) {
		int vc = k < b ? 1 : k < b + c ? 0 : 1;
		int vb = k < b ? 0 : 1;
		rlp_buf_printf(cand, "{\"id\":\"p%ld\",\"tags\":[\"%s\"],\"scores\":{\"x\":%d}}\n", k, tag, vc);
		rlp_buf_printf(base, "{\"id\":\"p%ld\",\"tags\":[\"%s\"],\"scores\":{\"x\":%d}}\n", k, tag, vb);
	}
}

#define HEALTH_HEAD                                                                          \
	"version: 1\nmodel: m\nstages: [dev, prod]\n"                                          \
	"health: {reward: rm, human: human_pref, verifier: unit_tests, hack_threshold: 0.8}\n"   \
	"promotions:\n  prod:\n    from: dev\n    baseline: prod\n    rules:\n"

/* The shadow traffic the next gate sees (NULL: none). */
static const struct rlp_shadow_tally *shadow_input;

static void run_gate_head(struct fixture *f, const char *head, const char *rules, const char *cand,
			  const char *base, const char *run_json)
{
	char policy[4096];

	memset(f, 0, sizeof(*f));
	snprintf(policy, sizeof(policy), "%s%s", head, rules);
	if (rlp_policy_parse(&f->policy, policy, strlen(policy), "test.yaml") < 0)
		fail_msg("policy: %s", rlp_error_last());
	assert_int_equal(rlp_gate_spec(&f->spec, f->policy, "prod"), 0);
	if (cand && rlp_results_read_buffer(&f->cand, cand, strlen(cand), "cand", &f->spec) < 0)
		fail_msg("cand: %s", rlp_error_last());
	if (base && rlp_results_read_buffer(&f->base, base, strlen(base), "base", &f->spec) < 0)
		fail_msg("base: %s", rlp_error_last());
	rlp_run_metrics_init(&f->run);
	if (run_json)
		assert_int_equal(rlp_run_metrics_parse(&f->run, run_json, strlen(run_json), "run"), 0);
	struct rlp_gate_input in = {.policy = f->policy, .to = "prod", .candidate = f->cand,
				    .baseline = f->base, .spec = &f->spec,
				    .run = run_json ? &f->run : NULL, .shadow = shadow_input};
	if (rlp_gate_evaluate(&f->res, &in) < 0)
		fail_msg("gate: %s", rlp_error_last());
}

static void run_gate(struct fixture *f, const char *rules, const char *cand, const char *base,
		     const char *run_json)
{
	run_gate_head(f, POLICY_HEAD, rules, cand, base, run_json);
}

static void fixture_free(struct fixture *f)
{
	rlp_gate_result_free(f->res);
	rlp_results_free(f->cand);
	rlp_results_free(f->base);
	rlp_run_metrics_clear(&f->run);
	rlp_gate_spec_free(&f->spec);
	rlp_policy_free(f->policy);
}

static char *text(struct rlp_buf *b)
{
	char *s;
	assert_int_equal(rlp_buf_detach(&s, b), 0);
	return s;
}

static void test_gate_lower_bound_wilson(void **state)
{
	static const struct { long k, n; double min, lcb; enum rlp_verdict v; } cases[] = {
		{870, 1000, 0.85, 0.851504, RLP_PASS},
		{87, 100, 0.85, 0.804806, RLP_INCONCLUSIVE},
		{9, 10, 0.60, 0.652281, RLP_PASS},
		{10, 10, 0.80, 0.787058, RLP_INCONCLUSIVE},
		{50, 100, 0.60, NAN, RLP_FAIL}, /* ucb 0.58 < 0.60 */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rlp_buf c = RLP_BUF_INIT;
		struct fixture f;
		char rules[256];
		add_binary(&c, "i", "a", "ok", cases[i].n, cases[i].k);
		char *cand = text(&c);
		snprintf(rules, sizeof(rules),
			 "      - {id: r, kind: lower_bound_above, metric: ok, min: %g}\n", cases[i].min);
		run_gate(&f, rules, cand, NULL, NULL);
		const struct rlp_figures *fig = &f.res->rules[0].fig;
		assert_int_equal(fig->verdict, cases[i].v);
		assert_int_equal(fig->n, cases[i].n);
		if (!isnan(cases[i].lcb))
			assert_float_equal(fig->lower, cases[i].lcb, 1e-6);
		else
			assert_true(fig->upper < cases[i].min);
		assert_int_equal(f.res->decision, cases[i].v == RLP_PASS ? RLP_GO
						  : cases[i].v == RLP_FAIL ? RLP_NOGO : RLP_HOLD);
		fixture_free(&f);
		free(cand);
	}
}

static void test_gate_rate_cap_certifies_at_299(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	add_binary(&c, "i", "a", "bad", 299, 0);
	char *cand = text(&c);
	run_gate(&f, "      - {id: s, kind: rate_cap, metric: bad, max_rate: 0.01, max_count: 0}\n",
		 cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_PASS);
	assert_float_equal(f.res->rules[0].fig.upper, 1 - pow(0.05, 1.0 / 299), 1e-9);
	fixture_free(&f);
	free(cand);

	add_binary(&c, "i", "a", "bad", 298, 0);
	cand = text(&c);
	run_gate(&f, "      - {id: s, kind: rate_cap, metric: bad, max_rate: 0.01}\n", cand, NULL,
		 NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_INCONCLUSIVE);
	assert_non_null(strstr(f.res->rules[0].fig.reason, "need n >= 299"));
	fixture_free(&f);
	free(cand);
}

static void test_gate_critical_fail_decides_alone(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	add_binary(&c, "i", "a", "bad", 1000, 1);
	char *cand = text(&c);
	run_gate(&f,
		 "      - {id: s, kind: rate_cap, metric: bad, max_rate: 0.01, max_count: 0, critical: true}\n"
		 "      - {id: w, kind: aggregate_threshold, metric: bad, max: 0.0, severity: warn}\n",
		 cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_FAIL);
	assert_int_equal(f.res->decision, RLP_NOGO);
	assert_non_null(f.res->decided_by);
	assert_string_equal(f.res->decided_by->rule->id, "s");
	assert_false(f.res->rules[1].blocking);
	fixture_free(&f);
	free(cand);
}

static void test_gate_warn_rules_do_not_count(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	add_binary(&c, "i", "a", "ok", 100, 50);
	char *cand = text(&c);
	run_gate(&f,
		 "      - {id: w, kind: aggregate_threshold, metric: ok, min: 0.9, severity: warn}\n"
		 "      - {id: g, kind: aggregate_threshold, metric: ok, min: 0.4}\n",
		 cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_FAIL);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_PASS);
	assert_int_equal(f.res->decision, RLP_GO);
	fixture_free(&f);
	free(cand);
}

static void test_gate_noninferiority_agresti_min(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	/* RULES.md: n=200, b=30, c=15 -> one-sided 95% lcb 0.019703 */
	add_pairs(&c, &b, "a", 30, 15, 200);
	char *cand = text(&c), *base = text(&b);
	run_gate(&f, "      - {id: ni, kind: slice_noninferiority, metric: x, slices: [a], margin: 0}\n",
		 cand, base, NULL);
	const struct rlp_rule_result *r = &f.res->rules[0];
	assert_string_equal(r->method, "agresti-min");
	assert_int_equal(r->nslices, 1);
	assert_string_equal(r->slices[0].slice, "a");
	assert_float_equal(r->slices[0].fig.lower, 0.019703, 1e-6);
	assert_float_equal(r->slices[0].fig.delta, 15.0 / 200, 1e-12);
	assert_int_equal(r->slices[0].fig.n, 200);
	assert_int_equal(r->fig.verdict, RLP_PASS);
	fixture_free(&f);
	free(cand);
	free(base);
}

static void test_gate_noninferiority_fails_and_names_slice(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	/* slice a: equal; slice b: the candidate loses 60 of 200 pairs */
	add_pairs(&c, &b, "a", 0, 0, 200);
	for (long k = 0; k < 200; k++) {
		rlp_buf_printf(&c, "{\"id\":\"q%ld\",\"tags\":[\"b\"],\"scores\":{\"x\":%d}}\n", k, k >= 60);
		rlp_buf_printf(&b, "{\"id\":\"q%ld\",\"tags\":[\"b\"],\"scores\":{\"x\":1}}\n", k);
	}
	char *cand = text(&c), *base = text(&b);
	run_gate(&f, "      - {id: ni, kind: slice_noninferiority, metric: x, margin: 0.02}\n",
		 cand, base, NULL);
	const struct rlp_rule_result *r = &f.res->rules[0];
	assert_int_equal(r->nslices, 2); /* every policy slice when none are named */
	assert_int_equal(r->slices[0].fig.verdict, RLP_PASS);
	assert_int_equal(r->slices[1].fig.verdict, RLP_FAIL);
	assert_int_equal(r->fig.verdict, RLP_FAIL);
	assert_non_null(strstr(r->fig.reason, "slice 'b'"));
	assert_float_equal(r->slices[1].fig.delta, -0.3, 1e-12);
	assert_int_equal(f.res->decision, RLP_NOGO);
	fixture_free(&f);
	free(cand);
	free(base);
}

static void test_gate_superiority_two_sided_agresti_min(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	/* RULES.md: b=20, c=40, n=160 -> two-sided 95% (-0.216017, -0.030896) */
	add_pairs(&c, &b, "a", 20, 40, 160);
	char *cand = text(&c), *base = text(&b);
	run_gate(&f, "      - {id: up, kind: superiority, metric: x, slice: a, sided: two}\n", cand,
		 base, NULL);
	const struct rlp_rule_result *r = &f.res->rules[0];
	assert_float_equal(r->slices[0].fig.lower, -0.216017, 1e-6);
	assert_float_equal(r->slices[0].fig.upper, -0.030896, 1e-6);
	assert_int_equal(r->fig.verdict, RLP_FAIL);
	fixture_free(&f);
	free(cand);
	free(base);
}

static void test_gate_unpaired_newcombe(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	/* RULES.md: 56/70 vs 48/80 -> (0.0524, 0.3339); distinct ids: unpaired */
	add_binary(&c, "c", "a", "x", 70, 56);
	add_binary(&b, "b", "a", "x", 80, 48);
	char *cand = text(&c), *base = text(&b);
	run_gate(&f, "      - {id: up, kind: superiority, metric: x, slice: a, sided: two}\n", cand,
		 base, NULL);
	const struct rlp_rule_result *r = &f.res->rules[0];
	assert_string_equal(r->method, "newcombe");
	assert_float_equal(r->slices[0].fig.lower, 0.0524, 1e-4);
	assert_float_equal(r->slices[0].fig.upper, 0.3339, 1e-4);
	assert_int_equal(r->fig.verdict, RLP_PASS);
	fixture_free(&f);
	free(cand);
	free(base);
}

static void test_gate_clustered_interval(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	/* RULES.md: scores 0..19, cluster i mod 4 -> clustered SE 0.645 */
	for (int i = 0; i < 20; i++)
		rlp_buf_printf(&c, "{\"id\":\"i%d\",\"cluster\":\"c%d\",\"scores\":{\"s\":%d}}\n", i,
			       i % 4, i);
	char *cand = text(&c);
	run_gate(&f, "      - {id: m, kind: aggregate_threshold, metric: s, min: 5, sided: two}\n",
		 cand, NULL, NULL);
	const struct rlp_figures *fig = &f.res->rules[0].fig;
	assert_string_equal(f.res->rules[0].method, "mean-clustered-se");
	assert_float_equal(fig->estimate, 9.5, 1e-12);
	assert_float_equal((fig->upper - fig->lower) / 2 / 1.959963984540054, 0.645, 5e-4);
	fixture_free(&f);
	free(cand);
}

static void test_gate_budget_quantile_and_ratio(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	for (int i = 1; i <= 100; i++) {
		rlp_buf_printf(&c, "{\"id\":\"i%d\",\"latency_ms\":%d}\n", i, i * 12);
		rlp_buf_printf(&b, "{\"id\":\"i%d\",\"latency_ms\":%d}\n", i, i * 10);
	}
	char *cand = text(&c), *base = text(&b);
	run_gate(&f,
		 "      - {id: l, kind: budget, metric: latency_ms, stat: p95, max: 2000, max_ratio_vs_baseline: 1.1}\n",
		 cand, base, NULL);
	const struct rlp_figures *fig = &f.res->rules[0].fig;
	assert_float_equal(fig->estimate, 95.05 * 12, 1e-9); /* type 7 */
	assert_float_equal(fig->baseline, 95.05 * 10, 1e-9);
	assert_int_equal(fig->verdict, RLP_FAIL); /* ratio 1.2 > 1.1 */
	fixture_free(&f);
	free(cand);
	free(base);

	for (int i = 1; i <= 10; i++)
		rlp_buf_printf(&c, "{\"id\":\"i%d\",\"latency_ms\":%d}\n", i, i);
	cand = text(&c);
	run_gate(&f, "      - {id: l, kind: budget, metric: latency_ms, stat: p95, max: 2000}\n",
		 cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_INCONCLUSIVE); /* n < 20 */
	fixture_free(&f);
	free(cand);
}

static void test_gate_run_metrics_and_reproducible(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	add_binary(&c, "i", "a", "ok", 10, 10);
	char *cand = text(&c);
	const char *rules = "      - {id: kl, kind: range, metric: run.kl_to_base, max: 0.2}\n"
			    "      - {id: rep, kind: reproducible}\n";
	run_gate(&f, rules, cand, NULL, "{\"kl_to_base\":0.05,\"repeats\":2,\"repeats_identical\":true}");
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_PASS);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_PASS);
	assert_int_equal(f.res->decision, RLP_GO);
	fixture_free(&f);

	run_gate(&f, rules, cand, NULL, "{\"kl_to_base\":1.5,\"repeats\":3,\"repeats_identical\":false}");
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_FAIL);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_FAIL);
	fixture_free(&f);

	run_gate(&f, rules, cand, NULL, NULL); /* missing: never passes */
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_INCONCLUSIVE);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_INCONCLUSIVE);
	assert_int_equal(f.res->decision, RLP_HOLD);
	fixture_free(&f);
	free(cand);
}

static void test_gate_on_missing(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	add_binary(&c, "i", "a", "ok", 10, 10);
	char *cand = text(&c);
	run_gate(&f,
		 "      - {id: e, kind: aggregate_threshold, metric: absent, min: 0.5, on_missing: error}\n"
		 "      - {id: i, kind: aggregate_threshold, metric: absent, min: 0.5}\n"
		 "      - {id: x, kind: aggregate_threshold, metric: absent, min: 0.5, on_missing: fail, severity: warn}\n",
		 cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_ERROR_VERDICT);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_INCONCLUSIVE);
	assert_int_equal(f.res->rules[2].fig.verdict, RLP_FAIL);
	assert_int_equal(f.res->decision, RLP_HOLD);
	fixture_free(&f);
	free(cand);
}

static void test_gate_missing_baseline_and_empty_slice(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	add_binary(&c, "i", "a", "x", 50, 40);
	char *cand = text(&c);
	run_gate(&f,
		 "      - {id: ni, kind: slice_noninferiority, metric: x, slices: [a]}\n"
		 "      - {id: lb, kind: lower_bound_above, metric: x, slices: [b], min: 0.5}\n",
		 cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_INCONCLUSIVE);
	assert_non_null(strstr(f.res->rules[0].fig.reason, "no baseline"));
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_ERROR_VERDICT);
	assert_non_null(strstr(f.res->rules[1].fig.reason, "no candidate records in slice 'b'"));
	fixture_free(&f);
	free(cand);
}

static void test_gate_min_samples_never_fails(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	add_binary(&c, "i", "a", "x", 50, 40);
	char *cand = text(&c);
	run_gate(&f, "      - {id: n, kind: min_samples, min_n: 10, min_n_per_slice: 30}\n", cand,
		 NULL, NULL);
	const struct rlp_rule_result *r = &f.res->rules[0];
	assert_int_equal(r->fig.verdict, RLP_INCONCLUSIVE); /* slice b has 0 */
	assert_int_equal(r->nslices, 2);
	assert_int_equal(r->slices[0].fig.verdict, RLP_PASS);
	assert_int_equal(r->slices[1].fig.verdict, RLP_INCONCLUSIVE);
	fixture_free(&f);
	free(cand);
}

static void test_gate_detect_regression_holm(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	/* slice a: b=15, c=19 (p one-sided 0.30): no regression. */
	add_pairs(&c, &b, "a", 15, 19, 100);
	/* slice b: candidate loses 12 pairs, wins none: one-sided p = 0.5^12 */
	for (long k = 0; k < 100; k++) {
		rlp_buf_printf(&c, "{\"id\":\"q%ld\",\"tags\":[\"b\"],\"scores\":{\"x\":%d}}\n", k, k >= 12);
		rlp_buf_printf(&b, "{\"id\":\"q%ld\",\"tags\":[\"b\"],\"scores\":{\"x\":1}}\n", k);
	}
	char *cand = text(&c), *base = text(&b);
	run_gate(&f,
		 "      - {id: dr, kind: slice_noninferiority, metric: x, detect_regression: true, alpha: 0.05}\n",
		 cand, base, NULL);
	const struct rlp_rule_result *r = &f.res->rules[0];
	assert_string_equal(r->method, "mcnemar-exact-holm");
	assert_int_equal(r->slices[0].fig.verdict, RLP_PASS);
	assert_int_equal(r->slices[1].fig.verdict, RLP_FAIL);
	assert_int_equal(r->fig.verdict, RLP_FAIL);
	assert_non_null(strstr(r->fig.reason, "slice 'b'"));
	fixture_free(&f);
	free(cand);
	free(base);
}

static void test_gate_run_metrics_rejects_bad_input(void **state)
{
	static const char *const bad[] = {"[1]", "{\"kl\":1e999}", "{\"repeats\":1.5}",
					  "{\"repeats_identical\":1}", "{", "{\"a\":1,\"a\":2}"};
	struct rlp_run_metrics run;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rlp_run_metrics_parse(&run, bad[i], strlen(bad[i]), "run.json"),
				 RLP_EINVALID);
		assert_non_null(strstr(rlp_error_last(), "run.json"));
		assert_null(run.items);
	}
}

/* ---- RL health ---- */

/* A KL of 1.5 nats to the base model fails max 0.2 through both estimators;
 * a small one passes. */
static void test_gate_health_kl(void **state)
{
	static const char *const rules =
		"      - {id: k1, kind: range, metric: derived.kl_k1, max: 0.2}\n"
		"      - {id: k3, kind: range, metric: derived.kl_k3, max: 0.2}\n";
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	for (int k = 0; k < 100; k++)
		rlp_buf_printf(&c, "{\"id\":\"q%d\",\"logprob\":-40,\"ref_logprob\":-41.5}\n", k);
	char *cand = text(&c);
	run_gate_head(&f, HEALTH_HEAD, rules, cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_FAIL);
	assert_float_equal(f.res->rules[0].fig.estimate, 1.5, 1e-12);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_FAIL);
	assert_float_equal(f.res->rules[1].fig.estimate, (exp(-1.5) - 1 + 1.5), 1e-12);
	assert_string_equal(f.res->rules[1].fig.reason, "0.7231 not <= 0.2");
	assert_int_equal(f.res->decision, RLP_NOGO);
	fixture_free(&f);
	free(cand);

	for (int k = 0; k < 100; k++)
		rlp_buf_printf(&c, "{\"id\":\"q%d\",\"logprob\":-40,\"ref_logprob\":-40.1}\n", k);
	cand = text(&c);
	run_gate_head(&f, HEALTH_HEAD, rules, cand, NULL, NULL);
	assert_int_equal(f.res->decision, RLP_GO);
	assert_float_equal(f.res->rules[1].fig.estimate, (expm1(-0.1) + 0.1), 1e-12);
	fixture_free(&f);
	free(cand);
}

/* The same rollout every epoch: collapsed rate 1, distinct-2 low. */
static void test_gate_health_collapsed(void **state)
{
	static const char *const rules =
		"      - {id: collapse, kind: rate_cap, metric: derived.collapsed, max_rate: 0.05}\n"
		"      - {id: diverse, kind: aggregate_threshold, metric: derived.distinct_2, min: 0.5}\n"
		"      - {id: dups, kind: aggregate_threshold, metric: derived.duplicate_rate, max: 0.5}\n";
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	for (int k = 0; k < 300; k++)
		for (int e = 0; e < 4; e++)
			rlp_buf_printf(&c, "{\"id\":\"q%d\",\"epoch\":%d,\"output\":\"use pip "
				       "install foo==1.2\"}\n", k, e);
	char *cand = text(&c);
	run_gate_head(&f, HEALTH_HEAD, rules, cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_FAIL);
	assert_float_equal(f.res->rules[0].fig.estimate, 1, 0);
	assert_int_equal(f.res->rules[0].fig.n, 300);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_FAIL);
	assert_float_equal(f.res->rules[1].fig.estimate, 0.25, 1e-12); /* 3 of 12 bigrams */
	assert_int_equal(f.res->rules[2].fig.verdict, RLP_FAIL);
	assert_float_equal(f.res->rules[2].fig.estimate, 1, 0);
	fixture_free(&f);
	free(cand);

	/* diverse rollouts: every epoch its own answer */
	for (int k = 0; k < 300; k++)
		for (int e = 0; e < 4; e++)
			rlp_buf_printf(&c, "{\"id\":\"q%d\",\"epoch\":%d,\"output\":\"try %d "
				       "then %d\"}\n", k, e, e, k);
	cand = text(&c);
	run_gate_head(&f, HEALTH_HEAD, rules, cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_PASS);
	assert_float_equal(f.res->rules[0].fig.estimate, 0, 0);
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_PASS);
	assert_float_equal(f.res->rules[1].fig.estimate, 9.0 / 12, 1e-12); /* (try e)(e then) 4 each, (then k) */
	assert_int_equal(f.res->decision, RLP_GO);
	fixture_free(&f);
	free(cand);

	/* one epoch per id: collapse cannot be told, and missing never passes */
	for (int k = 0; k < 300; k++)
		rlp_buf_printf(&c, "{\"id\":\"q%d\",\"output\":\"a b\"}\n", k);
	cand = text(&c);
	run_gate_head(&f, HEALTH_HEAD, rules, cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_INCONCLUSIVE);
	assert_int_equal(f.res->decision, RLP_HOLD);
	fixture_free(&f);
	free(cand);
}

/* A reward jump of 0.23 with flat human preference: an alignment tax of
 * 0.23, FAIL against max 0.1; with human preference rising too, a pass. */
static void test_gate_health_alignment_tax(void **state)
{
	static const char *const rules =
		"      - {id: tax, kind: range, metric: derived.alignment_tax, max: 0.1}\n"
		"      - {id: tax-budget, kind: budget, metric: derived.alignment_tax, max: 0.1}\n";
	struct rlp_buf c = RLP_BUF_INIT, b = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	for (int k = 0; k < 250; k++) {
		double hc = k % 2 ? 0.8 : 0.6; /* flat on average, and per id */
		/* only the first 200 ids carry a human label */
		if (k < 200) {
			rlp_buf_printf(&c, "{\"id\":\"q%d\",\"scores\":{\"rm\":%.2f,\"human_pref\":%.1f}}\n",
				       k, 0.60 + 0.23, hc);
			rlp_buf_printf(&b, "{\"id\":\"q%d\",\"scores\":{\"rm\":0.60,\"human_pref\":%.1f}}\n",
				       k, hc);
		} else {
			rlp_buf_printf(&c, "{\"id\":\"q%d\",\"scores\":{\"rm\":0.99}}\n", k);
			rlp_buf_printf(&b, "{\"id\":\"q%d\",\"scores\":{\"rm\":0.10}}\n", k);
		}
	}
	char *cand = text(&c), *base = text(&b);
	run_gate_head(&f, HEALTH_HEAD, rules, cand, base, NULL);
	const struct rlp_figures *fig = &f.res->rules[0].fig;
	assert_int_equal(fig->verdict, RLP_FAIL);
	assert_float_equal(fig->estimate, 0.23, 1e-12);
	assert_int_equal(fig->n, 200);
	assert_string_equal(fig->reason, "0.23 not <= 0.1 (rm +0.2300, human_pref +0.0000 on 200 ids)");
	assert_int_equal(f.res->rules[1].fig.verdict, RLP_FAIL);
	assert_float_equal(f.res->rules[1].fig.estimate, 0.23, 1e-12);
	fixture_free(&f);
	free(cand);
	free(base);

	/* the same reward jump, matched by human preference: tax 0.03 */
	for (int k = 0; k < 200; k++) {
		rlp_buf_printf(&c, "{\"id\":\"q%d\",\"scores\":{\"rm\":0.83,\"human_pref\":0.9}}\n", k);
		rlp_buf_printf(&b, "{\"id\":\"q%d\",\"scores\":{\"rm\":0.60,\"human_pref\":0.7}}\n", k);
	}
	cand = text(&c);
	base = text(&b);
	run_gate_head(&f, HEALTH_HEAD, rules, cand, base, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_PASS);
	assert_float_equal(f.res->rules[0].fig.estimate, 0.03, 1e-12);
	assert_int_equal(f.res->decision, RLP_GO);
	fixture_free(&f);

	/* no baseline: nothing to compare, never a pass */
	run_gate_head(&f, HEALTH_HEAD, rules, cand, NULL, NULL);
	assert_int_equal(f.res->rules[0].fig.verdict, RLP_INCONCLUSIVE);
	assert_non_null(strstr(f.res->rules[0].fig.reason, "no baseline results"));
	fixture_free(&f);
	free(cand);
	free(base);
}

/* Suspects: high reward, failing verifier; rate_cap counts them and the
 * result lists the first RLP_GATE_MAX_SUSPECTS. */
static void test_gate_health_reward_hack_suspects(void **state)
{
	struct rlp_buf c = RLP_BUF_INIT;
	struct fixture f;
	(void)state;

	for (int k = 0; k < 1000; k++) {
		bool hack = k % 33 == 7;
		rlp_buf_printf(&c, "{\"id\":\"q-%04d\",\"scores\":{\"rm\":%s,\"unit_tests\":%s}}\n", k,
			       hack || k % 2 ? "0.9" : "0.3", hack ? "false" : k % 2 ? "true" : "false");
	}
	char *cand = text(&c);
	run_gate_head(&f, HEALTH_HEAD,
		      "      - {id: hacking, kind: rate_cap, metric: derived.reward_hack, max_rate: 0.01}\n",
		      cand, NULL, NULL);
	const struct rlp_rule_result *r = &f.res->rules[0];
	assert_int_equal(r->fig.verdict, RLP_FAIL);
	assert_int_equal(r->suspects_total, 31);
	assert_int_equal(r->nsuspects, RLP_GATE_MAX_SUSPECTS);
	assert_string_equal(r->suspects[0], "q-0007");
	assert_string_equal(r->suspects[1], "q-0040");
	assert_float_equal(r->fig.estimate, 0.031, 1e-12);
	fixture_free(&f);
	free(cand);
}

/* ---- shadow_compare ---- */

#define SHADOW_HEAD                                                                          \
	"version: 1\nmodel: m\nstages: [staging, prod]\n"                                      \
	"promotions:\n  prod:\n    from: staging\n    rules:\n"

/* n requests spread evenly over `hours`, from 2026-03-01T00:00:00Z; request
 * k wins when k % 100 < win, ties when < win + tie, else loses. */
static struct rlp_shadow *traffic(long n, double hours, int win, int tie)
{
	struct rlp_buf b = RLP_BUF_INIT;
	struct rlp_shadow *s = NULL;
	char *text;

	for (long k = 0; k < n; k++) {
		long at = n > 1 ? (long)((double)k * hours * 3600 / (double)(n - 1)) : 0;
		int r = (int)(k % 100);
		const char *j = r < win ? "win" : r < win + tie ? "tie" : "loss";
		rlp_buf_printf(&b, "{\"id\":\"r%ld\",\"timestamp\":\"2026-03-%02ldT%02ld:%02ld:%02ldZ\","
			       "\"session\":\"s%ld\",\"judge\":\"%s\"}\n", k, 1 + at / 86400,
			       at / 3600 % 24, at / 60 % 60, at % 60, k % 97, j);
	}
	text = NULL;
	assert_int_equal(rlp_buf_detach(&text, &b), 0);
	assert_int_equal(rlp_shadow_new(&s), 0);
	if (rlp_shadow_add(s, text, strlen(text), "traffic") < 0)
		fail_msg("%s", rlp_error_last());
	free(text);
	return s;
}

static const struct rlp_rule_result *shadow_gate(struct fixture *f, const char *rule,
						 struct rlp_shadow *s)
{
	static struct rlp_shadow_tally t;
	char rules[512];

	rlp_shadow_get_tally(s, &t);
	shadow_input = &t;
	snprintf(rules, sizeof(rules), "      - %s\n", rule);
	run_gate_head(f, SHADOW_HEAD, rules, NULL, NULL, NULL);
	shadow_input = NULL;
	rlp_shadow_free(s);
	return &f->res->rules[0];
}

#define SHADOW_RULE "{id: shadow, kind: shadow_compare, metric: win, min_n: 5000, " \
		    "min_duration: 24h, noninferiority_margin: 0.02"

/* The CS half-width in the gate is RULES.md's: sd 0.5, n 5000 -> 0.02146. */
static void test_gate_shadow_reference_halfwidth(void **state)
{
	struct fixture f;
	(void)state;

	const struct rlp_rule_result *r = shadow_gate(&f, SHADOW_RULE "}", traffic(5000, 24, 50, 0));
	assert_true(fabs(r->shadow.sd - 0.5 * sqrt(5000.0 / 4999)) < 1e-12);
	assert_true(fabs(r->shadow.halfwidth - 0.02146) < 1e-5);
	assert_true(fabs(r->fig.upper - r->fig.estimate - 0.02146) < 1e-5);
	assert_int_equal(r->shadow.wins, 2500);
	assert_int_equal(r->shadow.losses, 2500);
	assert_true(fabs(r->shadow.elapsed_s - 86400) < 1e-9);
	/* 0.5 - 0.02146 = 0.47854 < 0.48: not yet shown non-inferior */
	assert_int_equal(r->fig.verdict, RLP_INCONCLUSIVE);
	assert_string_equal(r->fig.reason, "n=5000 over 1d: win rate 0.5000 in [0.4785, 0.5215]; "
					   "lcb 0.4785 <= 0.48 <= ucb: keep collecting");
	assert_int_equal(f.res->decision, RLP_HOLD);
	fixture_free(&f);
}

/* A clearly worse candidate fails after a few hundred requests, long before
 * min_n and min_duration. */
static void test_gate_shadow_fails_early(void **state)
{
	struct fixture f;
	(void)state;

	const struct rlp_rule_result *r = shadow_gate(&f, SHADOW_RULE "}", traffic(400, 1, 30, 5));
	assert_int_equal(r->fig.verdict, RLP_FAIL);
	assert_true(r->fig.upper < 0.48);
	assert_int_equal(r->fig.n, 400);
	assert_non_null(strstr(r->fig.reason, "worse than production"));
	assert_int_equal(f.res->decision, RLP_NOGO);
	fixture_free(&f);

	/* even a run of losses says nothing before 30 requests */
	r = shadow_gate(&f, SHADOW_RULE "}", traffic(20, 0.1, 0, 0));
	assert_int_equal(r->fig.verdict, RLP_INCONCLUSIVE);
	fixture_free(&f);
}

/* Not worse than production: holds until both 5,000 requests and 24 hours,
 * then passes. */
static void test_gate_shadow_passes_after_24h_and_5000(void **state)
{
	struct fixture f;
	(void)state;

	/* 48% wins, 14% ties: win rate 0.55 */
	const struct rlp_rule_result *r = shadow_gate(&f, SHADOW_RULE "}", traffic(2500, 12, 48, 14));
	assert_int_equal(r->fig.verdict, RLP_INCONCLUSIVE);
	assert_non_null(strstr(r->fig.reason, "needs n >= 5000"));
	fixture_free(&f);

	r = shadow_gate(&f, SHADOW_RULE "}", traffic(5000, 20, 48, 14));
	assert_int_equal(r->fig.verdict, RLP_INCONCLUSIVE);
	assert_non_null(strstr(r->fig.reason, "elapsed < min_duration 1d"));
	assert_true(r->fig.lower > 0.48); /* it would pass but for the time */
	fixture_free(&f);

	r = shadow_gate(&f, SHADOW_RULE "}", traffic(5000, 24, 48, 14));
	assert_int_equal(r->fig.verdict, RLP_PASS);
	assert_true(fabs(r->fig.estimate - 0.55) < 1e-12);
	assert_true(fabs(r->fig.threshold - 0.48) < 1e-15);
	assert_int_equal(r->fig.n, 5000);
	assert_non_null(strstr(r->fig.reason, "n=5000 over 1d: win rate 0.5500 in ["));
	assert_non_null(strstr(r->fig.reason, "not worse than production"));
	assert_int_equal(f.res->decision, RLP_GO);
	fixture_free(&f);
}

/* As good as production, give or take: inconclusive however long it runs,
 * until max_duration forces the at-deadline verdict. */
static void test_gate_shadow_stays_inconclusive(void **state)
{
	struct fixture f;
	(void)state;

	const struct rlp_rule_result *r =
		shadow_gate(&f, SHADOW_RULE ", max_duration: 7d}", traffic(20000, 144, 45, 8));
	/* win rate 0.49: the sequence straddles 0.48 */
	assert_true(fabs(r->fig.estimate - 0.49) < 1e-12);
	assert_true(r->fig.lower <= 0.48 && r->fig.upper >= 0.48);
	assert_int_equal(r->fig.verdict, RLP_INCONCLUSIVE);
	assert_false(r->shadow.deadline);
	fixture_free(&f);

	r = shadow_gate(&f, SHADOW_RULE ", max_duration: 7d}", traffic(20000, 168, 45, 8));
	assert_true(r->shadow.deadline);
	assert_int_equal(r->fig.verdict, RLP_FAIL);
	assert_non_null(strstr(r->fig.reason, "at the max_duration deadline"));
	fixture_free(&f);

	/* no traffic: missing data never passes */
	struct rlp_shadow *none = NULL;
	assert_int_equal(rlp_shadow_new(&none), 0);
	r = shadow_gate(&f, SHADOW_RULE "}", none);
	assert_int_equal(r->fig.verdict, RLP_INCONCLUSIVE);
	assert_string_equal(r->fig.reason, "no shadow traffic for the candidate");
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_lower_bound_wilson),
		cmocka_unit_test(test_gate_rate_cap_certifies_at_299),
		cmocka_unit_test(test_gate_critical_fail_decides_alone),
		cmocka_unit_test(test_gate_warn_rules_do_not_count),
		cmocka_unit_test(test_gate_noninferiority_agresti_min),
		cmocka_unit_test(test_gate_noninferiority_fails_and_names_slice),
		cmocka_unit_test(test_gate_superiority_two_sided_agresti_min),
		cmocka_unit_test(test_gate_unpaired_newcombe),
		cmocka_unit_test(test_gate_clustered_interval),
		cmocka_unit_test(test_gate_budget_quantile_and_ratio),
		cmocka_unit_test(test_gate_run_metrics_and_reproducible),
		cmocka_unit_test(test_gate_on_missing),
		cmocka_unit_test(test_gate_missing_baseline_and_empty_slice),
		cmocka_unit_test(test_gate_min_samples_never_fails),
		cmocka_unit_test(test_gate_detect_regression_holm),
		cmocka_unit_test(test_gate_run_metrics_rejects_bad_input),
		cmocka_unit_test(test_gate_health_kl),
		cmocka_unit_test(test_gate_health_collapsed),
		cmocka_unit_test(test_gate_health_alignment_tax),
		cmocka_unit_test(test_gate_health_reward_hack_suspects),
		cmocka_unit_test(test_gate_shadow_reference_halfwidth),
		cmocka_unit_test(test_gate_shadow_fails_early),
		cmocka_unit_test(test_gate_shadow_passes_after_24h_and_5000),
		cmocka_unit_test(test_gate_shadow_stays_inconclusive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
