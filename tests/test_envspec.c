/*
 * Environment spec tests. Bad specs are data: tests/fixtures/env/bad/NAME.yaml
 * with the exact expected "spec.yaml:line:col: message" in NAME.err, so a new
 * case needs no C. The valid spec's normalized form is a golden file; files
 * on disk (links, empty directories) are checked in a scratch directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "env.h"
#include "envspec.h"
#include "error.h"

#define ENV_DIR FIXTURES "/env"

static char *read_text(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;

	if (rlp_read_file(&buf, &n, path, 1 << 20) < 0)
		fail_msg("cannot read %s: %s", path, rlp_error_last());
	if (len)
		*len = n;
	return buf;
}

static struct rlp_envspec *parse_ok(const char *yaml)
{
	struct rlp_envspec *s = NULL;

	if (rlp_envspec_parse(&s, yaml, strlen(yaml), "spec.yaml") != 0)
		fail_msg("unexpected error: %s", rlp_error_last());
	assert_non_null(s);
	return s;
}

static char *normalize(const struct rlp_envspec *s)
{
	char *out = NULL;
	size_t len = 0;

	if (rlp_envspec_normalize(&out, &len, s) != 0)
		fail_msg("cannot normalize: %s", rlp_error_last());
	assert_int_equal(len, strlen(out));
	return out;
}

static void test_envspec_parses_valid(void **state)
{
	struct rlp_envspec *s = NULL;
	(void)state;

	if (rlp_envspec_load(&s, ENV_DIR "/valid.yaml") != 0)
		fail_msg("%s", rlp_error_last());
	assert_string_equal(s->name, "support-v3");
	assert_true(s->seed == 42);
	assert_string_equal(s->time, "2026-01-01T00:00:00Z"); /* +01:00 converted */
	assert_true(s->time_epoch == 1767225600);
	assert_true(s->decoding.temperature == 0);
	assert_true(s->decoding.top_p == 1);
	assert_int_equal(s->decoding.max_tokens, 1024);
	assert_false(s->decoding.allow_sampling);
	assert_int_equal(s->ncommand, 3);
	assert_string_equal(s->command[2], "--offline");
	assert_null(s->command[3]);
	assert_int_equal(s->ntools, 2); /* sorted by name */
	assert_string_equal(s->tools[0].name, "calculator");
	assert_string_equal(s->tools[1].fixture, "fixtures/search.jsonl");
	assert_string_equal(s->rag_index, "index"); /* "index/" names the directory */
	assert_null(s->filesystem);
	assert_int_equal(s->ngraders, 2);
	assert_int_equal(s->graders[1].kind, RLP_GRADER_REWARD_MODEL);
	assert_true(s->graders[1].held_out_preferences);
	/* every path, in spec order, with where it was written */
	assert_int_equal(s->npaths, 6);
	assert_string_equal(s->paths[0].what, "inputs");
	assert_int_equal(s->paths[0].line, 19);
	assert_string_equal(s->paths[1].what, "tool 'search'");
	assert_string_equal(s->paths[5].path, "graders/rm.json");
	rlp_envspec_free(s);
}

static void test_envspec_normalizes_to_golden(void **state)
{
	static const char *const sources[] = {"valid.yaml", "valid_reordered.yaml"};
	char *golden = read_text(ENV_DIR "/valid.normalized.yaml", NULL);
	(void)state;

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		struct rlp_envspec *s = NULL, *again;
		char path[512], *norm, *norm2;

		snprintf(path, sizeof(path), ENV_DIR "/%s", sources[i]);
		if (rlp_envspec_load(&s, path) != 0)
			fail_msg("%s", rlp_error_last());
		norm = normalize(s);
		if (strcmp(norm, golden))
			fail_msg("%s normalizes to\n%s\nexpected\n%s", sources[i], norm, golden);
		/* the normalized form is a fixed point */
		again = parse_ok(norm);
		norm2 = normalize(again);
		assert_string_equal(norm, norm2);
		free(norm);
		free(norm2);
		rlp_envspec_free(again);
		rlp_envspec_free(s);
	}
	free(golden);
}

static void test_envspec_sampling_when_allowed(void **state)
{
	struct rlp_envspec *s = parse_ok(
		"version: 1\nname: sampled\nseed: 7\ntime: 2026-03-01T12:00:00-02:30\n"
		"decoding: {temperature: 0.7, top_p: 0.9, allow_sampling: true}\n"
		"inputs: in\ngraders: [{name: g, kind: human, path: rubric.md}]\n");
	char *norm = normalize(s);
	(void)state;

	assert_string_equal(s->time, "2026-03-01T14:30:00Z");
	assert_non_null(strstr(norm, "  temperature: 0.7\n  top_p: 0.9\n  allow_sampling: true\n"));
	free(norm);
	rlp_envspec_free(s);
}

