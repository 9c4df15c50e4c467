/* git rlpromote ci: the gate of a pull request that changes a stage
 * manifest, in GitHub Actions (FORGE.md): re-checked under the base
 * branch's policy, reported in one sticky comment, a check run (or commit
 * status), the job summary, outputs and annotations; the exit code is the
 * verdict. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "artifact.h"
#include "buf.h"
#include "cmd.h"
#include "error.h"
#include "forge_setup.h"
#include "json.h"
#include "manifest.h"
#include "pr_report.h"

#define RLP_EXIT_HOLD 2
#define EVENT_MAX (25u << 20)
#define SUMMARY_MAX ((size_t)1 << 20)
#define MARKER "<!-- rlpromote:report"
#define MAX_ITEMS 16

struct pull {
	long number;
	char head_sha[41], base_sha[41], base_ref[256];
	bool fork;
};

/* One manifest the pull request changes, and its gate. */
struct item {
	char path[512], stage[128];
	struct rlp_manifest m;
	struct pr_report rep;
	bool gated;
	enum rlp_outcome outcome;
	char *markdown; /* when not gated: why */
};

static const char *str_at(const struct rlp_json *j, const char *a, const char *b, const char *c)
{
	const struct rlp_json *n = rlp_json_get(j, a);
	if (b)
		n = rlp_json_get(n, b);
	if (c)
		n = rlp_json_get(n, c);
	return rlp_json_string(n);
}

static void read_event(struct pull *pr)
{
	const char *path = getenv("GITHUB_EVENT_PATH");
	struct rlp_json *ev, *p;
	char *text;
	size_t len;

	if (!path || !*path)
		die("GITHUB_EVENT_PATH is not set: 'ci' runs in GitHub Actions on pull_request");
	if (rlp_read_file(&text, &len, path, EVENT_MAX) < 0)
		die("%s", rlp_error_last());
	if (!(ev = rlp_json_parse(text, len, NULL)))
		die("%s: %s", path, rlp_error_last());
	free(text);
	p = rlp_json_get(ev, "pull_request");
	const char *head = str_at(p, "head", "sha", NULL), *base = str_at(p, "base", "sha", NULL);
	const char *ref = str_at(p, "base", "ref", NULL);
	if (!rlp_json_is_finite_number(rlp_json_get(p, "number")) || !head || !base || !ref ||
	    strlen(head) != 40 || strlen(base) != 40)
		die("%s holds no pull_request event (number, head.sha, base.sha, base.ref)", path);
	pr->number = (long)rlp_json_number(rlp_json_get(p, "number"));
	snprintf(pr->head_sha, sizeof(pr->head_sha), "%s", head);
	snprintf(pr->base_sha, sizeof(pr->base_sha), "%s", base);
	snprintf(pr->base_ref, sizeof(pr->base_ref), "%s", ref);
	const char *hr = str_at(p, "head", "repo", "full_name");
	const char *br = str_at(p, "base", "repo", "full_name");
	pr->fork = !hr || !br || strcmp(hr, br);
	rlp_json_free(ev);
}

static bool have_commit(struct rlp_store *store, const git_oid *id)
{
	git_commit *c = NULL;
	bool ok = git_commit_lookup(&c, store->repo, id) == 0;
	git_commit_free(c);
	return ok;
}

static void fetch(struct rlp_store *store, const char *remote, const struct pull *pr)
{
	struct rlp_proc p = RLP_PROC_INIT;
	char pull[64];
	const char *refs[] = {"fetch", "-q", "--no-tags", remote, "+refs/rlpromote/*:refs/rlpromote/*",
			      "+" RLP_NOTES_REF ":" RLP_NOTES_REF, NULL};
	const char *refs_only[] = {"fetch", "-q", "--no-tags", remote,
				   "+refs/rlpromote/*:refs/rlpromote/*", NULL};

	/* the evidence; the notes may not exist */
	if (run_git(&p, store, refs) < 0) {
		rlp_proc_clear(&p);
		if (run_git(&p, store, refs_only) < 0)
			warning("cannot fetch the evidence from '%s': %s", remote,
				p.err.ptr ? p.err.ptr : rlp_error_last());
	}
	rlp_proc_clear(&p);
	git_oid head;
	git_oid_fromstr(&head, pr->head_sha);
	if (!have_commit(store, &head)) {
		snprintf(pull, sizeof(pull), "refs/pull/%ld/head", pr->number);
		const char *args[] = {"fetch", "-q", "--no-tags", remote, pull, NULL};
		run_git(&p, store, args);
		rlp_proc_clear(&p);
	}
}

/* The manifests the pull request changes: paths the base policy's template
 * gives for one of its stages, in the diff merge-base..head. */
