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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct emitter {
	yaml_emitter_t y;
	char *buf;
	size_t len, cap;
	bool failed; /* sticky: later calls do nothing */
	bool nomem;
};

static int write_out(void *data, unsigned char *bytes, size_t size)
{
	struct emitter *e = data;

	if (e->len + size + 1 > e->cap) {
		size_t cap = e->cap ? e->cap : 4096;
		char *grown;
		while (cap < e->len + size + 1)
			cap *= 2;
		grown = realloc(e->buf, cap);
		if (!grown) {
			e->nomem = true;
			return 0;
		}
		e->buf = grown;
		e->cap = cap;
	}
	memcpy(e->buf + e->len, bytes, size);
	e->len += size;
	e->buf[e->len] = '\0';
	return 1;
}

/* `initialized` is the result of a yaml_*_event_initialize() call. */
static void emit(struct emitter *e, yaml_event_t *ev, int initialized)
{
	if (!initialized) {
		e->failed = e->nomem = true;
		return;
	}
	if (!yaml_emitter_emit(&e->y, ev))
		e->failed = true;
}

static void scalar(struct emitter *e, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (e->failed)
		return;
	emit(e, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)text,
						  (int)strlen(text), 1, 1, style));
}

/* Quote what another YAML reader could take for a number, bool or null;
 * our parser reads plain and quoted strings alike. */
