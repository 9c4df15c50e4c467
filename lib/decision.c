/* Recording, reading and rolling back promotion decisions. */
#include "decision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "artifact.h"
#include "error.h"
#include "json.h"
#include "notes.h"
#include "report.h"

const char *rlp_decision_kind_name(enum rlp_decision_kind kind)
{
	static const char *const names[] = {"promote", "rollback", "override"};
	return (unsigned)kind < 3 ? names[kind] : "?";
}

static int kind_from_name(enum rlp_decision_kind *out, const char *name)
{
	for (int k = 0; k < 3; k++)
		if (name && !strcmp(name, rlp_decision_kind_name((enum rlp_decision_kind)k))) {
			*out = (enum rlp_decision_kind)k;
			return 0;
		}
	return -1;
}

static int copy_string(char *dst, size_t size, const struct rlp_json *j)
{
	const char *s = rlp_json_string(j);
	if (!s || strlen(s) >= size)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* decision.json comes from pushes too: every field is checked for shape. */
static int parse_decision(struct rlp_decision *d, const char *what)
{
	struct rlp_json *root = rlp_json_parse(d->json, d->json_len, NULL);
	const struct rlp_json *base, *reason, *share;
	int error = 0;

	if (!root || !rlp_json_is_object(root)) {
		error = rlp_error_set(RLP_EINVALID, "%s: decision.json is not a JSON object", what);
		goto done;
	}
	if (kind_from_name(&d->kind, rlp_json_string(rlp_json_get(root, "kind"))) < 0 ||
	    copy_string(d->model, sizeof(d->model), rlp_json_get(root, "model")) < 0 ||
	    copy_string(d->stage, sizeof(d->stage), rlp_json_get(root, "stage")) < 0 ||
	    copy_string(d->verdict, sizeof(d->verdict), rlp_json_get(root, "verdict")) < 0 ||
	    copy_string(d->actor, sizeof(d->actor), rlp_json_get(root, "actor")) < 0 ||
	    copy_string(d->decided_at, sizeof(d->decided_at), rlp_json_get(root, "decided_at")) < 0 ||
	    !rlp_json_string(rlp_json_get(root, "candidate")) ||
	    git_oid_fromstr(&d->candidate, rlp_json_string(rlp_json_get(root, "candidate"))) < 0) {
		error = rlp_error_set(RLP_EINVALID, "%s: decision.json is malformed (kind, model, "
						    "stage, candidate, verdict, actor, decided_at)", what);
		goto done;
	}
	base = rlp_json_get(root, "baseline");
	if (rlp_json_is_string(base)) {
		if (git_oid_fromstr(&d->baseline, rlp_json_string(base)) < 0) {
			error = rlp_error_set(RLP_EINVALID, "%s: decision.json: bad baseline", what);
			goto done;
		}
		d->has_baseline = true;
	}
	share = rlp_json_get(root, "traffic_share");
	d->traffic_share = share ? rlp_json_number(share) : 100;
	if (share && (!rlp_json_is_finite_number(share) || !(d->traffic_share > 0) ||
		      d->traffic_share > 100)) {
		error = rlp_error_set(RLP_EINVALID, "%s: decision.json: bad traffic_share", what);
		goto done;
	}
	reason = rlp_json_get(root, "reason");
	if (rlp_json_is_string(reason) && !(d->reason = strdup(rlp_json_string(reason))))
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
done:
	rlp_json_free(root);
	return error;
}

int rlp_decision_load(struct rlp_decision *out, struct rlp_store *store, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	char what[64];
	int error;

	memset(out, 0, sizeof(*out));
	git_oid_cpy(&out->commit, commit);
	git_oid_tostr(what, 13, commit);
	strcat(what, ":decision.json");
	if ((error = git_commit_lookup(&c, store->repo, commit)) < 0 ||
	    (error = git_commit_tree(&tree, c)) < 0) {
		error = rlp_git_error(error, "cannot read decision");
		goto done;
	}
	out->time = git_commit_time(c);
	if ((error = rlp_store_read_path(&out->json, &out->json_len, store, tree, "decision.json",
					 RLP_DECISION_MAX)) < 0)
		goto done;
	error = parse_decision(out, what);
done:
	git_tree_free(tree);
	git_commit_free(c);
	if (error < 0)
		rlp_decision_clear(out);
	return error;
}

void rlp_decision_clear(struct rlp_decision *d)
{
	free(d->reason);
	free(d->json);
	memset(d, 0, sizeof(*d));
}

/* ---- writing ---- */

static void add_oid(struct rlp_json *o, const char *key, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), id);
	rlp_json_add_string(o, key, hex);
}

