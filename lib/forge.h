/*
 * The forges behind one small interface (FORGE.md): pull requests (GitLab:
 * merge requests), their comments (GitLab: notes), and a commit's check.
 * GitHub (and GitHub Enterprise Server), Gitea/Forgejo and GitLab differ in
 * paths, field names, duplicate answers and states; callers do not see it.
 * Every request goes through lib/http.h, so tests replace the transport.
 */
#ifndef RLP_FORGE_H
#define RLP_FORGE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

enum rlp_forge_kind { RLP_FORGE_GITHUB, RLP_FORGE_GITEA, RLP_FORGE_GITLAB };

/* PR bodies and check texts are cut to these many bytes (the forges count
 * characters; bytes are never fewer). */
#define RLP_FORGE_BODY_MAX 65536
#define RLP_FORGE_CHECK_TEXT_MAX 65535

struct rlp_forge_options {
	enum rlp_forge_kind kind;
	const char *api_url;  /* https://api.github.com, https://HOST/api/v3|v1|v4 */
	const char *repo;     /* owner/name; GitLab: the project's path or numeric id */
	const char *token;    /* NULL: anonymous */
	bool job_token;       /* GitLab's CI_JOB_TOKEN (sent as JOB-TOKEN) */
	const struct rlp_http_transport *transport; /* NULL: libcurl */
	void (*trace)(void *ctx, const char *line);
	void (*warn)(void *ctx, const char *line);
	void *log_ctx;
};

struct rlp_forge;

int rlp_forge_open(struct rlp_forge **out, const struct rlp_forge_options *opts);
void rlp_forge_free(struct rlp_forge *f);
struct rlp_http_client *rlp_forge_http(struct rlp_forge *f);

const char *rlp_forge_kind_name(enum rlp_forge_kind kind);
/* "github", "gitea" (or "forgejo"), "gitlab"; RLP_EINVALID otherwise. */
int rlp_forge_kind_parse(enum rlp_forge_kind *out, const char *name);

/* Host and "owner/name" of a remote URL (https://host/o/r.git,
 * git@host:o/r.git, ssh://git@host:22/o/r); RLP_EINVALID when it has none
 * (a local path). */
int rlp_forge_parse_remote(char *host, size_t host_size, char *repo, size_t repo_size,
			   const char *url);
/* The forge a host name suggests ("github" or "gitlab" in it); -1: unknown. */
int rlp_forge_guess_kind(const char *host);
/* The API base of a forge on `host`: api.github.com for github.com,
 * else https://HOST/api/v3 (GHES), /api/v1 (Gitea) or /api/v4 (GitLab). */
void rlp_forge_default_api(char *buf, size_t size, enum rlp_forge_kind kind, const char *host);

/* ---- pull requests ---- */

struct rlp_forge_pr {
	long number;     /* GitLab: the merge request's iid */
	char url[512];   /* for people */
};

struct rlp_forge_pr_spec {
	const char *branch;  /* the head branch, in the same repository */
	const char *base;
	const char *title;
	const char *body;    /* cut to RLP_FORGE_BODY_MAX by the caller */
	bool draft;          /* on creation only */
};

/* The open PR from `branch` into `base`; RLP_ENOTFOUND when there is none. */
int rlp_forge_pr_find(struct rlp_forge_pr *out, struct rlp_forge *f, const char *branch,
		      const char *base);

/* Update the open PR of spec->branch, or open one: never a second. A create
 * that loses a race (the forge says it exists) finds and updates instead.
 * *created says which happened. */
int rlp_forge_pr_upsert(struct rlp_forge_pr *out, bool *created, struct rlp_forge *f,
			const struct rlp_forge_pr_spec *spec);

/* ---- comments ---- */

struct rlp_forge_comment {
	long long id;
	char *body;
};

/* A PR's comments, oldest first (GitLab's system notes left out). */
int rlp_forge_comments(struct rlp_forge_comment **out, size_t *n, struct rlp_forge *f, long pr);
void rlp_forge_comments_free(struct rlp_forge_comment *comments, size_t n);
int rlp_forge_comment_create(long long *id, struct rlp_forge *f, long pr, const char *body);
int rlp_forge_comment_update(struct rlp_forge *f, long pr, long long id, const char *body);

enum rlp_forge_sticky { RLP_STICKY_CREATED, RLP_STICKY_UPDATED, RLP_STICKY_UNCHANGED };

/* Keep one comment holding `marker` up to date: the newest such comment is
 * updated when its body differs, else a comment is created. */
int rlp_forge_sticky_comment(enum rlp_forge_sticky *what, long long *id, struct rlp_forge *f,
			     long pr, const char *marker, const char *body);

/* ---- checks ---- */

enum rlp_forge_state { RLP_FORGE_SUCCESS, RLP_FORGE_FAILURE, RLP_FORGE_PENDING, RLP_FORGE_ERROR };

struct rlp_forge_check {
	const char *name;        /* check run name / status context */
	const char *sha;
	enum rlp_forge_state state;
	const char *title;       /* one line; statuses get its first 140 bytes */
	const char *summary;     /* markdown; check runs only */
	const char *details_url; /* NULL: none */
};

enum rlp_forge_check_via { RLP_FORGE_CHECK_RUN, RLP_FORGE_COMMIT_STATUS };

/* GitHub: a check run, or a commit status when the token may not create
 * check runs (403). Gitea and GitLab: a commit status. */
int rlp_forge_check_set(enum rlp_forge_check_via *via, struct rlp_forge *f,
			const struct rlp_forge_check *check);

/* Cut `text` to at most `max` bytes (at a line break, else a UTF-8
 * boundary), ending with `note`; a text that fits is left alone. Returns
 * whether it cut. */
bool rlp_forge_truncate(char *text, size_t max, const char *note);

#endif
