#!/usr/bin/env bash
# x509 signing (gpg.format x509, gpgsm) with a throw-away self-signed
# certificate: what we sign passes `git verify-commit`, our verify accepts it
# against the trusted certificates (.rlpromote/certs.pem) and refuses an
# unknown, untrusted or expired certificate, a changed payload and a
# signature moved into the message body.
. "$(dirname "$0")/lib.sh"

for tool in gpgsm gpgconf; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed"
		exit 0
	fi
done

TOOL="$RLP_BUILD_DIR/tests/tool_sign"
K="$TEST_ROOT/keys"
# our temporary files land here, so the tests can see they are all removed
export TMPDIR="$TEST_ROOT/tmp"
export GNUPGHOME="$TEST_ROOT/gnupg"
mkdir -p "$K" "$TMPDIR" && mkdir -m 700 "$GNUPGHOME"
cleanup() {
	gpgconf --kill all >/dev/null 2>&1
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

# A self-signed certificate and its key, made by gpgsm in batch mode, then
# imported and marked a trusted root (trustlist.txt) in $GNUPGHOME. gpgsm
# 2.2 skips "%no-protection": an empty passphrase through the loopback
# pinentry leaves the key unprotected. Writes $K/<name>.pem and .fpr.
make_cert() { # <name> [<extra parameter line>...]
	local name=$1
	shift
	{
		printf '%s\n' "Key-Type: RSA" "Key-Length: 2048" "Key-Usage: sign" \
			"Serial: random" "Name-DN: CN=$name,O=Example" \
			"Name-Email: $name@example.com" "$@"
	} >"$K/$name.params" &&
	gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
		--gen-key "$K/$name.params" >"$K/$name.der" </dev/null &&
	gpgsm --batch --import "$K/$name.der" &&
	gpgsm --with-colons --list-keys "$name@example.com" |
		colon_field fpr 10 >"$K/$name.fpr" &&
	grep -Eq "^[0-9A-F]{40}\$" "$K/$name.fpr" &&
	echo "$(cat "$K/$name.fpr") S relax" >>"$GNUPGHOME/trustlist.txt" &&
	gpgconf --reload gpg-agent &&
	gpgsm --armor --export "$name@example.com" >"$K/$name.pem" &&
	test_grep "^-----BEGIN CERTIFICATE-----\$" "$K/$name.pem"
}

# A field of the first <record> line (fpr, grp) of a --with-colons listing.
colon_field() { # <record> <field number>
	awk -F: -v r="$1" -v f="$2" '$1 == r { print $f; exit }'
}

new_repo() { # <dir> <user.signingKey>
	git init -q "$1" &&
	git -C "$1" config user.name Tester &&
	git -C "$1" config user.email tester@example.com &&
	git -C "$1" config gpg.format x509 &&
	git -C "$1" config user.signingKey "$2"
}

# A commit's raw text with its signature header moved into the message body.
sig_to_body() { # <repo> <commit>
	git -C "$1" cat-file commit "$2" >raw &&
	awk '!body && /^gpgsig / { sig = 1; print > "sig"; next }
	     !body && sig && /^ / { print > "sig"; next }
	     { sig = 0 } /^$/ { body = 1 } { print }' raw >moved &&
	cat sig >>moved &&
	git -C "$1" hash-object -t commit -w --stdin <moved
}

# The same commit with its message changed and the signature kept.
tamper() { # <repo> <commit>
	git -C "$1" cat-file commit "$2" | sed "s/^hello\$/HELLO/" >tampered &&
	git -C "$1" hash-object -t commit -w --stdin <tampered
}

verify() { # <repo> <commit> <certs|-> [<unix-time>]
	"$TOOL" verify "$1" "$2" - - "${4:--}" "$3"
}

no_temp_files_left() {
	if [ -n "$(ls -A "$TMPDIR")" ]; then
		echo "left in $TMPDIR:" >&2
		ls -la "$TMPDIR" >&2
		return 1
	fi
}

no_agent_left() { # none for a throw-away home of ours (other tests may run theirs)
	! ps -eo args | grep -E "(gpg-agent|dirmngr).*$TMPDIR/rlp-sign\." | grep -v grep
}

test_expect_success 'setup: self-signed certificates, one repository per signer' '
	make_cert ci &&
	make_cert other &&
	cat "$K/ci.pem" "$K/other.pem" >"$K/both.pem" &&
	new_repo "$TEST_ROOT/ci" ci@example.com &&
	new_repo "$TEST_ROOT/other" other@example.com &&
	"$TOOL" config "$TEST_ROOT/ci" >out &&
	test_grep "^format=x509 program=gpgsm key=ci@example.com\$" out
'

test_expect_success 'our signed commit passes git verify-commit and our verify' '
	R="$TEST_ROOT/ci" &&
	id=$("$TOOL" commit "$R" hello refs/heads/main) &&
	git -C "$R" cat-file commit "$id" >raw &&
	test_grep "^gpgsig -----BEGIN SIGNED MESSAGE-----\$" raw &&
	test_grep "^ -----END SIGNED MESSAGE-----\$" raw &&
	git -C "$R" verify-commit "$id" &&
	verify "$R" "$id" "$K/ci.pem" >out &&
	echo "ok ci@example.com $(cat "$K/ci.fpr")" >expect &&
	diff -u expect out &&
	: any of several trusted certificates &&
	verify "$R" "$id" "$K/both.pem" >out &&
	diff -u expect out &&
	echo "$id" >"$TEST_ROOT/ci.id" &&
	no_temp_files_left && no_agent_left
'

test_expect_success 'what git itself signs passes our verify' '
	R="$TEST_ROOT/ci" &&
	git -C "$R" commit -q --allow-empty -S -m "by git" &&
	git -C "$R" verify-commit HEAD &&
	verify "$R" HEAD "$K/ci.pem" >out &&
	test_grep "^ok ci@example.com $(cat "$K/ci.fpr")\$" out
'

test_expect_success 'a certificate outside the trusted ones is refused' '
	R="$TEST_ROOT/other" &&
	id=$("$TOOL" commit "$R" hello) &&
	git -C "$R" verify-commit "$id" &&
	verify "$R" "$id" "$K/both.pem" >out &&
	test_grep "^ok other@example.com " out &&
	test_expect_code 1 verify "$R" "$id" "$K/ci.pem" >out &&
	echo "error: signed by an unknown certificate" >expect &&
	diff -u expect out &&
	test_expect_code 1 verify "$R" "$id" - >out &&
	diff -u expect out &&
	R="$TEST_ROOT/ci" &&
	test_expect_code 1 verify "$R" "$(cat "$TEST_ROOT/ci.id")" "$K/other.pem" >out &&
	diff -u expect out &&
	no_temp_files_left && no_agent_left
'

test_expect_success 'a certificate carried in the signature itself earns no trust' '
	printf "#!/bin/sh\nexec gpgsm --include-certs 1 \"\$@\"\n" >"$TEST_ROOT/gpgsm-with-cert" &&
	chmod +x "$TEST_ROOT/gpgsm-with-cert" &&
	R="$TEST_ROOT/carried" &&
	new_repo "$R" ci@example.com &&
	git -C "$R" config gpg.x509.program "$TEST_ROOT/gpgsm-with-cert" &&
	id=$("$TOOL" commit "$R" hello) &&
	git -C "$R" config --unset gpg.x509.program &&
	test_expect_code 1 verify "$R" "$id" "$K/other.pem" >out &&
	echo "error: certificate $(cat "$K/ci.fpr") is not trusted" >expect &&
	diff -u expect out &&
	verify "$R" "$id" "$K/ci.pem" >out &&
	test_grep "^ok ci@example.com " out &&
	no_temp_files_left && no_agent_left
'

test_expect_success 'a certificate issued by a trusted CA is trusted; alone it is no root' '
	printf "%s\n" "Key-Type: RSA" "Key-Length: 2048" "Key-Usage: cert, sign" \
		"Serial: random" "Name-DN: CN=Test CA,O=Example" >"$K/ca.params" &&
	gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
		--gen-key "$K/ca.params" >"$K/ca.der" </dev/null &&
	gpgsm --batch --import "$K/ca.der" &&
	gpgsm --with-colons --list-keys "CN=Test CA,O=Example" >ca.list &&
	echo "$(colon_field fpr 10 <ca.list) S relax" >>"$GNUPGHOME/trustlist.txt" &&
	gpgsm --armor --export "CN=Test CA,O=Example" >"$K/ca.pem" &&
	make_cert leaf "Issuer-DN: CN=Test CA,O=Example" "Signing-Key: $(colon_field grp 10 <ca.list)" &&
	R="$TEST_ROOT/leaf" &&
	new_repo "$R" leaf@example.com &&
	id=$("$TOOL" commit "$R" hello) &&
	git -C "$R" verify-commit "$id" &&
	: the signature carries the leaf certificate, the trust comes from the CA &&
	verify "$R" "$id" "$K/ca.pem" >out &&
	echo "ok leaf@example.com $(cat "$K/leaf.fpr")" >expect &&
	diff -u expect out &&
	test_expect_code 1 verify "$R" "$id" "$K/ci.pem" >out &&
	echo "error: certificate $(cat "$K/leaf.fpr") is not trusted" >expect &&
	diff -u expect out &&
	: a certificate that is not self-signed is no root on its own &&
	test_expect_code 1 verify "$R" "$id" "$K/leaf.pem" >out &&
	diff -u expect out &&
	no_temp_files_left && no_agent_left
'

test_expect_success 'a changed message under the old signature is a bad signature' '
	R="$TEST_ROOT/ci" &&
	id=$(tamper "$R" "$(cat "$TEST_ROOT/ci.id")") &&
	test_grep "^HELLO\$" tampered &&
	test_expect_code 1 git -C "$R" verify-commit "$id" &&
	test_expect_code 1 verify "$R" "$id" "$K/ci.pem" >out &&
	echo "error: bad signature" >expect &&
	diff -u expect out
'

test_expect_success 'a signature moved into the message body is no signature' '
	R="$TEST_ROOT/ci" &&
	id=$(sig_to_body "$R" "$(cat "$TEST_ROOT/ci.id")") &&
	test_grep "^gpgsig -----BEGIN SIGNED MESSAGE-----\$" moved &&
	test_expect_code 1 git -C "$R" verify-commit "$id" &&
	test_expect_code 2 verify "$R" "$id" "$K/ci.pem" >out &&
	echo "error: commit $(git -C "$R" rev-parse --short=7 "$id"): signature is not in the commit header" >expect &&
	diff -u expect out
'

test_expect_success 'a signature dated after the verification time is refused' '
	R="$TEST_ROOT/ci" &&
	id=$(cat "$TEST_ROOT/ci.id") &&
	test_expect_code 1 verify "$R" "$id" "$K/ci.pem" 1514764800 >out &&
	test_grep "^error: signature made at 20[0-9-]*T[0-9:]*Z, after 2018-01-01T00:00:00Z\$" out &&
	verify "$R" "$id" "$K/ci.pem" "$(( $(date +%s) - 200 ))" >out &&
	test_grep "^ok " out
'

test_expect_success 'an expired certificate is refused (gpgsm itself says TRUST_FULLY)' '
	: a certificate for one day of 2020, signing within it &&
	make_cert old "Creation-Date: 20200101T000000" "Expire-Date: 20200102T000000" &&
	printf "#!/bin/sh\nexec gpgsm --faked-system-time 20200101T010000 \"\$@\"\n" >"$TEST_ROOT/gpgsm-2020" &&
	chmod +x "$TEST_ROOT/gpgsm-2020" &&
	R="$TEST_ROOT/old" &&
	new_repo "$R" old@example.com &&
	git -C "$R" config gpg.x509.program "$TEST_ROOT/gpgsm-2020" &&
	id=$("$TOOL" commit "$R" hello) &&
	: verification runs gpg.x509.program too: today, not in 2020 &&
	git -C "$R" config --unset gpg.x509.program &&
	test_expect_code 1 verify "$R" "$id" "$K/old.pem" 1577840400 >out &&
	echo "error: certificate $(cat "$K/old.fpr") has expired" >expect &&
	diff -u expect out
'

test_expect_success 'unusable trusted certificates are an error, not trust' '
	R="$TEST_ROOT/ci" &&
	id=$(cat "$TEST_ROOT/ci.id") &&
	echo "not a certificate" >junk.pem &&
	test_expect_code 1 verify "$R" "$id" junk.pem >out &&
	test_grep "^error: cannot import the trusted x509 certificates: " out &&
	no_temp_files_left && no_agent_left
'

test_expect_success 'git rlpromote trusts .rlpromote/certs.pem as committed at the trusted revision' '
	export GIT_AUTHOR_EMAIL=ci@example.com GIT_COMMITTER_EMAIL=ci@example.com &&
	new_repo "$TEST_ROOT/store" ci@example.com &&
	cd "$TEST_ROOT/store" &&
	git config user.email ci@example.com &&
	git rlpromote init >/dev/null &&
	sed -i "s/^\(  [a-z]*\): \[.*@example.com\]\$/\1: [ci@example.com]/" .rlpromote/policy.yaml &&
	test_grep "^  override: \[ci@example.com\]\$" .rlpromote/policy.yaml &&
	git add -A && git commit -q -S -m policy && git tag no-certs &&
	test_expect_code 1 git rlpromote promote HEAD --to production --override \
		--reason first 2>err &&
	test_grep "signed by an unknown certificate" err &&
	cp "$K/ci.pem" .rlpromote/certs.pem &&
	git add -A && git commit -q -S -m certs &&
	git rlpromote promote HEAD --to production --override --reason first >out &&
	test_grep "production: override" out &&
	git rlpromote verify >out 2>&1 &&
	test_grep "^1 decision checked against HEAD:.rlpromote/policy.yaml: all verify\$" out &&
	git config rlpromote.trustedRef no-certs &&
	test_expect_code 1 git rlpromote verify >out 2>&1 &&
	test_grep "signed by an unknown certificate\$" out &&
	no_temp_files_left && no_agent_left
'

test_expect_success 'no throw-away gpgsm home or agent is left behind' '
	no_temp_files_left && no_agent_left
'

gpgconf --kill all >/dev/null 2>&1
test_done
