/* GitHub, Gitea/Forgejo and GitLab behind lib/forge.h; the table in
 * FORGE.md says where they differ. */
#include "forge.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "json.h"

#define PATH_MAX_LEN 2048

struct rlp_forge {
	enum rlp_forge_kind kind;
	struct rlp_http_client *http;
	char *repo;    /* owner/name as given */
	char *owner;   /* GitHub's head=OWNER:BRANCH */
	char *project; /* GitLab: the path, percent-encoded */
};

const char *rlp_forge_kind_name(enum rlp_forge_kind kind)
{
	static const char *const names[] = {"github", "gitea", "gitlab"};
	return names[kind];
}

int rlp_forge_kind_parse(enum rlp_forge_kind *out, const char *name)
{
	if (!strcmp(name, "github"))
		*out = RLP_FORGE_GITHUB;
	else if (!strcmp(name, "gitea") || !strcmp(name, "forgejo"))
		*out = RLP_FORGE_GITEA;
	else if (!strcmp(name, "gitlab"))
		*out = RLP_FORGE_GITLAB;
	else
		return rlp_error_set(RLP_EINVALID, "unknown forge '%s' (github, gitea or gitlab)", name);
	return 0;
}

/* ---- remotes ---- */

int rlp_forge_parse_remote(char *host, size_t host_size, char *repo, size_t repo_size,
			   const char *url)
{
	const char *h, *path;
	size_t hl;

	if (strstr(url, "://")) {
		if (!strncmp(url, "file://", 7))
			goto none;
		h = strstr(url, "://") + 3;
		const char *slash = strchr(h, '/');
		if (!slash)
			goto none;
		const char *at = memchr(h, '@', (size_t)(slash - h));
		if (at)
			h = at + 1;
		const char *colon = memchr(h, ':', (size_t)(slash - h));
		hl = (size_t)((colon ? colon : slash) - h);
		path = slash + 1;
	}
	else {
		/* scp-like: [user@]host:path, where host has no '/' before the ':' */
		const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
		if (!colon || (slash && slash < colon))
			goto none;
		h = url;
		const char *at = memchr(url, '@', (size_t)(colon - url));
		if (at)
			h = at + 1;
		hl = (size_t)(colon - h);
		path = colon + 1;
	}
	while (*path == '/')
		path++;
	size_t pl = strlen(path);
	while (pl && path[pl - 1] == '/')
		pl--;
	if (pl > 4 && !strncmp(path + pl - 4, ".git", 4))
		pl -= 4;
	if (!hl || hl >= host_size || !pl || pl >= repo_size || !memchr(path, '/', pl))
		goto none;
	snprintf(host, host_size, "%.*s", (int)hl, h);
	snprintf(repo, repo_size, "%.*s", (int)pl, path);
	return 0;
none:
	return rlp_error_set(RLP_EINVALID, "cannot tell a forge repository from the URL '%s'", url);
}

int rlp_forge_guess_kind(const char *host)
{
	if (strstr(host, "github"))
		return RLP_FORGE_GITHUB;
	if (strstr(host, "gitlab"))
		return RLP_FORGE_GITLAB;
	if (strstr(host, "gitea") || strstr(host, "forgejo") || strstr(host, "codeberg"))
		return RLP_FORGE_GITEA;
	return -1;
}

void rlp_forge_default_api(char *buf, size_t size, enum rlp_forge_kind kind, const char *host)
{
	static const char *const suffix[] = {"/api/v3", "/api/v1", "/api/v4"};
	if (kind == RLP_FORGE_GITHUB && !strcmp(host, "github.com"))
		snprintf(buf, size, "https://api.github.com");
	else
		snprintf(buf, size, "https://%s%s", host, suffix[kind]);
}

/* ---- open ---- */

/* Percent-encode all but the unreserved characters (and '/' when keep_slash). */
static char *encode(const char *s, bool keep_slash)
{
	struct rlp_buf b = RLP_BUF_INIT;
	char *out = NULL;

	rlp_buf_puts(&b, "");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p) || (keep_slash && *p == '/'))
			rlp_buf_putc(&b, (char)*p);
		else
			rlp_buf_printf(&b, "%%%02X", *p);
	}
	rlp_buf_detach(&out, &b);
	return out;
}

