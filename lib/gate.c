/* The gate's framework: which data the rules need, slice membership, samples,
 * intervals and paired differences, and the overall decision. The per-kind
 * rules live in gate_rules.c. */
#include "gate_private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"

const char *rlp_verdict_name(enum rlp_verdict v)
{
	static const char *const names[] = {"PASS", "INCONCLUSIVE", "ERROR", "FAIL"};
	return (unsigned)v < 4 ? names[v] : "ERROR";
}

const char *rlp_outcome_name(enum rlp_outcome d)
{
	static const char *const names[] = {"GO", "NO-GO", "HOLD"};
	return (unsigned)d < 3 ? names[d] : "HOLD";
}

void gate_figures_init(struct rlp_figures *fig)
{
	fig->verdict = RLP_PASS;
	fig->estimate = fig->lower = fig->upper = NAN;
	fig->threshold = fig->baseline = fig->delta = NAN;
	fig->n = fig->n_baseline = 0;
	fig->reason[0] = '\0';
}

void gate_reason(struct rlp_figures *fig, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fig->reason, sizeof(fig->reason), fmt, ap);
	va_end(ap);
}

void gate_missing(struct rlp_figures *fig, const struct rlp_rule *rule, const char *fmt, ...)
{
	static const enum rlp_verdict verdict_of[] = {
		[RLP_MISSING_INCONCLUSIVE] = RLP_INCONCLUSIVE,
		[RLP_MISSING_ERROR] = RLP_ERROR_VERDICT,
		[RLP_MISSING_FAIL] = RLP_FAIL,
	};
	va_list ap;

	fig->verdict = verdict_of[rule->on_missing];
	va_start(ap, fmt);
	vsnprintf(fig->reason, sizeof(fig->reason), fmt, ap);
	va_end(ap);
}

/* ---- which tags and metrics the promotion needs ---- */

static int add_unique(const char ***list, size_t *n, size_t *cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*list)[i], s))
			return 0;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		const char **grown = realloc(*list, ncap * sizeof(*grown));
		if (!grown)
			return rlp_error_set(RLP_ENOMEM, "out of memory");
		*list = grown;
		*cap = ncap;
	}
	(*list)[(*n)++] = s;
	return 0;
}

int rlp_gate_spec(struct rlp_results_spec *spec, const struct rlp_policy *policy, const char *to)
{
	const struct rlp_promotion *p = rlp_policy_promotion(policy, to);
	const char **tags = NULL, **metrics = NULL;
	struct rlp_results_hack *hack = NULL;
	size_t ntags = 0, nmetrics = 0, tcap = 0, mcap = 0;
	int error = 0;

	memset(spec, 0, sizeof(*spec));
	if (!p)
		return rlp_error_set(RLP_ENOTFOUND, "policy has no promotion to '%s'", to);
	for (size_t s = 0; s < policy->nslices && !error; s++)
		for (size_t t = 0; t < policy->slices[s].ntags && !error; t++)
			error = add_unique(&tags, &ntags, &tcap, policy->slices[s].tags[t]);
	for (size_t r = 0; r < p->nrules && !error; r++) {
		const struct rlp_rule *rule = &p->rules[r];
		const struct rlp_health *h = &policy->health;
		if (rule->kind == RLP_RULE_SHADOW_COMPARE)
			continue; /* decided on shadow traffic: its metric names the score */
		if (rule->source == RLP_METRIC_RECORD) {
			error = add_unique(&metrics, &nmetrics, &mcap, rule->metric);
		} else if (gate_is_alignment_tax(rule)) {
			/* a gate-level difference of two scores, not a record value */
			error = add_unique(&metrics, &nmetrics, &mcap, h->reward);
			if (!error)
				error = add_unique(&metrics, &nmetrics, &mcap, h->human);
		} else if (rule->source == RLP_METRIC_DERIVED) {
			error = add_unique(&metrics, &nmetrics, &mcap, rule->metric);
			if (!error && !strcmp(rule->metric_name, "reward_hack")) {
				error = add_unique(&metrics, &nmetrics, &mcap, h->reward);
				if (!error)
					error = add_unique(&metrics, &nmetrics, &mcap, h->verifier);
				if (!error && !hack && !(hack = calloc(1, sizeof(*hack))))
					error = rlp_error_set(RLP_ENOMEM, "out of memory");
				if (!error)
					*hack = (struct rlp_results_hack){h->reward, h->verifier,
									   h->hack_threshold,
									   h->verifier_pass};
			}
		}
	}
	if (error) {
		free(tags);
		free(metrics);
		free(hack);
		return error;
	}
	spec->hack = hack;
	spec->tags = tags;
	spec->ntags = ntags;
	spec->metrics = metrics;
	spec->nmetrics = nmetrics;
	return 0;
}

