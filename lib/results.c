/*
 * Streaming JSONL reader for eval results (see results.h, RULES.md).
 *
 * Parsing dominates, so: lines are split out of a fixed-size read buffer
 * with memchr (never the whole file in memory), each line is parsed by cJSON
 * into a per-thread bump arena rewound per line, each record's members are
 * visited once and matched against the spec through hash tables, and only
 * per-id aggregates are kept (results_store.c). Several files are read on
 * several threads.
 */
#include "results.h"

#include "error.h"
#include "json.h"
#include "progress.h"
#include "results_private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_BLOCK (64u << 10)
#define ARENA_LIMIT_MIN (64u << 20)
#define CANCEL_EVERY 4096
#define QUOTE_MAX 72
#define MSG_MAX 1024

/* read_records(): another file failed first, so this one's result is moot. */
#define RESULTS_CANCELLED 2

enum metric_kind {
	M_SCORE, M_LATENCY, M_COST, M_KL_K1, M_KL_K3, M_REWARD_HACK,
	M_DISTINCT_2, M_DUPLICATE_RATE, M_COLLAPSED, /* from outputs, per id */
};

/* Name -> first spec index with that name (open addressing, index + 1). */
struct name_index {
	uint32_t *slots;
	size_t mask;
	const char *const *names;
};

struct compiled_spec {
	size_t ntags, nmetrics, tag_words, max_line;
	uint32_t *tag_alias, *metric_alias;
	unsigned char *kind; /* enum metric_kind per metric */
	struct name_index tags, metrics;
	long latency, cost, kl_k1, kl_k3; /* spec index, or -1 when not asked for */
	long hack, hack_reward, hack_verifier; /* derived.reward_hack and its scores */
	double hack_threshold, verifier_pass;
	bool want_output;
};

/* Lets a reader of file j stop early once a file i < j has failed: only the
 * lowest failing file's error is reported. */
struct cancel {
	atomic_size_t first_failed;
};

/* Records usually list their scores in the same order: remembering which
 * metric (or none) the key at each position named saves hashing it. */
#define KEY_CACHE 8
#define KEY_CACHE_NAME 24

struct key_cache {
	char name[KEY_CACHE_NAME]; /* "" when empty */
	long metric;
};

struct reader {
	const struct compiled_spec *cs;
	struct key_cache score_keys[KEY_CACHE];
	const char *name;
	struct rlp_results *res;
	struct rlp_json_arena *arena;
	uint64_t *tags; /* scratch for one record */
	double *values;
	unsigned char *has;
	struct cancel *cancel;
	size_t self;
};

/* The spec. */

static long name_find(const struct name_index *ni, const char *name)
{
	size_t len = strlen(name), pos;

	if (!ni->slots)
		return -1;
	pos = (size_t)(results_hash(name, len) >> 32) & ni->mask;
	for (; ni->slots[pos]; pos = (pos + 1) & ni->mask) {
		uint32_t i = ni->slots[pos] - 1;

		if (strcmp(ni->names[i], name) == 0)
			return i;
	}
	return -1;
}

/* Index names[0..n-1]; alias[i] = first index named like i. */
static int name_index_build(struct name_index *ni, const char *const *names, size_t n,
			    uint32_t *alias, const char *what)
{
	size_t cap = 8, i, pos;

	ni->names = names;
	if (n && !names)
		return rlp_error_set(RLP_EINVALID, "results spec: no %s names", what);
	while (cap < 2 * n)
		cap *= 2;
	ni->slots = calloc(cap, sizeof(*ni->slots));
	if (!ni->slots)
		return rlp_error_set(RLP_ENOMEM, "out of memory for the results spec");
	ni->mask = cap - 1;
	for (i = 0; i < n; i++) {
		long first;

		if (!names[i])
			return rlp_error_set(RLP_EINVALID, "results spec: %s %zu is NULL", what, i);
		first = name_find(ni, names[i]);
		alias[i] = first >= 0 ? (uint32_t)first : (uint32_t)i;
		if (first >= 0)
			continue;
		pos = (size_t)(results_hash(names[i], strlen(names[i])) >> 32) & ni->mask;
		while (ni->slots[pos])
			pos = (pos + 1) & ni->mask;
		ni->slots[pos] = (uint32_t)i + 1;
	}
	return 0;
}

