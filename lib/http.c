/* The HTTP client of the forge commands, and its libcurl transport: the
 * only file that includes curl. */
#include "http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "error.h"
#include "json.h"

#define HEADERS_MAX ((size_t)64 << 10)
#define MESSAGE_MAX 300

struct rlp_http_client {
	const struct rlp_http_transport *transport;
	char *base_url;
	char *auth_line; /* "Authorization: Bearer <token>": never printed */
	char *token;
	char *accept_line;
	char **extra;
	size_t nextra;
	void (*trace)(void *ctx, const char *line);
	void (*warn)(void *ctx, const char *line);
	void *log_ctx;
	unsigned max_pages, retries;
	size_t max_response;
};

const char *rlp_http_method_name(enum rlp_http_method method)
{
	static const char *const names[] = {"GET", "POST", "PATCH", "PUT"};
	return names[method];
}

void rlp_http_response_clear(struct rlp_http_response *resp)
{
	rlp_buf_free(&resp->headers);
	rlp_buf_free(&resp->body);
	resp->status = 0;
	resp->timed_out = false;
}

/* ---- redaction: the token never leaves in a message ---- */

static void redact(char *s, const char *token)
{
	size_t tl = token ? strlen(token) : 0;
	char *p;

	if (tl < 4)
		return; /* nothing a real token looks like; avoid starring common words */
	while ((p = strstr(s, token))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + tl, strlen(p + tl) + 1);
	}
}

__attribute__((format(printf, 3, 4))) static int fail(struct rlp_http_client *c, int code,
						      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	redact(msg, c->token);
	return rlp_error_set(code, "%s", msg);
}

__attribute__((format(printf, 2, 3))) static void say(struct rlp_http_client *c,
						      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	redact(msg, c->token);
	c->warn(c->log_ctx, msg);
}

__attribute__((format(printf, 2, 3))) static void trace(struct rlp_http_client *c,
							const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!c->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	redact(msg, c->token);
	c->trace(c->log_ctx, msg);
}

/* ---- libcurl ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
	struct rlp_buf *b = payload;
	return rlp_buf_put(b, data, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *payload)
{
	struct rlp_buf *b = payload;
	size_t len = size * n;

	/* a new status line (after a 100 Continue): keep only the final headers */
	if (len >= 5 && !memcmp(data, "HTTP/", 5))
		b->len = 0;
	else if (rlp_buf_put(b, data, len) < 0)
		return 0;
	return len;
}

static int curl_send(void *ctx, const struct rlp_http_request *req,
		     struct rlp_http_response *resp)
{
	struct curl_slist *headers = NULL, *h;
	CURL *curl = NULL;
	CURLcode code;
	int error = 0;

	(void)ctx;
	pthread_once(&curl_once, curl_init);
	if (curl_init_code != CURLE_OK)
		return rlp_error_set(RLP_ERROR, "cannot initialise libcurl: %s",
				     curl_easy_strerror(curl_init_code));
	resp->body.max = req->max_response ? req->max_response : RLP_HTTP_MAX_RESPONSE;
	resp->headers.max = HEADERS_MAX;
	if (!(curl = curl_easy_init()))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (const char *const *p = req->headers; p && *p; p++) {
		if (!(h = curl_slist_append(headers, *p))) {
			error = rlp_error_set(RLP_ENOMEM, "out of memory");
			goto done;
		}
		headers = h;
	}
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect never takes the token along */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp->headers);
	if (req->method == RLP_HTTP_GET)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	else {
		if (req->method != RLP_HTTP_POST)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rlp_http_method_name(req->method));
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	}
	code = curl_easy_perform(curl);
	if (code == CURLE_WRITE_ERROR && resp->body.failed) {
		error = rlp_error_set(RLP_ERROR, "the response is larger than %zu bytes", resp->body.max);
		goto done;
	}
	if (code == CURLE_OPERATION_TIMEDOUT) {
		resp->timed_out = true;
		error = rlp_error_set(RLP_ETIMEOUT, "no answer within %ld ms", req->timeout_ms);
		goto done;
	}
	if (code != CURLE_OK) {
		error = rlp_error_set(RLP_ERROR, "%s", curl_easy_strerror(code));
		goto done;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	/* the buffers start out NULL: give callers an empty string */
	if (rlp_buf_put(&resp->body, "", 0) < 0 || rlp_buf_put(&resp->headers, "", 0) < 0)
		error = RLP_ENOMEM;
done:
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return error;
}