int rlp_forge_open(struct rlp_forge **out, const struct rlp_forge_options *opts)
{
	static const char *const github_headers[] = {"X-GitHub-Api-Version: 2022-11-28", NULL};
	struct rlp_forge *f = calloc(1, sizeof(*f));
	int error;

	*out = NULL;
	if (!f)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	f->kind = opts->kind;
	if (!opts->repo || !*opts->repo ||
	    (opts->kind != RLP_FORGE_GITLAB && !strchr(opts->repo, '/'))) {
		free(f);
		return rlp_error_set(RLP_EINVALID, "not a repository name (owner/name): '%s'",
				     opts->repo ? opts->repo : "");
	}
	struct rlp_http_options h = {
		.transport = opts->transport, .base_url = opts->api_url, .token = opts->token,
		.trace = opts->trace, .warn = opts->warn, .log_ctx = opts->log_ctx,
	};
	switch (opts->kind) {
	case RLP_FORGE_GITHUB:
		h.auth_header = "Authorization";
		h.auth_scheme = "Bearer";
		/* the vendor type for GitHub; application/json too, which mock servers need */
		h.accept = "application/vnd.github+json, application/json";
		h.extra_headers = github_headers;
		break;
	case RLP_FORGE_GITEA:
		h.auth_header = "Authorization";
		h.auth_scheme = "token";
		break;
	case RLP_FORGE_GITLAB:
		h.auth_header = opts->job_token ? "JOB-TOKEN" : "PRIVATE-TOKEN";
		break;
	}
	if ((error = rlp_http_client_new(&f->http, &h)) < 0) {
		free(f);
		return error;
	}
	f->repo = strdup(opts->repo);
	f->owner = strndup(opts->repo, strcspn(opts->repo, "/"));
	f->project = encode(opts->repo, false);
	if (!f->repo || !f->owner || !f->project) {
		rlp_forge_free(f);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	*out = f;
	return 0;
}

void rlp_forge_free(struct rlp_forge *f)
{
	if (!f)
		return;
	rlp_http_client_free(f->http);
	free(f->repo);
	free(f->owner);
	free(f->project);
	free(f);
}

struct rlp_http_client *rlp_forge_http(struct rlp_forge *f)
{
	return f->http;
}

/* ---- requests ---- */

/* "/repos/o/r" or "/projects/<id>", then the rest. */
__attribute__((format(printf, 4, 5))) static void path_of(char *buf, size_t size,
							  const struct rlp_forge *f,
							  const char *fmt, ...)
{
	int n = f->kind == RLP_FORGE_GITLAB ? snprintf(buf, size, "/projects/%s", f->project)
					    : snprintf(buf, size, "/repos/%s", f->repo);
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < size)
		vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	va_end(ap);
}

/* One request with a JSON body (may be NULL); *json gets the parsed answer
 * of a 2xx, and *status the status whatever it was. Non-2xx statuses are
 * not errors here: the caller checks with rlp_http_check. */
static int call(struct rlp_json **json, long *status, struct rlp_forge *f,
		enum rlp_http_method method, const char *path, const struct rlp_json *body)
{
	struct rlp_http_response resp = RLP_HTTP_RESPONSE_INIT;
	char *text = NULL;
	int error;

	if (json)
		*json = NULL;
	if (body && !(text = rlp_json_print(body, false)))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	error = rlp_http_call(&resp, f->http, method, path, text);
	free(text);
	if (error < 0)
		goto done;
	*status = resp.status;
	if ((error = rlp_http_check(&resp, f->http, method, path)) < 0) {
		/* the caller decides about 4xx; keep the message for it */
		error = resp.status >= 400 && resp.status < 500 ? 0 : error;
		goto done;
	}
	if (json && resp.body.len &&
	    !(*json = rlp_json_parse(resp.body.ptr, resp.body.len, NULL)))
		error = rlp_error_wrap(RLP_ERROR, "%s %s: the answer", rlp_http_method_name(method),
				       path);
done:
	rlp_http_response_clear(&resp);
	return error;
}

/* The last non-2xx call's message (rlp_http_check set it), with its code. */
static int status_error(long status)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", rlp_error_last());
	return rlp_error_set(status == 403 || status == 401	 ? RLP_EPERM
			     : status == 404			 ? RLP_ENOTFOUND
			     : status == 409 || status == 422 ? RLP_ECONFLICT
							      : RLP_ERROR,
			     "%s", msg);
}

