/* git rlpromote verify [--all]: re-check decisions from their evidence, offline. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "verify.h"

/* The decisions of a stage, newest first: the first-parent chain while it
 * holds decisions. */
static int verify_stage(struct rlp_store *store, const struct rlp_trusted *trusted,
			const char *stage, bool all, size_t *checked)
{
	char ref[512];
	git_oid id;
	int failed = 0;

	rlp_stage_ref(ref, sizeof(ref), trusted->policy, stage);
	if (git_reference_name_to_id(&id, store->repo, ref) < 0)
		return 0;
	for (;;) {
		struct rlp_decision d;
		git_commit *c = NULL;
		if (rlp_decision_load(&d, store, &id) < 0)
			break;
		(*checked)++;
		if (rlp_verify_decision(store, trusted, &id, time(NULL)) == 0) {
			printf("ok     %-12s %s %-9s %s\n", stage, short_id(&id),
			       rlp_decision_kind_name(d.kind), short_id(&d.candidate));
		} else {
			printf("FAILED %-12s %s %-9s %s: %s\n", stage, short_id(&id),
			       rlp_decision_kind_name(d.kind), short_id(&d.candidate), rlp_error_last());
			failed = 1;
		}
		rlp_decision_clear(&d);
		if (!all || git_commit_lookup(&c, store->repo, &id) < 0)
			break;
		bool more = git_commit_parentcount(c) > 0;
		if (more)
			git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if (!more)
			break;
	}
	return failed;
}

int cmd_verify(int argc, char **argv)
{
	bool all = false;
	size_t checked = 0;
	int failed = 0;

	check_help(argc, argv, "verify");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			all = true;
		else
			usage_of("verify", false);
	}
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	for (size_t i = 0; i < trusted->policy->nstages; i++)
		failed |= verify_stage(store, trusted, trusted->policy->stages[i], all, &checked);
	fprintf(stderr, "%zu decision%s checked against %s:%s: %s\n", checked,
		checked == 1 ? "" : "s", trusted->rev, RLP_POLICY_PATH,
		failed ? "FAILED" : "all verify");
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return failed ? RLP_EXIT_FAIL : 0;
}
