/* Unit tests for lib/http.c through a scripted transport: pagination,
 * origins, page cap, rate limits, timeouts, size cap, token redaction. */
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
#include "http.h"

#define TOKEN "ghp_S3cr3tT0kenValue0123456789"
#define BASE "https://api.github.com"

static struct fake_http fake;
static struct rlp_http_transport transport;
static struct rlp_buf logged; /* every trace and warning line */

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	rlp_buf_printf(&logged, "%s\n", line);
}

static struct rlp_http_client *client(const char *base)
{
	static const char *const extra[] = {"X-GitHub-Api-Version: 2022-11-28", NULL};
	struct rlp_http_client *c = NULL;
	struct rlp_http_options o = {
		.transport = &transport, .base_url = base, .auth_header = "Authorization",
		.auth_scheme = "Bearer", .token = TOKEN,
		.accept = "application/vnd.github+json, application/json", .extra_headers = extra,
		.trace = log_line, .warn = log_line,
	};
	assert_int_equal(rlp_http_client_new(&c, &o), 0);
	return c;
}

static int setup(void **state)
{
	(void)state;
	fake_reset(&fake);
	transport = fake_transport(&fake);
	rlp_buf_free(&logged);
	logged = (struct rlp_buf)RLP_BUF_INIT;
	rlp_buf_puts(&logged, "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_reset(&fake);
	rlp_buf_free(&logged);
	return 0;
}

struct collected {
	int pages;
	char bodies[256];
};

static int collect(void *payload, const struct rlp_http_response *resp)
{
	struct collected *c = payload;
	c->pages++;
	strncat(c->bodies, resp->body.ptr, sizeof(c->bodies) - strlen(c->bodies) - 1);
	return 0;
}

static void test_http_sends_the_headers_forges_need(void **state)
{
	struct rlp_http_client *c = client(BASE "/");
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;

	(void)state;
	fake_answer(&fake, 201, "", "{}");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_POST, "/repos/o/r/pulls", "{\"a\":1}"), 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(fake.requests[0].url, BASE "/repos/o/r/pulls");
	assert_int_equal(fake.requests[0].method, RLP_HTTP_POST);
	assert_string_equal(fake.requests[0].body, "{\"a\":1}");
	const char *h = fake.requests[0].headers;
	assert_non_null(strstr(h, "Authorization: Bearer " TOKEN "\n"));
	assert_non_null(strstr(h, "Content-Type: application/json\n"));
	assert_non_null(strstr(h, "User-Agent: git-rlpromote/"));
	assert_non_null(strstr(h, "Accept: application/vnd.github+json, application/json\n"));
	assert_non_null(strstr(h, "X-GitHub-Api-Version: 2022-11-28\n"));
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

static void test_http_pagination_follows_next_exactly(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct collected got = {0, ""};

	(void)state;
	fake_answer(&fake, 200,
		    "Link: <" BASE "/repositories/1/issues?per_page=2&page=2>; rel=\"next\", <" BASE
		    "/repositories/1/issues?per_page=2&page=3>; rel=\"last\"\r\n",
		    "[1,2]");
	fake_answer(&fake, 200,
		    "link: <" BASE "/repositories/1/issues?per_page=2&page=1>; rel=\"prev\", <" BASE
		    ":443/repositories/1/issues?per_page=2&page=3>; rel=\"next\"\r\n",
		    "[3,4]");
	fake_answer(&fake, 200, "", "[5]");
	assert_int_equal(rlp_http_pages(c, "/repos/o/r/issues?per_page=2", collect, &got), 0);
	assert_int_equal(got.pages, 3);
	assert_string_equal(got.bodies, "[1,2][3,4][5]");
	assert_int_equal(fake.nrequests, 3);
	assert_string_equal(fake.requests[1].url, BASE "/repositories/1/issues?per_page=2&page=2");
	assert_string_equal(fake.requests[2].url, BASE ":443/repositories/1/issues?per_page=2&page=3");
	rlp_http_client_free(c);
}

static void test_http_pagination_refuses_another_host(void **state)
{
	struct rlp_http_client *c = client("http://127.0.0.1:4010");
	struct collected got = {0, ""};

	(void)state;
	/* what prism answers: GitHub's example Link, to api.github.com */
	fake_answer(&fake, 200, "Link: <https://api.github.com/resource?page=2>; rel=\"next\"\n",
		    "[1]");
	assert_int_equal(rlp_http_pages(c, "/repos/o/r/issues/1/comments", collect, &got), 0);
	assert_int_equal(got.pages, 1);
	assert_int_equal(fake.nrequests, 1);
	assert_non_null(strstr(logged.ptr, "not following its next page on another host"));
	/* same host, other port or scheme: refused too */
	fake_answer(&fake, 200, "Link: <http://127.0.0.1:4011/x?page=2>; rel=\"next\"\n", "[1]");
	assert_int_equal(rlp_http_pages(c, "/x", collect, &got), 0);
	fake_answer(&fake, 200, "Link: <https://127.0.0.1:4010/x?page=2>; rel=\"next\"\n", "[1]");
	assert_int_equal(rlp_http_pages(c, "/x", collect, &got), 0);
	assert_int_equal(fake.nrequests, 3);
	/* and a full URL on another origin is never requested */
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "https://evil.example/x", NULL),
			 RLP_EINVALID);
	assert_int_equal(fake.nrequests, 3);
	rlp_http_client_free(c);
}

