/* The gate of one candidate and stage as `pr` and `ci` show it: the
 * markdown report, or a HOLD note when the evidence is missing. */
#ifndef RLP_PR_REPORT_H
#define RLP_PR_REPORT_H

#include "evidence.h"
#include "manifest.h"

struct pr_report {
	enum rlp_outcome outcome;
	struct rlp_evidence ev;  /* ev.result is NULL when evidence is missing */
	char *markdown;
};

/* Gate under `trusted` (dies on broken data, not on missing evidence). */
void pr_report_build(struct pr_report *r, struct rlp_store *store,
		     const struct rlp_trusted *trusted, const git_oid *candidate, const char *stage);
void pr_report_clear(struct pr_report *r);

/* The pull request's body: what it changes, the report, the evidence; cut
 * to the forges' 65536 characters with a note saying so. */
char *pr_report_body(const struct pr_report *r, const struct rlp_manifest *m, const char *path,
		     const char *branch);

#endif
