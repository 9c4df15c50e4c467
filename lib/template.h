/*
 * A small logic-less template renderer (a subset of Mustache) for reports.
 * Debian ships no C Mustache library, so this stays deliberately small: the
 * view is a JSON tree (lib/json.h) that the report builds with display-ready
 * strings, and templates live in templates/.
 *
 * Supported: {{name}} (escaped), {{{name}}} and {{& name}} (raw), dotted
 * names (a.b.c) and {{.}} for the current item, {{#name}}...{{/name}}
 * sections (arrays iterate; true, non-empty strings, non-zero numbers and
 * objects render once with the value pushed as context; false, null, missing,
 * empty arrays and "" render nothing), {{^name}}...{{/name}} inverted
 * sections, {{! comments}}, and Mustache's standalone-line rule (a line
 * holding only a section, inverted, closing or comment tag plus whitespace is
 * removed entirely), so markdown tables stay intact. No partials, no
 * delimiter changes, no lambdas.
 */
#ifndef RLP_TEMPLATE_H
#define RLP_TEMPLATE_H

#include <stddef.h>

struct rlp_json;

enum rlp_escape {
	RLP_ESCAPE_NONE,
	RLP_ESCAPE_MARKDOWN, /* table-cell safe: '|' -> '\|', newlines -> ' ', '<' '>' '&' as entities */
	RLP_ESCAPE_HTML,     /* & < > " ' as entities */
};

/* Render `tmpl` (len bytes) with `view`; `name` is used in error messages
 * ("name:line:col: unclosed section 'rules'"). *out is malloc'd and
 * NUL-terminated; *out_len (may be NULL) receives its length. Numbers print
 * with %.17g trimmed to the shortest form that round-trips ("%.15g" first);
 * integers up to 2^53 print whole ("1000000000000000", not "1e+15").
 *
 * Syntax errors (also "{{>" and "{{=", which this subset lacks) are found
 * before anything renders and return RLP_EINVALID; sections nest at most 64
 * deep; a template or output over 64 MiB is refused (output: RLP_ENOMEM, as
 * lib/buf.h reports it). On error *out is NULL and *out_len is 0. */
int rlp_template_render(char **out, size_t *out_len, const char *tmpl, size_t len,
			const struct rlp_json *view, enum rlp_escape escape, const char *name);

/* Load a template file by name (e.g. "report.md") from $RLPROMOTE_TEMPLATE_DIR,
 * else the installed template directory, else the source tree's templates/.
 * Only a missing file moves on to the next directory. A name with '/' or a
 * leading '.' is RLP_EINVALID, as is a file over 1 MiB; RLP_ENOTFOUND names
 * the directories searched. */
int rlp_template_load(char **out, size_t *out_len, const char *file);

#endif
