/*
 * The promotion policy: libyaml events -> a small tree (refusing anchors,
 * aliases, tags and oversized input) -> struct rlp_policy, strictly.
 * Rules are parsed in policy_rules.c, value readers live in policy_values.c,
 * the normalized form is written by policy_emit.c.
 */
#include "policy.h"

#include "error.h"
#include "policy_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Far beyond any real policy; bounds recursion and memory on hostile input. */
#define MAX_DEPTH 32
#define MAX_NODES 100000

struct loader {
	yaml_parser_t parser;
	const struct pol_ctx *c;
	const char *buf;
	size_t len;
	size_t nodes;
};

static struct rlp_location mark_location(yaml_mark_t mark)
{
	return (struct rlp_location){mark.line + 1, mark.column + 1};
}

static void node_free(struct pol_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nitems; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

static int syntax_error(struct loader *l)
{
	const yaml_parser_t *p = &l->parser;
	struct pol_node at = {.loc = mark_location(p->problem_mark)};

	if (p->error == YAML_MEMORY_ERROR)
		return pol_nomem();
	if (p->error == YAML_READER_ERROR) {
		/* reader errors carry a byte offset, not a mark */
		at.loc = (struct rlp_location){1, 1};
		for (size_t i = 0; i < p->problem_offset && i < l->len; i++) {
			if (l->buf[i] == '\n')
				at.loc = (struct rlp_location){at.loc.line + 1, 1};
			else
				at.loc.col++;
		}
	}
	if (p->context)
		return pol_fail(l->c, &at, NULL, "invalid YAML: %s (%s)",
				p->problem ? p->problem : "syntax error", p->context);
	return pol_fail(l->c, &at, NULL, "invalid YAML: %s",
			p->problem ? p->problem : "syntax error");
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev))
		return syntax_error(l);
	return 0;
}

/* Build the node that starts with `ev` (which the caller deletes). */
static int load_node(struct loader *l, const yaml_event_t *ev, int depth, struct pol_node **out)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	yaml_event_type_t end = YAML_NO_EVENT;
	struct pol_node *n = NULL, *child = NULL, **grown;
	char shown[POL_SHOW_MAX];
	yaml_event_t next;
	size_t cap = 0;
	int err = 0;

	*out = NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return pol_nomem();
	n->loc = mark_location(ev->start_mark);
	if (++l->nodes > MAX_NODES) {
		err = pol_fail(l->c, n, NULL, "policy has more than %d YAML nodes", MAX_NODES);
		goto done;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		err = pol_fail(l->c, n, NULL, "aliases are not allowed (found alias '*%s')",
			       yamlu_show(shown, (const char *)ev->data.alias.anchor));
		goto done;
	case YAML_SCALAR_EVENT:
		n->type = POL_SCALAR;
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		n->type = POL_SEQ;
		end = YAML_SEQUENCE_END_EVENT;
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		n->type = POL_MAP;
		end = YAML_MAPPING_END_EVENT;
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		err = pol_fail(l->c, n, NULL, "invalid YAML: unexpected event %d", (int)ev->type);
		goto done;
	}
	if (anchor) {
		err = pol_fail(l->c, n, NULL, "aliases are not allowed (found anchor '&%s')",
			       yamlu_show(shown, (const char *)anchor));
		goto done;
	}
	if (tag) {
		err = pol_fail(l->c, n, NULL, "tags are not allowed (found '%s')",
			       yamlu_show(shown, (const char *)tag));
		goto done;
	}
	if (n->type == POL_SCALAR) {
		const char *value = (const char *)ev->data.scalar.value;
		if (strlen(value) != ev->data.scalar.length) {
			err = pol_fail(l->c, n, NULL, "NUL characters are not allowed in strings");
			goto done;
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->text = strdup(value);
		if (!n->text)
			err = pol_nomem();
		goto done;
	}
	if (depth >= MAX_DEPTH) {
		err = pol_fail(l->c, n, NULL, "nesting is deeper than %d levels", MAX_DEPTH);
		goto done;
	}
	for (;;) {
		if ((err = next_event(l, &next)) < 0)
			goto done;
		if (next.type == end) {
			yaml_event_delete(&next);
			break;
		}
		if (n->nitems == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(n->items, cap * sizeof(*grown));
			if (!grown) {
				yaml_event_delete(&next);
				err = pol_nomem();
				goto done;
			}
			n->items = grown;
		}
		err = load_node(l, &next, depth + 1, &child);
		yaml_event_delete(&next);
		if (err < 0)
			goto done;
		n->items[n->nitems++] = child;
	}
done:
	if (err < 0) {
		node_free(n);
		return err;
	}
	*out = n;
	return 0;
}

