/*
 * HTTP for the forge commands (FORGE.md). Every request goes through a
 * transport: libcurl in production (the only file that includes curl is
 * lib/http.c), a fake in the unit tests. On top of it the client adds what
 * the forges need: headers (a User-Agent, JSON content type, the token),
 * size-capped responses, rate-limit waits, pagination along Link rel="next"
 * on the base URL's origin only, and messages that never carry the token.
 */
#ifndef RLP_HTTP_H
#define RLP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define RLP_HTTP_MAX_RESPONSE ((size_t)8 << 20)
#define RLP_HTTP_MAX_PAGES 50
#define RLP_HTTP_CONNECT_TIMEOUT_MS 10000
#define RLP_HTTP_TIMEOUT_MS 60000
#define RLP_HTTP_RETRIES 4             /* rate-limit waits before giving up */
#define RLP_HTTP_BACKOFF_S 60          /* first wait without a hint; doubles */
#define RLP_HTTP_MAX_WAIT_S 900        /* longest single wait */
#define RLP_HTTP_USER_AGENT "git-rlpromote/" RLP_VERSION

enum rlp_http_method { RLP_HTTP_GET, RLP_HTTP_POST, RLP_HTTP_PATCH, RLP_HTTP_PUT };

struct rlp_http_request {
	enum rlp_http_method method;
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated */
	const char *body;           /* NULL: none */
	size_t body_len;
	long connect_timeout_ms, timeout_ms;
	size_t max_response;        /* body cap */
};

struct rlp_http_response {
	long status;
	struct rlp_buf headers; /* the final response's header lines, "name: value\n" */
	struct rlp_buf body;
	bool timed_out;         /* transport: may or may not have reached the server */
};

#define RLP_HTTP_RESPONSE_INIT {0, RLP_BUF_INIT, RLP_BUF_INIT, false}

/* send: 0 when a response arrived (any status); < 0 with a message when
 * none did (resp->timed_out says whether it was a timeout). sleep and now
 * let tests run the rate-limit logic without waiting (NULL: the real ones). */
struct rlp_http_transport {
	int (*send)(void *ctx, const struct rlp_http_request *req, struct rlp_http_response *resp);
	void (*sleep)(void *ctx, unsigned seconds);
	time_t (*now)(void *ctx);
	void *ctx;
};

/* libcurl (initialised once, on first use). */
const struct rlp_http_transport *rlp_http_curl(void);

struct rlp_http_options {
	const struct rlp_http_transport *transport; /* NULL: rlp_http_curl() */
	const char *base_url;    /* e.g. https://api.github.com, https://host/api/v4 */
	const char *auth_header; /* e.g. "Authorization", "PRIVATE-TOKEN"; NULL: none */
	const char *auth_scheme; /* e.g. "Bearer", "token"; NULL: the bare token */
	const char *token;       /* never printed; NULL: anonymous */
	const char *accept;      /* NULL: application/json */
	const char *const *extra_headers; /* "Name: value", NULL-terminated */
	/* Progress and notices for the user (lib never prints); may be NULL.
	 * Neither ever sees the token. */
	void (*trace)(void *ctx, const char *line);
	void (*warn)(void *ctx, const char *line);
	void *log_ctx;
};

struct rlp_http_client;

int rlp_http_client_new(struct rlp_http_client **out, const struct rlp_http_options *opts);
void rlp_http_client_free(struct rlp_http_client *c);

/* Caps and waits, for tests and callers with other needs (0 keeps the default). */
void rlp_http_client_limits(struct rlp_http_client *c, unsigned max_pages, size_t max_response,
			    unsigned retries);

/*
 * One request to `path` (appended to the base URL; a full URL must be on
 * the base URL's origin), with `json` as body when not NULL. Waits out rate
 * limits (retry-after; x-ratelimit-remaining 0 until x-ratelimit-reset; else
 * backs off from 60 s), at most RLP_HTTP_RETRIES times. A GET that timed out
 * is retried once; a POST that timed out never is: RLP_ETIMEOUT, so the
 * caller can look whether it landed. Returns 0 with any final status in
 * resp->status (use rlp_http_check for the message of a failure).
 */
int rlp_http_call(struct rlp_http_response *resp, struct rlp_http_client *c,
		  enum rlp_http_method method, const char *path, const char *json);

/* Each page of a GET list along Link rel="next": `each` gets every
 * response with a 2xx status and returns 0 to go on, 1 to stop, < 0 to fail.
 * A next link on another origin is not followed (warned about); more than
 * the page cap is an error. A non-2xx page fails with rlp_http_check's message. */
int rlp_http_pages(struct rlp_http_client *c, const char *path,
		   int (*each)(void *payload, const struct rlp_http_response *resp),
		   void *payload);

/* 0 for a 2xx status; else an error named after the request, with the
 * server's message ("GET /x: 404 Not Found: <message>"): RLP_EPERM for 401
 * and 403, RLP_ENOTFOUND for 404, RLP_ECONFLICT for 409 and 422, RLP_ERROR
 * otherwise. */
int rlp_http_check(const struct rlp_http_response *resp, struct rlp_http_client *c,
		   enum rlp_http_method method, const char *path);

/* A response header's value (first of that name, case-insensitive), copied
 * into buf; false when absent. */
bool rlp_http_header(const struct rlp_http_response *resp, const char *name, char *buf,
		     size_t size);

/* The URL of Link rel="next", malloc'd, or NULL when there is none. */
char *rlp_http_link_next(const char *link);

/* Do two URLs share scheme, host and port (default ports filled in)? */
bool rlp_http_same_origin(const char *a, const char *b);

void rlp_http_response_clear(struct rlp_http_response *resp);
const char *rlp_http_method_name(enum rlp_http_method method);

#endif
