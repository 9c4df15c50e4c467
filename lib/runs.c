/* Recording and finding eval runs. */
#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "json.h"
#include "monitor.h"
#include "notes.h"
#include "shadow.h"
#include "summary.h"

#define RUN_JSON_MAX (1u << 20)

struct record_payload {
	const struct rlp_run_new *run;
	char *run_json, *summary;
	char path[256];
	char run_id[64];
};

static void utc_stamp(char *buf, size_t size, time_t t, bool compact)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *build_run_json(const struct rlp_run_new *run, const char *writer, const char *run_id,
			    time_t now)
{
	char cand[GIT_OID_HEXSZ + 1], env[GIT_OID_HEXSZ + 1], when[32];
	struct rlp_json *root = rlp_json_new_object(), *metrics, *artifact = NULL;
	char *text;

	git_oid_tostr(cand, sizeof(cand), &run->candidate);
	git_oid_tostr(env, sizeof(env), &run->env_commit);
	utc_stamp(when, sizeof(when), now, false);
	rlp_json_add_string(root, "run", run_id);
	rlp_json_add_string(root, "kind", run->shadow ? "shadow" : run->monitor ? "monitor" : "eval");
	rlp_json_add_string(root, "candidate", cand);
	if (run->monitor) {
		rlp_json_add_string(root, "stage", run->stage);
	} else if (run->shadow) {
		char base[GIT_OID_HEXSZ + 1];
		if (run->has_baseline)
			rlp_json_add_string(root, "baseline",
					    git_oid_tostr(base, sizeof(base), &run->baseline));
		else
			rlp_json_add_null(root, "baseline");
		rlp_json_add_number(root, "traffic_share", run->traffic_share);
	} else {
		rlp_json_add_string(root, "env", run->env_name);
		rlp_json_add_string(root, "env_commit", env);
		rlp_json_add_number(root, "env_version", run->env_version);
	}
	rlp_json_add_string(root, "command", run->command ? run->command : "record");
	rlp_json_add_string(root, "writer", writer);
	rlp_json_add_string(root, "recorded_at", when);
	rlp_json_add_string(root, "tool", "git-rlpromote " RLP_VERSION);
	metrics = rlp_json_add_object(root, "metrics");
	if (run->repeats >= 0)
		rlp_json_add_number(metrics, "repeats", (double)run->repeats);
	if (run->repeats_identical >= 0)
		rlp_json_add_bool(metrics, "repeats_identical", run->repeats_identical == 1);
	for (size_t i = 0; run->metrics && i < run->metrics->count; i++)
		rlp_json_add_number(metrics, run->metrics->items[i].name,
				    run->metrics->items[i].value);
	if (run->artifact_json) {
		artifact = rlp_json_parse(run->artifact_json, strlen(run->artifact_json), NULL);
		/* copied member by member so the tree stays owned by root */
		struct rlp_json *a = rlp_json_add_object(root, "artifact");
		for (struct rlp_json *m = rlp_json_first(artifact); m; m = rlp_json_next(m))
			if (rlp_json_is_string(m))
				rlp_json_add_string(a, rlp_json_key(m), rlp_json_string(m));
	}
	text = metrics ? rlp_json_print(root, true) : NULL;
	rlp_json_free(artifact);
	rlp_json_free(root);
	return text;
}

static int build_record(git_oid *out, struct rlp_store *store, git_commit *tip, void *payload)
{
	struct record_payload *p = payload;
	struct rlp_tree_edit edits[3];
	git_tree *base = NULL, *tree = NULL;
	git_commit *env = NULL;
	git_oid tree_id;
	char msg[512], short_cand[12];
	int error;

	if (tip && (error = git_commit_tree(&base, tip)) < 0)
		return rlp_git_error(error, "cannot read the runs tree");
	const char *names[3] = {"run.json", "results.jsonl", "summary.json"};
	const char *data[3] = {p->run_json, p->run->results, p->summary};
	size_t lens[3] = {strlen(p->run_json), p->run->results_len, strlen(p->summary)};
	char paths[3][300];
	for (int i = 0; i < 3; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", p->path, names[i]);
		edits[i].path = paths[i];
		edits[i].remove = false;
		if ((error = rlp_store_blob(&edits[i].blob, store, data[i], lens[i])) < 0)
			goto done;
	}
	if ((error = rlp_store_tree_update(&tree_id, store, base, edits, 3)) < 0)
		goto done;
	if ((error = git_tree_lookup(&tree, store->repo, &tree_id)) < 0 ||
	    (!p->run->shadow && !p->run->monitor &&
	     (error = git_commit_lookup(&env, store->repo, &p->run->env_commit)) < 0)) {
		error = rlp_git_error(error, "cannot read objects");
		goto done;
	}
	git_oid_tostr(short_cand, sizeof(short_cand), &p->run->candidate);
	if (p->run->monitor)
		snprintf(msg, sizeof(msg), "live window of %s on %s: run %s\n", short_cand,
			 p->run->stage, p->run_id);
	else if (p->run->shadow)
		snprintf(msg, sizeof(msg), "shadow traffic of %s: run %s\n", short_cand, p->run_id);
	else
		snprintf(msg, sizeof(msg), "eval %s on %s@%u: run %s\n", short_cand,
			 p->run->env_name, p->run->env_version, p->run_id);
	/* parents: the writer's previous run, then the env version (not for traffic) */
	const git_commit *parents[2] = {tip, env};
	size_t nparents = (tip ? 1 : 0) + (env ? 1 : 0);
	error = rlp_store_commit(out, store, tree, tip ? parents : parents + 1, nparents, msg);
done:
	git_commit_free(env);
	git_tree_free(tree);
	git_tree_free(base);
	return error;
}

