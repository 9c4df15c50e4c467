/* Verification: the signature is taken from the commit header only, then
 * checked by ssh-keygen against the allowed signers (here) or by gpg against
 * the trusted keys (sign_gpg.c). */
#include "sign.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "proc.h"
#include "sign_private.h"

#define SSH_ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSH_ARMOR_END "-----END SSH SIGNATURE-----"
#define PGP_ARMOR_BEGIN "-----BEGIN PGP SIGNATURE-----"
#define X509_ARMOR_BEGIN "-----BEGIN SIGNED MESSAGE-----"

static bool starts_with(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	return (size_t)(end - s) >= n && !memcmp(s, prefix, n);
}

/*
 * What git's parse_buffer_signed_by_header() does, minus its leniency: the
 * header ends at the first empty line, a signature header may appear once,
 * and its continuation lines (one leading space) are joined with newlines.
 */
int rlp_sign_extract(char **signature, char **payload, size_t *payload_len, const char *raw,
		     size_t raw_len)
{
	struct rlp_buf sig = RLP_BUF_INIT, pay = RLP_BUF_INIT;
	const char *line = raw, *end = raw + raw_len, *next, *value;
	bool in_signature = false;
	int headers = 0, error = 0;

	*signature = *payload = NULL;
	*payload_len = 0;
	while (line < end) {
		next = memchr(line, '\n', (size_t)(end - line));
		next = next ? next + 1 : end;
		if (*line == '\n') {
			/* the blank line and the message are signed as they are */
			rlp_buf_put(&pay, line, (size_t)(end - line));
			break;
		}
		value = NULL;
		if (in_signature && *line == ' ')
			value = line + 1;
		else if (starts_with(line, next, "gpgsig "))
			value = line + 7;
		else if (starts_with(line, next, "gpgsig-sha256 "))
			value = line + 14;
		if (value && value != line + 1 && ++headers > 1) {
			error = rlp_error_set(RLP_EINVALID, "more than one signature header");
			goto done;
		}
		if (value) {
			in_signature = true;
			rlp_buf_put(&sig, value, (size_t)(next - value));
		} else {
			in_signature = false;
			rlp_buf_put(&pay, line, (size_t)(next - line));
		}
		line = next;
	}
	if (!headers) {
		error = rlp_error_set(RLP_ENOTFOUND, "no signature in the commit header");
		goto done;
	}
	if (sig.len && sig.ptr[sig.len - 1] != '\n')
		rlp_buf_putc(&sig, '\n');
	if (sig.ptr && memchr(sig.ptr, '\0', sig.len)) {
		error = rlp_error_set(RLP_EINVALID, "signature holds a NUL byte");
		goto done;
	}
	if ((error = rlp_buf_detach(signature, &sig)) < 0 ||
	    (*payload_len = pay.len, error = rlp_buf_detach(payload, &pay)) < 0) {
		free(*signature);
		*signature = NULL;
		*payload_len = 0;
	}
done:
	rlp_buf_free(&sig);
	rlp_buf_free(&pay);
	return error;
}

