/* Live windows and the production monitor's comparison (see monitor.h). */
#include "monitor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "results_private.h"
#include "stats.h"

#define WINDOW_MAX_LINE (1u << 20)
#define QUOTE_MAX 72

struct dvec {
	double *x;
	size_t n, cap;
};

struct rlp_window {
	struct results_strtab ids, actions;
	uint64_t *action_count; /* per action index */
	size_t action_cap;
	struct dvec reward, latency;
	long n, errors;
	struct rlp_instant first, last;
};

static int dvec_push(struct dvec *v, double x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 256;
		double *grown = realloc(v->x, cap * sizeof(*grown));
		if (!grown)
			return rlp_error_set(RLP_ENOMEM, "out of memory for a window");
		v->x = grown;
		v->cap = cap;
	}
	v->x[v->n++] = x;
	return 0;
}

int rlp_window_new(struct rlp_window **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : rlp_error_set(RLP_ENOMEM, "out of memory");
}

void rlp_window_free(struct rlp_window *w)
{
	if (!w)
		return;
	results_strtab_free(&w->ids);
	results_strtab_free(&w->actions);
	free(w->action_count);
	free(w->reward.x);
	free(w->latency.x);
	free(w);
}

size_t rlp_window_requests(const struct rlp_window *w)
{
	return w ? (size_t)w->n : 0;
}

static int quoted(const char *before, const char *subject, const char *after)
{
	char q[QUOTE_MAX];

	results_quote(q, sizeof(q), subject);
	return rlp_error_set(RLP_EINVALID, "%s'%s'%s", before, q, after);
}

static int count_action(struct rlp_window *w, const char *a)
{
	size_t len = strlen(a), index;
	bool added;
	int rc = results_strtab_intern(&w->actions, a, len, results_hash(a, len), &index, &added);

	if (rc)
		return rc;
	if (index >= w->action_cap) {
		size_t cap = w->action_cap ? 2 * w->action_cap : 16;
		uint64_t *grown = realloc(w->action_count, cap * sizeof(*grown));
		if (!grown)
			return rlp_error_set(RLP_ENOMEM, "out of memory for a window");
		memset(grown + w->action_cap, 0, (cap - w->action_cap) * sizeof(*grown));
		w->action_count = grown;
		w->action_cap = cap;
	}
	w->action_count[index]++;
	return 0;
}

static const char *const fields[] = {"id", "timestamp", "reward", "error", "latency_ms", "action",
				     NULL};
enum { F_ID, F_TS, F_REWARD, F_ERROR, F_LATENCY, F_ACTION, F_COUNT };

static int parse_line(struct rlp_window *w, const struct rlp_window *before, const char *line,
		      size_t len)
{
	const struct rlp_json *root, *f[F_COUNT] = {NULL};
	struct rlp_instant ts;
	const char *id, *t;
	size_t off, index;
	bool added;
	int rc;

	if (!(root = rlp_json_parse(line, len, &off)))
		return off == SIZE_MAX ? RLP_ENOMEM : RLP_EINVALID; /* message set */
	if (!rlp_json_is_object(root))
		return rlp_error_set(RLP_EINVALID, "not a JSON object");
	const char *dup;
	if (rlp_json_pick(root, fields, f, &dup) < 0)
		return quoted("duplicate key ", dup, "");
	if (!f[F_ID] || !rlp_json_is_string(f[F_ID]) || !*(id = rlp_json_string(f[F_ID])))
		return rlp_error_set(RLP_EINVALID, "id: missing or not a non-empty string");
	if (!f[F_TS] || !(t = rlp_json_string(f[F_TS])))
		return rlp_error_set(RLP_EINVALID, "timestamp: missing or not a string");
	if (rlp_instant_parse(&ts, t) != 0)
		return quoted("timestamp: ", t, " is not an RFC 3339 time");
	if (f[F_REWARD] && !rlp_json_is_finite_number(f[F_REWARD]))
		return rlp_error_set(RLP_EINVALID, "reward: not a finite number");
	if (f[F_LATENCY] && (!rlp_json_is_finite_number(f[F_LATENCY]) ||
			     rlp_json_number(f[F_LATENCY]) < 0))
		return rlp_error_set(RLP_EINVALID, "latency_ms: not a finite number >= 0");
	if (f[F_ERROR] && !rlp_json_is_bool(f[F_ERROR]) && !rlp_json_is_string(f[F_ERROR]))
		return rlp_error_set(RLP_EINVALID, "error: not a boolean or a string");
	if (f[F_ACTION] && !rlp_json_is_string(f[F_ACTION]))
		return rlp_error_set(RLP_EINVALID, "action: not a string");
	if (before && results_strtab_find(&before->ids, id, strlen(id),
					  results_hash(id, strlen(id))) >= 0)
		return quoted("request ", id, " is already in the window");
	if ((rc = results_strtab_intern(&w->ids, id, strlen(id), results_hash(id, strlen(id)),
					&index, &added)) != 0)
		return rc;
	if (!added)
		return quoted("request ", id, " appears twice");
	if (f[F_REWARD] && (rc = dvec_push(&w->reward, rlp_json_number(f[F_REWARD]))) != 0)
		return rc;
	if (f[F_LATENCY] && (rc = dvec_push(&w->latency, rlp_json_number(f[F_LATENCY]))) != 0)
		return rc;
	if (f[F_ACTION] && (rc = count_action(w, rlp_json_string(f[F_ACTION]))) != 0)
		return rc;
	w->errors += f[F_ERROR] && (rlp_json_is_string(f[F_ERROR]) || rlp_json_is_true(f[F_ERROR]));
	if (!w->n || ts.sec < w->first.sec || (ts.sec == w->first.sec && ts.nsec < w->first.nsec))
		w->first = ts;
	if (!w->n || ts.sec > w->last.sec || (ts.sec == w->last.sec && ts.nsec > w->last.nsec))
		w->last = ts;
	w->n++;
	return 0;
}