static void spec_free(struct compiled_spec *cs)
{
	free(cs->tag_alias);
	free(cs->metric_alias);
	free(cs->kind);
	free(cs->tags.slots);
	free(cs->metrics.slots);
}

/* derived.reward_hack reads two scores the spec keeps anyway. */
static int spec_reward_hack(struct compiled_spec *cs, const struct rlp_results_spec *spec)
{
	const struct rlp_results_hack *h = spec->hack;

	if (h) {
		cs->hack_reward = h->reward ? name_find(&cs->metrics, h->reward) : -1;
		cs->hack_verifier = h->verifier ? name_find(&cs->metrics, h->verifier) : -1;
		cs->hack_threshold = h->threshold;
		cs->verifier_pass = h->verifier_pass;
	}
	if (!h || cs->hack_reward < 0 || cs->hack_verifier < 0 || cs->kind[cs->hack_reward] != M_SCORE ||
	    cs->kind[cs->hack_verifier] != M_SCORE || isnan(cs->hack_threshold) ||
	    isnan(cs->verifier_pass))
		return rlp_error_set(RLP_EINVALID, "results spec: %s needs its reward and verifier "
				     "scores among the metrics, and both thresholds",
				     RLP_DERIVED_REWARD_HACK);
	return 0;
}

static int spec_compile(struct compiled_spec *cs, const struct rlp_results_spec *spec)
{
	static const struct rlp_results_spec empty;
	size_t m;
	int rc;

	memset(cs, 0, sizeof(*cs));
	cs->latency = cs->cost = cs->kl_k1 = cs->kl_k3 = -1;
	cs->hack = cs->hack_reward = cs->hack_verifier = -1;
	if (!spec)
		spec = &empty;
	if (spec->ntags >= UINT32_MAX || spec->nmetrics >= UINT32_MAX)
		return rlp_error_set(RLP_EINVALID, "results spec: too many tags or metrics");
	cs->ntags = spec->ntags;
	cs->nmetrics = spec->nmetrics;
	cs->tag_words = (cs->ntags + 63) / 64;
	cs->max_line = spec->max_line ? spec->max_line : RLP_RESULTS_MAX_LINE_DEFAULT;
	cs->tag_alias = calloc(cs->ntags + 1, sizeof(*cs->tag_alias));
	cs->metric_alias = calloc(cs->nmetrics + 1, sizeof(*cs->metric_alias));
	cs->kind = calloc(cs->nmetrics + 1, 1);
	if (!cs->tag_alias || !cs->metric_alias || !cs->kind) {
		rc = rlp_error_set(RLP_ENOMEM, "out of memory for the results spec");
		goto fail;
	}
	rc = name_index_build(&cs->tags, spec->tags, cs->ntags, cs->tag_alias, "tag");
	if (!rc)
		rc = name_index_build(&cs->metrics, spec->metrics, cs->nmetrics, cs->metric_alias,
				      "metric");
	if (rc)
		goto fail;
	for (m = 0; m < cs->nmetrics; m++) {
		const char *name = spec->metrics[m];
		long *slot = NULL;

		if (cs->metric_alias[m] != m)
			continue;
		if (strcmp(name, RLP_FIELD_LATENCY) == 0)
			cs->kind[m] = M_LATENCY, slot = &cs->latency;
		else if (strcmp(name, RLP_FIELD_COST) == 0)
			cs->kind[m] = M_COST, slot = &cs->cost;
		else if (strcmp(name, RLP_DERIVED_KL_K1) == 0)
			cs->kind[m] = M_KL_K1, slot = &cs->kl_k1;
		else if (strcmp(name, RLP_DERIVED_KL_K3) == 0)
			cs->kind[m] = M_KL_K3, slot = &cs->kl_k3;
		else if (strcmp(name, RLP_DERIVED_REWARD_HACK) == 0)
			cs->kind[m] = M_REWARD_HACK, slot = &cs->hack;
		else if (strcmp(name, RLP_DERIVED_DISTINCT_2) == 0)
			cs->kind[m] = M_DISTINCT_2;
		else if (strcmp(name, RLP_DERIVED_DUPLICATE_RATE) == 0)
			cs->kind[m] = M_DUPLICATE_RATE;
		else if (strcmp(name, RLP_DERIVED_COLLAPSED) == 0)
			cs->kind[m] = M_COLLAPSED;
		if (slot)
			*slot = (long)m;
		cs->want_output |= cs->kind[m] >= M_DISTINCT_2;
	}
	if (cs->hack >= 0 && (rc = spec_reward_hack(cs, spec)) != 0)
		goto fail;
	return 0;
fail:
	spec_free(cs);
	return rc;
}

