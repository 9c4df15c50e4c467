/* Unit tests for lib/forge.c: the requests each forge gets (paths, methods,
 * exact bodies, auth headers), duplicates, sticky comments, checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fake_http.h"
#include "forge.h"

static struct fake_http fake;
static struct rlp_http_transport transport;

static struct rlp_forge *forge(enum rlp_forge_kind kind, const char *api, const char *repo)
{
	struct rlp_forge *f = NULL;
	struct rlp_forge_options o = {
		.kind = kind, .api_url = api, .repo = repo, .token = "tok-1234567890",
		.transport = &transport,
	};
	assert_int_equal(rlp_forge_open(&f, &o), 0);
	return f;
}

static int setup(void **state)
{
	(void)state;
	fake_reset(&fake);
	transport = fake_transport(&fake);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_reset(&fake);
	return 0;
}

static void expect_request(size_t i, enum rlp_http_method m, const char *url, const char *body)
{
	assert_true(i < fake.nrequests);
	assert_int_equal(fake.requests[i].method, m);
	assert_string_equal(fake.requests[i].url, url);
	if (body)
		assert_string_equal(fake.requests[i].body, body);
	else
		assert_null(fake.requests[i].body);
}

#define PATCH_BODY "{\"title\":\"Promote support-bot 0123456789ab to staging\",\"body\":\"report\"}"

static const struct rlp_forge_pr_spec spec = {
	"rlpromote/staging/0123456789ab", "main", "Promote support-bot 0123456789ab to staging",
	"report", true,
};

static void test_forge_github_creates_a_pr(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITHUB, "https://ghe.example/api/v3", "acme/models");
	struct rlp_forge_pr pr;
	bool created;

	(void)state;
	fake_answer(&fake, 200, "", "[]");
	fake_answer(&fake, 201, "", "{\"number\":12,\"html_url\":\"https://ghe.example/acme/models/pull/12\"}");
	assert_int_equal(rlp_forge_pr_upsert(&pr, &created, f, &spec), 0);
	assert_true(created);
	assert_int_equal(pr.number, 12);
	assert_string_equal(pr.url, "https://ghe.example/acme/models/pull/12");
	expect_request(0, RLP_HTTP_GET,
		       "https://ghe.example/api/v3/repos/acme/models/pulls?head=acme%3Arlpromote%2F"
		       "staging%2F0123456789ab&base=main&state=open",
		       NULL);
	expect_request(1, RLP_HTTP_POST, "https://ghe.example/api/v3/repos/acme/models/pulls",
		       "{\"title\":\"Promote support-bot 0123456789ab to staging\",\"head\":"
		       "\"rlpromote/staging/0123456789ab\",\"base\":\"main\",\"body\":\"report\","
		       "\"draft\":true}");
	assert_non_null(strstr(fake.requests[1].headers, "Authorization: Bearer tok-1234567890\n"));
	assert_non_null(strstr(fake.requests[1].headers, "X-GitHub-Api-Version: 2022-11-28\n"));
	rlp_forge_free(f);
}

static void test_forge_github_updates_the_open_pr(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITHUB, "https://api.github.com", "acme/models");
	struct rlp_forge_pr pr;
	bool created;

	(void)state;
	fake_answer(&fake, 200, "", "[{\"number\":7,\"html_url\":\"u7\"}]");
	fake_answer(&fake, 200, "", "{\"number\":7,\"html_url\":\"u7\"}");
	assert_int_equal(rlp_forge_pr_upsert(&pr, &created, f, &spec), 0);
	assert_false(created);
	assert_int_equal(fake.nrequests, 2);
	expect_request(1, RLP_HTTP_PATCH, "https://api.github.com/repos/acme/models/pulls/7",
		       "{\"title\":\"Promote support-bot 0123456789ab to staging\",\"body\":\"report\"}");
	rlp_forge_free(f);
}

static void test_forge_github_duplicate_race(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITHUB, "https://api.github.com", "acme/models");
	struct rlp_forge_pr pr;
	bool created;

	(void)state;
	fake_answer(&fake, 200, "", "[]");
	fake_answer(&fake, 422, "",
		    "{\"message\":\"Validation Failed\",\"errors\":[{\"resource\":\"PullRequest\","
		    "\"code\":\"custom\",\"message\":\"A pull request already exists for "
		    "acme:rlpromote/staging/0123456789ab.\"}]}");
	fake_answer(&fake, 200, "", "[{\"number\":9,\"html_url\":\"u9\"}]");
	fake_answer(&fake, 200, "", "{\"number\":9,\"html_url\":\"u9\"}");
	assert_int_equal(rlp_forge_pr_upsert(&pr, &created, f, &spec), 0);
	assert_false(created);
	assert_int_equal(pr.number, 9);
	assert_int_equal(fake.nrequests, 4);
	expect_request(3, RLP_HTTP_PATCH, "https://api.github.com/repos/acme/models/pulls/9", PATCH_BODY);
	rlp_forge_free(f);
}

static void test_forge_post_timeout_looks_first(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITHUB, "https://api.github.com", "acme/models");
	struct rlp_forge_pr pr;
	bool created;

	(void)state;
	fake_answer(&fake, 200, "", "[]");
	fake_answer(&fake, 0, NULL, NULL);
	fake.answers[1].timeout = true;
	fake_answer(&fake, 200, "", "[{\"number\":3,\"html_url\":\"u3\"}]"); /* it did land */
	fake_answer(&fake, 200, "", "{\"number\":3,\"html_url\":\"u3\"}");
	assert_int_equal(rlp_forge_pr_upsert(&pr, &created, f, &spec), 0);
	assert_int_equal(pr.number, 3);
	assert_int_equal(fake.nrequests, 4);
	assert_int_equal(fake.requests[1].method, RLP_HTTP_POST);
	assert_int_equal(fake.requests[2].method, RLP_HTTP_GET); /* not a second POST */
	assert_int_equal(fake.requests[3].method, RLP_HTTP_PATCH);
	rlp_forge_free(f);
}