int rlp_run_record(struct rlp_run_ref *out, struct rlp_store *store, const struct rlp_run_new *run)
{
	struct record_payload p;
	char cand[GIT_OID_HEXSZ + 1], stamp[32], ref[256], results_id[GIT_OID_HEXSZ + 1];
	git_oid blob;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t now = ts.tv_sec;
	int error;

	memset(&p, 0, sizeof(p));
	p.run = run;
	if (run->monitor && (!run->stage || !*run->stage || strlen(run->stage) >= 128))
		return rlp_error_set(RLP_EINVALID, "a live window needs its stage");
	if (run->monitor)
		error = rlp_window_summary(&p.summary, run->results, run->results_len, "window");
	else if (run->shadow)
		error = rlp_shadow_summary(&p.summary, run->results, run->results_len, "traffic");
	else
		error = rlp_summary_compute_progress(&p.summary, run->results, run->results_len,
						     "results", run->progress);
	if (error < 0)
		return error;
	/* The run id: when, plus the results' blob id, so two writers recording
	 * the same second still differ unless they recorded the same bytes. */
	if ((error = git_odb_hash(&blob, run->results, run->results_len, GIT_OBJECT_BLOB)) < 0) {
		error = rlp_git_error(error, "cannot hash results");
		goto done;
	}
	git_oid_tostr(results_id, 9, &blob);
	utc_stamp(stamp, sizeof(stamp), now, true);
	git_oid_tostr(cand, sizeof(cand), &run->candidate);
	/* microseconds order two runs of one second; ids sort as they were made */
	if (snprintf(p.run_id, sizeof(p.run_id), "%.15s.%06ldZ-%.8s", stamp, ts.tv_nsec / 1000,
		     results_id) < 0 ||
	    snprintf(p.path, sizeof(p.path), "runs/%.2s/%s/%s/%s", cand, cand,
		     run->monitor ? RLP_MONITOR_ENV : run->shadow ? RLP_SHADOW_ENV : run->env_name,
		     p.run_id) >= (int)sizeof(p.path)) {
		error = rlp_error_set(RLP_EINVALID, "env name '%s' is too long", run->env_name);
		goto done;
	}
	if (!(p.run_json = build_run_json(run, store->writer, p.run_id, now))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(ref, sizeof(ref), RLP_REF_RUNS "%s", store->writer);
	if ((error = rlp_store_advance(&out->commit, store, ref, build_record, &p, "rlpromote: eval")) < 0)
		goto done;
	snprintf(out->writer, sizeof(out->writer), "%s", store->writer);
	snprintf(out->path, sizeof(out->path), "%s", p.path);
	snprintf(out->run_id, sizeof(out->run_id), "%s", p.run_id);
	/* the human index; never trusted, so its failure does not fail the run */
	char line[512];
	if (run->monitor)
		snprintf(line, sizeof(line), "rlpromote: live window on %s run %s by %s", run->stage,
			 p.run_id, store->writer);
	else if (run->shadow)
		snprintf(line, sizeof(line), "rlpromote: shadow traffic run %s by %s", p.run_id,
			 store->writer);
	else
		snprintf(line, sizeof(line), "rlpromote: eval %s@%u run %s by %s", run->env_name,
			 run->env_version, p.run_id, store->writer);
	rlp_notes_append(store, &run->candidate, line);
done:
	free(p.run_json);
	free(p.summary);
	return error;
}

static int cmp_run_newest_first(const void *a, const void *b)
{
	return -strcmp(((const struct rlp_run_ref *)a)->run_id, ((const struct rlp_run_ref *)b)->run_id);
}

int rlp_runs_find(struct rlp_run_ref **out, size_t *n, struct rlp_store *store,
		  const git_oid *candidate, const char *env_name)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	struct rlp_run_ref *runs = NULL;
	size_t count = 0, cap = 0;
	char cand[GIT_OID_HEXSZ + 1], dir[256];
	int error;

	*out = NULL;
	*n = 0;
	git_oid_tostr(cand, sizeof(cand), candidate);
	snprintf(dir, sizeof(dir), "runs/%.2s/%s/%s", cand, cand, env_name);
	if ((error = git_reference_iterator_glob_new(&it, store->repo, RLP_REF_RUNS "*")) < 0)
		return rlp_git_error(error, "cannot list runs");
	while ((error = git_reference_next(&ref, it)) == 0) {
		git_commit *tip = NULL;
		git_tree *tree = NULL, *sub = NULL;
		git_tree_entry *entry = NULL;
		const git_oid *target = git_reference_target(ref);
		if (target && git_commit_lookup(&tip, store->repo, target) == 0 &&
		    git_commit_tree(&tree, tip) == 0 && git_tree_entry_bypath(&entry, tree, dir) == 0 &&
		    git_tree_lookup(&sub, store->repo, git_tree_entry_id(entry)) == 0) {
			for (size_t i = 0; i < git_tree_entrycount(sub); i++) {
				const git_tree_entry *e = git_tree_entry_byindex(sub, i);
				if (count == cap) {
					size_t ncap = cap ? cap * 2 : 8;
					struct rlp_run_ref *grown = realloc(runs, ncap * sizeof(*grown));
					if (!grown) {
						error = rlp_error_set(RLP_ENOMEM, "out of memory");
						break;
					}
					runs = grown;
					cap = ncap;
				}
				struct rlp_run_ref *r = &runs[count++];
				memset(r, 0, sizeof(*r));
				git_oid_cpy(&r->commit, target);
				snprintf(r->writer, sizeof(r->writer), "%s",
					 git_reference_name(ref) + strlen(RLP_REF_RUNS));
				if (snprintf(r->run_id, sizeof(r->run_id), "%s", git_tree_entry_name(e)) >=
					    (int)sizeof(r->run_id) ||
				    snprintf(r->path, sizeof(r->path), "%s/%s", dir, r->run_id) >=
					    (int)sizeof(r->path)) {
					count--; /* not a run we wrote: a name this long is skipped */
					continue;
				}
			}
		}
		git_tree_free(sub);
		git_tree_entry_free(entry);
		git_tree_free(tree);
		git_commit_free(tip);
		git_reference_free(ref);
		if (error < 0)
			break;
	}
	git_reference_iterator_free(it);
	if (error < 0 && error != GIT_ITEROVER) {
		free(runs);
		return error < -100 ? error : rlp_git_error(error, "cannot list runs");
	}
	if (count) /* runs is NULL when there are none, which qsort may not take */
		qsort(runs, count, sizeof(*runs), cmp_run_newest_first);
	*out = runs;
	*n = count;
	return 0;
}