/* Into `into`, what `from` holds (both parsed and sound). */
static int merge(struct rlp_window *into, const struct rlp_window *from)
{
	size_t index;
	bool added;
	int rc = 0;

	for (size_t i = 0; i < from->ids.n && !rc; i++) {
		const char *id = from->ids.strs[i];
		rc = results_strtab_intern(&into->ids, id, strlen(id), results_hash(id, strlen(id)),
					   &index, &added);
	}
	for (size_t i = 0; i < from->reward.n && !rc; i++)
		rc = dvec_push(&into->reward, from->reward.x[i]);
	for (size_t i = 0; i < from->latency.n && !rc; i++)
		rc = dvec_push(&into->latency, from->latency.x[i]);
	for (size_t i = 0; i < from->actions.n && !rc; i++)
		for (uint64_t k = 0; k < from->action_count[i] && !rc; k++)
			rc = count_action(into, from->actions.strs[i]);
	if (rc)
		return rc;
	if (!into->n || rlp_instant_diff(&from->first, &into->first) < 0)
		into->first = from->first;
	if (!into->n || rlp_instant_diff(&from->last, &into->last) > 0)
		into->last = from->last;
	into->n += from->n;
	into->errors += from->errors;
	return 0;
}

int rlp_window_add(struct rlp_window *w, const char *buf, size_t len, const char *name)
{
	struct rlp_json_arena *arena = rlp_json_arena_new(0);
	struct rlp_window *batch = NULL;
	struct results_lines src;
	const char *line;
	size_t linelen;
	int rc;

	name = name ? name : "<window>";
	if (!arena || rlp_window_new(&batch) < 0) {
		rlp_json_arena_free(arena);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	rlp_json_arena_set_limit(arena, 64u << 20);
	results_lines_init(&src, WINDOW_MAX_LINE);
	src.mem = buf ? buf : "";
	src.mem_len = buf ? len : 0;
	rlp_json_arena_use(arena);
	while ((rc = results_lines_next(&src, &line, &linelen)) == 1) {
		if (results_lines_skip_blank(&src, &line, &linelen))
			continue;
		rlp_json_arena_reset(arena);
		if ((rc = parse_line(batch, w, line, linelen)) != 0)
			break;
	}
	rlp_json_arena_use(NULL);
	rlp_json_arena_free(arena);
	if (rc < 0)
		rc = rlp_error_wrap(rc, "%s:%zu", name, src.lineno);
	else if (!batch->n)
		rc = rlp_error_set(RLP_EINVALID, "%s: no requests", name);
	else
		rc = merge(w, batch);
	rlp_window_free(batch);
	return rc;
}

int rlp_window_summary(char **out, const char *buf, size_t len, const char *name)
{
	struct rlp_window *w = NULL;
	struct rlp_json *root = NULL;
	char first[40], last[40], *text = NULL;
	double sum = 0;
	int rc;

	*out = NULL;
	if ((rc = rlp_window_new(&w)) != 0 || (rc = rlp_window_add(w, buf, len, name)) != 0)
		goto done;
	for (size_t i = 0; i < w->reward.n; i++)
		sum += w->reward.x[i];
	rlp_instant_format(first, &w->first);
	rlp_instant_format(last, &w->last);
	root = rlp_json_new_object();
	rlp_json_add_number(root, "actions", (double)w->actions.n);
	rlp_json_add_number(root, "errors", (double)w->errors);
	rlp_json_add_string(root, "first", first);
	rlp_json_add_string(root, "last", last);
	rlp_json_add_number(root, "latency_ms", (double)w->latency.n);
	rlp_json_add_number(root, "requests", (double)w->n);
	if (w->reward.n)
		rlp_json_add_number(root, "reward_mean", sum / (double)w->reward.n);
	else
		rlp_json_add_null(root, "reward_mean");
	rlp_json_add_number(root, "rewards", (double)w->reward.n);
	if (!root || !(*out = rlp_json_print_line(root, false)))
		rc = rlp_error_set(RLP_ENOMEM, "out of memory");
done:
	free(text);
	rlp_json_free(root);
	rlp_window_free(w);
	return rc;
}

/* ---- the comparison ---- */

const char *rlp_monitor_state_name(enum rlp_monitor_state s)
{
	static const char *const names[] = {"ok", "BREACH", "-"};
	return (unsigned)s < 3 ? names[s] : "-";
}

static void check_init(struct rlp_monitor_check *c, const char *name, double threshold)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->state = RLP_MONITOR_UNKNOWN;
	c->live = c->baseline = c->statistic = c->extra = NAN;
	c->threshold = threshold;
}