static void add_run(struct rlp_json *o, const char *key, bool has, const struct rlp_run_ref *r)
{
	if (!has) {
		rlp_json_add_null(o, key);
		return;
	}
	struct rlp_json *run = rlp_json_add_object(o, key);
	rlp_json_add_string(run, "writer", r->writer);
	add_oid(run, "commit", &r->commit);
	rlp_json_add_string(run, "path", r->path);
}

/* The decision tree's three files. */
struct decision_text {
	char *json, *gate, *report;
};

/* What the candidate pins, for deploy scripts (`current`, `verify-artifact`). */
static int add_artifact(struct rlp_json *root, struct rlp_store *store,
			const struct rlp_policy *policy, const git_oid *candidate)
{
	struct rlp_json *parsed, *a;
	char *text = NULL;
	int error;

	if (!policy->artifact) {
		rlp_json_add_null(root, "artifact");
		return 0;
	}
	error = rlp_artifact_read(&text, store, candidate, policy->artifact);
	if (error == RLP_ENOTFOUND) {
		rlp_json_add_null(root, "artifact");
		return 0;
	}
	if (error < 0)
		return rlp_error_wrap(error, "artifact of the candidate");
	parsed = rlp_json_parse(text, strlen(text), NULL);
	a = rlp_json_add_object(root, "artifact");
	rlp_json_add_string(a, "path", policy->artifact);
	for (struct rlp_json *m = rlp_json_first(parsed); m; m = rlp_json_next(m))
		rlp_json_add_string(a, rlp_json_key(m), rlp_json_string(m));
	rlp_json_free(parsed);
	free(text);
	return 0;
}

/* Which stage a decision moves, from which tip, and the traffic share it
 * gives: a promotion's target at 100, or a step of its staged rollout. */
struct decision_target {
	const char *stage;
	const git_oid *tip; /* NULL: the stage holds no decision yet */
	double share;
	bool rollout_step;  /* write the rollout's progress into decision.json */
};

static void add_rollout(struct rlp_json *root, const struct rlp_evidence *ev)
{
	const struct rlp_rollout *r = &ev->promotion->rollout;
	struct rlp_json *o = rlp_json_add_object(root, "rollout"), *steps;

	rlp_json_add_string(o, "stage", r->stage);
	rlp_json_add_string(o, "promotion", ev->promotion->to);
	steps = rlp_json_add_array(o, "steps");
	for (size_t i = 0; i < r->nsteps; i++)
		rlp_json_push_number(steps, r->steps[i]);
	rlp_json_add_number(o, "step", ev->rollout_step + 2); /* 1-based: the step taken */
	rlp_json_add_number(o, "evidence_share", ev->share_now);
	if (ev->rollout_step >= 0) /* the decision that gave the step it rests on */
		add_oid(o, "from_decision", &ev->rollout_tip);
}

