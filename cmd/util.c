#include "cmd.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "progress_bar.h"

__attribute__((format(printf, 2, 0))) static void vreport(const char *prefix, const char *fmt,
							      va_list ap)
{
	progress_interrupt();
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap);
	va_end(ap);
	exit(RLP_EXIT_FATAL);
}

void die_lib(const char *fmt, ...)
{
	va_list ap;

	progress_interrupt();
	fputs("fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", rlp_error_last());
	exit(RLP_EXIT_FATAL);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void usage_of(const char *name, bool requested)
{
	FILE *f = requested ? stdout : stderr;

	for (const struct rlp_command *c = rlp_commands; c->name; c++) {
		if (strcmp(c->name, name))
			continue;
		fprintf(f, "usage: %s\n", c->usage);
		break;
	}
	exit(requested ? RLP_EXIT_OK : RLP_EXIT_USAGE);
}

void check_help(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			usage_of(name, true);
	}
}

bool want_color(FILE *f)
{
	const char *no = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no && *no)
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fileno(f));
}

void write_stdout(const char *s)
{
	if (fputs(s, stdout) == EOF || fflush(stdout) == EOF)
		die("cannot write to standard output");
}
