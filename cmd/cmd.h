/* Shared by the subcommands of git-rlpromote: one file per subcommand, one
 * table in main.c. Only cmd/ prints or exits. */
#ifndef RLP_CMD_H
#define RLP_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "store.h"
#include "trust.h"

/* Exit codes, as git: 128 fatal, 129 usage. Verdict commands add their own. */
#define RLP_EXIT_OK 0
#define RLP_EXIT_FAIL 1
#define RLP_EXIT_FATAL 128
#define RLP_EXIT_USAGE 129

struct rlp_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage; /* synopsis lines, as in the man page */
	const char *summary;
};

extern const struct rlp_command rlp_commands[];

/* One per subcommand, each in cmd/<name>.c. */
int cmd_gate(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int eval_run(int argc, char **argv); /* cmd/eval_run.c */
int cmd_shadow(int argc, char **argv);
int cmd_promote(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_current(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_verify_artifact(int argc, char **argv);
int cmd_pr(int argc, char **argv);
int cmd_ci(int argc, char **argv);

/* "fatal: <msg>" on stderr and exit 128. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fatal: <msg>: <last library error>" and exit 128. */
_Noreturn void die_lib(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "error: <msg>" on stderr; returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the usage of `name` to stderr (or stdout for -h) and exit 129 (0 for -h). */
_Noreturn void usage_of(const char *name, bool requested);

/* Handle -h / --help as the first argument of a subcommand. */
void check_help(int argc, char **argv, const char *name);

/* Colour only on a terminal and never with NO_COLOR (https://no-color.org). */
bool want_color(FILE *f);

/* Write a whole string to stdout, dying on a write error (EPIPE included). */
void write_stdout(const char *s);

/* The repository of the current directory (dies outside one). */
struct rlp_store *open_store(void);
/* A revision that must name a commit (dies otherwise). */
void resolve_commit(git_oid *out, struct rlp_store *store, const char *rev);
/* Trusted policy and signers from `rev` (NULL: rlpromote.trustedRef or HEAD). */
struct rlp_trusted *load_trusted(struct rlp_store *store, const char *rev);
/* The artifact descriptor (JSON) the trusted policy names in `candidate`,
 * or NULL when there is none. */
char *candidate_artifact(struct rlp_store *store, const git_oid *candidate);
/* 12 hex digits; a few may be in use at once in one printf. */
const char *short_id(const git_oid *id);

#endif
