/*
 * Internals of the environment spec parser, shared by envspec_yaml.c (the
 * YAML tree and typed value readers), envspec.c (the schema) and
 * envspec_emit.c (the normalized form). Not part of the public API.
 */
#ifndef RLP_ENVSPEC_INTERNAL_H
#define RLP_ENVSPEC_INTERNAL_H

#include "envspec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yamlutil.h"

#define ES_SHOW_MAX YAMLU_SHOW_MAX

/* The document as a plain tree, built from libyaml events so that anchors,
 * aliases and tags are refused where they appear. */
enum es_node_type { ES_SCALAR, ES_SEQ, ES_MAP };

struct es_node {
	enum es_node_type type;
	char *text;             /* scalars: NUL-terminated, no NUL inside */
	bool plain;             /* written without quotes */
	struct es_node **items; /* sequence elements; mapping: key, value, key, value... */
	size_t nitems;
	size_t line, col;       /* 1-based */
};

struct es_ctx {
	const char *name;         /* the spec's name in messages */
	struct rlp_envspec *spec; /* being filled */
};

/* "<name>:<line>:<col>: <message>"; returns RLP_EINVALID. */
int es_fail(const struct es_ctx *c, const struct es_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int es_nomem(void);
/* "a list", "a mapping", "null", "'text'" or "quoted string 'text'". */
const char *es_describe(char buf[ES_SHOW_MAX + 24], const struct es_node *n);

int es_load_tree(const struct es_ctx *c, const char *buf, size_t len, struct es_node **out);
void es_node_free(struct es_node *n);

bool es_is_null(const struct es_node *n);
const struct es_node *es_map_get(const struct es_node *map, const char *key);
/* `map` is a mapping with string keys, no duplicates and, when `allowed`
 * (NULL-terminated) is given, none other. `what` prefixes messages. */
int es_check_map(const struct es_ctx *c, const struct es_node *map, const char *what,
		 const char *const *allowed);
/* yamlu_find_duplicate(), out of memory reported. */
int es_find_duplicate(const char *const *names, size_t n, size_t *dup, size_t *first);

int es_string(const struct es_ctx *c, const struct es_node *v, const char *what, char **out);
int es_bool(const struct es_ctx *c, const struct es_node *v, const char *what, bool *out);
/* YAML 1.2 core decimal syntax, finite; -0 reads as 0. */
bool es_number(const struct es_node *v, double *out);
/* Decimal digits without sign or leading zeros, within 64 bits. */
bool es_unsigned(const struct es_node *v, uint64_t *out);

#endif
