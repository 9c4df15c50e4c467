/*
 * The git-backed gate: find in git the evidence a promotion needs (the
 * candidate's newest run on the policy's env version, the baseline the
 * target stage holds and its run) and run the same gate engine on it. The
 * CLI, `promote`, `verify` and the hooks all go through here.
 */
#ifndef RLP_EVIDENCE_H
#define RLP_EVIDENCE_H

#include <stdbool.h>

#include "gate.h"
#include "runs.h"
#include "shadow.h"
#include "store.h"
#include "trust.h"

struct rlp_evidence {
	const struct rlp_policy *policy; /* borrowed */
	const struct rlp_promotion *promotion;
	git_oid candidate;
	git_oid env_commit;   /* the env version the runs must use (zero without env) */
	unsigned env_version;
	bool has_stage_tip;   /* the target stage's current decision */
	git_oid stage_tip;
	bool has_rollout_tip; /* the rollout stage's current decision, with a rollout */
	git_oid rollout_tip;
	bool has_baseline;    /* the candidate the baseline stage holds */
	git_oid baseline;
	bool has_cand_run, has_base_run;
	struct rlp_run_ref cand_run, base_run;
	struct rlp_run_data cand_data, base_data;
	/* Shadow traffic, for promotions with a shadow_compare rule: the batches
	 * of the candidate (oldest first) and their tally. The gather takes
	 * the batches signed by eval signers (with `trusted`) and recorded
	 * against the model the baseline stage holds. */
	struct rlp_run_ref *shadow_runs;
	size_t nshadow;
	bool has_shadow; /* the tally holds them */
	struct rlp_shadow_tally shadow;
	/* Where the decision goes. With a staged rollout the candidate takes
	 * the next step: a decision on the rollout stage below 100 percent, on
	 * the target at 100; the evidence is the traffic recorded at the share
	 * it holds now (0: shadow traffic, before the first step). */
	const char *decide_stage; /* the stage the decision moves (promotion->to by default) */
	int rollout_step;         /* index in rollout.steps the candidate holds; -1: none */
	double share_now;         /* rollouts: the share whose traffic counts */
	double share_next;        /* the share the decision gives; 100 without a rollout */
	struct rlp_results_spec spec;
	struct rlp_results *cand, *base;
	struct rlp_gate_result *result;
	char problem[256]; /* why evidence is missing, for reports ("" when complete) */
	const struct rlp_trusted *trusted; /* when set, runs must be signed by eval signers */
};

/* Gather and gate. Missing evidence is not an error: the gate then says
 * HOLD through on_missing, and `problem` says what was missing. Errors are
 * for broken data (a malformed run, unreadable objects). */
int rlp_evidence_gate(struct rlp_evidence *ev, struct rlp_store *store,
		      const struct rlp_policy *policy, const git_oid *candidate, const char *to);

/* The same, taking only runs whose commit is signed (now) by an eval signer
 * of `trusted`: what promote uses, so it never decides on evidence verify
 * would reject. */
int rlp_evidence_gate_trusted(struct rlp_evidence *ev, struct rlp_store *store,
			      const struct rlp_trusted *trusted, const git_oid *candidate,
			      const char *to);
/* Load the runs ev names (cand_run when has_cand_run, base_run when
 * has_base_run, the shadow_runs) and gate them: how `verify` re-checks a
 * decision from the evidence it recorded. */
int rlp_evidence_evaluate(struct rlp_evidence *ev, struct rlp_store *store);
void rlp_evidence_clear(struct rlp_evidence *ev);

/* Does the promotion decide on shadow traffic (a shadow_compare rule)? */
bool rlp_promotion_uses_shadow(const struct rlp_promotion *p);

/* refs/rlpromote/stages/<model>/<stage> */
void rlp_stage_ref(char *buf, size_t size, const struct rlp_policy *policy, const char *stage);

/* The candidate a stage holds now: RLP_ENOTFOUND when it holds none. */
int rlp_stage_candidate(git_oid *candidate, git_oid *decision, struct rlp_store *store,
			const struct rlp_policy *policy, const char *stage);

/* The env's current version: RLP_ENOTFOUND when it was never frozen. */
int rlp_env_tip(git_oid *commit, unsigned *version, struct rlp_store *store, const char *env);

#endif
