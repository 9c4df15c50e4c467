/*
 * The stage manifest: the GitOps pointer deploy tooling reads, a small YAML
 * file on the main branch at the path the policy's `manifest` key names
 * ({stage} and {model} are replaced). `pr open` writes it on a branch; `ci`
 * reads it from the pull request and gates what it names.
 *
 *   model: "support-bot"
 *   stage: "staging"
 *   candidate: "<40 hex digits>"
 *   artifact:            the candidate's artifact descriptor, as pinned
 *     uri: "s3://..."
 *     sha256: "<64 hex digits>"
 *   basis:               why (informational): verdict, policy, runs, env
 *     verdict: "GO"
 */
#ifndef RLP_MANIFEST_H
#define RLP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define RLP_MANIFEST_MAX (64u << 10)

/* The manifest path of `stage`: the template with {stage} and {model}
 * replaced; RLP_EINVALID for an absolute path, "." or ".." components, or
 * no `manifest` key. */
int rlp_manifest_path(char *buf, size_t size, const struct rlp_policy *policy, const char *stage);

struct rlp_manifest {
	char model[128];
	char stage[128];
	char candidate[41];
	char *artifact;   /* canonical JSON of the artifact mapping (as lib/artifact.h
	                   * writes it), NULL without one */
	/* basis: written, and read back only for display */
	char verdict[16];
	char policy[41];
	char candidate_run[41];
	char baseline_run[41];
	char env[160];
};

/* Render as YAML (caller frees). */
int rlp_manifest_render(char **out, const struct rlp_manifest *m);

/* Parse; `name` names it in messages. model, stage and candidate are
 * required; unknown keys are refused. */
int rlp_manifest_parse(struct rlp_manifest *out, const char *text, size_t len, const char *name);
void rlp_manifest_clear(struct rlp_manifest *m);

#endif
