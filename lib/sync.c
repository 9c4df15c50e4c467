/* Verify-then-fast-forward of fetched chains; notes merged line by line. */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "error.h"
#include "notes.h"
#include "verify.h"

#define SYNC_PREFIX "refs/rlpromote-remote/"

/* One new commit of a chain, checked as its kind of chain requires. */
static int verify_new(struct rlp_store *store, const struct rlp_trusted *trusted,
		      const char *suffix, const git_oid *id, time_t now)
{
	struct rlp_verified who;
	int error;

	if (!strncmp(suffix, "stages/", 7))
		return rlp_verify_decision(store, trusted, id, now);
	if ((error = rlp_sign_verify_commit(&who, store->repo, id, &trusted->trust, now)) < 0)
		return error;
	/* runs are evidence: only eval signers may write them */
	if (!strncmp(suffix, "runs/", 5) && !rlp_trusted_has_role(trusted, RLP_ROLE_EVAL, who.principal))
		return rlp_error_set(RLP_EINVALID, "run %.12s is signed by '%s', who has no eval role",
				     git_oid_tostr_s(id), who.principal);
	return 0;
}

static int sync_ref(struct rlp_sync_item *item, struct rlp_store *store,
		    const struct rlp_trusted *trusted, const char *suffix, const git_oid *remote)
{
	git_oid local, *fresh = NULL;
	git_reference *moved = NULL;
	size_t nfresh = 0;
	bool has_local;
	int error;

	snprintf(item->ref, sizeof(item->ref), RLP_REF_PREFIX "%s", suffix);
	has_local = git_reference_name_to_id(&local, store->repo, item->ref) == 0;
	if (has_local && git_oid_equal(&local, remote)) {
		item->state = RLP_SYNC_UP_TO_DATE;
		return 0;
	}
	if (has_local && !git_graph_descendant_of(store->repo, remote, &local)) {
		item->state = git_graph_descendant_of(store->repo, &local, remote) ? RLP_SYNC_AHEAD
										  : RLP_SYNC_DIVERGED;
		return 0;
	}
	if ((error = rlp_chain_new_commits(&fresh, &nfresh, store, suffix, remote,
				 has_local ? &local : NULL)) < 0)
		return error;
	item->new_commits = nfresh;
	time_t now = time(NULL);
	for (size_t i = nfresh; i-- > 0;) { /* oldest first */
		if ((error = verify_new(store, trusted, suffix, &fresh[i], now)) < 0) {
			item->state = RLP_SYNC_REJECTED;
			snprintf(item->reason, sizeof(item->reason), "%.12s: %s",
				 git_oid_tostr_s(&fresh[i]), rlp_error_last());
			free(fresh);
			return 0;
		}
	}
	free(fresh);
	if (has_local)
		error = git_reference_create_matching(&moved, store->repo, item->ref, remote, 1, &local,
						      "rlpromote: sync");
	else
		error = git_reference_create(&moved, store->repo, item->ref, remote, 0, "rlpromote: sync");
	git_reference_free(moved);
	if (error < 0)
		return rlp_git_error(error, item->ref);
	item->state = RLP_SYNC_FAST_FORWARD;
	return 0;
}

/* Union of two notes' lines, in the order: base lines, then new ones. */
static char *union_lines(const char *base, const char *extra)
{
	size_t nb = strlen(base), ne = strlen(extra);
	char *out = malloc(nb + ne + 2), *copy = strdup(extra);
	if (!out || !copy) {
		free(out);
		free(copy);
		return NULL;
	}
	memcpy(out, base, nb + 1);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		bool present = false;
		for (const char *s = strstr(out, line); s && !present; s = strstr(s + 1, line))
			present = (s == out || s[-1] == '\n') &&
				  (s[strlen(line)] == '\n' || !s[strlen(line)]);
		if (present || !*line)
			continue;
		size_t len = strlen(out);
		if (len && out[len - 1] != '\n')
			out[len++] = '\n';
		sprintf(out + len, "%s\n", line);
	}
	free(copy);
	return out;
}

struct notes_merge {
	struct rlp_store *store;
	git_commit *local; /* the local notes commit whose notes are added */
	git_oid cur;       /* the notes commit built so far (starts at the remote's) */
	git_signature *sig;
	int error;
};

