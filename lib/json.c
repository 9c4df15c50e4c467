/*
 * The one file that includes cJSON (see json.h).
 *
 * cJSON's allocation hooks are process-global, so they are installed once and
 * dispatch on a thread-local arena pointer: with an arena in use on this
 * thread, allocations are bumped out of it and frees are no-ops; otherwise
 * they are plain malloc/free. Threads never share an arena.
 */
#include "json.h"

#include "error.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_DEFAULT_BLOCK (64u << 10)
#define ARENA_ALIGN alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t size; /* usable bytes in data[] */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct rlp_json_arena {
	struct arena_block *first; /* kept across resets */
	struct arena_block *cur;   /* allocations come from here */
	size_t block_size;
	size_t limit; /* bytes of blocks at most, 0: none */
	size_t total; /* bytes of blocks now */
};

static _Thread_local struct rlp_json_arena *current_arena;
/* Set when an allocation hook failed, so a NULL from cJSON's parser can be told
 * apart from a syntax error, and whether an arena's limit was the cause. */
static _Thread_local bool allocation_failed;
static _Thread_local size_t limit_failed;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b = NULL;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

static void *arena_alloc(struct rlp_json_arena *a, size_t n)
{
	struct arena_block *b = a->cur;
	void *p = NULL;

	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (b->size - b->used < n) {
		/* A request larger than a block gets a block of its own. */
		size_t size = n > a->block_size ? n : a->block_size;

		if (a->limit && (size > a->limit || a->total > a->limit - size)) {
			limit_failed = a->limit;
			return NULL;
		}
		b = block_new(size);
		if (!b)
			return NULL;
		a->total += size;
		b->next = a->cur->next;
		a->cur->next = b;
		a->cur = b;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

static void *hook_malloc(size_t n)
{
	struct rlp_json_arena *a = current_arena;
	void *p = a ? arena_alloc(a, n) : malloc(n);

	if (!p)
		allocation_failed = true;
	return p;
}

static void hook_free(void *p)
{
	if (!current_arena)
		free(p);
}

static void install_hooks(void)
{
	cJSON_Hooks hooks = { .malloc_fn = hook_malloc, .free_fn = hook_free };

	cJSON_InitHooks(&hooks);
}

static void ensure_hooks(void)
{
	pthread_once(&hooks_once, install_hooks);
}

struct rlp_json_arena *rlp_json_arena_new(size_t block_size)
{
	struct rlp_json_arena *a = NULL;

	if (block_size == 0)
		block_size = ARENA_DEFAULT_BLOCK;
	a = calloc(1, sizeof(*a));
	if (!a)
		goto fail;
	a->block_size = block_size;
	a->total = block_size;
	a->first = block_new(block_size);
	if (!a->first)
		goto fail;
	a->cur = a->first;
	return a;
fail:
	free(a);
	rlp_error_set(RLP_ENOMEM, "out of memory for a JSON arena");
	return NULL;
}

static void free_blocks(struct arena_block *b)
{
	while (b) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
}

void rlp_json_arena_free(struct rlp_json_arena *arena)
{
	if (!arena)
		return;
	if (current_arena == arena)
		current_arena = NULL;
	free_blocks(arena->first);
	free(arena);
}

void rlp_json_arena_use(struct rlp_json_arena *arena)
{
	ensure_hooks();
	current_arena = arena;
}

void rlp_json_arena_reset(struct rlp_json_arena *arena)
{
	if (!arena)
		return;
	free_blocks(arena->first->next);
	arena->first->next = NULL;
	arena->first->used = 0;
	arena->cur = arena->first;
	arena->total = arena->block_size;
}

void rlp_json_arena_set_limit(struct rlp_json_arena *arena, size_t max_bytes)
{
	if (arena)
		arena->limit = max_bytes;
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static struct rlp_json *parse_failed(size_t *error_offset, size_t offset)
{
	if (allocation_failed) {
		if (error_offset)
			*error_offset = SIZE_MAX;
		if (limit_failed)
			rlp_error_set(RLP_ENOMEM, "JSON needs more than %zu bytes of memory to parse",
				      limit_failed);
		else
			rlp_error_set(RLP_ENOMEM, "out of memory parsing JSON");
		return NULL;
	}
	if (error_offset)
		*error_offset = offset;
	rlp_error_set(RLP_EINVALID, "invalid JSON at byte %zu", offset + 1);
	return NULL;
}

struct rlp_json *rlp_json_parse(const char *buf, size_t len, size_t *error_offset)
{
	const char *end = NULL, *nul = NULL;
	cJSON *root = NULL;
	size_t pos;

	ensure_hooks();
	allocation_failed = false;
	limit_failed = 0;
	if (!buf || len == 0)
		return parse_failed(error_offset, 0);
	/* cJSON takes a NUL for whitespace and truncates strings at one. */
	nul = memchr(buf, '\0', len);
	if (nul)
		return parse_failed(error_offset, (size_t)(nul - buf));
	/* require_null_terminated cannot work on a length-bounded buffer, so the
	 * trailing bytes are checked here. */
	root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!root)
		return parse_failed(error_offset, end ? (size_t)(end - buf) : 0);
	for (pos = (size_t)(end - buf); pos < len && is_json_space(buf[pos]); pos++)
		;
	if (pos < len) {
		rlp_json_free((struct rlp_json *)root);
		return parse_failed(error_offset, pos);
	}
	return (struct rlp_json *)root;
}

void rlp_json_free(struct rlp_json *json)
{
	/* Arena nodes go with the arena; walking the tree would be wasted work. */
	if (!json || current_arena)
		return;
	cJSON_Delete((cJSON *)json);
}

/* Reading. */

#define C(j) ((const cJSON *)(j))

bool rlp_json_is_object(const struct rlp_json *j)
{
	return cJSON_IsObject(C(j));
}

bool rlp_json_is_array(const struct rlp_json *j)
{
	return cJSON_IsArray(C(j));
}

bool rlp_json_is_string(const struct rlp_json *j)
{
	return cJSON_IsString(C(j)) && C(j)->valuestring;
}

bool rlp_json_is_number(const struct rlp_json *j)
{
	return cJSON_IsNumber(C(j));
}

bool rlp_json_is_finite_number(const struct rlp_json *j)
{
	return cJSON_IsNumber(C(j)) && isfinite(C(j)->valuedouble);
}

bool rlp_json_is_bool(const struct rlp_json *j)
{
	return cJSON_IsBool(C(j));
}

bool rlp_json_is_true(const struct rlp_json *j)
{
	return cJSON_IsTrue(C(j));
}

bool rlp_json_is_null(const struct rlp_json *j)
{
	return cJSON_IsNull(C(j));
}

struct rlp_json *rlp_json_get(const struct rlp_json *object, const char *key)
{
	if (!cJSON_IsObject(C(object)) || !key)
		return NULL;
	return (struct rlp_json *)cJSON_GetObjectItemCaseSensitive(C(object), key);
}

const char *rlp_json_string(const struct rlp_json *j)
{
	return cJSON_IsString(C(j)) ? C(j)->valuestring : NULL;
}

double rlp_json_number(const struct rlp_json *j)
{
	return cJSON_IsNumber(C(j)) ? C(j)->valuedouble : NAN;
}

struct rlp_json *rlp_json_first(const struct rlp_json *j)
{
	if (!cJSON_IsObject(C(j)) && !cJSON_IsArray(C(j)))
		return NULL;
	return (struct rlp_json *)C(j)->child;
}

struct rlp_json *rlp_json_next(const struct rlp_json *j)
{
	return j ? (struct rlp_json *)C(j)->next : NULL;
}

const char *rlp_json_key(const struct rlp_json *member)
{
	return member ? C(member)->string : NULL;
}

size_t rlp_json_size(const struct rlp_json *j)
{
	const cJSON *c = NULL;
	size_t n = 0;

	if (!cJSON_IsObject(C(j)) && !cJSON_IsArray(C(j)))
		return 0;
	for (c = C(j)->child; c; c = c->next)
		n++;
	return n;
}

/* Building. */

#define J(j) ((cJSON *)(j))

struct rlp_json *rlp_json_new_object(void)
{
	ensure_hooks();
	return (struct rlp_json *)cJSON_CreateObject();
}

struct rlp_json *rlp_json_new_array(void)
{
	ensure_hooks();
	return (struct rlp_json *)cJSON_CreateArray();
}

/* Attach a fresh node to an object (key) or an array (key NULL); the node is
 * freed if it cannot be attached. */
static struct rlp_json *attach(struct rlp_json *container, const char *key, cJSON *node)
{
	bool ok;

	if (!node)
		return NULL;
	if (key)
		ok = cJSON_IsObject(J(container)) && cJSON_AddItemToObject(J(container), key, node);
	else
		ok = cJSON_IsArray(J(container)) && cJSON_AddItemToArray(J(container), node);
	if (!ok) {
		cJSON_Delete(node);
		return NULL;
	}
	return (struct rlp_json *)node;
}

static bool can_add(const struct rlp_json *object, const char *key)
{
	ensure_hooks();
	return key && cJSON_IsObject(C(object));
}

static bool can_push(const struct rlp_json *array)
{
	ensure_hooks();
	return cJSON_IsArray(C(array));
}

struct rlp_json *rlp_json_add_object(struct rlp_json *object, const char *key)
{
	return can_add(object, key) ? attach(object, key, cJSON_CreateObject()) : NULL;
}

struct rlp_json *rlp_json_add_array(struct rlp_json *object, const char *key)
{
	return can_add(object, key) ? attach(object, key, cJSON_CreateArray()) : NULL;
}

struct rlp_json *rlp_json_add_string(struct rlp_json *object, const char *key, const char *value)
{
	if (!can_add(object, key) || !value)
		return NULL;
	return attach(object, key, cJSON_CreateString(value));
}

static cJSON *create_number(double value)
{
	/* cJSON would print NaN/Inf as null anyway; make the tree say so too. */
	return isfinite(value) ? cJSON_CreateNumber(value) : cJSON_CreateNull();
}

struct rlp_json *rlp_json_add_number(struct rlp_json *object, const char *key, double value)
{
	return can_add(object, key) ? attach(object, key, create_number(value)) : NULL;
}

struct rlp_json *rlp_json_add_bool(struct rlp_json *object, const char *key, bool value)
{
	return can_add(object, key) ? attach(object, key, cJSON_CreateBool(value)) : NULL;
}

struct rlp_json *rlp_json_add_null(struct rlp_json *object, const char *key)
{
	return can_add(object, key) ? attach(object, key, cJSON_CreateNull()) : NULL;
}

struct rlp_json *rlp_json_push_object(struct rlp_json *array)
{
	return can_push(array) ? attach(array, NULL, cJSON_CreateObject()) : NULL;
}

struct rlp_json *rlp_json_push_string(struct rlp_json *array, const char *value)
{
	if (!can_push(array) || !value)
		return NULL;
	return attach(array, NULL, cJSON_CreateString(value));
}

struct rlp_json *rlp_json_push_number(struct rlp_json *array, double value)
{
	return can_push(array) ? attach(array, NULL, create_number(value)) : NULL;
}

static char *print_copy(const struct rlp_json *j, bool pretty, bool newline)
{
	struct rlp_json_arena *saved = current_arena;
	char *printed = NULL, *copy = NULL;
	size_t len;

	if (!j)
		return NULL;
	ensure_hooks();
	/* The print buffer must not land in an arena: suspend it meanwhile. */
	current_arena = NULL;
	printed = pretty ? cJSON_Print(C(j)) : cJSON_PrintUnformatted(C(j));
	if (!printed)
		goto done;
	len = strlen(printed);
	copy = malloc(len + 2);
	if (copy) {
		memcpy(copy, printed, len);
		if (newline)
			copy[len++] = '\n';
		copy[len] = '\0';
	}
done:
	cJSON_free(printed);
	current_arena = saved;
	if (!copy)
		rlp_error_set(RLP_ENOMEM, "out of memory printing JSON");
	return copy;
}

char *rlp_json_print(const struct rlp_json *j, bool pretty)
{
	return print_copy(j, pretty, false);
}

char *rlp_json_print_line(const struct rlp_json *j, bool pretty)
{
	return print_copy(j, pretty, true);
}

int rlp_json_pick(const struct rlp_json *object, const char *const *names,
		  const struct rlp_json **out, const char **duplicate)
{
	for (size_t k = 0; names[k]; k++)
		out[k] = NULL;
	for (const struct rlp_json *m = rlp_json_first(object); m; m = rlp_json_next(m))
		for (size_t k = 0; names[k]; k++) {
			if (strcmp(rlp_json_key(m), names[k]))
				continue;
			if (out[k]) {
				*duplicate = names[k];
				return -1;
			}
			out[k] = m;
		}
	return 0;
}