void rlp_run_data_clear(struct rlp_run_data *d)
{
	free(d->run_json);
	free(d->results);
	free(d->summary);
	rlp_run_metrics_clear(&d->metrics);
	memset(d, 0, sizeof(*d));
	rlp_run_metrics_init(&d->metrics);
}

static int parse_run_json(struct rlp_run_data *d, const char *name)
{
	struct rlp_json *root = rlp_json_parse(d->run_json, d->run_json_len, NULL), *metrics;
	const struct rlp_json *kind, *base, *share;
	const char *cand, *env;
	char *mtext = NULL;
	int error = 0;

	if (!root || !rlp_json_is_object(root)) {
		error = rlp_error_set(RLP_EINVALID, "%s/run.json: not a JSON object", name);
		goto done;
	}
	/* the kind must match where the run lives, so neither passes for the other */
	kind = rlp_json_get(root, "kind");
	d->shadow = kind && rlp_json_string(kind) && !strcmp(rlp_json_string(kind), "shadow");
	d->monitor = kind && rlp_json_string(kind) && !strcmp(rlp_json_string(kind), "monitor");
	if ((kind && !d->shadow && !d->monitor &&
	     (!rlp_json_string(kind) || strcmp(rlp_json_string(kind), "eval"))) ||
	    d->shadow != (strstr(name, "/" RLP_SHADOW_ENV "/") != NULL) ||
	    d->monitor != (strstr(name, "/" RLP_MONITOR_ENV "/") != NULL)) {
		error = rlp_error_set(RLP_EINVALID, "%s/run.json: kind does not match the run's path",
				      name);
		goto done;
	}
	cand = rlp_json_string(rlp_json_get(root, "candidate"));
	env = rlp_json_string(rlp_json_get(root, "env_commit"));
	base = rlp_json_get(root, "baseline");
	if (d->monitor) {
		const char *stage = rlp_json_string(rlp_json_get(root, "stage"));
		if (!cand || git_oid_fromstr(&d->candidate, cand) < 0 || !stage ||
		    strlen(stage) >= sizeof(d->stage)) {
			error = rlp_error_set(RLP_EINVALID, "%s/run.json: bad candidate or stage", name);
			goto done;
		}
		strcpy(d->stage, stage);
	} else if (d->shadow) {
		if (!cand || git_oid_fromstr(&d->candidate, cand) < 0 ||
		    (base && !rlp_json_is_null(base) &&
		     (!rlp_json_string(base) ||
		      git_oid_fromstr(&d->baseline, rlp_json_string(base)) < 0))) {
			error = rlp_error_set(RLP_EINVALID, "%s/run.json: bad candidate or baseline",
					      name);
			goto done;
		}
		d->has_baseline = base && !rlp_json_is_null(base);
		share = rlp_json_get(root, "traffic_share");
		if (share && (!rlp_json_is_finite_number(share) || rlp_json_number(share) < 0 ||
			      rlp_json_number(share) > 100)) {
			error = rlp_error_set(RLP_EINVALID, "%s/run.json: bad traffic_share", name);
			goto done;
		}
		d->traffic_share = share ? rlp_json_number(share) : 0;
	} else if (!cand || !env || git_oid_fromstr(&d->candidate, cand) < 0 ||
		   git_oid_fromstr(&d->env_commit, env) < 0) {
		error = rlp_error_set(RLP_EINVALID, "%s/run.json: bad candidate or env_commit", name);
		goto done;
	}
	metrics = rlp_json_get(root, "metrics");
	if (metrics) {
		if (!(mtext = rlp_json_print(metrics, false))) {
			error = rlp_error_set(RLP_ENOMEM, "out of memory");
			goto done;
		}
		error = rlp_run_metrics_parse(&d->metrics, mtext, strlen(mtext), name);
	}
done:
	free(mtext);
	rlp_json_free(root);
	return error;
}

