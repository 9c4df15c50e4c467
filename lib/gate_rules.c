/* One evaluator per rule kind (RULES.md, "Rule kinds"). Each fills the
 * figures of its rule and, for rules over slices, of every slice. */
#include "gate_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- units: every slice a rule names, or the whole candidate set ---- */

int gate_units_for(struct unit_list *ul, const struct gate_ctx *ctx, const struct rlp_rule *rule,
		     bool default_all_slices)
{
	const struct rlp_policy *policy = ctx->in->policy;
	size_t n;

	memset(ul, 0, sizeof(*ul));
	if (rule->nslices)
		n = rule->nslices;
	else if (default_all_slices && policy->nslices)
		n = policy->nslices;
	else
		n = 0;
	ul->sliced = n > 0;
	ul->n = n ? n : 1;
	ul->units = calloc(ul->n, sizeof(*ul->units));
	if (!ul->units)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	if (!n) {
		ul->units[0].slice = -1;
		ul->units[0].cand = &ctx->cand_all;
		ul->units[0].base = ctx->in->baseline ? &ctx->base_all : NULL;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = rule->nslices ? rule->slices[i] : policy->slices[i].name;
		const struct rlp_slice *s = rlp_policy_slice(policy, name);
		if (!s) {
			free(ul->units);
			return rlp_error_set(RLP_EINVALID, "rule '%s': slice '%s' is not defined",
					     rule->id, name);
		}
		size_t si = (size_t)(s - policy->slices);
		ul->units[i].slice = (long)si;
		ul->units[i].cand = &ctx->cand_slice[si];
		ul->units[i].base = ctx->in->baseline ? &ctx->base_slice[si] : NULL;
	}
	return 0;
}

const char *gate_unit_name(const struct gate_ctx *ctx, const struct gate_unit *u)
{
	return u->slice < 0 ? "all" : ctx->in->policy->slices[u->slice].name;
}


/* Per-unit evaluator: fills fig; returns < 0 only on a hard error. */
typedef int (*unit_fn)(struct rlp_figures *fig, const char **method, const struct gate_ctx *ctx,
		       const struct rlp_rule *rule, const struct gate_unit *unit, long metric);

/* Is slice figure a worse than b? By verdict, then by the lower bound (the
 * deepest regression or the weakest evidence first). */
static bool worse(const struct rlp_figures *a, const struct rlp_figures *b)
{
	if (a->verdict != b->verdict)
		return a->verdict > b->verdict;
	return !isnan(a->lower) && (isnan(b->lower) || a->lower < b->lower);
}

/* The worst slice speaks for the rule, prefixed with its name and how many
 * other slices share its verdict. */
static void worst_slice(struct rlp_rule_result *res)
{
	size_t worst = 0, same = 0;

	for (size_t i = 1; i < res->nslices; i++)
		if (worse(&res->slices[i].fig, &res->slices[worst].fig))
			worst = i;
	for (size_t i = 0; i < res->nslices; i++)
		same += i != worst && res->slices[i].fig.verdict == res->slices[worst].fig.verdict;
	res->fig = res->slices[worst].fig;
	if (res->fig.verdict == RLP_PASS)
		return;
	if (same)
		gate_reason(&res->fig, "slice '%s' (+%zu more %s): %s", res->slices[worst].slice, same,
			    rlp_verdict_name(res->fig.verdict), res->slices[worst].fig.reason);
	else
		gate_reason(&res->fig, "slice '%s': %s", res->slices[worst].slice,
			    res->slices[worst].fig.reason);
}