void rlp_gate_spec_free(struct rlp_results_spec *spec)
{
	if (!spec)
		return;
	free((void *)spec->tags);
	free((void *)spec->metrics);
	free((void *)spec->hack);
	memset(spec, 0, sizeof(*spec));
}

bool gate_is_alignment_tax(const struct rlp_rule *rule)
{
	return rule->source == RLP_METRIC_DERIVED && !strcmp(rule->metric_name, "alignment_tax");
}

long gate_metric_index(const struct gate_ctx *ctx, const char *metric)
{
	const struct rlp_results_spec *spec = ctx->in->spec;

	for (size_t i = 0; i < spec->nmetrics; i++)
		if (!strcmp(spec->metrics[i], metric))
			return (long)i;
	return -1;
}

/* ---- slice membership ---- */

static long tag_index(const struct rlp_results_spec *spec, const char *tag)
{
	for (size_t i = 0; i < spec->ntags; i++)
		if (!strcmp(spec->tags[i], tag))
			return (long)i;
	return -1;
}

static int members_of_slice(struct gate_members *m, const struct rlp_results *r,
			    const struct rlp_results_spec *spec, const struct rlp_slice *slice)
{
	size_t count = rlp_results_count(r), cap = 0;
	long tagidx[64];
	size_t ntag = 0;

	memset(m, 0, sizeof(*m));
	for (size_t t = 0; t < slice->ntags && ntag < 64; t++) {
		long ti = tag_index(spec, slice->tags[t]);
		if (ti >= 0)
			tagidx[ntag++] = ti;
	}
	for (size_t i = 0; i < count; i++) {
		bool in = false;
		for (size_t t = 0; t < ntag && !in; t++)
			in = rlp_results_has_tag(r, i, (size_t)tagidx[t]);
		if (!in)
			continue;
		if (m->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			uint32_t *grown = realloc(m->idx, ncap * sizeof(*grown));
			if (!grown)
				return rlp_error_set(RLP_ENOMEM, "out of memory");
			m->idx = grown;
			cap = ncap;
		}
		m->idx[m->n++] = (uint32_t)i;
	}
	return 0;
}

static int members_all(struct gate_members *m, const struct rlp_results *r)
{
	m->n = rlp_results_count(r);
	m->idx = malloc((m->n ? m->n : 1) * sizeof(*m->idx));
	if (!m->idx)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->n; i++)
		m->idx[i] = (uint32_t)i;
	return 0;
}

/* ---- samples and intervals ---- */

