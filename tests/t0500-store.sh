#!/usr/bin/env bash
# The git-backed store: init, freeze, record, gate, promote, status,
# current, verify, rollback, notes; signed commits git verify-commit accepts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup

# A repository with the example policy, its signers and a frozen env; the
# candidate commits pin an artifact.
make_repo() { # <dir>
	git init -q "$1" && cd "$1" &&
	act_as promoter &&
	git rlpromote init >/dev/null &&
	sed -e "s/^model: support-bot/model: support-bot\nartifact: model.yaml/" \
		"$EXAMPLES/policy.yaml" >.rlpromote/policy.yaml &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	mkdir -p env/fixtures env/heldout env/graders &&
	echo '{"q":"search","a":"ok"}' >env/fixtures/search.jsonl &&
	echo '{"id":"q-0001"}' >env/heldout/inputs.jsonl &&
	echo 'print(1)' >env/graders/unit.py &&
	cat >env/env.yaml <<-YAML &&
	version: 1
	name: support-v3
	seed: 1234
	time: "2026-01-01T00:00:00Z"
	decoding: {temperature: 0}
	tools: {search: {fixture: fixtures/search.jsonl}}
	inputs: heldout/inputs.jsonl
	graders: [{name: unit, kind: programmatic, path: graders/unit.py}]
	YAML
	git add -A && git commit -q -m "policy and env" &&
	act_as ci && git rlpromote env freeze env/env.yaml >/dev/null &&
	candidate base 1 && candidate v1 2 && candidate v2 3
}

candidate() { # <tag> <n>: a commit pinning a model file
	printf 'uri: s3://models/support-bot/%s.safetensors\nsha256: %s\n' "$1" \
		"$(printf 'weights %s' "$1" | sha256sum | cut -d' ' -f1)" >model.yaml &&
	printf 'weights %s' "$1" >"$TEST_ROOT/$1.safetensors" &&
	git add model.yaml && git commit -q -m "candidate $1" && git tag "$1"
}

record() { # <tag> <results file>
	act_as ci && git rlpromote eval record --env support-v3 --candidate "$1" \
		--run-metrics "$EXAMPLES/run-metrics.json" "$EXAMPLES/$2"
}

test_expect_success 'init is idempotent and sets refspecs and the writer' '
	git init -q r && cd r && git config user.email "Dev.One@example.com" &&
	git rlpromote init >out &&
	test_grep "wrote .rlpromote/policy.yaml" out &&
	test_grep "writer: Dev.One-example.com" out &&
	echo "# mine" >>.rlpromote/policy.yaml &&
	git rlpromote init >out2 && test_grep "already set up" out2 &&
	tail -n 1 .rlpromote/policy.yaml | grep -q "# mine" &&
	git rlpromote init --writer ci-runner-7 >out3 &&
	test "$(git config rlpromote.writer)" = ci-runner-7 &&
	git config --get-all remote.origin.fetch | grep -q "refs/rlpromote-remote/origin" &&
	git config --get-all remote.origin.push | grep -q "^refs/rlpromote/\*:refs/rlpromote/\*$" &&
	git rlpromote policy check .rlpromote/policy.yaml >/dev/null
'

test_expect_success 'the walk: record, gate, NO-GO, fix, promote, status, verify' '
	make_repo "$TEST_ROOT/repo" &&
	record base baseline.jsonl >/dev/null &&
	act_as lead &&
	git rlpromote promote base --to production --override --reason "initial deployment" >out &&
	test_grep "production: override" out &&
	record v1 candidate-v1.jsonl >/dev/null &&
	test_expect_code 1 git rlpromote gate v1 --to staging >gate.out &&
	test_grep "^NO-GO" gate.out && test_grep "version_pin" gate.out &&
	act_as promoter &&
	test_expect_code 1 git rlpromote promote v1 --to staging 2>err &&
	test_grep "the gate says NO-GO" err &&
	test_expect_code 1 git rev-parse -q --verify refs/rlpromote/stages/support-bot/staging &&
	record v2 candidate-v2.jsonl >/dev/null &&
	git rlpromote gate v2 --to staging --format json >g.json &&
	$PY -c "import json; assert json.load(open(\"g.json\"))[\"verdict\"] == \"GO\"" &&
	act_as promoter && git rlpromote promote v2 --to staging >out &&
	test_grep "staging: promote" out &&
	git rlpromote status >status.out &&
	test_grep "^staging .*$(git rev-parse --short=12 v2).*promote.*GO" status.out &&
	test_grep "^production .*override" status.out &&
	git rlpromote current staging >cur && test "$(cat cur)" = "$(git rev-parse v2)" &&
	git rlpromote current staging --json >cur.json &&
	$PY -c "
