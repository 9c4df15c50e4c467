/*
 * The environment spec's schema (envspec.h): the YAML tree (envspec_yaml.c)
 * -> struct rlp_envspec, strictly. What makes an environment frozen is
 * checked here: a seed, a clock, deterministic decoding unless sampling is
 * asked for, tools as offline fixtures, reward models marked as trained on
 * held-out preferences, paths that stay inside the environment.
 */
#include "envspec_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"

#define PATH_MAX_LEN 4096
#define OFFLINE "tools are offline fixtures (record responses into a fixture file)"

bool rlp_env_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > RLP_ENV_NAME_MAX || strstr(s, "..") || s[len - 1] == '.' ||
	    (len >= 5 && !strcmp(s + len - 5, ".lock")))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || !strchr("._-", ch)))
			return false;
	}
	return true;
}

static int get_name(const struct es_ctx *c, const struct es_node *v, const char *what,
		    const char *kind, char **out)
{
	char shown[ES_SHOW_MAX];
	int err = es_string(c, v, what, out);

	if (err == 0 && !rlp_env_name_valid(*out))
		err = es_fail(c, v, "%s: '%s' is not a valid %s name (letters, digits, '.', '_' "
			      "and '-', starting with a letter or digit, at most %d bytes; no '..', "
			      "not ending in '.' or '.lock')", what, yamlu_show(shown, *out), kind,
			      RLP_ENV_NAME_MAX);
	return err;
}

/* A relative path below the spec's directory; recorded in spec->paths. */
static int get_path(const struct es_ctx *c, const struct es_node *v, const char *what,
		    enum rlp_env_path_type type, char **out)
{
	struct rlp_envspec *s = c->spec;
	struct rlp_env_path *grown;
	char shown[ES_SHOW_MAX], *p;
	size_t len;
	int err;

	if ((err = es_string(c, v, what, out)) < 0)
		return err;
	p = *out;
	len = strlen(p);
	if (len > 1 && p[len - 1] == '/') /* "index/" names the directory */
		p[--len] = '\0';
	yamlu_show(shown, p);
	if (!len)
		return es_fail(c, v, "%s: expected a path, got an empty string", what);
	if (strstr(p, "://"))
		return es_fail(c, v, "%s: '%s' is a URL: environments are frozen offline (copy it "
			       "into the environment's directory)", what, shown);
	if (p[0] == '/')
		return es_fail(c, v, "%s: path '%s' is absolute (paths are relative to the spec's "
			       "directory)", what, shown);
	if (len > PATH_MAX_LEN)
		return es_fail(c, v, "%s: path is longer than %d bytes", what, PATH_MAX_LEN);
	for (const char *comp = p; comp; comp = strchr(comp, '/') ? strchr(comp, '/') + 1 : NULL) {
		size_t clen = strcspn(comp, "/");
		if (clen == 2 && !strncmp(comp, "..", 2))
			return es_fail(c, v, "%s: path '%s' leaves the spec's directory ('..' is not "
				       "allowed)", what, shown);
		if (clen == 0 || (clen == 1 && comp[0] == '.'))
			return es_fail(c, v, "%s: path '%s' has an empty or '.' component", what,
				       shown);
		if (clen == 4 && !strncasecmp(comp, ".git", 4))
			return es_fail(c, v, "%s: path '%s': '.git' cannot be stored in git", what,
				       shown);
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return es_fail(c, v, "%s: path '%s' contains a control character", what,
				       shown);
	if (!(grown = realloc(s->paths, (s->npaths + 1) * sizeof(*grown))))
		return es_nomem();
	s->paths = grown;
	grown[s->npaths] = (struct rlp_env_path){p, strdup(what), type, v->line, v->col};
	return grown[s->npaths++].what ? 0 : es_nomem();
}

static int parse_decoding(const struct es_ctx *c, const struct es_node *map,
			  struct rlp_envspec *s)
{
	static const char *const keys[] = {"temperature", "top_p", "max_tokens", "allow_sampling",
					   NULL};
	const struct es_node *v;
	char desc[ES_SHOW_MAX + 24];
	uint64_t n;
	int err;

