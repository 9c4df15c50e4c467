#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread, like libgit2's git_error_last(); long enough for a
 * located parse error and a quoted subject, truncated beyond that. */
static _Thread_local char last_message[1024];

__attribute__((format(printf, 3, 0))) static void format_into(char *buf, size_t size,
								 const char *fmt, va_list ap)
{
	vsnprintf(buf, size, fmt, ap);
}

int rlp_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_into(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	return code;
}

int rlp_error_wrap(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(last_message)];
	va_list ap;

	va_start(ap, fmt);
	format_into(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last_message, sizeof(old));
	/* truncation is acceptable: the message stays a message */
	if (snprintf(last_message, sizeof(last_message), "%s: %s", prefix, old) < 0)
		last_message[0] = '\0';
	return code;
}

const char *rlp_error_last(void)
{
	return last_message;
}

void rlp_error_clear(void)
{
	last_message[0] = '\0';
}
