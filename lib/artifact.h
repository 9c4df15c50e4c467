/*
 * The artifact a candidate pins: a small YAML (or JSON) mapping in the
 * candidate commit, at the path the policy's `artifact` names, e.g.
 *   uri: s3://models/support-bot/ckpt-1234.safetensors
 *   sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 * It is copied into every run and decision, so a deploy script can read what
 * to ship and check the file it downloaded.
 */
#ifndef RLP_ARTIFACT_H
#define RLP_ARTIFACT_H

#include <stddef.h>

#include "store.h"

/* Read `path` from the candidate's tree and return it as canonical JSON
 * (scalar values only, as strings; sha256 must be 64 hex digits).
 * RLP_ENOTFOUND when the commit has no such file. */
int rlp_artifact_read(char **json, struct rlp_store *store, const git_oid *candidate,
		      const char *path);

/* SHA-256 of a file, as 64 lowercase hex digits (buf: 65 bytes). */
int rlp_sha256_file(char *hex, const char *path);

#endif
