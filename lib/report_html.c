/* The HTML report: a view of the gate result with display strings and
 * SVG charts (lib/report_svg.c) rendered through templates/report.html.
 * The view names every key its sections use on every item, so a missing
 * key never falls through to an outer one of the same name. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "report_svg.h"
#include "template.h"

static const char *const verdict_class[] = {"pass", "inconclusive", "error", "fail"};
static const char *const verdict_color[] = {"#1a7f37", "#9a6700", "#8250df", "#cf222e"};
static const char *const outcome_class[] = {"go", "nogo", "hold"};

/* ---- display strings ---- */

static const char *num(char *buf, size_t size, double v)
{
	snprintf(buf, size, isnan(v) ? "—" : "%.4g", v);
	return buf;
}

static const char *signed_num(char *buf, size_t size, double v)
{
	snprintf(buf, size, isnan(v) ? "—" : "%+.4g", v);
	return buf;
}

static bool is_difference(const struct rlp_figures *f)
{
	return !isnan(f->delta) && !isnan(f->baseline) && !isnan(f->lower);
}

static const char *interval(char *buf, size_t size, const struct rlp_figures *f)
{
	if (isnan(f->lower) && isnan(f->upper))
		snprintf(buf, size, "—");
	else if (is_difference(f))
		snprintf(buf, size, "[%+.4g, %+.4g]", f->lower, f->upper);
	else
		snprintf(buf, size, "[%.4g, %.4g]", f->lower, f->upper);
	return buf;
}

static void verdict_view(struct rlp_json *o, enum rlp_verdict v)
{
	rlp_json_add_string(o, "verdict", rlp_verdict_name(v));
	rlp_json_add_string(o, "vclass", verdict_class[v]);
}

static void figures_view(struct rlp_json *o, const struct rlp_figures *f)
{
	char b[96];

	verdict_view(o, f->verdict);
	rlp_json_add_string(o, "estimate", num(b, sizeof(b), f->estimate));
	rlp_json_add_string(o, "interval", interval(b, sizeof(b), f));
	rlp_json_add_string(o, "threshold", num(b, sizeof(b), f->threshold));
	rlp_json_add_string(o, "baseline", num(b, sizeof(b), f->baseline));
	rlp_json_add_string(o, "delta", signed_num(b, sizeof(b), f->delta));
	rlp_json_add_bool(o, "compared", !isnan(f->baseline));
	rlp_json_add_number(o, "n", (double)f->n);
	rlp_json_add_string(o, "reason", f->reason);
}

static const char *confidence_text(char *buf, size_t size, const struct rlp_rule_result *r)
{
	snprintf(buf, size, "%.4g%% %s", r->confidence * 100,
		 r->rule->sided == 2 ? "two-sided" : "one-sided");
	return buf;
}

/* ---- charts: one forest plot per metric, one panel per rule ---- */

struct panel_store {
	struct rlp_forest_row *rows;
	char (*text)[96];
	char (*tooltip)[320];
	char title[160], axis[160], ref_label[4][64];
};

static bool is_difference_rule(const struct rlp_rule *rule)
{
	return rule->kind == RLP_RULE_SLICE_NONINFERIORITY || rule->kind == RLP_RULE_SUPERIORITY;
}

static bool chartable(const struct rlp_rule_result *r)
{
	return r->rule->metric && r->rule->kind != RLP_RULE_MIN_SAMPLES &&
	       r->rule->kind != RLP_RULE_REPRODUCIBLE;
}

/* A reference line at `at` labelled "<name> <shown>"; the zero line goes
 * unlabelled (name NULL: its tick says 0). */
static void add_ref(struct rlp_forest_panel *p, struct panel_store *st, double at, bool threshold,
		    const char *name, double shown)
{
	size_t i = p->nrefs;

	if (isnan(at) || i >= 4)
		return;
	if (name)
		snprintf(st->ref_label[i], sizeof(st->ref_label[i]), "%s %.4g", name, shown);
	p->refs[i] = (struct rlp_forest_ref){at, name ? st->ref_label[i] : NULL, threshold};
	p->nrefs = i + 1;
}

