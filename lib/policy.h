/*
 * The promotion policy (.rlpromote/policy.yaml), parsed strictly with libyaml.
 * Schema and semantics: rlpromote-policy(5) and RULES.md.
 */
#ifndef RLP_POLICY_H
#define RLP_POLICY_H

#include <stdbool.h>
#include <stddef.h>

enum rlp_rule_kind {
	RLP_RULE_AGGREGATE_THRESHOLD,
	RLP_RULE_LOWER_BOUND_ABOVE,
	RLP_RULE_RATE_CAP,
	RLP_RULE_SLICE_NONINFERIORITY,
	RLP_RULE_SUPERIORITY,
	RLP_RULE_RANGE,
	RLP_RULE_BUDGET,
	RLP_RULE_MIN_SAMPLES,
	RLP_RULE_REPRODUCIBLE,
	RLP_RULE_SHADOW_COMPARE,
	RLP_RULE_KIND_COUNT
};

/* Where a rule's metric comes from. */
enum rlp_metric_source {
	RLP_METRIC_NONE,    /* rule kinds without a metric */
	RLP_METRIC_RECORD,  /* a score in "scores", or latency_ms / cost_usd */
	RLP_METRIC_RUN,     /* "run.<name>": a run-level figure (run.json / --run-metrics) */
	RLP_METRIC_DERIVED, /* "derived.<name>": computed from records (RL health) */
};

enum rlp_on_missing { RLP_MISSING_INCONCLUSIVE, RLP_MISSING_ERROR, RLP_MISSING_FAIL };
enum rlp_severity { RLP_SEVERITY_BLOCK, RLP_SEVERITY_WARN };
enum rlp_pairing { RLP_PAIRING_AUTO, RLP_PAIRING_PAIRED, RLP_PAIRING_UNPAIRED };

struct rlp_location {
	size_t line; /* 1-based; 0 when unknown */
	size_t col;  /* 1-based */
};

/* Unset numbers are NaN (use isnan); unset counts are -1. */
struct rlp_rule {
	char *id;
	enum rlp_rule_kind kind;
	char *metric;       /* as written, e.g. "pass", "run.kl_to_base"; NULL if none */
	enum rlp_metric_source source;
	const char *metric_name; /* points into `metric` past "run."/"derived." */
	char **slices;      /* "slices: [a, b]" or "slice: a"; NULL/0 = all records, except:
	                     * slice_noninferiority without slices gets every policy slice
	                     * here; min_samples' min_n_per_slice then applies to every
	                     * policy slice (left NULL so min_n still counts all records) */
	size_t nslices;
	double min, max;
	double margin;             /* slice_noninferiority; default 0 */
	double min_improvement;    /* superiority; default 0 */
	double max_rate;           /* rate_cap */
	long max_count;            /* rate_cap; -1 = no count limit */
	double quantile;           /* budget: stat p95 -> 0.95; NaN for mean */
	double max_ratio_vs_baseline;
	long min_n;                /* min_samples: total n; slice rules: smallest useful n */
	long min_n_per_slice;      /* min_samples */
	long min_clusters;         /* min_samples */
	double min_duration_s;     /* min_samples, shadow_compare (seconds) */
	double max_duration_s;     /* shadow_compare */
	double noninferiority_margin; /* shadow_compare */
	double tuning_n;           /* shadow_compare: the confidence sequence's N; default 5000 */
	double confidence;         /* from the rule, else defaults, else 0.95 */
	int sided;                 /* 1 or 2 (RLP_ONE_SIDED / RLP_TWO_SIDED), default 1 */
	enum rlp_severity severity;
	bool critical;
	enum rlp_on_missing on_missing;
	enum rlp_pairing pairing;
	bool use_ci;               /* range: "use: ci" */
	bool detect_regression;    /* slice_noninferiority option: McNemar exact, Holm */
	double alpha;              /* detect_regression; default 1 - confidence, rounded to
	                            * 15 significant digits (0.95 gives 0.05 exactly) */
	struct rlp_location loc;   /* of the rule's mapping */
};

struct rlp_slice {
	char *name;
	char **tags; /* a record belongs to the slice when it carries any of these tags */
	size_t ntags;
	struct rlp_location loc;
};

/* A staged rollout (`rollout: {stage: canary, steps: [5, 25, 100]}`): the
 * candidate takes steps[i] percent of the traffic, recorded as decisions
 * on `stage`, and the last step (100) is the promotion to the target. */
