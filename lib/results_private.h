/*
 * Private to lib/results*.c, the results reader in four parts:
 *   results.c        public reading API: records from lines, several files
 *                    on threads;
 *   results_lines.c  lines of a buffer or of a file read in chunks;
 *   results_store.c  per-id storage behind struct rlp_results, accessors;
 *   results_table.c  keyed hash, big-column memory, string interning, the
 *                    set of large epochs.
 */
#ifndef RLP_RESULTS_PRIVATE_H
#define RLP_RESULTS_PRIVATE_H

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
	const char *output;          /* NULL: none, or not asked for */
	size_t output_len;
	const uint64_t *tags;        /* bit t: the record carries spec tag t */
	const double *values;        /* per spec metric, meaningful where has[m] */
	const unsigned char *has;
};

/* Lines of a memory buffer (fd < 0) or of a file read in chunks. */
struct results_lines {
	const char *mem;
	size_t mem_len, pos;
	int fd;
	char *buf;
	size_t cap, start, end, scan;
	bool eof;
	size_t max_line, lineno;
	const struct rlp_progress *progress; /* memory sources: bytes read of mem_len */
};

/* Reads nothing yet: set mem/mem_len, or fd (closed by the caller). */
void results_lines_init(struct results_lines *s, size_t max_line);
/* 1 with the next line (without its newline), 0 at the end, or an error:
 * RLP_EINVALID "line longer than N bytes" (lineno is that line), RLP_EIO,
 * RLP_ENOMEM, with an unlocated message. */
int results_lines_next(struct results_lines *s, const char **line, size_t *len);
/* Back to the first line; false when the source cannot seek (a pipe). */
bool results_lines_rewind(struct results_lines *s);
/* Drops a UTF-8 BOM opening the first line; true when only blanks remain. */
bool results_lines_skip_blank(const struct results_lines *s, const char **line, size_t *len);

/* Hash for ids and names: keyed per process, so crafted ids cannot be
 * chosen to collide. */
uint64_t results_hash(const char *s, size_t len);

/* Per-id columns: grown by doubling (NULL: a new one) to `bytes`; big ones
 * are mappings of their own. NULL on allocation failure (p stays valid). */
void *results_col_resize(void *p, size_t bytes);
void results_col_free(void *p);

/* Interned strings: index i <-> strs[i], found through slots holding
 * (upper 32 bits of the hash) << 32 | (i + 1), 0 marking an empty slot. */
struct results_strtab {
	char **strs;
	size_t n, cap;
	uint64_t *slots;
	size_t nslots; /* a power of two, or 0 before the first insert */
	struct results_str_block *blocks; /* the first has room for the next string */
};

/* Index of s (hash = results_hash(s, len)), added when new. */
int results_strtab_intern(struct results_strtab *t, const char *s, size_t len, uint64_t hash,
			  size_t *index, bool *added);
long results_strtab_find(const struct results_strtab *t, const char *s, size_t len,
			 uint64_t hash);
void results_strtab_prefetch(const struct results_strtab *t, uint64_t hash);
void results_strtab_free(struct results_strtab *t);

/* Epochs >= 64 of all ids, as a set of (row, epoch) pairs. */
struct results_epoch_entry {
	uint64_t epoch;
	uint64_t row_plus1; /* 0: empty */
};

struct results_epoch_set {
	struct results_epoch_entry *e;
	size_t n, nslots;
};

/* 0 when added, RESULTS_DUPLICATE when present, or an RLP_E* error. */
int results_epoch_set_add(struct results_epoch_set *s, size_t row, uint64_t epoch);
void results_epoch_set_free(struct results_epoch_set *s);

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

/* Per-id rollout diversity from the records' outputs (results_outputs.c),
 * kept as hashes: no output text is stored. */
enum results_output_metric {
	RESULTS_OUT_NONE, RESULTS_OUT_DISTINCT_2, RESULTS_OUT_DUPLICATE_RATE, RESULTS_OUT_COLLAPSED,
};
struct results_outputs;

/* Metric m (canonical) is computed from outputs; call before any record. */
int results_store_output_metric(struct rlp_results *r, size_t m, enum results_output_metric kind);

/* `bigrams`: also keep each id's bigram set (only distinct_2 needs it). */
int results_outputs_new(struct results_outputs **out, bool bigrams);
void results_outputs_free(struct results_outputs *o);
/* One record's output for id `row` (rows are added in order, from 0). */
int results_outputs_add(struct results_outputs *o, size_t row, const char *s, size_t len);
/* The figure for id `row`; false when the id has too few outputs for it. */
bool results_outputs_value(const struct results_outputs *o, size_t row,
			   enum results_output_metric kind, double *out);

#endif