/* The threshold lines the rule's kind tests against. */
static void rule_refs(struct rlp_forest_panel *p, struct panel_store *st,
		      const struct rlp_rule_result *r)
{
	const struct rlp_rule *rule = r->rule;

	switch (rule->kind) {
	case RLP_RULE_SLICE_NONINFERIORITY:
		if (rule->margin != 0)
			add_ref(p, st, 0, false, NULL, 0);
		add_ref(p, st, 0.0 - rule->margin, true, "−margin", rule->margin);
		break;
	case RLP_RULE_SUPERIORITY:
		add_ref(p, st, 0, false, NULL, 0);
		add_ref(p, st, rule->min_improvement, true, "min improvement",
			rule->min_improvement);
		break;
	case RLP_RULE_AGGREGATE_THRESHOLD:
	case RLP_RULE_LOWER_BOUND_ABOVE:
	case RLP_RULE_RANGE:
		add_ref(p, st, rule->min, true, "min", rule->min);
		add_ref(p, st, rule->max, true, "max", rule->max);
		break;
	case RLP_RULE_RATE_CAP:
		add_ref(p, st, rule->max_rate, true, "max rate", rule->max_rate);
		break;
	case RLP_RULE_BUDGET:
		add_ref(p, st, rule->max, true, "max", rule->max);
		if (!isnan(r->fig.baseline))
			add_ref(p, st, r->fig.baseline * rule->max_ratio_vs_baseline, true,
				"baseline ×", rule->max_ratio_vs_baseline);
		break;
	default:
		add_ref(p, st, r->fig.threshold, true, "threshold", r->fig.threshold);
	}
}

static void fill_row(struct rlp_forest_row *row, char *text, char *tooltip, const char *label,
		     const struct rlp_figures *f, bool difference)
{
	row->label = label;
	row->color = verdict_color[f->verdict];
	row->note = f->reason;
	row->tooltip = tooltip;
	row->text = text;
	if (difference) {
		row->est = f->delta;
		row->cand = f->estimate;
		row->base = f->baseline;
		if (isnan(f->delta))
			snprintf(text, 96, "%s", rlp_verdict_name(f->verdict));
		else
			snprintf(text, 96, "Δ %+.3g [%+.3g, %+.3g]", f->delta, f->lower, f->upper);
	} else {
		row->est = f->estimate;
		row->cand = NAN;
		row->base = f->baseline;
		if (isnan(f->estimate))
			snprintf(text, 96, "%s", rlp_verdict_name(f->verdict));
		else if (isnan(f->lower) || isnan(f->upper))
			snprintf(text, 96, "%.4g", f->estimate);
		else
			snprintf(text, 96, "%.4g [%.3g, %.3g]", f->estimate, f->lower, f->upper);
	}
	row->lo = f->lower;
	row->hi = f->upper;
	snprintf(tooltip, 320, "%s: %s, %s (n=%ld)", label, rlp_verdict_name(f->verdict), f->reason,
		 f->n);
}

static int build_panel(struct rlp_forest_panel *p, struct panel_store *st,
		       const struct rlp_rule_result *r)
{
	size_t n = r->nslices ? r->nslices : 1;
	bool diff = is_difference_rule(r->rule);
	char conf[48];

	memset(p, 0, sizeof(*p));
	st->rows = calloc(n, sizeof(*st->rows));
	st->text = calloc(n, sizeof(*st->text));
	st->tooltip = calloc(n, sizeof(*st->tooltip));
	if (!st->rows || !st->text || !st->tooltip)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct rlp_figures *f = r->nslices ? &r->slices[i].fig : &r->fig;
		fill_row(&st->rows[i], st->text[i], st->tooltip[i],
			 r->nslices ? r->slices[i].slice : "all", f, diff);
	}
	snprintf(st->title, sizeof(st->title), "%s · %s%s%s", r->rule->id,
		 rlp_rule_kind_name(r->rule->kind), r->blocking ? "" : " (warn)",
		 r->rule->critical ? " (critical)" : "");
	bool intervals = false;
	for (size_t i = 0; i < n; i++)
		intervals |= !isnan(st->rows[i].lo);
	confidence_text(conf, sizeof(conf), r);
	snprintf(st->axis, sizeof(st->axis), "%s%s%s%s (%s)",
		 diff ? "Δ candidate − baseline" : r->rule->metric, intervals ? ", " : "",
		 intervals ? conf : "", intervals ? " interval" : "",
		 r->method ? r->method : "not computed");
	p->title = st->title;
	p->axis = st->axis;
	p->difference = diff;
	p->rows = st->rows;
	p->nrows = n;
	rule_refs(p, st, r);
	return 0;
}