static int build_texts(struct decision_text *t, struct rlp_store *store,
		       const struct rlp_evidence *ev, enum rlp_decision_kind kind, const char *reason,
		       const git_oid *candidate, const char *actor, const struct rlp_trusted *trusted,
		       const git_oid *rollback_to, const struct decision_target *target)
{
	const struct rlp_promotion *p = ev->promotion;
	struct rlp_json *root = rlp_json_new_object(), *gate = NULL, *env, *pol;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	int error = 0;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rlp_json_add_string(root, "kind", rlp_decision_kind_name(kind));
	rlp_json_add_string(root, "model", ev->policy->model);
	rlp_json_add_string(root, "stage", target->stage);
	rlp_json_add_string(root, "from", p->from);
	rlp_json_add_number(root, "traffic_share", target->share);
	if (target->rollout_step)
		add_rollout(root, ev);
	add_oid(root, "candidate", candidate);
	if (ev->has_baseline)
		add_oid(root, "baseline", &ev->baseline);
	else
		rlp_json_add_null(root, "baseline");
	env = rlp_json_add_object(root, "env");
	rlp_json_add_string(env, "name", p->env ? p->env : "");
	add_oid(env, "commit", &ev->env_commit);
	rlp_json_add_number(env, "version", ev->env_version);
	pol = rlp_json_add_object(root, "policy");
	add_oid(pol, "commit", &trusted->commit);
	rlp_json_add_string(pol, "rev", trusted->rev);
	struct rlp_json *runs = rlp_json_add_object(root, "runs");
	add_run(runs, "candidate", ev->has_cand_run, &ev->cand_run);
	add_run(runs, "baseline", ev->has_base_run, &ev->base_run);
	if (ev->nshadow) { /* the batches of shadow traffic, oldest first */
		struct rlp_json *shadow = rlp_json_add_array(runs, "shadow");
		for (size_t i = 0; i < ev->nshadow; i++) {
			struct rlp_json *o = rlp_json_push_object(shadow);
			rlp_json_add_string(o, "writer", ev->shadow_runs[i].writer);
			add_oid(o, "commit", &ev->shadow_runs[i].commit);
			rlp_json_add_string(o, "path", ev->shadow_runs[i].path);
		}
	}
	/* the gate's outcome; NONE when there was no evidence to gate */
	rlp_json_add_string(root, "verdict",
			    ev->result ? rlp_outcome_name(ev->result->decision) : "NONE");
	rlp_json_add_string(root, "actor", actor);
	if (reason)
		rlp_json_add_string(root, "reason", reason);
	else
		rlp_json_add_null(root, "reason");
	rlp_json_add_string(root, "decided_at", when);
	rlp_json_add_string(root, "tool", "git-rlpromote " RLP_VERSION);
	if (rollback_to) /* the earlier decision whose candidate this restores */
		add_oid(root, "rollback_to", rollback_to);
	if ((error = add_artifact(root, store, ev->policy, candidate)) < 0)
		goto done;

	struct rlp_report_meta meta = {.policy = ev->policy, .policy_name = RLP_POLICY_PATH,
				       .candidate = ev->has_cand_run ? ev->cand_run.path : "-",
				       .baseline = ev->has_base_run ? ev->base_run.path : NULL};
	if (ev->result) {
		if ((error = rlp_report_json(&gate, ev->result, &meta)) < 0 ||
		    (error = rlp_report_markdown(&t->report, ev->result, &meta)) < 0)
			goto done;
		t->gate = rlp_json_print(gate, true);
	} else {
		char buf[512];
		snprintf(buf, sizeof(buf), "## %s of `%s` to %s\n\nNo gate: %s\n\nReason: %s\n",
			 rlp_decision_kind_name(kind), ev->policy->model, p->to,
			 ev->problem[0] ? ev->problem : "no evidence", reason ? reason : "-");
		t->report = strdup(buf);
	}
	if (!t->gate)
		t->gate = strdup("null");
	t->json = rlp_json_print(root, true);
	if (!t->json || !t->report || !t->gate)
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
done:
	rlp_json_free(gate);
	rlp_json_free(root);
	return error;
}

struct decide_payload {
	const struct decision_text *text;
	const git_oid *expected_tip; /* NULL: the stage must not exist yet */
	const git_oid **evidence;    /* run commits used (one may hold several runs) */
	size_t nevidence;
	const struct rlp_trusted *trusted;
	enum rlp_role role;
	const char *actor;
	const char *message;
};

/* The principal of a fresh commit, verified at now against the trusted
 * signers: the same check the server will make when this is pushed. */