static void test_envspec_bad_fixtures(void **state)
{
	DIR *d = opendir(ENV_DIR "/bad");
	struct dirent *e;
	size_t cases = 0;
	(void)state;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1024], *yaml, *want, *nl;
		struct rlp_envspec *s = (struct rlp_envspec *)&s; /* must be reset to NULL */
		size_t len, n = strlen(e->d_name);
		int err;

		if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), ENV_DIR "/bad/%s", e->d_name);
		yaml = read_text(path, &len);
		snprintf(path, sizeof(path), ENV_DIR "/bad/%.*s.err", (int)(n - 5), e->d_name);
		want = read_text(path, NULL);
		if ((nl = strchr(want, '\n')))
			*nl = '\0';
		err = rlp_envspec_parse(&s, yaml, len, "spec.yaml");
		if (err != RLP_EINVALID || s != NULL)
			fail_msg("%s: expected RLP_EINVALID and no spec, got %d", e->d_name, err);
		if (strcmp(rlp_error_last(), want))
			fail_msg("%s: expected\n  %s\ngot\n  %s", e->d_name, want, rlp_error_last());
		free(yaml);
		free(want);
		cases++;
	}
	closedir(d);
	assert_true(cases >= 70);
}

static void test_envspec_time(void **state)
{
	static const struct {
		const char *in, *out;
		int64_t epoch;
	} ok[] = {
		{"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0},
		{"2026-01-01t00:00:00z", "2026-01-01T00:00:00Z", 1767225600},
		{"2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z", 1709251199},
		{"2000-03-01T00:30:00+01:00", "2000-02-29T23:30:00Z", 951867000},
		{"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z", -1},
	};
	static const char *const bad[] = {"", "2026", "2026-01-01", "2026-01-01T00:00:00",
		"2026-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2026-01-01T24:00:00Z",
		"2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00+1:00", "2026-01-01T00:00:00Zjunk",
		"0000-01-01T00:00:00+00:01", "2026-01-01 00:00:00Z"};
	char norm[21];
	int64_t epoch;
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (rlp_time_parse(ok[i].in, norm, &epoch) != 0)
			fail_msg("'%s': %s", ok[i].in, rlp_error_last());
		assert_string_equal(norm, ok[i].out);
		assert_true(epoch == ok[i].epoch);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rlp_time_parse(bad[i], norm, &epoch) != RLP_EINVALID)
			fail_msg("'%s' was accepted", bad[i]);
}

static void test_envspec_names(void **state)
{
	static const char *const good[] = {"a", "support-v3", "A_b.c-9", "1st"};
	static const char *const bad[] = {"", "-a", ".a", "_a", "a..b", "a.lock", "a.", "a/b",
		"a b", "a@1", "a~1", "a^", "a:b", "a\\b", "a*", "a?", "a["};
	char long_name[RLP_ENV_NAME_MAX + 2];
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(rlp_env_name_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rlp_env_name_valid(bad[i]))
			fail_msg("'%s' was accepted", bad[i]);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(rlp_env_name_valid(long_name));
	long_name[RLP_ENV_NAME_MAX] = '\0';
	assert_true(rlp_env_name_valid(long_name));
}

/* ---- files on disk ---- */

static char scratch[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void make_dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	assert_int_equal(mkdir(path, 0777), 0);
}

static int setup_scratch(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "%s/rlp-envspec.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(scratch))
		return -1;
	make_dir("heldout");
	make_dir("heldout/sub");
	make_dir("graders");
	put("heldout/b.jsonl", "b\n");
	put("heldout/a.jsonl", "a\n");
	put("heldout/sub/c.jsonl", "c\n");
	put("graders/unit.py", "print(1)\n");
	return 0;
}

static int teardown_scratch(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	return system(cmd) == 0 ? 0 : -1;
}

/* Collect with `inputs` and optional `filesystem`; the error or "" */
static const char *collect(const char *inputs, const char *filesystem, size_t *nfiles,
			   struct rlp_env_file **files)
{
	char yaml[1024];
	struct rlp_envspec *s;
	int err;

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: t\nseed: 1\ntime: 2026-01-01T00:00:00Z\n"
		 "decoding: {temperature: 0}\ninputs: %s\n%s%s%s"
		 "graders: [{name: unit, kind: programmatic, path: graders/unit.py}]\n",
		 inputs, filesystem ? "filesystem: " : "", filesystem ? filesystem : "",
		 filesystem ? "\n" : "");
	s = parse_ok(yaml);
	err = rlp_env_collect(files, nfiles, s, scratch);
	rlp_envspec_free(s);
	if (err == 0)
		return "";
	assert_int_equal(err, RLP_EINVALID);
	return rlp_error_last();
}

