#!/usr/bin/env bash
# Enforcement on push (issue 4): a bare server with `git rlpromote hook
# install --server`, pushed to over file:// (t0610 runs the same tests over
# git daemon on 127.0.0.1). Every rejection fails the push, names the ref
# with its own reason in one `rlpromote:` line, and changes no ref of the
# server. Then two pushes racing for one stage, and the client's pre-push.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
. "$(dirname "$0")/hooklib.sh"
keys_setup
if [ "$HOOK_TRANSPORT" = daemon ]; then
	trap 'daemon_stop; rm -rf "$TEST_ROOT"' EXIT
	trap 'exit 130' INT TERM
	daemon_start || exit 1
fi

short() { git rev-parse --short=12 "$1"; }

# ---- accepted ----

test_expect_success "setup: env, runs and an override bootstrap of production are accepted ($HOOK_TRANSPORT)" '
	hook_seed &&
	test_grep "new reference.*$PRODUCTION" "$SEED.push" &&
	! grep "rlpromote:" "$SEED.push" &&
	if [ "$HOOK_TRANSPORT" = daemon ]; then
		: the hook ran where git daemon runs it: no HOME, our PATH &&
		test_grep "^To git://127.0.0.1:$DAEMON_PORT/seed.git" "$SEED.push" &&
		tr "\\0" "\\n" </proc/$DAEMON_PID/environ >daemon.env &&
		! grep "^HOME=" daemon.env && test_grep "^PATH=$RLP_BUILD_DIR:" daemon.env
	fi
'

test_expect_success 'a GO promotion to staging, then to production, and an ordinary branch are accepted' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	git push origin $STAGING refs/notes/rlpromote >push.out 2>&1 &&
	! grep "rlpromote:" push.out &&
	test "$(git --git-dir=$S rev-parse $STAGING)" = "$(git rev-parse $STAGING)" &&
	git rlpromote promote v2 --to production >/dev/null &&
	git push origin $PRODUCTION >push.out 2>&1 &&
	test "$(git --git-dir=$S rev-parse $PRODUCTION)" = "$(git rev-parse $PRODUCTION)" &&
	git checkout -q -b feature && echo hello >README && git add README &&
	git commit -q -m "an ordinary commit" &&
	git push origin feature >push.out 2>&1 && ! grep "rlpromote:" push.out &&
	test "$(git --git-dir=$S rev-parse refs/heads/feature)" = "$(git rev-parse feature)"
'

# ---- signatures and roles ----

test_expect_success 'an unsigned decision is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	forged=$(resign $STAGING -) && git update-ref $STAGING $forged &&
	expect_rejected $STAGING "decision $(short $forged): unsigned commit ${forged:0:7}\$" \
		origin $STAGING &&
	if [ "$HOOK_TRANSPORT" = file ]; then
		: under GitLab the lines carry its prefix, or it shows nothing &&
		test_expect_code 1 env GL_ID=user-1 git push origin $STAGING >gl.out 2>&1 &&
		test_grep "^remote: GL-HOOK-ERR: $STAGING: decision $(short $forged): unsigned commit" gl.out
	fi
'

test_expect_success 'a decision signed by a key the policy does not list is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	forged=$(resign $STAGING mallory) && git update-ref $STAGING $forged &&
	expect_rejected $STAGING "decision $(short $forged): key is not in allowed signers\$" \
		origin $STAGING
'

test_expect_success 'a decision signed by an eval-only key (ci) is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	forged=$(resign $STAGING ci) && git update-ref $STAGING $forged &&
	git verify-commit $forged 2>/dev/null &&
	expect_rejected $STAGING \
		"decision $(short $forged) is signed by .ci@example.com., who has no promote role\$" \
		origin $STAGING
'