static int check_signer(struct rlp_store *store, const git_oid *commit,
			const struct decide_payload *p)
{
	struct rlp_verified who;
	int error;

	if (!store->signing)
		return rlp_error_set(RLP_EINVALID, "decisions must be signed: set user.signingKey "
						   "(and gpg.format ssh for an ssh key)");
	if ((error = rlp_sign_verify_commit(&who, store->repo, commit, &p->trusted->trust,
					    time(NULL))) < 0)
		return rlp_error_wrap(error, "your signature would not be accepted");
	if (strcmp(who.principal, p->actor))
		return rlp_error_set(RLP_EINVALID, "signed by '%s' but user.email is '%s'",
				     who.principal, p->actor);
	if (!rlp_trusted_has_role(p->trusted, p->role, who.principal))
		return rlp_error_set(RLP_EINVALID, "'%s' may not %s under %s:%s (signers.%s)",
				     who.principal, p->role == RLP_ROLE_OVERRIDE ? "override" : "promote",
				     p->trusted->rev, RLP_POLICY_PATH, rlp_role_name(p->role));
	return 0;
}

static int build_decision(git_oid *out, struct rlp_store *store, git_commit *tip, void *payload)
{
	const struct decide_payload *p = payload;
	const git_commit **parents = NULL;
	git_commit **runs = NULL;
	git_tree *tree = NULL;
	struct rlp_tree_edit edits[3];
	git_oid tree_id;
	size_t np = 0;
	int error;

	if ((tip == NULL) != (p->expected_tip == NULL) ||
	    (tip && !git_oid_equal(git_commit_id(tip), p->expected_tip)))
		return rlp_error_set(RLP_ECONFLICT, "the stage moved while deciding: fetch, gate "
						    "and decide again");
	const char *names[3] = {"decision.json", "gate.json", "report.md"};
	const char *data[3] = {p->text->json, p->text->gate, p->text->report};
	for (int i = 0; i < 3; i++) {
		edits[i].path = names[i];
		edits[i].remove = false;
		if ((error = rlp_store_blob(&edits[i].blob, store, data[i], strlen(data[i]))) < 0)
			return error;
	}
	if ((error = rlp_store_tree_update(&tree_id, store, NULL, edits, 3)) < 0)
		return error;
	if ((error = git_tree_lookup(&tree, store->repo, &tree_id)) < 0)
		return rlp_git_error(error, "cannot read tree");
	parents = calloc(p->nevidence + 1, sizeof(*parents));
	runs = calloc(p->nevidence + 1, sizeof(*runs));
	if (!parents || !runs) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	if (tip)
		parents[np++] = tip;
	for (size_t i = 0; i < p->nevidence; i++) {
		bool listed = false;
		/* one run commit may hold several runs, and a rollout step's previous
		 * decision may be the tip: a parent is listed once */
		for (size_t k = 0; k < np && !listed; k++)
			listed = git_oid_equal(git_commit_id(parents[k]), p->evidence[i]);
		if (listed)
			continue;
		if ((error = git_commit_lookup(&runs[i], store->repo, p->evidence[i])) < 0) {
			error = rlp_git_error(error, "cannot read evidence");
			goto done;
		}
		parents[np++] = runs[i];
	}
	if ((error = rlp_store_commit(out, store, tree, parents, np, p->message)) < 0)
		goto done;
	error = check_signer(store, out, p);
done:
	for (size_t i = 0; runs && i < p->nevidence; i++)
		git_commit_free(runs[i]);
	free(runs);
	free(parents);
	git_tree_free(tree);
	return error;
}

static int committer_email(char *buf, size_t size, struct rlp_store *store)
{
	git_signature *sig = NULL;
	const char *env = getenv("GIT_COMMITTER_EMAIL");
	int error;

	if (env) {
		snprintf(buf, size, "%s", env);
		return 0;
	}
	if ((error = git_signature_default(&sig, store->repo)) < 0)
		return rlp_git_error(error, "cannot tell who you are (set user.email)");
	snprintf(buf, size, "%s", sig->email);
	git_signature_free(sig);
	return 0;
}

