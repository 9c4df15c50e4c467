/*
 * Frozen RL test environments: the spec (YAML, parsed strictly with libyaml)
 * and its normalized form. DESIGN.md, "What it is for": fixed seed, frozen
 * clock, deterministic decoding, tools as offline fixtures, a frozen RAG
 * index and file-system state, held-out inputs, graders.
 *
 *   version: 1
 *   name: support-v3                  # ref-safe: refs/rlpromote/envs/<name>
 *   description: ...
 *   seed: 42                          # 0 .. 2^64-1
 *   time: "2026-01-01T00:00:00Z"      # the frozen clock (RFC 3339, UTC)
 *   decoding: {temperature: 0, top_p: 1, max_tokens: 1024, allow_sampling: false}
 *   command: [python3, run.py]        # what `eval run` executes
 *   harness: run.py                   # file or directory: the code the command runs
 *   inputs: heldout/                  # file or directory
 *   tools: {search: {fixture: fixtures/search.jsonl}}
 *   rag_index: index/                 # file or directory
 *   filesystem: fs/                   # directory
 *   graders:
 *     - {name: unit, kind: programmatic, path: graders/unit.py}
 *     - {name: rm, kind: reward_model, path: graders/rm.json, held_out_preferences: true}
 *
 * Paths are relative to the spec file's directory (in a frozen version: to
 * its files/ directory); absolute paths, ".." and "." components, ".git"
 * and URLs are refused here; symbolic links and missing files when the files
 * are collected (env.h). Errors read "<file>:<line>:<col>: <message>".
 */
#ifndef RLP_ENVSPEC_H
#define RLP_ENVSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RLP_ENVSPEC_MAX_BYTES (1024u * 1024u)
#define RLP_ENV_NAME_MAX 100

enum rlp_grader_kind { RLP_GRADER_PROGRAMMATIC, RLP_GRADER_REWARD_MODEL, RLP_GRADER_HUMAN };

/* What a path of the spec must be on disk. */
enum rlp_env_path_type { RLP_ENV_PATH_ANY, RLP_ENV_PATH_DIR };

/* Every path the spec names, in spec order, for collecting and checking. */
struct rlp_env_path {
	const char *path;  /* points into the spec's field; no trailing slash */
	char *what;        /* "inputs", "tool 'search'", "grader 'rm'", ... */
	enum rlp_env_path_type type;
	size_t line, col;  /* of the value in the spec, 1-based */
};

struct rlp_env_tool {
	char *name;
	char *fixture;
};

struct rlp_env_grader {
	char *name;
	enum rlp_grader_kind kind;
	char *path;
	bool held_out_preferences;
};

struct rlp_envspec {
	char *source;       /* the name used in messages (the spec's file name) */
	int version;        /* 1 */
	char *name;
	char *description;  /* NULL when absent */
	uint64_t seed;
	char time[21];      /* "YYYY-MM-DDTHH:MM:SSZ" */
	int64_t time_epoch; /* the same instant, seconds since 1970-01-01T00:00:00Z */
	struct {
		double temperature;
		double top_p;       /* default 1 */
		long max_tokens;    /* -1 when absent */
		bool allow_sampling;
	} decoding;
	char **command;     /* NULL-terminated argv; NULL when absent */
	size_t ncommand;
	char *harness;      /* the eval harness (file or directory); NULL when absent */
	char *inputs;
	struct rlp_env_tool *tools; /* sorted by name */
	size_t ntools;
	char *rag_index;    /* NULL when absent */
	char *filesystem;   /* NULL when absent */
	struct rlp_env_grader *graders;
	size_t ngraders;
	struct rlp_env_path *paths;
	size_t npaths;
};

/* Parse a spec from memory; `name` names it in messages. */
int rlp_envspec_parse(struct rlp_envspec **out, const char *buf, size_t len, const char *name);
/* Read and parse a spec file (at most RLP_ENVSPEC_MAX_BYTES). */
int rlp_envspec_load(struct rlp_envspec **out, const char *path);
void rlp_envspec_free(struct rlp_envspec *spec);

/* The normalized spec: keys in a fixed order, defaults filled in, tools
 * sorted, so identical content gives identical bytes. Parsing it gives the
 * same spec. */
int rlp_envspec_normalize(char **out, size_t *len, const struct rlp_envspec *spec);

/* [A-Za-z0-9][A-Za-z0-9._-]*, no "..", no ".lock" suffix, at most
 * RLP_ENV_NAME_MAX bytes: usable as one ref component. */
bool rlp_env_name_valid(const char *name);

const char *rlp_grader_kind_name(enum rlp_grader_kind kind);

/* Parse an RFC 3339 instant ("2026-01-01T00:00:00Z", or with an offset
 * such as "+02:00", which is converted); whole seconds only. Writes the UTC
 * form to `norm` and the epoch seconds to *epoch. */
int rlp_time_parse(const char *s, char norm[21], int64_t *epoch);

#endif
