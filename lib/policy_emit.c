/*
 * The normalized policy, written with libyaml's emitter. Fixed key order:
 *
 *   version, model, artifact, manifest, allowed_signers, stages,
 *   signers {eval, promote, override}, slices {<name>: {tags}},
 *   defaults {confidence, on_missing},
 *   health {reward, human, verifier, hack_threshold, verifier_pass} (when present),
 *   monitor {alpha, max_error_increase, max_latency_ratio, max_action_tv, min_n}
 *   (when present),
 *   promotions {<to>: {from, env, baseline, rollout {stage, steps}, rules}}
 *
 * and within a rule the order of enum pol_key (id, kind, metric, slices, ...,
 * confidence, sided, severity, critical, on_missing). Every key a rule's kind
 * takes is written with its default filled in; unset values are left out;
 * "slice: x" becomes "slices: [x]"; durations are written as "1d2h3m4s".
 * Slices and promotions keep the order of the source. Parsing the output and
 * normalizing again gives the same text.
 */
#include "policy_internal.h"

#include "error.h"
#include "yamlutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

static void count(struct yamlu_emitter *e, long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	yamlu_scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void duration(struct yamlu_emitter *e, double seconds)
{
	static const char units[] = "dhms";
	static const long size[] = {86400, 3600, 60, 1};
	char buf[64];
	size_t len = 0;
	long left;

	if (seconds != floor(seconds) || seconds > 1e12) {
		yamlu_number(e, seconds);
		return;
	}
	left = (long)seconds;
	for (int i = 0; i < 4; i++) {
		if (left >= size[i] || (i == 3 && len == 0)) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%ld%c", left / size[i],
						units[i]);
			left %= size[i];
		}
	}
	yamlu_scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void string_list(struct yamlu_emitter *e, char *const *items, size_t n)
{
	yamlu_sequence_start(e, true);
	for (size_t i = 0; i < n; i++)
		yamlu_string(e, items[i]);
	yamlu_sequence_end(e);
}

/* Unset numbers are NaN and left out. */
static void key_number(struct yamlu_emitter *e, const char *name, double value)
{
	if (!isnan(value))
		yamlu_key_number(e, name, value);
}

static void key_count(struct yamlu_emitter *e, const char *name, long value)
{
	if (value < 0)
		return;
	yamlu_key(e, name);
	count(e, value);
}

static void key_duration(struct yamlu_emitter *e, const char *name, double value)
{
	if (isnan(value))
		return;
	yamlu_key(e, name);
	duration(e, value);
}

static void rule_key(struct yamlu_emitter *e, const struct rlp_rule *r, enum pol_key k)
{
	const char *name = pol_key_name(k);
	char stat[16];

	switch (k) {
	case POL_K_ID: yamlu_key_string(e, name, r->id); break;
	case POL_K_KIND: yamlu_key_plain(e, name, rlp_rule_kind_name(r->kind)); break;
	case POL_K_METRIC: yamlu_key_string(e, name, r->metric); break;
	case POL_K_SLICES:
		if (r->nslices) {
			yamlu_key(e, name);
			string_list(e, r->slices, r->nslices);
		}
		break;
	case POL_K_SLICE: break; /* written as slices */
	case POL_K_MIN: key_number(e, name, r->min); break;
	case POL_K_MAX: key_number(e, name, r->max); break;
	case POL_K_MARGIN: key_number(e, name, r->margin); break;
	case POL_K_MIN_IMPROVEMENT: key_number(e, name, r->min_improvement); break;
	case POL_K_MAX_RATE: key_number(e, name, r->max_rate); break;
	case POL_K_MAX_COUNT: key_count(e, name, r->max_count); break;
	case POL_K_STAT:
		if (isnan(r->quantile))
			snprintf(stat, sizeof(stat), "mean");
		else
			snprintf(stat, sizeof(stat), "p%.4g", r->quantile * 100);
		yamlu_key_plain(e, name, stat);
		break;
	case POL_K_MAX_RATIO: key_number(e, name, r->max_ratio_vs_baseline); break;
	case POL_K_MIN_N: key_count(e, name, r->min_n); break;
	case POL_K_MIN_N_PER_SLICE: key_count(e, name, r->min_n_per_slice); break;
	case POL_K_MIN_CLUSTERS: key_count(e, name, r->min_clusters); break;
	case POL_K_MIN_DURATION: key_duration(e, name, r->min_duration_s); break;
	case POL_K_MAX_DURATION: key_duration(e, name, r->max_duration_s); break;
	case POL_K_NI_MARGIN: key_number(e, name, r->noninferiority_margin); break;
	case POL_K_TUNING_N: key_number(e, name, r->tuning_n); break;
	case POL_K_PAIRING: yamlu_key_plain(e, name, pol_pairing_names[r->pairing]); break;
	case POL_K_USE: yamlu_key_plain(e, name, r->use_ci ? "ci" : "value"); break;
	case POL_K_DETECT_REGRESSION:
		yamlu_key_plain(e, name, r->detect_regression ? "true" : "false");
		break;
	case POL_K_ALPHA: key_number(e, name, r->alpha); break;
	case POL_K_CONFIDENCE: key_number(e, name, r->confidence); break;
	case POL_K_SIDED: yamlu_key_plain(e, name, r->sided == 2 ? "two" : "one"); break;
	case POL_K_SEVERITY: yamlu_key_plain(e, name, pol_severity_names[r->severity]); break;
	case POL_K_CRITICAL: yamlu_key_plain(e, name, r->critical ? "true" : "false"); break;
	case POL_K_ON_MISSING: yamlu_key_plain(e, name, pol_on_missing_names[r->on_missing]); break;
	case POL_K_COUNT: break;
	}
}