int gate_sample_collect(struct gate_sample *s, const struct rlp_results *r,
			const struct gate_members *members, long metric)
{
	bool clustered = rlp_results_nclusters(r) > 0;
	size_t nclusters = rlp_results_nclusters(r);
	unsigned char *seen = NULL;

	memset(s, 0, sizeof(*s));
	s->binary = true;
	s->x = malloc((members->n ? members->n : 1) * sizeof(*s->x));
	if (clustered) {
		s->cluster = malloc((members->n ? members->n : 1) * sizeof(*s->cluster));
		seen = calloc(nclusters + 1, 1);
	}
	if (!s->x || (clustered && (!s->cluster || !seen))) {
		free(seen);
		gate_sample_free(s);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < members->n; k++) {
		size_t i = members->idx[k];
		double v;
		if (metric < 0 || !rlp_results_value(r, i, (size_t)metric, &v))
			continue;
		if (v != 0.0 && v != 1.0)
			s->binary = false;
		if (clustered) {
			int c = rlp_results_cluster(r, i);
			/* An id without a cluster is a cluster of its own. */
			if (c < 0) {
				c = (int)(nclusters + s->n);
				s->nclusters++;
			} else if (!seen[c]) {
				seen[c] = 1;
				s->nclusters++;
			}
			s->cluster[s->n] = c;
		}
		s->x[s->n++] = v;
	}
	free(seen);
	return 0;
}

void gate_sample_free(struct gate_sample *s)
{
	free(s->x);
	free(s->cluster);
	memset(s, 0, sizeof(*s));
}

static size_t cluster_span(const struct gate_sample *s)
{
	int max = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->cluster[i] > max)
			max = s->cluster[i];
	return (size_t)max + 1;
}

/* Standard error of the sample mean: clustered when the results carry
 * clusters (NaN with fewer than 2), else sd/sqrt(n). */
static double sample_se(const struct gate_sample *s, struct rlp_moments *mom)
{
	*mom = rlp_moments(s->x, s->n);
	if (s->cluster)
		return s->nclusters < 2 ? NAN
					: rlp_clustered_se(s->x, s->cluster, s->n, cluster_span(s));
	return mom->se;
}

int gate_mean_interval(struct rlp_figures *fig, const char **method, const struct gate_sample *s,
		       double confidence, int sided)
{
	double z = rlp_z_for(confidence, (enum rlp_sided)sided);
	struct rlp_moments mom;
	double se;

	fig->n = (long)s->n;
	if (s->binary && !s->cluster) {
		long k = 0;
		for (size_t i = 0; i < s->n; i++)
			k += s->x[i] == 1.0;
		struct rlp_interval iv = rlp_wilson(k, (long)s->n, confidence, (enum rlp_sided)sided);
		fig->estimate = s->n ? (double)k / (double)s->n : NAN;
		fig->lower = iv.lower;
		fig->upper = iv.upper;
		*method = "wilson";
		return 0;
	}
	se = sample_se(s, &mom);
	fig->estimate = mom.mean;
	if (s->cluster && s->nclusters < 2) {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "%zu cluster%s: clustered interval needs at least 2", s->nclusters,
			    s->nclusters == 1 ? "" : "s");
		return 1;
	}
	if (s->n < 2 || !isfinite(se)) {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "n=%zu is too small for an interval", s->n);
		return 1;
	}
	fig->lower = mom.mean - z * se;
	fig->upper = mom.mean + z * se;
	*method = s->cluster ? "mean-clustered-se" : "mean-se";
	return 0;
}

/* ---- candidate versus baseline ---- */

