/*
 * The chains under refs/rlpromote/ (envs/, runs/, stages/): a chain's first
 * commit builds on another chain (a writer's first run has the env version
 * as its first parent, a stage's first decision a run), so walks along
 * first parents stop where the chain begins. Shared by sync and the hooks.
 */
#ifndef RLP_CHAIN_H
#define RLP_CHAIN_H

#include <stdbool.h>

#include "store.h"

/* Does commit `id` belong to the chain `suffix` names ("envs/..", "runs/..",
 * "stages/..")? By its tree: env.yaml, runs/, decision.json. */
bool rlp_chain_member(struct rlp_store *store, const char *suffix, const git_oid *id);

/* The commits of the chain from `tip` back to `stop` (exclusive; NULL: to
 * where the chain begins), newest first. *out is malloc'd. */
int rlp_chain_new_commits(git_oid **out, size_t *n, struct rlp_store *store, const char *suffix,
			  const git_oid *tip, const git_oid *stop);

/* The same, bounded: at most `max` commits (RLP_EINVALID beyond), and
 * *reached tells whether the walk met `stop` (an append-only update must). */
int rlp_chain_walk(git_oid **out, size_t *n, bool *reached, struct rlp_store *store,
		   const char *suffix, const git_oid *tip, const git_oid *stop, size_t max);

#endif
