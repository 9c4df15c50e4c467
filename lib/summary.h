/*
 * summary.json of an eval run: per-tag aggregates of a results file, a pure
 * function of its bytes, so anyone (the server hook included) can recompute
 * it and see that a run's summary matches its results.
 */
#ifndef RLP_SUMMARY_H
#define RLP_SUMMARY_H

#include <stddef.h>

/* Validate `buf` as results (the same checks as the gate's reader) and
 * compute its summary as canonical JSON text (malloc'd, ends with '\n'):
 *   {"ids":M,"records":N,"scores":{name:{"n":..,"mean":..},..},
 *    "tags":{tag:{"records":n,"scores":{..}},..}}
 * with keys sorted, record-level means (epochs are not averaged). */
int rlp_summary_compute(char **out, const char *buf, size_t len, const char *name);

/* The same, reporting progress in bytes of len (the records are read twice,
 * to validate and to aggregate: each pass counts half). `progress` may be
 * NULL. */
struct rlp_progress;
int rlp_summary_compute_progress(char **out, const char *buf, size_t len, const char *name,
				 const struct rlp_progress *progress);

#endif
