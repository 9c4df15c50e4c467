/* Gathering a promotion's evidence from git and gating it. */
#include "evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decision.h"
#include "env.h"
#include "error.h"

void rlp_stage_ref(char *buf, size_t size, const struct rlp_policy *policy, const char *stage)
{
	snprintf(buf, size, RLP_REF_STAGES "%s/%s", policy->model, stage);
}

int rlp_stage_candidate(git_oid *candidate, git_oid *decision, struct rlp_store *store,
			const struct rlp_policy *policy, const char *stage)
{
	struct rlp_decision d;
	char ref[512];
	git_oid tip;
	int error;

	rlp_stage_ref(ref, sizeof(ref), policy, stage);
	if ((error = git_reference_name_to_id(&tip, store->repo, ref)) < 0)
		return error == GIT_ENOTFOUND
			       ? rlp_error_set(RLP_ENOTFOUND, "stage '%s' holds no model yet", stage)
			       : rlp_git_error(error, ref);
	if ((error = rlp_decision_load(&d, store, &tip)) < 0)
		return error;
	git_oid_cpy(candidate, &d.candidate);
	if (decision)
		git_oid_cpy(decision, &tip);
	rlp_decision_clear(&d);
	return 0;
}

int rlp_env_tip(git_oid *commit, unsigned *version, struct rlp_store *store, const char *env)
{
	git_oid *chain = NULL;
	size_t n = 0;
	char ref[512];
	int error;

	snprintf(ref, sizeof(ref), RLP_REF_ENVS "%s", env);
	if ((error = git_reference_name_to_id(commit, store->repo, ref)) < 0)
		return error == GIT_ENOTFOUND
			       ? rlp_error_set(RLP_ENOTFOUND, "environment '%s' was never frozen", env)
			       : rlp_git_error(error, ref);
	if ((error = rlp_env_chain(&chain, &n, store, commit)) < 0)
		return error;
	free(chain);
	*version = (unsigned)n;
	return 0;
}

static bool signed_by_eval(struct rlp_store *store, const struct rlp_trusted *trusted,
			   const git_oid *commit)
{
	struct rlp_verified who;
	return rlp_sign_verify_commit(&who, store->repo, commit, &trusted->trust, time(NULL)) == 0 &&
	       rlp_trusted_has_role(trusted, RLP_ROLE_EVAL, who.principal);
}

/* The newest run of `candidate` on the env version the promotion names. */
static int find_run(struct rlp_run_ref *out, bool *found, struct rlp_evidence *ev,
		    struct rlp_store *store, const git_oid *candidate, const char *who)
{
	struct rlp_run_ref *runs = NULL;
	size_t n = 0, stale = 0;
	int error;

	*found = false;
	if ((error = rlp_runs_find(&runs, &n, store, candidate, ev->promotion->env)) < 0)
		return error;
	size_t unsigned_runs = 0;
	for (size_t i = 0; i < n && !*found; i++) {
		struct rlp_run_data d;
		if ((error = rlp_run_load(&d, store, &runs[i])) < 0)
			break;
		if (!git_oid_equal(&d.env_commit, &ev->env_commit))
			stale++;
		else if (ev->trusted && !signed_by_eval(store, ev->trusted, &runs[i].commit))
			unsigned_runs++;
		else {
			*out = runs[i];
			*found = true;
		}
		rlp_run_data_clear(&d);
	}
	free(runs);
	if (error < 0)
		return error;
	if (!*found && !ev->problem[0])
		snprintf(ev->problem, sizeof(ev->problem),
			 "no %s run on %s@%u (%zu on older versions, %zu not signed by an eval signer)",
			 who, ev->promotion->env, ev->env_version, stale, unsigned_runs);
	return 0;
}

static int gather_and_gate(struct rlp_evidence *ev, struct rlp_store *store,
			   const struct rlp_policy *policy, const git_oid *candidate, const char *to);

bool rlp_promotion_uses_shadow(const struct rlp_promotion *p)
{
	for (size_t i = 0; p && i < p->nrules; i++)
		if (p->rules[i].kind == RLP_RULE_SHADOW_COMPARE)
			return true;
	return false;
}

/* A batch joins the tally: it must be traffic of the candidate, and of the
 * baseline the decision compares with when it names one. */
static int add_shadow_batch(struct rlp_evidence *ev, const struct rlp_run_data *d,
			    const struct rlp_run_ref *ref)
{
	if (!d->shadow || !git_oid_equal(&d->candidate, &ev->candidate))
		return rlp_error_set(RLP_EINVALID, "%s is not shadow traffic of %.12s", ref->path,
				     git_oid_tostr_s(&ev->candidate));
	if (ev->has_baseline && (!d->has_baseline || !git_oid_equal(&d->baseline, &ev->baseline)))
		return rlp_error_set(RLP_EINVALID, "%s was recorded against another model than the "
				     "baseline %.12s", ref->path, git_oid_tostr_s(&ev->baseline));
	/* a staged rollout steps on the traffic of the step it stands on */
	if (ev->share_now >= 0 && d->traffic_share != ev->share_now)
		return rlp_error_set(RLP_EINVALID, "%s was recorded at %g%% of the traffic, not %g%%",
				     ref->path, d->traffic_share, ev->share_now);
	return 0;
}