static int evaluate_units(struct rlp_rule_result *res, const struct gate_ctx *ctx, unit_fn fn,
			  bool default_all_slices)
{
	const struct rlp_rule *rule = res->rule;
	long metric = -1;
	struct unit_list ul;
	int error = 0;

	if (rule->source == RLP_METRIC_RECORD || rule->source == RLP_METRIC_DERIVED)
		metric = gate_metric_index(ctx, rule->metric);
	if ((error = gate_units_for(&ul, ctx, rule, default_all_slices)) < 0)
		return error;
	if (!ul.sliced) {
		error = fn(&res->fig, &res->method, ctx, rule, &ul.units[0], metric);
		if (!error && gate_is_alignment_tax(rule))
			error = gate_alignment_reason(&res->fig, ctx, &ul.units[0]);
		free(ul.units);
		return error;
	}
	if (!(res->slices = calloc(ul.n, sizeof(*res->slices)))) {
		free(ul.units);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	res->nslices = ul.n;
	for (size_t i = 0; i < ul.n && !error; i++) {
		res->slices[i].slice = gate_unit_name(ctx, &ul.units[i]);
		gate_figures_init(&res->slices[i].fig);
		error = fn(&res->slices[i].fig, &res->method, ctx, rule, &ul.units[i], metric);
		if (!error && gate_is_alignment_tax(rule))
			error = gate_alignment_reason(&res->slices[i].fig, ctx, &ul.units[i]);
	}
	if (!error)
		worst_slice(res);
	free(ul.units);
	return error;
}


/* The candidate's sample of the rule's metric on a unit, or a missing-data
 * verdict (returns 1). */
int gate_candidate_sample(struct gate_sample *s, struct rlp_figures *fig,
			    const struct gate_ctx *ctx, const struct rlp_rule *rule,
			    const struct gate_unit *unit, long metric)
{
	if (gate_is_alignment_tax(rule))
		return gate_alignment_sample(s, fig, ctx, rule, unit);
	int error = gate_sample_collect(s, ctx->in->candidate, unit->cand, metric);
	if (error < 0)
		return error;
	if (s->n)
		return 0;
	if (unit->cand->n == 0) {
		fig->verdict = RLP_ERROR_VERDICT;
		gate_reason(fig, "no candidate records in slice '%s'", gate_unit_name(ctx, unit));
	} else {
		gate_missing(fig, rule, "metric '%s' is missing from the candidate results",
			     rule->metric);
	}
	gate_sample_free(s);
	return 1;
}

/* "[0.9, 1]", "<= 0.2" or ">= 0.9": the range as the policy wrote it. */
const char *gate_range_text(char *buf, size_t size, double lo, double hi)
{
	if (isnan(lo))
		snprintf(buf, size, "<= %.4g", hi);
	else if (isnan(hi))
		snprintf(buf, size, ">= %.4g", lo);
	else
		snprintf(buf, size, "in [%.4g, %.4g]", lo, hi);
	return buf;
}

/* ---- aggregate_threshold ---- */

static int unit_aggregate(struct rlp_figures *fig, const char **method, const struct gate_ctx *ctx,
			  const struct rlp_rule *rule, const struct gate_unit *unit, long metric)
{
	struct gate_sample s;
	int error = gate_candidate_sample(&s, fig, ctx, rule, unit, metric);
	if (error)
		return error < 0 ? error : 0;
	struct rlp_figures ci = *fig;
	if (gate_mean_interval(&ci, method, &s, rule->confidence, rule->sided) == 0) {
		fig->lower = ci.lower;
		fig->upper = ci.upper;
	}
	fig->estimate = ci.estimate;
	fig->n = (long)s.n;
	gate_sample_free(&s);
	char want[64];
	gate_range_text(want, sizeof(want), rule->min, rule->max);
	fig->threshold = !isnan(rule->min) ? rule->min : rule->max;
	if (!isnan(rule->min) && !(fig->estimate >= rule->min)) {
		fig->verdict = RLP_FAIL;
		gate_reason(fig, "mean %.4f < min %.4g", fig->estimate, rule->min);
	} else if (!isnan(rule->max) && !(fig->estimate <= rule->max)) {
		fig->verdict = RLP_FAIL;
		fig->threshold = rule->max;
		gate_reason(fig, "mean %.4f > max %.4g", fig->estimate, rule->max);
	} else {
		gate_reason(fig, "mean %.4f %s", fig->estimate, want);
	}
	return 0;
}

/* ---- lower_bound_above ---- */

static int unit_lower_bound(struct rlp_figures *fig, const char **method, const struct gate_ctx *ctx,
			    const struct rlp_rule *rule, const struct gate_unit *unit, long metric)
{
	struct gate_sample s;
	int error = gate_candidate_sample(&s, fig, ctx, rule, unit, metric);
	if (error)
		return error < 0 ? error : 0;
	fig->threshold = rule->min;
	error = gate_mean_interval(fig, method, &s, rule->confidence, rule->sided);
	gate_sample_free(&s);
	if (error)
		return 0;
	if (fig->lower >= rule->min) {
		gate_reason(fig, "lcb %.4f >= min %.4g", fig->lower, rule->min);
	} else if (fig->upper < rule->min) {
		fig->verdict = RLP_FAIL;
		gate_reason(fig, "ucb %.4f < min %.4g", fig->upper, rule->min);
	} else {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "lcb %.4f < min %.4g <= ucb %.4f", fig->lower, rule->min, fig->upper);
	}
	return 0;
}