static int load_tree(struct loader *l, struct pol_node **out)
{
	struct pol_node *root = NULL, start = {.loc = {1, 1}};
	yaml_event_t ev;
	int err;

	*out = NULL;
	if ((err = next_event(l, &ev)) < 0) /* stream start */
		return err;
	yaml_event_delete(&ev);
	if ((err = next_event(l, &ev)) < 0)
		return err;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return pol_fail(l->c, &start, NULL, "empty policy (expected a mapping with "
			"'version', 'model', 'stages' and 'promotions')");
	}
	yaml_event_delete(&ev); /* document start */
	if ((err = next_event(l, &ev)) < 0)
		return err;
	err = load_node(l, &ev, 0, &root);
	yaml_event_delete(&ev);
	if (err < 0)
		return err;
	if ((err = next_event(l, &ev)) < 0) /* document end */
		goto done;
	yaml_event_delete(&ev);
	if ((err = next_event(l, &ev)) < 0)
		goto done;
	if (ev.type != YAML_STREAM_END_EVENT) {
		start.loc = mark_location(ev.start_mark);
		err = pol_fail(l->c, &start, NULL, "expected a single YAML document");
	}
	yaml_event_delete(&ev);
done:
	if (err < 0) {
		node_free(root);
		return err;
	}
	*out = root;
	return 0;
}

static const char *const top_keys[] = {
	"version", "model", "artifact", "manifest", "allowed_signers", "stages", "signers",
	"slices", "defaults", "health", "monitor", "promotions", NULL};
static const char *const signer_keys[] = {"eval", "promote", "override", NULL};
static const char *const slice_keys[] = {"tags", NULL};
static const char *const default_keys[] = {"confidence", "on_missing", NULL};
static const char *const promotion_keys[] = {"from", "env", "baseline", "rollout", "rules",
					     NULL};
static const char *const rollout_keys[] = {"stage", "steps", NULL};
static const char *const monitor_keys[] = {"alpha", "max_error_increase", "max_latency_ratio",
					   "max_action_tv", "min_n", NULL};
static const char *const health_keys[] = {"reward", "human", "verifier", "hack_threshold",
					  "verifier_pass", NULL};

static int expect_map(const struct pol_ctx *c, const struct pol_node *v, const char *what,
		      const char *key)
{
	char desc[POL_SHOW_MAX + 32];

	if (v->type == POL_MAP)
		return 0;
	if (key)
		return pol_fail(c, v, what, "expected a mapping for '%s', got %s", key,
				pol_describe(desc, v));
	return pol_fail(c, v, what, "expected a mapping, got %s", pol_describe(desc, v));
}

static int parse_signers(const struct pol_ctx *c, const struct pol_node *v, struct rlp_signers *s)
{
	char ***lists[] = {&s->eval, &s->promote, &s->override};
	size_t *counts[] = {&s->neval, &s->npromote, &s->noverride};
	int err;

	if ((err = expect_map(c, v, NULL, "signers")) < 0 ||
	    (err = pol_check_keys(c, v, "signers", signer_keys, NULL)) < 0)
		return err;
	for (size_t i = 0; signer_keys[i]; i++) {
		const struct pol_node *list = pol_map_get(v, signer_keys[i]);
		if (list && (err = pol_string_list(c, list, "signers", signer_keys[i], false, false,
						   lists[i], counts[i])) < 0)
			return err;
	}
	return 0;
}

