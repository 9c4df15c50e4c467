/* Shared by the subcommands of git-rlpromote: one file per subcommand, one
 * table in main.c. Only cmd/ prints or exits. */
#ifndef RLP_CMD_H
#define RLP_CMD_H

#include <stdbool.h>
#include <stdio.h>

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
int cmd_policy(int argc, char **argv);
int cmd_env(int argc, char **argv);

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

#endif