static size_t changed_manifests(struct item *items, struct rlp_store *store,
				const struct rlp_policy *policy, const git_oid *base,
				const git_oid *head)
{
	git_oid mb;
	git_commit *a = NULL, *b = NULL;
	git_tree *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	size_t n = 0;

	if (git_merge_base(&mb, store->repo, base, head) < 0)
		git_oid_cpy(&mb, base);
	if (git_commit_lookup(&a, store->repo, &mb) < 0 || git_commit_tree(&ta, a) < 0 ||
	    git_commit_lookup(&b, store->repo, head) < 0 || git_commit_tree(&tb, b) < 0 ||
	    git_diff_tree_to_tree(&diff, store->repo, ta, tb, NULL) < 0)
		die("cannot diff the pull request (%s..%s): %s", short_id(&mb), short_id(head),
		    git_error_last() ? git_error_last()->message : "?");
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		for (size_t s = 0; s < policy->nstages && n < MAX_ITEMS; s++) {
			char path[512];
			if (rlp_manifest_path(path, sizeof(path), policy, policy->stages[s]) < 0 ||
			    strcmp(path, d->new_file.path))
				continue;
			memset(&items[n], 0, sizeof(items[n]));
			snprintf(items[n].path, sizeof(items[n].path), "%s", path);
			snprintf(items[n].stage, sizeof(items[n].stage), "%s", policy->stages[s]);
			if (d->status == GIT_DELTA_DELETED)
				items[n].markdown = strdup("the pull request deletes the manifest");
			n++;
		}
	}
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(a);
	git_commit_free(b);
	return n;
}

__attribute__((format(printf, 3, 4))) static void refuse(struct item *it, enum rlp_outcome o,
							 const char *fmt, ...)
{
	struct rlp_buf b = RLP_BUF_INIT;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	it->outcome = o;
	rlp_buf_printf(&b, "## %s %s: `%s`\n\n%s\n", o == RLP_NOGO ? "❌" : "⏸️",
		       rlp_outcome_name(o), it->path, msg);
	free(it->markdown);
	it->markdown = NULL;
	if (rlp_buf_detach(&it->markdown, &b) < 0)
		die("out of memory");
}

/* Read the manifest at head, check it says what its path says and pins the
 * candidate's own artifact, then gate. */
static void gate_item(struct item *it, struct rlp_store *store, const struct rlp_trusted *trusted,
		      const git_oid *head)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_oid cand;
	char *text = NULL, *artifact = NULL;
	size_t len;

	if (it->markdown) { /* deleted */
		char why[256];
		snprintf(why, sizeof(why), "%s", it->markdown);
		refuse(it, RLP_NOGO, "%s.", why);
		return;
	}
	if (git_commit_lookup(&c, store->repo, head) < 0 || git_commit_tree(&t, c) < 0 ||
	    rlp_store_read_path(&text, &len, store, t, it->path, RLP_MANIFEST_MAX) < 0)
		die("cannot read '%s' at %s: %s", it->path, short_id(head), rlp_error_last());
	git_tree_free(t);
	git_commit_free(c);
	if (rlp_manifest_parse(&it->m, text, len, it->path) < 0) {
		refuse(it, RLP_NOGO, "The manifest is not valid: %s.", rlp_error_last());
		goto done;
	}
	if (strcmp(it->m.stage, it->stage) || strcmp(it->m.model, trusted->policy->model)) {
		refuse(it, RLP_NOGO, "The manifest names model `%s`, stage `%s`; its path is that of "
				     "model `%s`, stage `%s`.",
		       it->m.model, it->m.stage, trusted->policy->model, it->stage);
		goto done;
	}
	git_oid_fromstr(&cand, it->m.candidate);
	if (!have_commit(store, &cand)) {
		refuse(it, RLP_HOLD, "Candidate `%s` is not in the repository: push it.",
		       it->m.candidate);
		goto done;
	}
	if (trusted->policy->artifact) {
		int err = rlp_artifact_read(&artifact, store, &cand, trusted->policy->artifact);
		if (err < 0 && err != RLP_ENOTFOUND) {
			refuse(it, RLP_NOGO, "The candidate's artifact descriptor is not valid: %s.",
			       rlp_error_last());
			goto done;
		}
		if ((artifact || it->m.artifact) &&
		    (!artifact || !it->m.artifact || strcmp(artifact, it->m.artifact))) {
			refuse(it, RLP_NOGO,
			       "The manifest's artifact is not the one candidate `%s` pins in `%s` "
			       "(manifest: `%s`; candidate: `%s`).",
			       it->m.candidate, trusted->policy->artifact,
			       it->m.artifact ? it->m.artifact : "none", artifact ? artifact : "none");
			goto done;
		}
	}
	pr_report_build(&it->rep, store, trusted, &cand, it->stage);
	it->gated = true;
	it->outcome = it->rep.outcome;