static int parse_slices(struct pol_ctx *c, const struct pol_node *v, struct rlp_policy *p)
{
	size_t n = v->nitems / 2;
	char what[POL_SHOW_MAX + 16];
	int err;

	if ((err = expect_map(c, v, NULL, "slices")) < 0 ||
	    (err = pol_check_keys(c, v, "slices", NULL, NULL)) < 0)
		return err;
	p->slices = calloc(n + 1, sizeof(*p->slices));
	if (!p->slices)
		return pol_nomem();
	p->nslices = n;
	for (size_t i = 0; i < n; i++) {
		const struct pol_node *key = v->items[2 * i], *val = v->items[2 * i + 1], *tags;
		struct rlp_slice *s = &p->slices[i];

		if ((err = pol_name(c, key, NULL, "slices", &s->name)) < 0)
			return err;
		s->loc = key->loc;
		snprintf(what, sizeof(what), "slice '%s'", s->name);
		if ((err = expect_map(c, val, what, NULL)) < 0 ||
		    (err = pol_check_keys(c, val, what, slice_keys, NULL)) < 0)
			return err;
		if (!(tags = pol_map_get(val, "tags")))
			return pol_fail(c, val, what, "missing required key 'tags'");
		if ((err = pol_string_list(c, tags, what, "tags", false, true, &s->tags,
					   &s->ntags)) < 0)
			return err;
	}
	if ((err = pol_index_init(&c->slices, n)) < 0)
		return err;
	for (size_t i = 0; i < n; i++)
		c->slices.names[i] = p->slices[i].name;
	pol_index_sort(&c->slices);
	return 0;
}

static int parse_defaults(const struct pol_ctx *c, const struct pol_node *v, struct rlp_policy *p)
{
	const struct pol_node *conf, *missing;
	int err, value;

	if ((err = expect_map(c, v, NULL, "defaults")) < 0 ||
	    (err = pol_check_keys(c, v, "defaults", default_keys, NULL)) < 0)
		return err;
	if ((conf = pol_map_get(v, "confidence")) &&
	    (err = pol_number_range(c, conf, "defaults", "confidence", 0.5, true, 1, true,
				    &p->confidence)) < 0)
		return err;
	if ((missing = pol_map_get(v, "on_missing"))) {
		if ((err = pol_enum(c, missing, "defaults", "on_missing", pol_on_missing_names,
				    &value)) < 0)
			return err;
		p->on_missing = (enum rlp_on_missing)value;
	}
	return 0;
}

/* A score name the health metrics read: a record score, not run.* or derived.* */
static int health_score(const struct pol_ctx *c, const struct pol_node *map, const char *key,
			char **out)
{
	const struct pol_node *v = pol_map_get(map, key);
	char shown[POL_SHOW_MAX];
	int err;

	if (!v)
		return 0;
	if ((err = pol_string(c, v, "health", key, out)) < 0)
		return err;
	if (!pol_metric_name_valid(*out) || !strncmp(*out, "run.", 4) ||
	    !strncmp(*out, "derived.", 8))
		return pol_fail(c, v, "health", "invalid score name '%s' for '%s' (a name in the "
				"records' \"scores\", [A-Za-z0-9_][A-Za-z0-9_.-]*)",
				yamlu_show(shown, *out), key);
	return 0;
}

static int parse_health(const struct pol_ctx *c, const struct pol_node *v, struct rlp_policy *p)
{
	struct rlp_health *h = &p->health;
	const struct pol_node *n;
	int err;

	if ((err = expect_map(c, v, NULL, "health")) < 0 ||
	    (err = pol_check_keys(c, v, "health", health_keys, NULL)) < 0)
		return err;
	h->loc = v->loc;
	if ((err = health_score(c, v, "reward", &h->reward)) < 0 ||
	    (err = health_score(c, v, "human", &h->human)) < 0 ||
	    (err = health_score(c, v, "verifier", &h->verifier)) < 0)
		return err;
	if ((n = pol_map_get(v, "hack_threshold")) &&
	    (err = pol_number(c, n, "health", "hack_threshold", &h->hack_threshold)) < 0)
		return err;
	if ((n = pol_map_get(v, "verifier_pass")) &&
	    (err = pol_number(c, n, "health", "verifier_pass", &h->verifier_pass)) < 0)
		return err;
	if (h->reward && h->human && !strcmp(h->reward, h->human))
		return pol_fail(c, pol_map_get(v, "human"), "health",
				"'human' names the same score as 'reward' ('%s')", h->reward);
	return 0;
}

