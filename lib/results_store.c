/*
 * Per-id storage of eval results (see results_store.h).
 *
 * Memory is what the gate needs per distinct id and nothing per record:
 * interned id strings in chained blocks, an open-addressing table id -> row,
 * and columns (tag bitsets, per-metric sums). Columns that would only restate
 * the common case are created lazily, when the first record needs them:
 * per-metric counts (absent while every record of every id carried the
 * metric), epoch sets and record counts (absent while every epoch was 0),
 * cluster indexes (absent while no record named a cluster).
 */
#include "results_store.h"

#include "error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define STR_BLOCK (1u << 20)
#define MIN_ROWS 1024
#define MIN_SLOTS 1024
#define QUOTE_MAX 72

/* Hashing: wyhash-style folded multiplies, keyed by a per-process seed. */

static uint64_t hash_seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void init_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid() ^
		    (uint64_t)(uintptr_t)&s;
	}
	hash_seed = s;
}

static inline uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t read64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#define K0 0xa0761d6478bd642full
#define K1 0xe7037ed1a0b428dbull
#define K2 0x8ebc6af09c88c6e3ull

uint64_t results_hash(const char *s, size_t len)
{
	uint64_t seed, h, a = 0, b = 0;

	pthread_once(&seed_once, init_seed);
	seed = hash_seed;
	h = mum(len ^ K0 ^ seed, seed ^ K1);
	for (; len > 16; s += 16, len -= 16)
		h = mum(read64(s) ^ K1 ^ seed, read64(s + 8) ^ h);
	if (len > 8) {
		a = read64(s);
		memcpy(&b, s + 8, len - 8);
	} else {
		memcpy(&a, s, len);
	}
	return mum(mum(a ^ K1 ^ seed, b ^ h), h ^ K2);
}

/* calloc() for tables probed before they are written: a big calloc maps
 * the shared zero page, and the first write to each page read that way is a
 * copy-on-write fault with a TLB shootdown on every CPU running one of our
 * threads (13% of the time reading two files at once). Writing each page
 * first makes it a plain fault. */
static void *zeroed(size_t n, size_t size)
{
	volatile char *p = calloc(n, size);
	size_t i;

	for (i = 0; p && i < n * size; i += 4096)
		p[i] = 0;
	return (void *)p;
}

/* Interned strings: index i <-> strs[i], looked up through slots holding
 * (upper 32 bits of the hash) << 32 | (i + 1); 0 marks an empty slot. */

struct str_block {
	struct str_block *next;
	size_t size, used;
	char data[];
};

struct strtab {
	char **strs;
	size_t n, cap;
	uint64_t *slots;
	size_t nslots; /* a power of two, or 0 before the first insert */
	struct str_block *blocks; /* the first has room for the next string */
};

