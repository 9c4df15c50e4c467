/* Re-checking decisions from their evidence. */
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"

/* The commit is signed by a trusted principal holding `role`; *signer (may
 * be NULL) says who. */
static int check_signer_as(struct rlp_verified *signer, struct rlp_store *store,
			   const struct rlp_trusted *trusted, const git_oid *commit,
			   enum rlp_role role, time_t at, const char *what)
{
	struct rlp_verified who;
	int error = rlp_sign_verify_commit(&who, store->repo, commit, &trusted->trust, at);

	if (error < 0) /* unsigned, misplaced or bad: the reason says which */
		return rlp_error_wrap(RLP_EINVALID, "%s %.12s", what, git_oid_tostr_s(commit));
	if (!rlp_trusted_has_role(trusted, role, who.principal))
		return rlp_error_set(RLP_EINVALID, "%s %.12s is signed by '%s', who has no %s role",
				     what, git_oid_tostr_s(commit), who.principal, rlp_role_name(role));
	if (signer)
		*signer = who;
	return 0;
}

static int check_signer(struct rlp_store *store, const struct rlp_trusted *trusted,
			const git_oid *commit, enum rlp_role role, time_t at, const char *what)
{
	return check_signer_as(NULL, store, trusted, commit, role, at, what);
}

int rlp_verify_decision_signer(struct rlp_store *store, const struct rlp_trusted *trusted,
			       const struct rlp_decision *d, time_t at)
{
	enum rlp_role role = d->kind == RLP_DECISION_OVERRIDE ? RLP_ROLE_OVERRIDE : RLP_ROLE_PROMOTE;
	struct rlp_verified who;
	int error = check_signer_as(&who, store, trusted, &d->commit, role, at, "decision");
	/* who decided is who signed: the actor the tree names is a claim */
	if (error == 0 && strcmp(who.principal, d->actor))
		error = rlp_error_set(RLP_EINVALID, "decision %.12s names actor '%s' but is signed by '%s'",
				      git_oid_tostr_s(&d->commit), d->actor, who.principal);
	return error;
}

/* runs.<key> of decision.json (or r, when given) into a run reference. */
static int run_ref_at(struct rlp_run_ref *out, bool *has, const struct rlp_json *runs,
		      const char *key, const struct rlp_json *r)
{
	const char *writer = rlp_json_string(rlp_json_get(r, "writer"));
	const char *commit = rlp_json_string(rlp_json_get(r, "commit"));
	const char *path = rlp_json_string(rlp_json_get(r, "path"));

	*has = false;
	memset(out, 0, sizeof(*out));
	if (!r || rlp_json_is_null(r))
		return 0;
	if (!writer || !commit || !path || strlen(writer) >= sizeof(out->writer) ||
	    strlen(path) >= sizeof(out->path) || git_oid_fromstr(&out->commit, commit) < 0 ||
	    strncmp(path, "runs/", 5))
		return rlp_error_set(RLP_EINVALID, "decision.json: malformed runs.%s", key);
	strcpy(out->writer, writer);
	strcpy(out->path, path);
	const char *slash = strrchr(path, '/');
	snprintf(out->run_id, sizeof(out->run_id), "%s", slash ? slash + 1 : path);
	*has = true;
	return 0;
}

static int run_ref(struct rlp_run_ref *out, bool *has, const struct rlp_json *runs, const char *key)
{
	return run_ref_at(out, has, runs, key, rlp_json_get(runs, key));
}

/* runs.shadow: the batches of shadow traffic the decision used, each signed
 * by an eval signer and matching its summary. */
