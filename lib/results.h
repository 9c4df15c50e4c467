/*
 * Eval results: streaming JSONL reader (record format in RULES.md).
 *
 * The reader keeps only what the gate asks for (a spec of tags and metrics)
 * per distinct id, so memory grows with the number of ids, not the file size.
 * Several records with one id (epochs) are averaged per id.
 */
#ifndef RLP_RESULTS_H
#define RLP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Metrics that are not scores but top-level fields or derived per record. */
#define RLP_FIELD_LATENCY "latency_ms"
#define RLP_FIELD_COST "cost_usd"
#define RLP_DERIVED_KL_K1 "derived.kl_k1" /* logprob - ref_logprob */
#define RLP_DERIVED_KL_K3 "derived.kl_k3" /* (r - 1) - log r, r = exp(ref_logprob - logprob) */
/* Rollout diversity, per id from the "output" of its records (epochs):
 * distinct bigrams of whitespace-separated tokens / all bigrams; the share
 * of records whose output equals another record's; 1 when every record
 * gave the same output. The last two need 2 records with an output. */
#define RLP_DERIVED_DISTINCT_2 "derived.distinct_2"
#define RLP_DERIVED_DUPLICATE_RATE "derived.duplicate_rate"
#define RLP_DERIVED_COLLAPSED "derived.collapsed"
/* Per record: 1 when the reward score >= hack_threshold while the verifier
 * score < verifier_pass (see rlp_results_spec), else 0. */
#define RLP_DERIVED_REWARD_HACK "derived.reward_hack"

/* distinct_2 is exact up to this many distinct bigrams per id, then
 * estimated (adaptive sampling; about 3% relative error per id). */
#define RLP_RESULTS_BIGRAMS_EXACT 1536

#define RLP_RESULTS_MAX_LINE_DEFAULT (16u << 20)

struct rlp_progress;

struct rlp_results_spec {
	const char *const *tags; /* tags whose membership is kept, indexed 0..ntags-1 */
	size_t ntags;
	/* metrics kept per id, indexed 0..nmetrics-1: a score name (looked up in
	 * "scores"), RLP_FIELD_LATENCY, RLP_FIELD_COST, or an RLP_DERIVED_* name */
	const char *const *metrics;
	size_t nmetrics;
	size_t max_line; /* 0: RLP_RESULTS_MAX_LINE_DEFAULT */
	const struct rlp_results_hack *hack; /* needed by RLP_DERIVED_REWARD_HACK */
};

/* What makes a record a reward-hacking suspect. Both scores must be among
 * the spec's metrics too. */
struct rlp_results_hack {
	const char *reward, *verifier;
	double threshold;     /* reward >= threshold ... */
	double verifier_pass; /* ... while verifier < verifier_pass */
};

struct rlp_results;

/* Read one JSONL source. `name` is used in messages: "name:LINE: ...".
 * Errors (RLP_EINVALID, nothing returned): malformed JSON, a line that is not
 * an object, missing or non-string id, non-finite or non-numeric scores (booleans
 * count as 1/0), tags not an array of strings, non-integer or negative epoch,
 * duplicate id+epoch, cluster not a string, a line longer than max_line, an
 * empty source (no records). Blank lines are skipped. */
/* Details of the above, fixed by the tests:
 * - Messages: "name:LINE: what", LINE 1-based counting blank lines, e.g.
 *   "cand.jsonl:9: invalid JSON at byte 23" (byte 1 = first of the line;
 *   trailing data after the object is invalid too),
 *   "cand.jsonl:4: scores.pass: not a finite number",
 *   "cand.jsonl:17: duplicate id 'q-1' for epoch 0 (first seen on line 3)",
 *   "cand.jsonl:2: line longer than 16777216 bytes", "cand.jsonl: no records".
 *   Subjects from the input are cut to ~70 bytes, control bytes shown as '?'.
 * - Scores: a non-finite number is an error under any key; another non-number
 *   (string, null, object) is an error only for a metric the spec names,
 *   otherwise ignored. latency_ms, cost_usd, logprob, ref_logprob likewise:
 *   non-finite always an error, wrong type only when the spec needs them.
 * - A key repeated in a record (a known top-level field or a spec'd score),
 *   and an empty id, are errors. Unknown top-level fields are ignored.
 * - epoch: absent means 0; an integer in [0, 2^53]. At most 65535 records
 *   per id. Tags are the union over an id's records; its cluster (or having
 *   none) must be the same on every record.
 * - derived.kl_k1/k3 come from records with both logprob and ref_logprob;
 *   a k3 that overflows (ref_logprob - logprob > ~709) is an error.
 * - output: a string when a diversity metric is asked for (then anything
 *   else is an error), otherwise ignored. Outputs are kept as hashes only.
 * - derived.reward_hack comes from records carrying both of its scores.
 * - A UTF-8 BOM opening the source and a CR ending a line are ignored.
 * - The spec's names may repeat: repeated indexes share one value. A NULL
 *   spec keeps ids only; a NULL name reads "<buffer>". */
int rlp_results_read_buffer(struct rlp_results **out, const char *buf, size_t len,
			    const char *name, const struct rlp_results_spec *spec);
/* The same, reporting the bytes read of len to `progress` every few thousand
 * records and once at the end (progress may be NULL). */
int rlp_results_read_buffer_progress(struct rlp_results **out, const char *buf, size_t len,
				     const char *name, const struct rlp_results_spec *spec,
				     const struct rlp_progress *progress);
int rlp_results_read_file(struct rlp_results **out, const char *path,
			  const struct rlp_results_spec *spec);
/* Read n files concurrently (one thread each, up to the number of files);
 * out[i] receives paths[i]'s results. On error nothing is returned. */
/* Threads: min(n, online CPUs), the caller's included; each takes the next
 * unread file. The error reported is that of the lowest-indexed failing file
 * (as reading them one by one would); files after it stop early. Cannot-open
 * and read errors are RLP_EIO. */
int rlp_results_read_files(struct rlp_results **out, const char *const *paths, size_t n,
			   const struct rlp_results_spec *spec);
void rlp_results_free(struct rlp_results *results);

size_t rlp_results_count(const struct rlp_results *r);   /* distinct ids */
size_t rlp_results_records(const struct rlp_results *r); /* records (lines) read */
const char *rlp_results_id(const struct rlp_results *r, size_t i);
/* Index of `id`, or -1 when absent. */
long rlp_results_find(const struct rlp_results *r, const char *id);
bool rlp_results_has_tag(const struct rlp_results *r, size_t i, size_t tag);
unsigned rlp_results_epochs(const struct rlp_results *r, size_t i); /* records of id i */

/* The epoch-averaged value of metric m for id i; false when no record of the
 * id carries the metric. */
bool rlp_results_value(const struct rlp_results *r, size_t i, size_t m, double *out);
/* True when every record's value of metric m is exactly 0 or 1 (also when
 * no record carries it: check rlp_results_metric_count()). */
bool rlp_results_metric_binary(const struct rlp_results *r, size_t m);
/* Number of ids carrying metric m. */
size_t rlp_results_metric_count(const struct rlp_results *r, size_t m);

/* Cluster of id i in [0, nclusters), or -1 when the id names none. */
int rlp_results_cluster(const struct rlp_results *r, size_t i);
size_t rlp_results_nclusters(const struct rlp_results *r);

#endif
