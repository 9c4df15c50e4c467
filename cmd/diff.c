/* git rlpromote diff: two candidates' newest runs on an env, compared slice
 * by slice on the ids both share (lib/diff.c does the statistics). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cmd.h"
#include "diff.h"
#include "error.h"
#include "evidence.h"
#include "json.h"
#include "progress_bar.h"
#include "runs.h"

struct diff_opts {
	const char *rev[2], *env, *policy_rev;
	bool json;
};

/* One side: its candidate, the run used and its records. */
struct side {
	git_oid candidate;
	struct rlp_run_ref run;
	struct rlp_run_data data;
	struct rlp_results *results;
	bool verified; /* the run is signed by an eval signer */
};

static void parse_options(struct diff_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"env", required_argument, NULL, 'e'},
		{"policy-rev", required_argument, NULL, 'P'},
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	check_help(argc, argv, "diff");
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o->env = optarg; break;
		case 'P': o->policy_rev = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				error("unknown format '%s' (text or json)", optarg);
				usage_of("diff", false);
			}
			o->json = !strcmp(optarg, "json");
			break;
		default:
			usage_of("diff", false);
		}
	}
	if (argc - optind != 2) {
		error("diff needs two revisions");
		usage_of("diff", false);
	}
	o->rev[0] = argv[optind];
	o->rev[1] = argv[optind + 1];
}

/* The env the trusted policy's first promotion with one names. */
static const char *default_env(const struct rlp_policy *policy)
{
	for (size_t i = 0; i < policy->npromotions; i++)
		if (policy->promotions[i].env)
			return policy->promotions[i].env;
	return NULL;
}

static bool signed_by_eval(struct rlp_store *store, const struct rlp_trusted *trusted,
			   const git_oid *commit)
{
	struct rlp_verified who;
	return rlp_sign_verify_commit(&who, store->repo, commit, &trusted->trust, time(NULL)) == 0 &&
	       rlp_trusted_has_role(trusted, RLP_ROLE_EVAL, who.principal);
}

/* The newest run signed by an eval signer; else the newest, with a warning. */
static void find_run(struct side *s, struct rlp_store *store, const struct rlp_trusted *trusted,
		     const char *rev, const char *env)
{
	struct rlp_run_ref *runs = NULL;
	size_t n = 0;

	if (rlp_runs_find(&runs, &n, store, &s->candidate, env) < 0)
		die("%s", rlp_error_last());
	if (!n)
		die("no runs of '%s' (%s) on '%s'", rev, short_id(&s->candidate), env);
	s->run = runs[0];
	for (size_t i = 0; i < n && !s->verified; i++)
		if (signed_by_eval(store, trusted, &runs[i].commit)) {
			s->run = runs[i];
			s->verified = true;
		}
	if (!s->verified)
		warning("no run of '%s' on '%s' is signed by an eval signer; using the newest, %s",
			rev, env, s->run.run_id);
	free(runs);
	if (rlp_run_load(&s->data, store, &s->run) < 0)
		die("%s", rlp_error_last());
}

/* Score names of a run, from its summary: a JSON object of objects. */
static struct rlp_json *summary_scores(struct rlp_json **root, const struct side *s)
{
	*root = rlp_json_parse(s->data.summary, s->data.summary_len, NULL);
	struct rlp_json *scores = rlp_json_get(*root, "scores");
	if (!rlp_json_is_object(scores))
		die("%s/summary.json: no scores", s->run.path);
	return scores;
}

/* Tags of every slice and the scores both runs carry (in A's order, which
 * the summary keeps sorted). Arrays are malloc'd; strings borrowed. */
static void build_spec(struct rlp_results_spec *spec, const struct rlp_policy *policy,
		       struct rlp_json *scores_a, struct rlp_json *scores_b)
{
	size_t ntags = 0, nmetrics = 0, cap = 1;
	for (size_t i = 0; i < policy->nslices; i++)
		cap += policy->slices[i].ntags;
	const char **tags = calloc(cap, sizeof(*tags));
	const char **metrics = calloc(rlp_json_size(scores_a) + 1, sizeof(*metrics));
	if (!tags || !metrics)
		die("out of memory");
	for (size_t i = 0; i < policy->nslices; i++)
		for (size_t t = 0; t < policy->slices[i].ntags; t++)
			tags[ntags++] = policy->slices[i].tags[t];
	for (struct rlp_json *m = rlp_json_first(scores_a); m; m = rlp_json_next(m))
		if (rlp_json_get(scores_b, rlp_json_key(m)))
			metrics[nmetrics++] = rlp_json_key(m);
	memset(spec, 0, sizeof(*spec));
	spec->tags = tags;
	spec->ntags = ntags;
	spec->metrics = metrics;
	spec->nmetrics = nmetrics;
}

