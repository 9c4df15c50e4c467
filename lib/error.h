/* Error codes and the thread-local last-error message of the library. */
#ifndef RLP_ERROR_H
#define RLP_ERROR_H

#include <stddef.h>

enum {
	RLP_OK = 0,
	RLP_ERROR = -1,     /* generic failure, message set */
	RLP_EINVALID = -2,  /* bad input from a user or a pusher */
	RLP_ENOTFOUND = -3, /* a named thing does not exist */
	RLP_ENOMEM = -4,
	RLP_EIO = -5,       /* reading or writing a file failed */
	RLP_ECONFLICT = -6, /* a compare-and-swap lost a race */
	RLP_ETIMEOUT = -7,  /* a network request got no answer in time */
	RLP_EPERM = -8,     /* a server refused: missing permission */
};

/* Set the message returned by rlp_error_last(); always returns `code`. */
int rlp_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the current message with "<prefix>: "; returns `code`. */
int rlp_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message set on this thread, never NULL ("" when none). */
const char *rlp_error_last(void);

void rlp_error_clear(void);

#endif