	if ((err = es_check_map(c, map, "decoding", keys)) < 0)
		return err;
	if ((v = es_map_get(map, "allow_sampling")) &&
	    (err = es_bool(c, v, "decoding.allow_sampling", &s->decoding.allow_sampling)) < 0)
		return err;
	if ((v = es_map_get(map, "top_p")) &&
	    (!es_number(v, &s->decoding.top_p) || !(s->decoding.top_p > 0 && s->decoding.top_p <= 1)))
		return es_fail(c, v, "decoding.top_p: expected a number in (0, 1], got %s",
			       es_describe(desc, v));
	if ((v = es_map_get(map, "max_tokens"))) {
		if (!es_unsigned(v, &n) || n == 0 || n > 1000000000)
			return es_fail(c, v, "decoding.max_tokens: expected a positive integer, got %s",
				       es_describe(desc, v));
		s->decoding.max_tokens = (long)n;
	}
	if (!(v = es_map_get(map, "temperature")))
		return es_fail(c, map, "environment is not frozen: missing 'decoding.temperature'");
	if (!es_number(v, &s->decoding.temperature) || !(s->decoding.temperature >= 0))
		return es_fail(c, v, "decoding.temperature: expected a number >= 0, got %s",
			       es_describe(desc, v));
	if (s->decoding.temperature > 0 && !s->decoding.allow_sampling)
		return es_fail(c, v, "decoding.temperature %g is sampling: set "
			       "decoding.allow_sampling: true to freeze a sampled environment",
			       s->decoding.temperature);
	return 0;
}

static int parse_command(const struct es_ctx *c, const struct es_node *v, struct rlp_envspec *s)
{
	char desc[ES_SHOW_MAX + 24], what[32];
	int err;

	if (v->type != ES_SEQ || v->nitems == 0)
		return es_fail(c, v, "command: expected a non-empty list of strings (the argv), got %s",
			    v->type == ES_SEQ ? "an empty list" : es_describe(desc, v));
	if (!(s->command = calloc(v->nitems + 1, sizeof(*s->command))))
		return es_nomem();
	for (size_t i = 0; i < v->nitems; i++) {
		s->ncommand++; /* counted first, so that a failure frees what was read */
		snprintf(what, sizeof(what), "command[%zu]", i);
		if ((err = es_string(c, v->items[i], what, &s->command[i])) < 0)
			return err;
	}
	return 0;
}

/* A URL anywhere in a tool's value: the first scalar holding "://". */
static const struct es_node *find_url(const struct es_node *n, const struct es_node **key)
{
	if (n->type == ES_SCALAR)
		return strstr(n->text, "://") ? n : NULL;
	for (size_t i = 0; i < n->nitems; i++) {
		const struct es_node *hit = find_url(n->items[i], key);
		if (hit) {
			if (n->type == ES_MAP && i % 2 == 1 && !*key)
				*key = n->items[i - 1];
			return hit;
		}
	}
	return NULL;
}

static int parse_tool(const struct es_ctx *c, const struct es_node *key, const struct es_node *v,
		      struct rlp_env_tool *t)
{
	static const char *const keys[] = {"fixture", NULL};
	static const char *const network[] = {"url", "endpoint", "base_url", NULL};
	const struct es_node *url, *url_key = NULL, *fixture;
	char what[ES_SHOW_MAX + 16], shown[ES_SHOW_MAX], key_shown[ES_SHOW_MAX];
	int err;

