/* Shadow and canary traffic: batches of paired outcomes (see shadow.h). */
#include "shadow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "results_private.h"

#define SHADOW_MAX_LINE (1u << 20)
#define QUOTE_MAX 72

struct pending {
	double score;      /* 1, 0.5 or 0 */
	bool cand_error;
	uint32_t session;  /* index in the batch's sessions */
	struct rlp_instant ts;
};

/* One batch, parsed before anything is merged. */
struct batch {
	const char *name;
	struct results_strtab ids, sessions; /* ids.strs[k] is pending[k]'s id */
	struct pending *p;
	size_t n, cap;
};

struct rlp_shadow {
	struct results_strtab ids, sessions;
	struct rlp_shadow_tally t;
};

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, int n, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

int rlp_instant_parse(struct rlp_instant *out, const char *s)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	uint32_t nsec = 0;
	int sign = 0;
	const char *p;

	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		goto bad;
	p = s + 19;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 9)
				nsec = nsec * 10 + (uint32_t)(*p - '0');
		if (n == 0)
			goto bad;
		for (; n < 9; n++)
			nsec *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			goto bad;
		p += 6;
	} else {
		goto bad;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
		goto bad;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		goto bad;
	if (sec == 60)
		sec = 59; /* a leap second: as its second's last instant would be */
	out->sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		   sign * (int64_t)(oh * 3600 + om * 60);
	out->nsec = nsec;
	return 0;
bad:
	return rlp_error_set(RLP_EINVALID, "not an RFC 3339 time");
}

void rlp_instant_format(char buf[40], const struct rlp_instant *t)
{
	int64_t days = t->sec >= 0 ? t->sec / 86400 : -((-t->sec + 86399) / 86400);
	int64_t rest = t->sec - days * 86400, y;
	unsigned m, d;
	int len;

	civil_from_days(days, &y, &m, &d);
	len = snprintf(buf, 40, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
		       (unsigned)(rest / 3600), (unsigned)(rest / 60 % 60), (unsigned)(rest % 60));
	if (t->nsec) {
		char frac[16];
		snprintf(frac, sizeof(frac), "%09u", (unsigned)t->nsec);
		for (int i = 8; i > 0 && frac[i] == '0'; i--)
			frac[i] = '\0';
		len += snprintf(buf + len, 40 - (size_t)len, ".%s", frac);
	}
	snprintf(buf + len, 40 - (size_t)len, "Z");
}

double rlp_instant_diff(const struct rlp_instant *later, const struct rlp_instant *earlier)
{
	return (double)(later->sec - earlier->sec) +
	       ((double)later->nsec - (double)earlier->nsec) * 1e-9;
}

static int instant_cmp(const struct rlp_instant *a, const struct rlp_instant *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	return a->nsec < b->nsec ? -1 : a->nsec > b->nsec;
}

void rlp_duration_format(char *buf, size_t size, double seconds)
{
	static const long unit[] = {86400, 3600, 60, 1};
	static const char name[] = "dhms";
	size_t len = 0;
	long left;

	if (!(seconds >= 0) || seconds > 1e15) {
		snprintf(buf, size, "%g s", seconds);
		return;
	}
	left = (long)floor(seconds);
	buf[0] = '\0';
	for (int i = 0; i < 4 && len < size; i++)
		if (left >= unit[i] || (i == 3 && len == 0)) {
			len += (size_t)snprintf(buf + len, size - len, "%ld%c", left / unit[i], name[i]);
			left %= unit[i];
		}
}

/* ---- one batch ---- */

static void batch_free(struct batch *b)
{
	results_strtab_free(&b->ids);
	results_strtab_free(&b->sessions);
	free(b->p);
}

/* "<before>'<subject>'<after>", the subject (from the input) made printable. */
static int quoted(const char *before, const char *subject, const char *after)
{
	char q[QUOTE_MAX];

	results_quote(q, sizeof(q), subject);
	return rlp_error_set(RLP_EINVALID, "%s'%s'%s", before, q, after);
}

static int nonempty_string(const char **out, const struct rlp_json *v, const char *key)
{
	if (!v)
		return rlp_error_set(RLP_EINVALID, "missing %s", key);
	if (!rlp_json_is_string(v) || !*rlp_json_string(v))
		return rlp_error_set(RLP_EINVALID, "%s: not a non-empty string", key);
	*out = rlp_json_string(v);
	return 0;
}

