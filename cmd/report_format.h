/* Rendering gate reports in the formats the commands offer; shared by
 * `gate` and `report` (cmd/report.c). */
#ifndef RLP_CMD_REPORT_FORMAT_H
#define RLP_CMD_REPORT_FORMAT_H

#include <stdbool.h>

#include "report.h" /* lib/report.h (this header has its own name so it is found) */

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_MARKDOWN, REPORT_HTML };

/* "text", "json", "markdown" or "html"; -1 for anything else. */
int report_format_parse(enum report_format *out, const char *name);

/* The report as a malloc'd string (JSON ends with a newline), or NULL with
 * the library's message set. */
char *report_render(enum report_format format, const struct rlp_gate_result *res,
		    const struct rlp_report_meta *meta, bool color);

/* Die unless `url` is an http(s) URL that can stand in a markdown link
 * as it is: no whitespace, quotes, parentheses or angle brackets. */
void check_html_url(const char *url);

#endif