static int collect_pairs(struct gate_sample *c, struct gate_sample *b, const struct gate_ctx *ctx,
			 const struct gate_unit *unit, long metric, size_t *cand_with_value)
{
	const struct rlp_results *cr = ctx->in->candidate, *br = ctx->in->baseline;
	size_t n = unit->cand->n;

	memset(c, 0, sizeof(*c));
	memset(b, 0, sizeof(*b));
	c->x = malloc((n ? n : 1) * sizeof(double));
	b->x = malloc((n ? n : 1) * sizeof(double));
	if (rlp_results_nclusters(cr) > 0)
		c->cluster = malloc((n ? n : 1) * sizeof(int));
	if (!c->x || !b->x || (rlp_results_nclusters(cr) > 0 && !c->cluster)) {
		gate_sample_free(c);
		gate_sample_free(b);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	c->binary = b->binary = true;
	*cand_with_value = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = unit->cand->idx[k];
		double vc, vb;
		long j;
		if (!rlp_results_value(cr, i, (size_t)metric, &vc))
			continue;
		(*cand_with_value)++;
		j = ctx->base_of[i];
		if (j < 0 || !rlp_results_value(br, (size_t)j, (size_t)metric, &vb))
			continue;
		c->binary &= vc == 0.0 || vc == 1.0;
		b->binary &= vb == 0.0 || vb == 1.0;
		if (c->cluster) {
			int cl = rlp_results_cluster(cr, i);
			c->cluster[c->n] = cl >= 0 ? cl : (int)(rlp_results_nclusters(cr) + c->n);
		}
		c->x[c->n++] = vc;
		b->x[b->n++] = vb;
	}
	if (c->cluster) {
		/* count distinct clusters among the pairs */
		size_t span = cluster_span(c);
		unsigned char *seen = calloc(span, 1);
		if (!seen) {
			gate_sample_free(c);
			gate_sample_free(b);
			return rlp_error_set(RLP_ENOMEM, "out of memory");
		}
		for (size_t k = 0; k < c->n; k++)
			if (!seen[c->cluster[k]]++)
				c->nclusters++;
		free(seen);
	}
	return 0;
}

static double mean_of(const double *x, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return n ? sum / (double)n : NAN;
}

static int paired_difference(struct gate_diff *d, struct rlp_figures *fig,
			      const struct gate_sample *c, const struct gate_sample *b,
			      const struct rlp_rule *rule)
{
	enum rlp_sided sided = (enum rlp_sided)rule->sided;

	d->paired = true;
	d->binary = c->binary && b->binary;
	d->n = d->n_base = (long)c->n;
	d->cand = mean_of(c->x, c->n);
	d->base = mean_of(b->x, b->n);
	if (d->binary) {
		for (size_t i = 0; i < c->n; i++) {
			d->b += c->x[i] > b->x[i];
			d->c += c->x[i] < b->x[i];
		}
	}
	/* Agresti-Min assumes independent pairs; clustered data takes the
	 * mean difference with a clustered standard error instead. */
	if (d->binary && !c->cluster) {
		d->iv = rlp_agresti_min(d->b, d->c, d->n, rule->confidence, sided);
		d->iv.estimate = d->cand - d->base;
		d->se = sqrt((double)(d->b + d->c) / (double)d->n -
			     pow((double)(d->b - d->c) / (double)d->n, 2)) / sqrt((double)d->n);
		d->method = "agresti-min";
		return 0;
	}
	double *diff = malloc(c->n * sizeof(*diff));
	if (!diff)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n; i++)
		diff[i] = c->x[i] - b->x[i];
	struct gate_sample ds = {.x = diff, .cluster = c->cluster, .n = c->n,
				 .nclusters = c->nclusters};
	struct rlp_moments mom;
	d->se = sample_se(&ds, &mom);
	free(diff);
	double z = rlp_z_for(rule->confidence, sided);
	d->iv.estimate = mom.mean;
	d->iv.lower = mom.mean - z * d->se;
	d->iv.upper = mom.mean + z * d->se;
	d->method = c->cluster ? "paired-mean-clustered-se" : "paired-mean-se";
	if (!isfinite(d->se)) {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, c->cluster ? "fewer than 2 clusters among %ld pairs"
					    : "n=%ld pairs is too small for an interval",
			    d->n);
	}
	return 0;
}

