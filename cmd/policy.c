/* git rlpromote policy check [<file>]: strict validation, normalized output. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "policy.h"

#define DEFAULT_POLICY ".rlpromote/policy.yaml"

static int policy_check(int argc, char **argv)
{
	const char *path = DEFAULT_POLICY;
	struct rlp_policy *policy = NULL;
	char *normalized = NULL;

	if (argc > 2) {
		error("too many arguments");
		usage_of("policy", false);
	}
	if (argc == 2)
		path = argv[1];
	if (rlp_policy_load(&policy, path) < 0) {
		fprintf(stderr, "%s\n", rlp_error_last());
		return RLP_EXIT_FAIL;
	}
	if (rlp_policy_normalize(&normalized, policy) < 0) {
		rlp_policy_free(policy);
		die_lib("cannot normalize '%s'", path);
	}
	write_stdout(normalized);
	free(normalized);
	rlp_policy_free(policy);
	return RLP_EXIT_OK;
}

int cmd_policy(int argc, char **argv)
{
	check_help(argc, argv, "policy");
	if (argc < 2)
		usage_of("policy", false);
	if (!strcmp(argv[1], "check"))
		return policy_check(argc - 1, argv + 1);
	error("unknown policy subcommand '%s'", argv[1]);
	usage_of("policy", false);
}