static int pr_from_json(struct rlp_forge_pr *out, const struct rlp_forge *f,
			const struct rlp_json *j)
{
	const char *num = f->kind == RLP_FORGE_GITLAB ? "iid" : "number";
	const char *url = f->kind == RLP_FORGE_GITLAB ? "web_url" : "html_url";

	if (!rlp_json_is_finite_number(rlp_json_get(j, num)))
		return rlp_error_set(RLP_ERROR, "the forge's answer has no pull request %s", num);
	out->number = (long)rlp_json_number(rlp_json_get(j, num));
	snprintf(out->url, sizeof(out->url), "%s",
		 rlp_json_string(rlp_json_get(j, url)) ? rlp_json_string(rlp_json_get(j, url)) : "");
	return 0;
}

int rlp_forge_pr_find(struct rlp_forge_pr *out, struct rlp_forge *f, const char *branch,
		      const char *base)
{
	struct rlp_json *j = NULL;
	char path[PATH_MAX_LEN];
	char *eb = encode(branch, false), *ebase = encode(base, false), *eo = encode(f->owner, false);
	long status = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if (!eb || !ebase || !eo) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	switch (f->kind) {
	case RLP_FORGE_GITHUB: /* without the owner, GitHub ignores the filter */
		path_of(path, sizeof(path), f, "/pulls?head=%s%%3A%s&base=%s&state=open", eo, eb,
			ebase);
		break;
	case RLP_FORGE_GITEA:
		free(eb);
		eb = encode(branch, true);
		path_of(path, sizeof(path), f, "/pulls/%s/%s", ebase, eb ? eb : "");
		break;
	case RLP_FORGE_GITLAB:
		path_of(path, sizeof(path), f,
			"/merge_requests?state=opened&source_branch=%s&target_branch=%s", eb, ebase);
		break;
	}
	if ((error = call(&j, &status, f, RLP_HTTP_GET, path, NULL)) < 0)
		goto done;
	if (status == 404 && f->kind == RLP_FORGE_GITEA) {
		error = rlp_error_set(RLP_ENOTFOUND, "no pull request from '%s'", branch);
		goto done;
	}
	if (status >= 300) {
		error = status_error(status);
		goto done;
	}
	if (f->kind == RLP_FORGE_GITEA) {
		const char *state = rlp_json_string(rlp_json_get(j, "state"));
		if (state && strcmp(state, "open")) {
			error = rlp_error_set(RLP_ENOTFOUND, "no open pull request from '%s'", branch);
			goto done;
		}
		error = pr_from_json(out, f, j);
	}
	else if (!rlp_json_size(j))
		error = rlp_error_set(RLP_ENOTFOUND, "no open pull request from '%s'", branch);
	else
		error = pr_from_json(out, f, rlp_json_first(j));
done:
	rlp_json_free(j);
	free(eb);
	free(ebase);
	free(eo);
	return error;
}

static int pr_update(struct rlp_forge_pr *pr, struct rlp_forge *f,
		     const struct rlp_forge_pr_spec *spec)
{
	struct rlp_json *body = rlp_json_new_object(), *j = NULL;
	char path[PATH_MAX_LEN];
	long status = 0;
	int error;

	rlp_json_add_string(body, "title", spec->title);
	rlp_json_add_string(body, f->kind == RLP_FORGE_GITLAB ? "description" : "body", spec->body);
	if (f->kind == RLP_FORGE_GITLAB)
		path_of(path, sizeof(path), f, "/merge_requests/%ld", pr->number);
	else
		path_of(path, sizeof(path), f, "/pulls/%ld", pr->number);
	if (!body)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
	else if ((error = call(&j, &status, f,
			       f->kind == RLP_FORGE_GITLAB ? RLP_HTTP_PUT : RLP_HTTP_PATCH, path,
			       body)) == 0 &&
		 status >= 300)
		error = status_error(status);
	else if (error == 0 && j)
		error = pr_from_json(pr, f, j);
	rlp_json_free(j);
	rlp_json_free(body);
	return error;
}

