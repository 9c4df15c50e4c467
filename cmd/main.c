/* git-rlpromote: the command table and dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

const struct rlp_command rlp_commands[] = {
	{"gate", cmd_gate,
	 "git rlpromote gate --policy <file> --to <stage> --candidate-results <jsonl>\n"
	 "                          [--baseline-results <jsonl>] [--run-metrics <json>]\n"
	 "                          [--format text|json|markdown]",
	 "decide GO / NO-GO / HOLD for a promotion from eval results"},
	{"policy", cmd_policy, "git rlpromote policy check [<file>]",
	 "check a policy file and print it normalized"},
	{"env", cmd_env,
	 "git rlpromote env freeze <spec.yaml>\n"
	 "   or: git rlpromote env show <env>[@<n>]\n"
	 "   or: git rlpromote env list\n"
	 "   or: git rlpromote env verify <env>[@<n>]\n"
	 "   or: git rlpromote env checkout <env>[@<n>] <dir>",
	 "freeze RL test environments into git, show, verify and check them out"},
	{NULL, NULL, NULL, NULL},
};

static void print_usage(FILE *f)
{
	fputs("usage: git rlpromote [--version] [--help] <command> [<args>]\n\n"
	      "commands:\n",
	      f);
	for (const struct rlp_command *c = rlp_commands; c->name; c++)
		fprintf(f, "   %-10s %s\n", c->name, c->summary);
	fputs("\n'git rlpromote <command> -h' shows a command's options; "
	      "'git rlpromote --help' opens the manual.\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		print_usage(stderr);
		return RLP_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("git-rlpromote version %s\n", RLP_VERSION);
		return RLP_EXIT_OK;
	}
	if (!strcmp(name, "-h")) {
		print_usage(stdout);
		return RLP_EXIT_OK;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "help")) {
		/* As git does for its own subcommands: the manual, through git help. */
		execlp("git", "git", "help", "rlpromote", (char *)NULL);
		die("cannot run 'git help rlpromote'");
	}
	for (const struct rlp_command *c = rlp_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "git rlpromote: '%s' is not a command. See 'git rlpromote -h'.\n", name);
	return RLP_EXIT_USAGE;
}
