/* git rlpromote verify [--all]: re-check decisions from their evidence, offline. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "cmd.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "verify.h"

/* Verify the stage's tip, or with `all` its whole chain, newest first. */
static int verify_stage(struct rlp_store *store, const struct rlp_trusted *trusted,
			const char *stage, bool all, size_t *checked)
{
	char ref[512], suffix[512];
	git_oid tip, *chain = NULL;
	size_t n = 0;
	int failed = 0;

	rlp_stage_ref(ref, sizeof(ref), trusted->policy, stage);
	if (git_reference_name_to_id(&tip, store->repo, ref) < 0)
		return 0;
	snprintf(suffix, sizeof(suffix), "%s", ref + strlen(RLP_REF_PREFIX));
	if (!all) {
		chain = malloc(sizeof(*chain));
		if (!chain)
			die("out of memory");
		git_oid_cpy(&chain[0], &tip);
		n = 1;
	} else if (rlp_chain_walk(&chain, &n, NULL, store, suffix, &tip, NULL, SIZE_MAX) < 0) {
		die("%s", rlp_error_last());
	}
	for (size_t i = 0; i < n; i++) {
		struct rlp_decision d;
		if (rlp_decision_load(&d, store, &chain[i]) < 0)
			die("%s", rlp_error_last());
		(*checked)++;
		if (rlp_verify_decision(store, trusted, &chain[i], time(NULL)) == 0) {
			printf("ok     %-12s %s %-9s %s\n", stage, short_id(&chain[i]),
			       rlp_decision_kind_name(d.kind), short_id(&d.candidate));
		} else {
			printf("FAILED %-12s %s %-9s %s: %s\n", stage, short_id(&chain[i]),
			       rlp_decision_kind_name(d.kind), short_id(&d.candidate), rlp_error_last());
			failed = 1;
		}
		rlp_decision_clear(&d);
	}
	free(chain);
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
