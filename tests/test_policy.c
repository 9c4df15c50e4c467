/*
 * Policy parser tests. Bad policies are data: tests/fixtures/policy/bad/NAME.yaml
 * with the expected "policy.yaml:line:col: message" prefix in NAME.err, so a
 * new case needs no C.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "policy.h"

#define POLICY_DIR FIXTURES "/policy"

#define assert_same_double(a, b) assert_true((a) == (b))

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		fail_msg("cannot open %s", path);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static struct rlp_policy *parse_ok(const char *yaml)
{
	struct rlp_policy *p = NULL;

	if (rlp_policy_parse(&p, yaml, strlen(yaml), "policy.yaml") != 0)
		fail_msg("unexpected error: %s", rlp_error_last());
	assert_non_null(p);
	return p;
}

/* Exact code, *out NULL, and a message starting with `prefix`. */
static void expect_error(const char *yaml, size_t len, int code, const char *prefix)
{
	struct rlp_policy *p = (struct rlp_policy *)&p; /* must be reset to NULL */

	assert_int_equal(rlp_policy_parse(&p, yaml, len, "policy.yaml"), code);
	assert_null(p);
	if (strncmp(rlp_error_last(), prefix, strlen(prefix)))
		fail_msg("expected message starting with\n  %s\ngot\n  %s", prefix, rlp_error_last());
}

static const struct rlp_rule *rule(const struct rlp_promotion *prom, const char *id)
{
	for (size_t i = 0; i < prom->nrules; i++)
		if (!strcmp(prom->rules[i].id, id))
			return &prom->rules[i];
	fail_msg("no rule '%s'", id);
	return NULL;
}

static void assert_strings(char *const *got, size_t n, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		assert_true(i < n);
		assert_string_equal(got[i], want[i]);
	}
	assert_int_equal(n, i);
}

#define STRINGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Defaults every rule of the example shares. */
static void assert_rule_defaults(const struct rlp_rule *r)
{
	assert_same_double(r->confidence, 0.95);
	assert_int_equal(r->sided, 1);
	assert_int_equal(r->severity, RLP_SEVERITY_BLOCK);
	assert_int_equal(r->on_missing, RLP_MISSING_INCONCLUSIVE);
	assert_int_equal(r->pairing, RLP_PAIRING_AUTO);
	assert_false(r->use_ci);
	assert_false(r->detect_regression);
	assert_same_double(r->alpha, 0.05);
}

