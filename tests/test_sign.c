/*
 * lib/sign.c without gpg or ssh-keygen: extracting the header signature and
 * the signed payload from hand-written raw commits, libgit2's own signed
 * commit format, the verification outcomes decided before any helper runs,
 * and reading the signing config. tests/t0300-sign.sh runs the real tools.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "sign.h"

#define HEADER                                                                                 \
	"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"                                      \
	"parent 9a0c5a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\n"                                    \
	"author A U Thor <author@example.com> 1700000000 +0000\n"                              \
	"committer C O Mitter <committer@example.com> 1700000000 +0000\n"

#define SIG_HEADER                                                                             \
	"gpgsig -----BEGIN SSH SIGNATURE-----\n"                                               \
	" U1NIU0lHAAAAAQ\n"                                                                    \
	" \n"                                                                                  \
	" -----END SSH SIGNATURE-----\n"

#define SIG_TEXT "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ\n\n-----END SSH SIGNATURE-----\n"

static void extract_ok(const char *raw, const char *want_sig, const char *want_payload)
{
	char *sig = NULL, *payload = NULL;
	size_t len = 0;

	assert_int_equal(rlp_sign_extract(&sig, &payload, &len, raw, strlen(raw)), 0);
	assert_string_equal(sig, want_sig);
	assert_int_equal(len, strlen(want_payload));
	assert_memory_equal(payload, want_payload, len);
	free(sig);
	free(payload);
}

static void extract_fails(const char *raw, size_t len, int code, const char *message)
{
	char *sig = (char *)1, *payload = (char *)1;
	size_t plen = 1;

	assert_int_equal(rlp_sign_extract(&sig, &payload, &plen, raw, len), code);
	assert_null(sig);
	assert_null(payload);
	assert_int_equal(plen, 0);
	assert_string_equal(rlp_error_last(), message);
}

static void test_sign_extract_header_signature(void **state)
{
	(void)state;
	extract_ok(HEADER SIG_HEADER "\nsubject\n\nbody line\n", SIG_TEXT,
		   HEADER "\nsubject\n\nbody line\n");
}

static void test_sign_extract_sha256_header(void **state)
{
	(void)state;
	extract_ok(HEADER "gpgsig-sha256 -----BEGIN PGP SIGNATURE-----\n"
			  " abc\n"
			  " -----END PGP SIGNATURE-----\n"
			  "\nmsg\n",
		   "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
		   HEADER "\nmsg\n");
}

/* Every other header, its continuation lines, the blank line and the
 * message survive byte for byte, CRs, spaces and a missing final newline
 * included. */
static void test_sign_extract_payload_exact(void **state)
{
	(void)state;
	extract_ok(HEADER "encoding ISO-8859-1\n" SIG_HEADER "mergetag object 1234\n"
			  " type commit\n"
			  " \n"
			  " tag v1\n"
			  "x-custom  two  spaces \r\n"
			  "\n"
			  "subject\r\n\n gpgsig not a header\n\n\ntrailing",
		   SIG_TEXT,
		   HEADER "encoding ISO-8859-1\n"
			  "mergetag object 1234\n"
			  " type commit\n"
			  " \n"
			  " tag v1\n"
			  "x-custom  two  spaces \r\n"
			  "\n"
			  "subject\r\n\n gpgsig not a header\n\n\ntrailing");
}

static void test_sign_extract_signature_first_or_last(void **state)
{
	(void)state;
	extract_ok(SIG_HEADER HEADER "\nm\n", SIG_TEXT, HEADER "\nm\n");
	/* a header with no message at all, and no final newline */
	extract_ok(HEADER "gpgsig abc\n def", "abc\ndef\n", HEADER);
}

static void test_sign_extract_signature_in_body_is_not_taken(void **state)
{
	const char *raw = HEADER "\nsubject\n\n" SIG_HEADER;
	const char *raw2 = HEADER "\n" SIG_HEADER;

	(void)state;
	extract_fails(raw, strlen(raw), RLP_ENOTFOUND, "no signature in the commit header");
	extract_fails(raw2, strlen(raw2), RLP_ENOTFOUND, "no signature in the commit header");
}

static void test_sign_extract_unsigned(void **state)
{
	const char *raw = HEADER "\nmsg\n";
	const char *lookalike = HEADER "gpgsigx abc\n"
				       "gpgsig\n"
				       "\nmsg\n";

	(void)state;
	extract_fails(raw, strlen(raw), RLP_ENOTFOUND, "no signature in the commit header");
	extract_fails(lookalike, strlen(lookalike), RLP_ENOTFOUND,
		      "no signature in the commit header");
	extract_fails("", 0, RLP_ENOTFOUND, "no signature in the commit header");
	/* a continuation line with no signature header before it is not one */
	extract_fails(HEADER " abc\n\nm\n", strlen(HEADER " abc\n\nm\n"), RLP_ENOTFOUND,
		      "no signature in the commit header");
}