static void test_envspec_collect_walks_sorted(void **state)
{
	struct rlp_env_file *files = NULL;
	size_t n = 0;
	(void)state;

	assert_string_equal(collect("heldout/", NULL, &n, &files), "");
	assert_int_equal(n, 4);
	assert_string_equal(files[0].path, "graders/unit.py");
	assert_string_equal(files[1].path, "heldout/a.jsonl");
	assert_string_equal(files[2].path, "heldout/b.jsonl");
	assert_string_equal(files[3].path, "heldout/sub/c.jsonl");
	assert_true(files[3].size == 2);
	rlp_env_files_free(files, n);
	/* overlapping paths name a file once */
	assert_string_equal(collect("heldout", "heldout/sub", &n, &files), "");
	assert_int_equal(n, 4);
	rlp_env_files_free(files, n);
}

static void test_envspec_collect_refuses(void **state)
{
	char target[512], link[512];
	struct rlp_env_file *files = NULL;
	size_t n = 0;
	(void)state;

	assert_string_equal(collect("missing.jsonl", NULL, &n, &files),
			    "spec.yaml:6:9: inputs: 'missing.jsonl' does not exist");
	assert_string_equal(collect("heldout/a.jsonl/x", NULL, &n, &files),
			    "spec.yaml:6:9: inputs: 'heldout/a.jsonl' is not a directory");
	assert_string_equal(collect("heldout", "graders/unit.py", &n, &files),
			    "spec.yaml:7:13: filesystem: 'graders/unit.py' is not a directory");

	/* a link anywhere: the named file, a directory on the way, inside a walk */
	snprintf(target, sizeof(target), "%s/heldout/a.jsonl", scratch);
	snprintf(link, sizeof(link), "%s/heldout/sub/link.jsonl", scratch);
	assert_int_equal(symlink(target, link), 0);
	assert_string_equal(collect("heldout/sub/link.jsonl", NULL, &n, &files),
			    "spec.yaml:6:9: inputs: 'heldout/sub/link.jsonl' is a symbolic link "
			    "(symbolic links are not frozen: copy the target into the environment)");
	assert_string_equal(collect("heldout", NULL, &n, &files),
			    "spec.yaml:6:9: inputs: 'heldout/sub/link.jsonl' is a symbolic link "
			    "(symbolic links are not frozen: copy the target into the environment)");
	unlink(link);
	snprintf(target, sizeof(target), "%s/heldout/sub", scratch);
	snprintf(link, sizeof(link), "%s/linked", scratch);
	assert_int_equal(symlink(target, link), 0);
	assert_string_equal(collect("linked/c.jsonl", NULL, &n, &files),
			    "spec.yaml:6:9: inputs: 'linked' is a symbolic link "
			    "(symbolic links are not frozen: copy the target into the environment)");
	unlink(link);

	make_dir("heldout/empty");
	assert_string_equal(collect("heldout", NULL, &n, &files),
			    "spec.yaml:6:9: inputs: 'heldout/empty' is an empty directory (git "
			    "stores no empty directories: add a file such as 'heldout/empty/.keep')");
	snprintf(link, sizeof(link), "%s/heldout/empty", scratch);
	rmdir(link);

	make_dir("heldout/.git");
	assert_string_equal(collect("heldout", NULL, &n, &files),
			    "spec.yaml:6:9: inputs: 'heldout/.git' cannot be stored in git");
	snprintf(link, sizeof(link), "%s/heldout/.git", scratch);
	rmdir(link);
	assert_string_equal(collect("heldout", NULL, &n, &files), "");
	rlp_env_files_free(files, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envspec_parses_valid),
		cmocka_unit_test(test_envspec_normalizes_to_golden),
		cmocka_unit_test(test_envspec_sampling_when_allowed),
		cmocka_unit_test(test_envspec_bad_fixtures),
		cmocka_unit_test(test_envspec_time),
		cmocka_unit_test(test_envspec_names),
		cmocka_unit_test_setup_teardown(test_envspec_collect_walks_sorted, setup_scratch,
						teardown_scratch),
		cmocka_unit_test_setup_teardown(test_envspec_collect_refuses, setup_scratch,
						teardown_scratch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
