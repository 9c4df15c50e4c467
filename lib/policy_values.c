/*
 * Policy parser helpers: located messages, did-you-mean, key checks and the
 * typed value readers every part of the schema goes through, so that each
 * kind of mistake is reported the same way wherever it appears.
 */
#include "policy_internal.h"

#include "error.h"
#include "yamlutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 255
#define SUGGEST_MAX_LEN 64

int pol_fail(const struct pol_ctx *c, const struct pol_node *at, const char *what,
	     const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rlp_error_set(RLP_EINVALID, "%s:%zu:%zu: %s%s%s", c->name, at->loc.line,
			     at->loc.col, what ? what : "", what ? ": " : "", msg);
}

int pol_nomem(void)
{
	return rlp_error_set(RLP_ENOMEM, "out of memory");
}

static bool is_null(const struct pol_node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->type != POL_SCALAR || !n->plain)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(n->text, nulls[i]))
			return true;
	return false;
}

const char *pol_describe(char buf[POL_SHOW_MAX + 32], const struct pol_node *n)
{
	char shown[POL_SHOW_MAX];

	if (n->type == POL_SEQ)
		return "a list";
	if (n->type == POL_MAP)
		return "a mapping";
	if (is_null(n))
		return "null";
	snprintf(buf, POL_SHOW_MAX + 32, "%s'%s'", n->plain ? "" : "quoted string ",
		 yamlu_show(shown, n->text));
	return buf;
}

/* Optimal string alignment distance: a swap of neighbours counts once, so
 * "mni" is one edit from "min". */
static size_t edit_distance(const char *a, const char *b)
{
	unsigned char d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	size_t la = strlen(a), lb = strlen(b);

	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1u < best)
				best = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < best)
				best = d[i][j - 1] + 1u;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1u < best)
				best = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned char)best;
		}
	}
	return d[la][lb];
}

const char *pol_suggest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	size_t best_d = 3, lw = strlen(word);

	if (lw > SUGGEST_MAX_LEN)
		return NULL;
	for (; *cands; cands++) {
		size_t lc = strlen(*cands), d;
		if (lc > SUGGEST_MAX_LEN)
			continue;
		d = edit_distance(word, *cands);
		/* two edits turn "ab" into anything short: require half to survive */
		if (d < best_d && 2 * d <= (lw > lc ? lw : lc)) {
			best = *cands;
			best_d = d;
		}
	}
	return best;
}

void pol_join(char *buf, size_t size, const char *const *names, const char *last_sep)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i]; i++) {
		const char *sep = i == 0 ? "" : names[i + 1] ? ", " : last_sep;
		int w = snprintf(buf + len, size - len, "%s%s", sep, names[i]);
		if (w < 0 || (size_t)w >= size - len) {
			if (size >= 4)
				memcpy(buf + size - 4, "...", 4);
			return;
		}
		len += (size_t)w;
	}
}

const struct pol_node *pol_map_get(const struct pol_node *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->nitems; i += 2)
		if (map->items[i]->type == POL_SCALAR && !strcmp(map->items[i]->text, key))
			return map->items[i + 1];
	return NULL;
}

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

int pol_check_keys(const struct pol_ctx *c, const struct pol_node *map, const char *what,
		   const char *const *allowed, const char *const *hints)
{
	size_t npairs = map->nitems / 2, dup, first = 0;
	const char **names = NULL;
	const char *in = what ? "in " : "at the top level", *subject = what ? what : "";
	char shown[POL_SHOW_MAX], desc[POL_SHOW_MAX + 32], list[600];
	int err = 0;

	names = calloc(npairs + 1, sizeof(*names));
	if (!names)
		return pol_nomem();
	for (size_t i = 0; i < npairs; i++) {
		const struct pol_node *key = map->items[2 * i];
		if (key->type != POL_SCALAR) {
			err = pol_fail(c, key, what, "expected a string as key, got %s",
				       pol_describe(desc, key));
			goto done;
		}
		names[i] = key->text;
	}
	if (!hints)
		hints = allowed;
	dup = pol_find_duplicate(names, npairs, &first);
	for (size_t i = 0; i < npairs; i++) {
		const struct pol_node *key = map->items[2 * i];
		const char *close;

		if (allowed && !in_list(allowed, key->text)) {
			if (!(close = pol_suggest(key->text, hints)))
				close = pol_suggest(key->text, allowed);
			if (close) {
				err = pol_fail(c, key, NULL, "unknown key '%s' %s%s (did you mean '%s'?)",
					       yamlu_show(shown, key->text), in, subject, close);
			} else {
				pol_join(list, sizeof(list), hints, ", ");
				err = pol_fail(c, key, NULL, "unknown key '%s' %s%s (expected one of: %s)",
					       yamlu_show(shown, key->text), in, subject, list);
			}
			goto done;
		}
		if (i == dup) {
			err = pol_fail(c, key, NULL, "duplicate key '%s' %s%s (first at %zu:%zu)",
				       yamlu_show(shown, key->text), in, subject,
				       map->items[2 * first]->loc.line, map->items[2 * first]->loc.col);
			goto done;
		}
	}
done:
	free(names);
	return err;
}