/* Records. */

enum field {
	F_OTHER, F_ID, F_EPOCH, F_CLUSTER, F_TAGS, F_SCORES, F_LATENCY, F_COST, F_LOGPROB,
	F_REF_LOGPROB, F_OUTPUT,
};

static enum field field_of(const char *k)
{
	if (!k)
		return F_OTHER;
	switch (k[0]) {
	case 'i':
		return strcmp(k, "id") == 0 ? F_ID : F_OTHER;
	case 'e':
		return strcmp(k, "epoch") == 0 ? F_EPOCH : F_OTHER;
	case 'c':
		if (strcmp(k, "cluster") == 0)
			return F_CLUSTER;
		return strcmp(k, RLP_FIELD_COST) == 0 ? F_COST : F_OTHER;
	case 't':
		return strcmp(k, "tags") == 0 ? F_TAGS : F_OTHER;
	case 's':
		return strcmp(k, "scores") == 0 ? F_SCORES : F_OTHER;
	case 'l':
		if (strcmp(k, RLP_FIELD_LATENCY) == 0)
			return F_LATENCY;
		return strcmp(k, "logprob") == 0 ? F_LOGPROB : F_OTHER;
	case 'r':
		return strcmp(k, "ref_logprob") == 0 ? F_REF_LOGPROB : F_OTHER;
	case 'o':
		return strcmp(k, "output") == 0 ? F_OUTPUT : F_OTHER;
	default:
		return F_OTHER;
	}
}

/* "<before><subject><after>" with the subject (a key from the input) quoted. */
static int invalid(const char *before, const char *subject, const char *after)
{
	char q[QUOTE_MAX];

	results_quote(q, sizeof(q), subject);
	return rlp_error_set(RLP_EINVALID, "%s%s%s", before, q, after);
}

static void set_value(struct reader *rd, long m, double v)
{
	rd->has[m] = 1;
	rd->values[m] = v;
}

/* The spec metric a score key names, or -1. */
static long score_metric(struct reader *rd, const char *key, size_t pos)
{
	struct key_cache *c = pos < KEY_CACHE ? &rd->score_keys[pos] : NULL;
	long m;

	if (c && c->name[0] && strcmp(c->name, key) == 0)
		return c->metric;
	m = name_find(&rd->cs->metrics, key);
	if (m >= 0 && rd->cs->kind[m] != M_SCORE)
		m = -1;
	if (c && strlen(key) < KEY_CACHE_NAME) {
		strcpy(c->name, key);
		c->metric = m;
	}
	return m;
}

static int read_score(struct reader *rd, const struct rlp_json *v, size_t pos)
{
	const char *key = rlp_json_key(v);
	long m = score_metric(rd, key, pos);
	double d;

	if (rlp_json_is_number(v)) {
		d = rlp_json_number(v);
		if (!isfinite(d))
			return invalid("scores.", key, ": not a finite number");
	} else if (rlp_json_is_bool(v)) {
		d = rlp_json_is_true(v) ? 1 : 0;
	} else if (m >= 0) {
		return invalid("scores.", key, ": not a number or boolean");
	} else {
		return 0; /* not asked for: other types are the user's business */
	}
	if (m < 0)
		return 0;
	if (rd->has[m])
		return invalid("scores.", key, ": duplicate key");
	set_value(rd, m, d);
	return 0;
}

static int read_tags(struct reader *rd, const struct rlp_json *tags)
{
	const struct rlp_json *t = NULL;

	if (!rlp_json_is_array(tags))
		return rlp_error_set(RLP_EINVALID, "tags: not an array of strings");
	for (t = rlp_json_first(tags); t; t = rlp_json_next(t)) {
		long i;

		if (!rlp_json_is_string(t))
			return rlp_error_set(RLP_EINVALID, "tags: not an array of strings");
		if (!rd->cs->ntags || (i = name_find(&rd->cs->tags, rlp_json_string(t))) < 0)
			continue;
		rd->tags[i / 64] |= 1ull << (i % 64);
	}
	return 0;
}

/* A top-level number: non-finite is always an error, another type only when
 * the spec asks for the field (m >= 0, or `wanted`). */
