/* OpenPGP verification in a throw-away GNUPGHOME that holds only the trusted
 * keys, judged from gpg's machine-readable status lines (doc/DETAILS in
 * GnuPG), never from its exit status or its prose alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "proc.h"
#include "sign_private.h"

/* gpg may say the signature is up to this much younger than `at` (clocks) */
#define GPG_CLOCK_SKEW 300

struct gpg_status {
	int goodsig, validsig, badsig, errsig, expkeysig, revkeysig, expsig, nodata;
	int errsig_rc;
	char errsig_key[128];   /* issuer fingerprint or long key id */
	char bad_key[128];      /* key of an EXPKEYSIG / REVKEYSIG */
	char uid[512];          /* GOODSIG user id */
	char fingerprint[128];  /* VALIDSIG primary key fingerprint */
	time_t sig_time;
	bool sig_time_known;
};

/* Field `i` (0-based, after the keyword) of a status line; "" if absent. */
void sign_status_field(char *dst, size_t size, const char *args, int i)
{
	const char *p = args, *end;

	dst[0] = '\0';
	for (;;) {
		while (*p == ' ')
			p++;
		end = p + strcspn(p, " \n");
		if (p == end)
			return;
		if (i-- == 0)
			break;
		p = end;
	}
	if (sign_copy_field(dst, size, p, (size_t)(end - p)) < 0)
		dst[0] = '\0';
}

/* The rest of the line after field `i` (a user id holds spaces). */
static void status_rest(char *dst, size_t size, const char *args, int i)
{
	const char *p = args, *end;

	while (i-- > 0) {
		while (*p == ' ')
			p++;
		p += strcspn(p, " \n");
	}
	while (*p == ' ')
		p++;
	end = p + strcspn(p, "\n");
	if (sign_copy_field(dst, size, p, (size_t)(end - p)) < 0)
		sign_copy_field(dst, size, p, size - 1);
}

