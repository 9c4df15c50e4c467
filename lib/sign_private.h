/* Internals shared by sign.c (config, signing, commit creation),
 * sign_verify.c (extraction, dispatch, ssh) and sign_gpg.c (OpenPGP
 * verification). Not installed, not used outside lib/. */
#ifndef RLP_SIGN_PRIVATE_H
#define RLP_SIGN_PRIVATE_H

#include "sign.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Caps on what a helper program may print and how long it may take. */
#define SIGN_OUTPUT_MAX ((size_t)1 << 20)
#define SIGN_TIMEOUT_MS 600000 /* signing may wait for a passphrase or a token touch */
#define SIGN_VERIFY_TIMEOUT_MS 30000

/* Convert the last libgit2 error into ours: "<what>: <libgit2 message>". */
int sign_git_error(int code, const char *what);

/* A private (0700) directory for the files a helper program needs; remove
 * it, whatever it holds, with sign_tmpdir_remove(). */
int sign_tmpdir_create(char **dir);
void sign_tmpdir_remove(const char *dir);

/* Write `data` to a new file <dir>/<name> (mode 0600); *path is malloc'd. */
int sign_file_write(char **path, const char *dir, const char *name, const char *data,
		    size_t len);

/* The helper program for `format` from git config (the same keys and
 * defaults as git); `cfg` may be NULL for the defaults. */
int sign_program_lookup(char **program, git_config *cfg, enum rlp_sign_format format);

/* The first line of a helper's stderr, for messages ("" when empty). */
void sign_first_line(char *dst, size_t size, const char *text);

/* `t` in UTC: ssh-keygen's YYYYMMDDHHMMSS, or ISO 8601 for messages. */
void sign_format_time(char *dst, size_t size, time_t t, bool for_ssh);

/* Copy `src` (len bytes) into a fixed field; -1 when it does not fit. */
int sign_copy_field(char *dst, size_t size, const char *src, size_t len);

/* OpenPGP verification (sign_gpg.c): `payload` signed by `signature`,
 * against the armored keys in trust, as of `at`. */
int sign_verify_gpg(struct rlp_verified *out, const char *program, const char *signature,
		    const char *payload, size_t payload_len, const struct rlp_trust *trust,
		    time_t at);

/* X.509 verification with gpgsm (sign_x509.c): the same contract, against
 * the PEM certificates in trust. */
int sign_verify_x509(struct rlp_verified *out, const char *program, const char *signature,
		     const char *payload, size_t payload_len, const struct rlp_trust *trust,
		     time_t at);

struct rlp_buf;

/* GnuPG status lines ("[GNUPG:] KEYWORD args"): field `i` of args, "" if
 * absent; shared by the gpg and gpgsm verifiers (sign_gpg.c). */
void sign_status_field(char *dst, size_t size, const char *args, int i);
/* The first "<tool>: <what>" line of a GnuPG tool's stderr worth showing,
 * skipping lines whose <what> starts with one of `skip` (NULL-terminated). */
void sign_first_message(char *dst, size_t size, const char *text, const char *tool,
			const char *const *skip);
/* Stop what gpg or gpgsm started for a throw-away home (agent, dirmngr) and
 * its socket directory under /run/user, with gpgconf from the same place. */
void sign_gnupg_home_shutdown(const char *program, const char *home);

/* base64 both ways, and an SSHSIG armor to its binary blob. */
int sign_base64_decode(struct rlp_buf *out, const char *s, const char *end);
int sign_base64_encode(struct rlp_buf *out, const unsigned char *p, size_t len);
int sign_ssh_decode(struct rlp_buf *out, const char *sig);

/* 1 when an Ed25519 SSHSIG verifies against a plain allowed-signers line at
 * `at` (out filled); 0 otherwise: then ask ssh-keygen (sign_sshsig.c). */
int sign_sshsig_fast(struct rlp_verified *out, const char *signature, const char *payload,
		     size_t payload_len, const struct rlp_trust *trust, time_t at);

#endif