static void unpaired_difference(struct gate_diff *d, struct rlp_figures *fig,
				const struct gate_sample *c, const struct gate_sample *b,
				const struct rlp_rule *rule)
{
	enum rlp_sided sided = (enum rlp_sided)rule->sided;

	d->paired = false;
	d->binary = c->binary && b->binary;
	d->n = (long)c->n;
	d->n_base = (long)b->n;
	d->cand = mean_of(c->x, c->n);
	d->base = mean_of(b->x, b->n);
	if (d->binary && !c->cluster && !b->cluster) {
		long k1 = 0, k2 = 0;
		for (size_t i = 0; i < c->n; i++)
			k1 += c->x[i] == 1.0;
		for (size_t i = 0; i < b->n; i++)
			k2 += b->x[i] == 1.0;
		d->iv = rlp_newcombe(k1, d->n, k2, d->n_base, rule->confidence, sided);
		d->iv.estimate = d->cand - d->base;
		d->se = sqrt(d->cand * (1 - d->cand) / (double)d->n +
			     d->base * (1 - d->base) / (double)d->n_base);
		d->method = "newcombe";
		return;
	}
	struct rlp_moments mc, mb;
	double se_c = sample_se(c, &mc), se_b = sample_se(b, &mb);
	double z = rlp_z_for(rule->confidence, sided);
	d->se = sqrt(se_c * se_c + se_b * se_b);
	d->iv.estimate = mc.mean - mb.mean;
	d->iv.lower = d->iv.estimate - z * d->se;
	d->iv.upper = d->iv.estimate + z * d->se;
	d->method = c->cluster || b->cluster ? "welch-clustered-se" : "welch-normal";
	if (c->n < 2 || b->n < 2 || !isfinite(d->se)) {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "n=%ld vs %ld is too small for an interval", d->n, d->n_base);
	}
}

/* The smallest n a comparison needs before its interval is worth reading. */
#define GATE_DEFAULT_MIN_N 10

int gate_compare(struct gate_diff *d, struct rlp_figures *fig, const struct gate_ctx *ctx,
		 const struct rlp_rule *rule, const struct gate_unit *unit, long metric)
{
	struct gate_sample pc, pb, uc, ub;
	size_t cand_with_value = 0;
	long min_n = rule->min_n >= 0 ? rule->min_n : GATE_DEFAULT_MIN_N;
	bool paired;
	int error;

	memset(d, 0, sizeof(*d));
	if ((error = collect_pairs(&pc, &pb, ctx, unit, metric, &cand_with_value)) < 0)
		return error;
	if (rule->pairing == RLP_PAIRING_PAIRED)
		paired = true;
	else if (rule->pairing == RLP_PAIRING_UNPAIRED)
		paired = false;
	else /* auto: pair when (nearly) every candidate example has its baseline twin */
		paired = pc.n > 0 && (double)pc.n >= 0.9 * (double)cand_with_value;

	if (paired) {
		if (pc.n == 0) {
			fig->verdict = RLP_ERROR_VERDICT;
			gate_reason(fig, "no candidate id pairs with the baseline");
		} else if ((long)pc.n < min_n) {
			fig->verdict = RLP_INCONCLUSIVE;
			gate_reason(fig, "n=%zu pairs < %ld", pc.n, min_n);
			d->n = d->n_base = (long)pc.n;
		} else {
			error = paired_difference(d, fig, &pc, &pb, rule);
		}
		gate_sample_free(&pc);
		gate_sample_free(&pb);
		return error;
	}
	gate_sample_free(&pc);
	gate_sample_free(&pb);
	if ((error = gate_sample_collect(&uc, ctx->in->candidate, unit->cand, metric)) < 0)
		return error;
	if ((error = gate_sample_collect(&ub, ctx->in->baseline, unit->base, metric)) < 0) {
		gate_sample_free(&uc);
		return error;
	}
	if ((long)uc.n < min_n || (long)ub.n < min_n) {
		fig->verdict = RLP_INCONCLUSIVE;
		gate_reason(fig, "n=%zu vs %zu < %ld", uc.n, ub.n, min_n);
		d->n = (long)uc.n;
		d->n_base = (long)ub.n;
	} else {
		unpaired_difference(d, fig, &uc, &ub, rule);
	}
	gate_sample_free(&uc);
	gate_sample_free(&ub);
	return 0;
}

const struct rlp_run_metric *gate_run_metric(const struct gate_ctx *ctx, const char *name)
{
	const struct rlp_run_metrics *run = ctx->in->run;

	for (size_t i = 0; run && i < run->count; i++)
		if (!strcmp(run->items[i].name, name))
			return &run->items[i];
	return NULL;
}