done:
	free(artifact);
	free(text);
}

/* ---- GitHub Actions' files and workflow commands ---- */

static void escape_data(struct rlp_buf *b, const char *s, bool property)
{
	for (; *s; s++) {
		if (*s == '%')
			rlp_buf_puts(b, "%25");
		else if (*s == '\r')
			rlp_buf_puts(b, "%0D");
		else if (*s == '\n')
			rlp_buf_puts(b, "%0A");
		else if (property && *s == ':')
			rlp_buf_puts(b, "%3A");
		else if (property && *s == ',')
			rlp_buf_puts(b, "%2C");
		else
			rlp_buf_putc(b, *s);
	}
}

static void annotate(const char *file, const char *title, const char *message)
{
	struct rlp_buf b = RLP_BUF_INIT;
	rlp_buf_puts(&b, "::error file=");
	escape_data(&b, file, true);
	rlp_buf_puts(&b, ",line=1,title=");
	escape_data(&b, title, true);
	rlp_buf_puts(&b, "::");
	escape_data(&b, message, false);
	rlp_buf_putc(&b, '\n');
	if (b.ptr)
		write_stdout(b.ptr);
	rlp_buf_free(&b);
}

static void annotations(const struct item *it)
{
	char title[256], msg[1024];

	if (!it->gated) {
		if (it->outcome == RLP_NOGO) {
			snprintf(title, sizeof(title), "rlpromote: %s", it->stage);
			/* the markdown's text after its heading */
			const char *body = strstr(it->markdown, "\n\n");
			annotate(it->path, title, body ? body + 2 : it->markdown);
		}
		return;
	}
	const struct rlp_gate_result *res = it->rep.ev.result;
	for (size_t i = 0; res && i < res->nrules; i++) {
		const struct rlp_rule_result *r = &res->rules[i];
		if (!r->blocking || r->fig.verdict != RLP_FAIL)
			continue;
		snprintf(title, sizeof(title), "rlpromote %s: rule %s", it->stage, r->rule->id);
		snprintf(msg, sizeof(msg), "%s%s", r->rule->critical ? "(critical) " : "",
			 r->fig.reason);
		annotate(it->path, title, msg);
	}
}

static void append_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "a");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) == EOF)
		die("cannot write '%s'", path);
}

static void step_summary(const char *body)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	char *copy;

	if (!path || !*path)
		return;
	if (!(copy = strdup(body)))
		die("out of memory");
	rlp_forge_truncate(copy, SUMMARY_MAX - 1,
			   "\n\n**Cut here:** a job summary takes at most 1 MiB.\n");
	append_file(path, copy, strlen(copy));
	append_file(path, "\n", 1);
	free(copy);
}

static void outputs(const char *verdict, const struct item *items, size_t n, const char *report)
{
	const char *path = getenv("GITHUB_OUTPUT");
	struct rlp_buf b = RLP_BUF_INIT;
	char delim[64];

	if (!path || !*path)
		return;
	rlp_buf_printf(&b, "verdict=%s\n", verdict);
	rlp_buf_printf(&b, "stages=");
	for (size_t i = 0; i < n; i++)
		rlp_buf_printf(&b, "%s%s", i ? " " : "", items[i].stage);
	rlp_buf_printf(&b, "\ncandidates=");
	for (size_t i = 0; i < n; i++)
		rlp_buf_printf(&b, "%s%s", i ? " " : "", items[i].m.candidate);
	rlp_buf_putc(&b, '\n');
	/* a delimiter the report cannot hold */
	unsigned long long seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 16);
	do {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		snprintf(delim, sizeof(delim), "RLPROMOTE_EOF_%016llx", seed);
	} while (strstr(report, delim));
	rlp_buf_printf(&b, "report<<%s\n%s\n%s\n", delim, report, delim);
	if (b.failed || !b.ptr)
		die("out of memory");
	append_file(path, b.ptr, b.len);
	rlp_buf_free(&b);
}

/* ---- the forge ---- */

