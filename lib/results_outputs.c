/*
 * Rollout diversity per id from the records' outputs (see results.h):
 * derived.distinct_2, derived.duplicate_rate and derived.collapsed.
 *
 * No output text is kept. Each output is reduced to a 64-bit keyed hash,
 * and one table of (id, output hash) -> count over all ids gives each id's
 * number of outputs, of distinct outputs and of outputs that repeat another,
 * updated as records arrive in any order. Bigrams (of whitespace-separated
 * tokens) are hashed to 32 bits into a small set per id (about 5 bytes a
 * distinct bigram), and only when distinct_2 is asked for: exact up to
 * RLP_RESULTS_BIGRAMS_EXACT distinct bigrams, then an adaptive sample (a
 * hash is kept when its top `level` bits are zero; the estimate is
 * count * 2^level), so an id never takes more than 8 KiB however long its
 * outputs are.
 */
#include "results_private.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

#define SET_MIN_CAP 8
#define SET_MAX_CAP 2048 /* 3/4 full at RLP_RESULTS_BIGRAMS_EXACT */

struct out_entry {
	uint64_t hash;
	uint32_t row_plus1; /* 0: empty */
	uint32_t count;
};

struct row_outputs {
	uint32_t n;        /* records with an output */
	uint32_t distinct; /* distinct outputs */
	uint32_t repeated; /* records whose output another record also gave */
};

struct bigram_set {
	uint32_t count, cap;
	unsigned level;
	uint32_t slots[]; /* 0: empty */
};

struct results_outputs {
	struct row_outputs *rows;
	size_t nrows; /* rows allocated (zeroed) */
	struct out_entry *table;
	size_t nslots, nused;
	bool bigrams;
	struct bigram_set **sets; /* per row; NULL until its first bigram */
	uint64_t *total;          /* bigrams per row */
};

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

int results_outputs_new(struct results_outputs **out, bool bigrams)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return rlp_error_set(RLP_ENOMEM, "out of memory for outputs");
	(*out)->bigrams = bigrams;
	return 0;
}

void results_outputs_free(struct results_outputs *o)
{
	if (!o)
		return;
	for (size_t i = 0; o->sets && i < o->nrows; i++)
		free(o->sets[i]);
	free(o->sets);
	free(o->total);
	free(o->rows);
	free(o->table);
	free(o);
}

static void *grow_zeroed(void *p, size_t old_n, size_t new_n, size_t size)
{
	char *q = realloc(p, new_n * size);

	if (q)
		memset(q + old_n * size, 0, (new_n - old_n) * size);
	return q;
}

static int ensure_row(struct results_outputs *o, size_t row)
{
	size_t n = o->nrows ? o->nrows : 1024;
	void *p;

	if (row < o->nrows)
		return 0;
	while (n <= row)
		n *= 2;
	if (!(p = grow_zeroed(o->rows, o->nrows, n, sizeof(*o->rows))))
		return rlp_error_set(RLP_ENOMEM, "out of memory for outputs");
	o->rows = p;
	if (o->bigrams) {
		if (!(p = grow_zeroed(o->sets, o->nrows, n, sizeof(*o->sets))))
			return rlp_error_set(RLP_ENOMEM, "out of memory for outputs");
		o->sets = p;
		if (!(p = grow_zeroed(o->total, o->nrows, n, sizeof(*o->total))))
			return rlp_error_set(RLP_ENOMEM, "out of memory for outputs");
		o->total = p;
	}
	o->nrows = n;
	return 0;
}

/* ---- (row, output hash) -> count ---- */

static struct out_entry *table_slot(struct out_entry *table, size_t nslots, uint64_t hash,
				    uint32_t row_plus1)
{
	size_t mask = nslots - 1, pos = (size_t)mix(hash, row_plus1) & mask;

	while (table[pos].row_plus1 &&
	       (table[pos].row_plus1 != row_plus1 || table[pos].hash != hash))
		pos = (pos + 1) & mask;
	return &table[pos];
}

static int table_grow(struct results_outputs *o)
{
	size_t nslots = o->nslots ? o->nslots * 2 : 4096;
	struct out_entry *t = calloc(nslots, sizeof(*t));

	if (!t)
		return rlp_error_set(RLP_ENOMEM, "out of memory for %zu outputs", o->nused);
	for (size_t i = 0; i < o->nslots; i++)
		if (o->table[i].row_plus1)
			*table_slot(t, nslots, o->table[i].hash, o->table[i].row_plus1) = o->table[i];
	free(o->table);
	o->table = t;
	o->nslots = nslots;
	return 0;
}