static int shadow_refs(struct rlp_evidence *ev, struct rlp_store *store,
		       const struct rlp_trusted *trusted, const struct rlp_json *runs, time_t at)
{
	const struct rlp_json *list = rlp_json_get(runs, "shadow");
	size_t n = list ? rlp_json_size(list) : 0;
	int error = 0;

	if (!list || rlp_json_is_null(list))
		return 0;
	if (!rlp_json_is_array(list))
		return rlp_error_set(RLP_EINVALID, "decision.json: malformed runs.shadow");
	if (!(ev->shadow_runs = calloc(n + 1, sizeof(*ev->shadow_runs))))
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	for (const struct rlp_json *r = rlp_json_first(list); r && !error; r = rlp_json_next(r)) {
		struct rlp_run_ref *ref = &ev->shadow_runs[ev->nshadow];
		struct rlp_run_data d;
		bool has = false;
		if ((error = run_ref_at(ref, &has, runs, "shadow", r)) < 0)
			break;
		if (!has) {
			error = rlp_error_set(RLP_EINVALID, "decision.json: malformed runs.shadow");
			break;
		}
		ev->nshadow++;
		if ((error = check_signer(store, trusted, &ref->commit, RLP_ROLE_EVAL, at,
					  "shadow traffic")) < 0 ||
		    (error = rlp_run_load(&d, store, ref)) < 0)
			break;
		if (rlp_run_check_summary(&d, ref->path) < 0)
			error = RLP_EINVALID;
		rlp_run_data_clear(&d);
	}
	return error;
}

/* A step of a staged rollout: the share the decision gives must be a step
 * of the trusted policy's rollout, on the rollout stage below 100 and on
 * the target at 100, taken on the traffic of the step before (0: shadow);
 * that share is then the one the evidence must have. */
static int rollout_step(struct rlp_evidence *ev, const struct rlp_decision *d,
			const struct rlp_json *root)
{
	const struct rlp_rollout *r = &ev->promotion->rollout;
	const struct rlp_json *o = rlp_json_get(root, "rollout");
	const struct rlp_json *e = rlp_json_get(o, "evidence_share");
	size_t k = 0;

	ev->share_now = -1; /* no rollout: traffic at any share counts */
	if (!r->stage)
		return 0;
	while (k < r->nsteps && r->steps[k] != d->traffic_share)
		k++;
	if (k == r->nsteps || strcmp(d->stage, k + 1 < r->nsteps ? r->stage : ev->promotion->to))
		return rlp_error_set(RLP_EINVALID, "%g%% on stage '%s' is not a step of the rollout "
				     "to '%s'", d->traffic_share, d->stage, ev->promotion->to);
	ev->share_now = k ? r->steps[k - 1] : 0;
	if (!rlp_json_is_finite_number(e) || rlp_json_number(e) != ev->share_now)
		return rlp_error_set(RLP_EINVALID, "the step to %g%% must rest on the traffic at %g%%",
				     d->traffic_share, ev->share_now);
	return 0;
}

/* The step before must have been taken: rollout.from_decision, one of
 * this decision's parents (so a push carries it and no ref is read), is a
 * promotion on the rollout stage that gave the candidate the evidence's
 * share. */
static int rollout_history(struct rlp_store *store, const struct rlp_evidence *ev,
			   const struct rlp_decision *d, const struct rlp_json *root)
{
	const struct rlp_rollout *r = &ev->promotion->rollout;
	const char *from = rlp_json_string(rlp_json_get(rlp_json_get(root, "rollout"),
							"from_decision"));
	struct rlp_decision prev;
	git_commit *c = NULL;
	bool parent = false, ok;
	git_oid id;

	if (!r->stage || ev->share_now <= 0)
		return 0;
	if (!from || git_oid_fromstr(&id, from) < 0)
		return rlp_error_set(RLP_EINVALID, "the step to %g%% names no decision that gave "
				     "%g%% (rollout.from_decision)", d->traffic_share, ev->share_now);
	if (git_commit_lookup(&c, store->repo, &d->commit) < 0)
		return rlp_git_error(-1, "cannot read the decision");
	for (unsigned i = 0; i < git_commit_parentcount(c) && !parent; i++)
		parent = git_oid_equal(git_commit_parent_id(c, i), &id);
	git_commit_free(c);
	if (!parent || rlp_decision_load(&prev, store, &id) < 0)
		return rlp_error_set(RLP_EINVALID, "rollout.from_decision %.12s is not a decision "
				     "this one builds on", from);
	ok = prev.kind == RLP_DECISION_PROMOTE && !strcmp(prev.stage, r->stage) &&
	     git_oid_equal(&prev.candidate, &d->candidate) && prev.traffic_share == ev->share_now;
	rlp_decision_clear(&prev);
	if (!ok)
		return rlp_error_set(RLP_EINVALID, "decision %.12s did not give %.12s %g%% on stage "
				     "'%s'", from, git_oid_tostr_s(&d->candidate), ev->share_now,
				     r->stage);
	return 0;
}