static int parse_monitor(const struct pol_ctx *c, const struct pol_node *v, struct rlp_policy *p)
{
	struct rlp_monitor_policy *m = &p->monitor;
	const struct pol_node *n;
	int err = 0;

	if ((err = expect_map(c, v, NULL, "monitor")) < 0 ||
	    (err = pol_check_keys(c, v, "monitor", monitor_keys, NULL)) < 0)
		return err;
	m->loc = v->loc;
	if ((n = pol_map_get(v, "alpha")))
		err = pol_number_range(c, n, "monitor", "alpha", 0, true, 0.5, false, &m->alpha);
	if (!err && (n = pol_map_get(v, "max_error_increase")))
		err = pol_number_range(c, n, "monitor", "max_error_increase", 0, false, 1, false,
				       &m->max_error_increase);
	if (!err && (n = pol_map_get(v, "max_latency_ratio")))
		err = pol_number_range(c, n, "monitor", "max_latency_ratio", 0, true, INFINITY,
				       false, &m->max_latency_ratio);
	if (!err && (n = pol_map_get(v, "max_action_tv")))
		err = pol_number_range(c, n, "monitor", "max_action_tv", 0, false, 1, false,
				       &m->max_action_tv);
	if (!err && (n = pol_map_get(v, "min_n")))
		err = pol_count(c, n, "monitor", "min_n", &m->min_n);
	return err;
}

/* A stage name for `key` of promotion `what`, which must be listed. */
static int listed_stage(const struct pol_ctx *c, const struct pol_node *v, const char *what,
			const char *key, char **out)
{
	int err;

	if ((err = pol_name(c, v, what, key, out)) < 0)
		return err;
	if (pol_index_has(&c->stages, *out))
		return 0;
	return pol_fail(c, v, what, "'%s' stage '%s' is not listed in 'stages'", key, *out);
}

static int parse_rollout(const struct pol_ctx *c, const struct pol_node *v, const char *what,
			 struct rlp_promotion *prom)
{
	struct rlp_rollout *r = &prom->rollout;
	const struct pol_node *stage, *steps;
	char desc[POL_SHOW_MAX + 32], in[POL_SHOW_MAX + 32];
	int err;

	snprintf(in, sizeof(in), "rollout of %s", what);
	if ((err = expect_map(c, v, what, "rollout")) < 0 ||
	    (err = pol_check_keys(c, v, in, rollout_keys, NULL)) < 0)
		return err;
	r->loc = v->loc;
	if (!(stage = pol_map_get(v, "stage")))
		return pol_fail(c, v, in, "missing required key 'stage'");
	if ((err = listed_stage(c, stage, in, "stage", &r->stage)) < 0)
		return err;
	if (!strcmp(r->stage, prom->to) || !strcmp(r->stage, prom->from) ||
	    (prom->baseline && !strcmp(r->stage, prom->baseline)))
		return pol_fail(c, stage, in, "'stage' must be a stage of its own, not '%s'",
				r->stage);
	if (!(steps = pol_map_get(v, "steps")))
		return pol_fail(c, v, in, "missing required key 'steps'");
	if (steps->type != POL_SEQ || steps->nitems == 0)
		return pol_fail(c, steps, in, "expected a non-empty list of percentages for 'steps', "
				"got %s", steps->type == POL_SEQ ? "an empty list"
								 : pol_describe(desc, steps));
	if (!(r->steps = calloc(steps->nitems, sizeof(*r->steps))))
		return pol_nomem();
	for (size_t i = 0; i < steps->nitems; i++) {
		if ((err = pol_number_range(c, steps->items[i], in, "steps", 0, true, 100, false,
					    &r->steps[i])) < 0)
			return err;
		r->nsteps = i + 1;
		if (i && !(r->steps[i] > r->steps[i - 1]))
			return pol_fail(c, steps->items[i], in, "'steps' must increase (%g after %g)",
					r->steps[i], r->steps[i - 1]);
	}
	if (r->steps[r->nsteps - 1] != 100)
		return pol_fail(c, steps->items[steps->nitems - 1], in,
				"the last of 'steps' must be 100 (the promotion to '%s'), got %g",
				prom->to, r->steps[r->nsteps - 1]);
	return 0;
}

static int parse_promotion(const struct pol_ctx *c, const struct pol_node *key,
			   const struct pol_node *v, const struct rlp_policy *p,
			   struct rlp_promotion *prom)
{
	const struct pol_node *from, *env, *baseline, *rollout, *rules;
	char shown[POL_SHOW_MAX], what[POL_SHOW_MAX + 16];
	const char **ids = NULL;
	size_t dup, first = 0;
	int err;

