/* Gate reports. The JSON report is the single source: the markdown view is
 * built beside it with display strings, and the terminal table reads the
 * gate result directly. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "report_rl.h"
#include "template.h"

/* ---- JSON ---- */

static void figures_json(struct rlp_json *o, const struct rlp_figures *f)
{
	rlp_json_add_string(o, "verdict", rlp_verdict_name(f->verdict));
	rlp_json_add_number(o, "estimate", f->estimate);
	rlp_json_add_number(o, "lower", f->lower);
	rlp_json_add_number(o, "upper", f->upper);
	rlp_json_add_number(o, "threshold", f->threshold);
	rlp_json_add_number(o, "baseline", f->baseline);
	rlp_json_add_number(o, "delta", f->delta);
	rlp_json_add_number(o, "n", (double)f->n);
	if (f->n_baseline)
		rlp_json_add_number(o, "n_baseline", (double)f->n_baseline);
	else
		rlp_json_add_null(o, "n_baseline");
	rlp_json_add_string(o, "reason", f->reason);
}

static void side_json(struct rlp_json *root, const char *key, const char *label, size_t records,
		      size_t ids)
{
	if (!label) {
		rlp_json_add_null(root, key);
		return;
	}
	struct rlp_json *o = rlp_json_add_object(root, key);
	rlp_json_add_string(o, "source", label);
	rlp_json_add_number(o, "records", (double)records);
	rlp_json_add_number(o, "ids", (double)ids);
}

int rlp_report_json(struct rlp_json **out, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta)
{
	const struct rlp_promotion *p = rlp_policy_promotion(meta->policy, res->to);
	struct rlp_json *root = rlp_json_new_object(), *rules;

	*out = NULL;
	rlp_json_add_string(root, "verdict", rlp_outcome_name(res->decision));
	rlp_json_add_string(root, "model", meta->policy->model);
	rlp_json_add_string(root, "from", p ? p->from : "");
	rlp_json_add_string(root, "to", res->to);
	rlp_json_add_string(root, "policy", meta->policy_name);
	side_json(root, "candidate", meta->candidate, res->candidate_records, res->candidate_ids);
	side_json(root, "baseline", meta->baseline, res->baseline_records, res->baseline_ids);
	if (res->decided_by)
		rlp_json_add_string(root, "decided_by", res->decided_by->rule->id);
	else
		rlp_json_add_null(root, "decided_by");
	rules = rlp_json_add_array(root, "rules");
	for (size_t i = 0; i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		struct rlp_json *o = rlp_json_push_object(rules);
		rlp_json_add_string(o, "id", r->rule->id);
		rlp_json_add_string(o, "kind", rlp_rule_kind_name(r->rule->kind));
		if (r->rule->metric)
			rlp_json_add_string(o, "metric", r->rule->metric);
		else
			rlp_json_add_null(o, "metric");
		rlp_json_add_string(o, "severity", r->blocking ? "block" : "warn");
		rlp_json_add_bool(o, "critical", r->rule->critical);
		if (r->method)
			rlp_json_add_string(o, "method", r->method);
		else
			rlp_json_add_null(o, "method");
		rlp_json_add_number(o, "confidence", r->confidence);
		figures_json(o, &r->fig);
		report_rl_json(o, r);
		if (!r->nslices)
			continue;
		struct rlp_json *slices = rlp_json_add_array(o, "slices");
		for (size_t s = 0; s < r->nslices; s++) {
			struct rlp_json *so = rlp_json_push_object(slices);
			rlp_json_add_string(so, "slice", r->slices[s].slice);
			figures_json(so, &r->slices[s].fig);
		}
	}
	/* every add passes NULL through, so one check covers them all */
	if (!root || !rules)
		goto oom;
	char *probe = rlp_json_print(root, false);
	if (!probe)
		goto oom;
	free(probe);
	*out = root;
	return 0;
oom:
	rlp_json_free(root);
	return rlp_error_set(RLP_ENOMEM, "out of memory");
}

/* ---- shared display formatting ---- */

static const char *fmt_num(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "—");
	else
		snprintf(buf, size, "%.4g", v);
	return buf;
}

static const char *fmt_signed(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "—");
	else
		snprintf(buf, size, "%+.4g", v);
	return buf;
}

static const char *fmt_interval(char *buf, size_t size, const struct rlp_figures *f)
{
	bool on_delta = !isnan(f->delta) && !isnan(f->baseline) && !isnan(f->lower);
	if (isnan(f->lower) && isnan(f->upper))
		snprintf(buf, size, "—");
	else if (on_delta)
		snprintf(buf, size, "[%+.4g, %+.4g]", f->lower, f->upper);
	else
		snprintf(buf, size, "[%.4g, %.4g]", f->lower, f->upper);
	return buf;
}

static const char *verdict_icon(enum rlp_verdict v)
{
	static const char *const icons[] = {"✅", "⏸️", "⚠️", "❌"};
	return icons[v];
}

