/* git rlpromote sync [<remote>]: verify what `git fetch` put aside, then
 * fast-forward the local chains. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "sync.h"

int cmd_sync(int argc, char **argv)
{
	static const char *const states[] = {"up to date", "fast-forward", "ahead (push it)",
					     "DIVERGED", "REJECTED"};
	const char *remote = "origin";
	struct rlp_sync_item *items = NULL;
	size_t n = 0;
	int status = 0;

	check_help(argc, argv, "sync");
	if (argc > 2)
		usage_of("sync", false);
	if (argc == 2)
		remote = argv[1];
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	if (rlp_sync(&items, &n, store, trusted, remote) < 0)
		die("%s", rlp_error_last());
	for (size_t i = 0; i < n; i++) {
		printf("%-16s %s", states[items[i].state], items[i].ref);
		if (items[i].state == RLP_SYNC_FAST_FORWARD)
			printf(" (%zu new, verified)", items[i].new_commits);
		if (items[i].reason[0])
			printf(": %s", items[i].reason);
		printf("\n");
		if (items[i].state >= RLP_SYNC_DIVERGED)
			status = RLP_EXIT_FAIL;
	}
	if (!n)
		printf("nothing fetched from '%s' (git fetch %s first)\n", remote, remote);
	free(items);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return status;
}