static int read_number(const struct rlp_json *v, const char *name, bool wanted, double *out,
		       bool *have)
{
	if (rlp_json_is_number(v)) {
		*out = rlp_json_number(v);
		if (!isfinite(*out))
			return rlp_error_set(RLP_EINVALID, "%s: not a finite number", name);
		*have = true;
	} else if (wanted) {
		return rlp_error_set(RLP_EINVALID, "%s: not a number", name);
	}
	return 0;
}

/* KL estimators from sequence log-probs (RULES.md). k3 = (r - 1) - log r
 * with log r = d = ref - lp, i.e. expm1(d) - d, by its series near 0 where
 * the subtraction would cancel. */
static int derive_kl(struct reader *rd, double lp, double ref)
{
	const struct compiled_spec *cs = rd->cs;
	double d = ref - lp, k3;

	if (cs->kl_k1 >= 0)
		set_value(rd, cs->kl_k1, lp - ref);
	if (cs->kl_k3 < 0)
		return 0;
	if (fabs(d) < 1e-2)
		k3 = d * d * (1.0 / 2 + d * (1.0 / 6 + d * (1.0 / 24 + d * (1.0 / 120 +
			d * (1.0 / 720 + d / 5040)))));
	else
		k3 = expm1(d) - d;
	if (!isfinite(k3))
		return rlp_error_set(RLP_EINVALID,
				     "%s: not finite (ref_logprob - logprob = %g)",
				     RLP_DERIVED_KL_K3, d);
	set_value(rd, cs->kl_k3, k3);
	return 0;
}

static int read_field(struct reader *rd, enum field f, const struct rlp_json *v,
		      struct results_record *rec, double lps[2], bool have_lps[2])
{
	const struct compiled_spec *cs = rd->cs;
	const struct rlp_json *s = NULL;
	bool want_kl = cs->kl_k1 >= 0 || cs->kl_k3 >= 0, have = false;
	double d = 0;
	size_t pos;
	int rc;

	switch (f) {
	case F_ID:
		if (!rlp_json_is_string(v))
			return rlp_error_set(RLP_EINVALID, "id: not a string");
		rec->id = rlp_json_string(v);
		rec->id_len = strlen(rec->id);
		if (!rec->id_len)
			return rlp_error_set(RLP_EINVALID, "id: empty");
		rec->id_hash = results_hash(rec->id, rec->id_len);
		results_store_prefetch(rd->res, rec->id_hash);
		return 0;
	case F_EPOCH:
		d = rlp_json_number(v);
		if (!rlp_json_is_number(v) || !(d >= 0 && d <= RESULTS_MAX_EPOCH) || d != floor(d))
			return rlp_error_set(RLP_EINVALID, "epoch: not a non-negative integer");
		rec->epoch = (uint64_t)d;
		return 0;
	case F_CLUSTER:
		if (!rlp_json_is_string(v))
			return rlp_error_set(RLP_EINVALID, "cluster: not a string");
		rec->cluster = rlp_json_string(v);
		return 0;
	case F_TAGS:
		return read_tags(rd, v);
	case F_SCORES:
		if (!rlp_json_is_object(v))
			return rlp_error_set(RLP_EINVALID, "scores: not an object");
		for (s = rlp_json_first(v), pos = 0; s; s = rlp_json_next(s), pos++)
			if ((rc = read_score(rd, s, pos)) != 0)
				return rc;
		return 0;
	case F_LATENCY:
	case F_COST: {
		long m = f == F_LATENCY ? cs->latency : cs->cost;

		rc = read_number(v, f == F_LATENCY ? RLP_FIELD_LATENCY : RLP_FIELD_COST, m >= 0,
				 &d, &have);
		if (!rc && have && m >= 0)
			set_value(rd, m, d);
		return rc;
	}
	case F_LOGPROB:
	case F_REF_LOGPROB:
		return read_number(v, f == F_LOGPROB ? "logprob" : "ref_logprob", want_kl,
				   &lps[f == F_REF_LOGPROB], &have_lps[f == F_REF_LOGPROB]);
	case F_OUTPUT:
		if (!rlp_json_is_string(v))
			return rlp_error_set(RLP_EINVALID, "output: not a string");
		rec->output = rlp_json_string(v);
		rec->output_len = strlen(rec->output);
		return 0;
	default:
		return 0;
	}
}

/* Parse one non-blank line into rec (strings point into the arena). Errors
 * carry an unlocated message. */