static const char *find_bytes(const char *hay, size_t hay_len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* Something that looks like a signature below the header: a forgery or a
 * mistake, either way not a signature. */
static bool body_has_signature(const char *raw, size_t len)
{
	const char *body = find_bytes(raw, len, "\n\n");
	size_t left;

	if (!body)
		return false;
	left = len - (size_t)(body - raw);
	return find_bytes(body, left, "\ngpgsig") || find_bytes(body, left, SSH_ARMOR_BEGIN) ||
	       find_bytes(body, left, PGP_ARMOR_BEGIN) || find_bytes(body, left, X509_ARMOR_BEGIN);
}

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int sign_base64_decode(struct rlp_buf *out, const char *s, const char *end)
{
	uint32_t acc = 0;
	int bits = 0;

	for (; s < end; s++) {
		int v = base64_value((unsigned char)*s);
		if (*s == '=')
			break;
		if (v < 0) {
			if (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
				continue;
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			rlp_buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return out->failed ? -1 : 0;
}

int sign_base64_encode(struct rlp_buf *out, const unsigned char *p, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		rlp_buf_putc(out, abc[(v >> 18) & 63]);
		rlp_buf_putc(out, abc[(v >> 12) & 63]);
		rlp_buf_putc(out, i + 1 < len ? abc[(v >> 6) & 63] : '=');
		rlp_buf_putc(out, i + 2 < len ? abc[v & 63] : '=');
	}
	return out->failed ? -1 : 0;
}

int sign_ssh_decode(struct rlp_buf *out, const char *sig)
{
	const char *begin = strstr(sig, SSH_ARMOR_BEGIN), *end;

	if (!begin || !(end = strstr(begin, SSH_ARMOR_END)))
		return -1;
	return sign_base64_decode(out, begin + strlen(SSH_ARMOR_BEGIN), end);
}

/* The public key inside an SSHSIG blob (PROTOCOL.sshsig), base64-encoded the
 * way an allowed-signers line spells it; only for telling "not listed" from
 * "listed but not valid at that time" once ssh-keygen has said no. */
static int ssh_signature_key(char **out, const char *sig)
{
	struct rlp_buf raw = RLP_BUF_INIT, b64 = RLP_BUF_INIT;
	const char *begin = strstr(sig, SSH_ARMOR_BEGIN), *end;
	const unsigned char *p;
	uint32_t keylen;
	int error = -1;

	*out = NULL;
	if (!begin || !(end = strstr(begin, SSH_ARMOR_END)))
		goto done;
	begin += strlen(SSH_ARMOR_BEGIN);
	if (sign_base64_decode(&raw, begin, end) < 0 || raw.len < 14 || memcmp(raw.ptr, "SSHSIG", 6))
		goto done;
	p = (const unsigned char *)raw.ptr;
	keylen = (uint32_t)p[10] << 24 | (uint32_t)p[11] << 16 | (uint32_t)p[12] << 8 | p[13];
	if (keylen == 0 || keylen > raw.len - 14)
		goto done;
	if (sign_base64_encode(&b64, p + 14, keylen) < 0 || rlp_buf_detach(out, &b64) < 0)
		goto done;
	error = 0;
done:
	rlp_buf_free(&raw);
	rlp_buf_free(&b64);
	return error;
}

static bool text_has_word(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word), i = 0;

	while (i < len) {
		while (i < len && strchr(" \t\r\n", text[i]))
			i++;
		size_t start = i;
		while (i < len && !strchr(" \t\r\n", text[i]))
			i++;
		if (i - start == n && !memcmp(text + start, word, n))
			return true;
	}
	return false;
}

/* ssh-keygen found no principal at `at`: say why, in words. */
static int ssh_no_principal(const char *sig, const struct rlp_trust *trust, time_t at)
{
	char *key = NULL, when[32];
	bool listed;

	if (ssh_signature_key(&key, sig) < 0)
		return rlp_error_set(RLP_EINVALID, "malformed ssh signature");
	listed = trust && trust->allowed_signers &&
		 text_has_word(trust->allowed_signers, trust->allowed_signers_len, key);
	free(key);
	if (!listed)
		return rlp_error_set(RLP_EINVALID, "key is not in allowed signers");
	sign_format_time(when, sizeof(when), at, false);
	return rlp_error_set(RLP_EINVALID, "key expired or not yet valid at %s", when);
}

/* "Good "git" signature for <principal> with ED25519 key SHA256:..." */
static int ssh_fill_verified(struct rlp_verified *out, const char *principal, const char *good)
{
	const char *eol = strchr(good, '\n'), *key;

	if (!eol)
		eol = good + strlen(good);
	for (key = eol; key > good && key[-1] != ' '; key--)
		;
	out->format = RLP_SIGN_SSH;
	if (sign_copy_field(out->principal, sizeof(out->principal), principal,
			    strlen(principal)) < 0 ||
	    sign_copy_field(out->key_id, sizeof(out->key_id), key, (size_t)(eol - key)) < 0)
		return rlp_error_set(RLP_EINVALID, "ssh principal or key name too long");
	return 0;
}

static int verify_ssh(struct rlp_verified *out, const char *program, const char *signature,
		      const char *payload, size_t payload_len, const struct rlp_trust *trust,
		      time_t at)
{
	/* allowed-signers times and -Overify-time are read as local time:
	 * make that UTC so one policy means the same on every machine */
	static const char *const env[] = {"TZ=UTC0", NULL};
	struct rlp_proc_options opts = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc find = RLP_PROC_INIT, check = RLP_PROC_INIT;
	char *dir = NULL, *allowed = NULL, *sigfile = NULL, stamp[32], verify_time[64],
	     why[256] = "";
	const char *line, *next;
	bool bad = false;
	int error;

	sign_format_time(stamp, sizeof(stamp), at, true);
	snprintf(verify_time, sizeof(verify_time), "-Overify-time=%s", stamp);
	if ((error = sign_tmpdir_create(&dir)) < 0 ||
	    (error = sign_file_write(&allowed, dir, "allowed_signers",
				     trust && trust->allowed_signers ? trust->allowed_signers : "",
				     trust && trust->allowed_signers ? trust->allowed_signers_len
								     : 0)) < 0 ||
	    (error = sign_file_write(&sigfile, dir, "signature", signature, strlen(signature))) <
		    0)
		goto done;
	opts.env = env;
	opts.out_max = opts.err_max = SIGN_OUTPUT_MAX;
	opts.timeout_ms = SIGN_VERIFY_TIMEOUT_MS;
	{
		const char *argv[] = {program, "-Y", "find-principals", "-f", allowed,
				      "-s", sigfile, verify_time, NULL};
		if ((error = rlp_proc_run(&find, argv, &opts)) < 0)
			goto done;
	}
	if (find.status != 0 || !find.out.len) {
		error = ssh_no_principal(signature, trust, at);
		goto done;
	}
	/* several principals may share a key: any of them that verifies will do */
	opts.input = payload;
	opts.input_len = payload_len;
	for (line = find.out.ptr; *line; line = next) {
		char principal[sizeof(out->principal)];
		size_t n;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		n = (size_t)(next - line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (!n || sign_copy_field(principal, sizeof(principal), line, n) < 0)
			continue;
		const char *argv[] = {program, "-Y", "verify", "-n", "git", "-f", allowed,
				      "-I", principal, "-s", sigfile, verify_time, NULL};
		rlp_proc_clear(&check);
		if ((error = rlp_proc_run(&check, argv, &opts)) < 0)
			goto done;
		if (check.status == 0 && check.out.ptr &&
		    !strncmp(check.out.ptr, "Good \"git\" signature", 20)) {
			error = ssh_fill_verified(out, principal, check.out.ptr);
			goto done;
		}
		if (check.err.ptr && strstr(check.err.ptr, "incorrect signature"))
			bad = true;
		else if (!*why)
			sign_first_line(why, sizeof(why), check.err.ptr);
		/* our temporary directory means nothing to the reader */
		if (!strncmp(why, dir, strlen(dir)) && why[strlen(dir)] == '/')
			memmove(why, why + strlen(dir) + 1, strlen(why + strlen(dir) + 1) + 1);
	}
	if (bad || !*why)
		error = rlp_error_set(RLP_EINVALID, "bad signature");
	else
		error = rlp_error_set(RLP_EINVALID, "bad signature: %s", why);
done:
	rlp_proc_clear(&find);
	rlp_proc_clear(&check);
	sign_tmpdir_remove(dir);
	free(dir);
	free(allowed);
	free(sigfile);
	return error;
}

static int verify_payload(struct rlp_verified *out, git_repository *repo, const char *signature,
			  const char *payload, size_t payload_len, const struct rlp_trust *trust,
			  time_t at)
{
	enum rlp_sign_format format;
	git_config *cfg = NULL;
	char *program = NULL;
	int error;

	if (!strncmp(signature, SSH_ARMOR_BEGIN, strlen(SSH_ARMOR_BEGIN)))
		format = RLP_SIGN_SSH;
	else if (!strncmp(signature, PGP_ARMOR_BEGIN, strlen(PGP_ARMOR_BEGIN)))
		format = RLP_SIGN_OPENPGP;
	else if (!strncmp(signature, X509_ARMOR_BEGIN, strlen(X509_ARMOR_BEGIN)))
		format = RLP_SIGN_X509;
	else
		return rlp_error_set(RLP_EINVALID, "unknown signature format");
	/* the verifying machine's own programs, like git verify-commit */
	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return sign_git_error(RLP_ERROR, "cannot read git config");
	if ((error = sign_program_lookup(&program, cfg, format)) < 0)
		goto done;
	if (format == RLP_SIGN_SSH && sign_sshsig_fast(out, signature, payload, payload_len, trust, at))
		error = 0; /* accepted without starting ssh-keygen (sign_sshsig.c) */
	else if (format == RLP_SIGN_SSH)
		error = verify_ssh(out, program, signature, payload, payload_len, trust, at);
	else if (format == RLP_SIGN_X509)
		error = sign_verify_x509(out, program, signature, payload, payload_len, trust, at);
	else
		error = sign_verify_gpg(out, program, signature, payload, payload_len, trust, at);
done:
	free(program);
	git_config_free(cfg);
	return error;
}

int rlp_sign_verify_commit(struct rlp_verified *out, git_repository *repo, const git_oid *commit,
			   const struct rlp_trust *trust, time_t at)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	char shortid[8], *signature = NULL, *payload = NULL;
	const char *raw;
	size_t payload_len = 0, raw_len;
	int error;

	memset(out, 0, sizeof(*out));
	git_oid_tostr(shortid, sizeof(shortid), commit);
	if (git_repository_odb(&odb, repo) < 0 || git_odb_read(&obj, odb, commit) < 0) {
		error = sign_git_error(RLP_ERROR, "cannot read commit");
		goto done;
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT) {
		error = rlp_error_set(RLP_EINVALID, "object %s is not a commit", shortid);
		goto done;
	}
	raw = git_odb_object_data(obj);
	raw_len = git_odb_object_size(obj);
	error = rlp_sign_extract(&signature, &payload, &payload_len, raw, raw_len);
	if (error == RLP_ENOTFOUND) {
		if (body_has_signature(raw, raw_len))
			rlp_error_set(error, "commit %s: signature is not in the commit header",
				      shortid);
		else
			rlp_error_set(error, "unsigned commit %s", shortid);
		goto done;
	}
	if (error < 0)
		goto done;
	error = verify_payload(out, repo, signature, payload, payload_len, trust, at);
done:
	if (error < 0)
		memset(out, 0, sizeof(*out));
	free(signature);
	free(payload);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return error;
}
