/*
 * The Mustache subset described in template.h. A template is parsed once into
 * a flat list of nodes in which each section records the index just past its
 * body, so every syntax error surfaces before anything renders and rendering
 * is a recursive walk over index ranges.
 */
#include "template.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "json.h"

#define MAX_DEPTH 64
#define MAX_OUTPUT ((size_t)64 << 20)
#define MAX_TEMPLATE_FILE ((size_t)1 << 20)

enum node_kind { NODE_TEXT, NODE_VAR, NODE_RAW, NODE_SECTION, NODE_INVERTED };

struct node {
	enum node_kind kind;
	const char *str; /* the text, or the tag name; not NUL-terminated */
	size_t len;
	size_t offset;   /* of the tag in the template, for error locations */
	size_t end;      /* sections: index of the first node after the body */
};

struct parser {
	const char *tmpl;
	size_t len;
	const char *name;
	struct node *nodes;
	size_t count, alloc;
	size_t open[MAX_DEPTH]; /* node indices of the sections not yet closed */
	size_t depth;
};

struct tag {
	char sigil;       /* '#', '^', '/', '!', '&', '{' or 0 for a variable */
	const char *name; /* trimmed */
	size_t name_len;
	size_t start, end; /* offsets of "{{" and just past the closing braces */
};

__attribute__((format(printf, 3, 4)))
static int parse_error(const struct parser *p, size_t offset, const char *fmt, ...)
{
	char msg[512];
	size_t line = 1, col = 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < offset; i++) {
		col = p->tmpl[i] == '\n' ? 1 : col + 1;
		line += p->tmpl[i] == '\n';
	}
	return rlp_error_set(RLP_EINVALID, "%s:%zu:%zu: %s", p->name, line, col, msg);
}

static int push_node(struct parser *p, enum node_kind kind, const char *str, size_t len,
		     size_t offset)
{
	if (p->count == p->alloc) {
		size_t alloc = p->alloc ? 2 * p->alloc : 16;
		struct node *nodes = realloc(p->nodes, alloc * sizeof(*nodes));
		if (!nodes)
			return rlp_error_set(RLP_ENOMEM, "out of memory");
		p->nodes = nodes;
		p->alloc = alloc;
	}
	p->nodes[p->count++] = (struct node){kind, str, len, offset, 0};
	return 0;
}

