/* Fill a repository with history for bench/store.sh: an env version, R runs
 * (in commits of 100) on refs/rlpromote/runs/bench and D decisions on
 * refs/rlpromote/stages/<model>/<stage>, written directly and unsigned (the
 * benchmark signs only the tip, which is all that status and current read).
 *
 *   tool_history <repo> <model> <stage> <runs> <decisions>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"

static void check(int error, const char *what)
{
	if (error < 0) {
		fprintf(stderr, "tool_history: %s: %s\n", what, rlp_error_last());
		exit(1);
	}
}

static git_commit *lookup(struct rlp_store *s, const git_oid *id)
{
	git_commit *c = NULL;
	if (git_commit_lookup(&c, s->repo, id) < 0)
		check(rlp_git_error(-1, "lookup"), "lookup");
	return c;
}

static git_oid commit_tree(struct rlp_store *s, const git_oid *tree_id, git_commit *parent,
			   const char *msg)
{
	git_tree *tree = NULL;
	git_oid out;
	const git_commit *parents[1] = {parent};
	if (git_tree_lookup(&tree, s->repo, tree_id) < 0)
		check(rlp_git_error(-1, "tree"), "tree");
	check(rlp_store_commit(&out, s, tree, parents, parent ? 1 : 0, msg), "commit");
	git_tree_free(tree);
	return out;
}

int main(int argc, char **argv)
{
	struct rlp_store *s = NULL;
	git_reference *ref = NULL;
	char path[256], text[512];
	git_oid tree_id, tip, blob;

	if (argc != 6) {
		fprintf(stderr, "usage: tool_history <repo> <model> <stage> <runs> <decisions>\n");
		return 2;
	}
	long runs = atol(argv[4]), decisions = atol(argv[5]);
	check(rlp_store_open(&s, argv[1]), "open");
	s->signing = false;

	/* runs: 100 per commit, 3 files each, spread over candidates */
	git_commit *parent = NULL;
	git_tree *base = NULL;
	check(rlp_store_blob(&blob, s, "{\"id\":\"a\",\"scores\":{\"pass\":1}}\n", 31), "blob");
	for (long r = 0; r < runs;) {
		struct rlp_tree_edit edits[300];
		char paths[300][300];
		size_t n = 0;
		for (int k = 0; k < 100 && r < runs; k++, r++) {
			snprintf(path, sizeof(path), "runs/%02lx/%038lx%02lx/bench-env/run-%07ld", r % 256,
				 r / 7, r % 256, r);
			for (int f = 0; f < 3; f++, n++) {
				static const char *const files[] = {"run.json", "results.jsonl", "summary.json"};
				snprintf(paths[n], sizeof(paths[n]), "%s/%s", path, files[f]);
				edits[n].path = paths[n];
				edits[n].blob = blob;
				edits[n].remove = false;
			}
		}
		check(rlp_store_tree_update(&tree_id, s, base, edits, n), "runs tree");
		snprintf(text, sizeof(text), "eval bench: runs up to %ld\n", r);
		tip = commit_tree(s, &tree_id, parent, text);
		git_commit_free(parent);
		git_tree_free(base);
		parent = lookup(s, &tip);
		if (git_commit_tree(&base, parent) < 0)
			check(rlp_git_error(-1, "tree"), "tree");
	}
	if (runs && git_reference_create(&ref, s->repo, "refs/rlpromote/runs/bench", &tip, 1, NULL) < 0)
		check(rlp_git_error(-1, "ref"), "ref");
	git_reference_free(ref);
	git_commit_free(parent);
	git_tree_free(base);
	parent = NULL;

	/* decisions: small trees, one commit each, first-parent chained */
	for (long d = 0; d < decisions; d++) {
		struct rlp_tree_edit edit = {"decision.json", {{0}}, false};
		int len = snprintf(text, sizeof(text),
				   "{\"kind\":\"override\",\"model\":\"%s\",\"stage\":\"%s\","
				   "\"candidate\":\"%040ld\",\"baseline\":null,\"verdict\":\"NONE\","
				   "\"actor\":\"bench@example.com\",\"reason\":\"history %ld\","
				   "\"decided_at\":\"2026-01-01T00:00:00Z\",\"artifact\":null}\n",
				   argv[2], argv[3], d, d);
		check(rlp_store_blob(&edit.blob, s, text, (size_t)len), "blob");
		check(rlp_store_tree_update(&tree_id, s, NULL, &edit, 1), "decision tree");
		snprintf(path, sizeof(path), "override %ld\n", d);
		tip = commit_tree(s, &tree_id, parent, path);
		git_commit_free(parent);
		parent = lookup(s, &tip);
	}
	snprintf(path, sizeof(path), "refs/rlpromote/stages/%s/%s", argv[2], argv[3]);
	if (decisions && git_reference_create(&ref, s->repo, path, &tip, 1, NULL) < 0)
		check(rlp_git_error(-1, "ref"), "ref");
	git_reference_free(ref);
	git_commit_free(parent);
	rlp_store_free(s);
	return 0;
}
