/*
 * What the reports add for RL health and shadow traffic (private to
 * lib/report*.c): the reward-hacking suspects behind a derived.reward_hack
 * rule, and what a shadow_compare rule saw.
 */
#ifndef RLP_REPORT_RL_H
#define RLP_REPORT_RL_H

#include "buf.h"
#include "gate.h"

struct rlp_json;

/* Members of a rule's object in the JSON report: "suspects", "shadow". */
void report_rl_json(struct rlp_json *rule, const struct rlp_rule_result *r);
/* Arrays of the markdown view: "suspects", "shadow". */
void report_rl_view(struct rlp_json *view, const struct rlp_gate_result *res);
/* Lines under a rule's row in the terminal table. */
void report_rl_text(struct rlp_buf *b, const struct rlp_rule_result *r, const char *dim,
		    const char *reset);

#endif