/* Fields the rule does not set, given which ones it does. */
static void assert_unset_except(const struct rlp_rule *r, const char *set)
{
#define UNSET_NAN(field) \
	if (!strstr(set, " " #field " ")) \
		assert_true(isnan(r->field))
#define UNSET_COUNT(field) \
	if (!strstr(set, " " #field " ")) \
		assert_int_equal(r->field, -1)
#define UNSET_ZERO(field) \
	if (!strstr(set, " " #field " ")) \
		assert_same_double(r->field, 0)
	UNSET_NAN(min);
	UNSET_NAN(max);
	UNSET_NAN(max_rate);
	UNSET_NAN(quantile);
	UNSET_NAN(max_ratio_vs_baseline);
	UNSET_NAN(min_duration_s);
	UNSET_NAN(max_duration_s);
	UNSET_COUNT(max_count);
	UNSET_COUNT(min_n);
	UNSET_COUNT(min_n_per_slice);
	UNSET_COUNT(min_clusters);
	UNSET_ZERO(margin);
	UNSET_ZERO(min_improvement);
	UNSET_ZERO(noninferiority_margin);
	if (!strstr(set, " slices "))
		assert_int_equal(r->nslices, 0);
	if (!strstr(set, " critical "))
		assert_false(r->critical);
#undef UNSET_NAN
#undef UNSET_COUNT
#undef UNSET_ZERO
}

static void test_policy_parses_example(void **state)
{
	struct rlp_policy *p = NULL;
	const struct rlp_promotion *staging, *production;
	const struct rlp_rule *r;
	(void)state;

	if (rlp_policy_load(&p, POLICY_DIR "/example.yaml") != 0)
		fail_msg("%s", rlp_error_last());
	assert_string_equal(p->path, POLICY_DIR "/example.yaml");
	assert_int_equal(p->version, 1);
	assert_string_equal(p->model, "support-bot");
	assert_string_equal(p->artifact, "model.yaml");
	assert_null(p->manifest);
	assert_null(p->allowed_signers);
	assert_strings(p->stages, p->nstages, STRINGS("development", "staging", "production"));
	assert_strings(p->signers.eval, p->signers.neval, STRINGS("ci@example.com"));
	assert_strings(p->signers.promote, p->signers.npromote, STRINGS("promoter@example.com"));
	assert_strings(p->signers.override, p->signers.noverride, STRINGS("lead@example.com"));
	assert_int_equal(p->nslices, 6);
	assert_string_equal(p->slices[0].name, "headache");
	assert_strings(p->slices[0].tags, p->slices[0].ntags, STRINGS("headache"));
	assert_int_equal(p->slices[0].loc.line, 9);
	assert_int_equal(p->slices[0].loc.col, 3);
	assert_strings(rlp_policy_slice(p, "formatting")->tags, 2, STRINGS("formatting", "markdown"));
	assert_strings(rlp_policy_slice(p, "math")->tags, 1, STRINGS("math"));
	assert_same_double(p->confidence, 0.95);
	assert_int_equal(p->on_missing, RLP_MISSING_INCONCLUSIVE);
	assert_int_equal(p->npromotions, 2);

	staging = rlp_policy_promotion(p, "staging");
	assert_ptr_equal(staging, &p->promotions[0]);
	assert_string_equal(staging->to, "staging");
	assert_string_equal(staging->from, "development");
	assert_string_equal(staging->env, "support-v3");
	assert_string_equal(staging->baseline, "production");
	assert_int_equal(staging->loc.line, 17);
	assert_int_equal(staging->loc.col, 3);
	assert_int_equal(staging->nrules, 11);

	r = rule(staging, "quality");
	assert_ptr_equal(r, &staging->rules[0]);
	assert_int_equal(r->kind, RLP_RULE_AGGREGATE_THRESHOLD);
	assert_string_equal(r->metric, "pass");
	assert_int_equal(r->source, RLP_METRIC_RECORD);
	assert_string_equal(r->metric_name, "pass");
	assert_same_double(r->min, 0.85);
	assert_int_equal(r->loc.line, 22);
	assert_int_equal(r->loc.col, 9);
	assert_rule_defaults(r);
	assert_unset_except(r, " min ");

	r = rule(staging, "no-regress");
	assert_int_equal(r->kind, RLP_RULE_SLICE_NONINFERIORITY);
	assert_string_equal(r->metric, "pass");
	assert_strings(r->slices, r->nslices, STRINGS("headache", "search_api"));
	assert_same_double(r->margin, 0);
	assert_rule_defaults(r);
	assert_unset_except(r, " slices ");

	r = rule(staging, "safety");
	assert_int_equal(r->kind, RLP_RULE_RATE_CAP);
	assert_string_equal(r->metric, "safety_violation");
	assert_same_double(r->max_rate, 0.001);
	assert_int_equal(r->max_count, 0);
	assert_true(r->critical);
	assert_rule_defaults(r);
	assert_unset_except(r, " max_rate max_count critical ");

	r = rule(staging, "format");
	assert_int_equal(r->kind, RLP_RULE_LOWER_BOUND_ABOVE);
	assert_string_equal(r->metric, "format_ok");
	assert_strings(r->slices, r->nslices, STRINGS("formatting", "math"));
	assert_same_double(r->min, 0.95);
	assert_rule_defaults(r);
	assert_unset_except(r, " slices min ");

	r = rule(staging, "division");
	assert_int_equal(r->kind, RLP_RULE_SUPERIORITY);
	assert_string_equal(r->metric, "correct");
	assert_strings(r->slices, r->nslices, STRINGS("division"));
	assert_same_double(r->min_improvement, 0.02);
	assert_rule_defaults(r);
	assert_unset_except(r, " slices min_improvement ");

	r = rule(staging, "tools");
	assert_int_equal(r->kind, RLP_RULE_RANGE);
	assert_string_equal(r->metric, "tool_accuracy");
	assert_strings(r->slices, r->nslices, STRINGS("tools"));
	assert_same_double(r->min, 0.9);
	assert_same_double(r->max, 1.0);
	assert_rule_defaults(r);
	assert_unset_except(r, " slices min max ");

	r = rule(staging, "latency");
	assert_int_equal(r->kind, RLP_RULE_BUDGET);
	assert_string_equal(r->metric, "latency_ms");
	assert_int_equal(r->source, RLP_METRIC_RECORD);
	assert_same_double(r->quantile, 0.95);
	assert_same_double(r->max, 2000);
	assert_same_double(r->max_ratio_vs_baseline, 1.1);
	assert_rule_defaults(r);
	assert_unset_except(r, " quantile max max_ratio_vs_baseline ");

	r = rule(staging, "kl");
	assert_int_equal(r->kind, RLP_RULE_RANGE);
	assert_string_equal(r->metric, "run.kl_to_base");
	assert_int_equal(r->source, RLP_METRIC_RUN);
	assert_string_equal(r->metric_name, "kl_to_base");
	assert_ptr_equal(r->metric_name, r->metric + 4);
	assert_same_double(r->max, 0.2);
	assert_rule_defaults(r);
	assert_unset_except(r, " max ");

	r = rule(staging, "hacking");
	assert_int_equal(r->kind, RLP_RULE_RATE_CAP);
	assert_string_equal(r->metric, "derived.kl_k1");
	assert_int_equal(r->source, RLP_METRIC_DERIVED);
	assert_string_equal(r->metric_name, "kl_k1");
	assert_same_double(r->max_rate, 0.01);
	assert_rule_defaults(r);
	assert_unset_except(r, " max_rate ");

	r = rule(staging, "repro");
	assert_int_equal(r->kind, RLP_RULE_REPRODUCIBLE);
	assert_null(r->metric);
	assert_null(r->metric_name);
	assert_int_equal(r->source, RLP_METRIC_NONE);
	assert_int_equal(r->severity, RLP_SEVERITY_BLOCK);
	assert_int_equal(r->on_missing, RLP_MISSING_INCONCLUSIVE);
	assert_unset_except(r, " ");

	r = rule(staging, "enough");
	assert_int_equal(r->kind, RLP_RULE_MIN_SAMPLES);
	assert_null(r->metric);
	assert_int_equal(r->min_n, 500);
	assert_int_equal(r->min_n_per_slice, 30);
	assert_unset_except(r, " min_n min_n_per_slice ");

	production = rlp_policy_promotion(p, "production");
	assert_non_null(production);
	assert_string_equal(production->from, "staging");
	assert_null(production->env);
	assert_null(production->baseline);
	assert_int_equal(production->nrules, 1);
	r = &production->rules[0];
	assert_string_equal(r->id, "shadow");
	assert_int_equal(r->kind, RLP_RULE_SHADOW_COMPARE);
	assert_string_equal(r->metric, "win");
	assert_int_equal(r->min_n, 5000);
	assert_same_double(r->min_duration_s, 86400);
	assert_same_double(r->noninferiority_margin, 0.02);
	assert_rule_defaults(r);
	assert_unset_except(r, " min_n min_duration_s noninferiority_margin ");

	assert_null(rlp_policy_promotion(p, "development"));
	assert_null(rlp_policy_slice(p, "nope"));
	rlp_policy_free(p);
}

static void test_policy_parses_every_key(void **state)
{
	struct rlp_policy *p = NULL;
	const struct rlp_promotion *canary, *prod;
	const struct rlp_rule *r;
	(void)state;

	if (rlp_policy_load(&p, POLICY_DIR "/all_keys.yaml") != 0)
		fail_msg("%s", rlp_error_last());
	assert_string_equal(p->model, "7");
	assert_string_equal(p->manifest, "deploy/{stage}.yaml");
	assert_string_equal(p->allowed_signers, ".rlpromote/allowed_signers");
	assert_strings(p->signers.eval, p->signers.neval, STRINGS("ci@example.com"));
	assert_strings(p->signers.promote, p->signers.npromote,
		       STRINGS("alice@example.com", "bob@example.com"));
	assert_null(p->signers.override);
	assert_int_equal(p->signers.noverride, 0);
	assert_strings(p->slices[1].tags, p->slices[1].ntags, STRINGS("tools", "tool use", "true"));
	assert_same_double(p->confidence, 0.9);
	assert_int_equal(p->on_missing, RLP_MISSING_ERROR);

	canary = rlp_policy_promotion(p, "canary");
	assert_string_equal(canary->env, "env-1.2");
	r = rule(canary, "agg");
	assert_strings(r->slices, r->nslices, STRINGS("math", "tools"));
	assert_same_double(r->max, 0.99);
	assert_same_double(r->confidence, 0.99);
	assert_int_equal(r->sided, 2);
	assert_int_equal(r->severity, RLP_SEVERITY_WARN);
	assert_int_equal(r->on_missing, RLP_MISSING_FAIL);
	r = rule(canary, "lower");
	assert_same_double(r->min, -1.5e-3);
	assert_true(r->critical);
	assert_same_double(r->confidence, 0.9); /* from defaults */
	assert_int_equal(r->on_missing, RLP_MISSING_ERROR);
	assert_same_double(r->alpha, 0.1);
	r = rule(canary, "cap");
	assert_int_equal(r->max_count, 3);
	assert_true(isnan(r->max_rate));
	r = rule(canary, "noninf");
	assert_strings(r->slices, r->nslices, STRINGS("math", "tools")); /* every slice */
	assert_same_double(r->margin, 0.125);
	assert_int_equal(r->pairing, RLP_PAIRING_UNPAIRED);
	assert_int_equal(r->min_n, 20);
	assert_true(r->detect_regression);
	assert_same_double(r->alpha, 0.01);
	r = rule(canary, "sup");
	assert_int_equal(r->nslices, 0);
	assert_same_double(r->min_improvement, 0.5);
	assert_int_equal(r->pairing, RLP_PAIRING_PAIRED);
	r = rule(canary, "range-ci");
	assert_true(r->use_ci);
	assert_same_double(r->min, 0);
	r = rule(canary, "cost");
	assert_true(isnan(r->quantile));
	r = rule(canary, "tail");
	assert_float_equal(r->quantile, 0.999, 1e-15);
	assert_same_double(r->max_ratio_vs_baseline, 1.25);
	r = rule(canary, "samples");
	assert_int_equal(r->min_n, 0);
	assert_int_equal(r->min_n_per_slice, 7);
	assert_int_equal(r->min_clusters, 2);
	assert_same_double(r->min_duration_s, 5400);
	r = rule(canary, "repro");
	assert_int_equal(r->on_missing, RLP_MISSING_INCONCLUSIVE);
	r = rule(canary, "kl");
	assert_int_equal(r->source, RLP_METRIC_DERIVED);
	assert_string_equal(r->metric_name, "kl_k3");
	assert_string_equal(rule(canary, "tax")->metric_name, "alignment_tax");
	assert_string_equal(rule(canary, "hacking")->metric_name, "reward_hack");
	assert_string_equal(p->health.reward, "rm");
	assert_string_equal(p->health.human, "human_pref");
	assert_string_equal(p->health.verifier, "unit_tests");
	assert_same_double(p->health.hack_threshold, 0.8);
	assert_same_double(p->health.verifier_pass, 0.5);
	assert_same_double(p->monitor.alpha, 0.05);
	assert_same_double(p->monitor.max_error_increase, 0.01); /* the default */
	assert_same_double(p->monitor.max_latency_ratio, 1.5);
	assert_int_equal(p->monitor.min_n, 50);

	prod = rlp_policy_promotion(p, "prod");
	r = rule(prod, "shadow");
	assert_same_double(r->min_duration_s, 90);
	assert_same_double(r->max_duration_s, 7 * 86400);
	assert_same_double(r->noninferiority_margin, 0.5);
	assert_same_double(r->confidence, 0.975);
	assert_same_double(r->tuning_n, 5000); /* the default */
	assert_string_equal(prod->rollout.stage, "pilot");
	assert_int_equal(prod->rollout.nsteps, 3);
	assert_same_double(prod->rollout.steps[1], 10.5);
	assert_true(rlp_policy_stage_promotion(p, "pilot") == prod);
	assert_true(rlp_policy_stage_promotion(p, "prod") == prod);
	assert_null(rlp_policy_stage_promotion(p, "dev"));
	assert_null(canary->rollout.stage);
	r = rule(prod, "short");
	assert_same_double(r->min_duration_s, 0.5);
	assert_same_double(r->tuning_n, 20000);
	rlp_policy_free(p);
}

static char *normalize_file(const char *path)
{
	struct rlp_policy *p = NULL;
	char *text = NULL;

	if (rlp_policy_load(&p, path) != 0 || rlp_policy_normalize(&text, p) != 0)
		fail_msg("%s: %s", path, rlp_error_last());
	rlp_policy_free(p);
	return text;
}

/* Normalized output matches the golden file, and parsing it normalizes to
 * the same text again. */
static void test_policy_normalize_round_trips(void **state)
{
	static const char *const names[] = {"example", "all_keys"};
	(void)state;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[512], golden_path[512], *once, *twice = NULL, *golden;
		struct rlp_policy *again = NULL;

		snprintf(path, sizeof(path), "%s/%s.yaml", POLICY_DIR, names[i]);
		snprintf(golden_path, sizeof(golden_path), "%s/%s.normalized.yaml", POLICY_DIR,
			 names[i]);
		once = normalize_file(path);
		golden = read_text(golden_path, NULL);
		assert_string_equal(once, golden);
		if (rlp_policy_parse(&again, once, strlen(once), "normalized") != 0 ||
		    rlp_policy_normalize(&twice, again) != 0)
			fail_msg("%s: %s", names[i], rlp_error_last());
		assert_string_equal(twice, once);
		rlp_policy_free(again);
		free(once);
		free(twice);
		free(golden);
	}
}

static int only_yaml(const struct dirent *d)
{
	size_t len = strlen(d->d_name);
	return len > 5 && !strcmp(d->d_name + len - 5, ".yaml");
}

static void test_policy_rejects_bad_policies(void **state)
{
	struct dirent **entries = NULL;
	int n, failures = 0;
	(void)state;

	n = scandir(POLICY_DIR "/bad", &entries, only_yaml, alphasort);
	assert_true(n >= 40);
	for (int i = 0; i < n; i++) {
		char path[512], *yaml, *expected, *nl;
		struct rlp_policy *p = (struct rlp_policy *)&p;
		size_t len;
		int rc;

		snprintf(path, sizeof(path), "%s/bad/%s", POLICY_DIR, entries[i]->d_name);
		yaml = read_text(path, &len);
		strcpy(path + strlen(path) - 5, ".err");
		expected = read_text(path, NULL);
		if ((nl = strchr(expected, '\n')))
			*nl = '\0';
		rc = rlp_policy_parse(&p, yaml, len, "policy.yaml");
		if (rc != RLP_EINVALID || p != NULL ||
		    strncmp(rlp_error_last(), expected, strlen(expected))) {
			print_error("%s: rc %d, out %s\n  expected %s\n  got      %s\n",
				    entries[i]->d_name, rc, p ? "set" : "NULL", expected,
				    rlp_error_last());
			failures++;
		}
		free(yaml);
		free(expected);
		free(entries[i]);
	}
	free(entries);
	assert_int_equal(failures, 0);
}

static void test_policy_rejects_bad_names(void **state)
{
	static const char *const bad[] = {"a..b", ".a", "-a", "_a", "a.", "a.lock", "a/b",
					  "a b", "a:b", "a~b", "ä", "'a@{b'"};
	static const char *const good[] = {"a", "A-1.b_c", "9", "a.locks", "x.lock.y"};
	char yaml[512], prefix[256];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "version: 1\nmodel: %s\nstages: [a, b]\n"
			 "promotions: {b: {from: a, rules: [{id: r, kind: reproducible}]}}\n",
			 bad[i]);
		snprintf(prefix, sizeof(prefix), "policy.yaml:2:8: invalid name '%s' for 'model'",
			 bad[i][0] == '\'' ? "a@{b" : bad[i]);
		expect_error(yaml, strlen(yaml), RLP_EINVALID, prefix);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct rlp_policy *p;
		snprintf(yaml, sizeof(yaml),
			 "version: 1\nmodel: %s\nstages: [%s, b]\n"
			 "promotions: {b: {from: %s, rules: [{id: %s, kind: reproducible}]}}\n",
			 good[i], good[i], good[i], good[i]);
		p = parse_ok(yaml);
		assert_string_equal(p->model, good[i]);
		assert_string_equal(p->promotions[0].rules[0].id, good[i]);
		rlp_policy_free(p);
	}
}

#define ONE_RULE(rule) \
	"version: 1\nmodel: m\nstages: [a, b]\n" \
	"promotions: {b: {from: a, rules: [" rule "]}}\n"

static void test_policy_reads_durations_and_stats(void **state)
{
	static const struct {
		const char *text;
		double seconds;
	} durations[] = {{"90s", 90}, {"30m", 1800}, {"24h", 86400}, {"7d", 604800},
			 {"1h30m", 5400}, {"1d2h3m4s", 93784}, {"45", 45}, {"1.5", 1.5},
			 {"0", 0}, {"'2h'", 7200}};
	static const char *const bad_durations[] = {"1h1h", "h", "1.5h", "-5", "''", "1 h",
						    "30m1h", ".inf", "true"};
	static const struct {
		const char *text;
		double q;
	} stats[] = {{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}, {"p5", 0.05}, {"p99.9", 0.999},
		     {"p99.99", 0.9999}};
	static const char *const bad_stats[] = {"p0", "p100", "p", "p999", "q95", "p9.", "p.5",
						"p99.999", "median"};
	char yaml[512];
	(void)state;

	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		struct rlp_policy *p;
		snprintf(yaml, sizeof(yaml),
			 ONE_RULE("{id: s, kind: min_samples, min_duration: %s}"), durations[i].text);
		p = parse_ok(yaml);
		assert_same_double(p->promotions[0].rules[0].min_duration_s, durations[i].seconds);
		rlp_policy_free(p);
	}
	for (size_t i = 0; i < sizeof(bad_durations) / sizeof(bad_durations[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 ONE_RULE("{id: s, kind: min_samples, min_duration: %s}"), bad_durations[i]);
		expect_error(yaml, strlen(yaml), RLP_EINVALID,
			     "policy.yaml:4:76: rule 's': expected a duration for 'min_duration'");
	}
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		struct rlp_policy *p;
		snprintf(yaml, sizeof(yaml),
			 ONE_RULE("{id: l, kind: budget, metric: latency_ms, stat: %s, max: 9}"),
			 stats[i].text);
		p = parse_ok(yaml);
		assert_float_equal(p->promotions[0].rules[0].quantile, stats[i].q, 1e-15);
		rlp_policy_free(p);
	}
	for (size_t i = 0; i < sizeof(bad_stats) / sizeof(bad_stats[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 ONE_RULE("{id: l, kind: budget, metric: latency_ms, stat: %s, max: 9}"),
			 bad_stats[i]);
		expect_error(yaml, strlen(yaml), RLP_EINVALID,
			     "policy.yaml:4:83: rule 'l': expected 'mean' or a percentile");
	}
}

static void test_policy_fills_defaults(void **state)
{
	struct rlp_policy *p;
	const struct rlp_rule *r;
	(void)state;

	p = parse_ok("version: 1\nmodel: m\nstages: [a, b]\n"
		     "slices: {x: {tags: x}, y: {tags: [y1, y2]}}\n"
		     "defaults: {confidence: 0.8}\n"
		     "promotions: {b: {from: a, baseline: b, rules: [\n"
		     "  {id: n, kind: slice_noninferiority, metric: pass},\n"
		     "  {id: t, kind: aggregate_threshold, metric: pass, min: 0.5, confidence: 0.99}]}}\n");
	assert_same_double(p->confidence, 0.8);
	assert_int_equal(p->on_missing, RLP_MISSING_INCONCLUSIVE);
	r = &p->promotions[0].rules[0];
	assert_strings(r->slices, r->nslices, STRINGS("x", "y"));
	assert_same_double(r->confidence, 0.8);
	assert_same_double(r->alpha, 0.2);
	assert_same_double(r->margin, 0);
	assert_int_equal(r->min_n, -1);
	r = &p->promotions[0].rules[1];
	assert_same_double(r->confidence, 0.99);
	assert_same_double(r->alpha, 0.01);
	assert_true(isnan(r->max));
	rlp_policy_free(p);
}

/* Literals may hold NUL bytes: their length comes from sizeof. */
#define EXPECT_LITERAL(yaml, prefix) expect_error(yaml, sizeof(yaml) - 1, RLP_EINVALID, prefix)

static void test_policy_rejects_hostile_input(void **state)
{
	char *big, *deep, *p;
	size_t n = (1u << 20) + 1;
	(void)state;

	big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	expect_error(big, n, RLP_EINVALID, "policy.yaml: policy is larger than 1 MiB");
	free(big);

	deep = malloc(200);
	assert_non_null(deep);
	p = deep + sprintf(deep, "version: ");
	for (int i = 0; i < 40; i++)
		*p++ = '[';
	for (int i = 0; i < 40; i++)
		*p++ = ']';
	*p = '\0';
	expect_error(deep, strlen(deep), RLP_EINVALID,
		     "policy.yaml:1:41: nesting is deeper than 32 levels");
	free(deep);

	EXPECT_LITERAL("version: 1\nmodel: \"a\\0b\"\n",
		       "policy.yaml:2:8: NUL characters are not allowed in strings");
	EXPECT_LITERAL("version: 1\nmodel: a\0b\n",
		       "policy.yaml:2:9: invalid YAML: control characters are not allowed");
	EXPECT_LITERAL("version: 1\nmodel: \xff\n",
		       "policy.yaml:2:8: invalid YAML: invalid leading UTF-8 octet");
	expect_error(NULL, 0, RLP_EINVALID, "policy.yaml:1:1: empty policy");
}

static void test_policy_load_reports_io_errors(void **state)
{
	struct rlp_policy *p = (struct rlp_policy *)&p;
	(void)state;

	assert_int_equal(rlp_policy_load(&p, POLICY_DIR "/missing.yaml"), RLP_EIO);
	assert_null(p);
	assert_string_equal(rlp_error_last(),
			    "cannot open '" POLICY_DIR "/missing.yaml': No such file or directory");
	p = (struct rlp_policy *)&p;
	assert_int_equal(rlp_policy_load(&p, POLICY_DIR), RLP_EIO);
	assert_null(p);
	assert_string_equal(rlp_error_last(),
			    "cannot read '" POLICY_DIR "': Is a directory");
	p = (struct rlp_policy *)&p;
	assert_int_equal(rlp_policy_load(&p, POLICY_DIR "/bad/unknown_kind.yaml"), RLP_EINVALID);
	assert_null(p);
	assert_string_equal(rlp_error_last() + strlen(rlp_error_last()) -
				    strlen("reproducible, shadow_compare)"),
			    "reproducible, shadow_compare)");
	assert_int_equal(strncmp(rlp_error_last(), POLICY_DIR "/bad/unknown_kind.yaml:12:29: ",
				 strlen(POLICY_DIR "/bad/unknown_kind.yaml:12:29: ")),
			 0);
}

static void test_policy_names_and_lookups(void **state)
{
	static const char *const kinds[] = {
		"aggregate_threshold", "lower_bound_above", "rate_cap", "slice_noninferiority",
		"superiority", "range", "budget", "min_samples", "reproducible", "shadow_compare"};
	(void)state;

	for (int k = 0; k < RLP_RULE_KIND_COUNT; k++)
		assert_string_equal(rlp_rule_kind_name((enum rlp_rule_kind)k), kinds[k]);
	assert_string_equal(rlp_rule_kind_name(RLP_RULE_KIND_COUNT), "unknown");
	assert_true(rlp_policy_derived_known("kl_k1"));
	assert_true(rlp_policy_derived_known("kl_k3"));
	for (const char *const *d = (const char *const[]){"distinct_2", "duplicate_rate",
			"collapsed", "alignment_tax", "reward_hack", NULL}; *d; d++)
		assert_true(rlp_policy_derived_known(*d));
	assert_false(rlp_policy_derived_known("reward_hak"));
	assert_false(rlp_policy_derived_known(NULL));
	assert_null(rlp_policy_promotion(NULL, "x"));
	assert_null(rlp_policy_slice(NULL, "x"));
	rlp_policy_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parses_example),
		cmocka_unit_test(test_policy_parses_every_key),
		cmocka_unit_test(test_policy_normalize_round_trips),
		cmocka_unit_test(test_policy_rejects_bad_policies),
		cmocka_unit_test(test_policy_rejects_bad_names),
		cmocka_unit_test(test_policy_reads_durations_and_stats),
		cmocka_unit_test(test_policy_fills_defaults),
		cmocka_unit_test(test_policy_rejects_hostile_input),
		cmocka_unit_test(test_policy_load_reports_io_errors),
		cmocka_unit_test(test_policy_names_and_lookups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