	if ((err = get_name(c, key, "tools", "tool", &t->name)) < 0)
		return err;
	snprintf(what, sizeof(what), "tool '%s'", t->name);
	for (size_t i = 0; v->type == ES_MAP && i < v->nitems; i += 2)
		for (size_t k = 0; v->items[i]->type == ES_SCALAR && network[k]; k++)
			if (!strcmp(v->items[i]->text, network[k]))
				return es_fail(c, v->items[i], "%s: '%s' is not allowed: " OFFLINE,
					       what, network[k]);
	if ((url = find_url(v, &url_key))) {
		bool named = url_key && url_key->type == ES_SCALAR;
		return es_fail(c, url, "%s: %s%s%s'%s' is a URL: " OFFLINE, what, named ? "'" : "",
			       named ? yamlu_show(key_shown, url_key->text) : "",
			       named ? "' value " : "", yamlu_show(shown, url->text));
	}
	if ((err = es_check_map(c, v, what, keys)) < 0)
		return err;
	if (!(fixture = es_map_get(v, "fixture")))
		return es_fail(c, v, "%s: missing required key 'fixture'", what);
	return get_path(c, fixture, what, RLP_ENV_PATH_ANY, &t->fixture);
}

static int tool_cmp(const void *a, const void *b)
{
	const struct rlp_env_tool *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static int parse_tools(const struct es_ctx *c, const struct es_node *v, struct rlp_envspec *s)
{
	int err;

	if ((err = es_check_map(c, v, "tools", NULL)) < 0)
		return err;
	if (!(s->tools = calloc(v->nitems / 2 + 1, sizeof(*s->tools))))
		return es_nomem();
	for (size_t i = 0; i < v->nitems; i += 2) {
		s->ntools++;
		if ((err = parse_tool(c, v->items[i], v->items[i + 1], &s->tools[i / 2])) < 0)
			return err;
	}
	qsort(s->tools, s->ntools, sizeof(*s->tools), tool_cmp);
	return 0;
}

static const char *const grader_kinds[] = {"programmatic", "reward_model", "human", NULL};

const char *rlp_grader_kind_name(enum rlp_grader_kind kind)
{
	return kind <= RLP_GRADER_HUMAN ? grader_kinds[kind] : "unknown";
}

static int parse_grader(const struct es_ctx *c, const struct es_node *v, size_t index,
			struct rlp_env_grader *g)
{
	static const char *const keys[] = {"name", "kind", "path", "held_out_preferences", NULL};
	char what[ES_SHOW_MAX + 16], held_what[ES_SHOW_MAX + 40], desc[ES_SHOW_MAX + 24];
	const struct es_node *kind, *held;
	int err, k;

	snprintf(what, sizeof(what), "graders[%zu]", index);
	if ((err = es_check_map(c, v, what, keys)) < 0)
		return err;
	if (!es_map_get(v, "name"))
		return es_fail(c, v, "%s: missing required key 'name'", what);
	if ((err = get_name(c, es_map_get(v, "name"), what, "grader", &g->name)) < 0)
		return err;
	snprintf(what, sizeof(what), "grader '%s'", g->name);
	if (!(kind = es_map_get(v, "kind")))
		return es_fail(c, v, "%s: missing required key 'kind'", what);
	for (k = 0; grader_kinds[k]; k++)
		if (kind->type == ES_SCALAR && !strcmp(kind->text, grader_kinds[k]))
			break;
	if (!grader_kinds[k])
		return es_fail(c, kind, "%s: 'kind' must be programmatic, reward_model or human, "
			       "got %s", what, es_describe(desc, kind));
	g->kind = (enum rlp_grader_kind)k;
	snprintf(held_what, sizeof(held_what), "%s: held_out_preferences", what);
	if ((held = es_map_get(v, "held_out_preferences")) &&
	    (err = es_bool(c, held, held_what, &g->held_out_preferences)) < 0)
		return err;
	if (g->kind == RLP_GRADER_REWARD_MODEL && !g->held_out_preferences)
		return es_fail(c, held ? held : v, "%s: a reward-model grader must be marked "
			    "held_out_preferences: true (trained on preferences held out from this "
			    "environment)", what);
	if (!es_map_get(v, "path"))
		return es_fail(c, v, "%s: missing required key 'path'", what);
	return get_path(c, es_map_get(v, "path"), what, RLP_ENV_PATH_ANY, &g->path);
}

static int parse_graders(const struct es_ctx *c, const struct es_node *v, struct rlp_envspec *s)
{
	char desc[ES_SHOW_MAX + 24];
	const char **names = NULL;
	size_t dup = 0, first = 0;
	int err;

	if (v->type != ES_SEQ || v->nitems == 0)
		return es_fail(c, v, "graders: expected a non-empty list of graders, got %s",
			    v->type == ES_SEQ ? "an empty list" : es_describe(desc, v));
	if (!(s->graders = calloc(v->nitems, sizeof(*s->graders))))
		return es_nomem();
	for (size_t i = 0; i < v->nitems; i++) {
		s->ngraders++;
		if ((err = parse_grader(c, v->items[i], i, &s->graders[i])) < 0)
			return err;
	}
	if (!(names = malloc(s->ngraders * sizeof(*names))))
		return es_nomem();
	for (size_t i = 0; i < s->ngraders; i++)
		names[i] = s->graders[i].name;
	err = es_find_duplicate(names, s->ngraders, &dup, &first);
	free(names);
	if (err == 0 && dup < s->ngraders)
		err = es_fail(c, v->items[dup], "grader '%s': duplicate grader name (first at "
			      "%zu:%zu)", s->graders[dup].name, v->items[first]->line,
			      v->items[first]->col);
	return err;
}

static int parse_spec(const struct es_ctx *c, const struct es_node *root, struct rlp_envspec *s)
{
	static const char *const keys[] = {"version", "name", "description", "seed", "time",
		"decoding", "command", "harness", "inputs", "tools", "rag_index", "filesystem", "graders",
		NULL};
	static const char *const frozen[] = {"seed", "time", "decoding", NULL};
	char desc[ES_SHOW_MAX + 24];
	const struct es_node *v;
	uint64_t version;
	int err;

	if (es_is_null(root))
		return es_fail(c, root, "empty environment spec");
	if ((err = es_check_map(c, root, NULL, keys)) < 0)
		return err;
	for (size_t i = 0; i < 2; i++)
		if (!es_map_get(root, keys[i]))
			return es_fail(c, root, "missing required key '%s'", keys[i]);
	for (size_t i = 0; frozen[i]; i++)
		if (!es_map_get(root, frozen[i]))
			return es_fail(c, root, "environment is not frozen: missing '%s'", frozen[i]);
	for (size_t i = 0; i < 2; i++)
		if (!es_map_get(root, i ? "graders" : "inputs"))
			return es_fail(c, root, "missing required key '%s'", i ? "graders" : "inputs");
	v = es_map_get(root, "version");
	if (!es_unsigned(v, &version) || version != 1)
		return es_fail(c, v, "version: unsupported environment spec version %s (expected 1)",
			    es_describe(desc, v));
	s->version = 1;
	if ((err = get_name(c, es_map_get(root, "name"), "name", "environment", &s->name)) < 0)
		return err;
	if ((v = es_map_get(root, "description")) &&
	    (err = es_string(c, v, "description", &s->description)) < 0)
		return err;
	v = es_map_get(root, "seed");
	if (!es_unsigned(v, &s->seed))
		return es_fail(c, v, "seed: expected an integer from 0 to %" PRIu64 ", got %s",
			       UINT64_MAX, es_describe(desc, v));
	v = es_map_get(root, "time");
	if (v->type != ES_SCALAR || rlp_time_parse(v->text, s->time, &s->time_epoch) < 0)
		return es_fail(c, v, "time: expected an RFC 3339 time such as '2026-01-01T00:00:00Z' "
			    "(the frozen clock), got %s", es_describe(desc, v));
	if ((err = parse_decoding(c, es_map_get(root, "decoding"), s)) < 0)
		return err;
	if ((v = es_map_get(root, "command")) && (err = parse_command(c, v, s)) < 0)
		return err;
	/* the code `command` runs is frozen with the rest */
	if ((v = es_map_get(root, "harness")) &&
	    (err = get_path(c, v, "harness", RLP_ENV_PATH_ANY, &s->harness)) < 0)
		return err;
	if ((err = get_path(c, es_map_get(root, "inputs"), "inputs", RLP_ENV_PATH_ANY,
			    &s->inputs)) < 0)
		return err;
	if ((v = es_map_get(root, "tools")) && (err = parse_tools(c, v, s)) < 0)
		return err;
	if ((v = es_map_get(root, "rag_index")) &&
	    (err = get_path(c, v, "rag_index", RLP_ENV_PATH_ANY, &s->rag_index)) < 0)
		return err;
	if ((v = es_map_get(root, "filesystem")) &&
	    (err = get_path(c, v, "filesystem", RLP_ENV_PATH_DIR, &s->filesystem)) < 0)
		return err;
	return parse_graders(c, es_map_get(root, "graders"), s);
}

int rlp_envspec_parse(struct rlp_envspec **out, const char *buf, size_t len, const char *name)
{
	struct es_ctx c = {.name = name ? name : "env.yaml"};
	struct rlp_envspec *s = NULL;
	struct es_node *root = NULL;
	int err;

	*out = NULL;
	if (len > RLP_ENVSPEC_MAX_BYTES)
		return rlp_error_set(RLP_EINVALID, "%s: environment spec is larger than 1 MiB",
				     c.name);
	if (!(s = calloc(1, sizeof(*s))) || !(s->source = strdup(c.name))) {
		free(s);
		return es_nomem();
	}
	s->decoding.top_p = 1;
	s->decoding.max_tokens = -1;
	c.spec = s;
	if ((err = es_load_tree(&c, buf, len, &root)) == 0)
		err = parse_spec(&c, root, s);
	es_node_free(root);
	if (err < 0)
		rlp_envspec_free(s);
	else
		*out = s;
	return err;
}

int rlp_envspec_load(struct rlp_envspec **out, const char *path)
{
	char *buf = NULL;
	size_t len;
	int err;

	*out = NULL;
	if ((err = rlp_read_file(&buf, &len, path, RLP_ENVSPEC_MAX_BYTES)) < 0)
		return err;
	err = rlp_envspec_parse(out, buf, len, path);
	free(buf);
	return err;
}

void rlp_envspec_free(struct rlp_envspec *s)
{
	if (!s)
		return;
	free(s->source);
	free(s->name);
	free(s->description);
	for (size_t i = 0; i < s->ncommand; i++)
		free(s->command[i]);
	free(s->command);
	free(s->inputs);
	for (size_t i = 0; i < s->ntools; i++) {
		free(s->tools[i].name);
		free(s->tools[i].fixture);
	}
	free(s->tools);
	free(s->rag_index);
	free(s->harness);
	free(s->filesystem);
	for (size_t i = 0; i < s->ngraders; i++) {
		free(s->graders[i].name);
		free(s->graders[i].path);
	}
	free(s->graders);
	for (size_t i = 0; i < s->npaths; i++)
		free(s->paths[i].what);
	free(s->paths);
	free(s);
}