/* ---- rate_cap ---- */

static int unit_rate_cap(struct rlp_figures *fig, const char **method, const struct gate_ctx *ctx,
			 const struct rlp_rule *rule, const struct gate_unit *unit, long metric)
{
	struct gate_sample s;
	int error = gate_candidate_sample(&s, fig, ctx, rule, unit, metric);
	if (error)
		return error < 0 ? error : 0;
	long k = 0, n = (long)s.n;
	for (size_t i = 0; i < s.n; i++)
		k += s.x[i] > 0; /* an id with a violation in any epoch counts */
	gate_sample_free(&s);

	struct rlp_interval cp = rlp_clopper_pearson(k, n, rule->confidence, RLP_ONE_SIDED);
	*method = "clopper-pearson";
	fig->n = n;
	fig->estimate = (double)k / (double)n;
	fig->lower = cp.lower;
	fig->upper = cp.upper;
	fig->threshold = !isnan(rule->max_rate) ? rule->max_rate : (double)rule->max_count;
	if (rule->max_count >= 0 && k > rule->max_count) {
		fig->verdict = RLP_FAIL;
		gate_reason(fig, "%ld of %ld > max_count %ld", k, n, rule->max_count);
	} else if (!isnan(rule->max_rate) && cp.lower > rule->max_rate) {
		fig->verdict = RLP_FAIL;
		gate_reason(fig, "lcb %.4g > max_rate %.4g (%ld of %ld)", cp.lower, rule->max_rate, k, n);
	} else if (!isnan(rule->max_rate) && cp.upper > rule->max_rate) {
		fig->verdict = RLP_INCONCLUSIVE;
		if (k == 0)
			gate_reason(fig, "ucb %.4g > max_rate %.4g: 0 of %ld, need n >= %ld to certify",
				    cp.upper, rule->max_rate, n,
				    rlp_rate_cap_n_required(rule->max_rate, rule->confidence));
		else
			gate_reason(fig, "ucb %.4g > max_rate %.4g (%ld of %ld)", cp.upper, rule->max_rate,
				    k, n);
	} else if (!isnan(rule->max_rate)) {
		gate_reason(fig, "%ld of %ld, ucb %.4g <= max_rate %.4g", k, n, cp.upper,
			    rule->max_rate);
	} else {
		gate_reason(fig, "%ld of %ld <= max_count %ld", k, n, rule->max_count);
	}
	return 0;
}

/* ---- comparisons with the baseline ---- */

bool gate_need_baseline(struct rlp_figures *fig, const struct gate_ctx *ctx,
			  const struct rlp_rule *rule)
{
	if (ctx->in->baseline)
		return true;
	gate_missing(fig, rule, "no baseline results for stage '%s'",
		     ctx->promotion->baseline ? ctx->promotion->baseline : "?");
	return false;
}

/* Shared by noninferiority and superiority: fills fig from the difference;
 * returns 1 when the comparison could not be made (fig says why). */
static int unit_difference(struct rlp_figures *fig, struct gate_diff *d, const char **method,
			   const struct gate_ctx *ctx, const struct rlp_rule *rule,
			   const struct gate_unit *unit, long metric)
{
	int error;

	if (!gate_need_baseline(fig, ctx, rule))
		return 1;
	if (unit->cand->n == 0) {
		fig->verdict = RLP_ERROR_VERDICT;
		gate_reason(fig, "no candidate records in slice '%s'", gate_unit_name(ctx, unit));
		return 1;
	}
	if (unit->base->n == 0 && unit->slice >= 0) {
		fig->verdict = RLP_ERROR_VERDICT;
		gate_reason(fig, "no baseline records in slice '%s'", gate_unit_name(ctx, unit));
		return 1;
	}
	if (metric < 0 || rlp_results_metric_count(ctx->in->candidate, (size_t)metric) == 0) {
		gate_missing(fig, rule, "metric '%s' is missing from the candidate results",
			     rule->metric);
		return 1;
	}
	if (rlp_results_metric_count(ctx->in->baseline, (size_t)metric) == 0) {
		gate_missing(fig, rule, "metric '%s' is missing from the baseline results",
			     rule->metric);
		return 1;
	}
	if ((error = gate_compare(d, fig, ctx, rule, unit, metric)) < 0)
		return error;
	fig->n = d->n;
	fig->n_baseline = d->n_base;
	fig->estimate = d->cand;
	fig->baseline = d->base;
	if (d->method) {
		*method = d->method;
		fig->delta = d->iv.estimate;
		fig->lower = d->iv.lower;
		fig->upper = d->iv.upper;
	}
	return fig->verdict != RLP_PASS || !d->method;
}