static int note_output(struct results_outputs *o, size_t row, uint64_t hash)
{
	struct row_outputs *r = &o->rows[row];
	struct out_entry *e;
	int rc;

	if (2 * (o->nused + 1) > o->nslots && (rc = table_grow(o)) != 0)
		return rc;
	e = table_slot(o->table, o->nslots, hash, (uint32_t)row + 1);
	r->n++;
	if (!e->row_plus1) {
		e->row_plus1 = (uint32_t)row + 1;
		e->hash = hash;
		e->count = 1;
		o->nused++;
		r->distinct++;
		return 0;
	}
	/* the second copy makes two repeated records, each later copy one */
	r->repeated += e->count == 1 ? 2 : 1;
	e->count++;
	return 0;
}

/* ---- per-id bigram sets ---- */

static bool sampled(uint32_t h, unsigned level)
{
	return level == 0 || (h >> (32 - level)) == 0;
}

static bool too_full(uint32_t count, uint32_t cap)
{
	return 4 * (uint64_t)count > 3 * (uint64_t)cap;
}

static void set_put(struct bigram_set *s, uint32_t h)
{
	size_t mask = s->cap - 1, pos = (size_t)(h * 0x9E3779B1u) >> 7 & mask;

	while (s->slots[pos] && s->slots[pos] != h)
		pos = (pos + 1) & mask;
	if (!s->slots[pos]) {
		s->slots[pos] = h;
		s->count++;
	}
}

/* A copy of s with room for cap slots, keeping what the level samples. */
static struct bigram_set *set_rebuild(const struct bigram_set *s, uint32_t cap, unsigned level)
{
	struct bigram_set *n = calloc(1, sizeof(*n) + cap * sizeof(n->slots[0]));

	if (!n)
		return NULL;
	n->cap = cap;
	n->level = level;
	for (uint32_t i = 0; s && i < s->cap; i++)
		if (s->slots[i] && sampled(s->slots[i], level))
			set_put(n, s->slots[i]);
	return n;
}

static int set_insert(struct bigram_set **ps, uint64_t hash)
{
	struct bigram_set *s = *ps, *n;
	uint32_t h = (uint32_t)(hash >> 32);

	h = h ? h : 1; /* 0 marks an empty slot */
	if (s && !sampled(h, s->level))
		return 0;
	if (!s || too_full(s->count + 1, s->cap)) {
		uint32_t cap = s ? s->cap : SET_MIN_CAP;
		unsigned level = s ? s->level : 0;
		if (s && cap < SET_MAX_CAP)
			cap *= 2;
		else if (s)
			level++; /* full: keep half of what is kept */
		if (!(n = set_rebuild(s, cap, level)))
			return rlp_error_set(RLP_ENOMEM, "out of memory for bigrams");
		free(s);
		*ps = s = n;
		if (!sampled(h, s->level))
			return 0;
	}
	set_put(s, h);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int note_bigrams(struct results_outputs *o, size_t row, const char *s, size_t len)
{
	uint64_t prev = 0;
	bool have_prev = false;
	size_t i = 0;
	int rc;

	while (i < len) {
		while (i < len && is_space(s[i]))
			i++;
		size_t start = i;
		while (i < len && !is_space(s[i]))
			i++;
		if (i == start)
			break;
		uint64_t h = results_hash(s + start, i - start);
		if (have_prev) {
			o->total[row]++;
			if ((rc = set_insert(&o->sets[row], mix(prev, h))) != 0)
				return rc;
		}
		prev = h;
		have_prev = true;
	}
	return 0;
}

int results_outputs_add(struct results_outputs *o, size_t row, const char *s, size_t len)
{
	int rc;

	if (row >= UINT32_MAX)
		return rlp_error_set(RLP_EINVALID, "too many ids for outputs");
	if ((rc = ensure_row(o, row)) != 0 || (rc = note_output(o, row, results_hash(s, len))) != 0)
		return rc;
	return o->bigrams ? note_bigrams(o, row, s, len) : 0;
}

bool results_outputs_value(const struct results_outputs *o, size_t row,
			   enum results_output_metric kind, double *out)
{
	const struct row_outputs *r;
	double v;

	if (!o || row >= o->nrows)
		return false;
	r = &o->rows[row];
	switch (kind) {
	case RESULTS_OUT_DISTINCT_2: {
		const struct bigram_set *s = o->bigrams ? o->sets[row] : NULL;
		if (!o->bigrams || !o->total[row])
			return false;
		v = s ? (double)s->count * (double)(1ull << s->level) / (double)o->total[row] : 0;
		v = v > 1 ? 1 : v; /* an estimate may overshoot */
		break;
	}
	case RESULTS_OUT_DUPLICATE_RATE:
		if (r->n < 2)
			return false;
		v = (double)r->repeated / r->n;
		break;
	case RESULTS_OUT_COLLAPSED:
		if (r->n < 2)
			return false;
		v = r->distinct == 1;
		break;
	default:
		return false;
	}
	if (out)
		*out = v;
	return true;
}