static int pr_create(struct rlp_forge_pr *pr, long *status, struct rlp_forge *f,
		     const struct rlp_forge_pr_spec *spec)
{
	struct rlp_json *body = rlp_json_new_object(), *j = NULL;
	struct rlp_buf title = RLP_BUF_INIT;
	char path[PATH_MAX_LEN];
	int error;

	/* Gitea and GitLab mark drafts by title */
	if (spec->draft && f->kind == RLP_FORGE_GITLAB)
		rlp_buf_puts(&title, "Draft: ");
	else if (spec->draft && f->kind == RLP_FORGE_GITEA)
		rlp_buf_puts(&title, "WIP: ");
	rlp_buf_puts(&title, spec->title);
	if (f->kind == RLP_FORGE_GITLAB) {
		path_of(path, sizeof(path), f, "/merge_requests");
		rlp_json_add_string(body, "source_branch", spec->branch);
		rlp_json_add_string(body, "target_branch", spec->base);
		rlp_json_add_string(body, "title", title.ptr);
		rlp_json_add_string(body, "description", spec->body);
	}
	else {
		path_of(path, sizeof(path), f, "/pulls");
		rlp_json_add_string(body, "title", title.ptr);
		rlp_json_add_string(body, "head", spec->branch);
		rlp_json_add_string(body, "base", spec->base);
		rlp_json_add_string(body, "body", spec->body);
		if (f->kind == RLP_FORGE_GITHUB)
			rlp_json_add_bool(body, "draft", spec->draft);
	}
	if (!body || title.failed)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
	else if ((error = call(&j, status, f, RLP_HTTP_POST, path, body)) == 0 && *status < 300)
		error = pr_from_json(pr, f, j);
	rlp_json_free(j);
	rlp_json_free(body);
	rlp_buf_free(&title);
	return error;
}

int rlp_forge_pr_upsert(struct rlp_forge_pr *out, bool *created, struct rlp_forge *f,
			const struct rlp_forge_pr_spec *spec)
{
	long status = 0;
	int error;

	*created = false;
	error = rlp_forge_pr_find(out, f, spec->branch, spec->base);
	if (error == 0)
		return pr_update(out, f, spec);
	if (error != RLP_ENOTFOUND)
		return error;
	error = pr_create(out, &status, f, spec);
	if (error == RLP_ETIMEOUT) {
		/* it may have landed: look before anything else */
		if (rlp_forge_pr_find(out, f, spec->branch, spec->base) == 0)
			return pr_update(out, f, spec);
		return rlp_error_set(RLP_ETIMEOUT,
				     "opening the pull request timed out and none is open for '%s'",
				     spec->branch);
	}
	if (error < 0)
		return error;
	if (status < 300) {
		*created = true;
		return 0;
	}
	/* 422 (GitHub), 409 (Gitea, GitLab): someone opened it meanwhile */
	if (status == 422 || status == 409) {
		char why[512];
		snprintf(why, sizeof(why), "%s", rlp_error_last());
		if (rlp_forge_pr_find(out, f, spec->branch, spec->base) == 0)
			return pr_update(out, f, spec);
		return rlp_error_set(RLP_ECONFLICT, "%s", why);
	}
	return status_error(status);
}

/* ---- comments ---- */

struct comment_list {
	struct rlp_forge_comment *items;
	size_t n, cap;
	bool gitlab;
};

static int collect_comments(void *payload, const struct rlp_http_response *resp)
{
	struct comment_list *l = payload;
	struct rlp_json *j = rlp_json_parse(resp->body.ptr, resp->body.len, NULL);
	int error = 0;

	if (!rlp_json_is_array(j)) {
		rlp_json_free(j);
		return rlp_error_set(RLP_ERROR, "the forge's comment list is not a JSON array");
	}
	for (struct rlp_json *c = rlp_json_first(j); c; c = rlp_json_next(c)) {
		const char *body = rlp_json_string(rlp_json_get(c, "body"));
		if (l->gitlab && rlp_json_is_true(rlp_json_get(c, "system")))
			continue;
		if (!rlp_json_is_finite_number(rlp_json_get(c, "id")))
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 32;
			struct rlp_forge_comment *p = realloc(l->items, cap * sizeof(*p));
			if (!p) {
				error = rlp_error_set(RLP_ENOMEM, "out of memory");
				break;
			}
			l->items = p;
			l->cap = cap;
		}
		l->items[l->n].id = (long long)rlp_json_number(rlp_json_get(c, "id"));
		if (!(l->items[l->n].body = strdup(body ? body : ""))) {
			error = rlp_error_set(RLP_ENOMEM, "out of memory");
			break;
		}
		l->n++;
	}
	rlp_json_free(j);
	return error;
}