static void read_results(struct side *s, const struct rlp_results_spec *spec, const char *label)
{
	struct progress_bar bar;

	progress_start(&bar, label, PROGRESS_BYTES, NULL);
	if (rlp_results_read_buffer_progress(&s->results, s->data.results, s->data.results_len,
					     s->run.path, spec, progress_of(&bar)) < 0)
		die("%s", rlp_error_last());
	progress_stop(&bar);
}

/* ---- output ---- */

static void side_json(struct rlp_json *root, const char *key, const char *rev,
		      const struct side *s)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct rlp_json *o = rlp_json_add_object(root, key);

	git_oid_tostr(hex, sizeof(hex), &s->candidate);
	rlp_json_add_string(o, "revision", rev);
	rlp_json_add_string(o, "candidate", hex);
	rlp_json_add_string(o, "run", s->run.path);
	rlp_json_add_string(o, "writer", s->run.writer);
	rlp_json_add_bool(o, "verified", s->verified);
	rlp_json_add_number(o, "ids", (double)rlp_results_count(s->results));
}

static char *diff_json(const struct diff_opts *o, const char *env, const struct side *sides,
		       const struct rlp_diff *d)
{
	struct rlp_json *root = rlp_json_new_object(), *rows;

	side_json(root, "a", o->rev[0], &sides[0]);
	side_json(root, "b", o->rev[1], &sides[1]);
	rlp_json_add_string(root, "env", env);
	rlp_json_add_number(root, "shared_ids", (double)d->shared);
	rlp_json_add_number(root, "confidence", d->confidence);
	rows = rlp_json_add_array(root, "rows");
	for (size_t i = 0; i < d->nrows; i++) {
		const struct rlp_diff_row *r = &d->rows[i];
		struct rlp_json *j = rlp_json_push_object(rows);
		rlp_json_add_string(j, "slice", r->slice);
		rlp_json_add_string(j, "metric", r->metric);
		rlp_json_add_number(j, "n", (double)r->n);
		rlp_json_add_number(j, "mean_a", r->mean_a);
		rlp_json_add_number(j, "mean_b", r->mean_b);
		rlp_json_add_number(j, "delta", r->delta);
		rlp_json_add_number(j, "lower", r->lower); /* NaN prints as null */
		rlp_json_add_number(j, "upper", r->upper);
		rlp_json_add_string(j, "method", r->method);
		rlp_json_add_bool(j, "binary", r->binary);
		if (r->binary) {
			rlp_json_add_number(j, "b", (double)r->b);
			rlp_json_add_number(j, "c", (double)r->c);
		} else {
			rlp_json_add_null(j, "b");
			rlp_json_add_null(j, "c");
		}
		rlp_json_add_number(j, "p_mcnemar", r->p_mcnemar);
	}
	char *text = rows ? rlp_json_print(root, true) : NULL;
	rlp_json_free(root);
	return text;
}

enum { C_SLICE, C_METRIC, C_N, C_A, C_B, C_DELTA, C_INT, C_P, NCOLS };

static void row_cells(char (*cell)[64], const struct rlp_diff_row *r)
{
	snprintf(cell[C_SLICE], 64, "%s", r->slice);
	snprintf(cell[C_METRIC], 64, "%s", r->metric);
	snprintf(cell[C_N], 64, "%ld", r->n);
	snprintf(cell[C_A], 64, "%.4f", r->mean_a);
	snprintf(cell[C_B], 64, "%.4f", r->mean_b);
	snprintf(cell[C_DELTA], 64, "%+.4f", r->delta);
	if (isnan(r->lower))
		snprintf(cell[C_INT], 64, "—");
	else
		snprintf(cell[C_INT], 64, "[%+.4f, %+.4f]", r->lower, r->upper);
	if (isnan(r->p_mcnemar))
		snprintf(cell[C_P], 64, "—");
	else
		snprintf(cell[C_P], 64, "%.4g", r->p_mcnemar);
}