static char *strtab_copy(struct strtab *t, const char *s, size_t len)
{
	struct str_block *b = t->blocks, *nb = NULL;
	char *p = NULL;

	if (!b || b->size - b->used < len + 1) {
		/* A long string gets a block of its own behind the current one. */
		size_t size = len + 1 > STR_BLOCK / 4 ? len + 1 : STR_BLOCK;

		nb = malloc(sizeof(*nb) + size);
		if (!nb)
			return NULL;
		nb->size = size;
		nb->used = 0;
		if (b && size != STR_BLOCK) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			t->blocks = nb;
		}
		b = nb;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

/* The slot holding s, or the empty slot where it belongs. */
static size_t strtab_probe(const struct strtab *t, const char *s, size_t len, uint32_t h,
			   bool *found)
{
	size_t mask = t->nslots - 1, pos = h & mask;

	for (;; pos = (pos + 1) & mask) {
		uint64_t slot = t->slots[pos];
		const char *str = NULL;

		if (!slot) {
			*found = false;
			return pos;
		}
		if ((uint32_t)(slot >> 32) != h)
			continue;
		str = t->strs[(uint32_t)slot - 1];
		if (strncmp(str, s, len) == 0 && str[len] == '\0') {
			*found = true;
			return pos;
		}
	}
}

static int strtab_grow(struct strtab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : MIN_SLOTS, i;
	uint64_t *slots = NULL;

	if (n > ((size_t)1 << 32))
		return rlp_error_set(RLP_ENOMEM, "too many distinct names");
	slots = zeroed(n, sizeof(*slots));
	if (!slots)
		return rlp_error_set(RLP_ENOMEM, "out of memory for %zu names", t->n);
	for (i = 0; i < t->nslots; i++) {
		uint64_t slot = t->slots[i];
		size_t pos;

		if (!slot)
			continue;
		for (pos = (slot >> 32) & (n - 1); slots[pos]; pos = (pos + 1) & (n - 1))
			;
		slots[pos] = slot;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	return 0;
}

static int strtab_intern(struct strtab *t, const char *s, size_t len, uint64_t hash,
			 size_t *index, bool *added)
{
	uint32_t h = (uint32_t)(hash >> 32);
	size_t pos;
	bool found;
	char *copy = NULL;
	int rc;

	/* Load factor at most 1/2 keeps linear probing short. */
	if ((t->n + 1) * 2 > t->nslots && (rc = strtab_grow(t)) != 0)
		return rc;
	pos = strtab_probe(t, s, len, h, &found);
	if (found) {
		*index = (uint32_t)t->slots[pos] - 1;
		*added = false;
		return 0;
	}
	if (t->n >= UINT32_MAX - 1)
		return rlp_error_set(RLP_EINVALID, "more than %u distinct names", UINT32_MAX - 2);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : MIN_ROWS;
		char **strs = realloc(t->strs, cap * sizeof(*strs));

		if (!strs)
			return rlp_error_set(RLP_ENOMEM, "out of memory for %zu names", t->n);
		t->strs = strs;
		t->cap = cap;
	}
	copy = strtab_copy(t, s, len);
	if (!copy)
		return rlp_error_set(RLP_ENOMEM, "out of memory for %zu names", t->n);
	t->strs[t->n] = copy;
	t->slots[pos] = ((uint64_t)h << 32) | (uint64_t)(t->n + 1);
	*index = t->n++;
	*added = true;
	return 0;
}

static long strtab_find(const struct strtab *t, const char *s, size_t len, uint64_t hash)
{
	size_t pos;
	bool found;

	if (!t->nslots)
		return -1;
	pos = strtab_probe(t, s, len, (uint32_t)(hash >> 32), &found);
	return found ? (long)((uint32_t)t->slots[pos] - 1) : -1;
}

static void strtab_free(struct strtab *t)
{
	struct str_block *b = t->blocks;

	while (b) {
		struct str_block *next = b->next;

		free(b);
		b = next;
	}
	free(t->strs);
	free(t->slots);
}

/* Epochs >= 64 of all ids, as a set of (row, epoch) pairs. */

struct epoch_entry {
	uint64_t epoch;
	uint64_t row_plus1; /* 0: empty */
};

struct epoch_set {
	struct epoch_entry *e;
	size_t n, nslots;
};

static size_t epoch_home(uint64_t row_plus1, uint64_t epoch, size_t mask)
{
	return (size_t)(mum(epoch ^ K1 ^ hash_seed, row_plus1 ^ K2) & mask);
}

static int epoch_set_grow(struct epoch_set *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 64, i, pos;
	struct epoch_entry *e = zeroed(n, sizeof(*e));

	if (!e)
		return rlp_error_set(RLP_ENOMEM, "out of memory for epochs");
	for (i = 0; i < s->nslots; i++) {
		if (!s->e[i].row_plus1)
			continue;
		pos = epoch_home(s->e[i].row_plus1, s->e[i].epoch, n - 1);
		while (e[pos].row_plus1)
			pos = (pos + 1) & (n - 1);
		e[pos] = s->e[i];
	}
	free(s->e);
	s->e = e;
	s->nslots = n;
	return 0;
}

/* 0 when added, RESULTS_DUPLICATE when present, or an error. */
static int epoch_set_add(struct epoch_set *s, size_t row, uint64_t epoch)
{
	size_t pos, mask;
	int rc;

	if ((s->n + 1) * 2 > s->nslots && (rc = epoch_set_grow(s)) != 0)
		return rc;
	mask = s->nslots - 1;
	for (pos = epoch_home(row + 1, epoch, mask); s->e[pos].row_plus1; pos = (pos + 1) & mask)
		if (s->e[pos].row_plus1 == row + 1 && s->e[pos].epoch == epoch)
			return RESULTS_DUPLICATE;
	s->e[pos].row_plus1 = row + 1;
	s->e[pos].epoch = epoch;
	s->n++;
	return 0;
}

struct rlp_results {
	struct strtab ids;
	size_t rows; /* capacity of every per-id column */
	size_t nrecords;
	size_t ntags, tag_words;
	uint32_t *tag_alias;
	uint64_t *tags; /* tag_words per id */
	size_t nmetrics;
	uint32_t *metric_alias;
	double **sums;     /* per canonical metric, per id */
	uint16_t **counts; /* NULL: every record of every id carried the metric */
	bool *binary;
	size_t *carriers;
	uint64_t *epoch_mask; /* NULL: every record had epoch 0 */
	uint16_t *nrec;       /* records per id; NULL with epoch_mask */
	struct epoch_set late_epochs;
	struct strtab clusters;
	int32_t *cluster; /* NULL: no record named a cluster */
};

int results_store_new(struct rlp_results **out, size_t ntags, const uint32_t *tag_alias,
		      size_t nmetrics, const uint32_t *metric_alias)
{
	struct rlp_results *r = NULL;
	size_t m;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->ntags = ntags;
	r->tag_words = (ntags + 63) / 64;
	r->nmetrics = nmetrics;
	r->tag_alias = malloc((ntags ? ntags : 1) * sizeof(*r->tag_alias));
	r->metric_alias = malloc((nmetrics ? nmetrics : 1) * sizeof(*r->metric_alias));
	r->sums = calloc(nmetrics ? nmetrics : 1, sizeof(*r->sums));
	r->counts = calloc(nmetrics ? nmetrics : 1, sizeof(*r->counts));
	r->binary = malloc(nmetrics ? nmetrics : 1);
	r->carriers = calloc(nmetrics ? nmetrics : 1, sizeof(*r->carriers));
	if (!r->tag_alias || !r->metric_alias || !r->sums || !r->counts || !r->binary ||
	    !r->carriers)
		goto nomem;
	if (ntags)
		memcpy(r->tag_alias, tag_alias, ntags * sizeof(*tag_alias));
	if (nmetrics)
		memcpy(r->metric_alias, metric_alias, nmetrics * sizeof(*metric_alias));
	for (m = 0; m < nmetrics; m++)
		r->binary[m] = true;
	*out = r;
	return 0;
nomem:
	rlp_results_free(r);
	return rlp_error_set(RLP_ENOMEM, "out of memory for results");
}

void rlp_results_free(struct rlp_results *r)
{
	size_t m;

	if (!r)
		return;
	strtab_free(&r->ids);
	strtab_free(&r->clusters);
	for (m = 0; r->sums && m < r->nmetrics; m++)
		free(r->sums[m]);
	for (m = 0; r->counts && m < r->nmetrics; m++)
		free(r->counts[m]);
	free(r->sums);
	free(r->counts);
	free(r->tag_alias);
	free(r->metric_alias);
	free(r->tags);
	free(r->binary);
	free(r->carriers);
	free(r->epoch_mask);
	free(r->nrec);
	free(r->late_epochs.e);
	free(r->cluster);
	free(r);
}

static bool canonical_metric(const struct rlp_results *r, size_t m)
{
	return r->metric_alias[m] == m;
}

static unsigned records_of(const struct rlp_results *r, size_t row)
{
	return r->nrec ? r->nrec[row] : 1;
}

#define GROW(col, n)                                                  \
	do {                                                          \
		void *p_ = realloc((col), (n) * sizeof(*(col)));      \
		if (!p_)                                              \
			goto nomem;                                   \
		(col) = p_;                                           \
	} while (0)

/* Columns double, so a million ids cost a few reallocs (mremap for big ones). */
static int grow_rows(struct rlp_results *r, size_t need)
{
	size_t rows = r->rows ? r->rows : MIN_ROWS, m;

	while (rows < need)
		rows *= 2;
	if (rows == r->rows)
		return 0;
	if (r->tag_words)
		GROW(r->tags, rows * r->tag_words);
	for (m = 0; m < r->nmetrics; m++) {
		if (!canonical_metric(r, m))
			continue;
		GROW(r->sums[m], rows);
		if (r->counts[m])
			GROW(r->counts[m], rows);
	}
	if (r->epoch_mask) {
		GROW(r->epoch_mask, rows);
		GROW(r->nrec, rows);
	}
	if (r->cluster)
		GROW(r->cluster, rows);
	r->rows = rows;
	return 0;
nomem:
	return rlp_error_set(RLP_ENOMEM, "out of memory for %zu ids", need);
}

static int init_row(struct rlp_results *r, size_t row)
{
	size_t m;
	int rc;

	if (row >= r->rows && (rc = grow_rows(r, row + 1)) != 0)
		return rc;
	if (r->tag_words)
		memset(r->tags + row * r->tag_words, 0, r->tag_words * sizeof(*r->tags));
	for (m = 0; m < r->nmetrics; m++) {
		if (!canonical_metric(r, m))
			continue;
		r->sums[m][row] = 0;
		if (r->counts[m])
			r->counts[m][row] = 0;
	}
	if (r->epoch_mask) {
		r->epoch_mask[row] = 0;
		r->nrec[row] = 0;
	}
	if (r->cluster)
		r->cluster[row] = -1;
	return 0;
}

/* The first record with an epoch other than 0: until now every id had one
 * record, at epoch 0 (except `row`, new and not yet counted). */
static int materialize_epochs(struct rlp_results *r, size_t row, bool added)
{
	size_t i;

	r->epoch_mask = malloc(r->rows * sizeof(*r->epoch_mask));
	r->nrec = malloc(r->rows * sizeof(*r->nrec));
	if (!r->epoch_mask || !r->nrec)
		return rlp_error_set(RLP_ENOMEM, "out of memory for epochs");
	for (i = 0; i < r->ids.n; i++) {
		r->epoch_mask[i] = 1;
		r->nrec[i] = 1;
	}
	if (added) {
		r->epoch_mask[row] = 0;
		r->nrec[row] = 0;
	}
	return 0;
}

/* The first record lacking metric m: until now each id's count equalled its
 * record count; `row` has already counted the record being added. */
static int materialize_counts(struct rlp_results *r, size_t m, size_t row)
{
	size_t i;

	r->counts[m] = malloc(r->rows * sizeof(*r->counts[m]));
	if (!r->counts[m])
		return rlp_error_set(RLP_ENOMEM, "out of memory for metric counts");
	for (i = 0; i < r->ids.n; i++)
		r->counts[m][i] = (uint16_t)records_of(r, i);
	r->counts[m][row]--;
	return 0;
}

void results_quote(char *buf, size_t size, const char *s)
{
	size_t i, n = strlen(s), keep = n;

	if (size < 8) {
		if (size)
			buf[0] = '\0';
		return;
	}
	if (n > size - 1) {
		keep = size - 4;
		/* Cut at a UTF-8 character boundary. */
		while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
			keep--;
	}
	for (i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (keep < n)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
}

static int note_epoch(struct rlp_results *r, size_t row, bool added, uint64_t epoch)
{
	char q[QUOTE_MAX];
	int rc;

	if (!r->epoch_mask) {
		if (epoch == 0)
			return added ? 0 : RESULTS_DUPLICATE;
		if ((rc = materialize_epochs(r, row, added)) != 0)
			return rc;
	}
	if (epoch < 64) {
		if (r->epoch_mask[row] & (1ull << epoch))
			return RESULTS_DUPLICATE;
	} else if ((rc = epoch_set_add(&r->late_epochs, row, epoch)) != 0) {
		return rc;
	}
	if (r->nrec[row] == UINT16_MAX) {
		results_quote(q, sizeof(q), r->ids.strs[row]);
		return rlp_error_set(RLP_EINVALID, "id '%s' has more than %u records", q,
				     (unsigned)UINT16_MAX);
	}
	if (epoch < 64)
		r->epoch_mask[row] |= 1ull << epoch;
	r->nrec[row]++;
	return 0;
}

static int cluster_mismatch(const struct rlp_results *r, size_t row, long now)
{
	char id[QUOTE_MAX], was[QUOTE_MAX], is[QUOTE_MAX];
	int32_t before = r->cluster[row];

	results_quote(id, sizeof(id), r->ids.strs[row]);
	if (before >= 0)
		results_quote(was, sizeof(was), r->clusters.strs[before]);
	if (now >= 0)
		results_quote(is, sizeof(is), r->clusters.strs[now]);
	if (now < 0)
		return rlp_error_set(RLP_EINVALID,
				     "id '%s' names no cluster, but cluster '%s' on an earlier record",
				     id, was);
	if (before < 0)
		return rlp_error_set(RLP_EINVALID,
				     "id '%s' names cluster '%s', but none on an earlier record", id,
				     is);
	return rlp_error_set(RLP_EINVALID,
			     "id '%s' names cluster '%s', but '%s' on an earlier record", id, is,
			     was);
}

static int note_cluster(struct rlp_results *r, size_t row, bool added, const char *name)
{
	size_t index = 0, len, i;
	bool new_name;
	long c = -1;
	int rc;

	if (name) {
		len = strlen(name);
		rc = strtab_intern(&r->clusters, name, len, results_hash(name, len), &index,
				   &new_name);
		if (rc)
			return rc;
		if (index > INT32_MAX)
			return rlp_error_set(RLP_EINVALID, "too many clusters");
		c = (long)index;
		if (!r->cluster) {
			r->cluster = malloc(r->rows * sizeof(*r->cluster));
			if (!r->cluster)
				return rlp_error_set(RLP_ENOMEM, "out of memory for clusters");
			for (i = 0; i < r->ids.n; i++)
				r->cluster[i] = -1;
		}
	}
	if (!r->cluster)
		return 0;
	if (added)
		r->cluster[row] = (int32_t)c;
	else if (r->cluster[row] != c)
		return cluster_mismatch(r, row, c);
	return 0;
}

void results_store_prefetch(const struct rlp_results *r, uint64_t id_hash)
{
	const struct strtab *t = &r->ids;

	if (t->nslots)
		__builtin_prefetch(&t->slots[(uint32_t)(id_hash >> 32) & (t->nslots - 1)]);
}

int results_store_add(struct rlp_results *r, const struct results_record *rec, size_t *dup)
{
	size_t row, m, w;
	bool added;
	int rc;

	rc = strtab_intern(&r->ids, rec->id, rec->id_len, rec->id_hash, &row, &added);
	if (rc)
		return rc;
	if (added && (rc = init_row(r, row)) != 0)
		return rc;
	rc = note_epoch(r, row, added, rec->epoch);
	if (rc == RESULTS_DUPLICATE)
		*dup = row;
	if (rc)
		return rc;
	if ((rc = note_cluster(r, row, added, rec->cluster)) != 0)
		return rc;
	for (w = 0; w < r->tag_words; w++)
		r->tags[row * r->tag_words + w] |= rec->tags[w];
	for (m = 0; m < r->nmetrics; m++) {
		double v = rec->values[m];

		if (!canonical_metric(r, m))
			continue;
		if (!rec->has[m]) {
			if (!r->counts[m] && (rc = materialize_counts(r, m, row)) != 0)
				return rc;
			continue;
		}
		r->sums[m][row] += v;
		if (r->counts[m])
			r->counts[m][row]++;
		if (v != 0.0 && v != 1.0)
			r->binary[m] = false;
	}
	r->nrecords++;
	return 0;
}

void results_store_finish(struct rlp_results *r)
{
	size_t m, i;

	for (m = 0; m < r->nmetrics; m++) {
		if (!canonical_metric(r, m))
			continue;
		if (!r->counts[m]) {
			r->carriers[m] = r->ids.n;
			continue;
		}
		for (i = 0; i < r->ids.n; i++)
			r->carriers[m] += r->counts[m][i] != 0;
	}
}

/* Public accessors. */

size_t rlp_results_count(const struct rlp_results *r)
{
	return r ? r->ids.n : 0;
}

size_t rlp_results_records(const struct rlp_results *r)
{
	return r ? r->nrecords : 0;
}

const char *rlp_results_id(const struct rlp_results *r, size_t i)
{
	return r && i < r->ids.n ? r->ids.strs[i] : NULL;
}

long rlp_results_find(const struct rlp_results *r, const char *id)
{
	size_t len;

	if (!r || !id)
		return -1;
	len = strlen(id);
	return strtab_find(&r->ids, id, len, results_hash(id, len));
}

bool rlp_results_has_tag(const struct rlp_results *r, size_t i, size_t tag)
{
	if (!r || i >= r->ids.n || tag >= r->ntags)
		return false;
	tag = r->tag_alias[tag];
	return (r->tags[i * r->tag_words + tag / 64] >> (tag % 64)) & 1;
}

unsigned rlp_results_epochs(const struct rlp_results *r, size_t i)
{
	return r && i < r->ids.n ? records_of(r, i) : 0;
}

bool rlp_results_value(const struct rlp_results *r, size_t i, size_t m, double *out)
{
	unsigned n;

	if (!r || i >= r->ids.n || m >= r->nmetrics)
		return false;
	m = r->metric_alias[m];
	n = r->counts[m] ? r->counts[m][i] : records_of(r, i);
	if (!n)
		return false;
	if (out)
		*out = r->sums[m][i] / n;
	return true;
}

bool rlp_results_metric_binary(const struct rlp_results *r, size_t m)
{
	return r && m < r->nmetrics && r->binary[r->metric_alias[m]];
}

size_t rlp_results_metric_count(const struct rlp_results *r, size_t m)
{
	return r && m < r->nmetrics ? r->carriers[r->metric_alias[m]] : 0;
}

int rlp_results_cluster(const struct rlp_results *r, size_t i)
{
	if (!r || i >= r->ids.n || !r->cluster)
		return -1;
	return r->cluster[i];
}

size_t rlp_results_nclusters(const struct rlp_results *r)
{
	return r ? r->clusters.n : 0;
}
