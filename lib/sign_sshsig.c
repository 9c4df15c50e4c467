/*
 * A fast path for the common ssh case: an Ed25519 SSHSIG (PROTOCOL.sshsig)
 * whose key sits on a plain allowed-signers line. Two ssh-keygen processes
 * per signature cost ~15 ms; a hook or `current` checks several. Here the
 * blob is parsed by hand (a few length-prefixed strings) and the signature
 * checked with OpenSSL's Ed25519. The path only ever ACCEPTS: anything it
 * does not fully understand (other key types, certificates, wildcard
 * principals, unknown options) or any failure falls back to ssh-keygen, so
 * rejections and their messages stay ssh-keygen's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "buf.h"
#include "error.h"
#include "sign_private.h"

struct cursor {
	const unsigned char *p, *end;
};

/* An SSH wire "string": uint32 length, bytes. */
static bool take_string(struct cursor *c, const unsigned char **s, uint32_t *len)
{
	if (c->end - c->p < 4)
		return false;
	*len = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	if ((uint32_t)(c->end - c->p) < *len)
		return false;
	*s = c->p;
	c->p += *len;
	return true;
}

static bool string_is(const unsigned char *s, uint32_t len, const char *want)
{
	return len == strlen(want) && !memcmp(s, want, len);
}