static const char *decision_icon(enum rlp_outcome d)
{
	static const char *const icons[] = {"✅", "❌", "⏸️"};
	return icons[d];
}

/* ---- markdown through templates/report.md ---- */

static void figures_view(struct rlp_json *o, const struct rlp_figures *f)
{
	char b[64];

	rlp_json_add_string(o, "verdict", rlp_verdict_name(f->verdict));
	rlp_json_add_string(o, "icon", verdict_icon(f->verdict));
	rlp_json_add_string(o, "estimate", fmt_num(b, sizeof(b), f->estimate));
	rlp_json_add_string(o, "interval", fmt_interval(b, sizeof(b), f));
	rlp_json_add_string(o, "threshold", fmt_num(b, sizeof(b), f->threshold));
	rlp_json_add_string(o, "baseline", fmt_num(b, sizeof(b), f->baseline));
	rlp_json_add_string(o, "delta", fmt_signed(b, sizeof(b), f->delta));
	rlp_json_add_number(o, "n", (double)f->n);
	rlp_json_add_string(o, "reason", f->reason);
}

static struct rlp_json *markdown_view(const struct rlp_gate_result *res,
				      const struct rlp_report_meta *meta)
{
	const struct rlp_promotion *p = rlp_policy_promotion(meta->policy, res->to);
	struct rlp_json *v = rlp_json_new_object();
	struct rlp_json *rules = rlp_json_add_array(v, "rules");
	struct rlp_json *slices = rlp_json_add_array(v, "slices");
	size_t counts[4] = {0};

	rlp_json_add_string(v, "verdict", rlp_outcome_name(res->decision));
	rlp_json_add_string(v, "icon", decision_icon(res->decision));
	rlp_json_add_string(v, "model", meta->policy->model);
	rlp_json_add_string(v, "from", p ? p->from : "");
	rlp_json_add_string(v, "to", res->to);
	rlp_json_add_string(v, "policy", meta->policy_name);
	rlp_json_add_string(v, "candidate", meta->candidate);
	rlp_json_add_number(v, "candidate_records", (double)res->candidate_records);
	if (meta->baseline) {
		rlp_json_add_string(v, "baseline", meta->baseline);
		rlp_json_add_number(v, "baseline_records", (double)res->baseline_records);
	}
	if (res->decided_by)
		rlp_json_add_string(v, "decided_by", res->decided_by->rule->id);
	if (meta->html_url)
		rlp_json_add_string(v, "html_url", meta->html_url);
	for (size_t i = 0; i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		struct rlp_json *o = rlp_json_push_object(rules);
		if (r->blocking)
			counts[r->fig.verdict]++;
		rlp_json_add_string(o, "id", r->rule->id);
		rlp_json_add_string(o, "kind", rlp_rule_kind_name(r->rule->kind));
		rlp_json_add_string(o, "metric", r->rule->metric ? r->rule->metric : "");
		rlp_json_add_bool(o, "warn", !r->blocking);
		rlp_json_add_bool(o, "critical", r->rule->critical);
		figures_view(o, &r->fig);
		for (size_t s = 0; s < r->nslices; s++) {
			struct rlp_json *so = rlp_json_push_object(slices);
			rlp_json_add_string(so, "slice", r->slices[s].slice);
			rlp_json_add_string(so, "rule", r->rule->id);
			figures_view(so, &r->slices[s].fig);
		}
	}
	char line[160];
	snprintf(line, sizeof(line), "%zu passed, %zu failed, %zu inconclusive, %zu errors",
		 counts[RLP_PASS], counts[RLP_FAIL], counts[RLP_INCONCLUSIVE],
		 counts[RLP_ERROR_VERDICT]);
	rlp_json_add_string(v, "counts", line);
	rlp_json_add_bool(v, "has_slices", rlp_json_size(slices) > 0);
	report_rl_view(v, res);
	if (!rules || !slices) {
		rlp_json_free(v);
		return NULL;
	}
	return v;
}

