/* git rlpromote pr open: push the evidence, a branch whose commit updates
 * the stage manifest, and open (or update) the pull request. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "buf.h"
#include "cmd.h"
#include "error.h"
#include "evidence.h"
#include "forge_setup.h"
#include "manifest.h"
#include "pr_report.h"

struct pr_opts {
	const char *to, *remote, *base, *forge;
	bool draft;
	const char *candidate;
};

static void parse_options(struct pr_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},   {"draft", no_argument, NULL, 'd'},
		{"remote", required_argument, NULL, 'r'}, {"base", required_argument, NULL, 'b'},
		{"forge", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->remote = "origin";
	check_help(argc, argv, "pr");
	if (argc < 2 || strcmp(argv[1], "open")) {
		error(argc < 2 ? "pr needs a subcommand" : "unknown pr subcommand '%s'",
		      argc < 2 ? "" : argv[1]);
		usage_of("pr", false);
	}
	argc--, argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->to = optarg; break;
		case 'd': o->draft = true; break;
		case 'r': o->remote = optarg; break;
		case 'b': o->base = optarg; break;
		case 'f': o->forge = optarg; break;
		default: usage_of("pr", false);
		}
	}
	if (!o->to || optind != argc - 1) {
		error("pr open needs <candidate> and --to <stage>");
		usage_of("pr", false);
	}
	o->candidate = argv[optind];
}

/* The remote's default branch (what its HEAD names). */
static void default_base(char *buf, size_t size, struct rlp_store *store, const char *remote)
{
	struct rlp_proc p = RLP_PROC_INIT;
	const char *args[] = {"ls-remote", "--symref", remote, "HEAD", NULL};
	const char *ref;

	must_git(&p, store, "git ls-remote", args);
	if (!p.out.ptr || !(ref = strstr(p.out.ptr, "ref: refs/heads/")))
		die("cannot tell the default branch of '%s': pass --base", remote);
	ref += strlen("ref: refs/heads/");
	snprintf(buf, size, "%.*s", (int)strcspn(ref, "\t\n"), ref);
	rlp_proc_clear(&p);
}

/* The commit `ref` names on the remote, fetched; false when it has none. */
static bool fetch_remote_ref(git_oid *out, struct rlp_store *store, const char *remote,
			     const char *ref)
{
	struct rlp_proc p = RLP_PROC_INIT;
	const char *ls[] = {"ls-remote", remote, ref, NULL};
	const char *fetch[] = {"fetch", "-q", "--no-tags", remote, ref, NULL};
	bool found;

	must_git(&p, store, "git ls-remote", ls);
	found = p.out.ptr && strlen(p.out.ptr) >= GIT_OID_HEXSZ &&
		git_oid_fromstrn(out, p.out.ptr, GIT_OID_HEXSZ) == 0;
	rlp_proc_clear(&p);
	if (found) {
		git_odb *odb = NULL;
		bool have = git_repository_odb(&odb, store->repo) == 0 && git_odb_exists(odb, out);
		git_odb_free(odb);
		if (!have) {
			must_git(&p, store, "git fetch", fetch);
			rlp_proc_clear(&p);
		}
	}
	return found;
}

/* The branch commit: the base's tree with the manifest replaced. */
static void manifest_commit(git_oid *out, git_oid *tree_out, struct rlp_store *store,
			    const git_oid *base, const char *path, const char *text,
			    const char *message)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL, *base_tree = NULL;
	struct rlp_tree_edit edit = {path, {{0}}, false};
	char *old = NULL;
	size_t old_len = 0;

	if (git_commit_lookup(&parent, store->repo, base) < 0 ||
	    git_commit_tree(&base_tree, parent) < 0)
		die("cannot read the base commit %s", short_id(base));
	if (rlp_store_read_path(&old, &old_len, store, base_tree, path, RLP_MANIFEST_MAX) == 0 &&
	    !strcmp(old, text))
		die("'%s' on the base branch already says this; nothing to propose", path);
	free(old);
	if (rlp_store_blob(&edit.blob, store, text, strlen(text)) < 0 ||
	    rlp_store_tree_update(tree_out, store, base_tree, &edit, 1) < 0 ||
	    git_tree_lookup(&tree, store->repo, tree_out) < 0)
		die_lib("cannot write the manifest");
	const git_commit *parents[] = {parent};
	if (rlp_store_commit(out, store, tree, parents, 1, message) < 0)
		die_lib("cannot commit the manifest");
	git_tree_free(tree);
	git_tree_free(base_tree);
	git_commit_free(parent);
}