static void promotion(struct yamlu_emitter *e, const struct rlp_promotion *prom)
{
	yamlu_key(e, prom->to);
	yamlu_mapping_start(e, false);
	yamlu_key_string(e, "from", prom->from);
	yamlu_key_string(e, "env", prom->env);
	yamlu_key_string(e, "baseline", prom->baseline);
	if (prom->rollout.stage) {
		yamlu_key(e, "rollout");
		yamlu_mapping_start(e, true);
		yamlu_key_string(e, "stage", prom->rollout.stage);
		yamlu_key(e, "steps");
		yamlu_sequence_start(e, true);
		for (size_t i = 0; i < prom->rollout.nsteps; i++)
			yamlu_number(e, prom->rollout.steps[i]);
		yamlu_sequence_end(e);
		yamlu_mapping_end(e);
	}
	yamlu_key(e, "rules");
	yamlu_sequence_start(e, false);
	for (size_t i = 0; i < prom->nrules; i++) {
		yamlu_mapping_start(e, true);
		for (int k = 0; k < POL_K_COUNT; k++)
			if (pol_key_applies((enum pol_key)k, prom->rules[i].kind))
				rule_key(e, &prom->rules[i], (enum pol_key)k);
		yamlu_mapping_end(e);
	}
	yamlu_sequence_end(e);
	yamlu_mapping_end(e);
}

static void policy(struct yamlu_emitter *e, const struct rlp_policy *p)
{
	yamlu_key(e, "version");
	count(e, p->version);
	yamlu_key_string(e, "model", p->model);
	yamlu_key_string(e, "artifact", p->artifact);
	yamlu_key_string(e, "manifest", p->manifest);
	yamlu_key_string(e, "allowed_signers", p->allowed_signers);
	yamlu_key(e, "stages");
	string_list(e, p->stages, p->nstages);

	yamlu_key(e, "signers");
	yamlu_mapping_start(e, false);
	yamlu_key(e, "eval");
	string_list(e, p->signers.eval, p->signers.neval);
	yamlu_key(e, "promote");
	string_list(e, p->signers.promote, p->signers.npromote);
	yamlu_key(e, "override");
	string_list(e, p->signers.override, p->signers.noverride);
	yamlu_mapping_end(e);

	yamlu_key(e, "slices");
	yamlu_mapping_start(e, p->nslices == 0);
	for (size_t i = 0; i < p->nslices; i++) {
		yamlu_key(e, p->slices[i].name);
		yamlu_mapping_start(e, true);
		yamlu_key(e, "tags");
		string_list(e, p->slices[i].tags, p->slices[i].ntags);
		yamlu_mapping_end(e);
	}
	yamlu_mapping_end(e);

	yamlu_key(e, "defaults");
	yamlu_mapping_start(e, true);
	key_number(e, "confidence", p->confidence);
	yamlu_key_plain(e, "on_missing", pol_on_missing_names[p->on_missing]);
	yamlu_mapping_end(e);

	if (p->health.loc.line) {
		yamlu_key(e, "health");
		yamlu_mapping_start(e, true);
		yamlu_key_string(e, "reward", p->health.reward);
		yamlu_key_string(e, "human", p->health.human);
		yamlu_key_string(e, "verifier", p->health.verifier);
		key_number(e, "hack_threshold", p->health.hack_threshold);
		key_number(e, "verifier_pass", p->health.verifier_pass);
		yamlu_mapping_end(e);
	}

	if (p->monitor.loc.line) {
		yamlu_key(e, "monitor");
		yamlu_mapping_start(e, true);
		key_number(e, "alpha", p->monitor.alpha);
		key_number(e, "max_error_increase", p->monitor.max_error_increase);
		key_number(e, "max_latency_ratio", p->monitor.max_latency_ratio);
		key_number(e, "max_action_tv", p->monitor.max_action_tv);
		key_count(e, "min_n", p->monitor.min_n);
		yamlu_mapping_end(e);
	}

	yamlu_key(e, "promotions");
	yamlu_mapping_start(e, false);
	for (size_t i = 0; i < p->npromotions; i++)
		promotion(e, &p->promotions[i]);
	yamlu_mapping_end(e);
}

int rlp_policy_normalize(char **out, const struct rlp_policy *p)
{
	struct yamlu_emitter e;
	int err = 0;

	if (!out || !p)
		return rlp_error_set(RLP_ERROR, "rlp_policy_normalize: no policy");
	*out = NULL;
	if (yamlu_emitter_begin(&e, SIZE_MAX) < 0) /* no cap but memory */
		return pol_nomem();
	yamlu_mapping_start(&e, false);
	policy(&e, p);
	yamlu_mapping_end(&e);
	yamlu_emitter_end(&e);
	if (e.bad_event || e.out.failed)
		err = pol_nomem();
	else if (e.failed)
		err = rlp_error_set(RLP_ERROR, "cannot write the normalized policy: %s",
				    e.y.problem ? e.y.problem : "emitter error");
	yaml_emitter_delete(&e.y);
	if (err == 0)
		err = rlp_buf_detach(out, &e.out);
	rlp_buf_free(&e.out);
	return err;
}
