/* git-rlpromote: the command table and dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

const struct rlp_command rlp_commands[] = {
	{"gate", cmd_gate,
	 "git rlpromote gate <candidate> --to <stage> [--policy-rev <rev>] [--format text|json|markdown]\n"
	 "                          [--html-url <url>]\n"
	 "   or: git rlpromote gate --policy <file> --to <stage> --candidate-results <jsonl>\n"
	 "                          [--baseline-results <jsonl>] [--run-metrics <json>]\n"
	 "                          [--shadow-results <jsonl>] [--format text|json|markdown] [--html-url <url>]\n"
	 "   or: git rlpromote gate --policy <file> --to <stage> --shadow-results <jsonl>\n"
	 "                          [--format text|json|markdown] [--html-url <url>]",
	 "decide GO / NO-GO / HOLD for a promotion from eval results"},
	{"report", cmd_report,
	 "git rlpromote report <candidate> --to <stage> [--policy-rev <rev>]\n"
	 "                     [--format html|markdown|json|text] [--html-url <url>] [-o <file>]",
	 "the gate's report on a candidate: an HTML page with charts, markdown, JSON or text"},
	{"diff", cmd_diff,
	 "git rlpromote diff <rev-a> <rev-b> [--env <name>] [--policy-rev <rev>] [--format text|json]",
	 "compare two candidates' newest runs slice by slice, with paired statistics"},
	{"policy", cmd_policy, "git rlpromote policy check [<file>]",
	 "check a policy file and print it normalized"},
	{"env", cmd_env,
	 "git rlpromote env freeze <spec.yaml>\n"
	 "   or: git rlpromote env show <env>[@<n>]\n"
	 "   or: git rlpromote env list\n"
	 "   or: git rlpromote env verify <env>[@<n>]\n"
	 "   or: git rlpromote env checkout <env>[@<n>] <dir>",
	 "freeze RL test environments into git, show, verify and check them out"},
	{"init", cmd_init, "git rlpromote init [--remote <name>] [--writer <name>]",
	 "set this repository up: policy, signers file, refspecs, writer"},
	{"eval", cmd_eval,
	 "git rlpromote eval run --env <name> [--candidate <rev>] [--repeat <n>]\n"
	 "   or: git rlpromote eval record --env <name> [--candidate <rev>] [--run-metrics <json>] <results.jsonl>\n"
	 "   or: git rlpromote eval show <candidate> <env>",
	 "record eval results of a candidate as a signed run"},
	{"shadow", cmd_shadow,
	 "git rlpromote shadow record --candidate <rev> [--baseline <rev>] [--share <percent>]\n"
	 "                            <traffic.jsonl>\n"
	 "   or: git rlpromote shadow show <candidate>",
	 "record shadow or canary traffic of a candidate as a signed run"},
	{"promote", cmd_promote,
	 "git rlpromote promote <candidate> --to <stage> [--override --reason <text>] [--policy-rev <rev>]",
	 "record a signed decision moving a candidate to a stage"},
	{"monitor", cmd_monitor,
	 "git rlpromote monitor record <stage> <window.jsonl>\n"
	 "   or: git rlpromote monitor check <stage> [--rollback] [--json]",
	 "compare a stage's live traffic with its baseline; roll back on a breach"},
	{"rollback", cmd_rollback, "git rlpromote rollback <stage> [--to <decision>] --reason <text>",
	 "return a stage to an earlier decision's candidate"},
	{"status", cmd_status, "git rlpromote status", "what every stage holds, verified"},
	{"current", cmd_current, "git rlpromote current <stage> [--json]",
	 "the verified candidate a stage holds, for deploy scripts"},
	{"log", cmd_log, "git rlpromote log <stage>", "the decisions of a stage, newest first"},
	{"show", cmd_show, "git rlpromote show <decision>", "a decision and its report"},
	{"hook", cmd_hook,
	 "git rlpromote hook pre-receive\n"
	 "   or: git rlpromote hook pre-push [<remote> <url>]\n"
	 "   or: git rlpromote hook update <ref> <old> <new>\n"
	 "   or: git rlpromote hook install [--server <bare-repo>]",
	 "enforce the rules on push: server and client hooks"},
	{"sync", cmd_sync, "git rlpromote sync [<remote>]",
	 "verify what git fetch put aside, then fast-forward the local chains"},
	{"verify", cmd_verify, "git rlpromote verify [--all]",
	 "re-check decisions from their evidence, offline"},
	{"verify-artifact", cmd_verify_artifact, "git rlpromote verify-artifact <stage> <file>",
	 "check a downloaded model file against the sha256 a stage pins"},
	{"pr", cmd_pr,
	 "git rlpromote pr open <candidate> --to <stage> [--draft] [--remote <name>] [--base <branch>]\n"
	 "                      [--forge github|gitea|gitlab]",
	 "push the evidence and open (or update) a pull request that moves a stage"},
	{"ci", cmd_ci, "git rlpromote ci [--remote <name>] [--forge github|gitea|gitlab] [--no-fetch]",
	 "gate a pull request in GitHub Actions: comment, check, summary, exit code"},
	{NULL, NULL, NULL, NULL},
};

static void print_usage(FILE *f)
{
	fputs("usage: git rlpromote [--version] [--help] <command> [<args>]\n\n"
	      "commands:\n",
	      f);
	for (const struct rlp_command *c = rlp_commands; c->name; c++)
		fprintf(f, "   %-16s %s\n", c->name, c->summary);
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