/* The evidence of a promotion, re-gated under the trusted policy. */
static int verify_promotion(struct rlp_store *store, const struct rlp_trusted *trusted,
			    const struct rlp_decision *d, time_t at)
{
	struct rlp_json *root = rlp_json_parse(d->json, d->json_len, NULL);
	const struct rlp_json *runs = rlp_json_get(root, "runs"), *env = rlp_json_get(root, "env");
	const char *env_commit = rlp_json_string(rlp_json_get(env, "commit"));
	struct rlp_evidence ev;
	int error;

	memset(&ev, 0, sizeof(ev));
	ev.policy = trusted->policy;
	if (!(ev.promotion = rlp_policy_stage_promotion(trusted->policy, d->stage))) {
		error = rlp_error_set(RLP_EINVALID, "the trusted policy has no promotion to '%s'",
				      d->stage);
		goto done;
	}
	if ((error = rollout_step(&ev, d, root)) < 0 ||
	    (error = rollout_history(store, &ev, d, root)) < 0)
		goto done;
	git_oid_cpy(&ev.candidate, &d->candidate);
	ev.has_baseline = d->has_baseline;
	git_oid_cpy(&ev.baseline, &d->baseline);
	if ((error = run_ref(&ev.cand_run, &ev.has_cand_run, runs, "candidate")) < 0 ||
	    (error = run_ref(&ev.base_run, &ev.has_base_run, runs, "baseline")) < 0 ||
	    (error = shadow_refs(&ev, store, trusted, runs, at)) < 0)
		goto done;
	/* only a promotion decided on shadow traffic alone has no eval run */
	if (!ev.has_cand_run &&
	    (ev.promotion->env || !rlp_promotion_uses_shadow(ev.promotion))) {
		error = rlp_error_set(RLP_EINVALID, "a promotion without a candidate run");
		goto done;
	}
	if (!env_commit || git_oid_fromstr(&ev.env_commit, env_commit) < 0) {
		error = rlp_error_set(RLP_EINVALID, "decision.json: malformed env.commit");
		goto done;
	}
	if ((ev.has_cand_run && (error = check_signer(store, trusted, &ev.cand_run.commit,
						      RLP_ROLE_EVAL, at, "candidate run")) < 0) ||
	    (ev.has_base_run && (error = check_signer(store, trusted, &ev.base_run.commit,
						      RLP_ROLE_EVAL, at, "baseline run")) < 0))
		goto done;
	if ((error = rlp_evidence_evaluate(&ev, store)) < 0)
		goto done;
	if ((ev.has_cand_run && !git_oid_equal(&ev.cand_data.candidate, &d->candidate)) ||
	    (ev.has_base_run && d->has_baseline && !git_oid_equal(&ev.base_data.candidate, &d->baseline))) {
		error = rlp_error_set(RLP_EINVALID, "the runs are not of the decision's candidate and baseline");
		goto done;
	}
	if ((ev.has_cand_run && !git_oid_equal(&ev.cand_data.env_commit, &ev.env_commit)) ||
	    (ev.has_base_run && !git_oid_equal(&ev.base_data.env_commit, &ev.env_commit))) {
		error = rlp_error_set(RLP_EINVALID, "a run used another env version than the decision's %.12s",
				      git_oid_tostr_s(&ev.env_commit));
		goto done;
	}
	if ((ev.has_cand_run && (error = rlp_run_check_summary(&ev.cand_data, ev.cand_run.path)) < 0) ||
	    (ev.has_base_run && (error = rlp_run_check_summary(&ev.base_data, ev.base_run.path)) < 0)) {
		error = RLP_EINVALID;
		goto done;
	}
	if (ev.result->decision != RLP_GO)
		error = rlp_error_set(RLP_EINVALID, "the evidence recomputes to %s under %s:%s",
				      rlp_outcome_name(ev.result->decision), trusted->rev,
				      RLP_POLICY_PATH);
	else if (strcmp(d->verdict, "GO"))
		error = rlp_error_set(RLP_EINVALID, "a promotion recorded as %s", d->verdict);
done:
	rlp_evidence_clear(&ev);
	rlp_json_free(root);
	return error;
}

