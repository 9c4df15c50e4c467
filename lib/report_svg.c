/* The SVG writer and forest plots of the HTML report (see report_svg.h). */
#include "report_svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

/* ---- elements ---- */

void rlp_svg_number(struct rlp_buf *b, double v)
{
	char s[48];

	if (!isfinite(v) || fabs(v) > 1e9)
		v = 0; /* coordinates are pixels: anything else is a bug, drawn at 0 */
	snprintf(s, sizeof(s), "%.2f", v);
	rlp_buf_puts(b, strcmp(s, "-0.00") ? s : "0.00");
}

void rlp_svg_escape(struct rlp_buf *b, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
		switch (*p) {
		case '&': rlp_buf_puts(b, "&amp;"); break;
		case '<': rlp_buf_puts(b, "&lt;"); break;
		case '>': rlp_buf_puts(b, "&gt;"); break;
		case '"': rlp_buf_puts(b, "&quot;"); break;
		case '\'': rlp_buf_puts(b, "&#39;"); break;
		default:
			/* XML 1.0 allows no control characters but tab and newlines */
			if (*p >= 0x20 || *p == '\t' || *p == '\n')
				rlp_buf_putc(b, (char)*p);
		}
	}
}

static void attr(struct rlp_buf *b, const char *name, double v)
{
	rlp_buf_printf(b, " %s=\"", name);
	rlp_svg_number(b, v);
	rlp_buf_putc(b, '"');
}

void rlp_svg_open(struct rlp_buf *b, double width, double height, const char *label)
{
	rlp_buf_puts(b, "<svg");
	attr(b, "width", width);
	attr(b, "height", height);
	rlp_buf_puts(b, " viewBox=\"0 0 ");
	rlp_svg_number(b, width);
	rlp_buf_putc(b, ' ');
	rlp_svg_number(b, height);
	rlp_buf_puts(b, "\" role=\"img\" aria-label=\"");
	rlp_svg_escape(b, label);
	rlp_buf_puts(b, "\" font-family=\"sans-serif\">\n");
}

void rlp_svg_close(struct rlp_buf *b)
{
	rlp_buf_puts(b, "</svg>\n");
}

void rlp_svg_line(struct rlp_buf *b, double x1, double y1, double x2, double y2, const char *stroke,
		  double width, bool dashed)
{
	rlp_buf_puts(b, "<line");
	attr(b, "x1", x1);
	attr(b, "y1", y1);
	attr(b, "x2", x2);
	attr(b, "y2", y2);
	rlp_buf_printf(b, " stroke=\"%s\"", stroke);
	attr(b, "stroke-width", width);
	if (dashed)
		rlp_buf_puts(b, " stroke-dasharray=\"4 3\"");
	rlp_buf_puts(b, "/>\n");
}

void rlp_svg_rect(struct rlp_buf *b, double x, double y, double w, double h, const char *fill,
		  const char *stroke)
{
	rlp_buf_puts(b, "<rect");
	attr(b, "x", x);
	attr(b, "y", y);
	attr(b, "width", w);
	attr(b, "height", h);
	rlp_buf_printf(b, " fill=\"%s\"", fill);
	if (stroke)
		rlp_buf_printf(b, " stroke=\"%s\"", stroke);
	rlp_buf_puts(b, "/>\n");
}

void rlp_svg_circle(struct rlp_buf *b, double cx, double cy, double r, const char *fill,
		    const char *stroke)
{
	rlp_buf_puts(b, "<circle");
	attr(b, "cx", cx);
	attr(b, "cy", cy);
	attr(b, "r", r);
	rlp_buf_printf(b, " fill=\"%s\"", fill);
	if (stroke)
		rlp_buf_printf(b, " stroke=\"%s\" stroke-width=\"1.50\"", stroke);
	rlp_buf_puts(b, "/>\n");
}

void rlp_svg_text(struct rlp_buf *b, double x, double y, enum rlp_svg_anchor anchor, double size,
		  const char *fill, bool bold, const char *text)
{
	static const char *const anchors[] = {"start", "middle", "end"};

	rlp_buf_puts(b, "<text");
	attr(b, "x", x);
	attr(b, "y", y);
	rlp_buf_printf(b, " text-anchor=\"%s\"", anchors[anchor]);
	attr(b, "font-size", size);
	rlp_buf_printf(b, " fill=\"%s\"%s>", fill, bold ? " font-weight=\"bold\"" : "");
	rlp_svg_escape(b, text);
	rlp_buf_puts(b, "</text>\n");
}

void rlp_svg_group_open(struct rlp_buf *b, const char *tooltip)
{
	rlp_buf_puts(b, "<g>");
	if (tooltip && *tooltip) {
		rlp_buf_puts(b, "<title>");
		rlp_svg_escape(b, tooltip);
		rlp_buf_puts(b, "</title>");
	}
	rlp_buf_putc(b, '\n');
}

void rlp_svg_group_close(struct rlp_buf *b)
{
	rlp_buf_puts(b, "</g>\n");
}

/* ---- scales ---- */