/* Is the remote branch already this proposal (same base, same tree)? */
static bool same_proposal(struct rlp_store *store, const git_oid *remote_tip, const git_oid *base,
			  const git_oid *tree)
{
	git_commit *c = NULL;
	bool same = git_commit_lookup(&c, store->repo, remote_tip) == 0 &&
		    git_commit_parentcount(c) == 1 && git_oid_equal(git_commit_parent_id(c, 0), base) &&
		    git_oid_equal(git_commit_tree_id(c), tree);
	git_commit_free(c);
	return same;
}

static void push_evidence(struct rlp_store *store, const char *remote)
{
	struct rlp_proc p = RLP_PROC_INIT;
	const char *args[8] = {"push", "-q", remote, "refs/rlpromote/*:refs/rlpromote/*"};
	git_reference *notes = NULL;

	if (git_reference_lookup(&notes, store->repo, RLP_NOTES_REF) == 0)
		args[4] = RLP_NOTES_REF ":" RLP_NOTES_REF;
	git_reference_free(notes);
	if (run_git(&p, store, args) < 0)
		die("cannot push the evidence to '%s' (git rlpromote sync first if the remote moved "
		    "on): %s",
		    remote, p.err.ptr ? p.err.ptr : rlp_error_last());
	rlp_proc_clear(&p);
}

/* CI gates the candidate from the remote, so the commit must be there: on
 * a branch or tag the remote holds now (asked with ls-remote), or behind one. */
static bool remote_has_commit(struct rlp_store *store, const char *remote, const git_oid *id)
{
	struct rlp_proc p = RLP_PROC_INIT;
	const char *ls[] = {"ls-remote", remote, NULL};
	bool found = false;

	must_git(&p, store, "git ls-remote", ls);
	for (const char *line = p.out.ptr ? p.out.ptr : ""; *line && !found;) {
		git_oid tip;
		const char *nl = strchr(line, '\n');
		if (strlen(line) >= GIT_OID_HEXSZ && git_oid_fromstrn(&tip, line, GIT_OID_HEXSZ) == 0)
			found = git_oid_equal(&tip, id) ||
				git_graph_descendant_of(store->repo, &tip, id) == 1;
		line = nl ? nl + 1 : line + strlen(line);
	}
	rlp_proc_clear(&p);
	return found;
}

