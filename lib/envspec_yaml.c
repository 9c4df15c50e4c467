/*
 * The environment spec as a YAML tree, and the typed value readers the
 * schema (envspec.c) goes through. Anchors, aliases, tags, NUL bytes and
 * oversized or deeply nested input are refused with located messages.
 */
#include "envspec_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "error.h"
#include "yamlutil.h"

/* Far beyond any real spec; bounds recursion and memory on hostile input. */
#define MAX_DEPTH 16
#define MAX_NODES 50000

struct loader {
	const struct es_ctx *c;
	yaml_parser_t parser;
	size_t nodes;
};

int es_fail(const struct es_ctx *c, const struct es_node *at, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rlp_error_set(RLP_EINVALID, "%s:%zu:%zu: %s", c->name, at->line, at->col, msg);
}

int es_nomem(void)
{
	return rlp_error_set(RLP_ENOMEM, "out of memory");
}

bool es_is_null(const struct es_node *n)
{
	return n->type == ES_SCALAR && n->plain &&
	       (!n->text[0] || !strcmp(n->text, "~") || !strcasecmp(n->text, "null"));
}

const char *es_describe(char buf[ES_SHOW_MAX + 24], const struct es_node *n)
{
	char shown[ES_SHOW_MAX];

	if (n->type != ES_SCALAR)
		return n->type == ES_SEQ ? "a list" : "a mapping";
	if (es_is_null(n))
		return "null";
	snprintf(buf, ES_SHOW_MAX + 24, "%s'%s'", n->plain ? "" : "quoted string ",
		 yamlu_show(shown, n->text));
	return buf;
}

void es_node_free(struct es_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nitems; i++)
		es_node_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	const struct es_ctx *c = l->c;
	const yaml_parser_t *p = &l->parser;
	struct es_node at;

	if (yaml_parser_parse(&l->parser, ev))
		return 0;
	at.line = p->problem_mark.line + 1;
	at.col = p->problem_mark.column + 1;
	if (p->error == YAML_MEMORY_ERROR)
		return es_nomem();
	if (p->error == YAML_READER_ERROR) /* carries an offset, not a mark */
		return rlp_error_set(RLP_EINVALID, "%s: invalid YAML: %s at byte %zu", c->name,
				     p->problem ? p->problem : "bad input", p->problem_offset);
	return es_fail(c, &at, "invalid YAML: %s%s%s%s", p->problem ? p->problem : "syntax error",
		    p->context ? " (" : "", p->context ? p->context : "", p->context ? ")" : "");
}

/* Build the node that starts with `ev` (which the caller deletes). */
static int load_node(struct loader *l, const yaml_event_t *ev, int depth, struct es_node **out)
{
	const struct es_ctx *c = l->c;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	yaml_event_type_t end = YAML_NO_EVENT;
	struct es_node *n = calloc(1, sizeof(*n)), *child = NULL;
	char shown[ES_SHOW_MAX];
	yaml_event_t next;
	size_t cap = 0;
	int err = 0;

	*out = NULL;
	if (!n)
		return es_nomem();
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	if (++l->nodes > MAX_NODES) {
		err = es_fail(c, n, "spec has more than %d YAML nodes", MAX_NODES);
		goto done;
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		err = es_fail(c, n, "aliases are not allowed (found alias '*%s')",
			   yamlu_show(shown, (const char *)ev->data.alias.anchor));
		goto done;
	} else if (ev->type == YAML_SCALAR_EVENT) {
		n->type = ES_SCALAR;
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		n->type = ES_SEQ;
		end = YAML_SEQUENCE_END_EVENT;
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else {
		n->type = ES_MAP;
		end = YAML_MAPPING_END_EVENT;
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (anchor || tag) {
		err = es_fail(c, n, anchor ? "aliases are not allowed (found anchor '&%s')"
					: "tags are not allowed (found '%s')",
			   yamlu_show(shown, (const char *)(anchor ? anchor : tag)));
		goto done;
	}
	if (n->type == ES_SCALAR) {
		const char *value = (const char *)ev->data.scalar.value;
		if (strlen(value) != ev->data.scalar.length)
			err = es_fail(c, n, "NUL characters are not allowed in strings");
		else if (!(n->text = strdup(value)))
			err = es_nomem();
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		goto done;
	}
	if (depth >= MAX_DEPTH) {
		err = es_fail(c, n, "nesting is deeper than %d levels", MAX_DEPTH);
		goto done;
	}
	while ((err = next_event(l, &next)) == 0) {
		if (next.type == end) {
			yaml_event_delete(&next);
			break;
		}
		if (n->nitems == cap) {
			struct es_node **grown;
			cap = cap ? 2 * cap : 8;
			grown = realloc(n->items, cap * sizeof(*grown));
			if (!grown) {
				yaml_event_delete(&next);
				err = es_nomem();
				break;
			}
			n->items = grown;
		}
		err = load_node(l, &next, depth + 1, &child);
		yaml_event_delete(&next);
		if (err < 0)
			break;
		n->items[n->nitems++] = child;
	}
done:
	if (err < 0) {
		es_node_free(n);
		return err;
	}
	*out = n;
	return 0;
}

static int load_tree(struct loader *l, struct es_node **out)
{
	const struct es_ctx *c = l->c;
	struct es_node start = {.line = 1, .col = 1};
	yaml_event_t ev;
	int err;

	*out = NULL;
	for (int i = 0; i < 3; i++) { /* stream start, document start, root */
		if ((err = next_event(l, &ev)) < 0)
			return err;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return es_fail(c, &start, "empty environment spec");
		}
		if (i == 2)
			err = load_node(l, &ev, 0, out);
		yaml_event_delete(&ev);
	}
	for (int i = 0; err == 0 && i < 2; i++) { /* document end, stream end */
		if ((err = next_event(l, &ev)) < 0)
			break;
		start.line = ev.start_mark.line + 1;
		start.col = ev.start_mark.column + 1;
		if (i == 1 && ev.type != YAML_STREAM_END_EVENT)
			err = es_fail(c, &start, "expected a single YAML document");
		yaml_event_delete(&ev);
	}
	if (err < 0) {
		es_node_free(*out);
		*out = NULL;
	}
	return err;
}

const struct es_node *es_map_get(const struct es_node *map, const char *key)
{
	for (size_t i = 0; map->type == ES_MAP && i + 1 < map->nitems; i += 2)
		if (map->items[i]->type == ES_SCALAR && !strcmp(map->items[i]->text, key))
			return map->items[i + 1];
	return NULL;
}

int es_find_duplicate(const char *const *names, size_t n, size_t *dup, size_t *first)
{
	return yamlu_find_duplicate(names, n, dup, first) < 0 ? es_nomem() : 0;
}

static void join(char *buf, size_t size, const char *const *names)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
}