/* "YYYYMMDD[HHMM[SS]][Z]" as UTC (ssh-keygen runs with TZ=UTC0 here too). */
static bool parse_time(const char *s, size_t n, time_t *out)
{
	int f[6] = {0, 1, 1, 0, 0, 0};
	static const int width[6] = {4, 2, 2, 2, 2, 2};
	size_t pos = 0, parts;

	if (n && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
		n--;
	if (n != 8 && n != 12 && n != 14)
		return false;
	parts = n == 8 ? 3 : n == 12 ? 5 : 6;
	for (size_t i = 0; i < parts; i++) {
		int v = 0;
		for (int k = 0; k < width[i]; k++, pos++) {
			if (s[pos] < '0' || s[pos] > '9')
				return false;
			v = v * 10 + (s[pos] - '0');
		}
		f[i] = v;
	}
	struct tm tm = {.tm_year = f[0] - 1900, .tm_mon = f[1] - 1, .tm_mday = f[2],
			.tm_hour = f[3], .tm_min = f[4], .tm_sec = f[5]};
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

/* One allowed-signers line whose key is `key_b64`: 1 and the first
 * principal when it plainly allows signing for git at `at`; 0 when this
 * path cannot tell (let ssh-keygen decide). */
static int line_allows(char *principal, size_t size, const char *line, size_t len,
		       const char *key_b64, time_t at)
{
	char buf[4096], *fields[4], *save = NULL;
	size_t nf = 0;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	/* quoted option values may hold spaces: treat such lines as unknown */
	for (char *t = strtok_r(buf, " \t", &save); t && nf < 4; t = strtok_r(NULL, " \t", &save))
		fields[nf++] = t;
	if (nf < 3 || fields[0][0] == '#')
		return 0;
	size_t k = !strncmp(fields[1], "ssh-", 4) ? 1 : 2;
	if (k + 1 >= nf || strcmp(fields[k], "ssh-ed25519") ||
	    strcmp(fields[k + 1], key_b64))
		return 0;
	/* one plain principal only: patterns and lists stay ssh-keygen's to match */
	if (strpbrk(fields[0], "*?!,"))
		return 0;
	if (k == 2) {
		char *opt_save = NULL;
		for (char *o = strtok_r(fields[1], ",", &opt_save); o; o = strtok_r(NULL, ",", &opt_save)) {
			time_t t;
			size_t ol = strlen(o);
			if (!strcmp(o, "namespaces=\"git\"") || !strcmp(o, "namespaces=git"))
				continue;
			if (!strncmp(o, "valid-after=", 12)) {
				const char *v = o + 12;
				size_t vl = ol - 12;
				if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
					v++, vl -= 2;
				if (!parse_time(v, vl, &t) || at < t)
					return 0;
				continue;
			}
			if (!strncmp(o, "valid-before=", 13)) {
				const char *v = o + 13;
				size_t vl = ol - 13;
				if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
					v++, vl -= 2;
				if (!parse_time(v, vl, &t) || at > t)
					return 0;
				continue;
			}
			return 0; /* cert-authority, other namespaces, anything else */
		}
	}
	size_t plen = strlen(fields[0]);
	if (!plen || plen >= size)
		return 0;
	memcpy(principal, fields[0], plen);
	principal[plen] = '\0';
	return 1;
}

static bool ed25519_verify(const unsigned char *key, const unsigned char *sig,
			   const unsigned char *msg, size_t len)
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = pkey && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		  EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok;
}

int sign_sshsig_fast(struct rlp_verified *out, const char *signature, const char *payload,
		     size_t payload_len, const struct rlp_trust *trust, time_t at)
{
	struct rlp_buf raw = RLP_BUF_INIT, b64 = RLP_BUF_INIT, signed_data = RLP_BUF_INIT;
	const unsigned char *pub, *ns, *reserved, *hash, *sig, *t, *key, *sigtype, *sigbytes;
	uint32_t pub_len, ns_len, res_len, hash_len, sig_len, t_len, key_len, st_len, sb_len;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char principal[sizeof(out->principal)], *key_b64 = NULL;
	int accepted = 0;

	if (!trust || !trust->allowed_signers ||
	    sign_ssh_decode(&raw, signature) < 0 || raw.len < 10 || memcmp(raw.ptr, "SSHSIG", 6))
		goto done;
	const unsigned char *p = (const unsigned char *)raw.ptr;
	if (p[6] || p[7] || p[8] || p[9] != 1) /* version 1 */
		goto done;
	struct cursor c = {p + 10, p + raw.len};
	if (!take_string(&c, &pub, &pub_len) || !take_string(&c, &ns, &ns_len) ||
	    !take_string(&c, &reserved, &res_len) || !take_string(&c, &hash, &hash_len) ||
	    !take_string(&c, &sig, &sig_len) || c.p != c.end || !string_is(ns, ns_len, "git"))
		goto done;
	struct cursor kc = {pub, pub + pub_len}, sc = {sig, sig + sig_len};
	if (!take_string(&kc, &t, &t_len) || !string_is(t, t_len, "ssh-ed25519") ||
	    !take_string(&kc, &key, &key_len) || key_len != 32 || kc.p != kc.end ||
	    !take_string(&sc, &sigtype, &st_len) || !string_is(sigtype, st_len, "ssh-ed25519") ||
	    !take_string(&sc, &sigbytes, &sb_len) || sb_len != 64 || sc.p != sc.end)
		goto done;
	const EVP_MD *algo = string_is(hash, hash_len, "sha512") ? EVP_sha512()
			     : string_is(hash, hash_len, "sha256") ? EVP_sha256() : NULL;
	if (!algo || EVP_Digest(payload, payload_len, md, &md_len, algo, NULL) != 1)
		goto done;
	/* what was signed: MAGIC, namespace, reserved, hash algorithm, H(message) */
	rlp_buf_put(&signed_data, "SSHSIG", 6);
	const unsigned char *parts[4] = {ns, reserved, hash, md};
	uint32_t lens[4] = {ns_len, res_len, hash_len, md_len};
	for (int i = 0; i < 4; i++) {
		unsigned char be[4] = {(unsigned char)(lens[i] >> 24), (unsigned char)(lens[i] >> 16),
				       (unsigned char)(lens[i] >> 8), (unsigned char)lens[i]};
		rlp_buf_put(&signed_data, (const char *)be, 4);
		rlp_buf_put(&signed_data, (const char *)parts[i], lens[i]);
	}
	if (signed_data.failed ||
	    !ed25519_verify(key, sigbytes, (const unsigned char *)signed_data.ptr, signed_data.len))
		goto done;
	/* the key as an allowed-signers line spells it: base64 of the wire blob */
	if (sign_base64_encode(&b64, pub, pub_len) < 0 || rlp_buf_detach(&key_b64, &b64) < 0)
		goto done;
	const char *text = trust->allowed_signers, *end = text + trust->allowed_signers_len;
	while (text < end && !accepted) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
		accepted = line_allows(principal, sizeof(principal), text, n, key_b64, at);
		text += n + 1;
	}
	if (accepted) {
		out->format = RLP_SIGN_SSH;
		snprintf(out->principal, sizeof(out->principal), "%s", principal);
		/* the key's SHA256 fingerprint, as ssh-keygen names it */
		unsigned char fp[EVP_MAX_MD_SIZE];
		unsigned int fp_len = 0;
		struct rlp_buf fpb = RLP_BUF_INIT;
		char *fps = NULL;
		EVP_Digest(pub, pub_len, fp, &fp_len, EVP_sha256(), NULL);
		if (sign_base64_encode(&fpb, fp, fp_len) == 0 && rlp_buf_detach(&fps, &fpb) == 0) {
			size_t l = strlen(fps);
			while (l && fps[l - 1] == '=')
				fps[--l] = '\0';
			snprintf(out->key_id, sizeof(out->key_id), "SHA256:%s", fps);
		}
		free(fps);
		rlp_buf_free(&fpb);
	}
done:
	free(key_b64);
	rlp_buf_free(&raw);
	rlp_buf_free(&b64);
	rlp_buf_free(&signed_data);
	return accepted;
}