int cmd_pr(int argc, char **argv)
{
	struct pr_opts o;
	struct rlp_manifest m;
	struct pr_report rep;
	git_oid cand, base, tip, tree, remote_tip;
	char base_name[256], path[512], branch[512], ref[600], title[512], *text = NULL;
	enum rlp_forge_kind kind;

	parse_options(&o, argc, argv);
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	const struct rlp_policy *policy = trusted->policy;
	resolve_commit(&cand, store, o.candidate);
	if (!rlp_policy_promotion(policy, o.to))
		die("%s:%s has no promotion to stage '%s'", trusted->rev, RLP_POLICY_PATH, o.to);
	if (!remote_has_commit(store, o.remote, &cand))
		die("'%s' holds no branch or tag with candidate %s: push it first (CI gates it "
		    "from there)", o.remote, short_id(&cand));
	if (rlp_manifest_path(path, sizeof(path), policy, o.to) < 0)
		die("%s (set 'manifest' in %s, e.g. deploy/{stage}.yaml)", rlp_error_last(),
		    RLP_POLICY_PATH);
	struct rlp_forge *forge = open_forge(store, o.forge, o.remote, &kind);

	/* the gate as it stands, for the body and the manifest's basis */
	pr_report_build(&rep, store, trusted, &cand, o.to);
	memset(&m, 0, sizeof(m));
	snprintf(m.model, sizeof(m.model), "%s", policy->model);
	snprintf(m.stage, sizeof(m.stage), "%s", o.to);
	git_oid_tostr(m.candidate, sizeof(m.candidate), &cand);
	if (policy->artifact) {
		int err = rlp_artifact_read(&m.artifact, store, &cand, policy->artifact);
		if (err < 0 && err != RLP_ENOTFOUND)
			die("%s", rlp_error_last());
	}
	snprintf(m.verdict, sizeof(m.verdict), "%s", rlp_outcome_name(rep.outcome));
	git_oid_tostr(m.policy, sizeof(m.policy), &trusted->commit);
	if (rep.ev.has_cand_run)
		git_oid_tostr(m.candidate_run, sizeof(m.candidate_run), &rep.ev.cand_run.commit);
	if (rep.ev.has_base_run)
		git_oid_tostr(m.baseline_run, sizeof(m.baseline_run), &rep.ev.base_run.commit);
	if (rep.ev.promotion && rep.ev.promotion->env)
		snprintf(m.env, sizeof(m.env), "%s@%u", rep.ev.promotion->env, rep.ev.env_version);
	if (rlp_manifest_render(&text, &m) < 0)
		die_lib("cannot render the manifest");
	if (rep.outcome != RLP_GO)
		warning("the gate says %s for %s -> %s; opening the pull request anyway",
			rlp_outcome_name(rep.outcome), short_id(&cand), o.to);

	/* evidence first: CI re-checks the gate from it */
	push_evidence(store, o.remote);
	if (o.base)
		snprintf(base_name, sizeof(base_name), "%s", o.base);
	else
		default_base(base_name, sizeof(base_name), store, o.remote);
	snprintf(ref, sizeof(ref), "refs/heads/%s", base_name);
	if (!fetch_remote_ref(&base, store, o.remote, ref))
		die("'%s' has no branch '%s'", o.remote, base_name);

	snprintf(branch, sizeof(branch), "rlpromote/%s/%s", o.to, short_id(&cand));
	snprintf(title, sizeof(title), "Promote %s %s to %s", policy->model, short_id(&cand), o.to);
	struct rlp_buf msg = RLP_BUF_INIT;
	rlp_buf_printf(&msg, "%s\n\nUpdates %s. The gate says %s under policy %s.\n", title, path,
		       rlp_outcome_name(rep.outcome), short_id(&trusted->commit));
	manifest_commit(&tip, &tree, store, &base, path, text, msg.ptr ? msg.ptr : title);
	rlp_buf_free(&msg);

	/* the branch: pushed unless it already holds this very proposal */
	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	bool exists = fetch_remote_ref(&remote_tip, store, o.remote, ref);
	if (!exists || !same_proposal(store, &remote_tip, &base, &tree)) {
		char lease[700], spec[700], hex[GIT_OID_HEXSZ + 1];
		struct rlp_proc p = RLP_PROC_INIT;
		git_oid_tostr(hex, sizeof(hex), exists ? &remote_tip : &tip);
		snprintf(lease, sizeof(lease), "--force-with-lease=%s:%s", ref, exists ? hex : "");
		git_oid_tostr(hex, sizeof(hex), &tip);
		snprintf(spec, sizeof(spec), "%s:%s", hex, ref);
		const char *args[] = {"push", "-q", lease, o.remote, spec, NULL};
		must_git(&p, store, "pushing the branch", args);
		rlp_proc_clear(&p);
	}

	struct rlp_forge_pr pr;
	bool created;
	char *body = pr_report_body(&rep, &m, path, branch);
	struct rlp_forge_pr_spec spec = {branch, base_name, title, body, o.draft};
	if (rlp_forge_pr_upsert(&pr, &created, forge, &spec) < 0)
		die("%s", rlp_error_last());
	fprintf(stderr, "%s %s #%ld (%s -> %s)\n", created ? "opened" : "updated",
		kind == RLP_FORGE_GITLAB ? "merge request" : "pull request", pr.number, branch,
		base_name);
	printf("%s\n", pr.url);
	free(body);
	free(text);
	rlp_manifest_clear(&m);
	pr_report_clear(&rep);
	rlp_forge_free(forge);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return 0;
}