static void panel_store_free(struct panel_store *st)
{
	free(st->rows);
	free(st->text);
	free(st->tooltip);
}

/* The SVG of every rule on `metric`. */
static int metric_chart(char **out, const struct rlp_gate_result *res, const char *metric)
{
	struct rlp_forest_panel *panels = calloc(res->nrules, sizeof(*panels));
	struct panel_store *stores = calloc(res->nrules, sizeof(*stores));
	struct rlp_buf b = RLP_BUF_INIT;
	size_t n = 0;
	int error = 0;
	char label[256];

	if (!panels || !stores) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < res->nrules && !error; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		if (!chartable(r) || strcmp(r->rule->metric, metric))
			continue;
		error = build_panel(&panels[n], &stores[n], r);
		n++; /* freed below even when half built */
	}
	if (error)
		goto done;
	snprintf(label, sizeof(label), "Forest plot of %s by slice", metric);
	rlp_svg_forest(&b, label, panels, n);
	error = rlp_buf_detach(out, &b);
done:
	for (size_t i = 0; stores && i < n; i++)
		panel_store_free(&stores[i]);
	free(stores);
	free(panels);
	rlp_buf_free(&b);
	return error;
}

static int charts_view(struct rlp_json *v, const struct rlp_gate_result *res)
{
	struct rlp_json *charts = rlp_json_add_array(v, "charts");
	int error = 0;

	for (size_t i = 0; i < res->nrules && !error; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		bool first = chartable(r);
		for (size_t j = 0; j < i && first; j++)
			first = !chartable(&res->rules[j]) ||
				strcmp(res->rules[j].rule->metric, r->rule->metric);
		if (!first)
			continue;
		char *svg = NULL;
		if ((error = metric_chart(&svg, res, r->rule->metric)) < 0)
			break;
		struct rlp_json *c = rlp_json_push_object(charts);
		rlp_json_add_string(c, "metric", r->rule->metric);
		rlp_json_add_string(c, "svg", svg);
		free(svg);
	}
	return error;
}

/* ---- RL health: whatever derived.* rules the promotion has ---- */

struct health_kind {
	const char *name;
	const char *const *keys; /* a rule belongs when its metric contains one */
	const char *hint;        /* what computes it, when nothing does yet */
};

static const char *const kl_keys[] = {"kl", NULL};
static const char *const diversity_keys[] = {"distinct", "duplicate", "collapsed", "divers", NULL};
static const char *const tax_keys[] = {"alignment_tax", "tax", NULL};
static const char *const hack_keys[] = {"hack", NULL};
static const char *const no_keys[] = {NULL};

static const struct health_kind health_kinds[] = {
	{"KL divergence to the base model", kl_keys, "derived.kl_k1, derived.kl_k3 or run.kl_to_base"},
	{"Rollout diversity", diversity_keys, "derived.distinct_2, derived.duplicate_rate or derived.collapsed"},
	{"Alignment tax", tax_keys, "derived.alignment_tax"},
	{"Other derived metrics", no_keys, NULL},
};
#define HEALTH_OTHER (sizeof(health_kinds) / sizeof(health_kinds[0]) - 1)

static bool metric_has(const char *metric, const char *const *keys)
{
	for (size_t k = 0; keys[k]; k++)
		if (strstr(metric, keys[k]))
			return true;
	return false;
}

