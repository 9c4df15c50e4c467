/*
 * YAML helpers shared by the policy (policy*.c) and the environment spec
 * (envspec*.c): see yamlutil.h.
 */
#include "yamlutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *yamlu_show(char buf[YAMLU_SHOW_MAX], const char *user)
{
	size_t i;

	for (i = 0; user[i] && i < YAMLU_SHOW_MAX - 4; i++)
		buf[i] = ((unsigned char)user[i] < 0x20 || user[i] == 0x7f) ? '?' : user[i];
	if (user[i]) {
		/* never cut a UTF-8 character: back off while the first byte left
		 * out continues the one before it */
		while (i > 0 && ((unsigned char)user[i] & 0xc0) == 0x80)
			i--;
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

bool yamlu_decimal_syntax(const char *s)
{
	const char *p = s + (*s == '-' || *s == '+');
	size_t digits = strspn(p, "0123456789"), frac = 0;

	p += digits;
	if (*p == '.')
		p += 1 + (frac = strspn(p + 1, "0123456789"));
	if (digits + frac == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '-' || p[1] == '+');
		if (!strspn(p, "0123456789"))
			return false;
		p += strspn(p, "0123456789");
	}
	return *p == '\0';
}

struct keyed {
	const char *key;
	size_t index;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int d = strcmp(x->key, y->key);
	return d ? d : (x->index > y->index) - (x->index < y->index);
}

int yamlu_find_duplicate(const char *const *names, size_t n, size_t *dup, size_t *first)
{
	struct keyed *k = malloc((n ? n : 1) * sizeof(*k));

	if (!k)
		return -1;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){names[i], i};
	qsort(k, n, sizeof(*k), keyed_cmp);
	*dup = n;
	/* sorted by position within equal names: the second of a run is the
	 * earliest repeat of that name, its predecessor the first occurrence */
	for (size_t i = 1; i < n; i++)
		if (!strcmp(k[i].key, k[i - 1].key) && k[i].index < *dup) {
			*dup = k[i].index;
			*first = k[i - 1].index;
		}
	free(k);
	return 0;
}

static int write_out(void *data, unsigned char *bytes, size_t size)
{
	struct yamlu_emitter *e = data;
	return rlp_buf_put(&e->out, (const char *)bytes, size) == 0;
}

/* `initialized` is the result of a yaml_*_event_initialize() call. */
static void emit(struct yamlu_emitter *e, yaml_event_t *ev, int initialized)
{
	if (e->failed)
		return;
	if (!initialized)
		e->failed = e->bad_event = true;
	else if (!yaml_emitter_emit(&e->y, ev))
		e->failed = true;
}

int yamlu_emitter_begin(struct yamlu_emitter *e, size_t max)
{
	yaml_event_t ev;

	*e = (struct yamlu_emitter){.out = RLP_BUF_INIT};
	e->out.max = max;
	if (!yaml_emitter_initialize(&e->y))
		return -1;
	yaml_emitter_set_output(&e->y, write_out, e);
	yaml_emitter_set_unicode(&e->y, 1);
	yaml_emitter_set_width(&e->y, -1); /* a long rule or command stays on its line */
	emit(e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	if (!e->failed)
		emit(e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	return 0;
}

void yamlu_emitter_end(struct yamlu_emitter *e)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_document_end_event_initialize(&ev, 1));
	if (!e->failed)
		emit(e, &ev, yaml_stream_end_event_initialize(&ev));
	if (!e->failed && !yaml_emitter_flush(&e->y))
		e->failed = true;
}

void yamlu_scalar(struct yamlu_emitter *e, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL,
							  (const yaml_char_t *)text, (int)strlen(text),
							  1, 1, style));
}

void yamlu_string(struct yamlu_emitter *e, const char *text)
{
	static const char *const special[] = {"", "~", "null", "true", "false", "yes", "no",
					      "on", "off", "y", "n"};
	bool quote = strchr("0123456789+-.", text[0]) != NULL; /* also "" */

	for (size_t i = 0; !quote && i < sizeof(special) / sizeof(special[0]); i++)
		quote = !strcasecmp(text, special[i]);
	yamlu_scalar(e, text, quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

void yamlu_number(struct yamlu_emitter *e, double x)
{
	char buf[40];

	for (int precision = 15; precision <= 17; precision++) {
		snprintf(buf, sizeof(buf), "%.*g", precision, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	yamlu_scalar(e, buf, YAML_PLAIN_SCALAR_STYLE);
}

void yamlu_mapping_start(struct yamlu_emitter *e, bool flow)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

void yamlu_mapping_end(struct yamlu_emitter *e)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
}

void yamlu_sequence_start(struct yamlu_emitter *e, bool flow)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

void yamlu_sequence_end(struct yamlu_emitter *e)
{
	yaml_event_t ev;

	if (!e->failed)
		emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
}

void yamlu_key(struct yamlu_emitter *e, const char *name)
{
	yamlu_scalar(e, name, YAML_PLAIN_SCALAR_STYLE);
}

void yamlu_key_string(struct yamlu_emitter *e, const char *name, const char *value)
{
	if (!value)
		return;
	yamlu_key(e, name);
	yamlu_string(e, value);
}

void yamlu_key_plain(struct yamlu_emitter *e, const char *name, const char *value)
{
	yamlu_key(e, name);
	yamlu_scalar(e, value, YAML_PLAIN_SCALAR_STYLE);
}

void yamlu_key_number(struct yamlu_emitter *e, const char *name, double value)
{
	yamlu_key(e, name);
	yamlu_number(e, value);
}
