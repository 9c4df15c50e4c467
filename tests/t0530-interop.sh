#!/usr/bin/env bash
# Two clones exchange envs, runs and decisions with plain git push and git
# fetch after init; sync verifies before it fast-forwards; notes merge.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup

clone_as() { # <dir> <who>
	git clone -q "$TEST_ROOT/server.git" "$1" && cd "$1" && act_as "$2" &&
	git rlpromote init >/dev/null
}

test_expect_success 'clone A: policy, env, runs and two decisions, pushed with plain git push' '
	git init -q --bare "$TEST_ROOT/server.git" &&
	git clone -q "$TEST_ROOT/server.git" "$TEST_ROOT/a" 2>/dev/null && cd "$TEST_ROOT/a" &&
	act_as promoter && git rlpromote init >/dev/null &&
	cp "$EXAMPLES/policy.yaml" .rlpromote/policy.yaml &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	cp -r "$EXAMPLES/env" env && mkdir model &&
	cp "$EXAMPLES/models/baseline.json" model/behaviour.json &&
	git add -A && git commit -qm "setup" && git tag prod &&
	act_as ci && git rlpromote env freeze env/env.yaml >/dev/null &&
	git rlpromote eval run --env support-v3 --candidate prod --repeat 2 >/dev/null 2>&1 &&
	act_as lead && git rlpromote promote prod --to production --override --reason bootstrap >/dev/null &&
	cp "$EXAMPLES/models/candidate-v2.json" model/behaviour.json &&
	git commit -qam "v2" && git tag v2 &&
	act_as ci && git rlpromote eval run --env support-v3 --candidate v2 --repeat 2 >/dev/null 2>&1 &&
	act_as promoter && git rlpromote promote v2 --to staging >/dev/null &&
	git push -q origin 2>err && git push -q origin --tags &&
	git --git-dir="$TEST_ROOT/server.git" for-each-ref --format="%(refname)" refs/rlpromote refs/notes >server.refs &&
	test_grep "refs/rlpromote/stages/support-bot/staging" server.refs &&
	test_grep "refs/rlpromote/envs/support-v3" server.refs &&
	test_grep "refs/rlpromote/runs/ci-example.com" server.refs &&
	test_grep "refs/notes/rlpromote" server.refs
'

test_expect_success 'clone B: plain git fetch puts them aside, sync verifies and fast-forwards' '
	clone_as "$TEST_ROOT/b" promoter &&
	git fetch -q origin &&
	test_expect_code 1 git rev-parse -q --verify refs/rlpromote/stages/support-bot/staging &&
	git rev-parse -q --verify refs/rlpromote-remote/origin/stages/support-bot/staging >/dev/null &&
	git rlpromote sync >out &&
	test_grep "^fast-forward *refs/rlpromote/stages/support-bot/staging (1 new, verified)" out &&
	test_grep "^fast-forward *refs/rlpromote/envs/support-v3" out &&
	test "$(git rlpromote current staging)" = "$(git rev-parse v2)" &&
	git rlpromote verify --all >/dev/null &&
	git log --notes=rlpromote --format=%N -1 v2 | grep -q "promote staging GO" &&
	git rlpromote sync >again && test_grep "^up to date" again && ! grep -q fast-forward again
'

test_expect_success 'B decides, pushes; A fetches and syncs' '
	cd "$TEST_ROOT/b" && act_as lead &&
	git rlpromote promote v2 --to production --override --reason "ship it" >/dev/null &&
	git push -q origin 2>/dev/null &&
	cd "$TEST_ROOT/a" && git fetch -q origin && git rlpromote sync >out &&
	test_grep "^fast-forward *refs/rlpromote/stages/support-bot/production (1 new, verified)" out &&
	test "$(git rlpromote current production)" = "$(git rev-parse v2)"
'

test_expect_success 'sync rejects a fetched decision that does not verify, and moves nothing' '
	cd "$TEST_ROOT/b" &&
	git update-ref refs/rlpromote/stages/support-bot/staging refs/rlpromote/stages/support-bot/staging &&
	tip=$(git rev-parse refs/rlpromote/stages/support-bot/staging) &&
	git cat-file commit $tip | sed "/^gpgsig/,/END SSH SIGNATURE/d" >unsigned &&
	forged=$(git hash-object -t commit -w unsigned) &&
	git update-ref refs/rlpromote-remote/origin/stages/support-bot/staging $forged &&
	git update-ref -d refs/rlpromote/stages/support-bot/staging &&
	test_expect_code 1 git rlpromote sync >out &&
	test_grep "^REJECTED *refs/rlpromote/stages/support-bot/staging: .*unsigned" out &&
	test_expect_code 1 git rev-parse -q --verify refs/rlpromote/stages/support-bot/staging
'

test_expect_success 'diverged chains are reported, not overwritten' '
	cd "$TEST_ROOT/a" &&
	git update-ref refs/rlpromote-remote/origin/envs/support-v3 refs/rlpromote-remote/origin/envs/support-v3 &&
	act_as ci && sed -i "s/seed: 1234/seed: 1235/" env/env.yaml &&
	git rlpromote env freeze env/env.yaml >/dev/null &&
	git checkout -q env/env.yaml &&
	cd "$TEST_ROOT/b" && act_as ci && sed -i "s/seed: 1234/seed: 99/" env/env.yaml &&
	git rlpromote env freeze env/env.yaml >/dev/null && git push -q origin 2>/dev/null &&
	cd "$TEST_ROOT/a" && git fetch -q origin &&
	local_env=$(git rev-parse refs/rlpromote/envs/support-v3) &&
	test_expect_code 1 git rlpromote sync >out &&
	test_grep "^DIVERGED *refs/rlpromote/envs/support-v3" out &&
	test "$(git rev-parse refs/rlpromote/envs/support-v3)" = "$local_env"
'

test_done
