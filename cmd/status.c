/* git rlpromote status|current|log|show|verify-artifact: reading decisions. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "artifact.h"
#include "chain.h"
#include "cmd.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "json.h"
#include "verify.h"

/* Deploy-facing reads verify the decision's signature and signer first. */
static int check_decision(struct rlp_store *store, const struct rlp_trusted *trusted,
			  const struct rlp_decision *d, char *why, size_t size)
{
	if (rlp_verify_decision_signer(store, trusted, d, time(NULL)) == 0)
		return 0;
	snprintf(why, size, "%s", rlp_error_last());
	return -1;
}

static int stage_decision(struct rlp_decision *d, struct rlp_store *store,
			  const struct rlp_policy *policy, const char *stage)
{
	char ref[512];
	git_oid tip;
	int error;

	rlp_stage_ref(ref, sizeof(ref), policy, stage);
	if ((error = git_reference_name_to_id(&tip, store->repo, ref)) < 0)
		return error == GIT_ENOTFOUND ? RLP_ENOTFOUND : rlp_git_error(error, ref);
	return rlp_decision_load(d, store, &tip);
}

/* The artifact object of decision.json, or NULL. */
static struct rlp_json *decision_artifact(struct rlp_json **root, const struct rlp_decision *d)
{
	*root = rlp_json_parse(d->json, d->json_len, NULL);
	struct rlp_json *a = rlp_json_get(*root, "artifact");
	return rlp_json_is_object(a) ? a : NULL;
}

int cmd_status(int argc, char **argv)
{
	check_help(argc, argv, "status");
	if (argc != 1)
		usage_of("status", false);
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	const struct rlp_policy *policy = trusted->policy;
	int status = 0;

	printf("%-12s %-12s %-9s %-8s %-7s %-20s %-24s %s\n", "STAGE", "CANDIDATE", "KIND",
	       "VERDICT", "TRAFFIC", "DECIDED", "BY", "ARTIFACT");
	for (size_t i = 0; i < policy->nstages; i++) {
		struct rlp_decision d;
		struct rlp_json *root = NULL;
		char why[256];
		int error = stage_decision(&d, store, policy, policy->stages[i]);
		if (error == RLP_ENOTFOUND) {
			printf("%-12s %s\n", policy->stages[i], "-");
			continue;
		}
		if (error < 0)
			die("%s", rlp_error_last());
		struct rlp_json *a = decision_artifact(&root, &d);
		const char *uri = rlp_json_string(rlp_json_get(a, "uri"));
		char share[16];
		snprintf(share, sizeof(share), "%g%%", d.traffic_share);
		printf("%-12s %-12s %-9s %-8s %-7s %-20s %-24s %s\n", policy->stages[i],
		       short_id(&d.candidate), rlp_decision_kind_name(d.kind), d.verdict, share,
		       d.decided_at, d.actor, uri ? uri : "-");
		if (check_decision(store, trusted, &d, why, sizeof(why)) < 0) {
			printf("%-12s UNVERIFIED: %s\n", "", why);
			status = RLP_EXIT_FAIL;
		}
		rlp_json_free(root);
		rlp_decision_clear(&d);
	}
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return status;
}

int cmd_current(int argc, char **argv)
{
	bool json = false;
	const char *stage = NULL;

	check_help(argc, argv, "current");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!stage && argv[i][0] != '-')
			stage = argv[i];
		else
			usage_of("current", false);
	}
	if (!stage)
		usage_of("current", false);
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	struct rlp_decision d;
	char why[256];
	int error = stage_decision(&d, store, trusted->policy, stage);

	if (error == RLP_ENOTFOUND)
		die("stage '%s' holds no model", stage);
	if (error < 0)
		die("%s", rlp_error_last());
	/* deploy scripts act on this answer: refuse to give an unverified one */
	if (check_decision(store, trusted, &d, why, sizeof(why)) < 0)
		die("stage '%s': decision %s does not verify: %s", stage, short_id(&d.commit), why);
	if (json) {
		struct rlp_json *root = NULL, *out = rlp_json_new_object();
		struct rlp_json *a = decision_artifact(&root, &d);
		char hex[GIT_OID_HEXSZ + 1];
		rlp_json_add_string(out, "model", d.model);
		rlp_json_add_string(out, "stage", d.stage);
		rlp_json_add_string(out, "candidate", git_oid_tostr(hex, sizeof(hex), &d.candidate));
		rlp_json_add_string(out, "decision", git_oid_tostr(hex, sizeof(hex), &d.commit));
		rlp_json_add_string(out, "kind", rlp_decision_kind_name(d.kind));
		rlp_json_add_string(out, "verdict", d.verdict);
		/* the share of live traffic the stage gives it, and a staged
		 * rollout's progress (lib/decision.c) */
		rlp_json_add_number(out, "traffic_share", d.traffic_share);
		struct rlp_json *ro = rlp_json_get(root, "rollout");
		if (rlp_json_is_object(ro)) {
			struct rlp_json *o = rlp_json_add_object(out, "rollout"), *steps;
			const char *prom = rlp_json_string(rlp_json_get(ro, "promotion"));
			rlp_json_add_string(o, "promotion", prom ? prom : "");
			rlp_json_add_number(o, "step", rlp_json_number(rlp_json_get(ro, "step")));
			steps = rlp_json_add_array(o, "steps");
			for (struct rlp_json *x = rlp_json_first(rlp_json_get(ro, "steps")); x;
			     x = rlp_json_next(x))
				rlp_json_push_number(steps, rlp_json_number(x));
		}
		rlp_json_add_string(out, "actor", d.actor);
		rlp_json_add_string(out, "decided_at", d.decided_at);
		struct rlp_json *oa = a ? rlp_json_add_object(out, "artifact") : NULL;
		if (!a)
			rlp_json_add_null(out, "artifact");
		for (struct rlp_json *m = rlp_json_first(a); m; m = rlp_json_next(m))
			rlp_json_add_string(oa, rlp_json_key(m), rlp_json_string(m));
		rlp_json_add_bool(out, "verified", true);
		char *text = rlp_json_print(out, true);
		if (!text)
			die("out of memory");
		printf("%s\n", text);
		free(text);
		rlp_json_free(out);
		rlp_json_free(root);
	} else {
		char hex[GIT_OID_HEXSZ + 1];
		printf("%s\n", git_oid_tostr(hex, sizeof(hex), &d.candidate));
	}
	rlp_decision_clear(&d);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return 0;
}