static void real_sleep(void *ctx, unsigned seconds)
{
	(void)ctx;
	while (seconds)
		seconds = sleep(seconds);
}

static time_t real_now(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

const struct rlp_http_transport *rlp_http_curl(void)
{
	static const struct rlp_http_transport curl = {curl_send, real_sleep, real_now, NULL};
	return &curl;
}

/* ---- URLs and headers ---- */

struct origin {
	char scheme[8];
	char host[256];
	unsigned port;
};

static bool parse_origin(struct origin *o, const char *url)
{
	const char *p = strstr(url, "://"), *host, *end, *at, *colon;
	size_t n;

	if (!p || (size_t)(p - url) >= sizeof(o->scheme))
		return false;
	for (n = 0; url + n < p; n++)
		o->scheme[n] = (char)tolower((unsigned char)url[n]);
	o->scheme[n] = '\0';
	host = p + 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		if (!close)
			return false;
		colon = close[1] == ':' ? close + 1 : NULL;
		n = (size_t)(close + 1 - host);
	}
	else {
		colon = memchr(host, ':', (size_t)(end - host));
		n = (size_t)((colon ? colon : end) - host);
	}
	if (!n || n >= sizeof(o->host))
		return false;
	for (size_t i = 0; i < n; i++)
		o->host[i] = (char)tolower((unsigned char)host[i]);
	o->host[n] = '\0';
	if (colon && colon + 1 < end) {
		char *stop;
		unsigned long port = strtoul(colon + 1, &stop, 10);
		if (stop != end || port == 0 || port > 65535)
			return false;
		o->port = (unsigned)port;
	}
	else if (!strcmp(o->scheme, "https"))
		o->port = 443;
	else if (!strcmp(o->scheme, "http"))
		o->port = 80;
	else
		return false;
	return true;
}

bool rlp_http_same_origin(const char *a, const char *b)
{
	struct origin x, y;
	return parse_origin(&x, a) && parse_origin(&y, b) && !strcmp(x.scheme, y.scheme) &&
	       !strcmp(x.host, y.host) && x.port == y.port;
}

static bool is_url(const char *s)
{
	return !strncmp(s, "https://", 8) || !strncmp(s, "http://", 7);
}