static int push_shadow_ref(struct rlp_evidence *ev, const struct rlp_run_ref *ref)
{
	struct rlp_run_ref *grown = realloc(ev->shadow_runs, (ev->nshadow + 1) * sizeof(*grown));

	if (!grown)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	ev->shadow_runs = grown;
	ev->shadow_runs[ev->nshadow++] = *ref;
	return 0;
}

/* Tally ev->shadow_runs (loading each); the gather has done it already. */
static int load_shadow(struct rlp_evidence *ev, struct rlp_store *store)
{
	struct rlp_shadow *acc = NULL;
	int error;

	if (ev->has_shadow)
		return 0;
	if ((error = rlp_shadow_new(&acc)) < 0)
		return error;
	for (size_t i = 0; i < ev->nshadow && !error; i++) {
		struct rlp_run_data d;
		if ((error = rlp_run_load(&d, store, &ev->shadow_runs[i])) < 0)
			break;
		if ((error = add_shadow_batch(ev, &d, &ev->shadow_runs[i])) == 0)
			error = rlp_shadow_add(acc, d.results, d.results_len, ev->shadow_runs[i].path);
		rlp_run_data_clear(&d);
	}
	if (!error) {
		rlp_shadow_get_tally(acc, &ev->shadow);
		ev->has_shadow = true;
	}
	rlp_shadow_free(acc);
	return error;
}

/* Every batch of the candidate's traffic that counts, oldest first; those
 * that do not are named in `problem`. */
static int find_shadow(struct rlp_evidence *ev, struct rlp_store *store)
{
	struct rlp_run_ref *runs = NULL;
	struct rlp_shadow *acc = NULL;
	size_t n = 0, unsigned_runs = 0, other_base = 0, other_share = 0;
	int error;

	if ((error = rlp_runs_find(&runs, &n, store, &ev->candidate, RLP_SHADOW_ENV)) < 0 ||
	    (error = rlp_shadow_new(&acc)) < 0)
		goto done;
	for (size_t i = n; i-- > 0 && !error;) {
		struct rlp_run_data d;
		if ((error = rlp_run_load(&d, store, &runs[i])) < 0)
			break;
		if (ev->trusted && !signed_by_eval(store, ev->trusted, &runs[i].commit))
			unsigned_runs++;
		else if (ev->share_now >= 0 && d.traffic_share != ev->share_now)
			other_share++;
		else if (add_shadow_batch(ev, &d, &runs[i]) < 0)
			other_base++;
		else if ((error = rlp_shadow_add(acc, d.results, d.results_len, runs[i].path)) == 0)
			error = push_shadow_ref(ev, &runs[i]);
		rlp_run_data_clear(&d);
	}
	if (error < 0)
		goto done;
	rlp_shadow_get_tally(acc, &ev->shadow);
	ev->has_shadow = true;
	if ((unsigned_runs || other_base) && !ev->problem[0])
		snprintf(ev->problem, sizeof(ev->problem),
			 "%zu shadow batches left out (%zu not signed by an eval signer, %zu against "
			 "another model than the baseline)", unsigned_runs + other_base, unsigned_runs,
			 other_base);
	if (other_share && !ev->problem[0])
		snprintf(ev->problem, sizeof(ev->problem),
			 "rollout step to %g%%: %zu batches at other traffic shares than %g%% left out",
			 ev->share_next, other_share, ev->share_now);
done:
	rlp_shadow_free(acc);
	free(runs);
	return error;
}

static int load_results(struct rlp_results **out, struct rlp_run_data *d,
			const struct rlp_results_spec *spec, const struct rlp_run_ref *ref)
{
	return rlp_results_read_buffer(out, d->results, d->results_len, ref->path, spec);
}

int rlp_evidence_gate(struct rlp_evidence *ev, struct rlp_store *store,
		      const struct rlp_policy *policy, const git_oid *candidate, const char *to)
{
	memset(ev, 0, sizeof(*ev));
	return gather_and_gate(ev, store, policy, candidate, to);
}

/* Where a staged rollout of the candidate stands: the step the rollout
 * stage's current decision gives it, when that is a promotion of this
 * candidate; else before the first step, on shadow traffic. */
static int rollout_position(struct rlp_evidence *ev, struct rlp_store *store)
{
	const struct rlp_rollout *r = &ev->promotion->rollout;
	struct rlp_decision d;
	char ref[512];
	int error;

	ev->decide_stage = ev->promotion->to;
	ev->rollout_step = -1;
	ev->share_now = -1; /* no rollout: traffic at any share counts */
	ev->share_next = 100;
	if (!r->stage)
		return 0;
	ev->share_now = 0;
	rlp_stage_ref(ref, sizeof(ref), ev->policy, r->stage);
	error = git_reference_name_to_id(&ev->rollout_tip, store->repo, ref);
	if (error < 0 && error != GIT_ENOTFOUND)
		return rlp_git_error(error, ref);
	if (error == 0) {
		ev->has_rollout_tip = true;
		if ((error = rlp_decision_load(&d, store, &ev->rollout_tip)) < 0)
			return error;
		for (size_t i = 0; i + 1 < r->nsteps; i++)
			if (d.kind == RLP_DECISION_PROMOTE && git_oid_equal(&d.candidate, &ev->candidate) &&
			    d.traffic_share == r->steps[i]) {
				ev->rollout_step = (int)i;
				ev->share_now = r->steps[i];
			}
		rlp_decision_clear(&d);
	}
	ev->share_next = r->steps[ev->rollout_step + 1];
	if (ev->share_next < 100)
		ev->decide_stage = r->stage;
	return 0;
}