	if (key->type == POL_SCALAR && !pol_index_has(&c->stages, key->text))
		return pol_fail(c, key, NULL, "promotion target '%s' is not listed in 'stages'",
				yamlu_show(shown, key->text));
	if ((err = pol_name(c, key, NULL, "promotions", &prom->to)) < 0)
		return err;
	prom->loc = key->loc;
	snprintf(what, sizeof(what), "promotion '%s'", prom->to);
	if ((err = expect_map(c, v, what, NULL)) < 0 ||
	    (err = pol_check_keys(c, v, what, promotion_keys, NULL)) < 0)
		return err;
	if (!(from = pol_map_get(v, "from")))
		return pol_fail(c, v, what, "missing required key 'from'");
	if ((err = listed_stage(c, from, what, "from", &prom->from)) < 0)
		return err;
	if (!strcmp(prom->from, prom->to))
		return pol_fail(c, from, what, "'from' must name a stage other than '%s'", prom->to);
	if ((env = pol_map_get(v, "env")) && (err = pol_name(c, env, what, "env", &prom->env)) < 0)
		return err;
	if ((baseline = pol_map_get(v, "baseline")) &&
	    (err = listed_stage(c, baseline, what, "baseline", &prom->baseline)) < 0)
		return err;
	if ((rollout = pol_map_get(v, "rollout")) && (err = parse_rollout(c, rollout, what, prom)) < 0)
		return err;
	if (!(rules = pol_map_get(v, "rules")))
		return pol_fail(c, v, what, "missing required key 'rules'");
	if (rules->type != POL_SEQ || rules->nitems == 0) {
		char desc[POL_SHOW_MAX + 32];
		return pol_fail(c, rules, what, "expected a non-empty list of rules for 'rules', got %s",
				rules->type == POL_SEQ ? "an empty list" : pol_describe(desc, rules));
	}
	prom->rules = calloc(rules->nitems, sizeof(*prom->rules));
	if (!prom->rules)
		return pol_nomem();
	prom->nrules = rules->nitems;
	for (size_t i = 0; i < rules->nitems; i++)
		if ((err = pol_parse_rule(c, p, prom, rules->items[i], i, &prom->rules[i])) < 0)
			return err;
	ids = malloc(prom->nrules * sizeof(*ids));
	if (!ids)
		return pol_nomem();
	for (size_t i = 0; i < prom->nrules; i++)
		ids[i] = prom->rules[i].id;
	dup = pol_find_duplicate(ids, prom->nrules, &first);
	free(ids);
	if (dup < prom->nrules)
		return pol_fail(c, pol_map_get(rules->items[dup], "id"), what,
				"duplicate rule id '%s' (first at %zu:%zu)", prom->rules[dup].id,
				prom->rules[first].loc.line, prom->rules[first].loc.col);
	return 0;
}

static int parse_promotions(const struct pol_ctx *c, const struct pol_node *v,
			    struct rlp_policy *p)
{
	size_t n = v->nitems / 2;
	int err;

	if ((err = expect_map(c, v, NULL, "promotions")) < 0 ||
	    (err = pol_check_keys(c, v, "promotions", NULL, NULL)) < 0)
		return err;
	if (n == 0)
		return pol_fail(c, v, NULL, "expected at least one promotion in 'promotions'");
	p->promotions = calloc(n, sizeof(*p->promotions));
	if (!p->promotions)
		return pol_nomem();
	p->npromotions = n;
	for (size_t i = 0; i < n; i++)
		if ((err = parse_promotion(c, v->items[2 * i], v->items[2 * i + 1], p,
					   &p->promotions[i])) < 0)
			return err;
	/* a rollout stage belongs to its rollout: no promotion of its own */
	for (size_t i = 0; i < n; i++) {
		const struct rlp_rollout *r = &p->promotions[i].rollout;
		const struct pol_node *at = NULL;
		if (r->stage)
			at = pol_map_get(pol_map_get(v->items[2 * i + 1], "rollout"), "stage");
		for (size_t j = 0; r->stage && j < n; j++) {
			if (!strcmp(p->promotions[j].to, r->stage))
				return pol_fail(c, at, NULL, "rollout stage '%s' of promotion '%s' is "
						"also a promotion's target", r->stage,
						p->promotions[i].to);
			if (j < i && p->promotions[j].rollout.stage &&
			    !strcmp(p->promotions[j].rollout.stage, r->stage))
				return pol_fail(c, at, NULL, "rollout stage '%s' is used by promotions "
						"'%s' and '%s'", r->stage, p->promotions[j].to,
						p->promotions[i].to);
		}
	}
	return 0;
}

