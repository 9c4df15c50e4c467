/*
 * Drives lib/sign.c and lib/proc.c for tests/t0300-sign.sh.
 *
 *   tool_sign config <repo>
 *       -> "format=<f> program=<p> key=<k or ->"
 *   tool_sign commit [--unsigned] <repo> <message> [<ref>]
 *       a commit (signed with the repo's config) of a one-file tree; with
 *       <ref>, on top of it and moving it; prints the commit id
 *   tool_sign verify <repo> <commit> <allowed-signers|-> <gpg-keys|->
 *                    [<unix-time>|- [<x509-certs>]]
 *       -> "ok <principal> <key id>" ("-" for the time: now)
 *   tool_sign extract <raw-commit-file> <signature-out-file>
 *       the signed payload on stdout, the signature into the file
 *   tool_sign proc [--timeout-ms N] [--out-max N] [--input FILE] [--env X=Y]... -- <argv>...
 *       -> "status=<n> out=<bytes> err=<bytes>", then the child's stdout
 *
 * Failures print "error: <message>" and exit 1 for RLP_EINVALID, 2 for
 * RLP_ENOTFOUND, 3 for anything else.
 */
#include "buf.h"
#include "error.h"
#include "proc.h"
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FILE ((size_t)16 << 20)

static int fail(int code)
{
	printf("error: %s\n", rlp_error_last());
	return code == RLP_EINVALID ? 1 : code == RLP_ENOTFOUND ? 2 : 3;
}

static int git_fail(const char *what)
{
	const git_error *e = git_error_last();
	printf("error: %s: %s\n", what, e && e->message ? e->message : "?");
	return 3;
}

static const char *format_name(enum rlp_sign_format f)
{
	return f == RLP_SIGN_SSH ? "ssh" : f == RLP_SIGN_X509 ? "x509" : "openpgp";
}

static int cmd_config(int argc, char **argv)
{
	struct rlp_sign_config cfg;
	git_repository *repo = NULL;
	int error;

	if (argc != 1)
		return 3;
	if (git_repository_open(&repo, argv[0]) < 0)
		return git_fail("open");
	error = rlp_sign_config_load(&cfg, repo);
	if (error < 0) {
		git_repository_free(repo);
		return fail(error);
	}
	printf("format=%s program=%s key=%s\n", format_name(cfg.format), cfg.program,
	       cfg.key ? cfg.key : "-");
	rlp_sign_config_clear(&cfg);
	git_repository_free(repo);
	return 0;
}

static int make_signature(git_signature **sig, git_repository *repo)
{
	const char *name = getenv("GIT_COMMITTER_NAME"), *email = getenv("GIT_COMMITTER_EMAIL");

	if (git_signature_default(sig, repo) == 0)
		return 0;
	return git_signature_now(sig, name ? name : "Tester",
				 email ? email : "tester@example.com");
}

static int cmd_commit(int argc, char **argv)
{
	struct rlp_sign_config cfg;
	git_repository *repo = NULL;
	git_signature *who = NULL;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_reference *ref = NULL;
	git_oid blob, tree_id, id;
	bool unsigned_ = false, loaded = false;
	struct rlp_buf msg = RLP_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = 0, error;

	if (argc > 0 && !strcmp(argv[0], "--unsigned")) {
		unsigned_ = true;
		argc--, argv++;
	}
	if (argc < 2 || argc > 3)
		return 3;
	if (git_repository_open(&repo, argv[0]) < 0)
		return git_fail("open");
	if (!unsigned_) {
		if ((error = rlp_sign_config_load(&cfg, repo)) < 0) {
			rc = fail(error);
			goto done;
		}
		loaded = true;
	}
	rlp_buf_puts(&msg, argv[1]);
	if (!msg.len || msg.ptr[msg.len - 1] != '\n')
		rlp_buf_putc(&msg, '\n');
	if (make_signature(&who, repo) < 0 ||
	    git_blob_create_from_buffer(&blob, repo, msg.ptr, msg.len) < 0 ||
	    git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "message.txt", &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 || git_tree_lookup(&tree, repo, &tree_id) < 0) {
		rc = git_fail("tree");
		goto done;
	}
	if (argc == 3 && git_reference_name_to_id(&id, repo, argv[2]) == 0 &&
	    git_commit_lookup(&parent, repo, &id) < 0) {
		rc = git_fail("parent");
		goto done;
	}
	{
		const git_commit *parents[1] = {parent};
		error = rlp_sign_commit_create(&id, repo, loaded ? &cfg : NULL, who, who, msg.ptr,
					       tree, parent ? 1 : 0, parents);
	}
	if (error < 0) {
		rc = fail(error);
		goto done;
	}
	if (argc == 3 && git_reference_create(&ref, repo, argv[2], &id, 1, "tool_sign") < 0) {
		rc = git_fail("ref");
		goto done;
	}
	printf("%s\n", git_oid_tostr(hex, sizeof(hex), &id));
done:
	if (loaded)
		rlp_sign_config_clear(&cfg);
	rlp_buf_free(&msg);
	git_reference_free(ref);
	git_commit_free(parent);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_signature_free(who);
	git_repository_free(repo);
	return rc;
}