static void tell_forge(struct rlp_store *store, const char *flag, const char *remote,
		       const struct pull *pr, enum rlp_outcome outcome, size_t n, const char *body,
		       const char *title)
{
	const char *server = getenv("GITHUB_SERVER_URL"), *repo = getenv("GITHUB_REPOSITORY"),
		   *run = getenv("GITHUB_RUN_ID");
	char details[1024];
	enum rlp_forge_sticky what;
	enum rlp_forge_check_via via;
	long long id = 0;

	struct rlp_forge *f = open_forge(store, flag, remote, NULL);
	if (rlp_forge_sticky_comment(&what, &id, f, pr->number, MARKER, body) < 0)
		warning("cannot update the report comment: %s", rlp_error_last());
	else
		fprintf(stderr, "report comment %lld: %s\n", id,
			what == RLP_STICKY_CREATED ? "created"
			: what == RLP_STICKY_UPDATED ? "updated"
						     : "unchanged");
	if (server && repo && run)
		snprintf(details, sizeof(details), "%s/%s/actions/runs/%s", server, repo, run);
	struct rlp_forge_check check = {
		.name = "rlpromote", .sha = pr->head_sha, .title = title, .summary = body,
		.details_url = server && repo && run ? details : NULL,
		.state = !n ? RLP_FORGE_SUCCESS
			 : outcome == RLP_GO ? RLP_FORGE_SUCCESS
			 : outcome == RLP_NOGO ? RLP_FORGE_FAILURE
					       : RLP_FORGE_PENDING,
	};
	if (rlp_forge_check_set(&via, f, &check) < 0)
		warning("cannot set the check: %s", rlp_error_last());
	else
		fprintf(stderr, "%s: %s\n", via == RLP_FORGE_CHECK_RUN ? "check run" : "commit status",
			title);
	rlp_forge_free(f);
}

int cmd_ci(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"remote", required_argument, NULL, 'r'},
		{"forge", required_argument, NULL, 'f'},
		{"no-fetch", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *remote = "origin", *forge = NULL;
	bool no_fetch = false;
	struct pull pr;
	struct item items[MAX_ITEMS];
	size_t n;
	git_oid head, base;
	int c;

	check_help(argc, argv, "ci");
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': remote = optarg; break;
		case 'f': forge = optarg; break;
		case 'n': no_fetch = true; break;
		default: usage_of("ci", false);
		}
	}
	if (optind != argc)
		usage_of("ci", false);
	read_event(&pr);
	struct rlp_store *store = open_store();
	if (!no_fetch)
		fetch(store, remote, &pr);
	git_oid_fromstr(&head, pr.head_sha);
	git_oid_fromstr(&base, pr.base_sha);
	if (!have_commit(store, &head) || !have_commit(store, &base))
		die("the pull request's commits (%s, %s) are not in the repository "
		    "(actions/checkout with fetch-depth: 0)",
		    short_id(&head), short_id(&base));
	/* the rules of the branch it merges into, never the pull request's own */
	struct rlp_trusted *trusted = load_trusted(store, pr.base_sha);
	n = trusted->policy->manifest
		    ? changed_manifests(items, store, trusted->policy, &base, &head)
		    : 0;

	enum rlp_outcome outcome = RLP_GO;
	struct rlp_buf body = RLP_BUF_INIT;
	rlp_buf_printf(&body, MARKER " pr=%ld -->\n", pr.number);
	for (size_t i = 0; i < n; i++) {
		gate_item(&items[i], store, trusted, &head);
		if (items[i].outcome == RLP_NOGO ||
		    (items[i].outcome == RLP_HOLD && outcome == RLP_GO))
			outcome = items[i].outcome;
		rlp_buf_printf(&body, "%s\n", items[i].gated ? items[i].rep.markdown : items[i].markdown);
	}
	char title[256];
	if (!n) {
		rlp_buf_printf(&body, "No stage manifest changes in this pull request%s: nothing to "
				      "gate.\n",
			       trusted->policy->manifest ? "" : " (the base policy names none)");
		snprintf(title, sizeof(title), "no promotion in this pull request");
	}
	else
		snprintf(title, sizeof(title), "%s: %s %s", rlp_outcome_name(outcome),
			 trusted->policy->model, n == 1 ? items[0].stage : "(several stages)");
	rlp_buf_printf(&body, "\n<sub>checked at %.12s under the policy of `%s` (%.12s)</sub>\n",
		       pr.head_sha, pr.base_ref, pr.base_sha);
	if (body.failed || !body.ptr)
		die("out of memory");
	rlp_forge_truncate(body.ptr, RLP_FORGE_BODY_MAX,
			   "\n\n**Cut here:** the report is longer than a comment may be; the job "
			   "summary has all of it.\n");

	for (size_t i = 0; i < n; i++)
		annotations(&items[i]);
	step_summary(body.ptr);
	outputs(n ? rlp_outcome_name(outcome) : "NONE", items, n, body.ptr);
	if (pr.fork)
		fprintf(stderr, "pull request from a fork: its token is read-only, so the report is in "
				"the job summary only\n");
	else
		tell_forge(store, forge, remote, &pr, outcome, n, body.ptr, title);
	printf("%s\n", title);

	for (size_t i = 0; i < n; i++) {
		pr_report_clear(&items[i].rep);
		rlp_manifest_clear(&items[i].m);
		free(items[i].markdown);
	}
	rlp_buf_free(&body);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	if (!n)
		return 0;
	return outcome == RLP_GO ? 0 : outcome == RLP_NOGO ? RLP_EXIT_FAIL : RLP_EXIT_HOLD;
}
