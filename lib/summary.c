/* Per-tag aggregates of a results file (see summary.h). */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "progress.h"
#include "results.h"

/* Distinct names kept; a results file with more is refused rather than
 * summarized in quadratic time. */
#define SUMMARY_MAX_TAGS 4096
#define SUMMARY_MAX_SCORES 512

struct score_agg {
	char *name;
	size_t n;
	double sum;
};

struct group {
	char *name;
	size_t records;
	struct score_agg *scores;
	size_t nscores;
};

struct summary {
	struct group all;
	struct group *tags;
	size_t ntags;
};

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name, ((const struct group *)b)->name);
}

static int cmp_score(const void *a, const void *b)
{
	return strcmp(((const struct score_agg *)a)->name, ((const struct score_agg *)b)->name);
}

static int add_score(struct group *g, const char *name, double v)
{
	for (size_t i = 0; i < g->nscores; i++)
		if (!strcmp(g->scores[i].name, name)) {
			g->scores[i].n++;
			g->scores[i].sum += v;
			return 0;
		}
	if (g->nscores >= SUMMARY_MAX_SCORES)
		return rlp_error_set(RLP_EINVALID, "more than %d distinct scores", SUMMARY_MAX_SCORES);
	struct score_agg *grown = realloc(g->scores, (g->nscores + 1) * sizeof(*grown));
	if (!grown)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	g->scores = grown;
	if (!(grown[g->nscores].name = strdup(name)))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	grown[g->nscores].n = 1;
	grown[g->nscores].sum = v;
	g->nscores++;
	return 0;
}

/* The index of a tag's group (an index: the array moves as it grows). */
static int find_tag(size_t *out, struct summary *s, const char *name)
{
	for (size_t i = 0; i < s->ntags; i++)
		if (!strcmp(s->tags[i].name, name)) {
			*out = i;
			return 0;
		}
	if (s->ntags >= SUMMARY_MAX_TAGS)
		return rlp_error_set(RLP_EINVALID, "more than %d distinct tags", SUMMARY_MAX_TAGS);
	struct group *grown = realloc(s->tags, (s->ntags + 1) * sizeof(*grown));
	if (!grown)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	s->tags = grown;
	memset(&grown[s->ntags], 0, sizeof(*grown));
	if (!(grown[s->ntags].name = strdup(name)))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	*out = s->ntags++;
	return 0;
}

/* One record, already validated by the results reader. */
static int add_record(struct summary *s, const struct rlp_json *rec)
{
	const struct rlp_json *tags = rlp_json_get(rec, "tags"), *scores = rlp_json_get(rec, "scores");
	size_t tag_index[64], ntags = 0;
	struct group *groups[65];
	size_t ngroups = 0;
	int error;

	for (const struct rlp_json *t = rlp_json_first(tags); t; t = rlp_json_next(t)) {
		size_t g = 0;
		bool seen = false;
		if ((error = find_tag(&g, s, rlp_json_string(t))) < 0)
			return error;
		for (size_t i = 0; i < ntags; i++)
			seen |= tag_index[i] == g;
		if (!seen && ntags < sizeof(tag_index) / sizeof(tag_index[0]))
			tag_index[ntags++] = g;
	}
	/* pointers only once every tag is in place */
	groups[ngroups++] = &s->all;
	for (size_t i = 0; i < ntags; i++)
		groups[ngroups++] = &s->tags[tag_index[i]];
	for (size_t i = 0; i < ngroups; i++)
		groups[i]->records++;
	for (const struct rlp_json *m = rlp_json_first(scores); m; m = rlp_json_next(m)) {
		double v;
		if (rlp_json_is_bool(m))
			v = rlp_json_is_true(m);
		else if (rlp_json_is_finite_number(m))
			v = rlp_json_number(m);
		else
			continue;
		for (size_t i = 0; i < ngroups; i++)
			if ((error = add_score(groups[i], rlp_json_key(m), v)) < 0)
				return error;
	}
	return 0;
}

static void group_json(struct rlp_json *o, struct group *g)
{
	struct rlp_json *scores;

	rlp_json_add_number(o, "records", (double)g->records);
	scores = rlp_json_add_object(o, "scores");
	if (g->nscores)
		qsort(g->scores, g->nscores, sizeof(*g->scores), cmp_score);
	for (size_t i = 0; i < g->nscores; i++) {
		struct rlp_json *so = rlp_json_add_object(scores, g->scores[i].name);
		rlp_json_add_number(so, "n", (double)g->scores[i].n);
		rlp_json_add_number(so, "mean", g->scores[i].sum / (double)g->scores[i].n);
	}
}

static void group_clear(struct group *g)
{
	for (size_t i = 0; i < g->nscores; i++)
		free(g->scores[i].name);
	free(g->scores);
	free(g->name);
}

/* Each of the two passes over the bytes is half of the work. */
static void first_pass_update(void *ctx, uint64_t done, uint64_t total)
{
	rlp_progress_report(ctx, done / 2, total);
}

int rlp_summary_compute(char **out, const char *buf, size_t len, const char *name)
{
	return rlp_summary_compute_progress(out, buf, len, name, NULL);
}

int rlp_summary_compute_progress(char **out, const char *buf, size_t len, const char *name,
				 const struct rlp_progress *progress)
{
	struct rlp_progress relay = {first_pass_update, (void *)progress};
	struct rlp_results_spec spec = {0};
	size_t lines = 0;
	struct rlp_results *validated = NULL;
	struct summary s;
	struct rlp_json *root = NULL;
	int error;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if ((error = rlp_results_read_buffer_progress(&validated, buf, len, name, &spec,
						      progress ? &relay : NULL)) < 0)
		return error;
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct rlp_json *rec = NULL;
		size_t skip = 0;
		while (skip < n && (p[skip] == ' ' || p[skip] == '\t' || p[skip] == '\r'))
			skip++;
		if (++lines % 4096 == 0)
			rlp_progress_report(progress, (len + (uint64_t)(p - buf)) / 2, len);
		if (skip < n) {
			rec = rlp_json_parse(p, n, NULL);
			error = rec ? add_record(&s, rec) : rlp_error_set(RLP_ENOMEM, "out of memory");
			rlp_json_free(rec);
			if (error < 0)
				goto done;
		}
		p += n + 1;
	}
	root = rlp_json_new_object();
	rlp_json_add_number(root, "ids", (double)rlp_results_count(validated));
	group_json(root, &s.all); /* records and scores of every record */
	struct rlp_json *tags = rlp_json_add_object(root, "tags");
	if (s.ntags) /* qsort may not take the NULL of no tags */
		qsort(s.tags, s.ntags, sizeof(*s.tags), cmp_group);
	for (size_t i = 0; i < s.ntags; i++)
		group_json(rlp_json_add_object(tags, s.tags[i].name), &s.tags[i]);
	char *text = tags ? rlp_json_print_line(root, false) : NULL;
	if (!text) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	*out = text;
	rlp_progress_report(progress, len, len);
done:
	rlp_json_free(root);
	group_clear(&s.all);
	for (size_t i = 0; i < s.ntags; i++)
		group_clear(&s.tags[i]);
	free(s.tags);
	rlp_results_free(validated);
	return error;
}