/* Add the local note of one object onto the commit being built. */
static int merge_one(const git_oid *blob, const git_oid *target, void *payload)
{
	struct notes_merge *m = payload;
	git_note *mine = NULL, *theirs = NULL;
	git_commit *cur = NULL;
	char *text = NULL;
	git_oid next, note_blob;
	(void)blob;

	if (git_note_commit_read(&mine, m->store->repo, m->local, target) < 0)
		return 0;
	if (git_commit_lookup(&cur, m->store->repo, &m->cur) < 0) {
		m->error = rlp_git_error(-1, "notes");
		goto done;
	}
	const char *base = git_note_commit_read(&theirs, m->store->repo, cur, target) == 0
				   ? git_note_message(theirs) : "";
	if (!(text = union_lines(base, git_note_message(mine)))) {
		m->error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	if (strcmp(text, base)) {
		if (git_note_commit_create(&next, &note_blob, m->store->repo, cur, m->sig, m->sig,
					   target, text, 1) < 0)
			m->error = rlp_git_error(-1, "cannot write note");
		else
			git_oid_cpy(&m->cur, &next);
	}
done:
	free(text);
	git_commit_free(cur);
	git_note_free(mine);
	git_note_free(theirs);
	return m->error;
}

/* Notes are an index for humans: they merge (cat_sort_uniq), never verify.
 * The result descends from the remote's notes, so pushing them fast-forwards. */
static int merge_notes(struct rlp_store *store, const char *remote)
{
	struct notes_merge m = {store, NULL, {{0}}, NULL, 0};
	git_commit *merged = NULL, *theirs = NULL;
	git_tree *tree = NULL;
	git_reference *moved = NULL;
	char ref[256];
	git_oid local, remote_id, final;
	int error = 0;

	snprintf(ref, sizeof(ref), "refs/notes/rlpromote-remote/%s", remote);
	if (git_reference_name_to_id(&remote_id, store->repo, ref) < 0)
		return 0;
	if (git_reference_name_to_id(&local, store->repo, RLP_NOTES_REF) < 0) {
		error = git_reference_create(&moved, store->repo, RLP_NOTES_REF, &remote_id, 0,
					     "rlpromote: sync notes");
		goto done;
	}
	if (git_oid_equal(&local, &remote_id) ||
	    git_graph_descendant_of(store->repo, &local, &remote_id))
		return 0;
	if (git_graph_descendant_of(store->repo, &remote_id, &local)) {
		error = git_reference_create_matching(&moved, store->repo, RLP_NOTES_REF, &remote_id,
						      1, &local, "rlpromote: sync notes");
		goto done;
	}
	if ((error = git_commit_lookup(&m.local, store->repo, &local)) < 0 ||
	    (error = git_signature_default(&m.sig, store->repo)) < 0)
		goto done;
	git_oid_cpy(&m.cur, &remote_id);
	git_note_foreach(store->repo, RLP_NOTES_REF, merge_one, &m);
	if (m.error < 0) {
		error = m.error;
		goto ours;
	}
	if ((error = git_commit_lookup(&merged, store->repo, &m.cur)) < 0 ||
	    (error = git_commit_tree(&tree, merged)) < 0 ||
	    (error = git_commit_lookup(&theirs, store->repo, &remote_id)) < 0)
		goto done;
	const git_commit *parents[2] = {theirs, m.local};
	if ((error = git_commit_create(&final, store->repo, NULL, m.sig, m.sig, NULL,
				       "Notes merged by 'git rlpromote sync'\n", tree, 2, parents)) < 0)
		goto done;
	error = git_reference_create_matching(&moved, store->repo, RLP_NOTES_REF, &final, 1, &local,
					      "rlpromote: sync notes");
done:
	if (error < 0) /* every failure that reaches here came from libgit2 */
		error = rlp_git_error(error, "cannot merge notes");
ours:
	git_reference_free(moved);
	git_tree_free(tree);
	git_commit_free(theirs);
	git_commit_free(merged);
	git_commit_free(m.local);
	git_signature_free(m.sig);
	return error;
}

int rlp_sync(struct rlp_sync_item **items, size_t *n, struct rlp_store *store,
	     const struct rlp_trusted *trusted, const char *remote)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	struct rlp_sync_item *list = NULL;
	size_t count = 0, cap = 0;
	char glob[256], prefix[256];
	int error;

	*items = NULL;
	*n = 0;
	if (snprintf(prefix, sizeof(prefix), SYNC_PREFIX "%s/", remote) >= (int)sizeof(prefix) - 1)
		return rlp_error_set(RLP_EINVALID, "remote name too long");
	snprintf(glob, sizeof(glob), SYNC_PREFIX "%s/*", remote);
	if ((error = git_reference_iterator_glob_new(&it, store->repo, glob)) < 0)
		return rlp_git_error(error, "cannot list fetched refs");
	/* env chains first, then runs, then decisions: each may need the one before */
	for (int pass = 0; pass < 3 && error >= 0; pass++) {
		static const char *const kinds[] = {"envs/", "runs/", "stages/"};
		git_reference_iterator_free(it);
		if ((error = git_reference_iterator_glob_new(&it, store->repo, glob)) < 0)
			break;
		while (git_reference_next(&ref, it) == 0) {
			const char *suffix = git_reference_name(ref) + strlen(prefix);
			const git_oid *target = git_reference_target(ref);
			if (strncmp(suffix, kinds[pass], strlen(kinds[pass])) || !target) {
				git_reference_free(ref);
				continue;
			}
			if (count == cap) {
				cap = cap ? cap * 2 : 16;
				struct rlp_sync_item *grown = realloc(list, cap * sizeof(*grown));
				if (!grown) {
					git_reference_free(ref);
					error = rlp_error_set(RLP_ENOMEM, "out of memory");
					break;
				}
				list = grown;
			}
			memset(&list[count], 0, sizeof(list[count]));
			error = sync_ref(&list[count++], store, trusted, suffix, target);
			git_reference_free(ref);
			if (error < 0)
				break;
		}
	}
	git_reference_iterator_free(it);
	if (error >= 0)
		error = merge_notes(store, remote);
	if (error < 0) {
		free(list);
		return error;
	}
	*items = list;
	*n = count;
	return 0;
}