static bool is_derived(const struct rlp_rule *rule)
{
	return rule->metric && !strncmp(rule->metric, "derived.", 8);
}

static bool is_hacking(const struct rlp_rule *rule)
{
	return is_derived(rule) && metric_has(rule->metric, hack_keys);
}

/* Which health kind a rule shows under, or -1 for none. KL also counts
 * run-level figures (run.kl_to_base), the way most trainers report it. */
static long health_kind_of(const struct rlp_rule *rule)
{
	if (!rule->metric || is_hacking(rule))
		return -1;
	if (!is_derived(rule))
		return !strncmp(rule->metric, "run.", 4) && metric_has(rule->metric, kl_keys) ? 0 : -1;
	for (size_t k = 0; k < HEALTH_OTHER; k++)
		if (metric_has(rule->metric, health_kinds[k].keys))
			return (long)k;
	return (long)HEALTH_OTHER;
}

static void rule_item(struct rlp_json *o, const struct rlp_rule_result *r)
{
	char b[48];

	rlp_json_add_bool(o, "computed", true);
	rlp_json_add_string(o, "rule", r->rule->id);
	rlp_json_add_string(o, "metric", r->rule->metric);
	rlp_json_add_string(o, "confidence", confidence_text(b, sizeof(b), r));
	rlp_json_add_bool(o, "warn", !r->blocking);
	figures_view(o, &r->fig);
}

static void health_view(struct rlp_json *v, const struct rlp_gate_result *res)
{
	struct rlp_json *health = rlp_json_add_array(v, "health");

	for (size_t k = 0; k < sizeof(health_kinds) / sizeof(health_kinds[0]); k++) {
		size_t found = 0;
		for (size_t i = 0; i < res->nrules; i++) {
			if (health_kind_of(res->rules[i].rule) != (long)k)
				continue;
			struct rlp_json *o = rlp_json_push_object(health);
			rlp_json_add_string(o, "name", health_kinds[k].name);
			rlp_json_add_string(o, "hint", "");
			rule_item(o, &res->rules[i]);
			found++;
		}
		if (found || !health_kinds[k].hint)
			continue;
		struct rlp_json *o = rlp_json_push_object(health);
		rlp_json_add_string(o, "name", health_kinds[k].name);
		rlp_json_add_bool(o, "computed", false);
		rlp_json_add_string(o, "hint", health_kinds[k].hint);
	}
}

/* Reward hacking: the rules on derived.*hack* metrics, with the suspect
 * ids the JSON report lists for them, when it lists any: a rule's
 * "suspects" is {"ids": [...], "count": N} (or a bare array of ids). */
static void hacking_view(struct rlp_json *v, const struct rlp_gate_result *res,
			 const struct rlp_json *report)
{
	struct rlp_json *hacking = rlp_json_add_array(v, "hacking");
	const struct rlp_json *jr = rlp_json_first(rlp_json_get(report, "rules"));

	for (size_t i = 0; i < res->nrules; i++, jr = rlp_json_next(jr)) {
		const struct rlp_rule_result *r = &res->rules[i];
		if (!is_hacking(r->rule))
			continue;
		struct rlp_json *o = rlp_json_push_object(hacking);
		const struct rlp_json *ids = rlp_json_get(jr, "suspects"), *total = NULL;
		if (rlp_json_is_object(ids)) {
			total = rlp_json_get(ids, "count");
			ids = rlp_json_get(ids, "ids");
		}
		struct rlp_json *list = rlp_json_add_array(o, "suspects");
		size_t shown = 0;
		rule_item(o, r);
		for (const struct rlp_json *s = rlp_json_first(ids); s; s = rlp_json_next(s))
			if (rlp_json_is_string(s) && rlp_json_push_string(list, rlp_json_string(s)))
				shown++;
		double all = rlp_json_is_finite_number(total) ? rlp_json_number(total) : (double)shown;
		/* a rate of 0 flags nobody: nothing to list */
		rlp_json_add_bool(o, "listed", rlp_json_is_array(ids) || r->fig.estimate == 0);
		rlp_json_add_bool(o, "has_suspects", shown > 0);
		rlp_json_add_number(o, "suspects_more", all > (double)shown ? all - (double)shown : 0);
	}
}