static void string(struct emitter *e, const char *text)
{
	static const char *const special[] = {"", "~", "null", "true", "false", "yes", "no",
					      "on", "off", "y", "n"};
	bool quote = strchr("0123456789+-.", text[0]) != NULL; /* also "" */

	for (size_t i = 0; !quote && i < sizeof(special) / sizeof(special[0]); i++)
		quote = !strcasecmp(text, special[i]);
	scalar(e, text, quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

/* The shortest text that reads back as the same double. */
static void number(struct emitter *e, double x)
{
	char buf[40];

	for (int precision = 15; precision <= 17; precision++) {
		snprintf(buf, sizeof(buf), "%.*g", precision, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void count(struct emitter *e, long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void duration(struct emitter *e, double seconds)
{
	static const char units[] = "dhms";
	static const long size[] = {86400, 3600, 60, 1};
	char buf[64];
	size_t len = 0;
	long left;

	if (seconds != floor(seconds) || seconds > 1e12) {
		number(e, seconds);
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
	scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void mapping_start(struct emitter *e, bool flow)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void mapping_end(struct emitter *e)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void string_list(struct emitter *e, char *const *items, size_t n)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
								  YAML_FLOW_SEQUENCE_STYLE));
	for (size_t i = 0; i < n; i++)
		string(e, items[i]);
	if (!e->failed)
		emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void key(struct emitter *e, const char *name)
{
	scalar(e, name, YAML_PLAIN_SCALAR_STYLE);
}

static void key_string(struct emitter *e, const char *name, const char *value)
{
	if (!value)
		return;
	key(e, name);
	string(e, value);
}

static void key_number(struct emitter *e, const char *name, double value)
{
	if (isnan(value))
		return;
	key(e, name);
	number(e, value);
}

static void key_count(struct emitter *e, const char *name, long value)
{
	if (value < 0)
		return;
	key(e, name);
	count(e, value);
}

static void key_duration(struct emitter *e, const char *name, double value)
{
	if (isnan(value))
		return;
	key(e, name);
	duration(e, value);
}

static void key_plain(struct emitter *e, const char *name, const char *value)
{
	key(e, name);
	scalar(e, value, YAML_PLAIN_SCALAR_STYLE);
}

static void rule_key(struct emitter *e, const struct rlp_rule *r, enum pol_key k)
{
	const char *name = pol_key_name(k);
	char stat[16];

	switch (k) {
	case POL_K_ID: key_string(e, name, r->id); break;
	case POL_K_KIND: key_plain(e, name, rlp_rule_kind_name(r->kind)); break;
	case POL_K_METRIC: key_string(e, name, r->metric); break;
	case POL_K_SLICES:
		if (r->nslices) {
			key(e, name);
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
		key_plain(e, name, stat);
		break;
	case POL_K_MAX_RATIO: key_number(e, name, r->max_ratio_vs_baseline); break;
	case POL_K_MIN_N: key_count(e, name, r->min_n); break;
	case POL_K_MIN_N_PER_SLICE: key_count(e, name, r->min_n_per_slice); break;
	case POL_K_MIN_CLUSTERS: key_count(e, name, r->min_clusters); break;
	case POL_K_MIN_DURATION: key_duration(e, name, r->min_duration_s); break;
	case POL_K_MAX_DURATION: key_duration(e, name, r->max_duration_s); break;
	case POL_K_NI_MARGIN: key_number(e, name, r->noninferiority_margin); break;
	case POL_K_TUNING_N: key_number(e, name, r->tuning_n); break;
	case POL_K_PAIRING: key_plain(e, name, pol_pairing_names[r->pairing]); break;
	case POL_K_USE: key_plain(e, name, r->use_ci ? "ci" : "value"); break;
	case POL_K_DETECT_REGRESSION:
		key_plain(e, name, r->detect_regression ? "true" : "false");
		break;
	case POL_K_ALPHA: key_number(e, name, r->alpha); break;
	case POL_K_CONFIDENCE: key_number(e, name, r->confidence); break;
	case POL_K_SIDED: key_plain(e, name, r->sided == 2 ? "two" : "one"); break;
	case POL_K_SEVERITY: key_plain(e, name, pol_severity_names[r->severity]); break;
	case POL_K_CRITICAL: key_plain(e, name, r->critical ? "true" : "false"); break;
	case POL_K_ON_MISSING: key_plain(e, name, pol_on_missing_names[r->on_missing]); break;
	case POL_K_COUNT: break;
	}
}

static void promotion(struct emitter *e, const struct rlp_promotion *prom)
{
	yaml_event_t ev;

	key(e, prom->to);
	mapping_start(e, false);
	key_string(e, "from", prom->from);
	key_string(e, "env", prom->env);
	key_string(e, "baseline", prom->baseline);
	if (prom->rollout.stage) {
		key(e, "rollout");
		mapping_start(e, true);
		key_string(e, "stage", prom->rollout.stage);
		key(e, "steps");
		if (!e->failed)
			emit(e, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
									  YAML_FLOW_SEQUENCE_STYLE));
		for (size_t i = 0; i < prom->rollout.nsteps; i++)
			number(e, prom->rollout.steps[i]);
		if (!e->failed)
			emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
		mapping_end(e);
	}
	key(e, "rules");
	if (!e->failed)
		emit(e, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
								  YAML_BLOCK_SEQUENCE_STYLE));
	for (size_t i = 0; i < prom->nrules; i++) {
		mapping_start(e, true);
		for (int k = 0; k < POL_K_COUNT; k++)
			if (pol_key_applies((enum pol_key)k, prom->rules[i].kind))
				rule_key(e, &prom->rules[i], (enum pol_key)k);
		mapping_end(e);
	}
	if (!e->failed)
		emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
	mapping_end(e);
}

static void policy(struct emitter *e, const struct rlp_policy *p)
{
	key(e, "version");
	count(e, p->version);
	key_string(e, "model", p->model);
	key_string(e, "artifact", p->artifact);
	key_string(e, "manifest", p->manifest);
	key_string(e, "allowed_signers", p->allowed_signers);
	key(e, "stages");
	string_list(e, p->stages, p->nstages);

	key(e, "signers");
	mapping_start(e, false);
	key(e, "eval");
	string_list(e, p->signers.eval, p->signers.neval);
	key(e, "promote");
	string_list(e, p->signers.promote, p->signers.npromote);
	key(e, "override");
	string_list(e, p->signers.override, p->signers.noverride);
	mapping_end(e);

	key(e, "slices");
	mapping_start(e, p->nslices == 0);
	for (size_t i = 0; i < p->nslices; i++) {
		key(e, p->slices[i].name);
		mapping_start(e, true);
		key(e, "tags");
		string_list(e, p->slices[i].tags, p->slices[i].ntags);
		mapping_end(e);
	}
	mapping_end(e);

	key(e, "defaults");
	mapping_start(e, true);
	key_number(e, "confidence", p->confidence);
	key_plain(e, "on_missing", pol_on_missing_names[p->on_missing]);
	mapping_end(e);

	if (p->health.loc.line) {
		key(e, "health");
		mapping_start(e, true);
		key_string(e, "reward", p->health.reward);
		key_string(e, "human", p->health.human);
		key_string(e, "verifier", p->health.verifier);
		key_number(e, "hack_threshold", p->health.hack_threshold);
		key_number(e, "verifier_pass", p->health.verifier_pass);
		mapping_end(e);
	}

	if (p->monitor.loc.line) {
		key(e, "monitor");
		mapping_start(e, true);
		key_number(e, "alpha", p->monitor.alpha);
		key_number(e, "max_error_increase", p->monitor.max_error_increase);
		key_number(e, "max_latency_ratio", p->monitor.max_latency_ratio);
		key_number(e, "max_action_tv", p->monitor.max_action_tv);
		key_count(e, "min_n", p->monitor.min_n);
		mapping_end(e);
	}

	key(e, "promotions");
	mapping_start(e, false);
	for (size_t i = 0; i < p->npromotions; i++)
		promotion(e, &p->promotions[i]);
	mapping_end(e);
}

int rlp_policy_normalize(char **out, const struct rlp_policy *p)
{
	struct emitter e = {0};
	yaml_event_t ev;
	int err = 0;

	if (!out || !p)
		return rlp_error_set(RLP_ERROR, "rlp_policy_normalize: no policy");
	*out = NULL;
	if (!yaml_emitter_initialize(&e.y))
		return pol_nomem();
	yaml_emitter_set_output(&e.y, write_out, &e);
	yaml_emitter_set_unicode(&e.y, 1);
	yaml_emitter_set_width(&e.y, -1); /* one rule per line, however long */
	emit(&e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	if (!e.failed)
		emit(&e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	mapping_start(&e, false);
	policy(&e, p);
	mapping_end(&e);
	if (!e.failed)
		emit(&e, &ev, yaml_document_end_event_initialize(&ev, 1));
	if (!e.failed)
		emit(&e, &ev, yaml_stream_end_event_initialize(&ev));
	if (e.nomem)
		err = pol_nomem();
	else if (e.failed)
		err = rlp_error_set(RLP_ERROR, "cannot write the normalized policy: %s",
				    e.y.problem ? e.y.problem : "emitter error");
	yaml_emitter_delete(&e.y);
	if (err < 0) {
		free(e.buf);
		return err;
	}
	*out = e.buf;
	return 0;
}