static int parse_record(struct reader *rd, const char *line, size_t len,
			struct results_record *rec)
{
	const struct compiled_spec *cs = rd->cs;
	const struct rlp_json *root = NULL, *v = NULL;
	double lps[2] = { 0, 0 };
	bool have_lps[2] = { false, false };
	unsigned seen = 0;
	size_t off;
	int rc;

	root = rlp_json_parse(line, len, &off);
	if (!root)
		return off == SIZE_MAX ? RLP_ENOMEM : RLP_EINVALID; /* message set */
	if (!rlp_json_is_object(root))
		return rlp_error_set(RLP_EINVALID, "not a JSON object");
	memset(rec, 0, sizeof(*rec));
	if (cs->tag_words)
		memset(rd->tags, 0, cs->tag_words * sizeof(*rd->tags));
	if (cs->nmetrics)
		memset(rd->has, 0, cs->nmetrics);
	for (v = rlp_json_first(root); v; v = rlp_json_next(v)) {
		enum field f = field_of(rlp_json_key(v));

		if (f == F_OTHER || (f == F_OUTPUT && !cs->want_output))
			continue;
		if (seen & (1u << f))
			return invalid("duplicate key '", rlp_json_key(v), "'");
		seen |= 1u << f;
		if ((rc = read_field(rd, f, v, rec, lps, have_lps)) != 0)
			return rc;
	}
	if (!rec->id)
		return rlp_error_set(RLP_EINVALID, "missing id");
	if (have_lps[0] && have_lps[1] && (rc = derive_kl(rd, lps[0], lps[1])) != 0)
		return rc;
	/* a reward-hacking suspect: the reward model likes it, the verifier does not */
	if (cs->hack >= 0 && rd->has[cs->hack_reward] && rd->has[cs->hack_verifier])
		set_value(rd, cs->hack, rd->values[cs->hack_reward] >= cs->hack_threshold &&
					       rd->values[cs->hack_verifier] < cs->verifier_pass);
	rec->tags = rd->tags;
	rec->values = rd->values;
	rec->has = rd->has;
	return 0;
}

static bool contains(const char *hay, size_t n, const char *needle, size_t k)
{
	const char *p = hay, *end = hay + n;

	while (k && (size_t)(end - p) >= k && (p = memchr(p, needle[0], (size_t)(end - p) - k + 1))) {
		if (memcmp(p, needle, k) == 0)
			return true;
		p++;
	}
	return false;
}

/* Line of the first record with this id and epoch before line `before`, or 0.
 * Only lines that could hold the id (it appears raw, or escapes do) are parsed. */
static size_t first_seen(struct reader *rd, struct results_lines *src, const char *id,
			 uint64_t epoch, size_t before)
{
	struct results_record rec;
	const char *line = NULL;
	size_t len, idlen = strlen(id);

	if (!results_lines_rewind(src))
		return 0;
	while (results_lines_next(src, &line, &len) == 1 && src->lineno < before) {
		if (results_lines_skip_blank(src, &line, &len))
			continue;
		if (!memchr(line, '\\', len) && !contains(line, len, id, idlen))
			continue;
		rlp_json_arena_reset(rd->arena);
		if (parse_record(rd, line, len, &rec) == 0 && rec.id_len == idlen &&
		    memcmp(rec.id, id, idlen) == 0 && rec.epoch == epoch)
			return src->lineno;
	}
	return 0;
}

static int duplicate(struct reader *rd, struct results_lines *src, size_t row, uint64_t epoch)
{
	const char *id = rlp_results_id(rd->res, row);
	size_t line = src->lineno, first = first_seen(rd, src, id, epoch, line);
	char q[QUOTE_MAX];

	results_quote(q, sizeof(q), id);
	if (first)
		return rlp_error_set(RLP_EINVALID,
				     "%s:%zu: duplicate id '%s' for epoch %llu (first seen on line %zu)",
				     rd->name, line, q, (unsigned long long)epoch, first);
	return rlp_error_set(RLP_EINVALID, "%s:%zu: duplicate id '%s' for epoch %llu", rd->name,
			     line, q, (unsigned long long)epoch);
}

static bool cancelled(const struct reader *rd)
{
	return rd->cancel && atomic_load(&rd->cancel->first_failed) < rd->self;
}