static void test_forge_gitea_shapes(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITEA, "https://gitea.example/api/v1", "acme/models");
	struct rlp_forge_pr pr;
	bool created;

	(void)state;
	fake_answer(&fake, 404, "", "{\"message\":\"not found\"}");
	fake_answer(&fake, 409, "", "{\"message\":\"pull request already exists for these targets [id: 4, issue_id: 5]\"}");
	fake_answer(&fake, 200, "", "{\"number\":5,\"state\":\"open\",\"html_url\":\"g5\"}");
	fake_answer(&fake, 201, "", "{\"number\":5,\"html_url\":\"g5\"}");
	assert_int_equal(rlp_forge_pr_upsert(&pr, &created, f, &spec), 0);
	assert_int_equal(pr.number, 5);
	expect_request(0, RLP_HTTP_GET,
		       "https://gitea.example/api/v1/repos/acme/models/pulls/main/rlpromote/staging/"
		       "0123456789ab",
		       NULL);
	expect_request(1, RLP_HTTP_POST, "https://gitea.example/api/v1/repos/acme/models/pulls",
		       "{\"title\":\"WIP: Promote support-bot 0123456789ab to staging\",\"head\":"
		       "\"rlpromote/staging/0123456789ab\",\"base\":\"main\",\"body\":\"report\"}");
	expect_request(3, RLP_HTTP_PATCH, "https://gitea.example/api/v1/repos/acme/models/pulls/5",
		       PATCH_BODY);
	assert_non_null(strstr(fake.requests[0].headers, "Authorization: token tok-1234567890\n"));
	/* comments page by limit=50 */
	fake_reset(&fake);
	fake_answer(&fake, 200, "", "[]");
	fake_answer(&fake, 201, "", "{\"id\":77}");
	enum rlp_forge_sticky what;
	long long id = 0;
	assert_int_equal(rlp_forge_sticky_comment(&what, &id, f, 5, "<!-- m -->", "<!-- m -->\nx"), 0);
	expect_request(0, RLP_HTTP_GET,
		       "https://gitea.example/api/v1/repos/acme/models/issues/5/comments?limit=50", NULL);
	assert_int_equal(what, RLP_STICKY_CREATED);
	assert_int_equal(id, 77);
	rlp_forge_free(f);
}