/* An answer: a finite score, or an error or timeout. */
static int outcome(const struct rlp_json *o, const char *side, bool *failed, double *score)
{
	const struct rlp_json *e, *t, *sc;

	if (!rlp_json_is_object(o))
		return rlp_error_set(RLP_EINVALID, "%s: not an object", side);
	e = rlp_json_get(o, "error");
	t = rlp_json_get(o, "timeout");
	sc = rlp_json_get(o, "score");
	if (t && !rlp_json_is_bool(t))
		return rlp_error_set(RLP_EINVALID, "%s.timeout: not a boolean", side);
	if (e && !rlp_json_is_null(e) && !rlp_json_is_string(e))
		return rlp_error_set(RLP_EINVALID, "%s.error: not a string", side);
	*failed = (e && rlp_json_is_string(e)) || (t && rlp_json_is_true(t));
	if (*failed)
		return 0;
	if (!sc)
		return rlp_error_set(RLP_EINVALID, "%s: needs a score, or an error", side);
	if (!rlp_json_is_finite_number(sc))
		return rlp_error_set(RLP_EINVALID, "%s.score: not a finite number", side);
	*score = rlp_json_number(sc);
	return 0;
}

static int judge_score(const struct rlp_json *j, double *score)
{
	const char *s = rlp_json_string(j);

	if (s && !strcmp(s, "win"))
		*score = 1;
	else if (s && !strcmp(s, "tie"))
		*score = 0.5;
	else if (s && !strcmp(s, "loss"))
		*score = 0;
	else
		return rlp_error_set(RLP_EINVALID, "judge: not \"win\", \"tie\" or \"loss\"");
	return 0;
}

static const char *const fields[] = {"id", "timestamp", "session", "candidate", "production",
				     "judge", NULL};
enum { F_ID, F_TS, F_SESSION, F_CAND, F_PROD, F_JUDGE, F_COUNT };

static int parse_line(struct batch *b, const char *line, size_t len)
{
	const struct rlp_json *root, *f[F_COUNT] = {NULL};
	const char *id = NULL, *session = NULL, *ts = NULL;
	struct pending p = {0};
	size_t off, index;
	bool added;
	int rc;

	if (!(root = rlp_json_parse(line, len, &off)))
		return off == SIZE_MAX ? RLP_ENOMEM : RLP_EINVALID; /* message set */
	if (!rlp_json_is_object(root))
		return rlp_error_set(RLP_EINVALID, "not a JSON object");
	const char *dup;
	if (rlp_json_pick(root, fields, f, &dup) < 0)
		return quoted("duplicate key ", dup, "");
	if ((rc = nonempty_string(&id, f[F_ID], "id")) != 0 ||
	    (rc = nonempty_string(&ts, f[F_TS], "timestamp")) != 0 ||
	    (rc = nonempty_string(&session, f[F_SESSION], "session")) != 0)
		return rc;
	if (rlp_instant_parse(&p.ts, ts) != 0)
		return quoted("timestamp: ", ts, " is not an RFC 3339 time");
	if (f[F_JUDGE] && (f[F_CAND] || f[F_PROD]))
		return rlp_error_set(RLP_EINVALID, "judge and candidate/production: give one or "
						   "the other");
	if (f[F_JUDGE]) {
		if ((rc = judge_score(f[F_JUDGE], &p.score)) != 0)
			return rc;
	} else if (!f[F_CAND] || !f[F_PROD]) {
		return rlp_error_set(RLP_EINVALID, "needs a judge, or candidate and production");
	} else {
		bool cfail, pfail;
		double cs = 0, ps = 0;
		if ((rc = outcome(f[F_CAND], "candidate", &cfail, &cs)) != 0 ||
		    (rc = outcome(f[F_PROD], "production", &pfail, &ps)) != 0)
			return rc;
		p.cand_error = cfail;
		p.score = cfail ? 0 : pfail ? 1 : cs > ps ? 1 : cs == ps ? 0.5 : 0;
	}
	if ((rc = results_strtab_intern(&b->ids, id, strlen(id), results_hash(id, strlen(id)),
					&index, &added)) != 0)
		return rc;
	if (!added)
		return quoted("request ", id, " appears twice");
	if ((rc = results_strtab_intern(&b->sessions, session, strlen(session),
					results_hash(session, strlen(session)), &index, &added)) != 0)
		return rc;
	p.session = (uint32_t)index;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		struct pending *grown = realloc(b->p, cap * sizeof(*grown));
		if (!grown)
			return rlp_error_set(RLP_ENOMEM, "out of memory for shadow traffic");
		b->p = grown;
		b->cap = cap;
	}
	b->p[b->n++] = p;
	return 0;
}

