/* A growing, size-capped string buffer (curl's dynbuf, in small). Every
 * append fails cleanly with RLP_ENOMEM past the cap or on allocation failure,
 * and a failed buffer stays failed, so callers check once at the end. */
#ifndef RLP_BUF_H
#define RLP_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct rlp_buf {
	char *ptr;   /* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;  /* 0: 256 MiB */
	bool failed;
};

#define RLP_BUF_INIT {NULL, 0, 0, 0, false}

int rlp_buf_put(struct rlp_buf *b, const char *s, size_t len);
int rlp_buf_puts(struct rlp_buf *b, const char *s);
int rlp_buf_putc(struct rlp_buf *b, char c);
int rlp_buf_printf(struct rlp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `s` padded with spaces to `width` display columns (UTF-8 aware). */
int rlp_buf_pad(struct rlp_buf *b, const char *s, size_t width);
/* Hand the string to the caller (never NULL on success) and reset the buffer. */
int rlp_buf_detach(char **out, struct rlp_buf *b);
void rlp_buf_free(struct rlp_buf *b);

/* Display width of a UTF-8 string: code points, not bytes. */
size_t rlp_utf8_width(const char *s);

/* Read a whole file, refusing files larger than `max` bytes. */
int rlp_read_file(char **out, size_t *len, const char *path, size_t max);

#endif