struct rlp_rollout {
	char *stage;   /* NULL: no rollout */
	double *steps; /* strictly increasing, in (0, 100], the last 100 */
	size_t nsteps;
	struct rlp_location loc;
};

struct rlp_promotion {
	char *to;       /* the target stage: the key under "promotions" */
	char *from;     /* the stage the candidate must hold */
	char *env;      /* frozen environment name; NULL if none */
	char *baseline; /* stage whose candidate is the baseline; NULL if none */
	struct rlp_rollout rollout;
	struct rlp_rule *rules;
	size_t nrules;
	struct rlp_location loc;
};

/* RL health (`health:`): which scores the derived health metrics read.
 * Strings are NULL and numbers NaN when not set. */
struct rlp_health {
	char *reward;          /* the reward-model score */
	char *human;           /* the human-preference score (derived.alignment_tax) */
	char *verifier;        /* the programmatic verifier's score (derived.reward_hack) */
	double hack_threshold; /* reward >= this and a failing verifier: a suspect */
	double verifier_pass;  /* the verifier passes when its score >= this; default 1 */
	struct rlp_location loc;
};

/* The production monitor's thresholds (`monitor:`; lib/monitor.h), the
 * defaults filled in. */
struct rlp_monitor_policy {
	double alpha;              /* default 0.01 */
	double max_error_increase; /* default 0.01 */
	double max_latency_ratio;  /* default 1.25 */
	double max_action_tv;      /* default 0.1 */
	long min_n;                /* default 100 */
	struct rlp_location loc;   /* line 0: the policy has no monitor mapping */
};

struct rlp_signers {
	char **eval, **promote, **override;
	size_t neval, npromote, noverride;
};

struct rlp_policy {
	char *path;       /* as given to the parser, for messages */
	int version;      /* 1 */
	char *model;
	char *artifact;   /* optional file in the candidate commit */
	char *manifest;   /* optional: stage manifest path template (forge PRs) */
	char *allowed_signers; /* optional: path of the ssh allowed-signers file */
	char **stages;
	size_t nstages;
	struct rlp_signers signers;
	struct rlp_slice *slices;
	size_t nslices;
	double confidence;        /* defaults.confidence, 0.95 if absent */
	enum rlp_on_missing on_missing; /* defaults.on_missing */
	struct rlp_health health;
	struct rlp_monitor_policy monitor;
	struct rlp_promotion *promotions;
	size_t npromotions;
};

/* Parse a policy from memory; `name` is used in messages ("name:line:col: ...").
 * On error returns RLP_EINVALID with a located message ("name: ..." for input
 * over 1 MiB), or RLP_ENOMEM, and *out = NULL. Also refused: anchors, aliases,
 * tags, several documents, nesting deeper than 32, more than 100000 nodes. */
int rlp_policy_parse(struct rlp_policy **out, const char *buf, size_t len, const char *name);
/* rlp_policy_parse() on a file, named by `path`; RLP_EIO ("cannot open 'path':
 * <strerror>", "cannot read ...") when it cannot be read. */
int rlp_policy_load(struct rlp_policy **out, const char *path);
void rlp_policy_free(struct rlp_policy *policy);

const struct rlp_promotion *rlp_policy_promotion(const struct rlp_policy *policy, const char *to);
/* The promotion whose decisions a stage holds: the one to it, or the one
 * whose rollout steps through it. */
const struct rlp_promotion *rlp_policy_stage_promotion(const struct rlp_policy *policy,
							const char *stage);
const struct rlp_slice *rlp_policy_slice(const struct rlp_policy *policy, const char *name);

const char *rlp_rule_kind_name(enum rlp_rule_kind kind);

/* Derived metric names this version computes: "kl_k1", "kl_k3" (KL to the
 * base model), "distinct_2", "duplicate_rate", "collapsed" (rollout
 * diversity), "alignment_tax" and "reward_hack" (they read `health:`). */
bool rlp_policy_derived_known(const char *name);

/* The normalized policy as YAML: every default filled in, keys in a fixed
 * order (listed at the top of policy_emit.c), one rule per flow
 * mapping, unset values left out. Parsing the output and normalizing again
 * gives the same text. Caller frees *out with free(). */
int rlp_policy_normalize(char **out, const struct rlp_policy *policy);

#endif
