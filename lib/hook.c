/* The push checks shared by pre-receive, update and pre-push. */
#include "hook.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "decision.h"
#include "env.h"
#include "error.h"
#include "evidence.h"
#include "json.h"
#include "runs.h"
#include "verify.h"

bool rlp_hook_concerns_us(const struct rlp_ref_update *updates, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(updates[i].name, RLP_REF_PREFIX, strlen(RLP_REF_PREFIX)))
			return true;
	return false;
}

int rlp_hook_parse_line(struct rlp_ref_update *out, const char *line, size_t len)
{
	char old[GIT_OID_HEXSZ + 1], new[GIT_OID_HEXSZ + 1];

	memset(out, 0, sizeof(*out));
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < 2 * GIT_OID_HEXSZ + 3 || len - 2 * GIT_OID_HEXSZ - 2 >= sizeof(out->name) ||
	    line[GIT_OID_HEXSZ] != ' ' || line[2 * GIT_OID_HEXSZ + 1] != ' ')
		return rlp_error_set(RLP_EINVALID, "malformed hook input line");
	memcpy(old, line, GIT_OID_HEXSZ);
	memcpy(new, line + GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ);
	old[GIT_OID_HEXSZ] = new[GIT_OID_HEXSZ] = '\0';
	if (git_oid_fromstr(&out->old_id, old) < 0 || git_oid_fromstr(&out->new_id, new) < 0)
		return rlp_error_set(RLP_EINVALID, "malformed object id in hook input");
	memcpy(out->name, line + 2 * GIT_OID_HEXSZ + 2, len - 2 * GIT_OID_HEXSZ - 2);
	out->old_known = true;
	return 0;
}

/* ---- what the repository holds, as the push would leave it ---- */

struct push_view {
	struct rlp_store *store;
	const struct rlp_trusted *trusted;
	const struct rlp_ref_update *updates;
	const struct rlp_hook_verdict *verdict; /* an update counts once accepted */
	size_t n;
};

/* A ref's value after the push: the pushed value when this push updates it
 * (and that update is accepted so far), else its current value. */
static int ref_after(git_oid *out, const struct push_view *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->updates[i].name, name) && !v->verdict[i].rejected &&
		    !git_oid_is_zero(&v->updates[i].new_id)) {
			git_oid_cpy(out, &v->updates[i].new_id);
			return 0;
		}
	return git_reference_name_to_id(out, v->store->repo, name) == 0 ? 0 : RLP_ENOTFOUND;
}

/* The candidate a stage holds once this push lands (a pre-receive hook
 * fails the whole push when any ref is rejected, so the pushed values count). */
static int stage_holds(git_oid *candidate, const struct push_view *v, const char *stage)
{
	struct rlp_decision d;
	char ref[512];
	git_oid tip;
	int error;

	rlp_stage_ref(ref, sizeof(ref), v->trusted->policy, stage);
	if ((error = ref_after(&tip, v, ref)) < 0)
		return error;
	if ((error = rlp_decision_load(&d, v->store, &tip)) < 0)
		return error;
	git_oid_cpy(candidate, &d.candidate);
	rlp_decision_clear(&d);
	return 0;
}

/* The update of this push to `name`, or NULL. */
static const struct rlp_ref_update *pushed(const struct push_view *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->updates[i].name, name))
			return &v->updates[i];
	return NULL;
}

/* Candidate of a decision commit (false when `id` is not a decision). */
static bool decision_candidate(git_oid *candidate, const struct push_view *v, const git_oid *id)
{
	struct rlp_decision d;
	if (rlp_decision_load(&d, v->store, id) < 0)
		return false;
	git_oid_cpy(candidate, &d.candidate);
	rlp_decision_clear(&d);
	return true;
}

/* Was `baseline` (or nothing, when has is false) what the baseline stage
 * held when decision `id` was made? For the target stage itself: what the
 * decision before it in the chain holds. For another stage: what it held
 * before this push, or what any decision this push adds to it holds (the
 * push may carry the baseline stage's history too). `held` names the
 * stage's holding before the push, for the message. */