/* VALIDSIG's signature time: seconds since the epoch or ISO 8601 basic. */
static bool parse_gpg_time(time_t *out, const char *s)
{
	struct tm tm;
	char *end;
	long long v;

	if (strchr(s, 'T')) {
		memset(&tm, 0, sizeof(tm));
		if (sscanf(s, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
			return false;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		*out = timegm(&tm);
		return *out != (time_t)-1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = (time_t)v;
	return true;
}

static void parse_status(struct gpg_status *st, const char *text)
{
	const char *line, *next;
	char field[128];

	memset(st, 0, sizeof(*st));
	for (line = text ? text : ""; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (strncmp(line, "[GNUPG:] ", 9))
			continue;
		const char *kw = line + 9, *args = kw + strcspn(kw, " \n");
		size_t kwlen = (size_t)(args - kw);
#define IS(name) (kwlen == strlen(name) && !strncmp(kw, name, kwlen))
		if (IS("GOODSIG")) {
			st->goodsig++;
			status_rest(st->uid, sizeof(st->uid), args, 1);
		} else if (IS("VALIDSIG")) {
			st->validsig++;
			/* the primary key's fingerprint is the last of ten fields */
			sign_status_field(st->fingerprint, sizeof(st->fingerprint), args, 9);
			if (!st->fingerprint[0])
				sign_status_field(st->fingerprint, sizeof(st->fingerprint), args, 0);
			sign_status_field(field, sizeof(field), args, 2);
			st->sig_time_known = parse_gpg_time(&st->sig_time, field);
		} else if (IS("BADSIG")) {
			st->badsig++;
		} else if (IS("ERRSIG")) {
			st->errsig++;
			sign_status_field(field, sizeof(field), args, 5);
			st->errsig_rc = atoi(field);
			sign_status_field(st->errsig_key, sizeof(st->errsig_key), args, 6);
			if (!st->errsig_key[0] || !strcmp(st->errsig_key, "-"))
				sign_status_field(st->errsig_key, sizeof(st->errsig_key), args, 0);
		} else if (IS("EXPKEYSIG") || IS("REVKEYSIG")) {
			if (IS("EXPKEYSIG"))
				st->expkeysig++;
			else
				st->revkeysig++;
			sign_status_field(st->bad_key, sizeof(st->bad_key), args, 0);
		} else if (IS("EXPSIG")) {
			st->expsig++;
		} else if (IS("NODATA")) {
			st->nodata++;
		}
#undef IS
	}
}

/* The first line of a GnuPG tool's prose worth showing: "<tool>: <what>",
 * not the news that it created a keybox or trustdb in the fresh home, not
 * the lines that start (after the tool's name) with one of `skip`. */
void sign_first_message(char *dst, size_t size, const char *text, const char *tool,
			const char *const *skip)
{
	size_t plen = strlen(tool);
	const char *line, *next;

	dst[0] = '\0';
	for (line = text ? text : ""; *line; line = next) {
		size_t n;
		bool skipped = false;
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		n = (size_t)(next - line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n < plen + 3 || strncmp(line, tool, plen) || strncmp(line + plen, ": ", 2) ||
		    (n >= 8 && !strncmp(line + n - 8, " created", 8)))
			continue;
		for (size_t k = 0; skip && skip[k] && !skipped; k++)
			skipped = n - plen - 2 >= strlen(skip[k]) &&
				  !strncmp(line + plen + 2, skip[k], strlen(skip[k]));
		if (skipped)
			continue;
		sign_copy_field(dst, size, line + plen + 2,
				n - plen - 2 < size ? n - plen - 2 : size - 1);
		return;
	}
}

static void gpg_message(char *dst, size_t size, const char *text)
{
	static const char *const skip[] = {"invalid radix64", NULL};
	sign_first_message(dst, size, text, "gpg", skip);
}

/* Judge the status lines; fill `out` when there is exactly one good and
 * valid signature by a key we hold. */
static int judge(struct rlp_verified *out, const struct gpg_status *st, const struct rlp_proc *p,
		 time_t at)
{
	char why[256], when[32], then[32];
	const char *email, *email_end;

	if (st->badsig)
		return rlp_error_set(RLP_EINVALID, "bad signature");
	if (st->errsig)
		return st->errsig_rc == 9
			       ? rlp_error_set(RLP_EINVALID, "signed by an unknown key %s",
					       st->errsig_key)
			       : rlp_error_set(RLP_EINVALID,
					       "cannot check the signature (gpg error code %d)",
					       st->errsig_rc);
	if (st->expkeysig)
		return rlp_error_set(RLP_EINVALID, "key %s has expired", st->bad_key);
	if (st->revkeysig)
		return rlp_error_set(RLP_EINVALID, "key %s is revoked", st->bad_key);
	if (st->expsig)
		return rlp_error_set(RLP_EINVALID, "signature has expired");
	if (st->goodsig == 0 && st->validsig == 0)
		return rlp_error_set(RLP_EINVALID, st->nodata ? "malformed OpenPGP signature"
							      : "bad signature");
	if (st->goodsig != 1 || st->validsig != 1)
		return rlp_error_set(RLP_EINVALID,
				     "expected exactly one good signature, gpg reported %d",
				     st->goodsig > st->validsig ? st->goodsig : st->validsig);
	if (p->status != 0) {
		gpg_message(why, sizeof(why), p->err.ptr);
		return rlp_error_set(RLP_EINVALID, "gpg rejected the signature%s%s",
				     *why ? ": " : "", why);
	}
	if (!st->sig_time_known)
		return rlp_error_set(RLP_EINVALID, "gpg reported no signature time");
	if (st->sig_time > at + GPG_CLOCK_SKEW) {
		sign_format_time(when, sizeof(when), st->sig_time, false);
		sign_format_time(then, sizeof(then), at, false);
		return rlp_error_set(RLP_EINVALID, "signature made at %s, after %s", when, then);
	}
	/* "Name <email>": the principal is the email; a bare user id stays whole */
	email = strrchr(st->uid, '<');
	email_end = email ? strchr(email, '>') : NULL;
	out->format = RLP_SIGN_OPENPGP;
	if ((email && email_end
		     ? sign_copy_field(out->principal, sizeof(out->principal), email + 1,
				       (size_t)(email_end - email - 1))
		     : sign_copy_field(out->principal, sizeof(out->principal), st->uid,
				       strlen(st->uid))) < 0 ||
	    sign_copy_field(out->key_id, sizeof(out->key_id), st->fingerprint,
			    strlen(st->fingerprint)) < 0)
		return rlp_error_set(RLP_EINVALID, "gpg user id or fingerprint too long");
	return 0;
}

/* gpgconf from the same installation as the gpg we ran. */
static int gpgconf_path(char **out, const char *program)
{
	struct rlp_buf b = RLP_BUF_INIT;
	const char *slash = strrchr(program, '/');

	if (slash) {
		rlp_buf_put(&b, program, (size_t)(slash - program) + 1);
		rlp_buf_puts(&b, "gpgconf");
		if (!b.failed && access(b.ptr, X_OK) != 0)
			b.len = 0;
	}
	if (!b.len)
		rlp_buf_puts(&b, "gpgconf");
	return rlp_buf_detach(out, &b);
}

/* Stop whatever gpg started for the throw-away home (an agent, a dirmngr)
 * and remove its socket directory under /run/user if one was made. */
void sign_gnupg_home_shutdown(const char *program, const char *home)
{
	struct rlp_proc_options opts = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc p;
	char *gpgconf = NULL, rundir[64];

	if (gpgconf_path(&gpgconf, program) < 0)
		return;
	opts.timeout_ms = 10000;
	{
		const char *argv[] = {gpgconf, "--homedir", home, "--kill", "all", NULL};
		rlp_proc_run(&p, argv, &opts);
		rlp_proc_clear(&p);
	}
	snprintf(rundir, sizeof(rundir), "/run/user/%lu/gnupg", (unsigned long)getuid());
	if (access(rundir, F_OK) == 0) {
		const char *argv[] = {gpgconf, "--homedir", home, "--remove-socketdir", NULL};
		rlp_proc_run(&p, argv, &opts);
		rlp_proc_clear(&p);
	}
	free(gpgconf);
}

int sign_verify_gpg(struct rlp_verified *out, const char *program, const char *signature,
		    const char *payload, size_t payload_len, const struct rlp_trust *trust,
		    time_t at)
{
	struct rlp_proc_options opts = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc imp = RLP_PROC_INIT, ver = RLP_PROC_INIT;
	struct gpg_status st;
	struct rlp_buf b = RLP_BUF_INIT;
	char *dir = NULL, *home = NULL, *sigfile = NULL, why[256];
	bool started = false;
	int error;

	if ((error = sign_tmpdir_create(&dir)) < 0)
		goto done;
	rlp_buf_printf(&b, "%s/home", dir);
	if ((error = rlp_buf_detach(&home, &b)) < 0)
		goto done;
	if (mkdir(home, 0700) < 0) {
		error = rlp_error_set(RLP_EIO, "cannot create '%s': %s", home, strerror(errno));
		goto done;
	}
	if ((error = sign_file_write(&sigfile, dir, "signature", signature, strlen(signature))) < 0)
		goto done;
	opts.out_max = opts.err_max = SIGN_OUTPUT_MAX;
	opts.timeout_ms = SIGN_VERIFY_TIMEOUT_MS;
	started = true;
	if (trust && trust->gpg_keys && trust->gpg_keys_len) {
		/* public keys need no agent: do not start one */
		const char *argv[] = {program, "--batch", "--no-tty", "--no-autostart", "--homedir",
				      home, "--import", NULL};
		opts.input = trust->gpg_keys;
		opts.input_len = trust->gpg_keys_len;
		if ((error = rlp_proc_run(&imp, argv, &opts)) < 0)
			goto done;
		if (imp.status != 0) {
			gpg_message(why, sizeof(why), imp.err.ptr);
			error = rlp_error_set(RLP_EINVALID, "cannot import the trusted gpg keys%s%s",
					      *why ? ": " : "", why);
			goto done;
		}
	}
	{
		/* trust comes from being in this keyring, not from a web of trust */
		const char *argv[] = {program, "--batch", "--no-tty", "--no-autostart",
				      "--homedir", home, "--trust-model", "always",
				      "--status-fd=1", "--verify", sigfile, "-", NULL};
		opts.input = payload;
		opts.input_len = payload_len;
		if ((error = rlp_proc_run(&ver, argv, &opts)) < 0)
			goto done;
	}
	parse_status(&st, ver.out.ptr);
	error = judge(out, &st, &ver, at);
done:
	if (started)
		sign_gnupg_home_shutdown(program, home);
	rlp_proc_clear(&imp);
	rlp_proc_clear(&ver);
	sign_tmpdir_remove(dir);
	free(dir);
	free(home);
	free(sigfile);
	return error;
}