/* A mapping whose keys are strings, unique and (when `allowed`) known. */
int es_check_map(const struct es_ctx *c, const struct es_node *map, const char *what,
		     const char *const *allowed)
{
	const char *prefix = what ? what : "", *sep = what ? ": " : "";
	char desc[ES_SHOW_MAX + 24], shown[ES_SHOW_MAX], list[300];
	const char **names = NULL;
	size_t n = map->nitems / 2, dup = 0, first = 0;
	int err = 0;

	if (map->type != ES_MAP)
		return es_fail(c, map, "%s%sexpected a mapping, got %s", prefix, sep,
			       es_describe(desc, map));
	if (!(names = calloc(n + 1, sizeof(*names))))
		return es_nomem();
	for (size_t i = 0; i < n && !err; i++) {
		const struct es_node *key = map->items[2 * i];
		size_t k;
		if (key->type != ES_SCALAR) {
			err = es_fail(c, key, "%s%sexpected a string as key, got %s", prefix, sep,
				   es_describe(desc, key));
			break;
		}
		names[i] = key->text;
		for (k = 0; allowed && allowed[k] && strcmp(allowed[k], key->text); k++)
			;
		if (allowed && !allowed[k]) {
			join(list, sizeof(list), allowed);
			err = es_fail(c, key, "%s%sunknown key '%s' (expected %s)", prefix, sep,
				   yamlu_show(shown, key->text), list);
		}
	}
	if (!err && (err = es_find_duplicate(names, n, &dup, &first)) == 0 && dup < n)
		err = es_fail(c, map->items[2 * dup], "%s%sduplicate key '%s' (first at %zu:%zu)", prefix,
			   sep, yamlu_show(shown, names[dup]), map->items[2 * first]->line,
			   map->items[2 * first]->col);
	free(names);
	return err;
}

int es_string(const struct es_ctx *c, const struct es_node *v, const char *what, char **out)
{
	char desc[ES_SHOW_MAX + 24];

	if (v->type != ES_SCALAR || es_is_null(v))
		return es_fail(c, v, "%s: expected a string, got %s", what, es_describe(desc, v));
	return (*out = strdup(v->text)) ? 0 : es_nomem();
}

/* YAML 1.2 core decimal syntax, finite. */
bool es_number(const struct es_node *v, double *out)
{
	char *end;

	if (v->type != ES_SCALAR || !v->plain || !yamlu_decimal_syntax(v->text))
		return false;
	errno = 0;
	*out = strtod(v->text, &end);
	if (errno == ERANGE && (*out > 1 || *out < -1))
		return false;
	if (*out == 0)
		*out = 0; /* no -0 */
	return true;
}

/* A decimal integer without sign or leading zeros (YAML 1.1 reads "010" as 8). */
bool es_unsigned(const struct es_node *v, uint64_t *out)
{
	const char *s = v->text;
	char *end;

	if (v->type != ES_SCALAR || !v->plain || !*s || strspn(s, "0123456789") != strlen(s) ||
	    (s[0] == '0' && s[1]))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0;
}

int es_bool(const struct es_ctx *c, const struct es_node *v, const char *what, bool *out)
{
	char desc[ES_SHOW_MAX + 24];

	if (v->type == ES_SCALAR && v->plain &&
	    (!strcmp(v->text, "true") || !strcmp(v->text, "false"))) {
		*out = v->text[0] == 't';
		return 0;
	}
	return es_fail(c, v, "%s: expected true or false, got %s", what, es_describe(desc, v));
}

int es_load_tree(const struct es_ctx *c, const char *buf, size_t len, struct es_node **out)
{
	struct loader l = {.c = c};
	int err;

	*out = NULL;
	if (!yaml_parser_initialize(&l.parser))
		return es_nomem();
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)(buf ? buf : ""), buf ? len : 0);
	err = load_tree(&l, out);
	yaml_parser_delete(&l.parser);
	return err;
}