import json; c = json.load(open(\"cur.json\"))
assert c[\"verified\"] and c[\"artifact\"][\"uri\"].endswith(\"v2.safetensors\"), c" &&
	git rlpromote verify-artifact staging "$TEST_ROOT/v2.safetensors" &&
	test_expect_code 1 git rlpromote verify-artifact staging "$TEST_ROOT/v1.safetensors" &&
	git rlpromote verify --all >v.out &&
	test_grep "^ok .*staging" v.out && test_grep "^ok .*production" v.out
'

test_expect_success 'every commit we signed passes git verify-commit; fsck is clean' '
	cd "$TEST_ROOT/repo" &&
	for ref in $(git for-each-ref --format="%(refname)" refs/rlpromote); do
		git verify-commit "$ref" 2>/dev/null || { echo "not verified: $ref"; exit 1; }
	done &&
	git fsck --strict 2>&1 | { ! grep -v "^Checking\|dangling"; }
'

test_expect_success 'git log --notes=rlpromote shows the summaries' '
	cd "$TEST_ROOT/repo" && git log --notes=rlpromote -1 v2 >log &&
	test_grep "rlpromote: promote staging GO by promoter@example.com" log
'

test_expect_success 'promotion to production needs the candidate to hold staging' '
	cd "$TEST_ROOT/repo" && act_as promoter &&
	test_expect_code 1 git rlpromote promote v1 --to production 2>err &&
	test_grep "does not hold stage .staging." err
'

test_expect_success 'a principal without the role cannot promote or override' '
	cd "$TEST_ROOT/repo" && act_as ci &&
	test_expect_code 1 git rlpromote promote v2 --to staging --override --reason x 2>err &&
	test_grep "may not override" err &&
	act_as mallory &&
	test_expect_code 1 git rlpromote promote base --to staging --override --reason x 2>err &&
	test_grep "would not be accepted" err
'

test_expect_success 'rollback needs a reason and returns the previous candidate' '
	cd "$TEST_ROOT/repo" && act_as promoter &&
	test_expect_code 129 git rlpromote rollback production 2>/dev/null;
	act_as lead && git rlpromote promote v2 --to production --override --reason "hotfix" >/dev/null &&
	act_as promoter &&
	git rlpromote rollback production --reason "latency regression in prod" >out &&
	test "$(git rlpromote current production)" = "$(git rev-parse base)" &&
	git rlpromote log production >log && test $(wc -l <log) = 3 &&
	test_grep "rollback .*latency regression" log
'

test_expect_success 'a stage the policy lacks is a clear error, not a crash' '
	cd "$TEST_ROOT/repo" && act_as promoter &&
	test_expect_code 128 git rlpromote promote v2 --to canary 2>err &&
	test_grep "no promotion to stage .canary." err &&
	test_expect_code 128 git rlpromote promote v2 --to canary --override --reason x 2>err
'

test_expect_success 'runs not signed by an eval signer are not evidence' '
	cd "$TEST_ROOT/repo" &&
	git commit -q --allow-empty -m "v3" && git tag v3 &&
	act_as promoter &&
	git config rlpromote.writer promoter-writes-evals &&
	git rlpromote eval record --env support-v3 --candidate v3 \
		--run-metrics "$EXAMPLES/run-metrics.json" "$EXAMPLES/candidate-v2.jsonl" >/dev/null &&
	git config --unset rlpromote.writer &&
	test_expect_code 128 git rlpromote gate v3 --to staging 2>err &&
	test_grep "1 not signed by an eval signer" err &&
	test_expect_code 1 git rlpromote promote v3 --to staging 2>err &&
	test_grep "not promoting" err
'

test_expect_success 'tampered evidence fails verify' '
	cd "$TEST_ROOT/repo" &&
	ref=refs/rlpromote/stages/support-bot/staging &&
	git rlpromote verify >/dev/null &&
	git config rlpromote.trustedRef HEAD &&
	sed -i "s/max_rate: 0.01/max_rate: 0.0/" .rlpromote/policy.yaml &&
	sed -i "s/min: 0.85}/min: 0.99}/" .rlpromote/policy.yaml &&
	git commit -qam "stricter policy" &&
	test_expect_code 1 git rlpromote verify >v.out &&
	test_grep "FAILED .*staging.*recomputes to NO-GO" v.out
'

test_done
