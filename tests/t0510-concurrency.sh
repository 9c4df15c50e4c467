#!/usr/bin/env bash
# Many processes recording runs and promoting at once: every ref write is a
# compare-and-swap, so nothing is lost; losers retry or fail clearly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup

test_expect_success 'setup: a repository with an env and eight candidates' '
	git init -q "$TEST_ROOT/repo" && cd "$TEST_ROOT/repo" && act_as ci &&
	git rlpromote init >/dev/null &&
	cp "$EXAMPLES/policy.yaml" .rlpromote/policy.yaml &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	mkdir env && echo "{}" >env/in.jsonl &&
	printf "version: 1\nname: support-v3\nseed: 1\ntime: \"2026-01-01T00:00:00Z\"\ndecoding: {temperature: 0}\ninputs: in.jsonl\ngraders: [{name: u, kind: programmatic, path: in.jsonl}]\n" >env/env.yaml &&
	git add -A && git commit -qm setup &&
	git rlpromote env freeze env/env.yaml >/dev/null &&
	for i in 1 2 3 4 5 6 7 8; do
		git commit -q --allow-empty -m "candidate $i" && git tag "c$i" || exit 1
	done
'

test_expect_success 'eight concurrent eval records on one writer chain: none lost' '
	cd "$TEST_ROOT/repo" &&
	for i in 1 2 3 4 5 6 7 8; do
		git rlpromote eval record --env support-v3 --candidate "c$i" \
			--run-metrics "$EXAMPLES/run-metrics.json" "$EXAMPLES/candidate-v2.jsonl" \
			>"rec$i.out" 2>"rec$i.err" &
	done &&
	wait &&
	for i in 1 2 3 4 5 6 7 8; do
		test_grep "recorded run" "rec$i.out" || exit 1
	done &&
	git ls-tree -r --name-only refs/rlpromote/runs/ci-example.com | grep -c run.json >n &&
	test "$(cat n)" = 8 &&
	for i in 1 2 3 4 5 6 7 8; do
		git log --notes=rlpromote --format=%N -1 "c$i" | grep -q "rlpromote: eval support-v3@1" || exit 1
	done
'

test_expect_success 'concurrent promotions of one stage: exactly the winners land, losers are told' '
	cd "$TEST_ROOT/repo" &&
	git rlpromote eval record --env support-v3 --candidate c1 "$EXAMPLES/baseline.jsonl" >/dev/null &&
	act_as lead && git rlpromote promote c1 --to production --override --reason bootstrap >/dev/null &&
	act_as promoter &&
	for i in 2 3 4 5 6; do
		git rlpromote promote "c$i" --to staging >"p$i.out" 2>"p$i.err" &
	done &&
	wait &&
	won=$(cat p*.out | grep -c "staging: promote") &&
	lost=$(cat p*.err | grep -c "stage moved while deciding") &&
	echo "won $won lost $lost" &&
	test "$won" -ge 1 && test $((won + lost)) = 5 &&
	test "$(git rev-list --count --first-parent refs/rlpromote/stages/support-bot/staging)" -ge "$won" &&
	git rlpromote verify --all >v.out &&
	! grep -q FAILED v.out
'

test_expect_success 'concurrent runs of one candidate keep every note line' '
	cd "$TEST_ROOT/repo" &&
	for i in 1 2 3 4 5 6; do
		git rlpromote eval record --env support-v3 --candidate c8 "$EXAMPLES/candidate-v1.jsonl" \
			>/dev/null 2>&1 &
	done &&
	wait &&
	test "$(git log --notes=rlpromote --format=%N -1 c8 | grep -c "rlpromote: eval")" = 7
'

test_done