static int unit_noninferiority(struct rlp_figures *fig, const char **method,
			       const struct gate_ctx *ctx, const struct rlp_rule *rule,
			       const struct gate_unit *unit, long metric)
{
	struct gate_diff d;
	int stop = unit_difference(fig, &d, method, ctx, rule, unit, metric);
	if (stop)
		return stop < 0 ? stop : 0;
	fig->threshold = 0.0 - rule->margin; /* never -0 */
	if (d.iv.lower > -rule->margin) {
		gate_reason(fig, "delta %+.4f, lcb %+.4f > -margin %.4g", d.iv.estimate, d.iv.lower,
			    rule->margin);
	} else if (d.iv.upper < -rule->margin) {
		fig->verdict = RLP_FAIL;
		gate_reason(fig, "regressed: delta %+.4f (%.4f vs %.4f), ucb %+.4f < -margin %.4g",
			    d.iv.estimate, d.cand, d.base, d.iv.upper, rule->margin);
	} else {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "delta %+.4f, lcb %+.4f <= -margin %.4g", d.iv.estimate, d.iv.lower,
			    rule->margin);
	}
	return 0;
}

static int unit_superiority(struct rlp_figures *fig, const char **method,
			    const struct gate_ctx *ctx, const struct rlp_rule *rule,
			    const struct gate_unit *unit, long metric)
{
	struct gate_diff d;
	int stop = unit_difference(fig, &d, method, ctx, rule, unit, metric);
	if (stop)
		return stop < 0 ? stop : 0;
	fig->threshold = rule->min_improvement;
	if (d.iv.lower > rule->min_improvement) {
		gate_reason(fig, "delta %+.4f, lcb %+.4f > %+.4g", d.iv.estimate, d.iv.lower,
			    rule->min_improvement);
	} else if (d.iv.upper < rule->min_improvement) {
		fig->verdict = RLP_FAIL;
		gate_reason(fig, "delta %+.4f, ucb %+.4f < %+.4g", d.iv.estimate, d.iv.upper,
			    rule->min_improvement);
	} else {
		/* the effect this n can detect with 80% power */
		double mde = (rlp_z_for(rule->confidence, (enum rlp_sided)rule->sided) +
			      rlp_norm_ppf(0.8)) * d.se;
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "delta %+.4f, lcb %+.4f <= %+.4g; detectable effect at n=%ld: %.4f",
			    d.iv.estimate, d.iv.lower, rule->min_improvement, d.n, mde);
	}
	return 0;
}

/* detect_regression replaces the margin test: one-sided exact McNemar per
 * slice (is the candidate worse?), Holm-adjusted over the slices that could
 * be compared. A slice that could not be compared keeps its verdict: missing
 * data never passes. */
static int evaluate_detect_regression(struct rlp_rule_result *res, const struct gate_ctx *ctx)
{
	long metric = gate_metric_index(ctx, res->rule->metric);
	struct unit_list ul;
	double *p = NULL;
	size_t *which = NULL, m = 0;
	int error;

	res->method = "mcnemar-exact-holm";
	if ((error = gate_units_for(&ul, ctx, res->rule, true)) < 0)
		return error;
	res->slices = calloc(ul.n, sizeof(*res->slices));
	p = calloc(ul.n, sizeof(*p));
	which = calloc(ul.n, sizeof(*which));
	if (!res->slices || !p || !which) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	res->nslices = ul.n;
	for (size_t i = 0; i < ul.n; i++) {
		struct rlp_figures *fig = &res->slices[i].fig;
		const char *method;
		struct gate_diff d;
		res->slices[i].slice = gate_unit_name(ctx, &ul.units[i]);
		gate_figures_init(fig);
		int stop = unit_difference(fig, &d, &method, ctx, res->rule, &ul.units[i], metric);
		if (stop < 0) {
			error = stop;
			goto done;
		}
		if (stop)
			continue;
		if (!d.paired || !d.binary) {
			fig->verdict = RLP_ERROR_VERDICT;
			gate_reason(fig, "detect_regression needs paired binary outcomes");
			continue;
		}
		p[m] = rlp_mcnemar(d.b, d.c).p_exact_less;
		which[m++] = i;
	}
	if (m && (error = rlp_holm(p, p, m)) < 0)
		goto done;
	for (size_t k = 0; k < m; k++) {
		struct rlp_figures *fig = &res->slices[which[k]].fig;
		bool regressed = p[k] < res->rule->alpha;
		fig->verdict = regressed ? RLP_FAIL : RLP_PASS;
		gate_reason(fig, "delta %+.4f; McNemar exact one-sided, Holm-adjusted p %.4g %s alpha %.4g",
			    fig->delta, p[k], regressed ? "<" : ">=", res->rule->alpha);
	}
	worst_slice(res);
done:
	free(ul.units);
	free(p);
	free(which);
	return error;
}