static void test_forge_gitlab_shapes(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITLAB, "https://gitlab.example/api/v4", "grp/sub/models");
	struct rlp_forge_pr pr;
	bool created;

	(void)state;
	fake_answer(&fake, 200, "", "[]");
	fake_answer(&fake, 201, "", "{\"iid\":4,\"web_url\":\"https://gitlab.example/grp/sub/models/-/merge_requests/4\"}");
	assert_int_equal(rlp_forge_pr_upsert(&pr, &created, f, &spec), 0);
	assert_true(created);
	assert_int_equal(pr.number, 4);
	expect_request(0, RLP_HTTP_GET,
		       "https://gitlab.example/api/v4/projects/grp%2Fsub%2Fmodels/merge_requests?state="
		       "opened&source_branch=rlpromote%2Fstaging%2F0123456789ab&target_branch=main",
		       NULL);
	expect_request(1, RLP_HTTP_POST,
		       "https://gitlab.example/api/v4/projects/grp%2Fsub%2Fmodels/merge_requests",
		       "{\"source_branch\":\"rlpromote/staging/0123456789ab\",\"target_branch\":\"main\","
		       "\"title\":\"Draft: Promote support-bot 0123456789ab to staging\","
		       "\"description\":\"report\"}");
	assert_non_null(strstr(fake.requests[0].headers, "PRIVATE-TOKEN: tok-1234567890\n"));
	assert_null(strstr(fake.requests[0].headers, "Authorization"));

	/* notes: system notes skipped, the marker's note updated with PUT */
	fake_reset(&fake);
	fake_answer(&fake, 200, "",
		    "[{\"id\":1,\"body\":\"<!-- m --> old\",\"system\":false},"
		    "{\"id\":2,\"body\":\"changed the description <!-- m -->\",\"system\":true}]");
	fake_answer(&fake, 200, "", "{\"id\":1}");
	enum rlp_forge_sticky what;
	long long id = 0;
	assert_int_equal(rlp_forge_sticky_comment(&what, &id, f, 4, "<!-- m -->", "<!-- m --> new"), 0);
	assert_int_equal(what, RLP_STICKY_UPDATED);
	assert_int_equal(id, 1);
	expect_request(1, RLP_HTTP_PUT,
		       "https://gitlab.example/api/v4/projects/grp%2Fsub%2Fmodels/merge_requests/4/notes/1",
		       "{\"body\":\"<!-- m --> new\"}");

	/* statuses: GitLab's states and "name" */
	fake_reset(&fake);
	fake_answer(&fake, 201, "", "{}");
	enum rlp_forge_check_via via;
	struct rlp_forge_check check = {"rlpromote", "abc", RLP_FORGE_FAILURE, "NO-GO", "s", NULL};
	assert_int_equal(rlp_forge_check_set(&via, f, &check), 0);
	assert_int_equal(via, RLP_FORGE_COMMIT_STATUS);
	expect_request(0, RLP_HTTP_POST,
		       "https://gitlab.example/api/v4/projects/grp%2Fsub%2Fmodels/statuses/abc",
		       "{\"state\":\"failed\",\"name\":\"rlpromote\",\"description\":\"NO-GO\"}");
	rlp_forge_free(f);
}

static void test_forge_sticky_comment(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITHUB, "https://api.github.com", "acme/models");
	enum rlp_forge_sticky what;
	long long id = 0;

	(void)state;
	/* two comments hold the marker: the newest is the one kept up to date */
	fake_answer(&fake, 200, "",
		    "[{\"id\":10,\"body\":\"<!-- rlpromote:report -->\\nold\"},{\"id\":11,\"body\":\"hi\"},"
		    "{\"id\":12,\"body\":\"<!-- rlpromote:report -->\\r\\nsame\"}]");
	assert_int_equal(rlp_forge_sticky_comment(&what, &id, f, 3, "<!-- rlpromote:report",
						  "<!-- rlpromote:report -->\nsame"),
			 0);
	assert_int_equal(what, RLP_STICKY_UNCHANGED);
	assert_int_equal(id, 12);
	assert_int_equal(fake.nrequests, 1);
	fake_answer(&fake, 200, "", "[{\"id\":12,\"body\":\"<!-- rlpromote:report -->\\nsame\"}]");
	fake_answer(&fake, 200, "", "{\"id\":12}");
	assert_int_equal(rlp_forge_sticky_comment(&what, &id, f, 3, "<!-- rlpromote:report",
						  "<!-- rlpromote:report -->\nnew"),
			 0);
	assert_int_equal(what, RLP_STICKY_UPDATED);
	expect_request(2, RLP_HTTP_PATCH, "https://api.github.com/repos/acme/models/issues/comments/12",
		       "{\"body\":\"<!-- rlpromote:report -->\\nnew\"}");
	rlp_forge_free(f);
}