static int read_records(struct reader *rd, struct results_lines *src)
{
	struct results_record rec;
	const char *line = NULL;
	size_t len, row = 0;
	int rc;

	while ((rc = results_lines_next(src, &line, &len)) == 1) {
		if (results_lines_skip_blank(src, &line, &len))
			continue;
		if (src->lineno % CANCEL_EVERY == 0 && cancelled(rd))
			return RESULTS_CANCELLED;
		if (src->lineno % CANCEL_EVERY == 0)
			rlp_progress_report(src->progress, src->pos, src->mem_len);
		rlp_json_arena_reset(rd->arena);
		rc = parse_record(rd, line, len, &rec);
		if (!rc)
			rc = results_store_add(rd->res, &rec, &row);
		if (rc == RESULTS_DUPLICATE)
			return duplicate(rd, src, row, rec.epoch);
		if (rc)
			return rlp_error_wrap(rc, "%s:%zu", rd->name, src->lineno);
	}
	if (rc == 0)
		rlp_progress_report(src->progress, src->mem_len, src->mem_len);
	if (rc == RLP_EINVALID) /* a line too long */
		return rlp_error_wrap(rc, "%s:%zu", rd->name, src->lineno);
	if (rc)
		return rlp_error_wrap(rc, "%s", rd->name);
	return 0;
}

/* A record's parse tree may take this much: room for a max_line-long string
 * value, not for a max_line-long array of tiny values (~30x the input). */
static size_t arena_limit(size_t max_line)
{
	size_t limit = ARENA_LIMIT_MIN;

	if (max_line < SIZE_MAX / 4 && 4 * max_line > limit)
		limit = 4 * max_line;
	return limit;
}

static int read_source(struct rlp_results **out, struct results_lines *src, const char *name,
		       const struct compiled_spec *cs, struct cancel *cancel, size_t self)
{
	struct reader rd = { .cs = cs, .name = name, .cancel = cancel, .self = self };
	int rc;

	*out = NULL;
	rc = results_store_new(&rd.res, cs->ntags, cs->tag_alias, cs->nmetrics, cs->metric_alias);
	if (rc)
		return rlp_error_wrap(rc, "%s", name);
	for (size_t m = 0; m < cs->nmetrics && !rc; m++)
		if (cs->metric_alias[m] == m && cs->kind[m] >= M_DISTINCT_2)
			rc = results_store_output_metric(rd.res, m, (enum results_output_metric)(
				cs->kind[m] - M_DISTINCT_2 + RESULTS_OUT_DISTINCT_2));
	if (rc)
		goto done;
	rd.arena = rlp_json_arena_new(ARENA_BLOCK);
	rlp_json_arena_set_limit(rd.arena, arena_limit(cs->max_line));
	rd.tags = calloc(cs->tag_words + 1, sizeof(*rd.tags));
	rd.values = calloc(cs->nmetrics + 1, sizeof(*rd.values));
	rd.has = calloc(cs->nmetrics + 1, 1);
	if (!rd.arena || !rd.tags || !rd.values || !rd.has) {
		rc = rlp_error_set(RLP_ENOMEM, "%s: out of memory", name);
		goto done;
	}
	rlp_json_arena_use(rd.arena);
	rc = read_records(&rd, src);
	rlp_json_arena_use(NULL);
	if (!rc && rlp_results_records(rd.res) == 0)
		rc = rlp_error_set(RLP_EINVALID, "%s: no records", name);
	if (!rc) {
		results_store_finish(rd.res);
		*out = rd.res;
		rd.res = NULL;
	}
done:
	rlp_json_arena_free(rd.arena);
	free(rd.tags);
	free(rd.values);
	free(rd.has);
	rlp_results_free(rd.res);
	return rc;
}

int rlp_results_read_buffer(struct rlp_results **out, const char *buf, size_t len,
			    const char *name, const struct rlp_results_spec *spec)
{
	return rlp_results_read_buffer_progress(out, buf, len, name, spec, NULL);
}

int rlp_results_read_buffer_progress(struct rlp_results **out, const char *buf, size_t len,
				     const char *name, const struct rlp_results_spec *spec,
				     const struct rlp_progress *progress)
{
	struct compiled_spec cs;
	struct results_lines src;
	int rc;

	if (!out)
		return rlp_error_set(RLP_EINVALID, "results: no output pointer");
	*out = NULL;
	if (!buf && len)
		return rlp_error_set(RLP_EINVALID, "results: NULL buffer");
	if ((rc = spec_compile(&cs, spec)) != 0)
		return rc;
	results_lines_init(&src, cs.max_line);
	src.mem = buf;
	src.mem_len = len;
	src.progress = progress;
	rc = read_source(out, &src, name ? name : "<buffer>", &cs, NULL, 0);
	spec_free(&cs);
	return rc;
}