/* ---- the whole gate ---- */

static void ctx_free(struct gate_ctx *ctx, size_t nslices)
{
	free(ctx->cand_all.idx);
	free(ctx->base_all.idx);
	for (size_t s = 0; ctx->cand_slice && s < nslices; s++)
		free(ctx->cand_slice[s].idx);
	for (size_t s = 0; ctx->base_slice && s < nslices; s++)
		free(ctx->base_slice[s].idx);
	free(ctx->cand_slice);
	free(ctx->base_slice);
	free(ctx->base_of);
}

static int ctx_init(struct gate_ctx *ctx, const struct rlp_gate_input *in)
{
	const struct rlp_policy *policy = in->policy;
	size_t ns = policy->nslices;
	int error;

	memset(ctx, 0, sizeof(*ctx));
	ctx->in = in;
	ctx->promotion = rlp_policy_promotion(policy, in->to);
	if (!ctx->promotion)
		return rlp_error_set(RLP_ENOTFOUND, "policy has no promotion to '%s'", in->to);
	ctx->cand_slice = calloc(ns ? ns : 1, sizeof(*ctx->cand_slice));
	ctx->base_slice = calloc(ns ? ns : 1, sizeof(*ctx->base_slice));
	if (!ctx->cand_slice || !ctx->base_slice)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	if (rlp_results_count(in->candidate) > INT32_MAX ||
	    (in->baseline && rlp_results_count(in->baseline) > INT32_MAX))
		return rlp_error_set(RLP_EINVALID, "more than %d distinct ids", INT32_MAX);
	if ((error = members_all(&ctx->cand_all, in->candidate)) < 0)
		return error;
	for (size_t s = 0; s < ns; s++)
		if ((error = members_of_slice(&ctx->cand_slice[s], in->candidate, in->spec,
					      &policy->slices[s])) < 0)
			return error;
	if (!in->baseline)
		return 0;
	if ((error = members_all(&ctx->base_all, in->baseline)) < 0)
		return error;
	for (size_t s = 0; s < ns; s++)
		if ((error = members_of_slice(&ctx->base_slice[s], in->baseline, in->spec,
					      &policy->slices[s])) < 0)
			return error;
	size_t n = rlp_results_count(in->candidate);
	ctx->base_of = malloc((n ? n : 1) * sizeof(*ctx->base_of));
	if (!ctx->base_of)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		ctx->base_of[i] = (int32_t)rlp_results_find(in->baseline, rlp_results_id(in->candidate, i));
	return 0;
}

static void decide(struct rlp_gate_result *res)
{
	enum rlp_verdict worst = RLP_PASS;

	res->decided_by = NULL;
	for (size_t i = 0; i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		if (r->rule->critical && r->fig.verdict == RLP_FAIL && !res->decided_by)
			res->decided_by = r;
		if (r->blocking && r->fig.verdict > worst)
			worst = r->fig.verdict;
	}
	if (res->decided_by || worst == RLP_FAIL)
		res->decision = RLP_NOGO;
	else if (worst == RLP_PASS)
		res->decision = RLP_GO;
	else
		res->decision = RLP_HOLD;
}

