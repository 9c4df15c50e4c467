#!/usr/bin/env bash
# The in-process Ed25519 fast path (lib/sign_sshsig.c) accepts exactly what
# ssh-keygen accepts on plain allowed-signers lines, names the same principal
# and key, and leaves every other case (and every rejection) to ssh-keygen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup
TOOL=$RLP_BUILD_DIR/tests/tool_sign

signed_repo() {
	git init -q r && cd r && act_as promoter &&
	git commit -q -S --allow-empty -m "signed by promoter" &&
	git commit -q -S --allow-empty -m "second" && cd ..
}

# ssh-keygen's own answer for HEAD of repo r against an allowed-signers file.
keygen_verify() { # <allowed-signers> [<verify-time YYYYMMDDHHMMSS>]
	git -C r cat-file commit HEAD | sed '/^gpgsig /,/^ -----END SSH SIGNATURE-----$/d' >payload &&
	git -C r cat-file commit HEAD | sed -n '/^gpgsig /,/^ -----END SSH SIGNATURE-----$/p' |
		sed 's/^gpgsig //; s/^ //' >sig &&
	TZ=UTC0 ssh-keygen -Y verify -n git -f "$1" -I promoter@example.com -s sig \
		${2:+-Overify-time=$2} <payload
}

test_expect_success 'a plain line: accepted, same principal and key as ssh-keygen' '
	signed_repo &&
	"$TOOL" verify r HEAD "$KEYS/allowed_signers" - >ours &&
	keygen_verify "$KEYS/allowed_signers" >theirs 2>&1 &&
	test_grep "^ok promoter@example.com SHA256:" ours &&
	key=$(sed -n "s/.* key \(SHA256:[^ ]*\).*/\1/p" theirs) &&
	test_grep "$key" ours
'

test_expect_success 'valid-after in the future and valid-before in the past are refused' '
	signed_repo &&
	sed "s/^promoter@example.com namespaces=\"git\" /promoter@example.com valid-after=\"20990101\",namespaces=\"git\" /" \
		"$KEYS/allowed_signers" >later &&
	test_expect_code 1 "$TOOL" verify r HEAD later - >out 2>&1 &&
	test_grep "expired or not yet valid" out &&
	sed "s/^promoter@example.com namespaces=\"git\" /promoter@example.com valid-before=\"20200101\",namespaces=\"git\" /" \
		"$KEYS/allowed_signers" >earlier &&
	test_expect_code 1 "$TOOL" verify r HEAD earlier - >out 2>&1 &&
	test_grep "expired or not yet valid" out &&
	"$TOOL" verify r HEAD earlier - 1500000000 >ok &&
	test_grep "^ok promoter@example.com" ok
'

test_expect_success 'another namespace, another key, a tampered payload: refused' '
	signed_repo &&
	sed "s/^promoter@example.com namespaces=\"git\" /promoter@example.com namespaces=\"file\" /" \
		"$KEYS/allowed_signers" >filens &&
	test_expect_code 1 "$TOOL" verify r HEAD filens - >/dev/null 2>&1 &&
	grep -v "^promoter" "$KEYS/allowed_signers" >others &&
	test_expect_code 1 "$TOOL" verify r HEAD others - >out 2>&1 &&
	test_grep "not in allowed signers" out &&
	git -C r cat-file commit HEAD | sed "s/^second$/third/" >forged &&
	id=$(git -C r hash-object -t commit -w ../forged 2>/dev/null || git -C r hash-object -t commit -w "$PWD/forged") &&
	test_expect_code 1 "$TOOL" verify r "$id" "$KEYS/allowed_signers" - >out 2>&1 &&
	test_grep "bad signature" out
'

test_expect_success 'wildcard principals are left to ssh-keygen, which accepts them' '
	signed_repo &&
	sed "s/^promoter@example.com /*@example.com /" "$KEYS/allowed_signers" >wild &&
	"$TOOL" verify r HEAD wild - >out &&
	test_grep "^ok " out
'

test_expect_success 'the fast path needs no ssh-keygen; everything else does' '
	signed_repo &&
	git -C r config gpg.ssh.program /nonexistent/ssh-keygen &&
	"$TOOL" verify r HEAD "$KEYS/allowed_signers" - >ok &&
	test_grep "^ok promoter@example.com" ok &&
	sed "s/^promoter@example.com /*@example.com /" "$KEYS/allowed_signers" >wild &&
	test_expect_code 2 "$TOOL" verify r HEAD wild - >out 2>&1 &&
	test_grep "nonexistent" out
'

test_done