static bool baseline_ok(char *held, size_t size, const struct push_view *v, const char *baseline,
			const char *stage, const git_oid *id, bool has, const git_oid *claimed)
{
	git_oid cand, before;
	git_commit *c = NULL;
	bool ok = false, before_known = false;

	snprintf(held, size, "nothing");
	if (!strcmp(baseline, stage)) {
		bool prev = false;
		if (git_commit_lookup(&c, v->store->repo, id) == 0 && git_commit_parentcount(c))
			prev = decision_candidate(&cand, v, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if (prev)
			git_oid_tostr(held, size, &cand);
		return prev ? has && git_oid_equal(&cand, claimed) : !has;
	}
	char ref[512];
	rlp_stage_ref(ref, sizeof(ref), v->trusted->policy, baseline);
	const struct rlp_ref_update *u = pushed(v, ref);
	if (u && !git_oid_is_zero(&u->old_id) && u->old_known)
		before_known = true, git_oid_cpy(&before, &u->old_id);
	else if (!u && git_reference_name_to_id(&before, v->store->repo, ref) == 0)
		before_known = true;
	bool before_held = before_known && decision_candidate(&cand, v, &before);
	if (before_held)
		git_oid_tostr(held, size, &cand);
	if (!has)
		return !before_held;
	if (before_held && git_oid_equal(&cand, claimed))
		return true;
	if (u && !git_oid_is_zero(&u->new_id)) {
		git_oid *fresh = NULL;
		size_t nfresh = 0;
		char suffix[512];
		snprintf(suffix, sizeof(suffix), "%s", ref + strlen(RLP_REF_PREFIX));
		if (rlp_chain_walk(&fresh, &nfresh, NULL, v->store, suffix, &u->new_id,
				   before_known ? &before : NULL, RLP_HOOK_MAX_NEW_COMMITS) == 0)
			for (size_t i = 0; i < nfresh && !ok; i++)
				ok = decision_candidate(&cand, v, &fresh[i]) && git_oid_equal(&cand, claimed);
		free(fresh);
	}
	return ok;
}

/* ---- per kind ---- */

static int reject(struct rlp_hook_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int reject(struct rlp_hook_verdict *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	v->rejected = true;
	return 1;
}

static bool signed_with_role(struct rlp_store *store, const struct rlp_trusted *trusted,
			     const git_oid *id, int role, time_t now, char *why, size_t size)
{
	struct rlp_verified who;

	if (rlp_sign_verify_commit(&who, store->repo, id, &trusted->trust, now) < 0) {
		snprintf(why, size, "%s", rlp_error_last());
		return false;
	}
	if (role >= 0 && !rlp_trusted_has_role(trusted, (enum rlp_role)role, who.principal)) {
		snprintf(why, size, "commit %.12s is signed by '%.128s', who has no %s role",
			 git_oid_tostr_s(id), who.principal, rlp_role_name((enum rlp_role)role));
		return false;
	}
	return true;
}

static int check_env_commit(struct rlp_hook_verdict *out, const struct push_view *v,
			    const char *name, const git_oid *id, time_t now)
{
	char why[256];

	/* any trusted signer may freeze an environment: the policy has no role for it */
	if (!signed_with_role(v->store, v->trusted, id, -1, now, why, sizeof(why)))
		return reject(out, "%s", why);
	if (rlp_env_check(v->store, id, name) < 0)
		return reject(out, "env version %.12s: %s", git_oid_tostr_s(id), rlp_error_last());
	return 0;
}

/* Runs are append-only evidence: every file added must belong to a run
 * whose summary matches its results; nothing may change or disappear. */
static int check_run_trees(struct rlp_hook_verdict *out, const struct push_view *v,
			   const git_oid *old_commit, const git_oid *new_commit)
{
	git_commit *oc = NULL, *nc = NULL;
	git_tree *ot = NULL, *nt = NULL;
	git_diff *diff = NULL;
	int error = 0, rejected = 0;

	if ((old_commit && (git_commit_lookup(&oc, v->store->repo, old_commit) < 0 ||
			    git_commit_tree(&ot, oc) < 0)) ||
	    git_commit_lookup(&nc, v->store->repo, new_commit) < 0 || git_commit_tree(&nt, nc) < 0 ||
	    git_diff_tree_to_tree(&diff, v->store->repo, ot, nt, NULL) < 0) {
		error = rlp_git_error(-1, "cannot compare run trees");
		goto done;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff) && !rejected; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->new_file.path;
		if (d->status != GIT_DELTA_ADDED) {
			rejected = reject(out, "runs are append-only: '%s' was %s", d->old_file.path,
					  d->status == GIT_DELTA_DELETED ? "removed" : "changed");
			break;
		}
		size_t len = strlen(path);
		if (strncmp(path, "runs/", 5) || len < 13 || strcmp(path + len - 13, "/summary.json"))
			continue;
		struct rlp_run_ref ref;
		struct rlp_run_data data;
		memset(&ref, 0, sizeof(ref));
		git_oid_cpy(&ref.commit, new_commit);
		if (len - 13 >= sizeof(ref.path)) {
			rejected = reject(out, "run path too long");
			break;
		}
		memcpy(ref.path, path, len - 13);
		if (rlp_run_load(&data, v->store, &ref) < 0) {
			rejected = reject(out, "run %s: %s", ref.path, rlp_error_last());
			break;
		}
		if (rlp_run_check_summary(&data, ref.path) < 0)
			rejected = reject(out, "%s", rlp_error_last());
		rlp_run_data_clear(&data);
	}
done:
	git_diff_free(diff);
	git_tree_free(ot);
	git_tree_free(nt);
	git_commit_free(oc);
	git_commit_free(nc);
	return error < 0 ? error : rejected;
}

/* A decision's claims about the stages and the env, against what the
 * repository holds before (baseline) and after (from-stage, env) the push. */
static int check_decision_context(struct rlp_hook_verdict *out, const struct push_view *v,
				  const char *model, const char *stage, const git_oid *id)
{
	const struct rlp_policy *policy = v->trusted->policy;
	const struct rlp_promotion *p = rlp_policy_stage_promotion(policy, stage);
	struct rlp_decision d;
	struct rlp_json *root = NULL;
	int rejected = 0;

	if (rlp_decision_load(&d, v->store, id) < 0)
		return reject(out, "%s", rlp_error_last());
	if (strcmp(d.model, model) || strcmp(d.stage, stage)) {
		rejected = reject(out, "decision %.12s is for %s/%s, pushed to %s/%s",
				  git_oid_tostr_s(id), d.model, d.stage, model, stage);
		goto done;
	}
	if (d.kind != RLP_DECISION_PROMOTE || !p)
		goto done;
	if (policy->nstages && strcmp(p->from, policy->stages[0])) {
		git_oid held;
		if (stage_holds(&held, v, p->from) < 0 || !git_oid_equal(&held, &d.candidate)) {
			rejected = reject(out, "candidate %.12s does not hold stage '%s'",
					  git_oid_tostr_s(&d.candidate), p->from);
			goto done;
		}
	}
	if (p->baseline) {
		char held[GIT_OID_HEXSZ + 1], claimed[GIT_OID_HEXSZ + 1] = "(none)";
		if (!baseline_ok(held, sizeof(held), v, p->baseline, stage, id, d.has_baseline,
				 &d.baseline)) {
			if (d.has_baseline)
				git_oid_tostr(claimed, sizeof(claimed), &d.baseline);
			rejected = reject(out, "baseline %.12s is not what stage '%s' held (%.12s)",
					  claimed, p->baseline, held);
			goto done;
		}
	}
	if (p->env) {
		char ref[512];
		git_oid tip, claimed;
		root = rlp_json_parse(d.json, d.json_len, NULL);
		const char *env = rlp_json_string(rlp_json_get(rlp_json_get(root, "env"), "commit"));
		snprintf(ref, sizeof(ref), RLP_REF_ENVS "%s", p->env);
		if (!env || git_oid_fromstr(&claimed, env) < 0 || ref_after(&tip, v, ref) < 0 ||
		    !git_oid_equal(&tip, &claimed)) {
			rejected = reject(out, "decision uses env version %.12s, not the current version "
					       "of '%s'", env ? env : "(none)", p->env);
			goto done;
		}
	}
done:
	rlp_json_free(root);
	rlp_decision_clear(&d);
	return rejected;
}

static int check_update(struct rlp_hook_verdict *out, const struct push_view *v,
			const struct rlp_ref_update *u, time_t now)
{
	const char *suffix = u->name + strlen(RLP_REF_PREFIX);
	const struct rlp_policy *policy = v->trusted->policy;
	char model[128], stage[128], why[256];
	git_oid *fresh = NULL;
	size_t nfresh = 0;
	int error = 0;

	if (git_oid_is_zero(&u->new_id))
		return reject(out, "deletion is not allowed: history is append-only");
	/* the shape of the ref name */
	if (!strncmp(suffix, "envs/", 5)) {
		if (!rlp_env_name_valid(suffix + 5))
			return reject(out, "not an environment ref");
	} else if (!strncmp(suffix, "runs/", 5)) {
		if (!suffix[5] || strchr(suffix + 5, '/'))
			return reject(out, "not a writer's runs ref");
	} else if (!strncmp(suffix, "stages/", 7)) {
		const char *m = suffix + 7, *slash = strchr(m, '/');
		if (!slash || (size_t)(slash - m) >= sizeof(model) || strchr(slash + 1, '/') ||
		    strlen(slash + 1) >= sizeof(stage))
			return reject(out, "not a stage ref");
		snprintf(model, sizeof(model), "%.*s", (int)(slash - m), m);
		snprintf(stage, sizeof(stage), "%s", slash + 1);
		if (strcmp(model, policy->model))
			return reject(out, "model '%s' is not the policy's '%s'", model, policy->model);
		if (!rlp_policy_stage_promotion(policy, stage))
			return reject(out, "the policy has no promotion to stage '%s'", stage);
	} else {
		return reject(out, "unknown rlpromote ref");
	}
	/* append-only: the new tip's first-parent chain reaches the old tip;
	 * walking only the new commits keeps the hook flat with history */
	bool had_old = !git_oid_is_zero(&u->old_id) && u->old_known, reached = false;
	if ((error = rlp_chain_walk(&fresh, &nfresh, &reached, v->store, suffix, &u->new_id,
				    had_old ? &u->old_id : NULL, RLP_HOOK_MAX_NEW_COMMITS)) < 0)
		return error == RLP_EINVALID ? reject(out, "%s in one push", rlp_error_last()) : error;
	if (had_old && !reached) {
		free(fresh);
		return reject(out, "non-fast-forward update: history is append-only (fetch, sync "
				   "and try again)");
	}
	if (!nfresh && !git_oid_equal(&u->old_id, &u->new_id)) {
		free(fresh);
		return reject(out, "%.12s is not a commit of this kind of chain",
			      git_oid_tostr_s(&u->new_id));
	}
	int rejected = 0;
	for (size_t i = nfresh; i-- > 0 && !rejected && error >= 0;) { /* oldest first */
		const git_oid *id = &fresh[i];
		if (!strncmp(suffix, "envs/", 5)) {
			rejected = check_env_commit(out, v, suffix + 5, id, now);
		} else if (!strncmp(suffix, "runs/", 5)) {
			if (!signed_with_role(v->store, v->trusted, id, RLP_ROLE_EVAL, now, why,
					      sizeof(why)))
				rejected = reject(out, "%s", why);
		} else {
			if (rlp_verify_decision(v->store, v->trusted, id, now) < 0) {
				const char *msg = rlp_error_last();
				if (!strncmp(msg, "decision ", 9)) /* it names the decision itself */
					rejected = reject(out, "%s", msg);
				else
					rejected = reject(out, "decision %.12s: %s", git_oid_tostr_s(id), msg);
			}
			else
				rejected = check_decision_context(out, v, model, stage, id);
		}
	}
	if (!rejected && error >= 0 && !strncmp(suffix, "runs/", 5) && nfresh)
		error = rejected = check_run_trees(out, v, had_old ? &u->old_id : NULL, &u->new_id);
	free(fresh);
	return error < 0 ? error : rejected;
}

int rlp_hook_check(struct rlp_hook_verdict *verdict, struct rlp_store *store,
		   const struct rlp_trusted *trusted, const struct rlp_ref_update *updates, size_t n,
		   time_t now)
{
	struct push_view v = {store, trusted, updates, verdict, n};
	int rejected = 0;

	for (size_t i = 0; i < n; i++)
		memset(&verdict[i], 0, sizeof(verdict[i]));
	/* env chains first, then runs, then decisions: each may build on the one before */
	static const char *const order[] = {RLP_REF_ENVS, RLP_REF_RUNS, RLP_REF_STAGES, RLP_REF_PREFIX};
	for (size_t pass = 0; pass < 4; pass++) {
		for (size_t i = 0; i < n; i++) {
			const char *name = updates[i].name;
			bool ours = !strncmp(name, RLP_REF_PREFIX, strlen(RLP_REF_PREFIX));
			bool in_pass = !strncmp(name, order[pass], strlen(order[pass]));
			bool earlier = false;
			for (size_t p = 0; p < pass; p++)
				earlier |= !strncmp(name, order[p], strlen(order[p]));
			if (!ours || !in_pass || earlier)
				continue;
			int r = check_update(&verdict[i], &v, &updates[i], now);
			if (r < 0)
				return r;
			rejected += verdict[i].rejected;
		}
	}
	return rejected;
}
