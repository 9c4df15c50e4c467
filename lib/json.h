/*
 * The one door to cJSON: only lib/json.c includes <cjson/cJSON.h>. It hides
 * cJSON's quirks (print buffers freed with cJSON_free, global allocation hooks,
 * non-finite numbers printed as null) behind a small typed API.
 */
#ifndef RLP_JSON_H
#define RLP_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct rlp_json; /* a cJSON node; never dereferenced outside json.c */

/* Parsing. `*error_offset` (may be NULL) receives the byte offset of a syntax
 * error. Numbers that overflow to +/-inf parse as numbers: check with
 * rlp_json_is_finite_number(). Returns NULL on error or allocation failure.
 * One value is accepted, then only JSON whitespace: trailing data and NUL
 * bytes anywhere are syntax errors. On failure the message is set:
 * RLP_EINVALID "invalid JSON at byte N" (N = offset + 1), or RLP_ENOMEM with
 * `*error_offset` = SIZE_MAX (allocation failure or arena limit). */
struct rlp_json *rlp_json_parse(const char *buf, size_t len, size_t *error_offset);
void rlp_json_free(struct rlp_json *json);

/* A per-thread bump arena for parsing many small documents fast: while an
 * arena is in use on this thread, nodes come from it and rlp_json_free() is a
 * no-op; rlp_json_arena_reset() releases them all at once (keeping the first
 * block). Never mix nodes from inside and outside an arena: a malloc'd tree
 * freed while an arena is in use leaks, an arena tree freed outside one is a
 * double free. block_size 0 picks a default (64 KiB). An arena belongs to
 * the thread using it; rlp_json_arena_free() of the arena in use stops using it. */
struct rlp_json_arena;
struct rlp_json_arena *rlp_json_arena_new(size_t block_size);
void rlp_json_arena_free(struct rlp_json_arena *arena);
void rlp_json_arena_use(struct rlp_json_arena *arena); /* NULL: back to malloc */
void rlp_json_arena_reset(struct rlp_json_arena *arena);
/* Cap the bytes an arena holds (0, the default: no cap), so one hostile
 * document ("[0,0,0,...]" costs ~30 bytes of nodes per input byte) cannot
 * exhaust memory: past it, parsing fails as an allocation failure with the
 * message "JSON needs more than N bytes of memory to parse". */
void rlp_json_arena_set_limit(struct rlp_json_arena *arena, size_t max_bytes);

/* Reading. All accept NULL and then answer false/NULL/NaN. */
bool rlp_json_is_object(const struct rlp_json *j);
bool rlp_json_is_array(const struct rlp_json *j);
bool rlp_json_is_string(const struct rlp_json *j);
bool rlp_json_is_number(const struct rlp_json *j);
bool rlp_json_is_finite_number(const struct rlp_json *j);
bool rlp_json_is_bool(const struct rlp_json *j);
bool rlp_json_is_true(const struct rlp_json *j);
bool rlp_json_is_null(const struct rlp_json *j);
struct rlp_json *rlp_json_get(const struct rlp_json *object, const char *key);
const char *rlp_json_string(const struct rlp_json *j);
double rlp_json_number(const struct rlp_json *j);
/* Children of an object or array, in order: for (c = first(j); c; c = next(c)). */
struct rlp_json *rlp_json_first(const struct rlp_json *j);
struct rlp_json *rlp_json_next(const struct rlp_json *j);
const char *rlp_json_key(const struct rlp_json *member); /* member name in an object */
size_t rlp_json_size(const struct rlp_json *j);

/* Pick the members of `object` named in `names` (NULL-terminated) into
 * out[i] (NULL when absent). Returns 0, or -1 with *duplicate naming a
 * member that appears twice (hostile input does that; the first would win). */
int rlp_json_pick(const struct rlp_json *object, const char *const *names,
		  const struct rlp_json **out, const char **duplicate);

/* Building. Each returns the new node (owned by the container) or NULL on
 * allocation failure; a NULL container is passed through as NULL so a chain
 * of adds needs one check at the end. Non-finite numbers are added as null. */
struct rlp_json *rlp_json_new_object(void);
struct rlp_json *rlp_json_new_array(void);
struct rlp_json *rlp_json_add_object(struct rlp_json *object, const char *key);
struct rlp_json *rlp_json_add_array(struct rlp_json *object, const char *key);
struct rlp_json *rlp_json_add_string(struct rlp_json *object, const char *key, const char *value);
struct rlp_json *rlp_json_add_number(struct rlp_json *object, const char *key, double value);
struct rlp_json *rlp_json_add_bool(struct rlp_json *object, const char *key, bool value);
struct rlp_json *rlp_json_add_null(struct rlp_json *object, const char *key);
/* Append to an array: a fresh object/array, a string or a number. */
struct rlp_json *rlp_json_push_object(struct rlp_json *array);
struct rlp_json *rlp_json_push_string(struct rlp_json *array, const char *value);
struct rlp_json *rlp_json_push_number(struct rlp_json *array, double value);

/* Serialize; the result is malloc'd (free with free()), NULL on failure.
 * `pretty` indents with tabs as cJSON does. Printing never allocates in an
 * arena: one in use on this thread is suspended while printing, so it works
 * (and the result outlives resets) whether or not an arena is in use. */
char *rlp_json_print(const struct rlp_json *j, bool pretty);
/* The same with a trailing newline: a file's whole content. */
char *rlp_json_print_line(const struct rlp_json *j, bool pretty);

#endif