/* A rollback returns the stage to what an earlier decision of the same
 * chain held: the decision it names must be one of its first-parent
 * ancestors in the stage, with the same candidate. Rare, so the walk may
 * be long. */
static int verify_rollback(struct rlp_store *store, const struct rlp_decision *d)
{
	struct rlp_json *root = rlp_json_parse(d->json, d->json_len, NULL);
	const char *target = rlp_json_string(rlp_json_get(root, "rollback_to"));
	git_oid want, id;
	bool found = false;
	int error = 0;

	if (!target || git_oid_fromstr(&want, target) < 0) {
		error = rlp_error_set(RLP_EINVALID, "rollback names no earlier decision (rollback_to)");
		goto done;
	}
	git_oid_cpy(&id, &d->commit);
	for (size_t steps = 0; steps < 1000000; steps++) {
		git_commit *c = NULL;
		struct rlp_decision prev;
		if (git_commit_lookup(&c, store->repo, &id) < 0 || !git_commit_parentcount(c)) {
			git_commit_free(c);
			break;
		}
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if (rlp_decision_load(&prev, store, &id) < 0)
			break; /* the chain's start */
		bool same_stage = !strcmp(prev.stage, d->stage) && !strcmp(prev.model, d->model);
		bool match = git_oid_equal(&id, &want) && same_stage &&
			     git_oid_equal(&prev.candidate, &d->candidate);
		rlp_decision_clear(&prev);
		if (!same_stage)
			break;
		if (match) {
			found = true;
			break;
		}
	}
	if (!found)
		error = rlp_error_set(RLP_EINVALID, "rollback to a candidate the stage never held "
						    "(rollback_to %.12s)", target);
done:
	rlp_json_free(root);
	return error;
}

int rlp_verify_decision(struct rlp_store *store, const struct rlp_trusted *trusted,
			const git_oid *decision, time_t at)
{
	struct rlp_decision d;
	int error;

	if ((error = rlp_decision_load(&d, store, decision)) < 0)
		return error == RLP_ENOTFOUND ? RLP_EINVALID : error;
	if (strcmp(d.model, trusted->policy->model)) {
		error = rlp_error_set(RLP_EINVALID, "decision of model '%s', policy is for '%s'",
				      d.model, trusted->policy->model);
		goto done;
	}
	if ((error = rlp_verify_decision_signer(store, trusted, &d, at)) < 0)
		goto done;
	switch (d.kind) {
	case RLP_DECISION_PROMOTE:
		error = verify_promotion(store, trusted, &d, at);
		break;
	case RLP_DECISION_OVERRIDE:
	case RLP_DECISION_ROLLBACK:
		if (!d.reason || !*d.reason)
			error = rlp_error_set(RLP_EINVALID, "%s without a reason",
					      rlp_decision_kind_name(d.kind));
		else if (d.kind == RLP_DECISION_ROLLBACK)
			error = verify_rollback(store, &d);
		break;
	}
done:
	rlp_decision_clear(&d);
	return error;
}
