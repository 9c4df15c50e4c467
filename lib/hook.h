/*
 * Enforcement on push (DESIGN.md, "Enforcement"): the checks a server's
 * pre-receive (or update) hook and a client's pre-push hook make on every
 * pushed ref under refs/rlpromote/. Read-only: nothing is written, and the
 * trusted policy and signers come from a protected revision as it was
 * before the push. Refs outside refs/rlpromote/ (and refs/notes/rlpromote,
 * an untrusted index) pass untouched.
 */
#ifndef RLP_HOOK_H
#define RLP_HOOK_H

#include <stdbool.h>
#include <time.h>

#include "trust.h"

#define RLP_HOOK_MAX_UPDATES 4096
#define RLP_HOOK_MAX_NEW_COMMITS 10000 /* per ref and push */

struct rlp_ref_update {
	git_oid old_id; /* zero: created */
	git_oid new_id; /* zero: deleted */
	char name[512];
	bool old_known; /* the old commit is in this repository (pre-push: maybe not) */
};

struct rlp_hook_verdict {
	bool rejected;
	char reason[512]; /* one line */
};

/* True when no update touches refs/rlpromote/: the hook has nothing to do. */
bool rlp_hook_concerns_us(const struct rlp_ref_update *updates, size_t n);

/* Check every update; verdict[i] says why update i is rejected. Returns the
 * number of rejected updates, or < 0 when the repository cannot be read. */
int rlp_hook_check(struct rlp_hook_verdict *verdict, struct rlp_store *store,
		   const struct rlp_trusted *trusted, const struct rlp_ref_update *updates, size_t n,
		   time_t now);

/* Parse one "<old> <new> <ref>" line (pre-receive) into an update. */
int rlp_hook_parse_line(struct rlp_ref_update *out, const char *line, size_t len);

#endif
