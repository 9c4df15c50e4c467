/* X.509 (CMS) verification with gpgsm, the way sign_gpg.c does OpenPGP: a
 * throw-away GNUPGHOME holding only the trusted certificates, all listed in
 * its trustlist.txt for this verification only (gpgsm asks that only about
 * a self-signed root), and the verdict read from gpgsm's status lines
 * (doc/DETAILS in GnuPG), never from its exit status alone: an expired
 * certificate still gets TRUST_FULLY and exit 0. Offline: --disable-dirmngr,
 * so no CRL or OCSP is fetched; the gpg-agent gpgsm starts (it answers "is
 * this root trusted?" from trustlist.txt) is stopped afterwards. */
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

/* gpgsm may say the signature is up to this much younger than `at` (clocks) */
#define X509_CLOCK_SKEW 300

struct x509_status {
	int newsig, goodsig, validsig, badsig, expkeysig, revkeysig, trust_fully, untrusted,
		errors;
	char error[128];       /* the first ERROR line's arguments */
	char fingerprint[128]; /* VALIDSIG (or EXPKEYSIG, TRUST_*) certificate fingerprint */
	time_t sig_time;
	bool sig_time_known;
};

/* VALIDSIG's signature time: ISO 8601 basic, UTC ("0" when absent). */
static bool parse_time(time_t *out, const char *s)
{
	struct tm tm;
	char tail;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d%2d%2dT%2d%2d%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &tail) != 6)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

static void parse_status(struct x509_status *st, const char *text)
{
	const char *line, *next;
	char f[128];

	memset(st, 0, sizeof(*st));
	for (line = text ? text : ""; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (strncmp(line, "[GNUPG:] ", 9))
			continue;
		const char *kw = line + 9, *args = kw + strcspn(kw, " \n");
		size_t kwlen = (size_t)(args - kw);
#define IS(name) (kwlen == strlen(name) && !strncmp(kw, name, kwlen))
		if (IS("NEWSIG")) {
			st->newsig++;
		} else if (IS("GOODSIG")) {
			st->goodsig++;
		} else if (IS("VALIDSIG")) {
			st->validsig++;
			sign_status_field(st->fingerprint, sizeof(st->fingerprint), args, 0);
			sign_status_field(f, sizeof(f), args, 2);
			st->sig_time_known = parse_time(&st->sig_time, f);
		} else if (IS("BADSIG")) {
			st->badsig++;
		} else if (IS("EXPKEYSIG") || IS("REVKEYSIG")) {
			if (IS("EXPKEYSIG"))
				st->expkeysig++;
			else
				st->revkeysig++;
			if (!st->fingerprint[0])
				sign_status_field(st->fingerprint, sizeof(st->fingerprint), args, 0);
		} else if (IS("TRUST_FULLY") || IS("TRUST_ULTIMATE")) {
			st->trust_fully++;
		} else if (IS("TRUST_NEVER") || IS("TRUST_UNDEFINED") || IS("TRUST_MARGINAL")) {
			st->untrusted++;
		} else if (IS("ERROR") || IS("ERRSIG")) {
			const char *a = args + strspn(args, " ");
			size_t n = strcspn(a, "\n");
			if (!st->errors++)
				sign_copy_field(st->error, sizeof(st->error), a,
						n < sizeof(st->error) ? n : sizeof(st->error) - 1);
		}
#undef IS
	}
}

/* gpgsm's first complaint worth showing: not its DBG dump of a
 * certificate, not keybox news, not its import counts. */
static void gpgsm_message(char *dst, size_t size, const char *text)
{
	static const char *const skip[] = {"DBG:", "keybox ", "total number processed", NULL};
	sign_first_message(dst, size, text, "gpgsm", skip);
}

static bool is_fingerprint(const char *s)
{
	size_t n = strspn(s, "0123456789ABCDEFabcdef");
	return n >= 40 && !s[n];
}

/* Field `i` (0-based) of a --with-colons record, \xHH escapes decoded;
 * false when absent or when it decodes to a control character. */