/* ---- range ---- */

static int unit_range(struct rlp_figures *fig, const char **method, const struct gate_ctx *ctx,
		      const struct rlp_rule *rule, const struct gate_unit *unit, long metric)
{
	double lo = rule->min, hi = rule->max;
	char want[64];

	gate_range_text(want, sizeof(want), lo, hi);
	if (rule->source == RLP_METRIC_RUN) {
		const struct rlp_run_metric *m = gate_run_metric(ctx, rule->metric_name);
		if (!m) {
			gate_missing(fig, rule, "run metric '%s' is missing", rule->metric_name);
			return 0;
		}
		fig->estimate = m->value;
		*method = "value";
	} else {
		struct gate_sample s;
		struct rlp_figures ci = *fig;
		int error = gate_candidate_sample(&s, fig, ctx, rule, unit, metric);
		if (error)
			return error < 0 ? error : 0;
		error = gate_mean_interval(&ci, method, &s, rule->confidence, rule->sided);
		gate_sample_free(&s);
		fig->n = ci.n;
		fig->estimate = ci.estimate;
		if (rule->use_ci && error) {
			*fig = ci; /* not enough data for an interval: its verdict stands */
			return 0;
		}
		fig->lower = ci.lower;
		fig->upper = ci.upper;
		if (!rule->use_ci)
			*method = "mean";
	}
	fig->threshold = !isnan(lo) ? lo : hi;
	double v_lo = rule->use_ci ? fig->lower : fig->estimate;
	double v_hi = rule->use_ci ? fig->upper : fig->estimate;
	bool below = !isnan(lo) && v_hi < lo, above = !isnan(hi) && v_lo > hi;
	bool inside = (isnan(lo) || v_lo >= lo) && (isnan(hi) || v_hi <= hi);
	if (inside) {
		if (rule->use_ci)
			gate_reason(fig, "interval [%.4g, %.4g] %s", v_lo, v_hi, want);
		else
			gate_reason(fig, "%.4g %s", fig->estimate, want);
	} else if (below || above || !rule->use_ci) {
		fig->verdict = RLP_FAIL;
		fig->threshold = below ? lo : hi;
		gate_reason(fig, "%.4g not %s", fig->estimate, want);
	} else {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "interval [%.4g, %.4g] straddles %s", fig->lower, fig->upper, want);
	}
	return 0;
}

/* ---- budget ---- */

static int sample_stat(double *out, struct gate_sample *s, double q)
{
	if (isnan(q)) {
		double sum = 0;
		for (size_t i = 0; i < s->n; i++)
			sum += s->x[i];
		*out = sum / (double)s->n;
		return 0;
	}
	*out = rlp_quantile_select(s->x, s->n, q); /* O(n): a budget over 1M ids is common */
	return 0;
}