static int batch_read(struct batch *b, const char *buf, size_t len, const char *name)
{
	struct rlp_json_arena *arena = rlp_json_arena_new(0);
	struct results_lines src;
	const char *line;
	size_t linelen;
	int rc;

	memset(b, 0, sizeof(*b));
	b->name = name ? name : "<traffic>";
	if (!arena)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	rlp_json_arena_set_limit(arena, 64u << 20);
	results_lines_init(&src, SHADOW_MAX_LINE);
	src.mem = buf ? buf : "";
	src.mem_len = buf ? len : 0;
	rlp_json_arena_use(arena);
	while ((rc = results_lines_next(&src, &line, &linelen)) == 1) {
		if (results_lines_skip_blank(&src, &line, &linelen))
			continue;
		rlp_json_arena_reset(arena);
		if ((rc = parse_line(b, line, linelen)) != 0)
			break;
	}
	rlp_json_arena_use(NULL);
	rlp_json_arena_free(arena);
	if (rc < 0)
		rc = rlp_error_wrap(rc, "%s:%zu", b->name, src.lineno);
	else if (!b->n)
		rc = rlp_error_set(RLP_EINVALID, "%s: no requests", b->name);
	if (rc)
		batch_free(b);
	return rc;
}

/* ---- the accumulator ---- */

int rlp_shadow_new(struct rlp_shadow **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : rlp_error_set(RLP_ENOMEM, "out of memory");
}

void rlp_shadow_free(struct rlp_shadow *s)
{
	if (!s)
		return;
	results_strtab_free(&s->ids);
	results_strtab_free(&s->sessions);
	free(s);
}

static void tally_add(struct rlp_shadow_tally *t, const struct pending *p)
{
	if (!t->n || instant_cmp(&p->ts, &t->first) < 0)
		t->first = p->ts;
	if (!t->n || instant_cmp(&p->ts, &t->last) > 0)
		t->last = p->ts;
	t->n++;
	t->wins += p->score == 1;
	t->ties += p->score == 0.5;
	t->losses += p->score == 0;
	t->candidate_errors += p->cand_error;
	t->sum += p->score;
	t->sumsq += p->score * p->score;
}

int rlp_shadow_add(struct rlp_shadow *s, const char *buf, size_t len, const char *name)
{
	struct rlp_shadow_tally t = s->t;
	struct batch b;
	size_t index;
	bool added;
	int rc;

	if ((rc = batch_read(&b, buf, len, name)) != 0)
		return rc;
	/* the batch is sound: merge it (an allocation failure here leaves the
	 * id table larger, never the tally half-updated) */
	for (size_t k = 0; k < b.n; k++) {
		const char *id = b.ids.strs[k], *session = b.sessions.strs[b.p[k].session];
		size_t idlen = strlen(id), slen = strlen(session);
		if ((rc = results_strtab_intern(&s->ids, id, idlen, results_hash(id, idlen), &index,
						&added)) != 0)
			goto done;
		if (!added) {
			t.duplicates++;
			continue;
		}
		if ((rc = results_strtab_intern(&s->sessions, session, slen,
						results_hash(session, slen), &index, &added)) != 0)
			goto done;
		tally_add(&t, &b.p[k]);
	}
	t.sessions = (long)s->sessions.n;
	s->t = t;
done:
	batch_free(&b);
	return rc;
}

void rlp_shadow_get_tally(const struct rlp_shadow *s, struct rlp_shadow_tally *out)
{
	*out = s->t;
}

int rlp_shadow_summary(char **out, const char *buf, size_t len, const char *name)
{
	struct rlp_shadow *s = NULL;
	struct rlp_json *root = NULL;
	char first[40], last[40], *text = NULL;
	int rc;

	*out = NULL;
	if ((rc = rlp_shadow_new(&s)) != 0 || (rc = rlp_shadow_add(s, buf, len, name)) != 0)
		goto done;
	rlp_instant_format(first, &s->t.first);
	rlp_instant_format(last, &s->t.last);
	root = rlp_json_new_object();
	rlp_json_add_number(root, "candidate_errors", (double)s->t.candidate_errors);
	rlp_json_add_string(root, "first", first);
	rlp_json_add_string(root, "last", last);
	rlp_json_add_number(root, "losses", (double)s->t.losses);
	rlp_json_add_number(root, "requests", (double)s->t.n);
	rlp_json_add_number(root, "sessions", (double)s->t.sessions);
	rlp_json_add_number(root, "ties", (double)s->t.ties);
	rlp_json_add_number(root, "wins", (double)s->t.wins);
	if (!root || !(*out = rlp_json_print_line(root, false)))
		rc = rlp_error_set(RLP_ENOMEM, "out of memory");
done:
	free(text);
	rlp_json_free(root);
	rlp_shadow_free(s);
	return rc;
}
