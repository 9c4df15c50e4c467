/* A scripted HTTP transport for the unit tests of lib/http.c and
 * lib/forge.c: answers come from a queue, requests are recorded, sleeping
 * only adds up the seconds. Header-only; each test binary includes it once. */
#ifndef RLP_FAKE_HTTP_H
#define RLP_FAKE_HTTP_H

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "http.h"

#define FAKE_MAX 64

struct fake_answer {
	long status;          /* 0: fail as a transport error */
	const char *headers;  /* "name: value\n" lines */
	const char *body;
	bool timeout;         /* with status 0: a timeout */
	size_t repeat_body;   /* body repeated this many times (size tests) */
};

struct fake_request {
	enum rlp_http_method method;
	char *url;
	char *headers; /* "Name: value\n" lines */
	char *body;
};

struct fake_http {
	struct fake_answer answers[FAKE_MAX];
	size_t nanswers, next;
	struct fake_request requests[FAKE_MAX];
	size_t nrequests;
	unsigned slept, sleeps;
	time_t now;
	const char *transport_error; /* message of a status-0 answer */
};

static inline int fake_send(void *ctx, const struct rlp_http_request *req, struct rlp_http_response *resp)
{
	struct fake_http *f = ctx;
	struct fake_request *r = &f->requests[f->nrequests++ % FAKE_MAX];
	struct rlp_buf h = RLP_BUF_INIT, body = RLP_BUF_INIT;

	r->method = req->method;
	r->url = strdup(req->url);
	for (const char *const *p = req->headers; *p; p++)
		rlp_buf_printf(&h, "%s\n", *p);
	rlp_buf_detach(&r->headers, &h);
	r->body = req->body ? strndup(req->body, req->body_len) : NULL;
	if (f->next >= f->nanswers)
		return rlp_error_set(RLP_ERROR, "fake: no answer left for %s", req->url);
	const struct fake_answer *a = &f->answers[f->next++];
	if (!a->status) {
		resp->timed_out = a->timeout;
		return rlp_error_set(a->timeout ? RLP_ETIMEOUT : RLP_ERROR, "%s",
				     f->transport_error ? f->transport_error : "connection refused");
	}
	resp->status = a->status;
	rlp_buf_puts(&resp->headers, a->headers ? a->headers : "");
	/* built apart from resp->body, so the client's own cap is what is tested */
	for (size_t i = 0; i < (a->repeat_body ? a->repeat_body : 1); i++)
		rlp_buf_puts(&body, a->body ? a->body : "");
	free(resp->body.ptr);
	resp->body = body;
	return 0;
}

static inline void fake_sleep(void *ctx, unsigned seconds)
{
	struct fake_http *f = ctx;
	f->slept += seconds;
	f->sleeps++;
	f->now += seconds;
}

static inline time_t fake_now(void *ctx)
{
	return ((struct fake_http *)ctx)->now;
}

static inline void fake_answer(struct fake_http *f, long status, const char *headers, const char *body)
{
	struct fake_answer *a = &f->answers[f->nanswers++];
	a->status = status;
	a->headers = headers;
	a->body = body;
}

static inline void fake_reset(struct fake_http *f)
{
	for (size_t i = 0; i < f->nrequests && i < FAKE_MAX; i++) {
		free(f->requests[i].url);
		free(f->requests[i].headers);
		free(f->requests[i].body);
	}
	memset(f, 0, sizeof(*f));
	f->now = 1700000000;
}

static inline struct rlp_http_transport fake_transport(struct fake_http *f)
{
	struct rlp_http_transport t = {fake_send, fake_sleep, fake_now, f};
	return t;
}

#endif
