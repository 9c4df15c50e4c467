/*
 * Shadow and canary traffic: the candidate and production answering the
 * same live requests, one JSON object a line:
 *
 *   {"id":"r-1","timestamp":"2026-03-01T12:00:00.250Z","session":"s-9",
 *    "candidate":{"score":0.82},"production":{"score":0.75}}
 *   {"id":"r-2","timestamp":"2026-03-01T12:00:01Z","session":"s-9","judge":"win"}
 *   {"id":"r-3","timestamp":"2026-03-01T12:00:02Z","session":"s-4",
 *    "candidate":{"error":"timeout"},"production":{"score":0.5}}
 *
 * Each request is one paired outcome for the candidate: 1 for a win, 0.5
 * for a tie, 0 for a loss. A judge says which directly; otherwise the
 * outcomes' scores decide, a candidate error or timeout is a loss, and a
 * production error (with a candidate answer) is a win. The shadow_compare
 * rule decides on the tally (RULES.md; lib/gate_rules.c).
 */
#ifndef RLP_SHADOW_H
#define RLP_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where shadow batches live among the runs: runs/<c[0:2]>/<c>/.shadow/<run-id>
 * (env names cannot start with a dot, so no env collides with it). */
#define RLP_SHADOW_ENV ".shadow"

/* An RFC 3339 instant. */
struct rlp_instant {
	int64_t sec; /* since 1970-01-01T00:00:00Z */
	uint32_t nsec;
};

struct rlp_shadow_tally {
	long n;                      /* distinct requests */
	long wins, ties, losses;
	long candidate_errors;       /* losses because the candidate failed to answer */
	long duplicates;             /* requests already in an earlier batch, skipped */
	long sessions;               /* distinct sessions */
	double sum, sumsq;           /* of the paired scores */
	struct rlp_instant first, last;
};

/* An accumulator over batches of traffic. */
struct rlp_shadow;

int rlp_shadow_new(struct rlp_shadow **out);
void rlp_shadow_free(struct rlp_shadow *s);

/* Add one batch (a traffic file's bytes); `name` labels messages
 * ("name:LINE: what"). Errors (RLP_EINVALID, the accumulator unchanged):
 * malformed JSON, a missing or empty id, session or timestamp, a timestamp
 * that is not RFC 3339, neither or both of judge and candidate/production,
 * a judge other than win/tie/loss, an outcome without a finite score or an
 * error, a request id twice in the batch, an empty batch. A request id that
 * an earlier batch had is skipped and counted in `duplicates`. */
int rlp_shadow_add(struct rlp_shadow *s, const char *buf, size_t len, const char *name);

void rlp_shadow_get_tally(const struct rlp_shadow *s, struct rlp_shadow_tally *out);

/* A batch's summary.json, recomputable from its bytes (canonical, keys
 * sorted, ends with '\n'):
 *   {"candidate_errors":E,"first":"...","last":"...","losses":L,
 *    "requests":N,"sessions":S,"ties":T,"wins":W} */
int rlp_shadow_summary(char **out, const char *buf, size_t len, const char *name);

/* RFC 3339: "2026-03-01T12:00:00Z", with a fraction of a second and an
 * offset ("+02:00") allowed. */
int rlp_instant_parse(struct rlp_instant *out, const char *s);
/* UTC, the fraction only when there is one: "2026-03-01T12:00:00.25Z". */
void rlp_instant_format(char buf[40], const struct rlp_instant *t);
double rlp_instant_diff(const struct rlp_instant *later, const struct rlp_instant *earlier);
/* "1d2h3m4s" style, whole seconds, for reports. */
void rlp_duration_format(char *buf, size_t size, double seconds);

#endif
