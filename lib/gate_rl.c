/* RL-specific rule parts (RULES.md): the alignment tax, shadow_compare's
 * confidence sequence on paired traffic, and the reward-hacking suspects a
 * derived.reward_hack rule lists. Split from gate_rules.c, which keeps the
 * evaluators of the general kinds. */
#include "gate_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- the alignment tax: (reward change) - (human preference change) ---- */

/* Per id of the unit carrying both scores on both sides: the candidate's
 * reward gain minus its human-preference gain over the baseline. Sums of the
 * two gains go to *drm and *dhu when not NULL. */
static int alignment_values(struct gate_sample *s, double *drm, double *dhu,
			    const struct gate_ctx *ctx, const struct gate_unit *unit)
{
	const struct rlp_health *h = &ctx->in->policy->health;
	const struct rlp_results *cr = ctx->in->candidate, *br = ctx->in->baseline;
	long rm = gate_metric_index(ctx, h->reward), hu = gate_metric_index(ctx, h->human);
	size_t n = unit->cand->n, nclusters = rlp_results_nclusters(cr);

	memset(s, 0, sizeof(*s));
	s->binary = false;
	if (drm)
		*drm = *dhu = 0;
	s->x = malloc((n ? n : 1) * sizeof(*s->x));
	if (nclusters)
		s->cluster = malloc((n ? n : 1) * sizeof(*s->cluster));
	if (!s->x || (nclusters && !s->cluster)) {
		gate_sample_free(s);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	for (size_t k = 0; rm >= 0 && hu >= 0 && ctx->base_of && k < n; k++) {
		size_t i = unit->cand->idx[k];
		long j = ctx->base_of[i];
		double rc, hc, rb, hb;
		if (j < 0 || !rlp_results_value(cr, i, (size_t)rm, &rc) ||
		    !rlp_results_value(cr, i, (size_t)hu, &hc) ||
		    !rlp_results_value(br, (size_t)j, (size_t)rm, &rb) ||
		    !rlp_results_value(br, (size_t)j, (size_t)hu, &hb))
			continue;
		if (drm) {
			*drm += rc - rb;
			*dhu += hc - hb;
		}
		if (s->cluster) {
			int c = rlp_results_cluster(cr, i);
			s->cluster[s->n] = c >= 0 ? c : (int)(nclusters + s->n);
		}
		s->x[s->n++] = (rc - rb) - (hc - hb);
	}
	if (s->cluster) {
		unsigned char *seen = calloc(nclusters + s->n + 1, 1);
		if (!seen) {
			gate_sample_free(s);
			return rlp_error_set(RLP_ENOMEM, "out of memory");
		}
		for (size_t k = 0; k < s->n; k++)
			if (!seen[s->cluster[k]]++)
				s->nclusters++;
		free(seen);
	}
	return 0;
}

int gate_alignment_sample(struct gate_sample *s, struct rlp_figures *fig,
			    const struct gate_ctx *ctx, const struct rlp_rule *rule,
			    const struct gate_unit *unit)
{
	const struct rlp_health *h = &ctx->in->policy->health;
	int error;

	if (!gate_need_baseline(fig, ctx, rule))
		return 1;
	if ((error = alignment_values(s, NULL, NULL, ctx, unit)) < 0)
		return error;
	if (s->n)
		return 0;
	gate_missing(fig, rule, "no id carries '%s' and '%s' in both the candidate and the "
		     "baseline results", h->reward, h->human);
	gate_sample_free(s);
	return 1;
}

/* The reason says what the tax is made of. */
int gate_alignment_reason(struct rlp_figures *fig, const struct gate_ctx *ctx,
			    const struct gate_unit *unit)
{
	struct gate_sample s;
	double drm, dhu;
	char add[96];
	int error;

	if (!ctx->in->baseline || isnan(fig->estimate))
		return 0;
	if ((error = alignment_values(&s, &drm, &dhu, ctx, unit)) < 0)
		return error;
	if (s.n) {
		snprintf(add, sizeof(add), " (%s %+.4f, %s %+.4f on %zu ids)",
			 ctx->in->policy->health.reward, drm / (double)s.n,
			 ctx->in->policy->health.human, dhu / (double)s.n, s.n);
		strncat(fig->reason, add, sizeof(fig->reason) - strlen(fig->reason) - 1);
	}
	gate_sample_free(&s);
	return 0;
}

/* ---- shadow_compare: a confidence sequence on paired wins ---- */

/* Below this many requests the plug-in sd says little (a run of identical
 * outcomes makes it 0): no early verdict yet. */
#define SHADOW_MIN_DECIDE_N 30

static void shadow_reason(struct rlp_figures *fig, const struct rlp_shadow_result *sh,
			  const char *verdict_text)
{
	char elapsed[32];

	rlp_duration_format(elapsed, sizeof(elapsed), sh->elapsed_s);
	gate_reason(fig, "n=%ld over %s: win rate %.4f in [%.4f, %.4f]; %s", fig->n, elapsed,
		    fig->estimate, fig->lower, fig->upper, verdict_text);
}

/* RULES.md: FAIL as soon as upper < 0.5 - margin; PASS once n >= min_n,
 * elapsed >= min_duration and lower > 0.5 - margin; past max_duration the
 * verdict at the deadline; INCONCLUSIVE (hold) otherwise. Elapsed time is
 * that of the traffic (last - first request), so a recheck gives the same
 * verdict on the same evidence. */
void gate_evaluate_shadow(struct rlp_rule_result *res, const struct gate_ctx *ctx)
{
	const struct rlp_shadow_tally *t = ctx->in->shadow;
	const struct rlp_rule *rule = res->rule;
	struct rlp_shadow_result *sh = &res->shadow;
	struct rlp_figures *fig = &res->fig;
	double thr = 0.5 - rule->noninferiority_margin, mean, var;
	double min_dur = isnan(rule->min_duration_s) ? 0 : rule->min_duration_s;
	long min_n = rule->min_n >= 0 ? rule->min_n : 0;
	char why[96];

	res->method = "confidence-sequence";
	fig->threshold = thr;
	if (!t || t->n == 0) {
		gate_missing(fig, rule, "no shadow traffic for the candidate");
		return;
	}
	mean = t->sum / (double)t->n;
	var = t->n > 1 ? (t->sumsq - (double)t->n * mean * mean) / (double)(t->n - 1) : NAN;
	*sh = (struct rlp_shadow_result){
		.set = true, .wins = t->wins, .ties = t->ties, .losses = t->losses,
		.first = (double)t->first.sec + t->first.nsec * 1e-9,
		.last = (double)t->last.sec + t->last.nsec * 1e-9,
		.elapsed_s = rlp_instant_diff(&t->last, &t->first),
		.sd = var > 0 ? sqrt(var) : var == var ? 0 : NAN,
		.tuning_n = rule->tuning_n,
	};
	sh->halfwidth = rlp_cs_halfwidth(sh->sd, (double)t->n, 1 - rule->confidence, rule->tuning_n);
	sh->deadline = !isnan(rule->max_duration_s) && sh->elapsed_s >= rule->max_duration_s;
	fig->n = t->n;
	fig->estimate = mean;
	fig->lower = isnan(sh->halfwidth) ? NAN : fmax(0, mean - sh->halfwidth);
	fig->upper = isnan(sh->halfwidth) ? NAN : fmin(1, mean + sh->halfwidth);
	if (isnan(sh->halfwidth)) {
		/* one request: no sd; at the deadline, missing evidence fails */
		fig->verdict = sh->deadline ? RLP_FAIL : RLP_INCONCLUSIVE;
		gate_reason(fig, "n=%ld: too few requests for an interval%s", t->n,
			    sh->deadline ? " at the max_duration deadline" : "");
	} else if (t->n >= SHADOW_MIN_DECIDE_N && fig->upper < thr) {
		fig->verdict = RLP_FAIL;
		snprintf(why, sizeof(why), "ucb %.4f < %.4g: worse than production", fig->upper, thr);
		shadow_reason(fig, sh, why);
	} else if (sh->deadline) {
		bool pass = fig->lower > thr;
		fig->verdict = pass ? RLP_PASS : RLP_FAIL;
		snprintf(why, sizeof(why), "at the max_duration deadline, lcb %.4f %s %.4g",
			 fig->lower, pass ? ">" : "<=", thr);
		shadow_reason(fig, sh, why);
	} else if (t->n < SHADOW_MIN_DECIDE_N || t->n < min_n) {
		fig->verdict = RLP_INCONCLUSIVE;
		snprintf(why, sizeof(why), "needs n >= %ld: keep collecting",
			 min_n > SHADOW_MIN_DECIDE_N ? min_n : (long)SHADOW_MIN_DECIDE_N);
		shadow_reason(fig, sh, why);
	} else if (sh->elapsed_s < min_dur) {
		char want[32];
		rlp_duration_format(want, sizeof(want), min_dur);
		fig->verdict = RLP_INCONCLUSIVE;
		snprintf(why, sizeof(why), "elapsed < min_duration %s: keep collecting", want);
		shadow_reason(fig, sh, why);
	} else if (fig->lower > thr) {
		snprintf(why, sizeof(why), "lcb %.4f > %.4g: not worse than production", fig->lower,
			 thr);
		shadow_reason(fig, sh, why);
	} else {
		fig->verdict = RLP_INCONCLUSIVE;
		snprintf(why, sizeof(why), "lcb %.4f <= %.4g <= ucb: keep collecting", fig->lower,
			 thr);
		shadow_reason(fig, sh, why);
	}
}

/* ---- reward-hacking suspects: the ids behind a derived.reward_hack rule ---- */

int gate_collect_suspects(struct rlp_rule_result *res, const struct gate_ctx *ctx)
{
	const struct rlp_results *cand = ctx->in->candidate;
	long metric = gate_metric_index(ctx, res->rule->metric);
	size_t n = rlp_results_count(cand);
	unsigned char *in_scope = NULL;
	struct unit_list ul;
	int error;

	if (metric < 0 || !n)
		return 0;
	if ((error = gate_units_for(&ul, ctx, res->rule, false)) < 0)
		return error;
	res->suspects = calloc(RLP_GATE_MAX_SUSPECTS, sizeof(*res->suspects));
	in_scope = calloc(n, 1);
	if (!res->suspects || !in_scope) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t u = 0; u < ul.n; u++)
		for (size_t k = 0; k < ul.units[u].cand->n; k++)
			in_scope[ul.units[u].cand->idx[k]] = 1;
	/* in the order of the results, so the list is the same on every run */
	for (size_t i = 0; i < n; i++) {
		double v;
		if (!in_scope[i] || !rlp_results_value(cand, i, (size_t)metric, &v) || !(v > 0))
			continue;
		if (res->nsuspects < RLP_GATE_MAX_SUSPECTS) {
			if (!(res->suspects[res->nsuspects] = strdup(rlp_results_id(cand, i)))) {
				error = rlp_error_set(RLP_ENOMEM, "out of memory");
				goto done;
			}
			res->nsuspects++;
		}
		res->suspects_total++;
	}
done:
	free(in_scope);
	free(ul.units);
	return error;
}

