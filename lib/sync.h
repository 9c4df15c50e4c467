/*
 * Taking in what a remote holds (DESIGN.md, "Data in git"): `git fetch` puts
 * the remote's chains aside under refs/rlpromote-remote/<remote>/; sync
 * verifies every new commit of each chain (decisions fully, runs and env
 * versions by signature and role) and only then fast-forwards the local
 * ref with compare-and-swap. Diverged or unverifiable chains are reported and
 * left alone. Notes are merged line by line (cat_sort_uniq), never replaced.
 */
#ifndef RLP_SYNC_H
#define RLP_SYNC_H

#include "trust.h"

enum rlp_sync_state {
	RLP_SYNC_UP_TO_DATE,
	RLP_SYNC_FAST_FORWARD,  /* verified and moved */
	RLP_SYNC_AHEAD,         /* the local chain has commits the remote lacks: push them */
	RLP_SYNC_DIVERGED,
	RLP_SYNC_REJECTED,      /* a new commit does not verify: reason given */
};

struct rlp_sync_item {
	char ref[256];          /* refs/rlpromote/... */
	enum rlp_sync_state state;
	size_t new_commits;
	char reason[256];
};

int rlp_sync(struct rlp_sync_item **items, size_t *n, struct rlp_store *store,
	     const struct rlp_trusted *trusted, const char *remote);

#endif
