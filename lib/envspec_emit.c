/*
 * The normalized environment spec, written with libyaml's emitter, and the
 * frozen clock's time format. Fixed key order:
 *
 *   version, name, description, seed, time,
 *   decoding {temperature, top_p, max_tokens, allow_sampling}, command,
 *   inputs, tools {<name>: {fixture}} (sorted by name), rag_index,
 *   filesystem, graders [{name, kind, path, held_out_preferences}]
 *
 * Defaults are written out (top_p 1, allow_sampling false,
 * held_out_preferences false); absent optional keys are left out; graders
 * keep their order (programmatic ones usually come first, on purpose).
 * Parsing the output and normalizing again gives the same bytes.
 */
#include "envspec_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "yamlutil.h"

static void spec(struct yamlu_emitter *e, const struct rlp_envspec *s)
{
	char num[32];

	yamlu_mapping_start(e, false);
	yamlu_key_plain(e, "version", "1");
	yamlu_key_string(e, "name", s->name);
	yamlu_key_string(e, "description", s->description);
	snprintf(num, sizeof(num), "%" PRIu64, s->seed);
	yamlu_key_plain(e, "seed", num);
	yamlu_key_string(e, "time", s->time);
	yamlu_key(e, "decoding");
	yamlu_mapping_start(e, false);
	yamlu_key_number(e, "temperature", s->decoding.temperature);
	yamlu_key_number(e, "top_p", s->decoding.top_p);
	if (s->decoding.max_tokens > 0) {
		snprintf(num, sizeof(num), "%ld", s->decoding.max_tokens);
		yamlu_key_plain(e, "max_tokens", num);
	}
	yamlu_key_plain(e, "allow_sampling", s->decoding.allow_sampling ? "true" : "false");
	yamlu_mapping_end(e);
	if (s->ncommand) {
		yamlu_key(e, "command");
		yamlu_sequence_start(e, false);
		for (size_t i = 0; i < s->ncommand; i++)
			yamlu_string(e, s->command[i]);
		yamlu_sequence_end(e);
	}
	yamlu_key_string(e, "harness", s->harness);
	yamlu_key_string(e, "inputs", s->inputs);
	if (s->ntools) {
		yamlu_key(e, "tools");
		yamlu_mapping_start(e, false);
		for (size_t i = 0; i < s->ntools; i++) {
			yamlu_string(e, s->tools[i].name);
			yamlu_mapping_start(e, false);
			yamlu_key_string(e, "fixture", s->tools[i].fixture);
			yamlu_mapping_end(e);
		}
		yamlu_mapping_end(e);
	}
	yamlu_key_string(e, "rag_index", s->rag_index);
	yamlu_key_string(e, "filesystem", s->filesystem);
	yamlu_key(e, "graders");
	yamlu_sequence_start(e, false);
	for (size_t i = 0; i < s->ngraders; i++) {
		const struct rlp_env_grader *g = &s->graders[i];
		yamlu_mapping_start(e, false);
		yamlu_key_string(e, "name", g->name);
		yamlu_key_plain(e, "kind", rlp_grader_kind_name(g->kind));
		yamlu_key_string(e, "path", g->path);
		yamlu_key_plain(e, "held_out_preferences",
				g->held_out_preferences ? "true" : "false");
		yamlu_mapping_end(e);
	}
	yamlu_sequence_end(e);
	yamlu_mapping_end(e);
}

int rlp_envspec_normalize(char **out, size_t *len, const struct rlp_envspec *s)
{
	struct yamlu_emitter e;
	int err = 0;

	*out = NULL;
	if (len)
		*len = 0;
	if (yamlu_emitter_begin(&e, 2 * RLP_ENVSPEC_MAX_BYTES) < 0)
		return es_nomem();
	spec(&e, s);
	yamlu_emitter_end(&e);
	if (e.failed || e.out.failed)
		err = e.out.failed || e.y.error == YAML_MEMORY_ERROR
			      ? es_nomem()
			      : rlp_error_set(RLP_ERROR, "cannot write the normalized spec: %s",
					      e.y.problem ? e.y.problem : "emitter error");
	yaml_emitter_delete(&e.y);
	if (err == 0) {
		if (len)
			*len = e.out.len;
		err = rlp_buf_detach(out, &e.out);
	}
	rlp_buf_free(&e.out);
	return err;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* `n` decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int rlp_time_parse(const char *s, char norm[21], int64_t *epoch)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year, mon, day, hour, min, sec, offset = 0;
	char text[64];
	int64_t t, y;
	const char *z;

	if (strlen(s) < 20)
		goto bad;
	year = digits(s, 4);
	mon = digits(s + 5, 2);
	day = digits(s + 8, 2);
	if (year < 0 || s[4] != '-' || mon < 1 || mon > 12 || s[7] != '-' ||
	    day < 1 || day > mdays[mon - 1] ||
	    (mon == 2 && day == 29 && (year % 4 || (year % 100 == 0 && year % 400))) ||
	    (s[10] != 'T' && s[10] != 't') || (hour = digits(s + 11, 2)) < 0 || hour > 23 ||
	    s[13] != ':' || (min = digits(s + 14, 2)) < 0 || min > 59 || s[16] != ':' ||
	    (sec = digits(s + 17, 2)) < 0 || sec > 59)
		goto bad;
	z = s + 19;
	if ((z[0] == 'Z' || z[0] == 'z') && !z[1])
		offset = 0;
	else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':' &&
		 digits(z + 1, 2) >= 0 && digits(z + 1, 2) <= 23 && digits(z + 4, 2) >= 0 &&
		 digits(z + 4, 2) <= 59)
		offset = (z[0] == '-' ? -1 : 1) * (digits(z + 1, 2) * 3600 + digits(z + 4, 2) * 60);
	else
		goto bad;
	t = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
	civil_from_days(t >= 0 ? t / 86400 : -((-t + 86399) / 86400), &y, &mon, &day);
	if (y < 0 || y > 9999)
		goto bad;
	sec = (int)(t - days_from_civil(y, mon, day) * 86400);
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, mon, day,
		 sec / 3600, sec / 60 % 60, sec % 60);
	memcpy(norm, text, 21); /* exactly 20 characters: y, mon, day and sec are in range */
	*epoch = t;
	return 0;
bad:
	return rlp_error_set(RLP_EINVALID, "'%s' is not an RFC 3339 time in whole seconds, such "
			     "as '2026-01-01T00:00:00Z'", s);
}