static void test_sign_extract_two_signature_headers(void **state)
{
	const char *two = HEADER SIG_HEADER SIG_HEADER "\nmsg\n";
	const char *apart = HEADER "gpgsig a\n b\nencoding UTF-8\ngpgsig c\n\nmsg\n";
	const char *mixed = HEADER "gpgsig a\ngpgsig-sha256 b\n\nmsg\n";

	(void)state;
	extract_fails(two, strlen(two), RLP_EINVALID, "more than one signature header");
	extract_fails(apart, strlen(apart), RLP_EINVALID, "more than one signature header");
	extract_fails(mixed, strlen(mixed), RLP_EINVALID, "more than one signature header");
}

static void test_sign_extract_nul_in_signature(void **state)
{
	static const char raw[] = HEADER "gpgsig a\0b\n\nmsg\n";

	(void)state;
	extract_fails(raw, sizeof(raw) - 1, RLP_EINVALID, "signature holds a NUL byte");
}

/* A scratch repository whose config ignores the user's and the system's. */
struct repo_fixture {
	char dir[64];
	git_repository *repo;
};

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_dir(const char *dir)
{
	assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static int repo_setup(void **state)
{
	struct repo_fixture *f = calloc(1, sizeof(*f));
	char empty[96];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rlp-test-sign.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(empty, sizeof(empty), "%s/noconfig", f->dir);
	for (int level = GIT_CONFIG_LEVEL_SYSTEM; level <= GIT_CONFIG_LEVEL_GLOBAL; level++)
		assert_int_equal(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, empty), 0);
	assert_int_equal(git_repository_init(&f->repo, f->dir, true), 0);
	*state = f;
	return 0;
}

static int repo_teardown(void **state)
{
	struct repo_fixture *f = *state;

	git_repository_free(f->repo);
	remove_dir(f->dir);
	free(f);
	return 0;
}

static void set_config(git_repository *repo, const char *name, const char *value)
{
	git_config *cfg = NULL;

	assert_int_equal(git_repository_config(&cfg, repo), 0);
	if (value)
		assert_int_equal(git_config_set_string(cfg, name, value), 0);
	else
		git_config_delete_entry(cfg, name);
	git_config_free(cfg);
}

/* A commit with the given extra "gpgsig" field (NULL: unsigned). */
static void make_commit(git_oid *id, git_buf *content, git_repository *repo, const char *message,
			const char *signature)
{
	git_signature *who = NULL;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_oid tree_id;

	assert_int_equal(git_signature_new(&who, "Tester", "tester@example.com", 1700000000, 0), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(
		git_commit_create_buffer(content, repo, who, who, NULL, message, tree, 0, NULL), 0);
	if (signature)
		assert_int_equal(
			git_commit_create_with_signature(id, repo, content->ptr, signature, "gpgsig"),
			0);
	else
		assert_int_equal(git_commit_create(id, repo, NULL, who, who, NULL, message, tree, 0,
						   NULL),
				 0);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_signature_free(who);
}

static void read_raw(git_odb_object **obj, git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;

	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_read(obj, odb, id), 0);
	git_odb_free(odb);
}

/* What libgit2 writes (and git signs) comes back out exactly. */
static void test_sign_extract_libgit2_roundtrip(void **state)
{
	struct repo_fixture *f = *state;
	const char *sig = "-----BEGIN PGP SIGNATURE-----\n\nabc\n=x\n-----END PGP SIGNATURE-----";
	git_buf content = GIT_BUF_INIT;
	git_odb_object *obj = NULL;
	char *got_sig = NULL, *payload = NULL;
	size_t len = 0;
	git_oid id;

	make_commit(&id, &content, f->repo, "subject\n\nbody\n", sig);
	read_raw(&obj, f->repo, &id);
	assert_int_equal(rlp_sign_extract(&got_sig, &payload, &len, git_odb_object_data(obj),
					  git_odb_object_size(obj)),
			 0);
	assert_int_equal(len, content.size);
	assert_memory_equal(payload, content.ptr, len);
	assert_int_equal(strlen(got_sig), strlen(sig) + 1);
	assert_memory_equal(got_sig, sig, strlen(sig));
	assert_int_equal(got_sig[strlen(sig)], '\n');
	free(got_sig);
	free(payload);
	git_odb_object_free(obj);
	git_buf_dispose(&content);
}

static void verify_fails(git_repository *repo, const git_oid *id, int code, const char *message)
{
	struct rlp_trust trust = {.allowed_signers = "", .allowed_signers_len = 0};
	struct rlp_verified v;

	memset(&v, 'x', sizeof(v));
	assert_int_equal(rlp_sign_verify_commit(&v, repo, id, &trust, time(NULL)), code);
	assert_string_equal(rlp_error_last(), message);
	assert_string_equal(v.principal, "");
	assert_string_equal(v.key_id, "");
}