static char *diff_text(const struct diff_opts *o, const char *env, const struct side *sides,
		       const struct rlp_diff *d, bool color)
{
	static const char *const heads[NCOLS] = {"SLICE", "METRIC", "N", "MEAN A", "MEAN B",
						 "DELTA", "INTERVAL", "P (MCNEMAR)"};
	struct rlp_buf b = RLP_BUF_INIT;
	size_t w[NCOLS];
	char cell[NCOLS][64];
	char *out = NULL;

	for (int i = 0; i < 2; i++)
		rlp_buf_printf(&b, "%s  %s %s: run %s by %s, %zu ids%s\n", i ? "B" : "A",
			       short_id(&sides[i].candidate), o->rev[i], sides[i].run.run_id,
			       sides[i].run.writer, rlp_results_count(sides[i].results),
			       sides[i].verified ? "" : " (run not signed by an eval signer)");
	rlp_buf_printf(&b, "env %s; %zu ids in both; delta = B - A, %.4g%% two-sided intervals\n\n",
		       env, d->shared, d->confidence * 100);
	for (int c = 0; c < NCOLS; c++)
		w[c] = rlp_utf8_width(heads[c]);
	for (size_t i = 0; i < d->nrows; i++) {
		row_cells(cell, &d->rows[i]);
		for (int c = 0; c < NCOLS; c++)
			if (rlp_utf8_width(cell[c]) > w[c])
				w[c] = rlp_utf8_width(cell[c]);
	}
	for (int c = 0; c < NCOLS; c++) {
		rlp_buf_pad(&b, heads[c], c == NCOLS - 1 ? 0 : w[c]);
		rlp_buf_puts(&b, c == NCOLS - 1 ? "\n" : "  ");
	}
	for (size_t i = 0; i < d->nrows; i++) {
		const struct rlp_diff_row *r = &d->rows[i];
		/* green when B is surely better, red when surely worse */
		const char *on = !color || isnan(r->lower) ? ""
				 : r->lower > 0		   ? "\033[32m"
				 : r->upper < 0		   ? "\033[31m"
							   : "";
		row_cells(cell, r);
		for (int c = 0; c < NCOLS; c++) {
			bool paint = *on && (c == C_DELTA || c == C_INT);
			rlp_buf_puts(&b, paint ? on : "");
			rlp_buf_pad(&b, cell[c], c == NCOLS - 1 ? 0 : w[c]);
			rlp_buf_puts(&b, paint ? "\033[0m" : "");
			rlp_buf_puts(&b, c == NCOLS - 1 ? "\n" : "  ");
		}
	}
	if (!d->nrows)
		rlp_buf_puts(&b, "(no pairs: the runs share no ids with a common score)\n");
	if (rlp_buf_detach(&out, &b) < 0)
		return NULL;
	return out;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_opts o;
	struct side sides[2];
	struct rlp_json *roots[2] = {NULL, NULL};
	struct rlp_results_spec spec;
	struct rlp_diff *d = NULL;

	parse_options(&o, argc, argv);
	memset(sides, 0, sizeof(sides));
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, o.policy_rev);
	const char *env = o.env ? o.env : default_env(trusted->policy);
	if (!env)
		die("the policy names no env: pass --env <name>");
	git_oid env_tip;
	unsigned env_version;
	if (rlp_env_tip(&env_tip, &env_version, store, env) < 0)
		die("%s", rlp_error_last());
	for (int i = 0; i < 2; i++) {
		resolve_commit(&sides[i].candidate, store, o.rev[i]);
		find_run(&sides[i], store, trusted, o.rev[i], env);
	}
	if (!git_oid_equal(&sides[0].data.env_commit, &sides[1].data.env_commit))
		warning("the runs used different versions of '%s'", env);
	build_spec(&spec, trusted->policy, summary_scores(&roots[0], &sides[0]),
		   summary_scores(&roots[1], &sides[1]));
	read_results(&sides[0], &spec, "reading A's results");
	read_results(&sides[1], &spec, "reading B's results");
	struct rlp_diff_input in = {
		.a = sides[0].results, .b = sides[1].results, .spec = &spec,
		.slices = trusted->policy->slices, .nslices = trusted->policy->nslices,
		.confidence = 0.95,
	};
	if (rlp_diff_compute(&d, &in) < 0)
		die("%s", rlp_error_last());
	char *text = o.json ? diff_json(&o, env, sides, d) : diff_text(&o, env, sides, d,
								      want_color(stdout));
	if (!text)
		die("out of memory");
	write_stdout(text);
	if (o.json)
		write_stdout("\n");
	free(text);
	rlp_diff_free(d);
	for (int i = 0; i < 2; i++) {
		rlp_results_free(sides[i].results);
		rlp_run_data_clear(&sides[i].data);
		rlp_json_free(roots[i]);
	}
	free((void *)spec.tags);
	free((void *)spec.metrics);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return RLP_EXIT_OK;
}
