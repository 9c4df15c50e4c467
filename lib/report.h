/*
 * Gate reports: JSON for machines (schema in git-rlpromote(1)), a terminal
 * table, and GitHub-flavoured markdown rendered from templates/report.md.
 */
#ifndef RLP_REPORT_H
#define RLP_REPORT_H

#include <stdbool.h>

#include "gate.h"

struct rlp_json;

/* What the report says about where the numbers came from. */
struct rlp_report_meta {
	const struct rlp_policy *policy;
	const char *policy_name;    /* file or "<rev>:<path>" */
	const char *candidate;      /* label: a file or a revision */
	const char *baseline;       /* label; NULL without a baseline */
	const char *html_url;       /* where the HTML report is published; NULL: not linked */
};

/* The machine-readable report (caller frees with rlp_json_free). */
int rlp_report_json(struct rlp_json **out, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta);

/* Formatted reports, malloc'd and NUL-terminated. */
int rlp_report_text(char **out, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta, bool color);
int rlp_report_markdown(char **out, const struct rlp_gate_result *res,
			const struct rlp_report_meta *meta);
/* One self-contained HTML page (templates/report.html; lib/report_html.c):
 * the verdict, the rules, an SVG forest plot per metric, the RL health
 * panel and the reward-hacking suspects. No scripts, no external resources;
 * the same input gives the same bytes. */
int rlp_report_html(char **out, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta);

#endif