static bool enough(struct rlp_monitor_check *c, long live, long base, long min_n)
{
	c->n_live = live;
	c->n_baseline = base;
	if (live >= min_n && base >= min_n && live > 0 && base > 0)
		return true;
	snprintf(c->reason, sizeof(c->reason), "n=%ld vs %ld: needs %ld on each side", live, base,
		 min_n);
	return false;
}

static double mean(const struct dvec *v)
{
	double s = 0;

	for (size_t i = 0; i < v->n; i++)
		s += v->x[i];
	return s / (double)v->n;
}

/* A drop in reward: the distributions differ (Mann-Whitney) and the mean is lower. */
static int check_reward(struct rlp_monitor_check *c, const struct rlp_window *l,
			const struct rlp_window *b, const struct rlp_monitor_config *cfg)
{
	struct rlp_mannwhitney mw;

	check_init(c, "reward", cfg->alpha);
	if (!enough(c, (long)l->reward.n, (long)b->reward.n, cfg->min_n))
		return 0;
	if (rlp_mannwhitney(&mw, l->reward.x, l->reward.n, b->reward.x, b->reward.n) < 0)
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	c->live = mean(&l->reward);
	c->baseline = mean(&b->reward);
	c->statistic = isnan(mw.p_exact) ? mw.p_asymptotic : mw.p_exact;
	bool breach = c->statistic < cfg->alpha && c->live < c->baseline;
	c->state = breach ? RLP_MONITOR_BREACH : RLP_MONITOR_OK;
	snprintf(c->reason, sizeof(c->reason), "mean %.4g vs %.4g, Mann-Whitney p %.3g %s %.3g%s",
		 c->live, c->baseline, c->statistic, c->statistic < cfg->alpha ? "<" : ">=",
		 cfg->alpha, breach ? ": reward dropped" : "");
	return 0;
}

/* More errors: the one-sided lower bound of the rise (Newcombe) above the
 * tolerance. */
static void check_errors(struct rlp_monitor_check *c, const struct rlp_window *l,
			 const struct rlp_window *b, const struct rlp_monitor_config *cfg)
{
	check_init(c, "error_rate", cfg->max_error_increase);
	if (!enough(c, l->n, b->n, cfg->min_n))
		return;
	struct rlp_interval iv = rlp_newcombe(l->errors, l->n, b->errors, b->n, 1 - cfg->alpha,
					      RLP_ONE_SIDED);
	c->live = (double)l->errors / (double)l->n;
	c->baseline = (double)b->errors / (double)b->n;
	c->statistic = iv.lower;
	bool breach = iv.lower > cfg->max_error_increase;
	c->state = breach ? RLP_MONITOR_BREACH : RLP_MONITOR_OK;
	snprintf(c->reason, sizeof(c->reason), "%.4g vs %.4g, rise lcb %+.4g %s %.4g", c->live,
		 c->baseline, iv.lower, breach ? ">" : "<=", cfg->max_error_increase);
}