int rlp_run_load(struct rlp_run_data *out, struct rlp_store *store, const struct rlp_run_ref *ref)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	char path[300];
	int error;

	memset(out, 0, sizeof(*out));
	rlp_run_metrics_init(&out->metrics);
	if ((error = git_commit_lookup(&commit, store->repo, &ref->commit)) < 0 ||
	    (error = git_commit_tree(&tree, commit)) < 0) {
		error = rlp_git_error(error, ref->path);
		goto done;
	}
	snprintf(path, sizeof(path), "%s/run.json", ref->path);
	if ((error = rlp_store_read_path(&out->run_json, &out->run_json_len, store, tree, path,
					 RUN_JSON_MAX)) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/results.jsonl", ref->path);
	if ((error = rlp_store_read_path(&out->results, &out->results_len, store, tree, path,
					 RLP_RESULTS_MAX)) < 0)
		goto done;
	snprintf(path, sizeof(path), "%s/summary.json", ref->path);
	if ((error = rlp_store_read_path(&out->summary, &out->summary_len, store, tree, path,
					 RUN_JSON_MAX * 16)) < 0)
		goto done;
	error = parse_run_json(out, ref->path);
done:
	git_tree_free(tree);
	git_commit_free(commit);
	if (error < 0)
		rlp_run_data_clear(out);
	return error;
}

int rlp_run_check_summary(const struct rlp_run_data *d, const char *name)
{
	char *again = NULL;
	int error = d->monitor	? rlp_window_summary(&again, d->results, d->results_len, name)
		    : d->shadow ? rlp_shadow_summary(&again, d->results, d->results_len, name)
				: rlp_summary_compute(&again, d->results, d->results_len, name);

	if (error < 0)
		return error;
	if (strlen(again) != d->summary_len || memcmp(again, d->summary, d->summary_len))
		error = rlp_error_set(RLP_EINVALID, "%s: summary.json does not match results.jsonl",
				      name);
	free(again);
	return error;
}
