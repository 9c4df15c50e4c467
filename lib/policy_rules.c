/*
 * Promotion rules: which keys each kind takes, their values, what each kind
 * requires, and the defaults filled in. Semantics: RULES.md.
 */
#include "policy_internal.h"

#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[RLP_RULE_KIND_COUNT + 1] = {
	[RLP_RULE_AGGREGATE_THRESHOLD] = "aggregate_threshold",
	[RLP_RULE_LOWER_BOUND_ABOVE] = "lower_bound_above",
	[RLP_RULE_RATE_CAP] = "rate_cap",
	[RLP_RULE_SLICE_NONINFERIORITY] = "slice_noninferiority",
	[RLP_RULE_SUPERIORITY] = "superiority",
	[RLP_RULE_RANGE] = "range",
	[RLP_RULE_BUDGET] = "budget",
	[RLP_RULE_MIN_SAMPLES] = "min_samples",
	[RLP_RULE_REPRODUCIBLE] = "reproducible",
	[RLP_RULE_SHADOW_COMPARE] = "shadow_compare",
	[RLP_RULE_KIND_COUNT] = NULL,
};

const char *const pol_on_missing_names[] = {"inconclusive", "error", "fail", NULL};
const char *const pol_severity_names[] = {"block", "warn", NULL};
const char *const pol_pairing_names[] = {"auto", "paired", "unpaired", NULL};
static const char *const sided_names[] = {"one", "two", NULL};
static const char *const use_names[] = {"value", "ci", NULL};
static const char *const derived_names[] = {"kl_k1", "kl_k3", "distinct_2", "duplicate_rate",
					    "collapsed", "alignment_tax", "reward_hack", NULL};

#define K(kind) (1u << RLP_RULE_##kind)
#define ALL ((1u << RLP_RULE_KIND_COUNT) - 1)
#define AGG K(AGGREGATE_THRESHOLD)
#define LBA K(LOWER_BOUND_ABOVE)
#define CAP K(RATE_CAP)
#define NONINF K(SLICE_NONINFERIORITY)
#define SUP K(SUPERIORITY)
#define RANGE K(RANGE)
#define BUDGET K(BUDGET)
#define SAMPLES K(MIN_SAMPLES)
#define REPRO K(REPRODUCIBLE)
#define SHADOW K(SHADOW_COMPARE)
#define WITH_METRIC (ALL & ~(SAMPLES | REPRO))
#define WITH_SLICES (ALL & ~(REPRO | SHADOW))

/* Which kinds take each key; the order is the normalized form's. */
static const struct {
	const char *name;
	unsigned kinds;
} rule_keys[POL_K_COUNT] = {
	[POL_K_ID] = {"id", ALL},
	[POL_K_KIND] = {"kind", ALL},
	[POL_K_METRIC] = {"metric", WITH_METRIC},
	[POL_K_SLICES] = {"slices", WITH_SLICES},
	[POL_K_SLICE] = {"slice", WITH_SLICES},
	[POL_K_MIN] = {"min", AGG | LBA | RANGE},
	[POL_K_MAX] = {"max", AGG | RANGE | BUDGET},
	[POL_K_MARGIN] = {"margin", NONINF},
	[POL_K_MIN_IMPROVEMENT] = {"min_improvement", SUP},
	[POL_K_MAX_RATE] = {"max_rate", CAP},
	[POL_K_MAX_COUNT] = {"max_count", CAP},
	[POL_K_STAT] = {"stat", BUDGET},
	[POL_K_MAX_RATIO] = {"max_ratio_vs_baseline", BUDGET},
	[POL_K_MIN_N] = {"min_n", NONINF | SUP | SAMPLES | SHADOW},
	[POL_K_MIN_N_PER_SLICE] = {"min_n_per_slice", SAMPLES},
	[POL_K_MIN_CLUSTERS] = {"min_clusters", SAMPLES},
	[POL_K_MIN_DURATION] = {"min_duration", SAMPLES | SHADOW},
	[POL_K_MAX_DURATION] = {"max_duration", SHADOW},
	[POL_K_NI_MARGIN] = {"noninferiority_margin", SHADOW},
	[POL_K_TUNING_N] = {"tuning_n", SHADOW},
	[POL_K_PAIRING] = {"pairing", NONINF | SUP},
	[POL_K_USE] = {"use", RANGE},
	[POL_K_DETECT_REGRESSION] = {"detect_regression", NONINF},
	[POL_K_ALPHA] = {"alpha", NONINF},
	/* only where the gate uses them: budget compares point values, a rate
	 * cap and a shadow comparison are one-sided by nature */
	[POL_K_CONFIDENCE] = {"confidence", WITH_METRIC & ~BUDGET},
	[POL_K_SIDED] = {"sided", AGG | LBA | NONINF | SUP | RANGE},
	[POL_K_SEVERITY] = {"severity", ALL},
	[POL_K_CRITICAL] = {"critical", ALL},
	[POL_K_ON_MISSING] = {"on_missing", ALL & ~SAMPLES}, /* min_samples never fails */
};

