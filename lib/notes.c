/* Appending to rlpromote notes without losing concurrent writers' lines. */
#include "notes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct note_payload {
	const git_oid *target;
	const char *line;
};

static int build_note(git_oid *out, struct rlp_store *store, git_commit *tip, void *payload)
{
	const struct note_payload *p = payload;
	git_note *old = NULL;
	git_signature *sig = NULL;
	git_oid blob;
	char *text = NULL;
	const char *existing = "";
	int error;

	if (tip && git_note_commit_read(&old, store->repo, tip, p->target) == 0)
		existing = git_note_message(old);
	/* already there: nothing to do */
	for (const char *s = strstr(existing, p->line); s; s = strstr(s + 1, p->line))
		if ((s == existing || s[-1] == '\n') && (s[strlen(p->line)] == '\n' || !s[strlen(p->line)])) {
			git_note_free(old);
			return 1;
		}
	size_t n = strlen(existing);
	if (!(text = malloc(n + strlen(p->line) + 3))) {
		error = rlp_error_set(RLP_ENOMEM, "out of memory");
		goto done;
	}
	sprintf(text, "%s%s%s\n", existing, n && existing[n - 1] != '\n' ? "\n" : "", p->line);
	if ((error = git_signature_default(&sig, store->repo)) < 0 ||
	    (error = git_note_commit_create(out, &blob, store->repo, tip, sig, sig, p->target, text,
					    1)) < 0)
		error = rlp_git_error(error, "cannot write note");
done:
	free(text);
	git_signature_free(sig);
	git_note_free(old);
	return error;
}

int rlp_notes_append(struct rlp_store *store, const git_oid *target, const char *line)
{
	struct note_payload p = {target, line};
	return rlp_store_advance(NULL, store, RLP_NOTES_REF, build_note, &p, "rlpromote: note");
}
