/* Gate reports for pull requests. */
#include "pr_report.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "error.h"
#include "forge.h"
#include "report.h"

void pr_report_build(struct pr_report *r, struct rlp_store *store,
		     const struct rlp_trusted *trusted, const git_oid *candidate, const char *stage)
{
	char policy_name[512];
	int err;

	memset(r, 0, sizeof(*r));
	err = rlp_evidence_gate_trusted(&r->ev, store, trusted, candidate, stage);
	if (err < 0 && err != RLP_ENOTFOUND)
		die("%s", rlp_error_last());
	snprintf(policy_name, sizeof(policy_name), "%s:%s", trusted->rev, RLP_POLICY_PATH);
	if (err == RLP_ENOTFOUND || !r->ev.result) {
		struct rlp_buf b = RLP_BUF_INIT;
		r->outcome = RLP_HOLD;
		rlp_buf_printf(&b,
			       "## ⏸️ HOLD: `%s` → %s\n\nNo evidence to gate candidate `%s` on: %s.\n"
			       "\n<sub>git-rlpromote gate · policy `%s`</sub>\n",
			       trusted->policy->model, stage, short_id(candidate),
			       r->ev.problem[0] ? r->ev.problem : rlp_error_last(), policy_name);
		if (rlp_buf_detach(&r->markdown, &b) < 0)
			die_lib("cannot render the report");
		return;
	}
	r->outcome = r->ev.result->decision;
	struct rlp_report_meta meta = {
		.policy = trusted->policy, .policy_name = policy_name,
		.candidate = r->ev.cand_run.path,
		.baseline = r->ev.has_base_run ? r->ev.base_run.path : NULL,
	};
	if (rlp_report_markdown(&r->markdown, r->ev.result, &meta) < 0)
		die_lib("cannot render the report");
}

void pr_report_clear(struct pr_report *r)
{
	rlp_evidence_clear(&r->ev);
	free(r->markdown);
	memset(r, 0, sizeof(*r));
}

char *pr_report_body(const struct pr_report *r, const struct rlp_manifest *m, const char *path,
		     const char *branch)
{
	struct rlp_buf b = RLP_BUF_INIT;
	char *out = NULL;

	rlp_buf_printf(&b,
		       "<!-- rlpromote:pr stage=%s candidate=%s -->\n"
		       "Promotes `%s` candidate `%s` to **%s**: `%s` on `%s` names it.\n"
		       "Merging is the promotion; the `rlpromote` check re-runs the gate under the "
		       "base branch's policy.\n\n",
		       m->stage, m->candidate, m->model, m->candidate, m->stage, path, branch);
	rlp_buf_puts(&b, r->markdown);
	rlp_buf_puts(&b, "\n<details><summary>Evidence</summary>\n\n");
	if (m->artifact)
		rlp_buf_printf(&b, "- artifact: `%s`\n", m->artifact);
	if (m->candidate_run[0])
		rlp_buf_printf(&b, "- candidate run: `%s` (`%s`)\n", m->candidate_run,
			       r->ev.cand_run.path);
	if (m->baseline_run[0])
		rlp_buf_printf(&b, "- baseline run: `%s` (`%s`)\n", m->baseline_run,
			       r->ev.base_run.path);
	if (m->env[0])
		rlp_buf_printf(&b, "- environment: `%s`\n", m->env);
	rlp_buf_printf(&b, "- policy: `%s`\n\n</details>\n", m->policy);
	if (rlp_buf_detach(&out, &b) < 0)
		die_lib("cannot render the pull request body");
	rlp_forge_truncate(out, RLP_FORGE_BODY_MAX,
			   "\n\n**Cut here:** the full report is longer than a pull request body "
			   "may be (65536 characters); `git rlpromote gate` shows all of it.\n");
	return out;
}
