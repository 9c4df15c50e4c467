/*
 * The one verifier (DESIGN.md, "Enforcement"): used by `verify`, by
 * deploy-facing reads and, later, by the hooks. A decision is accepted only
 * when its commit is signed in the header by a principal with the right role
 * under the trusted policy, its tree is well-formed and, for a promotion,
 * the gate recomputed from the evidence it names says GO: the runs exist,
 * are signed by eval signers, used the env version the decision names, and
 * their summaries match their results.
 */
#ifndef RLP_VERIFY_H
#define RLP_VERIFY_H

#include <time.h>

#include "decision.h"
#include "trust.h"

/* 0 when the decision verifies; RLP_EINVALID with a one-line reason in
 * rlp_error_last() when it does not; other codes for broken repositories.
 * Signatures are checked as of `at`. */
int rlp_verify_decision(struct rlp_store *store, const struct rlp_trusted *trusted,
			const git_oid *decision, time_t at);

/* Just the signature and the signer's role. */
int rlp_verify_decision_signer(struct rlp_store *store, const struct rlp_trusted *trusted,
			       const struct rlp_decision *d, time_t at);

#endif