static int unit_budget(struct rlp_figures *fig, const char **method, const struct gate_ctx *ctx,
		       const struct rlp_rule *rule, const struct gate_unit *unit, long metric)
{
	double q = rule->quantile;
	struct gate_sample s;
	int error = gate_candidate_sample(&s, fig, ctx, rule, unit, metric);
	if (error)
		return error < 0 ? error : 0;
	*method = isnan(q) ? "mean" : "quantile-type7";
	fig->n = (long)s.n;
	/* a quantile needs n >= 1/(1-q) values; the epsilon keeps p90 at n=10 valid */
	if (!isnan(q) && q < 1 && (double)s.n * (1.0 - q) < 1.0 - 1e-9) {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "n=%zu < %.0f needed for p%g", s.n, ceil(1.0 / (1.0 - q)), q * 100);
		gate_sample_free(&s);
		return 0;
	}
	sample_stat(&fig->estimate, &s, q);
	gate_sample_free(&s);
	fig->threshold = rule->max;
	if (!isnan(rule->max) && fig->estimate > rule->max) {
		fig->verdict = RLP_FAIL;
		gate_reason(fig, "%.4g > max %.4g", fig->estimate, rule->max);
		return 0;
	}
	if (isnan(rule->max_ratio_vs_baseline)) {
		gate_reason(fig, "%.4g <= max %.4g", fig->estimate, rule->max);
		return 0;
	}
	if (!gate_need_baseline(fig, ctx, rule))
		return 0;
	struct gate_sample b;
	if ((error = gate_sample_collect(&b, ctx->in->baseline, unit->base, metric)) < 0)
		return error;
	if (b.n == 0) {
		gate_sample_free(&b);
		gate_missing(fig, rule, "metric '%s' is missing from the baseline results",
			     rule->metric);
		return 0;
	}
	sample_stat(&fig->baseline, &b, q);
	fig->n_baseline = (long)b.n;
	gate_sample_free(&b);
	if (!(fig->baseline > 0)) {
		fig->verdict = RLP_ERROR_VERDICT;
		gate_reason(fig, "baseline value %.4g: ratio undefined", fig->baseline);
		return 0;
	}
	double ratio = fig->estimate / fig->baseline;
	fig->delta = fig->estimate - fig->baseline;
	if (ratio > rule->max_ratio_vs_baseline) {
		fig->verdict = RLP_FAIL;
		fig->threshold = rule->max_ratio_vs_baseline;
		gate_reason(fig, "%.4g is %.3fx baseline %.4g > max ratio %.4g", fig->estimate, ratio,
			    fig->baseline, rule->max_ratio_vs_baseline);
	} else {
		gate_reason(fig, "%.4g, %.3fx baseline %.4g <= max ratio %.4g", fig->estimate, ratio,
			    fig->baseline, rule->max_ratio_vs_baseline);
	}
	return 0;
}

/* ---- min_samples: never FAIL, only INCONCLUSIVE ---- */

static int evaluate_min_samples(struct rlp_rule_result *res, const struct gate_ctx *ctx)
{
	const struct rlp_rule *rule = res->rule;
	struct rlp_figures *fig = &res->fig;
	size_t n = rlp_results_count(ctx->in->candidate);
	struct unit_list ul;
	int error;

	res->method = "count";
	fig->n = (long)n;
	fig->estimate = (double)n;
	if (rule->min_n >= 0 && (long)n < rule->min_n) {
		fig->verdict = RLP_INCONCLUSIVE;
		fig->threshold = (double)rule->min_n;
		gate_reason(fig, "n=%zu < min_n %ld", n, rule->min_n);
		return 0;
	}
	if (rule->min_clusters >= 0) {
		size_t c = rlp_results_nclusters(ctx->in->candidate);
		if ((long)c < rule->min_clusters) {
			fig->verdict = RLP_INCONCLUSIVE;
			fig->threshold = (double)rule->min_clusters;
			gate_reason(fig, "%zu clusters < min_clusters %ld", c, rule->min_clusters);
			return 0;
		}
	}
	if (!isnan(rule->min_duration_s)) {
		const struct rlp_run_metric *d = gate_run_metric(ctx, "duration_s");
		if (!d || d->value < rule->min_duration_s) {
			fig->verdict = RLP_INCONCLUSIVE;
			gate_reason(fig, d ? "duration %.0fs < min %.0fs" : "run duration unknown",
				    d ? d->value : 0.0, rule->min_duration_s);
			return 0;
		}
	}
	if (rule->min_n_per_slice < 0) {
		gate_reason(fig, "n=%zu", n);
		return 0;
	}
	if ((error = gate_units_for(&ul, ctx, rule, true)) < 0)
		return error;
	if (ul.sliced && !(res->slices = calloc(ul.n, sizeof(*res->slices)))) {
		free(ul.units);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	res->nslices = ul.sliced ? ul.n : 0;
	gate_reason(fig, "n=%zu, every slice >= %ld", n, rule->min_n_per_slice);
	for (size_t i = 0; i < res->nslices; i++) {
		struct rlp_figures *sf = &res->slices[i].fig;
		gate_figures_init(sf);
		res->slices[i].slice = gate_unit_name(ctx, &ul.units[i]);
		sf->n = (long)ul.units[i].cand->n;
		sf->estimate = (double)sf->n;
		sf->threshold = (double)rule->min_n_per_slice;
		if (sf->n < rule->min_n_per_slice) {
			sf->verdict = RLP_INCONCLUSIVE;
			gate_reason(sf, "n=%ld < %ld", sf->n, rule->min_n_per_slice);
			if (fig->verdict == RLP_PASS) {
				fig->verdict = RLP_INCONCLUSIVE;
				gate_reason(fig, "slice '%s': n=%ld < min_n_per_slice %ld",
					    res->slices[i].slice, sf->n, rule->min_n_per_slice);
			}
		} else {
			gate_reason(sf, "n=%ld >= %ld", sf->n, rule->min_n_per_slice);
		}
	}
	free(ul.units);
	return 0;
}

/* ---- reproducible ---- */

static void evaluate_reproducible(struct rlp_rule_result *res, const struct gate_ctx *ctx)
{
	const struct rlp_run_metrics *run = ctx->in->run;
	struct rlp_figures *fig = &res->fig;

	res->method = "repeat-record";
	if (!run || run->repeats < 0) {
		gate_missing(fig, res->rule, "no repeat record for the run");
		return;
	}
	fig->n = run->repeats;
	fig->estimate = (double)run->repeats;
	fig->threshold = 2;
	if (run->repeats < 2) {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "%ld repeat%s: reproducibility needs at least 2", run->repeats,
			    run->repeats == 1 ? "" : "s");
	} else if (run->repeats_identical != 1) {
		fig->verdict = run->repeats_identical == 0 ? RLP_FAIL : RLP_INCONCLUSIVE;
		gate_reason(fig, run->repeats_identical == 0 ? "%ld repeats gave different metrics"
							     : "%ld repeats, identity unknown",
			    run->repeats);
	} else {
		gate_reason(fig, "%ld repeats gave identical metrics", run->repeats);
	}
}

