/*
 * Internals of the policy parser, shared by policy.c (YAML tree, top level,
 * value helpers), policy_rules.c (rules) and policy_emit.c (normalized YAML).
 * Not part of the public API.
 */
#ifndef RLP_POLICY_INTERNAL_H
#define RLP_POLICY_INTERNAL_H

#include "policy.h"
#include "yamlutil.h"

#include <stdbool.h>
#include <stddef.h>

#define POL_MAX_BYTES (1024u * 1024u)

/* The document as a plain tree, built from libyaml events so that anchors,
 * aliases and tags can be refused where they appear. */
enum pol_node_type { POL_SCALAR, POL_SEQ, POL_MAP };

struct pol_node {
	enum pol_node_type type;
	char *text;              /* scalars: NUL-terminated, contains no NUL */
	bool plain;              /* scalar written without quotes */
	struct pol_node **items; /* sequence elements; mapping: key, value, key, value... */
	size_t nitems;
	struct rlp_location loc; /* start mark, 1-based */
};

/* Names sorted for lookups that stay fast on hostile input; `names` is
 * NULL-terminated so it can feed pol_suggest(). */
struct pol_index {
	const char **names;
	size_t n;
};

struct pol_ctx {
	const char *name;          /* file name for messages */
	struct pol_index stages;   /* valid once stages are parsed */
	struct pol_index slices;   /* valid once slices are parsed */
};

/* Messages: "<name>:<line>:<col>: [<what>: ]<message>". All return RLP_EINVALID. */
int pol_fail(const struct pol_ctx *c, const struct pol_node *at, const char *what,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int pol_nomem(void);

#define POL_SHOW_MAX YAMLU_SHOW_MAX /* yamlu_show() prints `user` safely */
/* "a list", "a mapping", "null", "'text'" or "quoted string 'text'". */
const char *pol_describe(char buf[POL_SHOW_MAX + 32], const struct pol_node *n);

/* The closest of `cands` (NULL-terminated) within edit distance 2, or NULL. */
const char *pol_suggest(const char *word, const char *const *cands);
/* The NULL-terminated `names` as "a, b, c" (`last_sep` ", " or " or ")
 * into buf, truncated with "..." when long. */
void pol_join(char *buf, size_t size, const char *const *names, const char *last_sep);

const struct pol_node *pol_map_get(const struct pol_node *map, const char *key);
/* Every key a string, no duplicates, and (when `allowed` is not NULL) each
 * one of `allowed`. `what` is NULL at the top level. `hints` (NULL: `allowed`)
 * are the keys offered first as "did you mean" and listed when nothing is
 * close: a rule's hints are the keys of its kind. */
int pol_check_keys(const struct pol_ctx *c, const struct pol_node *map, const char *what,
		   const char *const *allowed, const char *const *hints);

/* Index of the first name (in order) that repeats an earlier one, or n;
 * *first gets the earlier one's index. */
size_t pol_find_duplicate(const char *const *names, size_t n, size_t *first);
/* Allocate room for n names; fill ix->names[0..n-1], then pol_index_sort(). */
int pol_index_init(struct pol_index *ix, size_t n);
void pol_index_sort(struct pol_index *ix);
bool pol_index_has(const struct pol_index *ix, const char *name);
void pol_index_free(struct pol_index *ix);

/* Value readers: located, typed errors naming `key` (and `what`). */
bool pol_name_valid(const char *s);
bool pol_parse_number(const char *s, double *out); /* YAML decimal syntax, finite */
int pol_string(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	       const char *key, char **out);
int pol_name(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	     const char *key, char **out);
int pol_number(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	       const char *key, double *out);
/* A number within bounds; an infinite bound is no bound. `open`: exclusive. */
int pol_number_range(const struct pol_ctx *c, const struct pol_node *v, const char *what,
		     const char *key, double lo, bool lo_open, double hi, bool hi_open,
		     double *out);
int pol_count(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	      const char *key, long *out);
int pol_bool(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	     const char *key, bool *out);
/* One of `names` (NULL-terminated); *out is its index. */
int pol_enum(const struct pol_ctx *c, const struct pol_node *v, const char *what,
	     const char *key, const char *const *names, int *out);
/* Seconds: a number, or "1d2h3m4s" with any of the parts, in that order. */
int pol_duration(const struct pol_ctx *c, const struct pol_node *v, const char *what,
		 const char *key, double *out);
/* A list of unique strings, or a single string. `names`: each must be a
 * valid name; `nonempty`: an empty list is an error. */
int pol_string_list(const struct pol_ctx *c, const struct pol_node *v, const char *what,
		    const char *key, bool names, bool nonempty, char ***out, size_t *n);
void pol_strv_free(char **v, size_t n);

/* Rule keys, in the order the normalized form writes them. */
enum pol_key {
	POL_K_ID, POL_K_KIND, POL_K_METRIC, POL_K_SLICES, POL_K_SLICE, POL_K_MIN, POL_K_MAX,
	POL_K_MARGIN, POL_K_MIN_IMPROVEMENT, POL_K_MAX_RATE, POL_K_MAX_COUNT, POL_K_STAT,
	POL_K_MAX_RATIO, POL_K_MIN_N, POL_K_MIN_N_PER_SLICE, POL_K_MIN_CLUSTERS,
	POL_K_MIN_DURATION, POL_K_MAX_DURATION, POL_K_NI_MARGIN, POL_K_TUNING_N, POL_K_PAIRING,
	POL_K_USE,
	POL_K_DETECT_REGRESSION, POL_K_ALPHA, POL_K_CONFIDENCE, POL_K_SIDED, POL_K_SEVERITY,
	POL_K_CRITICAL, POL_K_ON_MISSING, POL_K_COUNT
};

const char *pol_key_name(enum pol_key key);
/* A score name: [A-Za-z0-9_][A-Za-z0-9_.-]*, at most 255 characters. */
bool pol_metric_name_valid(const char *s);
bool pol_key_applies(enum pol_key key, enum rlp_rule_kind kind);

extern const char *const pol_on_missing_names[]; /* indexed by enum rlp_on_missing */
extern const char *const pol_severity_names[];
extern const char *const pol_pairing_names[];

/* Parse rules[index] of `prom` from `map` into `rule` (zeroed by the caller).
 * `p` must have its stages, slices and defaults parsed. */
int pol_parse_rule(const struct pol_ctx *c, const struct rlp_policy *p,
		   const struct rlp_promotion *prom, const struct pol_node *map, size_t index,
		   struct rlp_rule *rule);
void pol_rule_clear(struct rlp_rule *rule);

#endif