const char *rlp_rule_kind_name(enum rlp_rule_kind kind)
{
	return (unsigned)kind < RLP_RULE_KIND_COUNT ? kind_names[kind] : "unknown";
}

bool rlp_policy_derived_known(const char *name)
{
	for (size_t i = 0; name && derived_names[i]; i++)
		if (!strcmp(name, derived_names[i]))
			return true;
	return false;
}

const char *pol_key_name(enum pol_key key)
{
	return rule_keys[key].name;
}

bool pol_key_applies(enum pol_key key, enum rlp_rule_kind kind)
{
	return (rule_keys[key].kinds >> kind) & 1u;
}

void pol_rule_clear(struct rlp_rule *r)
{
	free(r->id);
	free(r->metric);
	pol_strv_free(r->slices, r->nslices);
	r->id = r->metric = NULL;
	r->slices = NULL;
	r->nslices = 0;
}

struct rule_parse {
	const struct pol_ctx *c;
	const struct rlp_policy *p;
	const struct rlp_promotion *prom;
	struct rlp_rule *r;
	const struct pol_node *keys[POL_K_COUNT];   /* key nodes, NULL when absent */
	const struct pol_node *values[POL_K_COUNT];
	char what[POL_SHOW_MAX + 64];
};

bool pol_metric_name_valid(const char *s)
{
	static const char first[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

	return s[0] && strchr(first, s[0]) && strlen(s) <= 255 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
		       strlen(s);
}

static int parse_metric(struct rule_parse *rp, const struct pol_node *v)
{
	struct rlp_rule *r = rp->r;
	char shown[POL_SHOW_MAX], known[128];
	const char *name;
	int err;

	if ((err = pol_string(rp->c, v, rp->what, "metric", &r->metric)) < 0)
		return err;
	if (!strncmp(r->metric, "run.", 4)) {
		r->source = RLP_METRIC_RUN;
		name = r->metric + 4;
	} else if (!strncmp(r->metric, "derived.", 8)) {
		r->source = RLP_METRIC_DERIVED;
		name = r->metric + 8;
		if (!rlp_policy_derived_known(name)) {
			pol_join(known, sizeof(known), derived_names, ", ");
			return pol_fail(rp->c, v, rp->what, "unknown derived metric '%s' (known: %s)",
					yamlu_show(shown, name), known);
		}
	} else {
		r->source = RLP_METRIC_RECORD;
		name = r->metric;
	}
	if (!pol_metric_name_valid(name))
		return pol_fail(rp->c, v, rp->what,
				"invalid metric name '%s' (expected [A-Za-z0-9_][A-Za-z0-9_.-]*, "
				"optionally after 'run.' or 'derived.')",
				yamlu_show(shown, r->metric));
	r->metric_name = name;
	return 0;
}

static int check_slice_defined(struct rule_parse *rp, const struct pol_node *at, const char *name)
{
	const char *close;

	if (pol_index_has(&rp->c->slices, name))
		return 0;
	close = rp->c->slices.names ? pol_suggest(name, rp->c->slices.names) : NULL;
	if (close)
		return pol_fail(rp->c, at, rp->what,
				"slice '%s' is not defined in 'slices' (did you mean '%s'?)", name, close);
	return pol_fail(rp->c, at, rp->what, "slice '%s' is not defined in 'slices'", name);
}

static int parse_slices(struct rule_parse *rp, const struct pol_node *v, const char *key)
{
	struct rlp_rule *r = rp->r;
	int err;

	if (!strcmp(key, "slice")) {
		r->slices = calloc(2, sizeof(*r->slices));
		if (!r->slices)
			return pol_nomem();
		r->nslices = 1;
		err = pol_name(rp->c, v, rp->what, "slice", &r->slices[0]);
	} else {
		err = pol_string_list(rp->c, v, rp->what, "slices", true, true, &r->slices,
				      &r->nslices);
	}
	for (size_t i = 0; err == 0 && i < r->nslices; i++)
		err = check_slice_defined(rp, v->type == POL_SEQ ? v->items[i] : v, r->slices[i]);
	return err;
}

/* "mean", or a percentile "p95", "p99.9": two digits, two decimals at most. */
static int parse_stat(struct rule_parse *rp, const struct pol_node *v)
{
	char desc[POL_SHOW_MAX + 32];
	const char *s, *digits;
	size_t whole, frac = 0;
	double q;

	if (v->type == POL_SCALAR && !strcmp(v->text, "mean")) {
		rp->r->quantile = NAN;
		return 0;
	}
	if (v->type == POL_SCALAR && v->text[0] == 'p') {
		digits = s = v->text + 1;
		whole = strspn(s, "0123456789");
		s += whole;
		if (*s == '.') {
			frac = strspn(s + 1, "0123456789");
			s += frac ? 1 + frac : 0; /* "p9." stops at the dot: refused */
		}
		q = strtod(digits, NULL) / 100;
		if (*s == '\0' && whole >= 1 && whole <= 2 && frac <= 2 && q > 0 && q < 1) {
			rp->r->quantile = q;
			return 0;
		}
	}
	return pol_fail(rp->c, v, rp->what,
			"expected 'mean' or a percentile like p50, p95, p99.9 for 'stat', got %s",
			pol_describe(desc, v));
}

static double round_sig15(double x)
{
	char buf[32];

	/* so that confidence 0.95 gives alpha 0.05, not 0.050000000000000044 */
	snprintf(buf, sizeof(buf), "%.15g", x);
	return strtod(buf, NULL);
}

static int parse_value(struct rule_parse *rp, enum pol_key k, const struct pol_node *v)
{
	const struct pol_ctx *c = rp->c;
	const char *what = rp->what, *key = rule_keys[k].name;
	struct rlp_rule *r = rp->r;
	int choice = 0, err = 0;

	switch (k) {
	case POL_K_ID:
	case POL_K_KIND:
		return 0; /* read first, to label messages and check the other keys */
	case POL_K_METRIC:
		return parse_metric(rp, v);
	case POL_K_SLICES:
	case POL_K_SLICE:
		return parse_slices(rp, v, key);
	case POL_K_MIN:
		return pol_number(c, v, what, key, &r->min);
	case POL_K_MAX:
		return pol_number(c, v, what, key, &r->max);
	case POL_K_MARGIN:
		return pol_number_range(c, v, what, key, 0, false, INFINITY, false, &r->margin);
	case POL_K_MIN_IMPROVEMENT:
		return pol_number_range(c, v, what, key, 0, false, INFINITY, false,
					&r->min_improvement);
	case POL_K_MAX_RATE:
		return pol_number_range(c, v, what, key, 0, false, 1, false, &r->max_rate);
	case POL_K_MAX_COUNT:
		return pol_count(c, v, what, key, &r->max_count);
	case POL_K_STAT:
		return parse_stat(rp, v);
	case POL_K_MAX_RATIO:
		return pol_number_range(c, v, what, key, 0, true, INFINITY, false,
					&r->max_ratio_vs_baseline);
	case POL_K_MIN_N:
		return pol_count(c, v, what, key, &r->min_n);
	case POL_K_MIN_N_PER_SLICE:
		return pol_count(c, v, what, key, &r->min_n_per_slice);
	case POL_K_MIN_CLUSTERS:
		return pol_count(c, v, what, key, &r->min_clusters);
	case POL_K_MIN_DURATION:
		return pol_duration(c, v, what, key, &r->min_duration_s);
	case POL_K_MAX_DURATION:
		return pol_duration(c, v, what, key, &r->max_duration_s);
	case POL_K_NI_MARGIN:
		/* beyond 0.5 the win-rate bound 0.5 - margin would pass anything */
		return pol_number_range(c, v, what, key, 0, false, 0.5, false,
					&r->noninferiority_margin);
	case POL_K_TUNING_N:
		return pol_number_range(c, v, what, key, 1, false, 1e12, false, &r->tuning_n);
	case POL_K_PAIRING:
		err = pol_enum(c, v, what, key, pol_pairing_names, &choice);
		r->pairing = (enum rlp_pairing)choice;
		return err;
	case POL_K_USE:
		err = pol_enum(c, v, what, key, use_names, &choice);
		r->use_ci = choice == 1;
		return err;
	case POL_K_DETECT_REGRESSION:
		return pol_bool(c, v, what, key, &r->detect_regression);
	case POL_K_ALPHA:
		return pol_number_range(c, v, what, key, 0, true, 1, true, &r->alpha);
	case POL_K_CONFIDENCE:
		return pol_number_range(c, v, what, key, 0.5, true, 1, true, &r->confidence);
	case POL_K_SIDED:
		err = pol_enum(c, v, what, key, sided_names, &choice);
		r->sided = choice + 1;
		return err;
	case POL_K_SEVERITY:
		err = pol_enum(c, v, what, key, pol_severity_names, &choice);
		r->severity = (enum rlp_severity)choice;
		return err;
	case POL_K_CRITICAL:
		return pol_bool(c, v, what, key, &r->critical);
	case POL_K_ON_MISSING:
		err = pol_enum(c, v, what, key, pol_on_missing_names, &choice);
		r->on_missing = (enum rlp_on_missing)choice;
		return err;
	case POL_K_COUNT:
		break;
	}
	return 0;
}

static bool has(const struct rule_parse *rp, enum pol_key k)
{
	return rp->values[k] != NULL;
}

static const struct pol_node *later(const struct pol_node *a, const struct pol_node *b)
{
	if (a->loc.line != b->loc.line)
		return a->loc.line > b->loc.line ? a : b;
	return a->loc.col > b->loc.col ? a : b;
}

/* Derived health metrics read `health:`; the alignment tax is already a
 * difference from the baseline, so only kinds that judge a value take it. */
static int check_derived(struct rule_parse *rp, bool *needs_baseline)
{
	const struct rlp_health *h = &rp->p->health;
	const struct pol_node *at = rp->values[POL_K_METRIC];
	const struct rlp_rule *r = rp->r;

	if (!strcmp(r->metric_name, "alignment_tax")) {
		if (!h->reward || !h->human)
			return pol_fail(rp->c, at, rp->what, "'%s' needs 'health.reward' and "
					"'health.human' in the policy", r->metric);
		if (r->kind != RLP_RULE_RANGE && r->kind != RLP_RULE_BUDGET &&
		    r->kind != RLP_RULE_AGGREGATE_THRESHOLD)
			return pol_fail(rp->c, at, rp->what, "'%s' is a difference from the baseline: "
					"use it with kind 'range', 'budget' or 'aggregate_threshold', "
					"not '%s'", r->metric, rlp_rule_kind_name(r->kind));
		if (has(rp, POL_K_MAX_RATIO))
			return pol_fail(rp->c, rp->keys[POL_K_MAX_RATIO], rp->what,
					"'max_ratio_vs_baseline' does not apply to '%s', already a "
					"difference from the baseline", r->metric);
		*needs_baseline = true;
	} else if (!strcmp(r->metric_name, "reward_hack")) {
		if (!h->reward || !h->verifier || isnan(h->hack_threshold))
			return pol_fail(rp->c, at, rp->what, "'%s' needs 'health.reward', "
					"'health.verifier' and 'health.hack_threshold' in the policy",
					r->metric);
	}
	return 0;
}

/* What each kind requires, and checks across keys. */
static int check_rule(struct rule_parse *rp, const struct pol_node *map)
{
	const struct pol_ctx *c = rp->c;
	const char *what = rp->what, *kind = rlp_rule_kind_name(rp->r->kind);
	struct rlp_rule *r = rp->r;
	bool needs_baseline = false;

	if (pol_key_applies(POL_K_METRIC, r->kind) && !has(rp, POL_K_METRIC))
		return pol_fail(c, map, what, "missing required key 'metric' for kind '%s'", kind);
	/* a run-level figure is one number: only `range` can judge it */
	if (r->source == RLP_METRIC_RUN && r->kind != RLP_RULE_RANGE)
		return pol_fail(c, rp->values[POL_K_METRIC], what,
				"run metric '%s' can only be used with kind 'range'", r->metric);
	if (r->source == RLP_METRIC_RUN && r->use_ci)
		return pol_fail(c, rp->values[POL_K_USE], what,
				"'use: ci' needs per-record values; run metric '%s' has no interval",
				r->metric);
	if (r->source == RLP_METRIC_DERIVED && r->kind != RLP_RULE_SHADOW_COMPARE) {
		int err = check_derived(rp, &needs_baseline);
		if (err < 0)
			return err;
	}
	switch (r->kind) {
	case RLP_RULE_AGGREGATE_THRESHOLD:
	case RLP_RULE_RANGE:
		if (!has(rp, POL_K_MIN) && !has(rp, POL_K_MAX))
			return pol_fail(c, map, what, "kind '%s' needs 'min' or 'max'", kind);
		break;
	case RLP_RULE_LOWER_BOUND_ABOVE:
		if (!has(rp, POL_K_MIN))
			return pol_fail(c, map, what, "missing required key 'min' for kind '%s'", kind);
		break;
	case RLP_RULE_RATE_CAP:
		if (!has(rp, POL_K_MAX_RATE) && !has(rp, POL_K_MAX_COUNT))
			return pol_fail(c, map, what, "kind '%s' needs 'max_rate' or 'max_count'", kind);
		break;
	case RLP_RULE_BUDGET:
		if (!has(rp, POL_K_MAX) && !has(rp, POL_K_MAX_RATIO))
			return pol_fail(c, map, what,
					"kind '%s' needs 'max' or 'max_ratio_vs_baseline'", kind);
		needs_baseline |= has(rp, POL_K_MAX_RATIO);
		break;
	case RLP_RULE_MIN_SAMPLES:
		if (!has(rp, POL_K_MIN_N) && !has(rp, POL_K_MIN_N_PER_SLICE) &&
		    !has(rp, POL_K_MIN_CLUSTERS) && !has(rp, POL_K_MIN_DURATION))
			return pol_fail(c, map, what, "kind '%s' needs at least one of min_n, "
					"min_n_per_slice, min_clusters, min_duration", kind);
		if (has(rp, POL_K_MIN_N_PER_SLICE) && !r->nslices && !rp->p->nslices)
			return pol_fail(c, rp->keys[POL_K_MIN_N_PER_SLICE], what,
					"'min_n_per_slice' needs slices, but neither the rule nor "
					"the policy defines any");
		break;
	case RLP_RULE_SLICE_NONINFERIORITY:
		if (!r->nslices && !rp->p->nslices)
			return pol_fail(c, map, what, "kind '%s' compares slices, but neither the rule "
					"nor the policy defines any", kind);
		needs_baseline = true;
		break;
	case RLP_RULE_SUPERIORITY:
		needs_baseline = true;
		break;
	case RLP_RULE_SHADOW_COMPARE:
		if (has(rp, POL_K_MIN_DURATION) && has(rp, POL_K_MAX_DURATION) &&
		    r->min_duration_s > r->max_duration_s)
			return pol_fail(c, rp->values[POL_K_MAX_DURATION], what,
					"'min_duration' (%gs) is greater than 'max_duration' (%gs)",
					r->min_duration_s, r->max_duration_s);
		break;
	case RLP_RULE_REPRODUCIBLE:
	case RLP_RULE_KIND_COUNT:
		break;
	}
	if (has(rp, POL_K_MIN) && has(rp, POL_K_MAX) && r->min > r->max)
		return pol_fail(c, later(rp->values[POL_K_MIN], rp->values[POL_K_MAX]), what,
				"'min' (%s) is greater than 'max' (%s)", rp->values[POL_K_MIN]->text,
				rp->values[POL_K_MAX]->text);
	if (r->critical && r->severity == RLP_SEVERITY_WARN)
		return pol_fail(c, rp->keys[POL_K_CRITICAL], what,
				"'critical: true' contradicts 'severity: warn'");
	if (needs_baseline && !rp->prom->baseline)
		return pol_fail(c, map, NULL, "rule '%s' compares with a baseline but promotion '%s' "
				"names none", r->id, rp->prom->to);
	return 0;
}

/* slice_noninferiority without slices means every slice of the policy;
 * written out so the gate and the normalized form need no second rule. */
static int fill_defaults(struct rule_parse *rp)
{
	const struct rlp_policy *p = rp->p;
	struct rlp_rule *r = rp->r;

	if (isnan(r->confidence))
		r->confidence = p->confidence;
	if (!has(rp, POL_K_ON_MISSING))
		r->on_missing = p->on_missing;
	if (isnan(r->alpha))
		r->alpha = round_sig15(1 - r->confidence);
	if (r->kind == RLP_RULE_SHADOW_COMPARE && isnan(r->tuning_n))
		r->tuning_n = 5000;
	if (r->kind == RLP_RULE_SLICE_NONINFERIORITY && !r->nslices) {
		r->slices = calloc(p->nslices + 1, sizeof(*r->slices));
		if (!r->slices)
			return pol_nomem();
		for (size_t i = 0; i < p->nslices; i++) {
			if (!(r->slices[i] = strdup(p->slices[i].name)))
				return pol_nomem();
			r->nslices = i + 1;
		}
	}
	return 0;
}

static void rule_init(struct rlp_rule *r, const struct pol_node *map)
{
	memset(r, 0, sizeof(*r));
	r->source = RLP_METRIC_NONE;
	r->min = r->max = r->max_rate = r->quantile = r->max_ratio_vs_baseline = NAN;
	r->min_duration_s = r->max_duration_s = r->confidence = r->alpha = r->tuning_n = NAN;
	r->margin = r->min_improvement = r->noninferiority_margin = 0;
	r->max_count = r->min_n = r->min_n_per_slice = r->min_clusters = -1;
	r->sided = 1;
	r->severity = RLP_SEVERITY_BLOCK;
	r->on_missing = RLP_MISSING_INCONCLUSIVE;
	r->pairing = RLP_PAIRING_AUTO;
	r->loc = map->loc;
}

static int kind_lookup(const struct pol_node *v)
{
	for (int i = 0; v && v->type == POL_SCALAR && i < RLP_RULE_KIND_COUNT; i++)
		if (!strcmp(v->text, kind_names[i]))
			return i;
	return -1;
}

static int parse_kind(struct rule_parse *rp, const struct pol_node *v)
{
	char desc[POL_SHOW_MAX + 32], shown[POL_SHOW_MAX], list[300];
	int kind = kind_lookup(v);
	const char *close;

	if (kind >= 0) {
		rp->r->kind = (enum rlp_rule_kind)kind;
		return 0;
	}
	if (v->type != POL_SCALAR)
		return pol_fail(rp->c, v, rp->what, "expected a string for 'kind', got %s",
				pol_describe(desc, v));
	close = pol_suggest(v->text, kind_names);
	if (close)
		return pol_fail(rp->c, v, NULL, "unknown rule kind '%s' in %s (did you mean '%s'?)",
				yamlu_show(shown, v->text), rp->what, close);
	pol_join(list, sizeof(list), kind_names, ", ");
	return pol_fail(rp->c, v, NULL, "unknown rule kind '%s' in %s (expected one of: %s)",
			yamlu_show(shown, v->text), rp->what, list);
}

int pol_parse_rule(const struct pol_ctx *c, const struct rlp_policy *p,
		   const struct rlp_promotion *prom, const struct pol_node *map, size_t index,
		   struct rlp_rule *r)
{
	struct rule_parse rp = {.c = c, .p = p, .prom = prom, .r = r};
	const char *all[POL_K_COUNT + 1], *applicable[POL_K_COUNT + 1];
	const struct pol_node *id, *kind;
	char desc[POL_SHOW_MAX + 32];
	size_t napplicable = 0;
	int err, known_kind;

	rule_init(r, map);
	snprintf(rp.what, sizeof(rp.what), "rule #%zu in promotion '%s'", index + 1, prom->to);
	if (map->type != POL_MAP)
		return pol_fail(c, map, rp.what, "expected a mapping, got %s", pol_describe(desc, map));
	id = pol_map_get(map, "id");
	if (id && id->type == POL_SCALAR && pol_name_valid(id->text))
		snprintf(rp.what, sizeof(rp.what), "rule '%s'", id->text);

	/* unknown keys first; hints come from the keys of the rule's kind when known */
	kind = pol_map_get(map, "kind");
	known_kind = kind_lookup(kind);
	for (int k = 0; k < POL_K_COUNT; k++) {
		all[k] = rule_keys[k].name;
		if (known_kind >= 0 && pol_key_applies((enum pol_key)k, (enum rlp_rule_kind)known_kind))
			applicable[napplicable++] = rule_keys[k].name;
	}
	all[POL_K_COUNT] = applicable[napplicable] = NULL;
	if ((err = pol_check_keys(c, map, rp.what, all, napplicable ? applicable : NULL)) < 0)
		return err;
	for (size_t i = 0; i + 1 < map->nitems; i += 2) {
		for (int k = 0; k < POL_K_COUNT; k++) {
			if (!strcmp(map->items[i]->text, rule_keys[k].name)) {
				rp.keys[k] = map->items[i];
				rp.values[k] = map->items[i + 1];
			}
		}
	}

	if (!id)
		return pol_fail(c, map, rp.what, "missing required key 'id'");
	if ((err = pol_name(c, id, rp.what, "id", &r->id)) < 0)
		return err;
	if (!kind)
		return pol_fail(c, map, rp.what, "missing required key 'kind'");
	if ((err = parse_kind(&rp, kind)) < 0)
		return err;
	if (has(&rp, POL_K_SLICE) && has(&rp, POL_K_SLICES))
		return pol_fail(c, later(rp.keys[POL_K_SLICE], rp.keys[POL_K_SLICES]), rp.what,
				"'slice' and 'slices' are mutually exclusive");
	for (size_t i = 0; i + 1 < map->nitems; i += 2) {
		enum pol_key k = POL_K_COUNT;
		for (int j = 0; j < POL_K_COUNT; j++)
			if (!strcmp(map->items[i]->text, rule_keys[j].name))
				k = (enum pol_key)j;
		if (!pol_key_applies(k, r->kind))
			return pol_fail(c, map->items[i], rp.what,
					"key '%s' does not apply to kind '%s'", rule_keys[k].name,
					kind_names[r->kind]);
		if ((err = parse_value(&rp, k, map->items[i + 1])) < 0)
			return err;
	}
	if ((err = check_rule(&rp, map)) < 0)
		return err;
	return fill_defaults(&rp);
}
