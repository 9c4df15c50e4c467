/*
 * Promotion decisions (DESIGN.md, "Data in git"): commits on
 * refs/rlpromote/stages/<model>/<stage> with parents [previous decision of
 * the stage, the run commits it used] and a tree of decision.json (what was
 * decided, on which evidence, by whom) and report.md.
 */
#ifndef RLP_DECISION_H
#define RLP_DECISION_H

#include <stdbool.h>

#include "evidence.h"
#include "trust.h"

#define RLP_DECISION_MAX (4u << 20)

enum rlp_decision_kind { RLP_DECISION_PROMOTE, RLP_DECISION_ROLLBACK, RLP_DECISION_OVERRIDE };

struct rlp_decision {
	git_oid commit;
	enum rlp_decision_kind kind;
	char model[128], stage[128];
	git_oid candidate;
	bool has_baseline;
	git_oid baseline;
	char verdict[16];        /* the gate's: GO, NO-GO, HOLD */
	char actor[256];
	char decided_at[32];
	char *reason;            /* NULL when none */
	double traffic_share;    /* percent of the traffic the stage gives it; 100 when absent */
	char *json;              /* decision.json as stored */
	size_t json_len;
	git_time_t time;         /* committer time */
};

const char *rlp_decision_kind_name(enum rlp_decision_kind kind);

/* Read and check the shape of a decision commit's decision.json. */
int rlp_decision_load(struct rlp_decision *out, struct rlp_store *store, const git_oid *commit);
void rlp_decision_clear(struct rlp_decision *d);

struct rlp_decide_opts {
	enum rlp_decision_kind kind;
	const char *reason;           /* required for override and rollback */
	const struct rlp_trusted *trusted;
};

/* Record a decision on ev->promotion->to from gathered evidence. Refuses a
 * promote that is not GO; an override needs a reason and a principal with
 * the override role; the new commit's signature is verified at now against
 * the trusted signers before the ref moves. */
int rlp_decide(struct rlp_decision *out, struct rlp_store *store, const struct rlp_evidence *ev,
	       const struct rlp_decide_opts *opts);

/* Roll `stage` back to the candidate of an earlier decision (default: the
 * decision before the current one), as a signed rollback decision. */
int rlp_rollback(struct rlp_decision *out, struct rlp_store *store,
		 const struct rlp_trusted *trusted, const char *stage, const git_oid *to_decision,
		 const char *reason);

#endif
