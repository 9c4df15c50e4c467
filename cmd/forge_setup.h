/* What `pr` and `ci` share: which forge, its API, repository and token;
 * running git for what libgit2 does not do as git does (push, fetch). */
#ifndef RLP_FORGE_SETUP_H
#define RLP_FORGE_SETUP_H

#include "forge.h"
#include "proc.h"
#include "store.h"

/* The forge of `remote`: --forge (NULL: not given), else git config
 * rlpromote.forge, else the CI it runs in, else the remote URL's host. The
 * API URL from rlpromote.apiUrl, the CI's variables or the host; the
 * repository from rlpromote.forgeRepo, the CI's variables or the remote URL;
 * the token from RLPROMOTE_TOKEN, else the forge's usual variable. Dies when
 * one is missing. RLPROMOTE_TRACE=1 traces requests (never the token). */
struct rlp_forge *open_forge(struct rlp_store *store, const char *flag, const char *remote,
			     enum rlp_forge_kind *kind);

/* git <args...> in the repository; 0 when it exited 0. Its output is in
 * `out` (caller clears). */
int run_git(struct rlp_proc *out, struct rlp_store *store, const char *const *args);
/* The same, dying with git's message when it fails. */
void must_git(struct rlp_proc *out, struct rlp_store *store, const char *what,
	      const char *const *args);

#endif
