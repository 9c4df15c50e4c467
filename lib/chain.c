/* Walking the chains under refs/rlpromote/: which commits are new. */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Does a commit belong to the chain of this kind? A chain's first commit
 * has the evidence it builds on as its first parent (a writer's first run:
 * the env version; a stage's first decision: a run), so the walk stops at
 * the first commit of another kind. */
bool rlp_chain_member(struct rlp_store *store, const char *suffix, const git_oid *id)
{
	static const struct { const char *kind, *marker; } markers[] = {
		{"stages/", "decision.json"}, {"runs/", "runs"}, {"envs/", "env.yaml"},
	};
	git_commit *c = NULL;
	git_tree *tree = NULL;
	bool member = false;

	if (git_commit_lookup(&c, store->repo, id) < 0 || git_commit_tree(&tree, c) < 0)
		goto done;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (!strncmp(suffix, markers[i].kind, strlen(markers[i].kind)))
			member = git_tree_entry_byname(tree, markers[i].marker) != NULL;
done:
	git_tree_free(tree);
	git_commit_free(c);
	return member;
}

/* Walk the first-parent chain from `tip` back to `stop` (exclusive) or to where
 * the chain begins, newest first. */
int rlp_chain_new_commits(git_oid **out, size_t *n, struct rlp_store *store, const char *suffix,
		       const git_oid *tip, const git_oid *stop)
{
	git_revwalk *walk = NULL;
	git_oid id, *list = NULL;
	size_t count = 0, cap = 0;
	int error;

	*out = NULL;
	*n = 0;
	if ((error = git_revwalk_new(&walk, store->repo)) < 0 ||
	    (error = git_revwalk_push(walk, tip)) < 0 ||
	    (stop && (error = git_revwalk_hide(walk, stop)) < 0)) {
		git_revwalk_free(walk);
		return rlp_git_error(error, "cannot walk the chain");
	}
	git_revwalk_simplify_first_parent(walk);
	while (git_revwalk_next(&id, walk) == 0 && rlp_chain_member(store, suffix, &id)) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			git_oid *grown = realloc(list, cap * sizeof(*grown));
			if (!grown) {
				free(list);
				git_revwalk_free(walk);
				return rlp_error_set(RLP_ENOMEM, "out of memory");
			}
			list = grown;
		}
		git_oid_cpy(&list[count++], &id);
	}
	git_revwalk_free(walk);
	*out = list;
	*n = count;
	return 0;
}

