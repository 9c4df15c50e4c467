#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

#define RLP_BUF_DEFAULT_MAX ((size_t)256 << 20)

static int grow(struct rlp_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : RLP_BUF_DEFAULT_MAX;
	size_t need, ncap;
	char *p;

	if (b->failed)
		return RLP_ENOMEM;
	if (extra > max || b->len > max - extra) {
		b->failed = true;
		return rlp_error_set(RLP_ENOMEM, "output larger than %zu bytes", max);
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (!(p = realloc(b->ptr, ncap))) {
		b->failed = true;
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	b->ptr = p;
	b->cap = ncap;
	return 0;
}

int rlp_buf_put(struct rlp_buf *b, const char *s, size_t len)
{
	int error = grow(b, len);
	if (error)
		return error;
	memcpy(b->ptr + b->len, s, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int rlp_buf_puts(struct rlp_buf *b, const char *s)
{
	return rlp_buf_put(b, s, strlen(s));
}

int rlp_buf_putc(struct rlp_buf *b, char c)
{
	return rlp_buf_put(b, &c, 1);
}

int rlp_buf_printf(struct rlp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return rlp_error_set(RLP_ERROR, "bad format");
	if ((error = grow(b, (size_t)n)) < 0)
		return error;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

size_t rlp_utf8_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

int rlp_buf_pad(struct rlp_buf *b, const char *s, size_t width)
{
	size_t w = rlp_utf8_width(s);
	int error = rlp_buf_puts(b, s);
	while (!error && w++ < width)
		error = rlp_buf_putc(b, ' ');
	return error;
}

int rlp_buf_detach(char **out, struct rlp_buf *b)
{
	*out = NULL;
	if (b->failed) {
		rlp_buf_free(b);
		return RLP_ENOMEM;
	}
	if (!b->ptr && grow(b, 0) < 0)
		return RLP_ENOMEM;
	b->ptr[b->len] = '\0';
	*out = b->ptr;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return 0;
}

void rlp_buf_free(struct rlp_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

int rlp_read_file(char **out, size_t *len, const char *path, size_t max)
{
	FILE *f = NULL;
	char *data = NULL;
	struct stat st;
	size_t got = 0;
	int error = 0;

	*out = NULL;
	if (len)
		*len = 0;
	if (!(f = fopen(path, "rb")))
		return rlp_error_set(errno == ENOENT ? RLP_ENOTFOUND : RLP_EIO,
				     "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		error = rlp_error_set(RLP_EIO, "'%s' is a directory", path);
		goto done;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		error = rlp_error_set(RLP_EINVALID, "'%s' is larger than %zu bytes", path, max);
		goto done;
	}
	/* Read in pieces so pipes and /proc files work too. */
	size_t cap = 0;
	for (;;) {
		if (got == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *p;
			if (cap > max) {
				error = rlp_error_set(RLP_EINVALID, "'%s' is larger than %zu bytes",
						      path, max);
				goto done;
			}
			if (!(p = realloc(data, ncap + 1))) {
				error = rlp_error_set(RLP_ENOMEM, "out of memory");
				goto done;
			}
			data = p;
			cap = ncap;
		}
		size_t n = fread(data + got, 1, cap - got, f);
		got += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		error = rlp_error_set(RLP_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	if (got > max) {
		error = rlp_error_set(RLP_EINVALID, "'%s' is larger than %zu bytes", path, max);
		goto done;
	}
	data[got] = '\0';
	*out = data;
	data = NULL;
	if (len)
		*len = got;
done:
	free(data);
	fclose(f);
	return error;
}