static int read_optional(char **data, size_t *len, const char *path)
{
	*data = NULL;
	*len = 0;
	if (!strcmp(path, "-"))
		return 0;
	return rlp_read_file(data, len, path, MAX_FILE);
}

static int cmd_verify(int argc, char **argv)
{
	struct rlp_trust trust = {0};
	struct rlp_verified v;
	git_repository *repo = NULL;
	git_object *obj = NULL;
	char *allowed = NULL, *keys = NULL, *certs = NULL;
	time_t at = time(NULL);
	int rc = 0, error;

	if (argc < 4 || argc > 6)
		return 3;
	if (argc >= 5 && strcmp(argv[4], "-"))
		at = (time_t)strtoll(argv[4], NULL, 10);
	if ((error = read_optional(&allowed, &trust.allowed_signers_len, argv[2])) < 0 ||
	    (error = read_optional(&keys, &trust.gpg_keys_len, argv[3])) < 0 ||
	    (argc == 6 && (error = read_optional(&certs, &trust.x509_certs_len, argv[5])) < 0)) {
		free(allowed);
		free(keys);
		return fail(error);
	}
	trust.allowed_signers = allowed;
	trust.gpg_keys = keys;
	trust.x509_certs = certs;
	if (git_repository_open(&repo, argv[0]) < 0 ||
	    git_revparse_single(&obj, repo, argv[1]) < 0) {
		rc = git_fail("lookup");
		goto done;
	}
	if ((error = rlp_sign_verify_commit(&v, repo, git_object_id(obj), &trust, at)) < 0) {
		rc = fail(error);
		goto done;
	}
	printf("ok %s %s\n", v.principal, v.key_id);
done:
	free(allowed);
	free(keys);
	free(certs);
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}

static int cmd_extract(int argc, char **argv)
{
	char *raw = NULL, *sig = NULL, *payload = NULL;
	size_t raw_len = 0, payload_len = 0;
	FILE *f;
	int error;

	if (argc != 2)
		return 3;
	if ((error = rlp_read_file(&raw, &raw_len, argv[0], MAX_FILE)) < 0 ||
	    (error = rlp_sign_extract(&sig, &payload, &payload_len, raw, raw_len)) < 0) {
		free(raw);
		return fail(error);
	}
	fwrite(payload, 1, payload_len, stdout);
	if ((f = fopen(argv[1], "wb"))) {
		fputs(sig, f);
		fclose(f);
	}
	free(raw);
	free(sig);
	free(payload);
	return f ? 0 : 3;
}

static int cmd_proc(int argc, char **argv)
{
	struct rlp_proc_options opts = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc p;
	const char *env[16];
	char *input = NULL;
	size_t nenv = 0;
	int i, error;

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		if (i + 1 >= argc)
			return 3;
		if (!strcmp(argv[i], "--timeout-ms"))
			opts.timeout_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--out-max"))
			opts.out_max = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--env") && nenv < 15)
			env[nenv++] = argv[++i];
		else if (!strcmp(argv[i], "--input")) {
			if ((error = rlp_read_file(&input, &opts.input_len, argv[++i],
						   (size_t)256 << 20)) < 0)
				return fail(error);
			opts.input = input;
		} else
			return 3;
	}
	if (i >= argc - 1)
		return 3;
	env[nenv] = NULL;
	if (nenv)
		opts.env = env;
	error = rlp_proc_run(&p, (const char *const *)argv + i + 1, &opts);
	free(input);
	if (error < 0) {
		rlp_proc_clear(&p);
		return fail(error);
	}
	printf("status=%d out=%zu err=%zu\n", p.status, p.out.len, p.err.len);
	if (p.out.len)
		fwrite(p.out.ptr, 1, p.out.len, stdout);
	rlp_proc_clear(&p);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 3;

	if (argc < 2) {
		fprintf(stderr, "usage: tool_sign config|commit|verify|extract|proc ...\n");
		return 3;
	}
	git_libgit2_init();
	if (!strcmp(argv[1], "config"))
		rc = cmd_config(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "commit"))
		rc = cmd_commit(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "verify"))
		rc = cmd_verify(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "extract"))
		rc = cmd_extract(argc - 2, argv + 2);
	else if (!strcmp(argv[1], "proc"))
		rc = cmd_proc(argc - 2, argv + 2);
	else
		fprintf(stderr, "tool_sign: unknown command '%s'\n", argv[1]);
	git_libgit2_shutdown();
	return rc;
}