static int parse_policy(struct pol_ctx *c, const struct pol_node *root, struct rlp_policy *p)
{
	static const char *const required[] = {"version", "model", "stages", "promotions"};
	const struct pol_node *v;
	char desc[POL_SHOW_MAX + 32];
	long version;
	int err;

	if (root->type == POL_SCALAR && root->plain && !root->text[0])
		return pol_fail(c, &(struct pol_node){.loc = {1, 1}}, NULL, "empty policy (expected a mapping with "
				"'version', 'model', 'stages' and 'promotions')");
	if (root->type != POL_MAP)
		return pol_fail(c, root, NULL, "expected a mapping at the top level, got %s",
				pol_describe(desc, root));
	if ((err = pol_check_keys(c, root, NULL, top_keys, NULL)) < 0)
		return err;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!pol_map_get(root, required[i]))
			return pol_fail(c, root, NULL, "missing required key '%s'", required[i]);

	v = pol_map_get(root, "version");
	if ((err = pol_count(c, v, NULL, "version", &version)) < 0)
		return err;
	if (version != 1)
		return pol_fail(c, v, NULL, "unsupported policy version %s (expected 1)", v->text);
	p->version = 1;
	if ((err = pol_name(c, pol_map_get(root, "model"), NULL, "model", &p->model)) < 0)
		return err;
	if ((v = pol_map_get(root, "artifact")) &&
	    (err = pol_string(c, v, NULL, "artifact", &p->artifact)) < 0)
		return err;
	if ((v = pol_map_get(root, "manifest")) &&
	    (err = pol_string(c, v, NULL, "manifest", &p->manifest)) < 0)
		return err;
	if ((v = pol_map_get(root, "allowed_signers")) &&
	    (err = pol_string(c, v, NULL, "allowed_signers", &p->allowed_signers)) < 0)
		return err;

	v = pol_map_get(root, "stages");
	if (v->type != POL_SEQ)
		return pol_fail(c, v, NULL, "expected a list of stage names for 'stages', got %s",
				pol_describe(desc, v));
	if ((err = pol_string_list(c, v, NULL, "stages", true, true, &p->stages,
				   &p->nstages)) < 0 ||
	    (err = pol_index_init(&c->stages, p->nstages)) < 0)
		return err;
	for (size_t i = 0; i < p->nstages; i++)
		c->stages.names[i] = p->stages[i];
	pol_index_sort(&c->stages);

	if ((v = pol_map_get(root, "signers")) && (err = parse_signers(c, v, &p->signers)) < 0)
		return err;
	if ((v = pol_map_get(root, "slices")) && (err = parse_slices(c, v, p)) < 0)
		return err;
	if ((v = pol_map_get(root, "defaults")) && (err = parse_defaults(c, v, p)) < 0)
		return err;
	if ((v = pol_map_get(root, "health")) && (err = parse_health(c, v, p)) < 0)
		return err;
	if ((v = pol_map_get(root, "monitor")) && (err = parse_monitor(c, v, p)) < 0)
		return err;
	return parse_promotions(c, pol_map_get(root, "promotions"), p);
}

