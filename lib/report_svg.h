/*
 * A small SVG writer for the HTML report, and the forest plots drawn with it.
 * Deterministic: every number is printed with fixed precision (negative zero
 * as zero), so the same input gives the same bytes. Text is escaped for XML;
 * the output is well-formed XML without a namespace declaration (HTML places
 * inline <svg> in the SVG namespace itself, and the report names no URLs).
 * Presentation attributes only: no CSS, no scripts, no fonts to fetch.
 */
#ifndef RLP_REPORT_SVG_H
#define RLP_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>

struct rlp_buf;

enum rlp_svg_anchor { RLP_SVG_START, RLP_SVG_MIDDLE, RLP_SVG_END };

/* Elements. Colours are given as "#rrggbb" (or "none"), trusted from our
 * own code; only text and labels are escaped. */
void rlp_svg_open(struct rlp_buf *b, double width, double height, const char *label);
void rlp_svg_close(struct rlp_buf *b);
void rlp_svg_line(struct rlp_buf *b, double x1, double y1, double x2, double y2, const char *stroke,
		  double width, bool dashed);
void rlp_svg_rect(struct rlp_buf *b, double x, double y, double w, double h, const char *fill,
		  const char *stroke);
void rlp_svg_circle(struct rlp_buf *b, double cx, double cy, double r, const char *fill,
		    const char *stroke);
void rlp_svg_text(struct rlp_buf *b, double x, double y, enum rlp_svg_anchor anchor, double size,
		  const char *fill, bool bold, const char *text);
/* A group whose <title> (a tooltip) is `tooltip` (may be NULL). */
void rlp_svg_group_open(struct rlp_buf *b, const char *tooltip);
void rlp_svg_group_close(struct rlp_buf *b);
/* Text with & < > " ' as entities and control bytes dropped. */
void rlp_svg_escape(struct rlp_buf *b, const char *text);
/* A coordinate or length: "%.2f", with -0.00 printed as 0.00. */
void rlp_svg_number(struct rlp_buf *b, double v);

/* ---- forest plots ---- */

/* A vertical reference line across a panel's main axis. */
struct rlp_forest_ref {
	double at;
	const char *label; /* drawn above the line, e.g. "-margin 0.03" */
	bool threshold;    /* dashed red; otherwise the solid grey zero line */
};

/* One row (a slice, or the whole set). NaN values are not drawn. */
struct rlp_forest_row {
	const char *label;
	double est, lo, hi; /* the main axis: the delta and its interval for
			     * difference panels, else the estimate and its interval */
	double cand, base;  /* difference panels: both arms on the left axis;
			     * value panels: base is drawn hollow on the main axis */
	const char *color;  /* of the estimate and interval (the verdict's) */
	const char *text;   /* right column, e.g. "+0.012 [-0.010, +0.034]" */
	const char *note;   /* drawn across the plot when there is nothing to plot */
	const char *tooltip;
};

struct rlp_forest_panel {
	const char *title;
	const char *axis;  /* caption under the main axis */
	bool difference;   /* a left axis with both arms, the main axis on the delta */
	const struct rlp_forest_row *rows;
	size_t nrows;
	struct rlp_forest_ref refs[4];
	size_t nrefs;
};

/* One <svg> with the panels stacked; appends to b (check b->failed). */
void rlp_svg_forest(struct rlp_buf *b, const char *label, const struct rlp_forest_panel *panels,
		    size_t npanels);

#endif