int rlp_forge_comments(struct rlp_forge_comment **out, size_t *n, struct rlp_forge *f, long pr)
{
	struct comment_list l = {NULL, 0, 0, f->kind == RLP_FORGE_GITLAB};
	char path[PATH_MAX_LEN];
	int error;

	*out = NULL;
	*n = 0;
	switch (f->kind) {
	case RLP_FORGE_GITHUB:
		path_of(path, sizeof(path), f, "/issues/%ld/comments?per_page=100", pr);
		break;
	case RLP_FORGE_GITEA:
		path_of(path, sizeof(path), f, "/issues/%ld/comments?limit=50", pr);
		break;
	case RLP_FORGE_GITLAB:
		path_of(path, sizeof(path), f,
			"/merge_requests/%ld/notes?per_page=100&sort=asc&order_by=created_at", pr);
		break;
	}
	if ((error = rlp_http_pages(f->http, path, collect_comments, &l)) < 0) {
		rlp_forge_comments_free(l.items, l.n);
		return error;
	}
	*out = l.items;
	*n = l.n;
	return 0;
}

void rlp_forge_comments_free(struct rlp_forge_comment *comments, size_t n)
{
	for (size_t i = 0; comments && i < n; i++)
		free(comments[i].body);
	free(comments);
}

int rlp_forge_comment_create(long long *id, struct rlp_forge *f, long pr, const char *body)
{
	struct rlp_json *b = rlp_json_new_object(), *j = NULL;
	char path[PATH_MAX_LEN];
	long status = 0;
	int error;

	if (f->kind == RLP_FORGE_GITLAB)
		path_of(path, sizeof(path), f, "/merge_requests/%ld/notes", pr);
	else
		path_of(path, sizeof(path), f, "/issues/%ld/comments", pr);
	rlp_json_add_string(b, "body", body);
	if (!b)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
	else if ((error = call(&j, &status, f, RLP_HTTP_POST, path, b)) == 0 && status >= 300)
		error = status_error(status);
	else if (error == 0 && id)
		*id = (long long)rlp_json_number(rlp_json_get(j, "id"));
	rlp_json_free(j);
	rlp_json_free(b);
	return error;
}

int rlp_forge_comment_update(struct rlp_forge *f, long pr, long long id, const char *body)
{
	struct rlp_json *b = rlp_json_new_object();
	char path[PATH_MAX_LEN];
	long status = 0;
	int error;

	if (f->kind == RLP_FORGE_GITLAB)
		path_of(path, sizeof(path), f, "/merge_requests/%ld/notes/%lld", pr, id);
	else
		path_of(path, sizeof(path), f, "/issues/comments/%lld", id);
	rlp_json_add_string(b, "body", body);
	if (!b)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
	else if ((error = call(NULL, &status, f,
			       f->kind == RLP_FORGE_GITLAB ? RLP_HTTP_PUT : RLP_HTTP_PATCH, path, b)) ==
			 0 &&
		 status >= 300)
		error = status_error(status);
	rlp_json_free(b);
	return error;
}

