/*
 * The production monitor: windows of live traffic a stage's model served,
 * one JSON object a request:
 *
 *   {"id":"q-1","timestamp":"2026-03-02T10:00:00Z","reward":0.82,
 *    "error":false,"latency_ms":812,"action":"tool:search"}
 *
 * (reward, error, latency_ms and action are each optional; an error is
 * true or a message string). A live window of the stage's candidate is
 * compared with a window of the baseline its decision names (the model it
 * replaced): reward (Mann-Whitney), error rate (Newcombe), latency p99
 * (type 7, as a ratio) and the action distribution (total variation, with
 * PSI shown). Pure statistics on parsed windows; no I/O.
 */
#ifndef RLP_MONITOR_H
#define RLP_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "shadow.h"

/* Where windows live among the runs: runs/<c[0:2]>/<c>/.monitor/<run-id>,
 * with kind "monitor" and the stage in run.json. */
#define RLP_MONITOR_ENV ".monitor"

/* Thresholds (policy `monitor:`), defaults in RLP_MONITOR_CONFIG_INIT. */
struct rlp_monitor_config {
	double alpha;              /* reward and error tests' level */
	double max_error_increase; /* breach: error rate up by more (Newcombe lower bound) */
	double max_latency_ratio;  /* breach: live p99 / baseline p99 above it */
	double max_action_tv;      /* breach: total variation of actions above it */
	long min_n;                /* fewer values on a side: that check cannot decide */
};
#define RLP_MONITOR_CONFIG_INIT {0.01, 0.01, 1.25, 0.1, 100}

struct rlp_window;

int rlp_window_new(struct rlp_window **out);
void rlp_window_free(struct rlp_window *w);
/* Add a window file's bytes; "name:LINE: what" errors (RLP_EINVALID), the
 * window unchanged: malformed JSON, a missing id or timestamp, a timestamp
 * not RFC 3339, a reward or latency that is not a finite number (latency
 * also not negative), an error that is neither a boolean nor a string, an
 * action that is not a string, an id twice, no requests. */
int rlp_window_add(struct rlp_window *w, const char *buf, size_t len, const char *name);
size_t rlp_window_requests(const struct rlp_window *w);

/* A window's summary.json (canonical, keys sorted, ends with '\n'):
 *   {"actions":A,"errors":E,"first":"...","last":"...","latency_ms":L,
 *    "requests":N,"reward_mean":R|null,"rewards":K} */
int rlp_window_summary(char **out, const char *buf, size_t len, const char *name);

enum rlp_monitor_state { RLP_MONITOR_OK, RLP_MONITOR_BREACH, RLP_MONITOR_UNKNOWN };

struct rlp_monitor_check {
	const char *name;      /* "reward", "error_rate", "latency_p99", "actions" */
	enum rlp_monitor_state state;
	double live, baseline; /* the figure on each side: mean, rate, p99, - */
	double statistic;      /* p-value, lower bound of the increase, ratio, TV */
	double threshold;
	double extra;          /* actions: PSI; otherwise NaN */
	long n_live, n_baseline;
	char reason[160];
};

#define RLP_MONITOR_CHECKS 4
struct rlp_monitor_result {
	struct rlp_monitor_check checks[RLP_MONITOR_CHECKS];
	bool breach;  /* some check breached */
	bool decided; /* some check could decide */
};

int rlp_monitor_compare(struct rlp_monitor_result *out, const struct rlp_window *live,
			const struct rlp_window *baseline, const struct rlp_monitor_config *cfg);

const char *rlp_monitor_state_name(enum rlp_monitor_state s); /* "ok", "BREACH", "-" */

#endif
