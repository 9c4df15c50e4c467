/*
 * Building blocks of the results store (private to lib/results*.c): a keyed
 * hash for names, memory for big columns and tables, string interning, and
 * the set of large epochs. See results_private.h.
 */
/* mremap() */
#define _GNU_SOURCE
#include "results_private.h"

#include "error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define STR_BLOCK (1u << 20)
#define MIN_SLOTS 1024
#define MIN_STRS 1024
#define HUGE_PAGE (2u << 20)

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

/* Memory for per-id columns and hash tables. Big ones get mappings of
 * their own: columns grow by mremap (no copy, never two copies resident, no
 * heap left fragmented by the old ones) and only touched pages count.
 * Hash tables are probed at random, so big ones go on transparent huge pages
 * where the system allows it (a page walk per probe cost 5% of the reading
 * time), and are zeroed by writing: a mapping read before it is written maps
 * the shared zero page, and the first write to each page read that way is a
 * copy-on-write fault with a TLB shootdown on every CPU running one of our
 * threads (13% of the time reading two files at once). */
#define MAP_MIN (256u << 10)

/* ThreadSanitizer does not follow mremap() and reports false races on the
 * moved pages: copy instead under it (gcc says so one way, clang another). */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#endif
#if defined(MREMAP_MAYMOVE) && !defined(UNDER_TSAN)
#define USE_MREMAP 1
#endif

static void *map_bytes(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A column remembers its size just before its data, so it can be freed
 * whatever state a failed growth left the others in. */
struct col_head {
	size_t bytes;
	size_t pad; /* keeps the data 16-byte aligned */
};

#define COL_HEAD sizeof(struct col_head)

static struct col_head *col_head(void *p)
{
	return p ? (struct col_head *)((char *)p - COL_HEAD) : NULL;
}

/* Grow a column (NULL: a new one) to hold `bytes`. */
void *results_col_resize(void *p, size_t bytes)
{
	struct col_head *h = col_head(p), *n = NULL;
	size_t old = h ? h->bytes + COL_HEAD : 0, size = bytes + COL_HEAD;

	if (bytes > SIZE_MAX - COL_HEAD)
		return NULL;
	if (size < MAP_MIN) {
		n = realloc(h, size);
	} else if (old >= MAP_MIN) {
#ifdef USE_MREMAP
		n = mremap(h, old, size, MREMAP_MAYMOVE);
		n = n == MAP_FAILED ? NULL : n;
#else
		if ((n = map_bytes(size)) != NULL)
			memcpy(n, h, old), munmap(h, old);
#endif
	} else if ((n = map_bytes(size)) != NULL) {
		if (h)
			memcpy(n, h, old);
		free(h);
	}
	if (!n)
		return NULL;
	n->bytes = bytes;
	return (char *)n + COL_HEAD;
}

void results_col_free(void *p)
{
	struct col_head *h = col_head(p);

	if (h && h->bytes + COL_HEAD >= MAP_MIN)
		munmap(h, h->bytes + COL_HEAD);
	else
		free(h);
}

/* Hash tables are freed with table_free(p, n * size). */
static void table_free(void *p, size_t bytes)
{
	if (p && bytes >= MAP_MIN)
		munmap(p, bytes);
	else
		free(p);
}

/* n * size zeroed bytes for a hash table. */
static void *table_new(size_t n, size_t size)
{
	size_t bytes = n * size;
	char *p = NULL;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (bytes < MAP_MIN)
		return calloc(n, size);
#ifdef MADV_HUGEPAGE
	if (bytes % HUGE_PAGE == 0) {
		/* Over-map, then trim to a huge-page-aligned range. */
		char *raw = map_bytes(bytes + HUGE_PAGE);
		size_t head;

		if (!raw)
			return NULL;
		head = (HUGE_PAGE - (uintptr_t)raw % HUGE_PAGE) % HUGE_PAGE;
		if (head)
			munmap(raw, head);
		if (HUGE_PAGE - head)
			munmap(raw + head + bytes, HUGE_PAGE - head);
		p = raw + head;
		madvise(p, bytes, MADV_HUGEPAGE);
	}
#endif
	if (!p && !(p = map_bytes(bytes)))
		return NULL;
	memset(p, 0, bytes);
	return p;
}

/* Interned strings, copied into chained blocks. */

struct results_str_block {
	struct results_str_block *next;
	size_t size, used;
	char data[];
};

static char *strtab_copy(struct results_strtab *t, const char *s, size_t len)
{
	struct results_str_block *b = t->blocks, *nb = NULL;
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
static size_t strtab_probe(const struct results_strtab *t, const char *s, size_t len, uint32_t h,
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

static int strtab_grow(struct results_strtab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : MIN_SLOTS, i;
	uint64_t *slots = NULL;

	if (n > ((size_t)1 << 32))
		return rlp_error_set(RLP_ENOMEM, "too many distinct names");
	slots = table_new(n, sizeof(*slots));
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
	table_free(t->slots, t->nslots * sizeof(*t->slots));
	t->slots = slots;
	t->nslots = n;
	return 0;
}

int results_strtab_intern(struct results_strtab *t, const char *s, size_t len, uint64_t hash,
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
		size_t cap = t->cap ? t->cap * 2 : MIN_STRS;
		char **strs = results_col_resize(t->strs, cap * sizeof(*strs));

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

long results_strtab_find(const struct results_strtab *t, const char *s, size_t len, uint64_t hash)
{
	size_t pos;
	bool found;

	if (!t->nslots)
		return -1;
	pos = strtab_probe(t, s, len, (uint32_t)(hash >> 32), &found);
	return found ? (long)((uint32_t)t->slots[pos] - 1) : -1;
}

void results_strtab_prefetch(const struct results_strtab *t, uint64_t hash)
{
	if (t->nslots)
		__builtin_prefetch(&t->slots[(uint32_t)(hash >> 32) & (t->nslots - 1)]);
}

void results_strtab_free(struct results_strtab *t)
{
	struct results_str_block *b = t->blocks;

	while (b) {
		struct results_str_block *next = b->next;

		free(b);
		b = next;
	}
	results_col_free(t->strs);
	table_free(t->slots, t->nslots * sizeof(*t->slots));
}

/* The set of large epochs. */

static size_t epoch_home(uint64_t row_plus1, uint64_t epoch, size_t mask)
{
	return (size_t)(mum(epoch ^ K1 ^ hash_seed, row_plus1 ^ K2) & mask);
}

static int epoch_set_grow(struct results_epoch_set *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 64, i, pos;
	struct results_epoch_entry *e = table_new(n, sizeof(*e));

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
	table_free(s->e, s->nslots * sizeof(*s->e));
	s->e = e;
	s->nslots = n;
	return 0;
}

int results_epoch_set_add(struct results_epoch_set *s, size_t row, uint64_t epoch)
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

void results_epoch_set_free(struct results_epoch_set *s)
{
	table_free(s->e, s->nslots * sizeof(*s->e));
}
