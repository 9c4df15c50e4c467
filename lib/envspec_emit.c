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
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "buf.h"
#include "error.h"

struct emitter {
	yaml_emitter_t y;
	struct rlp_buf out;
	bool failed; /* sticky: later calls do nothing */
};

static int write_out(void *data, unsigned char *bytes, size_t size)
{
	struct emitter *e = data;
	return rlp_buf_put(&e->out, (const char *)bytes, size) == 0;
}

/* `initialized` is the result of a yaml_*_event_initialize() call. */
static void emit(struct emitter *e, yaml_event_t *ev, int initialized)
{
	if (e->failed)
		return;
	if (!initialized || !yaml_emitter_emit(&e->y, ev))
		e->failed = true;
}

static void scalar(struct emitter *e, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)text,
							  (int)strlen(text), 1, 1, style));
}

/* Quote what a YAML 1.1 reader could take for a number, bool, null or
 * timestamp; our parser reads plain and quoted strings alike. */
static void string(struct emitter *e, const char *text)
{
	static const char *const special[] = {"", "~", "null", "true", "false", "yes", "no",
					      "on", "off", "y", "n"};
	bool quote = strchr("0123456789+-.", text[0]) != NULL; /* also "" */

	for (size_t i = 0; !quote && i < sizeof(special) / sizeof(special[0]); i++)
		quote = !strcasecmp(text, special[i]);
	scalar(e, text, quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

/* The shortest text that reads back as the same double. */
static void number(struct emitter *e, double x)
{
	char buf[40];

	for (int precision = 15; precision <= 17; precision++) {
		snprintf(buf, sizeof(buf), "%.*g", precision, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void start(struct emitter *e, bool mapping)
{
	yaml_event_t ev;

	if (mapping)
		emit(e, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
								 YAML_BLOCK_MAPPING_STYLE));
	else
		emit(e, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
								  YAML_BLOCK_SEQUENCE_STYLE));
}

static void end(struct emitter *e, bool mapping)
{
	yaml_event_t ev;

	if (mapping)
		emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
	else
		emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void key_string(struct emitter *e, const char *key, const char *value)
{
	if (!value)
		return;
	scalar(e, key, YAML_PLAIN_SCALAR_STYLE);
	string(e, value);
}

static void key_plain(struct emitter *e, const char *key, const char *value)
{
	scalar(e, key, YAML_PLAIN_SCALAR_STYLE);
	scalar(e, value, YAML_PLAIN_SCALAR_STYLE);
}

static void key_number(struct emitter *e, const char *key, double value)
{
	scalar(e, key, YAML_PLAIN_SCALAR_STYLE);
	number(e, value);
}

static void spec(struct emitter *e, const struct rlp_envspec *s)
{
	char num[32];

	start(e, true);
	key_plain(e, "version", "1");
	key_string(e, "name", s->name);
	key_string(e, "description", s->description);
	snprintf(num, sizeof(num), "%" PRIu64, s->seed);
	key_plain(e, "seed", num);
	key_string(e, "time", s->time);
	scalar(e, "decoding", YAML_PLAIN_SCALAR_STYLE);
	start(e, true);
	key_number(e, "temperature", s->decoding.temperature);
	key_number(e, "top_p", s->decoding.top_p);
	if (s->decoding.max_tokens > 0) {
		snprintf(num, sizeof(num), "%ld", s->decoding.max_tokens);
		key_plain(e, "max_tokens", num);
	}
	key_plain(e, "allow_sampling", s->decoding.allow_sampling ? "true" : "false");
	end(e, true);
	if (s->ncommand) {
		scalar(e, "command", YAML_PLAIN_SCALAR_STYLE);
		start(e, false);
		for (size_t i = 0; i < s->ncommand; i++)
			string(e, s->command[i]);
		end(e, false);
	}
	key_string(e, "harness", s->harness);
	key_string(e, "inputs", s->inputs);
	if (s->ntools) {
		scalar(e, "tools", YAML_PLAIN_SCALAR_STYLE);
		start(e, true);
		for (size_t i = 0; i < s->ntools; i++) {
			string(e, s->tools[i].name);
			start(e, true);
			key_string(e, "fixture", s->tools[i].fixture);
			end(e, true);
		}
		end(e, true);
	}
	key_string(e, "rag_index", s->rag_index);
	key_string(e, "filesystem", s->filesystem);
	scalar(e, "graders", YAML_PLAIN_SCALAR_STYLE);
	start(e, false);
	for (size_t i = 0; i < s->ngraders; i++) {
		const struct rlp_env_grader *g = &s->graders[i];
		start(e, true);
		key_string(e, "name", g->name);
		key_plain(e, "kind", rlp_grader_kind_name(g->kind));
		key_string(e, "path", g->path);
		key_plain(e, "held_out_preferences", g->held_out_preferences ? "true" : "false");
		end(e, true);
	}
	end(e, false);
	end(e, true);
}

int rlp_envspec_normalize(char **out, size_t *len, const struct rlp_envspec *s)
{
	struct emitter e = {.out = RLP_BUF_INIT};
	yaml_event_t ev;
	int err = 0;

	*out = NULL;
	if (len)
		*len = 0;
	e.out.max = 2 * RLP_ENVSPEC_MAX_BYTES;
	if (!yaml_emitter_initialize(&e.y))
		return es_nomem();
	yaml_emitter_set_output(&e.y, write_out, &e);
	yaml_emitter_set_unicode(&e.y, 1);
	yaml_emitter_set_width(&e.y, -1);
	emit(&e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(&e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	spec(&e, s);
	emit(&e, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(&e, &ev, yaml_stream_end_event_initialize(&ev));
	if (!e.failed && !yaml_emitter_flush(&e.y))
		e.failed = true;
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