int rlp_report_markdown(char **out, const struct rlp_gate_result *res,
			const struct rlp_report_meta *meta)
{
	struct rlp_json *view = NULL;
	char *tmpl = NULL;
	size_t len = 0;
	int error;

	*out = NULL;
	if ((error = rlp_template_load(&tmpl, &len, "report.md")) < 0)
		return error;
	if (!(view = markdown_view(res, meta))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	error = rlp_template_render(out, NULL, tmpl, len, view, RLP_ESCAPE_MARKDOWN, "report.md");
done:
	rlp_json_free(view);
	free(tmpl);
	return error;
}

/* ---- terminal table ---- */

struct palette {
	const char *reset, *bold, *dim, *verdict[4], *decision[3];
};

static const struct palette plain = {"", "", "", {"", "", "", ""}, {"", "", ""}};
static const struct palette ansi = {
	"\033[0m", "\033[1m", "\033[2m",
	{"\033[32m", "\033[33m", "\033[35m", "\033[31m"},
	{"\033[1;32m", "\033[1;31m", "\033[1;33m"},
};

enum { COL_ID, COL_KIND, COL_VERDICT, COL_EST, COL_INT, COL_THR, COL_N, NCOLS };

static void table_row(struct rlp_buf *b, const struct palette *pal, const size_t *w,
		      const char *cells[NCOLS], enum rlp_verdict v, const char *reason)
{
	for (int c = 0; c < NCOLS; c++) {
		if (c == COL_VERDICT)
			rlp_buf_puts(b, pal->verdict[v]);
		rlp_buf_pad(b, cells[c], c == NCOLS - 1 ? 0 : w[c]);
		if (c == COL_VERDICT)
			rlp_buf_puts(b, pal->reset);
		rlp_buf_puts(b, "  ");
	}
	rlp_buf_printf(b, "%s%s%s\n", pal->dim, reason, pal->reset);
}

static void figure_cells(char (*text)[64], const struct rlp_figures *f)
{
	fmt_num(text[COL_EST], 64, f->estimate);
	fmt_interval(text[COL_INT], 64, f);
	fmt_num(text[COL_THR], 64, f->threshold);
	snprintf(text[COL_N], 64, "%ld", f->n);
}

int rlp_report_text(char **out, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta, bool color)
{
	static const char *const heads[NCOLS] = {"RULE", "KIND", "VERDICT", "ESTIMATE",
						 "INTERVAL", "THRESHOLD", "N"};
	const struct palette *pal = color ? &ansi : &plain;
	const struct rlp_promotion *p = rlp_policy_promotion(meta->policy, res->to);
	struct rlp_buf b = RLP_BUF_INIT;
	size_t w[NCOLS];
	char text[NCOLS][64];

	/* column widths over every row, slices included */
	for (int c = 0; c < NCOLS; c++)
		w[c] = rlp_utf8_width(heads[c]);
	for (size_t i = 0; i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		size_t kw = strlen(rlp_rule_kind_name(r->rule->kind)) + (r->blocking ? 0 : 7);
		w[COL_ID] = w[COL_ID] > strlen(r->rule->id) ? w[COL_ID] : strlen(r->rule->id);
		w[COL_KIND] = w[COL_KIND] > kw ? w[COL_KIND] : kw;
		w[COL_VERDICT] = w[COL_VERDICT] > 12 ? w[COL_VERDICT] : 12;
		for (size_t s = 0; s <= r->nslices; s++) {
			const struct rlp_figures *f = s ? &r->slices[s - 1].fig : &r->fig;
			figure_cells(text, f);
			if (s && strlen(r->slices[s - 1].slice) + 2 > w[COL_ID])
				w[COL_ID] = strlen(r->slices[s - 1].slice) + 2;
			for (int c = COL_EST; c < NCOLS; c++)
				if (rlp_utf8_width(text[c]) > w[c])
					w[c] = rlp_utf8_width(text[c]);
		}
	}

	rlp_buf_printf(&b, "%s%s%s  %s %s -> %s", pal->decision[res->decision],
		       rlp_outcome_name(res->decision), pal->reset, meta->policy->model,
		       p ? p->from : "?", res->to);
	rlp_buf_printf(&b, "  (candidate %zu records", res->candidate_records);
	if (meta->baseline)
		rlp_buf_printf(&b, ", baseline %zu", res->baseline_records);
	rlp_buf_puts(&b, ")\n\n");
	rlp_buf_puts(&b, pal->bold);
	for (int c = 0; c < NCOLS; c++) {
		rlp_buf_pad(&b, heads[c], w[c]);
		rlp_buf_puts(&b, "  ");
	}
	rlp_buf_printf(&b, "REASON%s\n", pal->reset);
	for (size_t i = 0; i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		char kind[64];
		snprintf(kind, sizeof(kind), "%s%s", rlp_rule_kind_name(r->rule->kind),
			 r->blocking ? "" : " (warn)");
		figure_cells(text, &r->fig);
		const char *cells[NCOLS] = {r->rule->id, kind, rlp_verdict_name(r->fig.verdict),
					    text[COL_EST], text[COL_INT], text[COL_THR], text[COL_N]};
		table_row(&b, pal, w, cells, r->fig.verdict, r->fig.reason);
		report_rl_text(&b, r, pal->dim, pal->reset);
		for (size_t s = 0; s < r->nslices; s++) {
			const struct rlp_figures *f = &r->slices[s].fig;
			char name[80];
			snprintf(name, sizeof(name), "  %s", r->slices[s].slice);
			figure_cells(text, f);
			const char *sc[NCOLS] = {name, "", rlp_verdict_name(f->verdict), text[COL_EST],
						 text[COL_INT], text[COL_THR], text[COL_N]};
			table_row(&b, pal, w, sc, f->verdict, f->reason);
		}
	}
	if (res->decided_by)
		rlp_buf_printf(&b, "\ndecided by critical rule '%s': %s\n", res->decided_by->rule->id,
			       res->decided_by->fig.reason);
	return rlp_buf_detach(out, &b);
}