/* Slower tails: p99 (type 7) over the baseline's. */
static int check_latency(struct rlp_monitor_check *c, const struct rlp_window *l,
			 const struct rlp_window *b, const struct rlp_monitor_config *cfg)
{
	long need = cfg->min_n > 100 ? cfg->min_n : 100; /* a p99 needs 100 values */
	double *x = NULL, *y = NULL;

	check_init(c, "latency_p99", cfg->max_latency_ratio);
	if (!enough(c, (long)l->latency.n, (long)b->latency.n, need))
		return 0;
	x = malloc(l->latency.n * sizeof(*x));
	y = malloc(b->latency.n * sizeof(*y));
	if (!x || !y) {
		free(x);
		free(y);
		return rlp_error_set(RLP_ENOMEM, "out of memory");
	}
	memcpy(x, l->latency.x, l->latency.n * sizeof(*x));
	memcpy(y, b->latency.x, b->latency.n * sizeof(*y));
	c->live = rlp_quantile_select(x, l->latency.n, 0.99);
	c->baseline = rlp_quantile_select(y, b->latency.n, 0.99);
	free(x);
	free(y);
	if (!(c->baseline > 0)) {
		snprintf(c->reason, sizeof(c->reason), "baseline p99 %.4g: no ratio", c->baseline);
		return 0;
	}
	c->statistic = c->live / c->baseline;
	bool breach = c->statistic > cfg->max_latency_ratio;
	c->state = breach ? RLP_MONITOR_BREACH : RLP_MONITOR_OK;
	snprintf(c->reason, sizeof(c->reason), "p99 %.4g vs %.4g ms: %.3fx %s %.4g", c->live,
		 c->baseline, c->statistic, breach ? ">" : "<=", cfg->max_latency_ratio);
	return 0;
}

static double share(const struct rlp_window *w, const char *a, long total)
{
	long i = results_strtab_find(&w->actions, a, strlen(a), results_hash(a, strlen(a)));

	return i < 0 ? 0 : (double)w->action_count[i] / (double)total;
}

static long total_actions(const struct rlp_window *w)
{
	long t = 0;

	for (size_t i = 0; i < w->actions.n; i++)
		t += (long)w->action_count[i];
	return t;
}

/* Drift of what the model does: total variation between the action
 * distributions; PSI (with half a count for an unseen action) is shown. */
static void check_actions(struct rlp_monitor_check *c, const struct rlp_window *l,
			  const struct rlp_window *b, const struct rlp_monitor_config *cfg)
{
	long nl = total_actions(l), nb = total_actions(b);
	double tv = 0, psi = 0;

	check_init(c, "actions", cfg->max_action_tv);
	if (!enough(c, nl, nb, cfg->min_n))
		return;
	for (int side = 0; side < 2; side++) {
		const struct rlp_window *w = side ? b : l, *o = side ? l : b;
		for (size_t i = 0; i < w->actions.n; i++) {
			const char *a = w->actions.strs[i];
			/* an action both sides have is counted once, from the live side */
			if (side && results_strtab_find(&o->actions, a, strlen(a),
							 results_hash(a, strlen(a))) >= 0)
				continue;
			double p = share(l, a, nl), q = share(b, a, nb);
			double ps = p > 0 ? p : 0.5 / (double)nl, qs = q > 0 ? q : 0.5 / (double)nb;
			tv += fabs(p - q);
			psi += (ps - qs) * log(ps / qs);
		}
	}
	c->live = (double)l->actions.n;
	c->baseline = (double)b->actions.n;
	c->statistic = tv / 2;
	c->extra = psi;
	bool breach = c->statistic > cfg->max_action_tv;
	c->state = breach ? RLP_MONITOR_BREACH : RLP_MONITOR_OK;
	snprintf(c->reason, sizeof(c->reason), "total variation %.4f %s %.4g (PSI %.3f)",
		 c->statistic, breach ? ">" : "<=", cfg->max_action_tv, psi);
}

int rlp_monitor_compare(struct rlp_monitor_result *out, const struct rlp_window *live,
			const struct rlp_window *baseline, const struct rlp_monitor_config *cfg)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_reward(&out->checks[0], live, baseline, cfg)) < 0)
		return rc;
	check_errors(&out->checks[1], live, baseline, cfg);
	if ((rc = check_latency(&out->checks[2], live, baseline, cfg)) < 0)
		return rc;
	check_actions(&out->checks[3], live, baseline, cfg);
	for (int i = 0; i < RLP_MONITOR_CHECKS; i++) {
		out->breach |= out->checks[i].state == RLP_MONITOR_BREACH;
		out->decided |= out->checks[i].state != RLP_MONITOR_UNKNOWN;
	}
	return 0;
}
