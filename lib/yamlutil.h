/*
 * The low-level YAML pieces the policy and the environment spec share: an
 * emitter writing into a buffer with the scalar, key and collection helpers
 * both normalized forms are written with, and reader helpers that behave
 * the same in both parsers. Each keeps its own tree and messages. Not part
 * of the public API.
 */
#ifndef RLP_YAMLUTIL_H
#define RLP_YAMLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "buf.h"

#define YAMLU_SHOW_MAX 72

/* `user` safe to print: control bytes replaced, long text shortened
 * without cutting a UTF-8 sequence in half. */
const char *yamlu_show(char buf[YAMLU_SHOW_MAX], const char *user);
/* YAML 1.2 core decimal syntax: [+-]digits[.digits][(e|E)[+-]digits], at
 * least one digit before the exponent; no ".inf", ".nan" or hexadecimal. */
bool yamlu_decimal_syntax(const char *s);
/* *dup: the index of the first name (in order) that repeats an earlier
 * one, or n; *first: the earlier one's index. Sorting keeps this fast on
 * hostile input. -1 when out of memory, with no message set: the caller
 * decides what that means. */
int yamlu_find_duplicate(const char *const *names, size_t n, size_t *dup, size_t *first);

struct yamlu_emitter {
	yaml_emitter_t y;
	struct rlp_buf out;
	bool failed;    /* sticky: later calls do nothing */
	bool bad_event; /* an event could not be made: out of memory or text not UTF-8 */
};

/* Start a UTF-8 stream and its document, lines never wrapped, written into
 * e->out of at most `max` bytes (see struct rlp_buf). -1 when libyaml cannot
 * set up the emitter (nothing to free then). */
int yamlu_emitter_begin(struct yamlu_emitter *e, size_t max);
/* End the document and the stream, and flush; then check e->failed. */
void yamlu_emitter_end(struct yamlu_emitter *e);

void yamlu_scalar(struct yamlu_emitter *e, const char *text, yaml_scalar_style_t style);
/* Quoted when another YAML reader could take it for a number, bool, null or
 * timestamp; our parsers read plain and quoted strings alike. */
void yamlu_string(struct yamlu_emitter *e, const char *text);
/* The shortest text that reads back as the same double. */
void yamlu_number(struct yamlu_emitter *e, double x);
void yamlu_mapping_start(struct yamlu_emitter *e, bool flow);
void yamlu_mapping_end(struct yamlu_emitter *e);
void yamlu_sequence_start(struct yamlu_emitter *e, bool flow);
void yamlu_sequence_end(struct yamlu_emitter *e);

void yamlu_key(struct yamlu_emitter *e, const char *name);
/* Nothing at all when `value` is NULL. */
void yamlu_key_string(struct yamlu_emitter *e, const char *name, const char *value);
void yamlu_key_plain(struct yamlu_emitter *e, const char *name, const char *value);
void yamlu_key_number(struct yamlu_emitter *e, const char *name, double value);

#endif