/* RFC 8288: <url>; rel="next"; ..., <url>; rel="last" (rel may list several). */
char *rlp_http_link_next(const char *link)
{
	const char *p = link;

	while (p && *p) {
		const char *open = strchr(p, '<'), *close;
		if (!open || !(close = strchr(open, '>')))
			return NULL;
		const char *params = close + 1;
		const char *end = params;
		bool quoted = false;
		for (; *end && (quoted || *end != ','); end++)
			if (*end == '"')
				quoted = !quoted;
		/* look for rel=... among the params */
		for (const char *q = params; q < end; q++) {
			if (strncasecmp(q, "rel=", 4) || (q > params && isalnum((unsigned char)q[-1])))
				continue;
			q += 4;
			bool dq = *q == '"';
			const char *v = q + dq, *vend = v;
			while (vend < end && (dq ? *vend != '"' : (*vend != ';' && *vend != ' ')))
				vend++;
			for (const char *w = v; w < vend;) {
				size_t wl = strcspn(w, " \"");
				if (w + wl > vend)
					wl = (size_t)(vend - w);
				if (wl == 4 && !strncasecmp(w, "next", 4))
					return strndup(open + 1, (size_t)(close - open - 1));
				w += wl;
				while (w < vend && *w == ' ')
					w++;
			}
			break;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

bool rlp_http_header(const struct rlp_http_response *resp, const char *name, char *buf,
		     size_t size)
{
	const char *p = resp->headers.ptr;
	size_t nl = strlen(name);

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1, *vend = p + len;
			while (v < vend && (*v == ' ' || *v == '\t'))
				v++;
			while (vend > v && (vend[-1] == '\r' || vend[-1] == ' ' || vend[-1] == '\t'))
				vend--;
			snprintf(buf, size, "%.*s", (int)(vend - v), v);
			return true;
		}
		p = eol ? eol + 1 : p + len;
	}
	return false;
}

/* ---- the client ---- */

int rlp_http_client_new(struct rlp_http_client **out, const struct rlp_http_options *opts)
{
	struct rlp_http_client *c = calloc(1, sizeof(*c));
	struct rlp_buf b = RLP_BUF_INIT;
	size_t n = 0;

	*out = NULL;
	if (!c)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	c->transport = opts->transport ? opts->transport : rlp_http_curl();
	c->trace = opts->trace;
	c->warn = opts->warn;
	c->log_ctx = opts->log_ctx;
	c->max_pages = RLP_HTTP_MAX_PAGES;
	c->retries = RLP_HTTP_RETRIES;
	c->max_response = RLP_HTTP_MAX_RESPONSE;
	if (!opts->base_url || !is_url(opts->base_url)) {
		free(c);
		return rlp_error_set(RLP_EINVALID, "not an http(s) API URL: '%s'",
				     opts->base_url ? opts->base_url : "");
	}
	c->base_url = strdup(opts->base_url);
	if (c->base_url) /* joined with paths that start with '/' */
		for (size_t len = strlen(c->base_url); len && c->base_url[len - 1] == '/'; len--)
			c->base_url[len - 1] = '\0';
	if (opts->token && opts->auth_header) {
		c->token = strdup(opts->token);
		rlp_buf_printf(&b, "%s: %s%s%s", opts->auth_header,
			       opts->auth_scheme ? opts->auth_scheme : "",
			       opts->auth_scheme ? " " : "", opts->token);
		rlp_buf_detach(&c->auth_line, &b);
	}
	rlp_buf_printf(&b, "Accept: %s", opts->accept ? opts->accept : "application/json");
	rlp_buf_detach(&c->accept_line, &b);
	for (const char *const *p = opts->extra_headers; p && *p; p++)
		n++;
	c->extra = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; c->extra && i < n; i++, c->nextra++)
		if (!(c->extra[i] = strdup(opts->extra_headers[i])))
			break;
	if (!c->base_url || !c->accept_line || !c->extra || c->nextra != n ||
	    (opts->token && opts->auth_header && (!c->token || !c->auth_line))) {
		rlp_http_client_free(c);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

void rlp_http_client_free(struct rlp_http_client *c)
{
	if (!c)
		return;
	free(c->base_url);
	if (c->auth_line) /* do not leave the token lying in freed memory */
		memset(c->auth_line, 0, strlen(c->auth_line));
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	free(c->auth_line);
	free(c->token);
	free(c->accept_line);
	for (size_t i = 0; i < c->nextra; i++)
		free(c->extra[i]);
	free(c->extra);
	free(c);
}

void rlp_http_client_limits(struct rlp_http_client *c, unsigned max_pages, size_t max_response,
			    unsigned retries)
{
	if (max_pages)
		c->max_pages = max_pages;
	if (max_response)
		c->max_response = max_response;
	if (retries)
		c->retries = retries;
}

/* The request's URL: a path under the base URL, or a full URL on its origin. */
static int make_url(char **out, struct rlp_http_client *c, const char *path)
{
	struct rlp_buf b = RLP_BUF_INIT;

	if (is_url(path)) {
		if (!rlp_http_same_origin(path, c->base_url))
			return fail(c, RLP_EINVALID, "refusing a request to '%s': not on the origin of %s",
				    path, c->base_url);
		rlp_buf_puts(&b, path);
	}
	else
		rlp_buf_printf(&b, "%s%s%s", c->base_url, *path == '/' ? "" : "/", path);
	return rlp_buf_detach(out, &b);
}

/* The path of a URL for messages: short, and without the origin. */
static const char *shown(struct rlp_http_client *c, const char *url)
{
	size_t n = strlen(c->base_url);
	return strncmp(url, c->base_url, n) ? url : url + n;
}

static long long header_number(const struct rlp_http_response *resp, const char *name,
			       bool *present)
{
	char v[64], *end;
	long long n;

	*present = false;
	if (!rlp_http_header(resp, name, v, sizeof(v)) || !*v)
		return 0;
	n = strtoll(v, &end, 10);
	if (*end)
		return 0;
	*present = true;
	return n;
}

/* The server's own words: "message" (GitHub, Gitea, GitLab) or "error". */
static void server_message(char *buf, size_t size, const struct rlp_http_response *resp)
{
	struct rlp_json *j = NULL;
	const char *m = NULL;

	buf[0] = '\0';
	if (resp->body.ptr && resp->body.len)
		j = rlp_json_parse(resp->body.ptr, resp->body.len, NULL);
	if (j) {
		struct rlp_json *errors = rlp_json_get(j, "errors");
		m = rlp_json_string(rlp_json_get(j, "message"));
		if (!m)
			m = rlp_json_string(rlp_json_get(j, "error"));
		const char *detail = rlp_json_string(rlp_json_get(rlp_json_first(errors), "message"));
		if (m && detail)
			snprintf(buf, size, "%.*s (%.*s)", MESSAGE_MAX, m, MESSAGE_MAX, detail);
		else if (m || detail)
			snprintf(buf, size, "%.*s", MESSAGE_MAX, m ? m : detail);
		rlp_json_free(j);
	}
	else if (resp->body.ptr && resp->body.len)
		snprintf(buf, size, "%.*s", MESSAGE_MAX, resp->body.ptr);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* Seconds to wait before retrying a rate-limited answer; -1 when the answer
 * is not a rate limit. */
static long rate_limit_wait(struct rlp_http_client *c, const struct rlp_http_response *resp,
			    unsigned attempt)
{
	bool has_after, has_remaining, has_reset;
	long long after, remaining, reset;
	char msg[512];

	if (resp->status != 403 && resp->status != 429)
		return -1;
	after = header_number(resp, "retry-after", &has_after);
	if (has_after)
		return after > 0 ? (long)(after < 86400 ? after : 86400) : 1;
	remaining = header_number(resp, "x-ratelimit-remaining", &has_remaining);
	reset = header_number(resp, "x-ratelimit-reset", &has_reset);
	if (has_remaining && remaining == 0 && has_reset) {
		time_t now = c->transport->now ? c->transport->now(c->transport->ctx) : time(NULL);
		long long wait = reset - (long long)now + 1;
		return wait < 1 ? 1 : (long)(wait < 86400 ? wait : 86400);
	}
	server_message(msg, sizeof(msg), resp);
	/* a 429, or GitHub's secondary limit (a 403 that says so): back off */
	if (resp->status == 429 || strstr(msg, "rate limit")) {
		long wait = RLP_HTTP_BACKOFF_S;
		for (unsigned i = 0; i < attempt && wait < RLP_HTTP_MAX_WAIT_S; i++)
			wait *= 2;
		return wait < RLP_HTTP_MAX_WAIT_S ? wait : RLP_HTTP_MAX_WAIT_S;
	}
	return -1; /* a permission error: retrying will not help */
}

static int send_once(struct rlp_http_response *resp, struct rlp_http_client *c,
		     enum rlp_http_method method, const char *url, const char *json)
{
	const char *headers[16];
	size_t n = 0;

	headers[n++] = c->accept_line;
	headers[n++] = "Content-Type: application/json";
	headers[n++] = "User-Agent: " RLP_HTTP_USER_AGENT;
	headers[n++] = "Expect:";
	if (c->auth_line)
		headers[n++] = c->auth_line;
	for (size_t i = 0; i < c->nextra && n < 15; i++)
		headers[n++] = c->extra[i];
	headers[n] = NULL;
	struct rlp_http_request req = {
		.method = method, .url = url, .headers = headers, .body = json,
		.body_len = json ? strlen(json) : 0,
		.connect_timeout_ms = RLP_HTTP_CONNECT_TIMEOUT_MS, .timeout_ms = RLP_HTTP_TIMEOUT_MS,
		.max_response = c->max_response,
	};
	rlp_http_response_clear(resp);
	resp->body.max = c->max_response;
	resp->headers.max = HEADERS_MAX;
	trace(c, "> %s %s%s", rlp_http_method_name(method), url,
	      c->auth_line ? " (with the token, not shown)" : "");
	int error = c->transport->send(c->transport->ctx, &req, resp);
	if (error == 0 && resp->body.len > c->max_response)
		error = rlp_error_set(RLP_ERROR, "the response is larger than %zu bytes",
				      c->max_response);
	if (error == 0) {
		/* a fake transport may leave the buffers NULL */
		if (rlp_buf_put(&resp->body, "", 0) < 0 || rlp_buf_put(&resp->headers, "", 0) < 0)
			return rlp_error_set(RLP_ENOMEM, "out of memory");
		trace(c, "< %ld (%zu bytes)", resp->status, resp->body.len);
	}
	return error;
}

int rlp_http_call(struct rlp_http_response *resp, struct rlp_http_client *c,
		  enum rlp_http_method method, const char *path, const char *json)
{
	const char *name = rlp_http_method_name(method);
	bool timeout_retried = false;
	char *url = NULL;
	int error;

	if ((error = make_url(&url, c, path)) < 0)
		return error;
	for (unsigned attempt = 0;; attempt++) {
		error = send_once(resp, c, method, url, json);
		if (error < 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s", rlp_error_last());
			if (resp->timed_out && method == RLP_HTTP_GET && !timeout_retried) {
				timeout_retried = true;
				say(c, "%s %s: %s; trying once more", name, shown(c, url), why);
				continue;
			}
			if (resp->timed_out && method != RLP_HTTP_GET)
				error = fail(c, RLP_ETIMEOUT,
					     "%s %s: %s (it may have landed: not sent again)", name,
					     shown(c, url), why);
			else
				error = fail(c, error == RLP_ETIMEOUT ? RLP_ETIMEOUT : RLP_ERROR,
					     "%s %s: %s", name, shown(c, url), why);
			break;
		}
		long wait = rate_limit_wait(c, resp, attempt);
		if (wait < 0 || attempt >= c->retries)
			break; /* the caller reads the status */
		if (wait > RLP_HTTP_MAX_WAIT_S) {
			error = fail(c, RLP_ERROR,
				     "%s %s: rate limited for %ld s, more than the %d s this waits",
				     name, shown(c, url), wait, RLP_HTTP_MAX_WAIT_S);
			break;
		}
		say(c, "%s %s: rate limited (%ld); waiting %ld s", name, shown(c, url), resp->status,
		    wait);
		if (c->transport->sleep)
			c->transport->sleep(c->transport->ctx, (unsigned)wait);
		else
			real_sleep(NULL, (unsigned)wait);
	}
	free(url);
	return error;
}

static const char *reason_phrase(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

int rlp_http_check(const struct rlp_http_response *resp, struct rlp_http_client *c,
		   enum rlp_http_method method, const char *path)
{
	char msg[1024], extra[128] = "";
	bool remaining_present;
	int code = RLP_ERROR;

	if (resp->status >= 200 && resp->status < 300)
		return 0;
	server_message(msg, sizeof(msg), resp);
	if (resp->status == 401 || resp->status == 403) {
		code = RLP_EPERM;
		long long left = header_number(resp, "x-ratelimit-remaining", &remaining_present);
		if (resp->status == 403 && remaining_present && left == 0)
			snprintf(extra, sizeof(extra), " (rate limit exhausted)");
		else if (resp->status == 403 && !strstr(msg, "rate limit"))
			snprintf(extra, sizeof(extra), " (the token lacks a permission)");
		else if (resp->status == 401)
			snprintf(extra, sizeof(extra), " (a missing, wrong or expired token)");
	}
	else if (resp->status == 429)
		snprintf(extra, sizeof(extra), " (rate limited)");
	else if (resp->status == 404)
		code = RLP_ENOTFOUND;
	else if (resp->status == 409 || resp->status == 422)
		code = RLP_ECONFLICT;
	return fail(c, code, "%s %s: %ld %s%s%s%s", rlp_http_method_name(method),
		    is_url(path) ? shown(c, path) : path, resp->status, reason_phrase(resp->status),
		    extra, *msg ? ": " : "", msg);
}

int rlp_http_pages(struct rlp_http_client *c, const char *path,
		   int (*each)(void *payload, const struct rlp_http_response *resp),
		   void *payload)
{
	struct rlp_http_response resp = RLP_HTTP_RESPONSE_INIT;
	char *url = strdup(path), *next = NULL, link[8192];
	unsigned pages = 0;
	int error = 0;

	if (!url)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	while (url) {
		if (++pages > c->max_pages) {
			error = fail(c, RLP_ERROR, "GET %s: more than %u pages; stopping", path,
				     c->max_pages);
			break;
		}
		if ((error = rlp_http_call(&resp, c, RLP_HTTP_GET, url, NULL)) < 0 ||
		    (error = rlp_http_check(&resp, c, RLP_HTTP_GET, url)) < 0)
			break;
		if ((error = each(payload, &resp)) != 0) {
			error = error > 0 ? 0 : error;
			break;
		}
		free(url);
		url = NULL;
		if (!rlp_http_header(&resp, "link", link, sizeof(link)) ||
		    !(next = rlp_http_link_next(link)))
			break;
		if (!rlp_http_same_origin(next, c->base_url)) {
			say(c, "GET %s: not following its next page on another host (%s)", path, next);
			free(next);
			break;
		}
		url = next;
	}
	free(url);
	rlp_http_response_clear(&resp);
	return error;
}
