/*
 * Lines of a results source (private to lib/results*.c): a memory buffer, or
 * a file read in fixed-size chunks so memory never grows with the file, with
 * a per-line length cap. See results_private.h.
 */
#include "results_private.h"

#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (1u << 20)

void results_lines_init(struct results_lines *s, size_t max_line)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->max_line = max_line;
}

static int too_long(struct results_lines *s)
{
	return rlp_error_set(RLP_EINVALID, "line longer than %zu bytes", s->max_line);
}

static int memory_next(struct results_lines *s, const char **line, size_t *len)
{
	size_t rest = s->mem_len - s->pos;
	const char *p = s->mem + s->pos, *nl = NULL;

	if (!rest)
		return 0;
	s->lineno++;
	nl = memchr(p, '\n', rest > s->max_line ? s->max_line + 1 : rest);
	if (!nl && rest > s->max_line)
		return too_long(s);
	*line = p;
	*len = nl ? (size_t)(nl - p) : rest;
	s->pos += *len + (nl != NULL);
	return 1;
}

/* Buffer room for one more read; a line may need up to max_line + 1 bytes. */
static int file_make_room(struct results_lines *s)
{
	char *buf = NULL;
	size_t cap;

	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->scan -= s->start;
		s->start = 0;
	}
	if (s->end < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : READ_CHUNK;
	if (s->cap && cap > s->max_line + 1)
		cap = s->max_line + 1;
	buf = realloc(s->buf, cap);
	if (!buf)
		return rlp_error_set(RLP_ENOMEM, "out of memory for a %zu-byte line", cap);
	s->buf = buf;
	s->cap = cap;
	return 0;
}

static int file_next(struct results_lines *s, const char **line, size_t *len)
{
	for (;;) {
		const char *nl = s->end > s->scan ? memchr(s->buf + s->scan, '\n', s->end - s->scan)
						  : NULL;
		ssize_t n;
		int rc;

		if (nl) {
			s->lineno++;
			*line = s->buf + s->start;
			*len = (size_t)(nl - *line);
			s->start = s->scan = (size_t)(nl - s->buf) + 1;
			return *len > s->max_line ? too_long(s) : 1;
		}
		s->scan = s->end;
		if (s->end - s->start > s->max_line) {
			s->lineno++;
			return too_long(s);
		}
		if (s->eof) {
			if (s->start == s->end)
				return 0;
			s->lineno++;
			*line = s->buf + s->start;
			*len = s->end - s->start;
			s->start = s->scan = s->end;
			return 1;
		}
		if ((rc = file_make_room(s)) != 0)
			return rc;
		n = read(s->fd, s->buf + s->end, s->cap - s->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rlp_error_set(RLP_EIO, "cannot read: %s", strerror(errno));
		if (n == 0)
			s->eof = true;
		s->end += (size_t)n;
	}
}

/* 1 with the next line (without its newline), 0 at the end, or an error. */
int results_lines_next(struct results_lines *s, const char **line, size_t *len)
{
	return s->fd >= 0 ? file_next(s, line, len) : memory_next(s, line, len);
}

/* Back to the first line, for the rare duplicate-id message; false when the
 * source cannot seek (a pipe). */
bool results_lines_rewind(struct results_lines *s)
{
	if (s->fd >= 0) {
		if (lseek(s->fd, 0, SEEK_SET) != 0)
			return false;
		s->start = s->end = s->scan = 0;
		s->eof = false;
	}
	s->pos = 0;
	s->lineno = 0;
	return true;
}

/* Strip a UTF-8 BOM from the first line; true when nothing but blanks remains. */
bool results_lines_skip_blank(const struct results_lines *s, const char **line, size_t *len)
{
	size_t i;

	if (s->lineno == 1 && *len >= 3 && memcmp(*line, "\xEF\xBB\xBF", 3) == 0) {
		*line += 3;
		*len -= 3;
	}
	for (i = 0; i < *len; i++) {
		char c = (*line)[i];

		if (c != ' ' && c != '\t' && c != '\r')
			return false;
	}
	return true;
}
