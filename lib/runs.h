/*
 * Eval runs (DESIGN.md, "Data in git"): commits on refs/rlpromote/runs/<writer>
 * whose tip tree holds every run of the writer at
 *   runs/<cand[0:2]>/<cand>/<env>/<run-id>/{run.json,results.jsonl,summary.json}
 * with parents [previous run of the writer, the env version it ran on].
 */
#ifndef RLP_RUNS_H
#define RLP_RUNS_H

#include <stddef.h>

#include "gate.h"
#include "store.h"

#define RLP_RESULTS_MAX ((size_t)2 << 30) /* 2 GiB: a results file we accept */

struct rlp_progress;

struct rlp_run_new {
	git_oid env_commit;
	const char *env_name;
	unsigned env_version;
	git_oid candidate;
	const char *results; /* the records, byte for byte */
	size_t results_len;
	const char *command;    /* what produced them ("record" for eval record) */
	long repeats;           /* -1 unknown */
	int repeats_identical;  /* 1, 0, -1 unknown */
	const struct rlp_run_metrics *metrics; /* run-level figures, or NULL */
	const char *artifact_json; /* the candidate's artifact descriptor as JSON, or NULL */
	const struct rlp_progress *progress; /* summarizing the results; NULL: none */
	/* A batch of shadow traffic (lib/shadow.h) instead of eval results:
	 * stored at runs/<c[0:2]>/<c>/.shadow/<run-id> with kind "shadow" in
	 * run.json, no env (env_commit, env_name are ignored), and the model
	 * that answered the other side when known. */
	bool shadow;
	bool has_baseline;
	git_oid baseline;
	double traffic_share; /* shadow: the candidate's share of live traffic, 0 in shadow */
	/* A window of live traffic the stage served with the candidate
	 * (lib/monitor.h): at runs/<c[0:2]>/<c>/.monitor/<run-id>, kind
	 * "monitor", no env. */
	bool monitor;
	const char *stage;
};

/* Where a run lives: a writer's chain commit whose tree holds it. */
struct rlp_run_ref {
	git_oid commit;
	char writer[128];
	char path[256]; /* runs/ab/<cand>/<env>/<run-id> */
	char run_id[64];
};

/* Record a run; *out receives where it now lives. */
int rlp_run_record(struct rlp_run_ref *out, struct rlp_store *store, const struct rlp_run_new *run);

/* Every run of `candidate` on env `env_name` across all writers' chains,
 * newest first (run ids begin with their UTC time). *out is malloc'd. */
int rlp_runs_find(struct rlp_run_ref **out, size_t *n, struct rlp_store *store,
		  const git_oid *candidate, const char *env_name);

/* A run's contents. */
struct rlp_run_data {
	char *run_json, *results, *summary;
	size_t run_json_len, results_len, summary_len;
	struct rlp_run_metrics metrics; /* from run.json: metrics and the repeat record */
	git_oid env_commit;     /* zero for shadow traffic */
	git_oid candidate;
	bool shadow;            /* run.json kind "shadow": results.jsonl is traffic */
	bool has_baseline;      /* shadow: the model on the other side */
	git_oid baseline;
	double traffic_share;   /* shadow: percent of live traffic (0: shadow only) */
	bool monitor;           /* kind "monitor": results.jsonl is a live window */
	char stage[128];        /* monitor: the stage that served it */
};
int rlp_run_load(struct rlp_run_data *out, struct rlp_store *store, const struct rlp_run_ref *ref);
void rlp_run_data_clear(struct rlp_run_data *data);

/* Does summary.json match a recomputation from results.jsonl (or from the
 * traffic, for shadow runs)? */
int rlp_run_check_summary(const struct rlp_run_data *data, const char *name);

#endif
