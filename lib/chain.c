/* Walking the chains under refs/rlpromote/: which commits are new. */
#include "chain.h"

#include <stdint.h>
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

/* Walk first parents from `tip` to `stop` (exclusive) or to where the chain
 * begins, newest first; cost: the new commits only, never the history. */
int rlp_chain_new_commits(git_oid **out, size_t *n, struct rlp_store *store, const char *suffix,
			  const git_oid *tip, const git_oid *stop)
{
	return rlp_chain_walk(out, n, NULL, store, suffix, tip, stop, SIZE_MAX);
}

int rlp_chain_walk(git_oid **out, size_t *n, bool *reached, struct rlp_store *store,
		   const char *suffix, const git_oid *tip, const git_oid *stop, size_t max)
{
	git_oid id, *list = NULL;
	size_t count = 0, cap = 0;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (reached)
		*reached = false;
	git_oid_cpy(&id, tip);
	for (;;) {
		git_commit *c = NULL;
		if (stop && git_oid_equal(&id, stop)) {
			if (reached)
				*reached = true;
			break;
		}
		if (!rlp_chain_member(store, suffix, &id))
			break;
		if (count == max) {
			error = rlp_error_set(RLP_EINVALID, "more than %zu new commits", max);
			break;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			git_oid *grown = realloc(list, cap * sizeof(*grown));
			if (!grown) {
				error = rlp_error_set(RLP_ENOMEM, "out of memory");
				break;
			}
			list = grown;
		}
		git_oid_cpy(&list[count++], &id);
		if (git_commit_lookup(&c, store->repo, &id) < 0) {
			error = rlp_git_error(-1, "cannot read the chain");
			break;
		}
		bool more = git_commit_parentcount(c) > 0;
		if (more)
			git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if (!more)
			break;
	}
	if (error < 0) {
		free(list);
		return error;
	}
	*out = list;
	*n = count;
	return 0;
}