static bool colon_field(char *dst, size_t size, const char *line, const char *eol, int i)
{
	const char *p = line;
	size_t w = 0;

	while (i-- > 0) {
		p = memchr(p, ':', (size_t)(eol - p));
		if (!p++)
			return false;
	}
	for (; p < eol && *p != ':'; p++) {
		unsigned c = (unsigned char)*p;
		if (c == '\\' && eol - p >= 4 && p[1] == 'x' && sscanf(p + 2, "%2x", &c) == 1)
			p += 3;
		if (c < 0x20 || c == 0x7f || w + 1 >= size)
			return false;
		dst[w++] = (char)c;
	}
	dst[w] = '\0';
	return true;
}

/* The first email ("<...>" user id) of the certificate with `fpr`, from
 * `gpgsm --with-colons --list-keys`: the subject's emailAddress, else the
 * first rfc822Name of its subjectAltName, in the order gpgsm lists them. */
static int certificate_email(char *dst, size_t size, const char *listing, const char *fpr)
{
	const char *line, *next;
	char value[512];
	bool in_cert = false, matched = false;

	for (line = listing ? listing : ""; *line; line = next) {
		const char *eol = strchr(line, '\n');
		eol = eol ? eol : line + strlen(line);
		next = *eol ? eol + 1 : eol;
		if (!strncmp(line, "crt:", 4) || !strncmp(line, "crs:", 4)) {
			in_cert = true;
			matched = false;
		} else if (in_cert && !strncmp(line, "fpr:", 4)) {
			matched = colon_field(value, sizeof(value), line, eol, 9) &&
				  !strcasecmp(value, fpr);
		} else if (matched && !strncmp(line, "uid:", 4) &&
			   colon_field(value, sizeof(value), line, eol, 9) && value[0] == '<') {
			size_t n = strlen(value);
			if (n > 2 && value[n - 1] == '>' && strcspn(value + 1, "<> ") == n - 2 &&
			    sign_copy_field(dst, size, value + 1, n - 2) == 0)
				return 0;
		}
	}
	return rlp_error_set(RLP_EINVALID, "certificate %s names no email address", fpr);
}

static int judge(const struct x509_status *st, const struct rlp_proc *p, time_t at)
{
	char why[256], when[32], then[32];

	if (st->badsig)
		return rlp_error_set(RLP_EINVALID, "bad signature");
	if (!st->newsig)
		return rlp_error_set(RLP_EINVALID, "malformed x509 signature");
	if (st->newsig != 1)
		return rlp_error_set(RLP_EINVALID,
				     "expected exactly one signature, gpgsm reported %d",
				     st->newsig);
	if (!strncmp(st->error, "verify.findkey ", 15))
		return rlp_error_set(RLP_EINVALID, "signed by an unknown certificate");
	if (st->expkeysig)
		return rlp_error_set(RLP_EINVALID, "certificate %s has expired", st->fingerprint);
	if (st->revkeysig)
		return rlp_error_set(RLP_EINVALID, "certificate %s is revoked", st->fingerprint);
	if (st->untrusted && st->fingerprint[0])
		return rlp_error_set(RLP_EINVALID, "certificate %s is not trusted",
				     st->fingerprint);
	if (!strncmp(st->error, "verify.keyusage ", 16))
		return rlp_error_set(RLP_EINVALID, "certificate %s is not for signing",
				     st->fingerprint[0] ? st->fingerprint : "?");
	if (st->errors)
		return rlp_error_set(RLP_EINVALID, "cannot check the signature (gpgsm: %s)",
				     st->error);
	if (st->goodsig != 1 || st->validsig != 1 || st->trust_fully != 1 || st->untrusted) {
		gpgsm_message(why, sizeof(why), p->err.ptr);
		return rlp_error_set(RLP_EINVALID, "gpgsm did not find a good and trusted "
						   "signature%s%s", *why ? ": " : "", why);
	}
	if (p->status != 0) {
		gpgsm_message(why, sizeof(why), p->err.ptr);
		return rlp_error_set(RLP_EINVALID, "gpgsm rejected the signature%s%s",
				     *why ? ": " : "", why);
	}
	if (!is_fingerprint(st->fingerprint))
		return rlp_error_set(RLP_EINVALID, "gpgsm reported no certificate fingerprint");
	if (!st->sig_time_known)
		return rlp_error_set(RLP_EINVALID, "gpgsm reported no signature time");
	if (st->sig_time > at + X509_CLOCK_SKEW) {
		sign_format_time(when, sizeof(when), st->sig_time, false);
		sign_format_time(then, sizeof(then), at, false);
		return rlp_error_set(RLP_EINVALID, "signature made at %s, after %s", when, then);
	}
	return 0;
}