static int record(struct rlp_decision *out, struct rlp_store *store, const struct rlp_evidence *ev,
		  enum rlp_decision_kind kind, const char *reason, const git_oid *candidate,
		  const struct rlp_trusted *trusted, enum rlp_role role, const git_oid *rollback_to,
		  const struct decision_target *target)
{
	struct decision_text text = {NULL, NULL, NULL};
	char actor[256], ref[512], msg[1024], cand[12];
	const git_oid **evidence = NULL;
	size_t nevidence = 0;
	git_oid id;
	int error;

	if ((error = committer_email(actor, sizeof(actor), store)) < 0)
		return error;
	if ((error = build_texts(&text, store, ev, kind, reason, candidate, actor, trusted,
				 rollback_to, target)) < 0)
		goto done;
	git_oid_tostr(cand, sizeof(cand), candidate);
	if (target->share < 100)
		snprintf(msg, sizeof(msg), "%s %s to %s at %g%%: %s\n%s%s\n",
			 rlp_decision_kind_name(kind), cand, target->stage, target->share,
			 ev->result ? rlp_outcome_name(ev->result->decision) : "no gate",
			 reason ? "\n" : "", reason ? reason : "");
	else
		snprintf(msg, sizeof(msg), "%s %s to %s: %s\n%s%s\n", rlp_decision_kind_name(kind),
			 cand, target->stage,
			 ev->result ? rlp_outcome_name(ev->result->decision) : "no gate",
			 reason ? "\n" : "", reason ? reason : "");
	evidence = calloc(ev->nshadow + 3, sizeof(*evidence));
	if (!evidence) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	if (ev->has_cand_run)
		evidence[nevidence++] = &ev->cand_run.commit;
	if (ev->has_base_run)
		evidence[nevidence++] = &ev->base_run.commit;
	for (size_t i = 0; i < ev->nshadow; i++)
		evidence[nevidence++] = &ev->shadow_runs[i].commit;
	/* a rollout step to the target builds on the step before, on its stage */
	if (target->rollout_step && ev->rollout_step >= 0 && ev->has_rollout_tip)
		evidence[nevidence++] = &ev->rollout_tip;
	struct decide_payload p = {
		.text = &text,
		.expected_tip = target->tip,
		.evidence = evidence, .nevidence = nevidence,
		.trusted = trusted, .role = role, .actor = actor, .message = msg,
	};
	rlp_stage_ref(ref, sizeof(ref), ev->policy, target->stage);
	if ((error = rlp_store_advance(&id, store, ref, build_decision, &p, "rlpromote: decide")) < 0)
		goto done;
	if ((error = rlp_decision_load(out, store, &id)) < 0)
		goto done;
	/* the human index; never trusted, so a failure here is not fatal */
	char line[512];
	snprintf(line, sizeof(line), "rlpromote: %s %s %s by %s at %s (%.12s)",
		 rlp_decision_kind_name(kind), target->stage, out->verdict, actor,
		 out->decided_at, git_oid_tostr_s(&id));
	rlp_notes_append(store, candidate, line);
done:
	free(evidence);
	free(text.json);
	free(text.gate);
	free(text.report);
	return error;
}