static void test_http_page_cap(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct collected got = {0, ""};

	(void)state;
	rlp_http_client_limits(c, 3, 0, 0);
	for (int i = 0; i < 5; i++)
		fake_answer(&fake, 200, "Link: <" BASE "/again>; rel=\"next\"\n", "[]");
	assert_int_equal(rlp_http_pages(c, "/start", collect, &got), RLP_ERROR);
	assert_non_null(strstr(rlp_error_last(), "more than 3 pages"));
	assert_int_equal(fake.nrequests, 3);
	rlp_http_client_free(c);
}

static void test_http_link_parsing(void **state)
{
	char *n;

	(void)state;
	assert_null(rlp_http_link_next("<https://a/x?page=5>; rel=\"last\""));
	n = rlp_http_link_next("<https://a/x?q=a,b&page=2>; rel=\"prev\", <https://a/x?q=a,b&page=4>; "
			       "title=\"a, b\"; rel=\"last next\"");
	assert_string_equal(n, "https://a/x?q=a,b&page=4");
	free(n);
	n = rlp_http_link_next("<https://a/y>;rel=next");
	assert_string_equal(n, "https://a/y");
	free(n);
	assert_null(rlp_http_link_next("<https://a/y>; rel=\"nextpage\""));
	assert_null(rlp_http_link_next("garbage"));
	assert_true(rlp_http_same_origin("https://API.github.com/a", "https://api.github.com:443"));
	assert_true(rlp_http_same_origin("http://127.0.0.1/a", "http://127.0.0.1:80/b"));
	assert_false(rlp_http_same_origin("https://api.github.com.evil.example/", BASE));
	assert_false(rlp_http_same_origin("https://user@evil.example/", BASE));
	assert_false(rlp_http_same_origin("http://api.github.com/", BASE));
	assert_false(rlp_http_same_origin("ftp://api.github.com/", "ftp://api.github.com/"));
}

static void test_http_403_retry_after(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;

	(void)state;
	fake_answer(&fake, 403, "Retry-After: 7\r\n",
		    "{\"message\":\"You have exceeded a secondary rate limit\"}");
	fake_answer(&fake, 200, "", "[]");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_POST, "/x", "{}"), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake.slept, 7);
	assert_int_equal(fake.nrequests, 2);
	assert_non_null(strstr(logged.ptr, "waiting 7 s"));
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

static void test_http_429_backs_off_from_60_s(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;

	(void)state;
	fake_answer(&fake, 429, "", "");
	fake_answer(&fake, 429, "", "");
	fake_answer(&fake, 200, "", "[]");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "/x", NULL), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake.slept, 60 + 120);
	/* bounded: after the retries the 429 is the answer */
	fake_reset(&fake);
	for (int i = 0; i < 10; i++)
		fake_answer(&fake, 429, "", "");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "/x", NULL), 0);
	assert_int_equal(r.status, 429);
	assert_int_equal(fake.nrequests, RLP_HTTP_RETRIES + 1);
	assert_true(fake.slept <= RLP_HTTP_RETRIES * RLP_HTTP_MAX_WAIT_S);
	assert_int_equal(rlp_http_check(&r, c, RLP_HTTP_GET, "/x"), RLP_ERROR);
	assert_non_null(strstr(rlp_error_last(), "429"));
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