static void test_forge_check_run_falls_back_to_status(void **state)
{
	struct rlp_forge *f = forge(RLP_FORGE_GITHUB, "https://api.github.com", "acme/models");
	enum rlp_forge_check_via via;
	struct rlp_forge_check check = {"rlpromote", "abc123", RLP_FORGE_SUCCESS, "GO: all rules pass",
					"## report", "https://ci.example/run/1"};

	(void)state;
	fake_answer(&fake, 201, "", "{\"id\":1}");
	assert_int_equal(rlp_forge_check_set(&via, f, &check), 0);
	assert_int_equal(via, RLP_FORGE_CHECK_RUN);
	expect_request(0, RLP_HTTP_POST, "https://api.github.com/repos/acme/models/check-runs",
		       "{\"name\":\"rlpromote\",\"head_sha\":\"abc123\",\"status\":\"completed\","
		       "\"conclusion\":\"success\",\"details_url\":\"https://ci.example/run/1\","
		       "\"output\":{\"title\":\"GO: all rules pass\",\"summary\":\"## report\"}}");
	fake_answer(&fake, 403, "", "{\"message\":\"Resource not accessible by personal access token\"}");
	fake_answer(&fake, 201, "", "{}");
	check.state = RLP_FORGE_PENDING;
	assert_int_equal(rlp_forge_check_set(&via, f, &check), 0);
	assert_int_equal(via, RLP_FORGE_COMMIT_STATUS);
	expect_request(2, RLP_HTTP_POST, "https://api.github.com/repos/acme/models/statuses/abc123",
		       "{\"state\":\"pending\",\"context\":\"rlpromote\",\"description\":\"GO: all "
		       "rules pass\",\"target_url\":\"https://ci.example/run/1\"}");
	/* a 403 on the status too is the caller's permission error */
	fake_answer(&fake, 403, "", "{\"message\":\"Resource not accessible by integration\"}");
	fake_answer(&fake, 403, "", "{\"message\":\"Resource not accessible by integration\"}");
	assert_int_equal(rlp_forge_check_set(&via, f, &check), RLP_EPERM);
	assert_non_null(strstr(rlp_error_last(), "statuses/abc123: 403"));
	rlp_forge_free(f);
}

static void test_forge_remotes_and_defaults(void **state)
{
	char host[128], repo[128], api[256];

	(void)state;
	assert_int_equal(rlp_forge_parse_remote(host, sizeof(host), repo, sizeof(repo),
						"git@github.com:acme/models.git"), 0);
	assert_string_equal(host, "github.com");
	assert_string_equal(repo, "acme/models");
	assert_int_equal(rlp_forge_parse_remote(host, sizeof(host), repo, sizeof(repo),
						"https://x:y@gitlab.example:8443/grp/sub/models/"), 0);
	assert_string_equal(host, "gitlab.example");
	assert_string_equal(repo, "grp/sub/models");
	assert_int_equal(rlp_forge_parse_remote(host, sizeof(host), repo, sizeof(repo),
						"ssh://git@codeberg.org/acme/m.git"), 0);
	assert_int_equal(rlp_forge_guess_kind(host), RLP_FORGE_GITEA);
	assert_int_equal(rlp_forge_parse_remote(host, sizeof(host), repo, sizeof(repo),
						"/srv/git/models.git"), RLP_EINVALID);
	assert_int_equal(rlp_forge_parse_remote(host, sizeof(host), repo, sizeof(repo),
						"file:///srv/git/models.git"), RLP_EINVALID);
	rlp_forge_default_api(api, sizeof(api), RLP_FORGE_GITHUB, "github.com");
	assert_string_equal(api, "https://api.github.com");
	rlp_forge_default_api(api, sizeof(api), RLP_FORGE_GITHUB, "ghe.example");
	assert_string_equal(api, "https://ghe.example/api/v3");
	rlp_forge_default_api(api, sizeof(api), RLP_FORGE_GITLAB, "gitlab.example");
	assert_string_equal(api, "https://gitlab.example/api/v4");
	enum rlp_forge_kind k;
	assert_int_equal(rlp_forge_kind_parse(&k, "forgejo"), 0);
	assert_int_equal(k, RLP_FORGE_GITEA);
	assert_int_equal(rlp_forge_kind_parse(&k, "bitbucket"), RLP_EINVALID);
}

static void test_forge_truncate(void **state)
{
	char text[64];

	(void)state;
	strcpy(text, "short");
	assert_false(rlp_forge_truncate(text, 10, "[cut]"));
	strcpy(text, "line one\nline two\nline three\n");
	assert_true(rlp_forge_truncate(text, 24, "[cut]"));
	assert_true(strlen(text) <= 24);
	assert_string_equal(text, "line one\nline two\n[cut]");
	strcpy(text, "ééééééééé"); /* 18 bytes of 2-byte characters */
	assert_true(rlp_forge_truncate(text, 10, "…"));
	assert_true(strlen(text) <= 10);
	assert_string_equal(text, "ééé…"); /* never half a character */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forge_github_creates_a_pr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_github_updates_the_open_pr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_github_duplicate_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_post_timeout_looks_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_gitea_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_gitlab_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_sticky_comment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forge_check_run_falls_back_to_status, setup, teardown),
		cmocka_unit_test(test_forge_remotes_and_defaults),
		cmocka_unit_test(test_forge_truncate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