int rlp_gate_evaluate(struct rlp_gate_result **out, const struct rlp_gate_input *in)
{
	struct rlp_gate_result *res = NULL;
	struct gate_ctx ctx;
	int error;

	*out = NULL;
	if ((error = ctx_init(&ctx, in)) < 0)
		goto done;
	res = calloc(1, sizeof(*res));
	if (!res || !(res->rules = calloc(ctx.promotion->nrules, sizeof(*res->rules)))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	res->to = ctx.promotion->to;
	res->nrules = ctx.promotion->nrules;
	res->candidate_records = rlp_results_records(in->candidate);
	res->candidate_ids = rlp_results_count(in->candidate);
	if (in->baseline) {
		res->baseline_records = rlp_results_records(in->baseline);
		res->baseline_ids = rlp_results_count(in->baseline);
	}
	for (size_t i = 0; i < res->nrules; i++) {
		struct rlp_rule_result *rr = &res->rules[i];
		rr->rule = &ctx.promotion->rules[i];
		rr->confidence = rr->rule->confidence;
		rr->blocking = rr->rule->severity == RLP_SEVERITY_BLOCK;
		gate_figures_init(&rr->fig);
		if ((error = gate_rule_evaluate(rr, &ctx)) < 0)
			goto done;
	}
	decide(res);
	*out = res;
	res = NULL;
done:
	ctx_free(&ctx, in->policy->nslices);
	rlp_gate_result_free(res);
	return error;
}

void rlp_gate_result_free(struct rlp_gate_result *result)
{
	if (!result)
		return;
	for (size_t i = 0; result->rules && i < result->nrules; i++) {
		free(result->rules[i].slices);
		for (size_t k = 0; k < result->rules[i].nsuspects; k++)
			free(result->rules[i].suspects[k]);
		free(result->rules[i].suspects);
	}
	free(result->rules);
	free(result);
}

/* ---- run-level metrics ---- */

void rlp_run_metrics_init(struct rlp_run_metrics *run)
{
	memset(run, 0, sizeof(*run));
	run->repeats = -1;
	run->repeats_identical = -1;
}

void rlp_run_metrics_clear(struct rlp_run_metrics *run)
{
	if (!run)
		return;
	for (size_t i = 0; i < run->count; i++)
		free(run->items[i].name);
	free(run->items);
	rlp_run_metrics_init(run);
}

int rlp_run_metrics_parse(struct rlp_run_metrics *out, const char *buf, size_t len,
			  const char *name)
{
	struct rlp_json *root;
	size_t off = 0;
	int error = 0;

	rlp_run_metrics_init(out);
	root = rlp_json_parse(buf, len, &off);
	if (!root)
		return rlp_error_set(RLP_EINVALID, "%s: invalid JSON at byte %zu", name, off);
	if (!rlp_json_is_object(root)) {
		error = rlp_error_set(RLP_EINVALID, "%s: expected a JSON object", name);
		goto done;
	}
	out->items = calloc(rlp_json_size(root) + 1, sizeof(*out->items));
	if (!out->items) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	for (struct rlp_json *m = rlp_json_first(root); m; m = rlp_json_next(m)) {
		const char *key = rlp_json_key(m);
		if (!strcmp(key, "repeats")) {
			double v = rlp_json_number(m);
			if (!rlp_json_is_finite_number(m) || v < 0 || v != floor(v) || v > 1e9) {
				error = rlp_error_set(RLP_EINVALID,
						      "%s: 'repeats' must be a non-negative integer", name);
				goto done;
			}
			out->repeats = (long)v;
		} else if (!strcmp(key, "repeats_identical")) {
			if (!rlp_json_is_bool(m)) {
				error = rlp_error_set(RLP_EINVALID,
						      "%s: 'repeats_identical' must be a boolean", name);
				goto done;
			}
			out->repeats_identical = rlp_json_is_true(m);
		} else if (rlp_json_is_number(m)) {
			if (!rlp_json_is_finite_number(m)) {
				error = rlp_error_set(RLP_EINVALID, "%s: '%s' is not a finite number",
						      name, key);
				goto done;
			}
			for (size_t i = 0; i < out->count; i++)
				if (!strcmp(out->items[i].name, key)) {
					error = rlp_error_set(RLP_EINVALID, "%s: duplicate key '%s'", name,
							      key);
					goto done;
				}
			if (!(out->items[out->count].name = strdup(key))) {
				error = rlp_error_set(RLP_ENOMEM, "out of memory");
				goto done;
			}
			out->items[out->count++].value = rlp_json_number(m);
		}
		/* other members (strings, objects) describe the run; the gate ignores them */
	}
done:
	rlp_json_free(root);
	if (error)
		rlp_run_metrics_clear(out);
	return error;
}