static int gather_and_gate(struct rlp_evidence *ev, struct rlp_store *store,
			   const struct rlp_policy *policy, const git_oid *candidate, const char *to)
{
	const struct rlp_promotion *p = rlp_policy_promotion(policy, to);
	char ref[512];
	int error;

	rlp_run_metrics_init(&ev->cand_data.metrics);
	rlp_run_metrics_init(&ev->base_data.metrics);
	ev->policy = policy;
	ev->promotion = p;
	git_oid_cpy(&ev->candidate, candidate);
	if (!p)
		return rlp_error_set(RLP_ENOTFOUND, "policy has no promotion to stage '%s'", to);

	rlp_stage_ref(ref, sizeof(ref), policy, to);
	if (git_reference_name_to_id(&ev->stage_tip, store->repo, ref) == 0)
		ev->has_stage_tip = true;
	if ((error = rollout_position(ev, store)) < 0)
		return error;
	if (p->baseline) {
		error = rlp_stage_candidate(&ev->baseline, NULL, store, policy, p->baseline);
		if (error == 0)
			ev->has_baseline = true;
		else if (error == RLP_ENOTFOUND)
			snprintf(ev->problem, sizeof(ev->problem), "%s", rlp_error_last());
		else
			return error;
	}
	if (rlp_promotion_uses_shadow(p) && (error = find_shadow(ev, store)) < 0)
		return error;
	if (p->env) {
		error = rlp_env_tip(&ev->env_commit, &ev->env_version, store, p->env);
		if (error == RLP_ENOTFOUND)
			snprintf(ev->problem, sizeof(ev->problem), "%s", rlp_error_last());
		else if (error < 0)
			return error;
		if (error == 0 &&
		    (error = find_run(&ev->cand_run, &ev->has_cand_run, ev, store, candidate,
				      "candidate")) < 0)
			return error;
		if (error == 0 && ev->has_baseline &&
		    (error = find_run(&ev->base_run, &ev->has_base_run, ev, store, &ev->baseline,
				      "baseline")) < 0)
			return error;
	}
	/* a promotion decided on traffic alone needs no eval run */
	if (!ev->has_cand_run && (p->env || !rlp_promotion_uses_shadow(p)))
		return rlp_error_set(RLP_ENOTFOUND, "%s",
				     ev->problem[0] ? ev->problem : "no candidate run to gate");
	return rlp_evidence_evaluate(ev, store);
}

int rlp_evidence_evaluate(struct rlp_evidence *ev, struct rlp_store *store)
{
	const char *to = ev->promotion->to;
	int error;

	if ((error = rlp_gate_spec(&ev->spec, ev->policy, to)) < 0)
		return error;
	if (ev->has_cand_run &&
	    ((error = rlp_run_load(&ev->cand_data, store, &ev->cand_run)) < 0 ||
	     (error = load_results(&ev->cand, &ev->cand_data, &ev->spec, &ev->cand_run)) < 0))
		return error;
	if (rlp_promotion_uses_shadow(ev->promotion) && (error = load_shadow(ev, store)) < 0)
		return error;
	if (ev->has_base_run &&
	    ((error = rlp_run_load(&ev->base_data, store, &ev->base_run)) < 0 ||
	     (error = load_results(&ev->base, &ev->base_data, &ev->spec, &ev->base_run)) < 0))
		return error;
	struct rlp_gate_input in = {
		.policy = ev->policy, .to = to, .candidate = ev->cand, .baseline = ev->base,
		.spec = &ev->spec, .run = ev->has_cand_run ? &ev->cand_data.metrics : NULL,
		.shadow = ev->has_shadow ? &ev->shadow : NULL,
	};
	return rlp_gate_evaluate(&ev->result, &in);
}

int rlp_evidence_gate_trusted(struct rlp_evidence *ev, struct rlp_store *store,
			      const struct rlp_trusted *trusted, const git_oid *candidate,
			      const char *to)
{
	memset(ev, 0, sizeof(*ev));
	ev->trusted = trusted;
	return gather_and_gate(ev, store, trusted->policy, candidate, to);
}

void rlp_evidence_clear(struct rlp_evidence *ev)
{
	rlp_gate_result_free(ev->result);
	rlp_results_free(ev->cand);
	rlp_results_free(ev->base);
	rlp_run_data_clear(&ev->cand_data);
	rlp_run_data_clear(&ev->base_data);
	rlp_gate_spec_free(&ev->spec);
	free(ev->shadow_runs);
	memset(ev, 0, sizeof(*ev));
}
