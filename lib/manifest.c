/* Stage manifests: path templates, rendering and strict parsing. */
#include "manifest.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "buf.h"
#include "error.h"
#include "json.h"

int rlp_manifest_path(char *buf, size_t size, const struct rlp_policy *policy, const char *stage)
{
	struct rlp_buf b = RLP_BUF_INIT;
	const char *t = policy->manifest;
	int error = 0;

	if (!t || !*t)
		return rlp_error_set(RLP_EINVALID, "the policy has no 'manifest' path");
	while (*t) {
		if (!strncmp(t, "{stage}", 7)) {
			rlp_buf_puts(&b, stage);
			t += 7;
		}
		else if (!strncmp(t, "{model}", 7)) {
			rlp_buf_puts(&b, policy->model);
			t += 7;
		}
		else
			rlp_buf_putc(&b, *t++);
	}
	if (b.failed || !b.ptr)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
	else if (b.ptr[0] == '/' || b.len >= size || strstr(b.ptr, "//") ||
		 b.ptr[b.len - 1] == '/')
		error = rlp_error_set(RLP_EINVALID, "not a manifest path in the repository: '%s'",
				      b.ptr);
	else
		for (char *c = b.ptr; *c && !error; c += strcspn(c, "/"), c += *c == '/') {
			size_t n = strcspn(c, "/");
			if ((n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
				error = rlp_error_set(RLP_EINVALID,
						      "not a manifest path in the repository: '%s'",
						      b.ptr);
		}
	if (!error)
		snprintf(buf, size, "%s", b.ptr);
	rlp_buf_free(&b);
	return error;
}

/* A YAML double-quoted scalar (JSON escapes are valid YAML). */
static void quoted(struct rlp_buf *b, const char *s)
{
	rlp_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			rlp_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			rlp_buf_printf(b, "\\x%02x", *p);
		else
			rlp_buf_putc(b, (char)*p);
	}
	rlp_buf_putc(b, '"');
}

static void field(struct rlp_buf *b, const char *indent, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	rlp_buf_printf(b, "%s%s: ", indent, key);
	quoted(b, value);
	rlp_buf_putc(b, '\n');
}

int rlp_manifest_render(char **out, const struct rlp_manifest *m)
{
	struct rlp_buf b = RLP_BUF_INIT;
	struct rlp_json *art = NULL;

	rlp_buf_puts(&b, "# The stage manifest: what deploy tooling ships to this stage.\n"
			 "# Written by `git rlpromote pr open`; checked by `git rlpromote ci`.\n");
	field(&b, "", "model", m->model);
	field(&b, "", "stage", m->stage);
	field(&b, "", "candidate", m->candidate);
	if (m->artifact && (art = rlp_json_parse(m->artifact, strlen(m->artifact), NULL))) {
		rlp_buf_puts(&b, "artifact:\n");
		for (struct rlp_json *c = rlp_json_first(art); c; c = rlp_json_next(c))
			field(&b, "  ", rlp_json_key(c), rlp_json_string(c));
	}
	rlp_json_free(art);
	rlp_buf_puts(&b, "basis:\n");
	field(&b, "  ", "verdict", m->verdict);
	field(&b, "  ", "policy", m->policy);
	field(&b, "  ", "candidate_run", m->candidate_run);
	field(&b, "  ", "baseline_run", m->baseline_run);
	field(&b, "  ", "env", m->env);
	return rlp_buf_detach(out, &b);
}

static int copy(char *dst, size_t size, const char *value, const char *key, const char *name)
{
	if (strlen(value) >= size)
		return rlp_error_set(RLP_EINVALID, "%s: '%s' is too long", name, key);
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

struct slot {
	const char *key;
	size_t off, size;
};

static int mapping(yaml_document_t *doc, yaml_node_t *node, struct rlp_manifest *m,
		   struct rlp_json *art, const char *section, const char *name)
{
	static const struct slot top[] = {
		{"model", offsetof(struct rlp_manifest, model), sizeof(((struct rlp_manifest *)0)->model)},
		{"stage", offsetof(struct rlp_manifest, stage), sizeof(((struct rlp_manifest *)0)->stage)},
		{"candidate", offsetof(struct rlp_manifest, candidate), 41},
	};
	static const struct slot basis[] = {
		{"verdict", offsetof(struct rlp_manifest, verdict), 16},
		{"policy", offsetof(struct rlp_manifest, policy), 41},
		{"candidate_run", offsetof(struct rlp_manifest, candidate_run), 41},
		{"baseline_run", offsetof(struct rlp_manifest, baseline_run), 41},
		{"env", offsetof(struct rlp_manifest, env), 160},
	};
	int error;

	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return rlp_error_set(RLP_EINVALID, "%s: expected 'key: value'", name);
		const char *key = (const char *)k->data.scalar.value;
		if (!section && v->type == YAML_MAPPING_NODE &&
		    (!strcmp(key, "artifact") || !strcmp(key, "basis"))) {
			if ((error = mapping(doc, v, m, art, key, name)) < 0)
				return error;
			continue;
		}
		if (v->type != YAML_SCALAR_NODE)
			return rlp_error_set(RLP_EINVALID, "%s:%zu: '%s' must be a string", name,
					     k->start_mark.line + 1, key);
		const char *val = (const char *)v->data.scalar.value;
		bool known = false;
		if (section && !strcmp(section, "artifact")) {
			rlp_json_add_string(art, key, val);
			continue;
		}
		const struct slot *table = section ? basis : top;
		size_t n = section ? sizeof(basis) / sizeof(basis[0]) : sizeof(top) / sizeof(top[0]);
		for (size_t i = 0; i < n && !known; i++)
			if (!strcmp(table[i].key, key)) {
				known = true;
				if ((error = copy((char *)m + table[i].off, table[i].size, val, key,
						  name)) < 0)
					return error;
			}
		if (!known)
			return rlp_error_set(RLP_EINVALID, "%s:%zu: unknown key '%s%s%s'", name,
					     k->start_mark.line + 1, section ? section : "",
					     section ? "." : "", key);
	}
	return 0;
}

int rlp_manifest_parse(struct rlp_manifest *out, const char *text, size_t len, const char *name)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct rlp_json *art = rlp_json_new_object();
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (!art)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	if (len > RLP_MANIFEST_MAX) {
		rlp_json_free(art);
		return rlp_error_set(RLP_EINVALID, "%s: larger than %u bytes", name, RLP_MANIFEST_MAX);
	}
	if (!yaml_parser_initialize(&parser)) {
		rlp_json_free(art);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		error = rlp_error_set(RLP_EINVALID, "%s:%zu: %s", name, parser.problem_mark.line + 1,
				      parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		rlp_json_free(art);
		return error;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE)
		error = rlp_error_set(RLP_EINVALID, "%s: expected a mapping", name);
	else if ((error = mapping(&doc, root, out, art, NULL, name)) == 0) {
		if (!out->model[0] || !out->stage[0] || !out->candidate[0])
			error = rlp_error_set(RLP_EINVALID, "%s: needs model, stage and candidate", name);
		else if (strspn(out->candidate, "0123456789abcdef") != 40)
			error = rlp_error_set(RLP_EINVALID,
					      "%s: candidate must be a full commit id (40 hex digits)",
					      name);
		else if (rlp_json_size(art) && !(out->artifact = rlp_json_print(art, false)))
			error = rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	rlp_json_free(art);
	if (error)
		rlp_manifest_clear(out);
	return error;
}

void rlp_manifest_clear(struct rlp_manifest *m)
{
	free(m->artifact);
	memset(m, 0, sizeof(*m));
}