test_expect_success 'a valid signature moved into the message body is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	git cat-file commit $STAGING | $PY -c "
import sys
head, body = sys.stdin.read().split(\"\n\n\", 1)
keep, sig = [], []
for line in head.split(\"\n\"):
    if line.startswith(\"gpgsig \") or (sig and line.startswith(\" \") and keep[-1] is None):
        sig.append(line)
        keep.append(None)
    else:
        keep.append(line)
keep = [line for line in keep if line is not None]
sys.stdout.write(\"\n\".join(keep) + \"\n\n\" + body + \"\n\".join(sig) + \"\n\")
" >moved &&
	! grep -q "^gpgsig" <(sed "/^\$/q" moved) && grep -q "^gpgsig -----BEGIN SSH SIGNATURE" moved &&
	forged=$(git hash-object -t commit -w moved) && git update-ref $STAGING $forged &&
	expect_rejected $STAGING \
		"decision $(short $forged): commit ${forged:0:7}: signature is not in the commit header\$" \
		origin $STAGING
'

test_expect_success 'a decision signed with a key past its valid-before date is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	sed -i "s/^promoter@example.com namespaces=\"git\"/&,valid-before=\"20200101\"/" \
		.rlpromote/allowed_signers &&
	grep -q "valid-before=\"20200101\"" .rlpromote/allowed_signers &&
	git commit -qam "promoter key expired on 2020-01-01" &&
	git push -q origin main 2>/dev/null &&
	expect_rejected $STAGING \
		"decision $(short $STAGING): key expired or not yet valid at " origin $STAGING
'

test_expect_success 'an override without a reason, and an override by a promoter, are rejected' '
	fresh && act_as lead &&
	git rlpromote promote v1 --to staging --override --reason "demo day" >/dev/null &&
	override=$(git rev-parse $STAGING) &&
	git cat-file blob $override:decision.json |
		$PY -c "import json, sys; d = json.load(sys.stdin); d[\"reason\"] = None; print(json.dumps(d, indent=2))" \
		>decision.json &&
	grep -q "\"reason\": null" decision.json &&
	forged=$(resign $override lead $(tree_with $override decision.json decision.json)) &&
	git update-ref $STAGING $forged &&
	expect_rejected $STAGING "decision $(short $forged): override without a reason\$" \
		origin $STAGING &&
	forged=$(resign $override promoter) && git update-ref $STAGING $forged &&
	expect_rejected $STAGING \
		"decision $(short $forged) is signed by .promoter@example.com., who has no override role\$" \
		origin $STAGING &&
	git update-ref $STAGING $override && git push -q origin $STAGING 2>/dev/null
'

# ---- the evidence ----

test_expect_success 'a well-signed promotion whose evidence recomputes to NO-GO is rejected' '
	fresh &&
	git checkout -q -b weak && weak_policy >.rlpromote/policy.yaml &&
	git commit -qam "a policy v1 passes" && git checkout -q main &&
	test_expect_code 1 git rlpromote gate v1 --to staging >/dev/null &&
	git rlpromote promote v1 --to staging --policy-rev weak >/dev/null &&
	git verify-commit $STAGING 2>/dev/null &&
	expect_rejected $STAGING \
		"decision $(short $STAGING): the evidence recomputes to NO-GO under HEAD:.rlpromote/policy.yaml\$" \
		origin $STAGING
'

test_expect_success 'tampered results (summary kept) in a run signed by ci are rejected' '
	fresh &&
	record v2 candidate-v2.jsonl &&
	run=$(git rev-parse $RUNS) &&
	results=$(git diff-tree --no-commit-id --name-only -r $run^ $run | grep "/results.jsonl\$") &&
	git cat-file blob $run:$results | sed "1s/\"pass\":0/\"pass\":1/" >edited.jsonl &&
	! git cat-file blob $run:$results | cmp -s - edited.jsonl &&
	forged=$(resign $run ci $(tree_with $run $results edited.jsonl)) &&
	git update-ref $RUNS $forged &&
	expect_rejected $RUNS "${results%/results.jsonl}: summary.json does not match results.jsonl\$" \
		origin $RUNS &&
	: an old run rewritten, even with a matching summary, is not append-only &&
	old=$(git diff-tree --no-commit-id --name-only -r $run^^ $run^ | grep "/results.jsonl\$") &&
	forged=$(resign $run ci $(tree_with $run $old edited.jsonl)) &&
	git update-ref $RUNS $forged &&
	expect_rejected $RUNS "runs are append-only: .$old. was changed\$" origin $RUNS
'

test_expect_success 'a policy weakened in the same push as the promotion does not count' '
	fresh &&
	weak_policy >.rlpromote/policy.yaml && git commit -qam "weaker staging gate" &&
	git rlpromote promote v1 --to staging >/dev/null &&
	expect_rejected $STAGING \
		"decision $(short $STAGING): the evidence recomputes to NO-GO under HEAD:.rlpromote/policy.yaml\$" \
		origin main $STAGING &&
	test "$(git --git-dir=$S rev-parse main)" != "$(git rev-parse main)"
'

test_expect_success 'production for a candidate that does not hold staging is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null && git push -q origin $STAGING 2>/dev/null &&
	git rlpromote promote v3 --to staging >/dev/null &&
	git rlpromote promote v3 --to production >/dev/null &&
	expect_rejected $PRODUCTION \
		"candidate $(short v3) does not hold stage .staging.\$" \
		origin $PRODUCTION
'

# A push may carry a baseline stage's decisions along with the decision that
# builds on them.
test_expect_success 'staging then production, decided locally and pushed at once, are accepted' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	git rlpromote promote v2 --to production >/dev/null &&
	git push origin $STAGING $PRODUCTION >push.out 2>&1 &&
	test "$(git --git-dir=$S rev-parse $STAGING)" = "$(git rev-parse $STAGING)" &&
	test "$(git --git-dir=$S rev-parse $PRODUCTION)" = "$(git rev-parse $PRODUCTION)"
'

test_expect_success 'a decision on an env version that is not the current one is rejected' '
	fresh && act_as ci &&
	sed "s/^seed: 1234/seed: 4321/" env/env.yaml >env/env2.yaml &&
	git rlpromote env freeze env/env2.yaml >/dev/null &&
	record base baseline.jsonl && record v2 candidate-v2.jsonl &&
	act_as promoter && git rlpromote promote v2 --to staging >/dev/null &&
	env2=$(git rev-parse $ENV) && test "$env2" != "$(git --git-dir=$S rev-parse $ENV)" &&
	expect_rejected $STAGING \
		"decision uses env version ${env2:0:12}, not the current version of .support-v3.\$" \
		origin $RUNS $STAGING &&
	: with the env version pushed along it is the current one &&
	git push origin $ENV $RUNS $STAGING >push.out 2>&1 &&
	test "$(git --git-dir=$S rev-parse $STAGING)" = "$(git rev-parse $STAGING)"
'

test_expect_success 'a baseline that is not what production held is rejected' '
	fresh &&
	: base2 behaves like base, so v2 is GO against it too &&
	candidate base2 baseline && record base2 baseline.jsonl &&
	act_as lead &&
	git rlpromote promote base2 --to production --override --reason "local only" >/dev/null &&
	act_as promoter && git rlpromote promote v2 --to staging >/dev/null &&
	git cat-file blob $STAGING:decision.json |
		grep -q "\"baseline\":[[:space:]]*\"$(git rev-parse base2)\"" &&
	expect_rejected $STAGING \
		"baseline $(git rev-parse base2 | cut -c1-12) is not what stage .production. held ($(git rev-parse base | cut -c1-12))\$" \
		origin $RUNS $STAGING
'

test_expect_success 'a rollback by a promoter, with a reason, is accepted' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null &&
	git rlpromote promote v3 --to staging >/dev/null &&
	git push -q origin $STAGING 2>/dev/null &&
	git rlpromote rollback staging --reason "v3 breaks the canary" >/dev/null &&
	git push origin $STAGING >push.out 2>&1 && ! grep "rlpromote:" push.out &&
	test "$(git --git-dir=$S rev-parse $STAGING)" = "$(git rev-parse $STAGING)" &&
	test "$(git rlpromote current staging)" = "$(git rev-parse v2)"
'

# A rollback must name an earlier decision of the same stage and restore its
# candidate: a promoter cannot ship an ungated candidate by calling it a rollback.
test_expect_success 'a rollback to a candidate the stage never held is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null && git push -q origin $STAGING 2>/dev/null &&
	git rlpromote promote v3 --to staging >/dev/null && git push -q origin $STAGING 2>/dev/null &&
	git rlpromote rollback staging --reason "back to v2" >/dev/null &&
	rollback=$(git rev-parse $STAGING) &&
	git cat-file blob $rollback:decision.json | sed "s/$(git rev-parse v2)/$(git rev-parse v1)/" >d.json &&
	forged=$(resign $rollback promoter $(tree_with $rollback decision.json d.json)) &&
	git update-ref $STAGING $forged &&
	expect_rejected $STAGING "decision $(short $forged): .*never held" origin $STAGING
'

# Who decided is who signed.
test_expect_success 'a decision whose actor is not its signer is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null && good=$(git rev-parse $STAGING) &&
	git cat-file blob $good:decision.json | sed "s/promoter@example.com/lead@example.com/" >d.json &&
	forged=$(resign $good promoter $(tree_with $good decision.json d.json)) &&
	git update-ref $STAGING $forged &&
	expect_rejected $STAGING "decision $(short $forged) names actor .lead@example.com. but is signed by .promoter@example.com." origin $STAGING
'

# ---- history ----

test_expect_success 'a forced non-fast-forward rewrite of a stage is rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null && first=$(git rev-parse $STAGING) &&
	git push -q origin $STAGING 2>/dev/null &&
	git rlpromote promote v3 --to staging >/dev/null && git push -q origin $STAGING 2>/dev/null &&
	test "$(git --git-dir=$S rev-parse $STAGING)" = "$(git rev-parse $STAGING)" &&
	expect_rejected $STAGING "non-fast-forward update: history is append-only" \
		-f origin $first:$STAGING
'

test_expect_success 'deleting a stage ref is rejected' '
	fresh &&
	expect_rejected $PRODUCTION "deletion is not allowed: history is append-only\$" \
		origin :$PRODUCTION &&
	expect_rejected $ENV "deletion is not allowed" origin --delete $ENV
'

# ---- bad input ----

test_expect_success 'a malformed decision and an oversized one are rejected' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null && good=$(git rev-parse $STAGING) &&
	echo "{ this is not json" >bad.json &&
	forged=$(resign $good promoter $(tree_with $good decision.json bad.json)) &&
	git update-ref $STAGING $forged &&
	expect_rejected $STAGING "decision $(short $forged): .*decision.json is not a JSON object\$" \
		origin $STAGING &&
	git cat-file blob $good:decision.json | $PY -c "
import json, sys
d = json.load(sys.stdin); d[\"padding\"] = \"x\" * (4 << 20); print(json.dumps(d))" >big.json &&
	test $(wc -c <big.json) -gt 4194304 &&
	forged=$(resign $good promoter $(tree_with $good decision.json big.json)) &&
	git update-ref $STAGING $forged &&
	expect_rejected $STAGING "decision $(short $forged): .decision.json. is larger than 4194304 bytes\$" \
		origin $STAGING
'

test_expect_success 'the update hook makes the same checks, ref by ref' '
	fresh &&
	rm "$S/hooks/pre-receive" && cp "$RLP_SOURCE_DIR/hooks/update" "$S/hooks/update" &&
	chmod +x "$S/hooks/update" &&
	git rlpromote promote v2 --to staging >/dev/null &&
	forged=$(resign $STAGING -) && git update-ref $STAGING $forged &&
	server_refs >refs.before &&
	test_expect_code 1 git push origin $STAGING >push.raw 2>&1 &&
	sed "s/[[:space:]]*\$//" push.raw >push.out && cat push.out &&
	test_grep "^remote: rlpromote: $STAGING: decision $(short $forged): unsigned commit ${forged:0:7}\$" push.out &&
	test_grep "\[remote rejected\] .*$STAGING (hook declined)" push.out &&
	server_refs >refs.after && cmp refs.before refs.after
'

# ---- races ----

test_expect_success 'two pushes racing for one stage: one wins, the other is refused, all verifies' '
	fresh &&
	git rlpromote promote v2 --to staging >/dev/null && git push -q origin $STAGING 2>/dev/null &&
	tip=$(git rev-parse $STAGING) && cd .. &&
	clone_as a promoter && clone_as b promoter &&
	(cd a && git rlpromote promote v3 --to staging >/dev/null) &&
	(cd b && git rlpromote promote v2 --to staging >/dev/null) &&
	test "$(git -C a rev-parse $STAGING^)" = $tip && test "$(git -C b rev-parse $STAGING^)" = $tip &&
	for who in a b; do
		(cd $who && while [ ! -e ../go ]; do sleep 0.01; done &&
		 git push origin $STAGING >../$who.out 2>&1; echo $? >../$who.rc) &
	done &&
	touch go && wait &&
	cat a.out b.out &&
	test "$(cat a.rc b.rc | sort | tr "\n" " ")" = "0 1 " &&
	if [ "$(cat a.rc)" = 0 ]; then won=a lost=b; else won=b lost=a; fi &&
	grep -E "failed to update ref|cannot lock ref|fetch first|non-fast-forward|rlpromote: $STAGING" $lost.out &&
	test "$(git --git-dir=$S rev-parse $STAGING)" = "$(git -C $won rev-parse $STAGING)" &&
	git clone -q "$(url_of $NAME)" c 2>/dev/null && cd c && act_as promoter &&
	git rlpromote init >/dev/null && git fetch -q origin && git rlpromote sync >sync.out &&
	git rlpromote verify --all >verify.out && cat verify.out &&
	! grep -v "^ok" verify.out && test_grep "^ok .*staging" verify.out &&
	test "$(git rev-parse $STAGING)" = "$(git --git-dir=$S rev-parse $STAGING)"
'

# ---- the client ----

test_expect_success 'pre-push refuses an unsigned decision before anything is sent' '
	fresh &&
	git rlpromote hook install >out && test_grep "installed .*hooks/*pre-push\$" out &&
	test -x .git/hooks/pre-push &&
	git rlpromote promote v2 --to staging >/dev/null &&
	forged=$(resign $STAGING -) && git update-ref $STAGING $forged &&
	server_refs >refs.before &&
	test_expect_code 1 git push origin $STAGING >push.out 2>&1 && cat push.out &&
	test_grep "^rlpromote: $STAGING: decision $(short $forged): unsigned commit" push.out &&
	! grep -q "^remote:\|remote rejected\|pre-receive" push.out &&
	server_refs >refs.after && cmp refs.before refs.after &&
	! git --git-dir=$S cat-file -e $forged 2>/dev/null &&
	: without the client hook, the server still says no &&
	expect_rejected $STAGING "decision $(short $forged): unsigned commit" --no-verify origin $STAGING
'

test_expect_success 'hook install chains an existing pre-push hook and is idempotent' '
	fresh &&
	log=$PWD/../chained.log &&
	printf "#!/bin/sh\necho \"chained \$1\" >>\"%s\"\ncat >>\"%s\"\n" "$log" "$log" >.git/hooks/pre-push &&
	chmod +x .git/hooks/pre-push &&
	git rlpromote hook install >out && test_grep "runs first" out &&
	test -x .git/hooks/pre-push.rlpromote-chained &&
	cp .git/hooks/pre-push installed &&
	git rlpromote hook install >out && test_grep "already installed" out &&
	cmp installed .git/hooks/pre-push &&
	test $(grep -c "hook pre-push" .git/hooks/pre-push) = 1 &&
	test $(grep -c "rlpromote-chained" .git/hooks/pre-push) = 1 &&
	git checkout -q -b feature && git commit -q --allow-empty -m ordinary &&
	git push -q origin feature 2>/dev/null &&
	test $(grep -c "^chained origin" "$log") = 1 && test_grep "refs/heads/feature" "$log" &&
	git rlpromote promote v2 --to staging >/dev/null && git push -q origin $STAGING 2>/dev/null &&
	test $(grep -c "^chained origin" "$log") = 2 && test_grep "$STAGING $(git rev-parse $STAGING)" "$log" &&
	git rlpromote promote v3 --to staging >/dev/null &&
	forged=$(resign $STAGING mallory) && git update-ref $STAGING $forged &&
	test_expect_code 1 git push origin $STAGING >push.out 2>&1 &&
	test_grep "^rlpromote: $STAGING: decision $(short $forged): key is not in allowed signers" push.out &&
	test $(grep -c "^chained origin" "$log") = 3 &&
	: a chained hook that fails stops the push before ours &&
	printf "#!/bin/sh\necho no >&2\nexit 3\n" >.git/hooks/pre-push.rlpromote-chained &&
	test_expect_code 1 git push origin feature:feature2 >push.out 2>&1 &&
	! git --git-dir=$S rev-parse -q --verify refs/heads/feature2
'

test_done