static void test_http_ratelimit_reset(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;
	char h[128];

	(void)state;
	snprintf(h, sizeof(h), "x-ratelimit-remaining: 0\r\nx-ratelimit-reset: %lld\r\n",
		 (long long)fake.now + 30);
	fake_answer(&fake, 403, h, "{\"message\":\"API rate limit exceeded\"}");
	fake_answer(&fake, 200, "", "{}");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "/x", NULL), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake.slept, 31);
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

static void test_http_403_is_a_permission_error(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;

	(void)state;
	fake_answer(&fake, 403, "x-ratelimit-remaining: 4999\r\n",
		    "{\"message\":\"Resource not accessible by integration\"}");
	fake_answer(&fake, 200, "", "{}");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_POST, "/repos/o/r/check-runs", "{}"), 0);
	assert_int_equal(r.status, 403);
	assert_int_equal(fake.nrequests, 1);
	assert_int_equal(fake.sleeps, 0);
	assert_int_equal(rlp_http_check(&r, c, RLP_HTTP_POST, "/repos/o/r/check-runs"), RLP_EPERM);
	assert_string_equal(rlp_error_last(),
			    "POST /repos/o/r/check-runs: 403 Forbidden (the token lacks a permission): "
			    "Resource not accessible by integration");
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

static void test_http_post_timeout_is_not_retried(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;

	(void)state;
	fake_answer(&fake, 0, NULL, NULL);
	fake.answers[0].timeout = true;
	fake_answer(&fake, 201, "", "{}");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_POST, "/repos/o/r/pulls", "{}"), RLP_ETIMEOUT);
	assert_int_equal(fake.nrequests, 1);
	assert_non_null(strstr(rlp_error_last(), "may have landed"));
	/* a GET is: once */
	fake_reset(&fake);
	fake_answer(&fake, 0, NULL, NULL);
	fake.answers[0].timeout = true;
	fake_answer(&fake, 200, "", "[]");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "/repos/o/r/pulls", NULL), 0);
	assert_int_equal(fake.nrequests, 2);
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

static void test_http_size_cap(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;

	(void)state;
	rlp_http_client_limits(c, 0, 1000, 0);
	fake_answer(&fake, 200, "", "0123456789");
	fake.answers[0].repeat_body = 101;
	assert_true(rlp_http_call(&r, c, RLP_HTTP_GET, "/big", NULL) < 0);
	assert_non_null(strstr(rlp_error_last(), "larger than 1000 bytes"));
	fake_answer(&fake, 200, "", "0123456789");
	fake.answers[1].repeat_body = 100;
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "/big", NULL), 0);
	assert_int_equal(r.body.len, 1000);
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

static void test_http_token_never_in_messages(void **state)
{
	struct rlp_http_client *c = client(BASE);
	struct rlp_http_response r = RLP_HTTP_RESPONSE_INIT;

	(void)state;
	/* a server (or proxy) that echoes the credentials back */
	fake_answer(&fake, 401, "", "{\"message\":\"Bad credentials: Bearer " TOKEN "\"}");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "/user", NULL), 0);
	assert_int_equal(rlp_http_check(&r, c, RLP_HTTP_GET, "/user"), RLP_EPERM);
	assert_null(strstr(rlp_error_last(), TOKEN));
	assert_non_null(strstr(rlp_error_last(), "Bearer ***"));
	/* a transport error that names it */
	fake_answer(&fake, 0, NULL, NULL);
	fake.transport_error = "proxy said: Authorization: Bearer " TOKEN;
	assert_true(rlp_http_call(&r, c, RLP_HTTP_GET, "/user", NULL) < 0);
	assert_null(strstr(rlp_error_last(), TOKEN));
	/* a rate-limit warning and the trace */
	fake_answer(&fake, 429, "", "{\"message\":\"" TOKEN "\"}");
	fake_answer(&fake, 200, "", "{}");
	assert_int_equal(rlp_http_call(&r, c, RLP_HTTP_GET, "/" TOKEN, NULL), 0);
	assert_non_null(strstr(logged.ptr, "> GET"));
	assert_null(strstr(logged.ptr, TOKEN));
	/* while the transport did get it */
	assert_non_null(strstr(fake.requests[0].headers, TOKEN));
	rlp_http_response_clear(&r);
	rlp_http_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_http_sends_the_headers_forges_need, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_pagination_follows_next_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_pagination_refuses_another_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_page_cap, setup, teardown),
		cmocka_unit_test(test_http_link_parsing),
		cmocka_unit_test_setup_teardown(test_http_403_retry_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_429_backs_off_from_60_s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_ratelimit_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_403_is_a_permission_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_post_timeout_is_not_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_size_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_token_never_in_messages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