/* A linear axis over [lo, hi] drawn from x0 to x1, on "nice" ticks. */
struct scale {
	double lo, hi, step;
	double x0, x1;
	int decimals;
};

static void scale_fit(struct scale *s, const double *v, size_t n, double x0, double x1)
{
	double lo = INFINITY, hi = -INFINITY;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i])) {
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
	if (!(lo <= hi) || hi - lo > 1e12) {
		lo = 0;
		hi = 1;
	}
	if (hi - lo < 1e-9) { /* one value: a window around it */
		double pad = fabs(lo) > 1e-9 ? fabs(lo) * 0.1 : 0.01;
		lo -= pad;
		hi += pad;
	}
	double raw = (hi - lo) / 4, mag = pow(10, floor(log10(raw))), norm = raw / mag;
	s->step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
	s->lo = floor(lo / s->step + 1e-9) * s->step;
	s->hi = ceil(hi / s->step - 1e-9) * s->step;
	if (s->hi <= s->lo)
		s->hi = s->lo + s->step;
	s->decimals = s->step >= 1 ? 0 : (int)ceil(-log10(s->step) - 1e-9);
	s->x0 = x0;
	s->x1 = x1;
}

static double scale_x(const struct scale *s, double v)
{
	double x = s->x0 + (v - s->lo) / (s->hi - s->lo) * (s->x1 - s->x0);
	return x < s->x0 ? s->x0 : x > s->x1 ? s->x1 : x;
}

static void tick_label(char *buf, size_t size, const struct scale *s, double v)
{
	if (fabs(v) < s->step * 1e-6)
		v = 0;
	snprintf(buf, size, "%.*f", s->decimals, v);
}

/* Ticks, grid lines from top to the axis, the axis, and its caption. */
static void draw_axis(struct rlp_buf *b, const struct scale *s, double top, double axis_y,
		      const char *caption)
{
	int nticks = (int)floor((s->hi - s->lo) / s->step + 0.5);
	char label[48];

	for (int i = 0; i <= nticks && i <= 20; i++) {
		double v = s->lo + i * s->step, x = scale_x(s, v);
		rlp_svg_line(b, x, top, x, axis_y, "#eaeef2", 1, false);
		rlp_svg_line(b, x, axis_y, x, axis_y + 4, "#57606a", 1, false);
		tick_label(label, sizeof(label), s, v);
		rlp_svg_text(b, x, axis_y + 15, RLP_SVG_MIDDLE, 10, "#57606a", false, label);
	}
	rlp_svg_line(b, s->x0, axis_y, s->x1, axis_y, "#57606a", 1, false);
	if (caption)
		rlp_svg_text(b, (s->x0 + s->x1) / 2, axis_y + 28, RLP_SVG_MIDDLE, 10, "#57606a", false,
			     caption);
}

/* ---- forest plots ---- */

#define WIDTH 1000.0
#define LABEL_RIGHT 146.0
#define PLOT_LEFT 160.0
#define ARMS_RIGHT 390.0
#define DELTA_LEFT 450.0
#define PLOT_RIGHT 790.0
#define TEXT_LEFT 808.0
#define ROW_H 22.0
#define HEAD_H 38.0 /* title, legend and reference labels above the rows */
#define FOOT_H 40.0 /* axis, tick labels, caption */
#define GAP 12.0
#define MAX_LABEL 22 /* characters of a row label */
#define MAX_NOTE 60
#define MAX_ROWS 64  /* of a panel */

static size_t rows_of(const struct rlp_forest_panel *p)
{
	return p->nrows < MAX_ROWS ? p->nrows : MAX_ROWS;
}

static double panel_height(const struct rlp_forest_panel *p)
{
	return HEAD_H + (double)rows_of(p) * ROW_H + FOOT_H + GAP;
}

/* At most `max` UTF-8 characters of s (max >= 1), with "…" standing for
 * the last one when cut; dst holds at least 4 * max + 4 bytes. */
static void cut_label(char *dst, size_t size, const char *s, size_t max)
{
	size_t chars = 0, i, keep = 0;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (chars == max - 1)
			keep = i;
		if (chars++ == max)
			break;
	}
	if (!s[i])
		snprintf(dst, size, "%s", s);
	else
		snprintf(dst, size, "%.*s…", (int)keep, s);
}

static void draw_interval(struct rlp_buf *b, const struct scale *s, double lo, double hi, double cy,
			  const char *color)
{
	if (!isfinite(lo) || !isfinite(hi))
		return;
	double x0 = scale_x(s, lo), x1 = scale_x(s, hi);
	rlp_svg_line(b, x0, cy, x1, cy, color, 2, false);
	rlp_svg_line(b, x0, cy - 4, x0, cy + 4, color, 2, false);
	rlp_svg_line(b, x1, cy - 4, x1, cy + 4, color, 2, false);
}