/* memmem() is a GNU extension; our needles are two or three braces. */
static const char *find(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

static int scan_tag(const struct parser *p, size_t start, struct tag *tag)
{
	const char *s = p->tmpl;
	bool triple = start + 2 < p->len && s[start + 2] == '{';
	size_t delim = triple ? 3 : 2, b = start + delim, e;
	const char *close = find(s + b, p->len - b, triple ? "}}}" : "}}");

	if (!close)
		return parse_error(p, start, "unclosed tag '{{'");
	e = (size_t)(close - s);
	tag->start = start;
	tag->end = e + delim;
	tag->sigil = triple ? '{' : 0;
	if (!triple && b < e && s[b] && memchr("#^/!&>=", s[b], 7))
		tag->sigil = s[b++];
	if (tag->sigil == '>' || tag->sigil == '=')
		return parse_error(p, start, "unsupported tag '{{%c': no partials or delimiter changes",
				   tag->sigil);
	while (b < e && isspace((unsigned char)s[b]))
		b++;
	while (e > b && isspace((unsigned char)s[e - 1]))
		e--;
	if (b == e && tag->sigil != '!')
		return parse_error(p, start, "empty tag name");
	tag->name = s + b;
	tag->name_len = e - b;
	return 0;
}

/* Mustache's standalone rule: when a block or comment tag is alone on its line
 * apart from spaces and tabs, the whole line goes, line ending included, so
 * [*text_end, *next) is dropped. */
static void standalone(const struct parser *p, size_t text_start, const struct tag *tag,
		       size_t *text_end, size_t *next)
{
	const char *s = p->tmpl;
	size_t b = tag->start, e = tag->end;

	while (b > text_start && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	if (b > 0 && s[b - 1] != '\n')
		return;
	while (e < p->len && (s[e] == ' ' || s[e] == '\t'))
		e++;
	if (e < p->len && s[e] == '\n')
		e++;
	else if (e + 1 < p->len && s[e] == '\r' && s[e + 1] == '\n')
		e += 2;
	else if (e < p->len)
		return;
	*text_end = b;
	*next = e;
}

static int add_tag(struct parser *p, const struct tag *t)
{
	struct node *section;

	switch (t->sigil) {
	case '!':
		return 0;
	case '#':
	case '^':
		if (p->depth == MAX_DEPTH)
			return parse_error(p, t->start, "sections nested deeper than %d", MAX_DEPTH);
		p->open[p->depth++] = p->count;
		return push_node(p, t->sigil == '#' ? NODE_SECTION : NODE_INVERTED, t->name,
				 t->name_len, t->start);
	case '/':
		if (p->depth == 0)
			return parse_error(p, t->start, "unexpected closing tag '/%.*s'",
					   (int)t->name_len, t->name);
		section = &p->nodes[p->open[p->depth - 1]];
		if (section->len != t->name_len || memcmp(section->str, t->name, t->name_len))
			return parse_error(p, t->start,
					   "mismatched closing tag '/%.*s' for section '%.*s'",
					   (int)t->name_len, t->name, (int)section->len,
					   section->str);
		section->end = p->count;
		p->depth--;
		return 0;
	case '&':
	case '{':
		return push_node(p, NODE_RAW, t->name, t->name_len, t->start);
	default:
		return push_node(p, NODE_VAR, t->name, t->name_len, t->start);
	}
}

/* `pos` is always where pending text starts: just past the previous tag, or
 * past its line when that line was standalone. */
static int parse(struct parser *p)
{
	size_t pos = 0;
	int error = 0;

	while (!error && pos < p->len) {
		const char *open = find(p->tmpl + pos, p->len - pos, "{{");
		struct tag tag = {.start = open ? (size_t)(open - p->tmpl) : p->len};
		size_t text_end = tag.start, next;

		if (open && (error = scan_tag(p, tag.start, &tag)) < 0)
			break;
		next = open ? tag.end : p->len;
		if (tag.sigil && memchr("#^/!", tag.sigil, 4))
			standalone(p, pos, &tag, &text_end, &next);
		if (text_end > pos)
			error = push_node(p, NODE_TEXT, p->tmpl + pos, text_end - pos, pos);
		if (!error && open)
			error = add_tag(p, &tag);
		pos = next;
	}
	if (!error && p->depth > 0) {
		const struct node *n = &p->nodes[p->open[p->depth - 1]];
		error = parse_error(p, n->offset, "unclosed section '%.*s'", (int)n->len, n->str);
	}
	return error;
}

/* ---- rendering ---- */

struct renderer {
	const struct node *nodes;
	enum rlp_escape escape;
	const struct rlp_json *stack[MAX_DEPTH + 1]; /* the view, then one per open section */
	size_t depth;
	struct rlp_buf out;
};

/* Compared by hand rather than with rlp_json_get() so lookups are exact
 * (Mustache names are case-sensitive) whatever cJSON call json.c uses. */
static const struct rlp_json *member(const struct rlp_json *object, const char *name, size_t len)
{
	if (!rlp_json_is_object(object))
		return NULL;
	for (const struct rlp_json *m = rlp_json_first(object); m; m = rlp_json_next(m)) {
		const char *key = rlp_json_key(m);
		if (key && strlen(key) == len && memcmp(key, name, len) == 0)
			return m;
	}
	return NULL;
}

/* Mustache's rule: the first component is searched from the innermost context
 * outward; the rest descend from wherever it was found, without searching. */
static const struct rlp_json *lookup(const struct renderer *r, const char *name, size_t len)
{
	const char *end = name + len, *dot = memchr(name, '.', len);
	const struct rlp_json *v = NULL;

	if (len == 1 && name[0] == '.')
		return r->stack[r->depth - 1];
	for (size_t i = r->depth; i-- > 0 && !v;)
		v = member(r->stack[i], name, dot ? (size_t)(dot - name) : len);
	while (v && dot) {
		const char *part = dot + 1;
		dot = memchr(part, '.', (size_t)(end - part));
		v = member(v, part, (size_t)((dot ? dot : end) - part));
	}
	return v;
}

static const char *replacement(enum rlp_escape mode, const char *c)
{
	static const char *const html[256] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;"};
	static const char *const markdown[256] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['|'] = "\\|", ['\n'] = " ", ['\r'] = " "};

	if (mode == RLP_ESCAPE_HTML)
		return html[(unsigned char)*c];
	if (mode != RLP_ESCAPE_MARKDOWN)
		return NULL;
	return c[0] == '\r' && c[1] == '\n' ? "" : markdown[(unsigned char)*c]; /* CRLF: one space */
}

static int put_escaped(struct renderer *r, const char *s, enum rlp_escape mode)
{
	const char *run = s;
	int error = 0;

	for (; *s && !error; s++) {
		const char *rep = replacement(mode, s);
		if (!rep)
			continue;
		if ((error = rlp_buf_put(&r->out, run, (size_t)(s - run))) == 0)
			error = rlp_buf_puts(&r->out, rep);
		run = s + 1;
	}
	return error ? error : rlp_buf_put(&r->out, run, (size_t)(s - run));
}

/* Integers a double holds exactly print as integers; anything else prints in
 * the shortest of %.15g, %.16g and %.17g that reads back as the same double. */
static void format_number(char *buf, size_t size, double x)
{
	if (x == floor(x) && fabs(x) <= 0x1p53) {
		snprintf(buf, size, "%.0f", x == 0 ? 0.0 : x); /* never "-0" */
		return;
	}
	for (int precision = 15; precision <= 17; precision++) {
		snprintf(buf, size, "%.*g", precision, x);
		if (strtod(buf, NULL) == x)
			break;
	}
}

static int put_value(struct renderer *r, const struct rlp_json *v, enum rlp_escape mode)
{
	char number[40];

	if (rlp_json_is_string(v))
		return put_escaped(r, rlp_json_string(v), mode);
	if (rlp_json_is_bool(v))
		return rlp_buf_puts(&r->out, rlp_json_is_true(v) ? "true" : "false");
	if (rlp_json_is_number(v)) {
		format_number(number, sizeof(number), rlp_json_number(v));
		return rlp_buf_puts(&r->out, number);
	}
	return 0; /* null, missing, objects and arrays print nothing */
}

static bool truthy(const struct rlp_json *v)
{
	return rlp_json_is_array(v)  ? rlp_json_size(v) > 0
	     : rlp_json_is_bool(v)   ? rlp_json_is_true(v)
	     : rlp_json_is_string(v) ? rlp_json_string(v)[0] != '\0'
	     : rlp_json_is_number(v) ? rlp_json_number(v) != 0
	     : rlp_json_is_object(v);
}

static int render(struct renderer *r, size_t begin, size_t end)
{
	int error = 0;

	for (size_t i = begin; i < end && !error;) {
		const struct node *n = &r->nodes[i];
		const struct rlp_json *v = n->kind == NODE_TEXT ? NULL : lookup(r, n->str, n->len);

		switch (n->kind) {
		case NODE_TEXT:
			error = rlp_buf_put(&r->out, n->str, n->len);
			break;
		case NODE_VAR:
		case NODE_RAW:
			error = put_value(r, v, n->kind == NODE_RAW ? RLP_ESCAPE_NONE : r->escape);
			break;
		case NODE_SECTION: {
			/* an array renders once per item, another truthy value once;
			 * each is pushed as the context (depth <= MAX_DEPTH + 1) */
			bool list = rlp_json_is_array(v);
			const struct rlp_json *item = list ? rlp_json_first(v) : truthy(v) ? v : NULL;

			r->depth++;
			for (; item && !error; item = list ? rlp_json_next(item) : NULL) {
				r->stack[r->depth - 1] = item;
				error = render(r, i + 1, n->end);
			}
			r->depth--;
			break;
		}
		case NODE_INVERTED:
			if (!truthy(v))
				error = render(r, i + 1, n->end);
			break;
		}
		i = n->kind == NODE_SECTION || n->kind == NODE_INVERTED ? n->end : i + 1;
	}
	return error;
}

int rlp_template_render(char **out, size_t *out_len, const char *tmpl, size_t len,
			const struct rlp_json *view, enum rlp_escape escape, const char *name)
{
	struct parser p = {.tmpl = tmpl ? tmpl : "", .len = tmpl ? len : 0,
			   .name = name ? name : "template"};
	struct renderer r = {.escape = escape, .out = RLP_BUF_INIT};
	int error;

	*out = NULL;
	if (out_len)
		*out_len = 0;
	/* also keeps every name length a valid %.*s precision */
	if (len > MAX_OUTPUT)
		return rlp_error_set(RLP_EINVALID, "%s: template larger than %zu bytes", p.name,
				     MAX_OUTPUT);
	if ((error = parse(&p)) < 0)
		goto done;
	r.nodes = p.nodes;
	r.stack[r.depth++] = view;
	r.out.max = MAX_OUTPUT;
	if ((error = render(&r, 0, p.count)) < 0) {
		rlp_error_wrap(error, "%s", p.name);
		goto done;
	}
	if (out_len)
		*out_len = r.out.len;
	if ((error = rlp_buf_detach(out, &r.out)) < 0 && out_len)
		*out_len = 0;
done:
	rlp_buf_free(&r.out);
	free(p.nodes);
	return error;
}

/* ---- loading ---- */

int rlp_template_load(char **out, size_t *out_len, const char *file)
{
	const char *dirs[3];
	size_t ndirs = 0;
	const char *env = getenv("RLPROMOTE_TEMPLATE_DIR");
	char path[4096], searched[1024] = "";
	int error = RLP_ENOTFOUND;

	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!file || !*file || *file == '.' || strchr(file, '/'))
		return rlp_error_set(RLP_EINVALID, "invalid template name '%s'", file ? file : "");
	if (env && *env)
		dirs[ndirs++] = env;
#ifdef RLP_TEMPLATE_DIR
	dirs[ndirs++] = RLP_TEMPLATE_DIR;
#endif
#ifdef RLP_SOURCE_TEMPLATE_DIR
	dirs[ndirs++] = RLP_SOURCE_TEMPLATE_DIR;
#endif
	/* Only a missing file falls through to the next directory: a template
	 * that is there but unreadable or too large is an error worth seeing. */
	for (size_t i = 0; i < ndirs && error == RLP_ENOTFOUND; i++) {
		size_t used = strlen(searched);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dirs[i], file) >= sizeof(path))
			return rlp_error_set(RLP_EINVALID, "template path '%s/%s' too long", dirs[i],
					     file);
		snprintf(searched + used, sizeof(searched) - used, "%s%s", used ? ", " : "", dirs[i]);
		error = rlp_read_file(out, out_len, path, MAX_TEMPLATE_FILE);
	}
	if (error == RLP_ENOTFOUND)
		return rlp_error_set(RLP_ENOTFOUND, "template '%s' not found in %s", file,
				     ndirs ? searched : "any template directory");
	return error;
}