static void test_sign_verify_refuses_before_any_tool(void **state)
{
	struct repo_fixture *f = *state;
	git_buf content = GIT_BUF_INIT;
	char shortid[8], want[128];
	git_oid id;

	make_commit(&id, &content, f->repo, "unsigned\n", NULL);
	git_oid_tostr(shortid, sizeof(shortid), &id);
	snprintf(want, sizeof(want), "unsigned commit %s", shortid);
	verify_fails(f->repo, &id, RLP_ENOTFOUND, want);
	git_buf_dispose(&content);

	make_commit(&id, &content, f->repo,
		    "forged\n\ngpgsig -----BEGIN SSH SIGNATURE-----\n abc\n"
		    " -----END SSH SIGNATURE-----\n",
		    NULL);
	git_oid_tostr(shortid, sizeof(shortid), &id);
	snprintf(want, sizeof(want), "commit %s: signature is not in the commit header", shortid);
	verify_fails(f->repo, &id, RLP_ENOTFOUND, want);
	git_buf_dispose(&content);

	make_commit(&id, &content, f->repo, "x509\n",
		    "-----BEGIN SIGNED MESSAGE-----\nabc\n-----END SIGNED MESSAGE-----");
	verify_fails(f->repo, &id, RLP_EINVALID, "signed by an unknown certificate");
	git_buf_dispose(&content);

	make_commit(&id, &content, f->repo, "garbage\n", "not a signature");
	verify_fails(f->repo, &id, RLP_EINVALID, "unknown signature format");
	git_buf_dispose(&content);

	/* a tree is not a commit */
	assert_int_equal(git_oid_fromstr(&id, "4b825dc642cb6eb9a060e54bf8d69288fbee4904"), 0);
	verify_fails(f->repo, &id, RLP_EINVALID, "object 4b825dc is not a commit");
}

static void test_sign_config_load(void **state)
{
	struct repo_fixture *f = *state;
	struct rlp_sign_config cfg;

	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), RLP_ENOTFOUND);
	assert_string_equal(rlp_error_last(), "no signing key configured: set user.signingKey");
	assert_null(cfg.key);
	assert_null(cfg.program);

	/* gpg may use its default key when signing is asked for */
	set_config(f->repo, "commit.gpgSign", "true");
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), 0);
	assert_int_equal(cfg.format, RLP_SIGN_OPENPGP);
	assert_null(cfg.key);
	assert_string_equal(cfg.program, "gpg");
	rlp_sign_config_clear(&cfg);

	set_config(f->repo, "user.signingKey", "ABCDEF0123456789");
	set_config(f->repo, "gpg.program", "/opt/gpg");
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), 0);
	assert_string_equal(cfg.key, "ABCDEF0123456789");
	assert_string_equal(cfg.program, "/opt/gpg");
	rlp_sign_config_clear(&cfg);
	set_config(f->repo, "gpg.openpgp.program", "/opt/gpg2");
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), 0);
	assert_string_equal(cfg.program, "/opt/gpg2");
	rlp_sign_config_clear(&cfg);

	/* ssh needs a key even with commit.gpgSign */
	set_config(f->repo, "gpg.format", "ssh");
	set_config(f->repo, "user.signingKey", NULL);
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), RLP_ENOTFOUND);
	set_config(f->repo, "user.signingKey", "~/.ssh/id_ed25519.pub");
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), 0);
	assert_int_equal(cfg.format, RLP_SIGN_SSH);
	assert_string_equal(cfg.program, "ssh-keygen");
	assert_string_equal(cfg.key, "~/.ssh/id_ed25519.pub");
	rlp_sign_config_clear(&cfg);
	set_config(f->repo, "gpg.ssh.program", "/opt/ssh-keygen");
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), 0);
	assert_string_equal(cfg.program, "/opt/ssh-keygen");
	rlp_sign_config_clear(&cfg);

	set_config(f->repo, "gpg.format", "x509");
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), 0);
	assert_int_equal(cfg.format, RLP_SIGN_X509);
	assert_string_equal(cfg.program, "gpgsm");
	rlp_sign_config_clear(&cfg);

	set_config(f->repo, "gpg.format", "pgp");
	assert_int_equal(rlp_sign_config_load(&cfg, f->repo), RLP_EINVALID);
	assert_string_equal(rlp_error_last(), "invalid value for 'gpg.format': 'pgp'");
	rlp_sign_config_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_extract_header_signature),
		cmocka_unit_test(test_sign_extract_sha256_header),
		cmocka_unit_test(test_sign_extract_payload_exact),
		cmocka_unit_test(test_sign_extract_signature_first_or_last),
		cmocka_unit_test(test_sign_extract_signature_in_body_is_not_taken),
		cmocka_unit_test(test_sign_extract_unsigned),
		cmocka_unit_test(test_sign_extract_two_signature_headers),
		cmocka_unit_test(test_sign_extract_nul_in_signature),
		cmocka_unit_test_setup_teardown(test_sign_extract_libgit2_roundtrip, repo_setup,
						repo_teardown),
		cmocka_unit_test_setup_teardown(test_sign_verify_refuses_before_any_tool,
						repo_setup, repo_teardown),
		cmocka_unit_test_setup_teardown(test_sign_config_load, repo_setup, repo_teardown),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
