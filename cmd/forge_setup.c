/* Finding the forge, its API, the repository and the token; running git. */
#include "forge_setup.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static bool config_string(char *buf, size_t size, struct rlp_store *store, const char *name)
{
	git_config *cfg = NULL;
	git_buf value = {0};
	bool found = false;

	if (git_repository_config_snapshot(&cfg, store->repo) == 0 &&
	    git_config_get_string_buf(&value, cfg, name) == 0) {
		snprintf(buf, size, "%s", value.ptr);
		found = true;
	}
	git_buf_dispose(&value);
	git_config_free(cfg);
	return found;
}

static void log_trace(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "trace: %s\n", line);
}

static void log_warn(void *ctx, const char *line)
{
	(void)ctx;
	warning("%s", line);
}

struct rlp_forge *open_forge(struct rlp_store *store, const char *flag, const char *remote,
			     enum rlp_forge_kind *kind_out)
{
	char name[64], api[512] = "", repo[256] = "", host[256] = "", url_repo[256] = "";
	const char *token = NULL, *url = NULL;
	git_remote *r = NULL;
	enum rlp_forge_kind kind;
	bool job_token = false, have_kind = false;
	int guessed = -1;

	if (git_remote_lookup(&r, store->repo, remote) == 0 && (url = git_remote_url(r)) &&
	    rlp_forge_parse_remote(host, sizeof(host), url_repo, sizeof(url_repo), url) == 0)
		guessed = rlp_forge_guess_kind(host);
	if (flag || config_string(name, sizeof(name), store, "rlpromote.forge")) {
		if (rlp_forge_kind_parse(&kind, flag ? flag : name) < 0)
			die("%s", rlp_error_last());
		have_kind = true;
	}
	else if (env("GITEA_ACTIONS") || env("FORGEJO_ACTIONS"))
		kind = RLP_FORGE_GITEA, have_kind = true;
	else if (env("GITHUB_ACTIONS"))
		kind = RLP_FORGE_GITHUB, have_kind = true;
	else if (env("GITLAB_CI"))
		kind = RLP_FORGE_GITLAB, have_kind = true;
	else if (guessed >= 0)
		kind = (enum rlp_forge_kind)guessed, have_kind = true;
	if (!have_kind)
		die("cannot tell which forge '%s' is on; pass --forge github|gitea|gitlab "
		    "or set rlpromote.forge", remote);

	bool actions = kind != RLP_FORGE_GITLAB; /* GitHub Actions, and Gitea's, set these */
	if (!config_string(api, sizeof(api), store, "rlpromote.apiUrl")) {
		const char *e = actions ? env("GITHUB_API_URL") : env("CI_API_V4_URL");
		if (e)
			snprintf(api, sizeof(api), "%s", e);
		else if (*host)
			rlp_forge_default_api(api, sizeof(api), kind, host);
		else
			die("no API URL for remote '%s': set rlpromote.apiUrl", remote);
	}
	if (!config_string(repo, sizeof(repo), store, "rlpromote.forgeRepo")) {
		const char *e = actions ? env("GITHUB_REPOSITORY") : env("CI_PROJECT_PATH");
		if (e)
			snprintf(repo, sizeof(repo), "%s", e);
		else if (*url_repo)
			snprintf(repo, sizeof(repo), "%s", url_repo);
		else
			die("no repository name for remote '%s': set rlpromote.forgeRepo (owner/name)",
			    remote);
	}
	token = env("RLPROMOTE_TOKEN");
	if (!token)
		token = env(kind == RLP_FORGE_GITHUB ? "GITHUB_TOKEN"
			    : kind == RLP_FORGE_GITEA ? "GITEA_TOKEN"
						      : "GITLAB_TOKEN");
	if (!token && kind == RLP_FORGE_GITEA)
		token = env("GITHUB_TOKEN"); /* Gitea Actions hands out this one */
	if (!token && kind == RLP_FORGE_GITLAB && (token = env("CI_JOB_TOKEN")))
		job_token = true;
	if (!token)
		die("no token for %s: set RLPROMOTE_TOKEN", rlp_forge_kind_name(kind));

	struct rlp_forge *f = NULL;
	struct rlp_forge_options o = {
		.kind = kind, .api_url = api, .repo = repo, .token = token, .job_token = job_token,
		.trace = env("RLPROMOTE_TRACE") ? log_trace : NULL, .warn = log_warn,
	};
	if (rlp_forge_open(&f, &o) < 0)
		die("%s", rlp_error_last());
	git_remote_free(r);
	if (kind_out)
		*kind_out = kind;
	return f;
}

int run_git(struct rlp_proc *out, struct rlp_store *store, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	struct rlp_proc_options o = RLP_PROC_OPTIONS_INIT;

	argv[n++] = "git";
	argv[n++] = "--git-dir";
	argv[n++] = git_repository_path(store->repo);
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	o.timeout_ms = 10 * 60 * 1000;
	o.out_max = 16u << 20;
	if (rlp_proc_run(out, argv, &o) < 0)
		return -1;
	return out->status == 0 ? 0 : -1;
}

void must_git(struct rlp_proc *out, struct rlp_store *store, const char *what,
	      const char *const *args)
{
	if (run_git(out, store, args) == 0)
		return;
	die("%s failed: %s", what,
	    out->err.ptr && *out->err.ptr ? out->err.ptr : rlp_error_last());
}
