/* refs/notes/rlpromote: one-line summaries on candidate commits for humans
 * (`git log --notes=rlpromote`); never trusted, one record per line so
 * notes merge with cat_sort_uniq. */
#ifndef RLP_NOTES_H
#define RLP_NOTES_H

#include "store.h"

/* Append `line` to the note of `target` (a no-op when the line is there),
 * with git_note_commit_create and a compare-and-swap of the notes ref. */
int rlp_notes_append(struct rlp_store *store, const git_oid *target, const char *line);

#endif