int rlp_decide(struct rlp_decision *out, struct rlp_store *store, const struct rlp_evidence *ev,
	       const struct rlp_decide_opts *opts)
{
	const struct rlp_policy *policy = ev->policy;
	const struct rlp_promotion *p = ev->promotion;

	memset(out, 0, sizeof(*out));
	if (opts->kind == RLP_DECISION_OVERRIDE) {
		/* an override skips any staged rollout: the target, at once */
		struct decision_target to = {p->to, ev->has_stage_tip ? &ev->stage_tip : NULL, 100,
					     false};
		if (!opts->reason || !*opts->reason)
			return rlp_error_set(RLP_EINVALID, "an override needs a written --reason");
		return record(out, store, ev, opts->kind, opts->reason, &ev->candidate, opts->trusted,
			      RLP_ROLE_OVERRIDE, NULL, &to);
	}
	/* the candidate must hold the stage it comes from (the first stage is
	 * where every candidate starts) */
	if (policy->nstages && strcmp(p->from, policy->stages[0])) {
		git_oid held;
		int error = rlp_stage_candidate(&held, NULL, store, policy, p->from);
		if (error < 0 && error != RLP_ENOTFOUND)
			return error;
		if (error == RLP_ENOTFOUND || !git_oid_equal(&held, &ev->candidate))
			return rlp_error_set(RLP_EINVALID, "the candidate does not hold stage '%s': "
							   "promote it there first",
					     p->from);
	}
	if (!ev->result)
		return rlp_error_set(RLP_EINVALID, "no evidence to gate (%s): not promoting",
				     ev->problem[0] ? ev->problem : "no candidate run");
	if (ev->result->decision != RLP_GO)
		return rlp_error_set(RLP_EINVALID, "the gate says %s: not promoting (override with "
						   "--override --reason if you must)",
				     rlp_outcome_name(ev->result->decision));
	/* with a staged rollout, the next step: the rollout stage below 100% */
	struct decision_target to = {p->to, ev->has_stage_tip ? &ev->stage_tip : NULL, 100,
				     p->rollout.stage != NULL};
	if (ev->decide_stage && strcmp(ev->decide_stage, p->to)) {
		to.stage = ev->decide_stage;
		to.tip = ev->has_rollout_tip ? &ev->rollout_tip : NULL;
		to.share = ev->share_next;
	}
	return record(out, store, ev, opts->kind, opts->reason, &ev->candidate, opts->trusted,
		      RLP_ROLE_PROMOTE, NULL, &to);
}

int rlp_rollback(struct rlp_decision *out, struct rlp_store *store,
		 const struct rlp_trusted *trusted, const char *stage, const git_oid *to_decision,
		 const char *reason)
{
	const struct rlp_policy *policy = trusted->policy;
	struct rlp_decision target;
	struct rlp_evidence ev;
	git_commit *tip = NULL;
	char ref[512];
	git_oid target_id;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&ev, 0, sizeof(ev));
	if (!reason || !*reason)
		return rlp_error_set(RLP_EINVALID, "a rollback needs a written --reason");
	if (!(ev.promotion = rlp_policy_stage_promotion(policy, stage)))
		return rlp_error_set(RLP_ENOTFOUND, "policy has no promotion to stage '%s'", stage);
	ev.policy = policy;
	rlp_stage_ref(ref, sizeof(ref), policy, stage);
	if ((error = rlp_store_ref_commit(&tip, store, ref)) < 0)
		return error;
	ev.has_stage_tip = true;
	git_oid_cpy(&ev.stage_tip, git_commit_id(tip));
	if (to_decision) {
		git_oid_cpy(&target_id, to_decision);
	} else if (git_commit_parentcount(tip) > 0) {
		git_oid_cpy(&target_id, git_commit_parent_id(tip, 0));
	} else {
		git_commit_free(tip);
		return rlp_error_set(RLP_EINVALID, "stage '%s' has no earlier decision to roll back to",
				     stage);
	}
	git_commit_free(tip);
	if ((error = rlp_decision_load(&target, store, &target_id)) < 0)
		return error;
	if (strcmp(target.stage, stage) || strcmp(target.model, policy->model)) {
		rlp_decision_clear(&target);
		return rlp_error_set(RLP_EINVALID, "decision %.12s is not a decision of stage '%s'",
				     git_oid_tostr_s(&target_id), stage);
	}
	snprintf(ev.problem, sizeof(ev.problem), "rollback to decision %.12s",
		 git_oid_tostr_s(&target_id));
	/* what that decision gave, at the share it gave */
	struct decision_target to = {stage, &ev.stage_tip, target.traffic_share, false};
	error = record(out, store, &ev, RLP_DECISION_ROLLBACK, reason, &target.candidate, trusted,
		       RLP_ROLE_PROMOTE, &target_id, &to);
	rlp_decision_clear(&target);
	return error;
}
