#!/usr/bin/env bash
# Signing and verifying commits with the real tools (gpg, ssh-keygen): what
# we sign passes `git verify-commit`, what git signs passes ours, and every
# forgery or untrusted signature is refused with its one-line reason.
. "$(dirname "$0")/lib.sh"

for tool in gpg gpgconf ssh-keygen ssh-agent ssh-add; do
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
AGENT_PID=
cleanup() {
	gpgconf --kill all >/dev/null 2>&1
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
	rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

new_repo() { # <dir> <gpg.format> <user.signingKey>
	git init -q "$1" &&
	git -C "$1" config user.name Tester &&
	git -C "$1" config user.email tester@example.com &&
	git -C "$1" config gpg.format "$2" &&
	git -C "$1" config user.signingKey "$3"
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

verify() { # <repo> <commit> <allowed|-> <keys|-> [<unix-time>]
	"$TOOL" verify "$@"
}

no_temp_files_left() {
	if [ -n "$(ls -A "$TMPDIR")" ]; then
		echo "left in $TMPDIR:" >&2
		ls -la "$TMPDIR" >&2
		return 1
	fi
}

test_expect_success 'setup: ssh and gpg keys, one repository per signer' '
	ssh-keygen -q -t ed25519 -N "" -C ci -f "$K/ci" &&
	ssh-keygen -q -t ed25519 -N "" -C other -f "$K/other" &&
	echo "ci@example.com $(cat "$K/ci.pub")" >"$K/allowed" &&
	echo "ci@example.com valid-before=\"20200101\" $(cat "$K/ci.pub")" >"$K/allowed-expired" &&
	ssh-keygen -lf "$K/ci.pub" | cut -d" " -f2 >"$K/ci.sshfpr" &&
	gpg --batch --passphrase "" --quick-gen-key "CI <ci@example.com>" ed25519 sign never &&
	gpg --batch --passphrase "" --quick-gen-key "Other <other@example.com>" ed25519 sign never &&
	gpg --armor --export ci@example.com >"$K/ci.asc" &&
	gpg --with-colons --fingerprint ci@example.com | grep ^fpr | head -1 | cut -d: -f10 >"$K/ci.fpr" &&
	gpg --with-colons --fingerprint other@example.com | grep ^fpr | head -1 | cut -d: -f10 >"$K/other.fpr" &&
	new_repo "$TEST_ROOT/ssh" ssh "$K/ci" &&
	new_repo "$TEST_ROOT/ssh-other" ssh "$K/other" &&
	new_repo "$TEST_ROOT/gpg" openpgp "$(cat "$K/ci.fpr")" &&
	new_repo "$TEST_ROOT/gpg-other" openpgp "$(cat "$K/other.fpr")" &&
	"$TOOL" config "$TEST_ROOT/ssh" >out &&
	test_grep "^format=ssh program=ssh-keygen key=$K/ci\$" out &&
	"$TOOL" config "$TEST_ROOT/gpg" >out &&
	test_grep "^format=openpgp program=gpg key=$(cat "$K/ci.fpr")\$" out
'

test_expect_success 'ssh: our signed commit passes git verify-commit and our verify' '
	R="$TEST_ROOT/ssh" &&
	id=$("$TOOL" commit "$R" hello refs/heads/main) &&
	test "$(git -C "$R" rev-parse main)" = "$id" &&
	git -C "$R" cat-file commit "$id" >raw &&
	test_grep "^gpgsig -----BEGIN SSH SIGNATURE-----\$" raw &&
	test_grep "^ -----END SSH SIGNATURE-----\$" raw &&
	git -C "$R" -c gpg.ssh.allowedSignersFile="$K/allowed" verify-commit "$id" &&
	verify "$R" "$id" "$K/allowed" - >out &&
	echo "ok ci@example.com $(cat "$K/ci.sshfpr")" >expect &&
	diff -u expect out &&
	echo "$id" >"$TEST_ROOT/ssh.id" &&
	no_temp_files_left
'

test_expect_success 'gpg: our signed commit passes git verify-commit and our verify' '
	R="$TEST_ROOT/gpg" &&
	id=$("$TOOL" commit "$R" hello refs/heads/main) &&
	git -C "$R" cat-file commit "$id" >raw &&
	test_grep "^gpgsig -----BEGIN PGP SIGNATURE-----\$" raw &&
	git -C "$R" verify-commit "$id" &&
	verify "$R" "$id" - "$K/ci.asc" >out &&
	echo "ok ci@example.com $(cat "$K/ci.fpr")" >expect &&
	diff -u expect out &&
	echo "$id" >"$TEST_ROOT/gpg.id" &&
	no_temp_files_left
'

test_expect_success 'what git itself signs passes our verify (ssh and gpg)' '
	R="$TEST_ROOT/ssh" &&
	git -C "$R" commit -q --allow-empty -S -m "by git" &&
	verify "$R" HEAD "$K/allowed" - >out &&
	test_grep "^ok ci@example.com SHA256:" out &&
	R="$TEST_ROOT/gpg" &&
	git -C "$R" commit -q --allow-empty -S -m "by git" &&
	verify "$R" HEAD - "$K/ci.asc" >out &&
	test_grep "^ok ci@example.com $(cat "$K/ci.fpr")\$" out
'

test_expect_success 'extract gives exactly the payload git checks' '
	R="$TEST_ROOT/gpg" &&
	git -C "$R" cat-file commit "$(cat "$TEST_ROOT/gpg.id")" >raw &&
	"$TOOL" extract raw sig >payload &&
	awk "!body && /^gpgsig / { s = 1; next } !body && s && /^ / { next }
	     { s = 0 } /^\$/ { body = 1 } { print }" raw >expect &&
	cmp expect payload &&
	gpg --verify sig payload
'

test_expect_success 'ssh: a key not in the allowed signers is refused' '
	R="$TEST_ROOT/ssh-other" &&
	id=$("$TOOL" commit "$R" hello) &&
	test_expect_code 1 verify "$R" "$id" "$K/allowed" - >out &&
	echo "error: key is not in allowed signers" >expect &&
	diff -u expect out &&
	test_expect_code 1 verify "$R" "$id" - - >out &&
	diff -u expect out &&
	test_expect_code 1 git -C "$R" -c gpg.ssh.allowedSignersFile="$K/allowed" verify-commit "$id"
'

test_expect_success 'gpg: a key outside the trusted keys is an unknown key' '
	R="$TEST_ROOT/gpg-other" &&
	id=$("$TOOL" commit "$R" hello) &&
	git -C "$R" verify-commit "$id" &&
	test_expect_code 1 verify "$R" "$id" - "$K/ci.asc" >out &&
	echo "error: signed by an unknown key $(cat "$K/other.fpr")" >expect &&
	diff -u expect out &&
	test_expect_code 1 verify "$R" "$id" - - >out &&
	diff -u expect out &&
	no_temp_files_left
'

test_expect_success 'a signature moved into the message body is no signature' '
	for f in ssh gpg; do
		R="$TEST_ROOT/$f" &&
		id=$(sig_to_body "$R" "$(cat "$TEST_ROOT/$f.id")") &&
		test_expect_code 1 git -C "$R" -c gpg.ssh.allowedSignersFile="$K/allowed" \
			verify-commit "$id" &&
		test_expect_code 2 verify "$R" "$id" "$K/allowed" "$K/ci.asc" >out &&
		echo "error: commit $(git -C "$R" rev-parse --short=7 "$id"): signature is not in the commit header" >expect &&
		diff -u expect out || return 1
	done
'

test_expect_success 'a changed message under the old signature is a bad signature' '
	for f in ssh gpg; do
		R="$TEST_ROOT/$f" &&
		id=$(tamper "$R" "$(cat "$TEST_ROOT/$f.id")") &&
		test_grep "^HELLO\$" tampered &&
		test_expect_code 1 git -C "$R" -c gpg.ssh.allowedSignersFile="$K/allowed" \
			verify-commit "$id" &&
		test_expect_code 1 verify "$R" "$id" "$K/allowed" "$K/ci.asc" >out &&
		echo "error: bad signature" >expect &&
		diff -u expect out || return 1
	done
'

test_expect_success 'two signature headers are refused' '
	R="$TEST_ROOT/ssh" &&
	git -C "$R" cat-file commit "$(cat "$TEST_ROOT/ssh.id")" >raw &&
	awk "/^gpgsig / { s = 1 } s && !/^(gpgsig | )/ { s = 0 } s { print }" raw >sig &&
	awk -v sig="$(cat sig)" "{ print } /^committer / { print sig }" raw >two &&
	id=$(git -C "$R" hash-object --literally -t commit -w "$PWD/two") &&
	test_expect_code 1 verify "$R" "$id" "$K/allowed" - >out &&
	echo "error: more than one signature header" >expect &&
	diff -u expect out
'

test_expect_success 'ssh: valid-before in the allowed signers is honoured at the given time' '
	R="$TEST_ROOT/ssh" &&
	id=$(cat "$TEST_ROOT/ssh.id") &&
	now=$(date +%s) &&
	test_expect_code 1 verify "$R" "$id" "$K/allowed-expired" - "$now" >out &&
	echo "error: key expired or not yet valid at $(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)" >expect &&
	diff -u expect out &&
	verify "$R" "$id" "$K/allowed-expired" - 1514764800 >out &&
	test_grep "^ok ci@example.com SHA256:" out &&
	: valid-before is 2020-01-01T00:00:00Z, read as UTC, inclusive &&
	test_expect_code 1 verify "$R" "$id" "$K/allowed-expired" - 1577836801 >out &&
	verify "$R" "$id" "$K/allowed-expired" - 1577836800 >out
'

test_expect_success 'gpg: a signature dated after the verification time is refused' '
	R="$TEST_ROOT/gpg" &&
	id=$(cat "$TEST_ROOT/gpg.id") &&
	test_expect_code 1 verify "$R" "$id" - "$K/ci.asc" 1514764800 >out &&
	test_grep "^error: signature made at 20[0-9-]*T[0-9:]*Z, after 2018-01-01T00:00:00Z\$" out &&
	verify "$R" "$id" - "$K/ci.asc" "$(( $(date +%s) - 200 ))" >out &&
	test_grep "^ok " out
'

test_expect_success 'gpg: an expired or a revoked key is refused' '
	: a key made in 2020 that expired a day later, signing in its lifetime &&
	gpg --batch --passphrase "" --faked-system-time 20200101T000000 \
		--quick-gen-key "Old <old@example.com>" ed25519 sign 1d &&
	printf "#!/bin/sh\nexec gpg --faked-system-time 20200101T010000 \"\$@\"\n" >"$TEST_ROOT/gpg-2020" &&
	chmod +x "$TEST_ROOT/gpg-2020" &&
	R="$TEST_ROOT/gpg-old" &&
	new_repo "$R" openpgp old@example.com &&
	git -C "$R" config gpg.program "$TEST_ROOT/gpg-2020" &&
	id=$("$TOOL" commit "$R" hello) &&
	: verification runs gpg.program too: today, not in 2020 &&
	git -C "$R" config --unset gpg.program &&
	gpg --armor --export old@example.com >old.asc &&
	keyid=$(gpg --with-colons --list-keys old@example.com | grep ^pub | cut -d: -f5) &&
	test_expect_code 1 verify "$R" "$id" - old.asc 1577840400 >out &&
	echo "error: key $keyid has expired" >expect &&
	diff -u expect out &&
	: a key revoked after it signed &&
	gpg --batch --passphrase "" --quick-gen-key "Rev <rev@example.com>" ed25519 sign never &&
	R="$TEST_ROOT/gpg-rev" &&
	new_repo "$R" openpgp rev@example.com &&
	id=$("$TOOL" commit "$R" hello) &&
	verify "$R" "$id" - <(gpg --armor --export rev@example.com) >out &&
	test_grep "^ok rev@example.com " out &&
	fpr=$(gpg --with-colons --fingerprint rev@example.com | grep ^fpr | head -1 | cut -d: -f10) &&
	sed "s/^:-----/-----/" "$GNUPGHOME/openpgp-revocs.d/$fpr.rev" | gpg --batch --import &&
	gpg --armor --export rev@example.com >rev.asc &&
	test_expect_code 1 verify "$R" "$id" - rev.asc >out &&
	echo "error: key ${fpr#????????????????????????} is revoked" >expect &&
	diff -u expect out
'

test_expect_success 'an unsigned commit is reported as unsigned' '
	R="$TEST_ROOT/ssh" &&
	id=$("$TOOL" commit --unsigned "$R" plain) &&
	test_expect_code 2 verify "$R" "$id" "$K/allowed" "$K/ci.asc" >out &&
	echo "error: unsigned commit $(git -C "$R" rev-parse --short=7 "$id")" >expect &&
	diff -u expect out
'

test_expect_success 'ssh: a public key (file or literal) signs through ssh-agent' '
	eval "$(ssh-agent -s -a "$TEST_ROOT/agent.sock")" >/dev/null &&
	echo "$SSH_AGENT_PID" >"$TEST_ROOT/agent.pid" &&
	ssh-add -q "$K/ci" &&
	R="$TEST_ROOT/agent" &&
	new_repo "$R" ssh "$K/ci.pub" &&
	mv "$K/ci" "$K/ci.away" &&
	id=$("$TOOL" commit "$R" by-agent) &&
	verify "$R" "$id" "$K/allowed" - >out &&
	test_grep "^ok ci@example.com " out &&
	git -C "$R" config user.signingKey "key::$(cat "$K/ci.pub")" &&
	id=$("$TOOL" commit "$R" by-literal) &&
	git -C "$R" -c gpg.ssh.allowedSignersFile="$K/allowed" verify-commit "$id" &&
	verify "$R" "$id" "$K/allowed" - >out &&
	test_grep "^ok ci@example.com " out &&
	mv "$K/ci.away" "$K/ci" &&
	no_temp_files_left
'
AGENT_PID=$(cat "$TEST_ROOT/agent.pid" 2>/dev/null)

test_expect_success 'signing failures are reported and no commit is written' '
	R="$TEST_ROOT/fail" &&
	git init -q "$R" &&
	git -C "$R" config user.name T && git -C "$R" config user.email t@example.com &&
	test_expect_code 2 "$TOOL" commit "$R" x >out &&
	echo "error: no signing key configured: set user.signingKey" >expect &&
	diff -u expect out &&
	git -C "$R" config gpg.format ssh &&
	git -C "$R" config user.signingKey "$K/no-such-key" &&
	test_expect_code 3 "$TOOL" commit "$R" x >out &&
	test_grep "^error: ssh-keygen failed to sign the data: " out &&
	git -C "$R" config gpg.format openpgp &&
	git -C "$R" config user.signingKey "$(cat "$K/ci.fpr")" &&
	git -C "$R" config gpg.program false &&
	test_expect_code 3 "$TOOL" commit "$R" x >out &&
	echo "error: false failed to sign the data" >expect &&
	diff -u expect out &&
	printf "#!/bin/sh\ncat >/dev/null\necho forged\n" >"$TEST_ROOT/fake-gpg" &&
	chmod +x "$TEST_ROOT/fake-gpg" &&
	git -C "$R" config gpg.program "$TEST_ROOT/fake-gpg" &&
	test_expect_code 3 "$TOOL" commit "$R" x >out &&
	echo "error: $TEST_ROOT/fake-gpg failed to sign the data" >expect &&
	diff -u expect out &&
	git -C "$R" config gpg.program no-such-gpg &&
	test_expect_code 3 "$TOOL" commit "$R" x >out &&
	echo "error: cannot run '\''no-such-gpg'\'': not found in PATH" >expect &&
	diff -u expect out &&
	test -z "$(git -C "$R" rev-list --all)" &&
	test "$(git -C "$R" count-objects | cut -d" " -f1)" -le 2 &&
	no_temp_files_left
'

test_expect_success 'proc: large input, early exit (EPIPE), caps, timeout, env, fds' '
	head -c 10485760 /dev/zero >big &&
	"$TOOL" proc --input big -- wc -c >out &&
	printf "status=0 out=9 err=0\n10485760\n" >expect &&
	diff -u expect out &&
	"$TOOL" proc --input big -- head -c 1 >out &&
	test_grep "^status=0 out=1 err=0" out &&
	"$TOOL" proc -- sh -c "exit 7" >out &&
	test_grep "^status=7 " out &&
	test_expect_code 3 "$TOOL" proc --out-max 1000 -- yes >out &&
	echo "error: '\''yes'\'' wrote more than 1000 bytes to stdout" >expect &&
	diff -u expect out &&
	start=$(date +%s) &&
	test_expect_code 3 "$TOOL" proc --timeout-ms 300 -- sleep 10 >out &&
	test $(( $(date +%s) - start )) -lt 5 &&
	echo "error: '\''sleep'\'' timed out after 300 ms" >expect &&
	diff -u expect out &&
	test_expect_code 2 "$TOOL" proc -- no-such-program >out &&
	echo "error: cannot run '\''no-such-program'\'': not found in PATH" >expect &&
	diff -u expect out &&
	RLP_GONE=1 "$TOOL" proc --env RLP_NEW=yes --env RLP_GONE -- env >out &&
	test_grep "^RLP_NEW=yes\$" out &&
	! grep -q "^RLP_GONE=" out &&
	"$TOOL" proc -- sh -c "ls /proc/\$\$/fd" 7<big 9>/dev/null >out &&
	printf "status=0 out=6 err=0\n0\n1\n2\n" >expect &&
	diff -u expect out
'

test_expect_success 'no throw-away gpg home or agent is left behind' '
	no_temp_files_left &&
	! ps -eo args | grep "gpg-agent.*$TMPDIR/rlp-sign\." | grep -v grep
'

gpgconf --kill all >/dev/null 2>&1
test_done
