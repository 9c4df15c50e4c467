/*
 * Private to lib/results*.c: the per-id storage behind struct rlp_results.
 * The reader (results.c) turns lines into records; the store keeps, per
 * distinct id, only what the spec asks for.
 */
#ifndef RLP_RESULTS_STORE_H
#define RLP_RESULTS_STORE_H

#include "results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* results_store_add(): this id+epoch was read before. Not an RLP_E* code:
 * the reader turns it into a located message. */
#define RESULTS_DUPLICATE 1

/* Largest epoch accepted: every integer up to it is exact in a double. */
#define RESULTS_MAX_EPOCH 9007199254740992.0

/* One record as the reader extracted it. Strings need only live during the
 * call; the store copies what it keeps. */
struct results_record {
	const char *id;
	size_t id_len;
	uint64_t id_hash; /* results_hash(id, id_len) */
	uint64_t epoch;
	const char *cluster;         /* NULL: the record names none */
	const uint64_t *tags;        /* bit t: the record carries spec tag t */
	const double *values;        /* per spec metric, meaningful where has[m] */
	const unsigned char *has;
};

/* Hash for ids and names: keyed per process, so crafted ids cannot be
 * chosen to collide. */
uint64_t results_hash(const char *s, size_t len);

/* Copies s into buf (size >= 8) for a message: control bytes become '?', and
 * a long string is cut at a character boundary and ends in "...". */
void results_quote(char *buf, size_t size, const char *s);

/* A store for ntags tags and nmetrics metrics; alias[i] is the first spec
 * index with the same name as i (duplicates share storage). Copies both. */
int results_store_new(struct rlp_results **out, size_t ntags, const uint32_t *tag_alias,
		      size_t nmetrics, const uint32_t *metric_alias);
/* Adds a record: 0; RESULTS_DUPLICATE with *dup = the id's index; or an
 * RLP_E* code with an unlocated message (the reader prefixes name:line). */
int results_store_add(struct rlp_results *r, const struct results_record *rec, size_t *dup);
/* Hint that id_hash is looked up soon: the table is far bigger than the
 * caches, and the rest of the record is parsed meanwhile. */
void results_store_prefetch(const struct rlp_results *r, uint64_t id_hash);
/* Called once after the last record: computes per-metric summaries. */
void results_store_finish(struct rlp_results *r);

#endif