static int evaluate_kind(struct rlp_rule_result *res, const struct gate_ctx *ctx);

int gate_rule_evaluate(struct rlp_rule_result *res, const struct gate_ctx *ctx)
{
	const struct rlp_rule *rule = res->rule;
	int error = evaluate_kind(res, ctx);

	if (!error && rule->source == RLP_METRIC_DERIVED && rule->kind != RLP_RULE_SHADOW_COMPARE &&
	    !strcmp(rule->metric_name, "reward_hack"))
		error = gate_collect_suspects(res, ctx);
	return error;
}

static int evaluate_kind(struct rlp_rule_result *res, const struct gate_ctx *ctx)
{
	const struct rlp_rule *rule = res->rule;

	switch (rule->kind) {
	case RLP_RULE_AGGREGATE_THRESHOLD:
		return evaluate_units(res, ctx, unit_aggregate, false);
	case RLP_RULE_LOWER_BOUND_ABOVE:
		return evaluate_units(res, ctx, unit_lower_bound, false);
	case RLP_RULE_RATE_CAP:
		return evaluate_units(res, ctx, unit_rate_cap, false);
	case RLP_RULE_SLICE_NONINFERIORITY:
		if (rule->detect_regression)
			return evaluate_detect_regression(res, ctx);
		return evaluate_units(res, ctx, unit_noninferiority, true);
	case RLP_RULE_SUPERIORITY:
		return evaluate_units(res, ctx, unit_superiority, false);
	case RLP_RULE_RANGE:
		if (rule->source == RLP_METRIC_RUN) {
			struct gate_unit all = {.slice = -1, .cand = &ctx->cand_all};
			return unit_range(&res->fig, &res->method, ctx, rule, &all, -1);
		}
		return evaluate_units(res, ctx, unit_range, false);
	case RLP_RULE_BUDGET:
		return evaluate_units(res, ctx, unit_budget, false);
	case RLP_RULE_MIN_SAMPLES:
		return evaluate_min_samples(res, ctx);
	case RLP_RULE_REPRODUCIBLE:
		evaluate_reproducible(res, ctx);
		return 0;
	case RLP_RULE_SHADOW_COMPARE:
		gate_evaluate_shadow(res, ctx);
		return 0;
	case RLP_RULE_KIND_COUNT:
		break;
	}
	return rlp_error_set(RLP_EINVALID, "rule '%s': unknown kind", rule->id);
}