static void draw_row(struct rlp_buf *b, const struct rlp_forest_panel *p,
		     const struct rlp_forest_row *r, const struct scale *main, const struct scale *arms,
		     double cy)
{
	const char *color = r->color ? r->color : "#24292f";
	char label[4 * MAX_NOTE + 4];

	rlp_svg_group_open(b, r->tooltip);
	cut_label(label, sizeof(label), r->label ? r->label : "", MAX_LABEL);
	rlp_svg_text(b, LABEL_RIGHT, cy + 4, RLP_SVG_END, 11, "#24292f", false, label);
	if (p->difference && isfinite(r->cand) && isfinite(r->base)) {
		rlp_svg_line(b, scale_x(arms, r->base), cy, scale_x(arms, r->cand), cy, "#afb8c1", 1,
			     false);
		rlp_svg_circle(b, scale_x(arms, r->base), cy, 4, "#ffffff", "#57606a");
		rlp_svg_circle(b, scale_x(arms, r->cand), cy, 4, "#24292f", NULL);
	}
	if (isfinite(r->est)) {
		draw_interval(b, main, r->lo, r->hi, cy, color);
		if (!p->difference && isfinite(r->base))
			rlp_svg_circle(b, scale_x(main, r->base), cy, 4, "#ffffff", "#57606a");
		if (p->difference)
			rlp_svg_rect(b, scale_x(main, r->est) - 4, cy - 4, 8, 8, color, NULL);
		else
			rlp_svg_circle(b, scale_x(main, r->est), cy, 4.5, color, NULL);
	} else if (r->note) {
		cut_label(label, sizeof(label), r->note, MAX_NOTE);
		rlp_svg_text(b, main->x0 + 4, cy + 4, RLP_SVG_START, 10, "#57606a", false, label);
	}
	if (r->text)
		rlp_svg_text(b, TEXT_LEFT, cy + 4, RLP_SVG_START, 11, color, false, r->text);
	rlp_svg_group_close(b);
}

static void draw_panel(struct rlp_buf *b, const struct rlp_forest_panel *p, double y)
{
	size_t nrows = rows_of(p);
	double top = y + HEAD_H, axis_y = top + (double)nrows * ROW_H + 4;
	double values[MAX_ROWS * 4 + 4];
	size_t nv = 0;
	struct scale main, arms;

	/* the main axis covers every estimate, interval and reference line */
	for (size_t i = 0; i < nrows; i++) {
		const struct rlp_forest_row *r = &p->rows[i];
		values[nv++] = r->est;
		values[nv++] = r->lo;
		values[nv++] = r->hi;
		values[nv++] = p->difference ? NAN : r->base;
	}
	for (size_t i = 0; i < p->nrefs && i < 4; i++)
		values[nv++] = p->refs[i].at;
	scale_fit(&main, values, nv, p->difference ? DELTA_LEFT : PLOT_LEFT, PLOT_RIGHT);
	nv = 0;
	for (size_t i = 0; i < nrows; i++) {
		values[nv++] = p->rows[i].cand;
		values[nv++] = p->rows[i].base;
	}
	scale_fit(&arms, values, nv, PLOT_LEFT, ARMS_RIGHT);

	rlp_svg_text(b, 8, y + 14, RLP_SVG_START, 12, "#24292f", true, p->title);
	rlp_svg_text(b, WIDTH - 8, y + 14, RLP_SVG_END, 10, "#57606a", false,
		     p->difference ? "● candidate  ○ baseline  ■ difference with its interval"
				   : "● estimate with its interval  ○ baseline");
	for (size_t i = 0; i < nrows; i++)
		if (i % 2 == 0)
			rlp_svg_rect(b, 4, top + (double)i * ROW_H, WIDTH - 8, ROW_H, "#f6f8fa", NULL);
	draw_axis(b, &main, top, axis_y, p->axis);
	if (p->difference)
		draw_axis(b, &arms, top, axis_y, "candidate and baseline");
	for (size_t i = 0; i < p->nrefs && i < 4; i++) {
		const struct rlp_forest_ref *ref = &p->refs[i];
		if (!isfinite(ref->at))
			continue;
		double x = scale_x(&main, ref->at);
		rlp_svg_line(b, x, top - 4, x, axis_y, ref->threshold ? "#cf222e" : "#57606a",
			     ref->threshold ? 1.5 : 1, ref->threshold);
		if (ref->label)
			rlp_svg_text(b, x, top - 8, RLP_SVG_MIDDLE, 10,
				     ref->threshold ? "#cf222e" : "#57606a", false, ref->label);
	}
	for (size_t i = 0; i < nrows; i++)
		draw_row(b, p, &p->rows[i], &main, &arms, top + (double)i * ROW_H + ROW_H / 2);
}

void rlp_svg_forest(struct rlp_buf *b, const char *label, const struct rlp_forest_panel *panels,
		    size_t npanels)
{
	double height = 0, y = 0;

	for (size_t i = 0; i < npanels; i++)
		height += panel_height(&panels[i]);
	rlp_svg_open(b, WIDTH, height, label);
	for (size_t i = 0; i < npanels; i++) {
		draw_panel(b, &panels[i], y);
		y += panel_height(&panels[i]);
	}
	rlp_svg_close(b);
}