int cmd_log(int argc, char **argv)
{
	check_help(argc, argv, "log");
	if (argc != 2)
		usage_of("log", false);
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	char ref[512];
	git_oid tip, *chain = NULL;
	size_t n = 0;

	rlp_stage_ref(ref, sizeof(ref), trusted->policy, argv[1]);
	if (git_reference_name_to_id(&tip, store->repo, ref) < 0)
		die("stage '%s' has no decisions", argv[1]);
	if (rlp_chain_walk(&chain, &n, NULL, store, ref + strlen(RLP_REF_PREFIX), &tip, NULL,
			   SIZE_MAX) < 0)
		die("%s", rlp_error_last());
	for (size_t i = 0; i < n; i++) {
		struct rlp_decision d;
		if (rlp_decision_load(&d, store, &chain[i]) < 0)
			die("%s", rlp_error_last());
		printf("%s %s %-8s %-9s %s by %s%s%s\n", short_id(&d.commit), d.decided_at,
		       d.verdict, rlp_decision_kind_name(d.kind), short_id(&d.candidate), d.actor,
		       d.reason ? ": " : "", d.reason ? d.reason : "");
		rlp_decision_clear(&d);
	}
	free(chain);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return 0;
}

int cmd_show(int argc, char **argv)
{
	check_help(argc, argv, "show");
	if (argc != 2)
		usage_of("show", false);
	struct rlp_store *store = open_store();
	struct rlp_decision d;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	char *report = NULL;
	git_oid id;

	resolve_commit(&id, store, argv[1]);
	if (rlp_decision_load(&d, store, &id) < 0)
		die("%s", rlp_error_last());
	write_stdout(d.json);
	if (git_commit_lookup(&c, store->repo, &id) == 0 && git_commit_tree(&tree, c) == 0 &&
	    rlp_store_read_path(&report, NULL, store, tree, "report.md", RLP_DECISION_MAX) == 0) {
		printf("\n");
		write_stdout(report);
	}
	free(report);
	git_tree_free(tree);
	git_commit_free(c);
	rlp_decision_clear(&d);
	rlp_store_free(store);
	return 0;
}

int cmd_verify_artifact(int argc, char **argv)
{
	check_help(argc, argv, "verify-artifact");
	if (argc != 3)
		usage_of("verify-artifact", false);
	struct rlp_store *store = open_store();
	struct rlp_trusted *trusted = load_trusted(store, NULL);
	struct rlp_decision d;
	struct rlp_json *root = NULL;
	char why[256], hex[65];

	if (stage_decision(&d, store, trusted->policy, argv[1]) < 0)
		die("stage '%s' holds no model", argv[1]);
	if (check_decision(store, trusted, &d, why, sizeof(why)) < 0)
		die("stage '%s': decision %s does not verify: %s", argv[1], short_id(&d.commit), why);
	const char *want = rlp_json_string(rlp_json_get(decision_artifact(&root, &d), "sha256"));
	if (!want)
		die("the decision for '%s' pins no artifact sha256", argv[1]);
	if (rlp_sha256_file(hex, argv[2]) < 0)
		die("%s", rlp_error_last());
	int status = strcmp(hex, want) ? RLP_EXIT_FAIL : 0;
	if (status)
		fprintf(stderr, "rlpromote: '%s' does not match stage '%s': sha256 %s, decision %s pins %s\n",
			argv[2], argv[1], hex, short_id(&d.commit), want);
	else
		printf("%s matches %s (%s, sha256 %s)\n", argv[2], argv[1], short_id(&d.candidate), hex);
	rlp_json_free(root);
	rlp_decision_clear(&d);
	rlp_trusted_free(trusted);
	rlp_store_free(store);
	return status;
}