/* Write <home>/trustlist.txt: each certificate gpgsm imported (its
 * IMPORT_OK lines, not whatever else its keybox may hold) is trusted,
 * "relax" as we check no CRLs. */
static int write_trustlist(const char *home, const char *import_status)
{
	struct rlp_buf b = RLP_BUF_INIT;
	const char *line, *next;
	char fpr[128], *path = NULL;
	int error;

	for (line = import_status ? import_status : ""; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (strncmp(line, "[GNUPG:] IMPORT_OK ", 19))
			continue;
		sign_status_field(fpr, sizeof(fpr), line + 18, 1);
		if (is_fingerprint(fpr))
			rlp_buf_printf(&b, "%s S relax\n", fpr);
	}
	if (!b.len) {
		rlp_buf_free(&b);
		return rlp_error_set(RLP_EINVALID, "no certificate in the trusted x509 certificates");
	}
	error = b.failed ? RLP_ENOMEM : sign_file_write(&path, home, "trustlist.txt", b.ptr, b.len);
	rlp_buf_free(&b);
	free(path);
	return error;
}

int sign_verify_x509(struct rlp_verified *out, const char *program, const char *signature,
		     const char *payload, size_t payload_len, const struct rlp_trust *trust,
		     time_t at)
{
	struct rlp_proc_options opts = RLP_PROC_OPTIONS_INIT;
	struct rlp_proc imp = RLP_PROC_INIT, ver = RLP_PROC_INIT, list = RLP_PROC_INIT;
	struct x509_status st;
	struct rlp_buf b = RLP_BUF_INIT;
	char *dir = NULL, *home = NULL, *sigfile = NULL, why[256];
	bool started = false;
	int error;

	if (!trust || !trust->x509_certs || !trust->x509_certs_len)
		return rlp_error_set(RLP_EINVALID, "signed by an unknown certificate");
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
	{
		const char *argv[] = {program, "--batch", "--no-tty", "--disable-dirmngr",
				      "--homedir", home, "--status-fd", "1", "--import", NULL};
		opts.input = trust->x509_certs;
		opts.input_len = trust->x509_certs_len;
		if ((error = rlp_proc_run(&imp, argv, &opts)) < 0)
			goto done;
		if (imp.status != 0) {
			gpgsm_message(why, sizeof(why), imp.err.ptr);
			error = rlp_error_set(RLP_EINVALID,
					      "cannot import the trusted x509 certificates: %s",
					      *why ? why : "no certificate found");
			goto done;
		}
	}
	if ((error = write_trustlist(home, imp.out.ptr)) < 0)
		goto done;
	{
		const char *argv[] = {program, "--batch", "--no-tty", "--disable-dirmngr",
				      "--homedir", home, "--status-fd", "1", "--verify",
				      sigfile, "-", NULL};
		opts.input = payload;
		opts.input_len = payload_len;
		if ((error = rlp_proc_run(&ver, argv, &opts)) < 0)
			goto done;
	}
	parse_status(&st, ver.out.ptr);
	if ((error = judge(&st, &ver, at)) < 0)
		goto done;
	{
		/* the signing certificate is in the home now: from the trusted
		 * ones, or stored by --verify from the signature itself */
		const char *argv[] = {program, "--batch", "--no-tty", "--disable-dirmngr",
				      "--homedir", home, "--with-colons", "--list-keys",
				      st.fingerprint, NULL};
		opts.input = NULL;
		opts.input_len = 0;
		if ((error = rlp_proc_run(&list, argv, &opts)) < 0)
			goto done;
	}
	out->format = RLP_SIGN_X509;
	if ((error = certificate_email(out->principal, sizeof(out->principal), list.out.ptr,
				       st.fingerprint)) < 0)
		goto done;
	if (sign_copy_field(out->key_id, sizeof(out->key_id), st.fingerprint,
			    strlen(st.fingerprint)) < 0)
		error = rlp_error_set(RLP_EINVALID, "certificate fingerprint too long");
done:
	if (started)
		sign_gnupg_home_shutdown(program, home);
	rlp_proc_clear(&imp);
	rlp_proc_clear(&ver);
	rlp_proc_clear(&list);
	sign_tmpdir_remove(dir);
	free(dir);
	free(home);
	free(sigfile);
	return error;
}