size_t pol_find_duplicate(const char *const *names, size_t n, size_t *first)
{
	size_t found = n;

	if (n < 2 || yamlu_find_duplicate(names, n, &found, first) == 0)
		return found;
	/* out of memory: quadratic fallback rather than a second error path */
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j])) {
				*first = j;
				return i;
			}
	return n;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int pol_index_init(struct pol_index *ix, size_t n)
{
	ix->names = calloc(n + 1, sizeof(*ix->names));
	if (!ix->names)
		return pol_nomem();
	ix->n = n;
	return 0;
}

void pol_index_sort(struct pol_index *ix)
{
	qsort(ix->names, ix->n, sizeof(*ix->names), compare_names);
}

bool pol_index_has(const struct pol_index *ix, const char *name)
{
	return ix->n && bsearch(&name, ix->names, ix->n, sizeof(*ix->names), compare_names);
}

void pol_index_free(struct pol_index *ix)
{
	free(ix->names);
	ix->names = NULL;
	ix->n = 0;
}

bool pol_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NAME_MAX_LEN || !strchr(
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", s[0]))
		return false;
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		return false;
	if (strstr(s, "..") || s[len - 1] == '.')
		return false;
	return !(len >= 5 && !strcmp(s + len - 5, ".lock"));
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

bool pol_parse_number(const char *s, double *out)
{
	double v;

	/* strtod alone would also take "nan", "inf" and hexadecimal */
	if (!yamlu_decimal_syntax(s))
		return false;
	v = strtod(s, NULL);
	if (!isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool looks_nonfinite(const char *s)
{
	static const char *const words[] = {".inf", ".nan", "inf", "nan", "infinity"};

	if (yamlu_decimal_syntax(s))
		return true; /* overflowed */
	if (*s == '+' || *s == '-')
		s++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}

int pol_string(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	       const char *key, char **out)
{
	char desc[POL_SHOW_MAX + 32];

	if (v->type != POL_SCALAR || is_null(v))
		return pol_fail(c, v, what, "expected a string for '%s', got %s", key,
				pol_describe(desc, v));
	if (!v->text[0])
		return pol_fail(c, v, what, "expected a non-empty string for '%s'", key);
	*out = strdup(v->text);
	return *out ? 0 : pol_nomem();
}

int pol_name(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	     const char *key, char **out)
{
	char shown[POL_SHOW_MAX];
	int err;

	if ((err = pol_string(c, v, what, key, out)) < 0)
		return err;
	if (pol_name_valid(*out))
		return 0;
	err = pol_fail(c, v, what,
		       "invalid name '%s' for '%s' (expected [A-Za-z0-9][A-Za-z0-9._-]*, "
		       "at most 255 characters, without '..', not ending in '.' or '.lock')",
		       yamlu_show(shown, *out), key);
	free(*out);
	*out = NULL;
	return err;
}

int pol_number(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	       const char *key, double *out)
{
	char desc[POL_SHOW_MAX + 32];

	if (v->type == POL_SCALAR && v->plain && pol_parse_number(v->text, out))
		return 0;
	if (v->type == POL_SCALAR && v->plain && looks_nonfinite(v->text))
		return pol_fail(c, v, what, "expected a finite number for '%s', got %s", key,
				pol_describe(desc, v));
	return pol_fail(c, v, what, "expected a number for '%s', got %s", key,
			pol_describe(desc, v));
}

int pol_number_range(const struct pol_ctx *c, const struct pol_node *v, const char *what,
		     const char *key, double lo, bool lo_open, double hi, bool hi_open,
		     double *out)
{
	double x = NAN;
	int err;

	if ((err = pol_number(c, v, what, key, &x)) < 0)
		return err;
	if ((lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi)) {
		*out = x;
		return 0;
	}
	if (isinf(hi))
		return pol_fail(c, v, what, "expected '%s' %s %g, got %s", key, lo_open ? ">" : ">=",
				lo, v->text);
	return pol_fail(c, v, what, "expected '%s' in %c%g, %g%c, got %s", key,
			lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']', v->text);
}

int pol_count(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	      const char *key, long *out)
{
	char desc[POL_SHOW_MAX + 32];
	const char *s = v->type == POL_SCALAR ? v->text : "";
	long n;

	if (v->type != POL_SCALAR || !v->plain || !*s || strspn(s, "0123456789") != strlen(s))
		return pol_fail(c, v, what, "expected a non-negative integer for '%s', got %s", key,
				pol_describe(desc, v));
	errno = 0;
	n = strtol(s, NULL, 10);
	if (errno == ERANGE)
		return pol_fail(c, v, what, "'%s' is too large for '%s'", s, key);
	*out = n;
	return 0;
}

int pol_bool(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	     const char *key, bool *out)
{
	char desc[POL_SHOW_MAX + 32];

	if (v->type == POL_SCALAR && v->plain && !strcmp(v->text, "true")) {
		*out = true;
		return 0;
	}
	if (v->type == POL_SCALAR && v->plain && !strcmp(v->text, "false")) {
		*out = false;
		return 0;
	}
	return pol_fail(c, v, what, "expected true or false for '%s', got %s", key,
			pol_describe(desc, v));
}

int pol_enum(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	     const char *key, const char *const *names, int *out)
{
	char desc[POL_SHOW_MAX + 32], list[256], hint[POL_SHOW_MAX + 32] = "";
	const char *close;

	if (v->type == POL_SCALAR) {
		for (int i = 0; names[i]; i++) {
			if (!strcmp(v->text, names[i])) {
				*out = i;
				return 0;
			}
		}
		close = pol_suggest(v->text, names);
		if (close)
			snprintf(hint, sizeof(hint), " (did you mean '%s'?)", close);
	}
	pol_join(list, sizeof(list), names, " or ");
	return pol_fail(c, v, what, "expected %s for '%s', got %s%s", list, key,
			pol_describe(desc, v), hint);
}

/* "1d2h3m4s": every part optional, in that order, whole numbers. */
static bool parse_duration(const char *s, double *out)
{
	static const char units[] = "dhms";
	static const double seconds[] = {86400, 3600, 60, 1};
	size_t u = 0;
	double total = 0;

	if (!*s)
		return false;
	while (*s) {
		double part = 0;
		size_t ndigits = 0;

		if (!is_digit(*s))
			return false;
		for (; is_digit(*s); s++) {
			part = part * 10 + (*s - '0');
			if (++ndigits > 12)
				return false;
		}
		while (u < 4 && units[u] != *s)
			u++;
		if (u == 4)
			return false;
		total += part * seconds[u++];
		s++;
	}
	*out = total;
	return true;
}

int pol_duration(const struct pol_ctx *c, const struct pol_node *v, const char *what,
		 const char *key, double *out)
{
	char desc[POL_SHOW_MAX + 32];
	double x;

	if (v->type == POL_SCALAR && v->plain && pol_parse_number(v->text, &x) && x >= 0) {
		*out = x;
		return 0;
	}
	if (v->type == POL_SCALAR && parse_duration(v->text, &x)) {
		*out = x;
		return 0;
	}
	return pol_fail(c, v, what,
			"expected a duration for '%s' (seconds, or like 90s, 30m, 24h, 7d, 1h30m), "
			"got %s", key, pol_describe(desc, v));
}

void pol_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int pol_string_list(const struct pol_ctx *c, const struct pol_node *v, const char *what,
		    const char *key, bool names, bool nonempty, char ***out, size_t *n)
{
	const struct pol_node *const *items = &v;
	char desc[POL_SHOW_MAX + 32];
	size_t count = 1, dup, first = 0;
	char **list = NULL;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (v->type == POL_SEQ) {
		items = (const struct pol_node *const *)v->items;
		count = v->nitems;
	} else if (v->type != POL_SCALAR || is_null(v)) {
		return pol_fail(c, v, what, "expected a list of strings for '%s', got %s", key,
				pol_describe(desc, v));
	}
	if (count == 0 && nonempty)
		return pol_fail(c, v, what, "expected a non-empty list for '%s'", key);
	list = calloc(count + 1, sizeof(*list));
	if (!list)
		return pol_nomem();
	for (size_t i = 0; i < count; i++) {
		err = names ? pol_name(c, items[i], what, key, &list[i])
			    : pol_string(c, items[i], what, key, &list[i]);
		if (err < 0)
			goto done;
	}
	dup = pol_find_duplicate((const char *const *)list, count, &first);
	if (dup < count) {
		char shown[POL_SHOW_MAX];
		err = pol_fail(c, items[dup], what, "'%s' is listed twice in '%s' (first at %zu:%zu)",
			       yamlu_show(shown, list[dup]), key, items[first]->loc.line,
			       items[first]->loc.col);
		goto done;
	}
done:
	if (err < 0) {
		pol_strv_free(list, count);
		return err;
	}
	*out = list;
	*n = count;
	return 0;
}