static int read_path(struct rlp_results **out, const char *path, const struct compiled_spec *cs,
		     struct cancel *cancel, size_t self)
{
	struct results_lines src;
	int rc;

	*out = NULL;
	if (!path)
		return rlp_error_set(RLP_EINVALID, "results: NULL path");
	results_lines_init(&src, cs->max_line);
	src.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src.fd < 0)
		return rlp_error_set(RLP_EIO, "cannot open '%s': %s", path, strerror(errno));
	posix_fadvise(src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = read_source(out, &src, path, cs, cancel, self);
	close(src.fd);
	free(src.buf);
	return rc;
}

int rlp_results_read_file(struct rlp_results **out, const char *path,
			  const struct rlp_results_spec *spec)
{
	struct compiled_spec cs;
	int rc;

	if (!out)
		return rlp_error_set(RLP_EINVALID, "results: no output pointer");
	*out = NULL;
	if ((rc = spec_compile(&cs, spec)) != 0)
		return rc;
	rc = read_path(out, path, &cs, NULL, 0);
	spec_free(&cs);
	return rc;
}

/* Several files: a shared queue of file indexes drained by up to one thread
 * per CPU (the caller's thread is one of them). */

struct file_status {
	int rc;
	char msg[MSG_MAX];
};

struct files_job {
	const char *const *paths;
	size_t n;
	struct rlp_results **out;
	const struct compiled_spec *cs;
	struct file_status *status;
	atomic_size_t next;
	struct cancel cancel;
};

static void *files_worker(void *arg)
{
	struct files_job *job = arg;
	size_t i, failed;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->n) {
		struct file_status *st = &job->status[i];

		if (atomic_load(&job->cancel.first_failed) < i) {
			st->rc = RESULTS_CANCELLED;
			continue;
		}
		st->rc = read_path(&job->out[i], job->paths[i], job->cs, &job->cancel, i);
		if (!st->rc || st->rc == RESULTS_CANCELLED)
			continue;
		/* rlp_error_last() is per thread: carry the message to the caller. */
		snprintf(st->msg, sizeof(st->msg), "%s", rlp_error_last());
		failed = atomic_load(&job->cancel.first_failed);
		while (i < failed &&
		       !atomic_compare_exchange_weak(&job->cancel.first_failed, &failed, i))
			;
	}
	return NULL;
}

static size_t worker_count(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		cpus = 1;
	return n < (size_t)cpus ? n : (size_t)cpus;
}

int rlp_results_read_files(struct rlp_results **out, const char *const *paths, size_t n,
			   const struct rlp_results_spec *spec)
{
	struct files_job job = { .paths = paths, .n = n, .out = out };
	struct compiled_spec cs;
	pthread_t *threads = NULL;
	size_t nthreads, started = 0, i;
	int rc = 0;

	if (!out || (n && !paths))
		return rlp_error_set(RLP_EINVALID, "results: NULL paths or output");
	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (!n)
		return 0;
	if ((rc = spec_compile(&cs, spec)) != 0)
		return rc;
	job.cs = &cs;
	atomic_init(&job.next, 0);
	atomic_init(&job.cancel.first_failed, n);
	job.status = calloc(n, sizeof(*job.status));
	nthreads = worker_count(n);
	threads = calloc(nthreads, sizeof(*threads));
	if (!job.status || !threads) {
		rc = rlp_error_set(RLP_ENOMEM, "out of memory reading %zu files", n);
		goto done;
	}
	/* A thread that cannot start is no error: the others drain the queue. */
	for (started = 0; started + 1 < nthreads; started++)
		if (pthread_create(&threads[started], NULL, files_worker, &job) != 0)
			break;
	files_worker(&job);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < n; i++) {
		if (job.status[i].rc && job.status[i].rc != RESULTS_CANCELLED) {
			rc = rlp_error_set(job.status[i].rc, "%s", job.status[i].msg);
			break;
		}
	}
done:
	if (rc) {
		for (i = 0; i < n; i++) {
			rlp_results_free(out[i]);
			out[i] = NULL;
		}
	}
	free(job.status);
	free(threads);
	spec_free(&cs);
	return rc;
}