int rlp_policy_parse(struct rlp_policy **out, const char *buf, size_t len, const char *name)
{
	struct pol_ctx c = {.name = name ? name : "policy"};
	struct loader l = {.c = &c, .buf = buf ? buf : "", .len = buf ? len : 0};
	struct pol_node *root = NULL;
	struct rlp_policy *p = NULL;
	bool parser_ready = false;
	int err = 0;

	if (!out)
		return rlp_error_set(RLP_ERROR, "rlp_policy_parse: no output pointer");
	*out = NULL;
	if (len > POL_MAX_BYTES)
		return rlp_error_set(RLP_EINVALID, "%s: policy is larger than 1 MiB (%zu bytes)",
				     c.name, len);
	p = calloc(1, sizeof(*p));
	if (!p || !(p->path = strdup(c.name))) {
		err = pol_nomem();
		goto done;
	}
	p->confidence = 0.95;
	p->on_missing = RLP_MISSING_INCONCLUSIVE;
	p->health.hack_threshold = NAN;
	p->health.verifier_pass = 1;
	p->monitor = (struct rlp_monitor_policy){0.01, 0.01, 1.25, 0.1, 100, {0, 0}};
	if (!yaml_parser_initialize(&l.parser)) {
		err = pol_nomem();
		goto done;
	}
	parser_ready = true;
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)l.buf, l.len);
	if ((err = load_tree(&l, &root)) < 0)
		goto done;
	err = parse_policy(&c, root, p);
done:
	if (parser_ready)
		yaml_parser_delete(&l.parser);
	node_free(root);
	pol_index_free(&c.stages);
	pol_index_free(&c.slices);
	if (err < 0) {
		rlp_policy_free(p);
		return err;
	}
	*out = p;
	return 0;
}

int rlp_policy_load(struct rlp_policy **out, const char *path)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t len;
	int err;

	if (!out)
		return rlp_error_set(RLP_ERROR, "rlp_policy_load: no output pointer");
	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return rlp_error_set(RLP_EIO, "cannot open '%s': %s", path, strerror(errno));
	buf = malloc(POL_MAX_BYTES + 1);
	if (!buf) {
		err = pol_nomem();
		goto done;
	}
	errno = 0;
	len = fread(buf, 1, POL_MAX_BYTES + 1, f);
	if (ferror(f)) {
		err = rlp_error_set(RLP_EIO, "cannot read '%s': %s", path,
				    strerror(errno ? errno : EIO));
		goto done;
	}
	if (len > POL_MAX_BYTES) {
		err = rlp_error_set(RLP_EINVALID, "%s: policy is larger than 1 MiB", path);
		goto done;
	}
	err = rlp_policy_parse(out, buf, len, path);
done:
	free(buf);
	fclose(f);
	return err;
}

void rlp_policy_free(struct rlp_policy *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->model);
	free(p->artifact);
	free(p->manifest);
	free(p->allowed_signers);
	pol_strv_free(p->stages, p->nstages);
	pol_strv_free(p->signers.eval, p->signers.neval);
	pol_strv_free(p->signers.promote, p->signers.npromote);
	pol_strv_free(p->signers.override, p->signers.noverride);
	for (size_t i = 0; i < p->nslices; i++) {
		free(p->slices[i].name);
		pol_strv_free(p->slices[i].tags, p->slices[i].ntags);
	}
	free(p->slices);
	free(p->health.reward);
	free(p->health.human);
	free(p->health.verifier);
	for (size_t i = 0; i < p->npromotions; i++) {
		struct rlp_promotion *prom = &p->promotions[i];
		free(prom->to);
		free(prom->from);
		free(prom->env);
		free(prom->baseline);
		free(prom->rollout.stage);
		free(prom->rollout.steps);
		for (size_t j = 0; j < prom->nrules; j++)
			pol_rule_clear(&prom->rules[j]);
		free(prom->rules);
	}
	free(p->promotions);
	free(p);
}

const struct rlp_promotion *rlp_policy_promotion(const struct rlp_policy *p, const char *to)
{
	for (size_t i = 0; p && to && i < p->npromotions; i++)
		if (!strcmp(p->promotions[i].to, to))
			return &p->promotions[i];
	return NULL;
}

const struct rlp_promotion *rlp_policy_stage_promotion(const struct rlp_policy *p,
							const char *stage)
{
	const struct rlp_promotion *to = rlp_policy_promotion(p, stage);

	for (size_t i = 0; !to && p && stage && i < p->npromotions; i++)
		if (p->promotions[i].rollout.stage && !strcmp(p->promotions[i].rollout.stage, stage))
			to = &p->promotions[i];
	return to;
}

const struct rlp_slice *rlp_policy_slice(const struct rlp_policy *p, const char *name)
{
	for (size_t i = 0; p && name && i < p->nslices; i++)
		if (!strcmp(p->slices[i].name, name))
			return &p->slices[i];
	return NULL;
}