int rlp_forge_sticky_comment(enum rlp_forge_sticky *what, long long *id, struct rlp_forge *f,
			     long pr, const char *marker, const char *body)
{
	struct rlp_forge_comment *list = NULL;
	size_t n = 0, newest = SIZE_MAX;
	int error;

	if ((error = rlp_forge_comments(&list, &n, f, pr)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if (strstr(list[i].body, marker))
			newest = i;
	if (newest == SIZE_MAX) {
		*what = RLP_STICKY_CREATED;
		error = rlp_forge_comment_create(id, f, pr, body);
	}
	else {
		*id = list[newest].id;
		/* forges may normalise line ends: compare without carriage returns */
		struct rlp_buf a = RLP_BUF_INIT;
		for (const char *p = list[newest].body; *p; p++)
			if (*p != '\r')
				rlp_buf_putc(&a, *p);
		if (a.ptr && !strcmp(a.ptr, body))
			*what = RLP_STICKY_UNCHANGED;
		else {
			*what = RLP_STICKY_UPDATED;
			error = rlp_forge_comment_update(f, pr, *id, body);
		}
		rlp_buf_free(&a);
	}
	rlp_forge_comments_free(list, n);
	return error;
}

/* ---- checks ---- */

static int commit_status(struct rlp_forge *f, const struct rlp_forge_check *check)
{
	static const char *const github[] = {"success", "failure", "pending", "error"};
	static const char *const gitlab[] = {"success", "failed", "pending", "failed"};
	struct rlp_json *b = rlp_json_new_object();
	char path[PATH_MAX_LEN], desc[141];
	long status = 0;
	int error;

	/* statuses take 140 characters of description: cut at a UTF-8 boundary */
	size_t cut = strlen(check->title);
	if (cut > 140)
		for (cut = 140; cut && ((unsigned char)check->title[cut] & 0xc0) == 0x80;)
			cut--;
	snprintf(desc, sizeof(desc), "%.*s", (int)cut, check->title);
	path_of(path, sizeof(path), f, "/statuses/%s", check->sha);
	if (f->kind == RLP_FORGE_GITLAB) {
		rlp_json_add_string(b, "state", gitlab[check->state]);
		rlp_json_add_string(b, "name", check->name);
	}
	else {
		rlp_json_add_string(b, "state", github[check->state]);
		rlp_json_add_string(b, "context", check->name);
	}
	rlp_json_add_string(b, "description", desc);
	if (check->details_url)
		rlp_json_add_string(b, "target_url", check->details_url);
	if (!b)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
	else if ((error = call(NULL, &status, f, RLP_HTTP_POST, path, b)) == 0 && status >= 300)
		error = status_error(status);
	rlp_json_free(b);
	return error;
}

int rlp_forge_check_set(enum rlp_forge_check_via *via, struct rlp_forge *f,
			const struct rlp_forge_check *check)
{
	static const char *const conclusion[] = {"success", "failure", "action_required", "failure"};
	struct rlp_json *b = NULL, *o;
	char path[PATH_MAX_LEN], *summary = NULL;
	long status = 0;
	int error;

	*via = RLP_FORGE_COMMIT_STATUS;
	if (f->kind != RLP_FORGE_GITHUB)
		return commit_status(f, check);
	*via = RLP_FORGE_CHECK_RUN;
	/* action_required needs a details_url; without one a HOLD fails the check */
	enum rlp_forge_state state = check->state;
	const char *concl = state == RLP_FORGE_PENDING && !check->details_url
				    ? "failure"
				    : conclusion[state];
	if (!(summary = strdup(check->summary ? check->summary : "")))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	rlp_forge_truncate(summary, RLP_FORGE_CHECK_TEXT_MAX,
			   "\n\n*(cut: the check's summary takes at most 65535 characters)*\n");
	b = rlp_json_new_object();
	rlp_json_add_string(b, "name", check->name);
	rlp_json_add_string(b, "head_sha", check->sha);
	rlp_json_add_string(b, "status", "completed");
	rlp_json_add_string(b, "conclusion", concl);
	if (check->details_url)
		rlp_json_add_string(b, "details_url", check->details_url);
	o = rlp_json_add_object(b, "output");
	rlp_json_add_string(o, "title", check->title);
	rlp_json_add_string(o, "summary", summary);
	path_of(path, sizeof(path), f, "/check-runs");
	if (!b || !o)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
	else if ((error = call(NULL, &status, f, RLP_HTTP_POST, path, b)) == 0 && status >= 300) {
		if (status == 403) { /* tokens other than an app's: a commit status instead */
			*via = RLP_FORGE_COMMIT_STATUS;
			error = commit_status(f, check);
		}
		else
			error = status_error(status);
	}
	rlp_json_free(b);
	free(summary);
	return error;
}

bool rlp_forge_truncate(char *text, size_t max, const char *note)
{
	size_t len = strlen(text), nl = strlen(note), cut, floor;

	if (len <= max)
		return false;
	if (nl >= max)
		note = "", nl = 0;
	cut = max - nl;
	/* back to a line break in the last quarter, else to a UTF-8 boundary */
	floor = cut - cut / 4;
	for (size_t i = cut; i > floor; i--)
		if (text[i - 1] == '\n') {
			cut = i;
			break;
		}
	while (cut && ((unsigned char)text[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(text + cut, note, nl + 1);
	return true;
}