/* ---- the page ---- */

static struct rlp_json *html_view(const struct rlp_gate_result *res,
				  const struct rlp_report_meta *meta, const struct rlp_json *report)
{
	const struct rlp_promotion *p = rlp_policy_promotion(meta->policy, res->to);
	struct rlp_json *v = rlp_json_new_object();
	struct rlp_json *rules = rlp_json_add_array(v, "rules");
	size_t counts[4] = {0};
	char line[160];

	rlp_json_add_string(v, "verdict", rlp_outcome_name(res->decision));
	rlp_json_add_string(v, "oclass", outcome_class[res->decision]);
	rlp_json_add_string(v, "model", meta->policy->model);
	rlp_json_add_string(v, "from", p ? p->from : "");
	rlp_json_add_string(v, "to", res->to);
	rlp_json_add_string(v, "policy", meta->policy_name);
	rlp_json_add_string(v, "candidate", meta->candidate);
	rlp_json_add_number(v, "candidate_records", (double)res->candidate_records);
	rlp_json_add_number(v, "candidate_ids", (double)res->candidate_ids);
	if (meta->baseline) {
		struct rlp_json *b = rlp_json_add_object(v, "base");
		rlp_json_add_string(b, "label", meta->baseline);
		rlp_json_add_number(b, "records", (double)res->baseline_records);
		rlp_json_add_number(b, "ids", (double)res->baseline_ids);
	}
	if (res->decided_by) {
		struct rlp_json *d = rlp_json_add_object(v, "decided");
		rlp_json_add_string(d, "rule", res->decided_by->rule->id);
		rlp_json_add_string(d, "reason", res->decided_by->fig.reason);
	}
	for (size_t i = 0; i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		struct rlp_json *o = rlp_json_push_object(rules);
		struct rlp_json *slices = rlp_json_add_array(o, "slices");
		if (r->blocking)
			counts[r->fig.verdict]++;
		rlp_json_add_string(o, "id", r->rule->id);
		rlp_json_add_string(o, "kind", rlp_rule_kind_name(r->rule->kind));
		rlp_json_add_string(o, "metric", r->rule->metric ? r->rule->metric : "");
		rlp_json_add_string(o, "method", r->method ? r->method : "");
		rlp_json_add_bool(o, "warn", !r->blocking);
		rlp_json_add_bool(o, "critical", r->rule->critical);
		figures_view(o, &r->fig);
		for (size_t s = 0; s < r->nslices; s++) {
			struct rlp_json *so = rlp_json_push_object(slices);
			rlp_json_add_string(so, "slice", r->slices[s].slice);
			figures_view(so, &r->slices[s].fig);
		}
	}
	snprintf(line, sizeof(line), "%zu passed, %zu failed, %zu inconclusive, %zu errors",
		 counts[RLP_PASS], counts[RLP_FAIL], counts[RLP_INCONCLUSIVE],
		 counts[RLP_ERROR_VERDICT]);
	rlp_json_add_string(v, "counts", line);
	rlp_json_add_string(v, "version", RLP_VERSION);
	health_view(v, res);
	hacking_view(v, res, report);
	if (charts_view(v, res) < 0 || !rules) {
		rlp_json_free(v);
		return NULL;
	}
	return v;
}

int rlp_report_html(char **out, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta)
{
	struct rlp_json *report = NULL, *view = NULL;
	char *tmpl = NULL;
	size_t len = 0;
	int error;

	*out = NULL;
	if ((error = rlp_template_load(&tmpl, &len, "report.html")) < 0)
		return error;
	if ((error = rlp_report_json(&report, res, meta)) < 0)
		goto done;
	if (!(view = html_view(res, meta, report))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	error = rlp_template_render(out, NULL, tmpl, len, view, RLP_ESCAPE_HTML, "report.html");
done:
	rlp_json_free(view);
	rlp_json_free(report);
	free(tmpl);
	return error;
}
