/*
 * Per-id storage of eval results (see results_private.h).
 *
 * Memory is what the gate needs per distinct id and nothing per record:
 * interned id strings in chained blocks, an open-addressing table id -> row,
 * and columns (tag bitsets, per-metric sums). Columns that would only restate
 * the common case are created lazily, when the first record needs them:
 * per-metric counts (absent while every record of every id carried the
 * metric), epoch sets and record counts (absent while every epoch was 0),
 * cluster indexes (absent while no record named a cluster). Figures from the
 * records' outputs live in results_outputs.c.
 */
#include "results_private.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

#define MIN_ROWS 1024
#define QUOTE_MAX 72

struct rlp_results {
	struct results_strtab ids;
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
	struct results_epoch_set late_epochs;
	struct results_strtab clusters;
	int32_t *cluster; /* NULL: no record named a cluster */
	unsigned char *out_kind; /* per metric, enum results_output_metric; NULL: none */
	bool want_bigrams;
	struct results_outputs *outputs; /* created by the first output */
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
	results_strtab_free(&r->ids);
	results_strtab_free(&r->clusters);
	for (m = 0; r->sums && m < r->nmetrics; m++)
		results_col_free(r->sums[m]);
	for (m = 0; r->counts && m < r->nmetrics; m++)
		results_col_free(r->counts[m]);
	free(r->sums);
	free(r->counts);
	free(r->tag_alias);
	free(r->metric_alias);
	results_col_free(r->tags);
	free(r->binary);
	free(r->carriers);
	results_col_free(r->epoch_mask);
	results_col_free(r->nrec);
	results_epoch_set_free(&r->late_epochs);
	results_col_free(r->cluster);
	free(r->out_kind);
	results_outputs_free(r->outputs);
	free(r);
}

int results_store_output_metric(struct rlp_results *r, size_t m, enum results_output_metric kind)
{
	if (m >= r->nmetrics)
		return rlp_error_set(RLP_EINVALID, "results: no metric %zu", m);
	if (!r->out_kind && !(r->out_kind = calloc(r->nmetrics, 1)))
		return rlp_error_set(RLP_ENOMEM, "out of memory for results");
	r->out_kind[m] = (unsigned char)kind;
	r->want_bigrams |= kind == RESULTS_OUT_DISTINCT_2;
	return 0;
}

static bool output_metric(const struct rlp_results *r, size_t m)
{
	return r->out_kind && r->out_kind[m] != RESULTS_OUT_NONE;
}

static int note_output(struct rlp_results *r, size_t row, const struct results_record *rec)
{
	int rc;

	if (!rec->output || !r->out_kind)
		return 0;
	if (!r->outputs && (rc = results_outputs_new(&r->outputs, r->want_bigrams)) != 0)
		return rc;
	return results_outputs_add(r->outputs, row, rec->output, rec->output_len);
}

static bool canonical_metric(const struct rlp_results *r, size_t m)
{
	return r->metric_alias[m] == m;
}

static unsigned records_of(const struct rlp_results *r, size_t row)
{
	return r->nrec ? r->nrec[row] : 1;
}

/* Columns double: a million ids cost a few mremaps. All share r->rows, which
 * only changes once every column has grown. */
#define GROW(col, per_row)                                                             \
	do {                                                                           \
		void *p_ = results_col_resize((col), rows * (per_row) * sizeof(*(col)));      \
		if (!p_)                                                               \
			goto nomem;                                                    \
		(col) = p_;                                                            \
	} while (0)

static int grow_rows(struct rlp_results *r, size_t need)
{
	size_t rows = r->rows ? r->rows : MIN_ROWS, m;

	while (rows < need)
		rows *= 2;
	if (rows == r->rows)
		return 0;
	if (r->tag_words)
		GROW(r->tags, r->tag_words);
	for (m = 0; m < r->nmetrics; m++) {
		if (!canonical_metric(r, m))
			continue;
		GROW(r->sums[m], 1);
		if (r->counts[m])
			GROW(r->counts[m], 1);
	}
	if (r->epoch_mask) {
		GROW(r->epoch_mask, 1);
		GROW(r->nrec, 1);
	}
	if (r->cluster)
		GROW(r->cluster, 1);
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

	r->epoch_mask = results_col_resize(NULL, r->rows * sizeof(*r->epoch_mask));
	r->nrec = results_col_resize(NULL, r->rows * sizeof(*r->nrec));
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

	r->counts[m] = results_col_resize(NULL, r->rows * sizeof(*r->counts[m]));
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
	} else if ((rc = results_epoch_set_add(&r->late_epochs, row, epoch)) != 0) {
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
		rc = results_strtab_intern(&r->clusters, name, len, results_hash(name, len), &index,
				   &new_name);
		if (rc)
			return rc;
		if (index > INT32_MAX)
			return rlp_error_set(RLP_EINVALID, "too many clusters");
		c = (long)index;
		if (!r->cluster) {
			r->cluster = results_col_resize(NULL, r->rows * sizeof(*r->cluster));
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
	results_strtab_prefetch(&r->ids, id_hash);
}

int results_store_add(struct rlp_results *r, const struct results_record *rec, size_t *dup)
{
	size_t row, m, w;
	bool added;
	int rc;

	rc = results_strtab_intern(&r->ids, rec->id, rec->id_len, rec->id_hash, &row, &added);
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
	if ((rc = note_output(r, row, rec)) != 0)
		return rc;
	for (w = 0; w < r->tag_words; w++)
		r->tags[row * r->tag_words + w] |= rec->tags[w];
	for (m = 0; m < r->nmetrics; m++) {
		double v = rec->values[m];

		if (!canonical_metric(r, m) || output_metric(r, m))
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
		if (output_metric(r, m)) {
			for (i = 0; i < r->ids.n; i++) {
				double v;
				if (!results_outputs_value(r->outputs, i, r->out_kind[m], &v))
					continue;
				r->carriers[m]++;
				if (v != 0.0 && v != 1.0)
					r->binary[m] = false;
			}
			continue;
		}
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
	return results_strtab_find(&r->ids, id, len, results_hash(id, len));
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
	if (output_metric(r, m))
		return results_outputs_value(r->outputs, i, r->out_kind[m], out);
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
