/* Reading a candidate's artifact descriptor; hashing downloaded files. */
#include "artifact.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "error.h"
#include "json.h"

#define ARTIFACT_MAX (64u << 10)

static bool is_sha256(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

/* A flat mapping of scalars, the only shape a descriptor takes. */
static int parse_descriptor(struct rlp_json *out, const char *text, size_t len, const char *path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int error = 0;

	if (!yaml_parser_initialize(&parser))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		error = rlp_error_set(RLP_EINVALID, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
				      parser.problem_mark.column + 1,
				      parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return error;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		error = rlp_error_set(RLP_EINVALID, "%s: expected a mapping (uri, sha256, ...)", path);
		goto done;
	}
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
			error = rlp_error_set(RLP_EINVALID, "%s:%zu: expected 'key: value'", path,
					      (k ? k->start_mark.line : 0) + 1);
			goto done;
		}
		const char *key = (const char *)k->data.scalar.value;
		const char *val = (const char *)v->data.scalar.value;
		if (!strcmp(key, "sha256") && !is_sha256(val)) {
			error = rlp_error_set(RLP_EINVALID, "%s:%zu: sha256 must be 64 lowercase hex digits",
					      path, v->start_mark.line + 1);
			goto done;
		}
		rlp_json_add_string(out, key, val);
	}
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return error;
}

int rlp_artifact_read(char **json, struct rlp_store *store, const git_oid *candidate,
		      const char *path)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	struct rlp_json *obj = NULL;
	char *text = NULL;
	size_t len;
	int error;

	*json = NULL;
	if ((error = git_commit_lookup(&commit, store->repo, candidate)) < 0 ||
	    (error = git_commit_tree(&tree, commit)) < 0) {
		error = rlp_git_error(error, "cannot read the candidate");
		goto done;
	}
	if ((error = rlp_store_read_path(&text, &len, store, tree, path, ARTIFACT_MAX)) < 0)
		goto done;
	if (!(obj = rlp_json_new_object())) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = parse_descriptor(obj, text, len, path)) < 0)
		goto done;
	if (!(*json = rlp_json_print(obj, false)))
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
done:
	rlp_json_free(obj);
	free(text);
	git_tree_free(tree);
	git_commit_free(commit);
	return error;
}

int rlp_sha256_file(char *hex, const char *path)
{
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	FILE *f = fopen(path, "rb");
	int error = 0;
	size_t n;

	if (!f)
		return rlp_error_set(RLP_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (!(ctx = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		error = rlp_error_set(RLP_ENOMEM, "cannot start SHA-256");
		goto done;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	if (ferror(f)) {
		error = rlp_error_set(RLP_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
done:
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return error;
}
