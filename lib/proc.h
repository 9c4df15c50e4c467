/*
 * Running a helper program (gpg, ssh-keygen, gpgsm) the safe way: from an
 * argv array, never through a shell; the input written to its stdin, its
 * stdout and stderr captured into size-capped buffers; a deadline after which
 * it is killed. Only the child's own stdio is open in it. SIGPIPE is blocked
 * while we write, so a child that exits early cannot kill us (the write just
 * fails with EPIPE and the rest of the input is dropped, as git does).
 */
#ifndef RLP_PROC_H
#define RLP_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct rlp_proc_options {
	const char *input;   /* written to the child's stdin (NULL: empty stdin) */
	size_t input_len;
	size_t out_max;      /* caps on captured stdout / stderr; 0: 1 MiB each */
	size_t err_max;
	/* Extra environment, NULL-terminated: "NAME=value" sets or replaces a
	 * variable, a bare "NAME" removes it. NULL: the parent's environment. */
	const char *const *env;
	int timeout_ms;      /* 0: 30 seconds; negative: no deadline */
};

#define RLP_PROC_OPTIONS_INIT {NULL, 0, 0, 0, NULL, 0}

struct rlp_proc {
	struct rlp_buf out;  /* the child's stdout, NUL-terminated */
	struct rlp_buf err;  /* the child's stderr, NUL-terminated */
	int status;          /* exit code, or 128 + signal number */
};

#define RLP_PROC_INIT {RLP_BUF_INIT, RLP_BUF_INIT, -1}

/*
 * Run argv[0] (searched in PATH unless it holds a '/') and wait for it.
 * Returns 0 when the program ran to its end, whatever its exit status (look
 * at out->status); RLP_ENOTFOUND when the program does not exist;
 * RLP_ERROR when it could not be started, ran past the deadline (it is
 * killed) or wrote more than a cap allows (it is killed). `out` is always
 * initialised and must be freed with rlp_proc_clear().
 */
int rlp_proc_run(struct rlp_proc *out, const char *const *argv,
		 const struct rlp_proc_options *opts);
void rlp_proc_clear(struct rlp_proc *proc);

#endif
