#!/usr/bin/env bash
# The production monitor: live windows of production compared with the
# baseline its decision names; a breach exits 1 and --rollback records a
# signed rollback with the breach as its reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup

# window.py <out> <n> <reward low> <errors per 1000> <latency factor> <actions>
cat >"$TEST_ROOT/window.py" <<'PY'
import json, sys
out, n, lo, errs, slow, acts = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6].split(",")
with open(out, "w") as f:
    for k in range(n):
        f.write(json.dumps({"id": "q%d" % k, "timestamp": "2026-03-02T10:%02d:%02dZ" % (k // 60 % 60, k % 60),
                            "reward": round(lo + 0.4 * (k % 97) / 97, 6), "error": k % 1000 < errs,
                            "latency_ms": (100 + k % 100) * slow, "action": acts[k % len(acts)]}) + "\n")
PY
window() { $PY "$TEST_ROOT/window.py" "$@"; }

REPO=$TEST_ROOT/repo
PROD=refs/rlpromote/stages/support-bot/production

test_expect_success 'setup: base in production, its live window, then v2' '
	git init -q "$REPO" && cd "$REPO" &&
	act_as promoter && git rlpromote init >/dev/null &&
	cp "$EXAMPLES/policy.yaml" .rlpromote/policy.yaml &&
	cat >>.rlpromote/policy.yaml <<-\YAML &&
	monitor: {alpha: 0.01, max_error_increase: 0.01, max_latency_ratio: 1.25, max_action_tv: 0.1, min_n: 200}
	YAML
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	git add -A && git commit -q -m policy &&
	for t in base v2; do git commit -q --allow-empty -m "$t" && git tag $t; done &&
	act_as lead &&
	git rlpromote promote base --to production --override --reason bootstrap >/dev/null &&
	act_as ci && window base.jsonl 2000 0.5 5 1 answer,tool:search,refuse &&
	git rlpromote monitor record production base.jsonl >out &&
	test_grep "^recorded live window .* of $(git rev-parse --short=12 base) on production (2000 requests)" out &&
	act_as lead &&
	git rlpromote promote v2 --to staging --override --reason "monitor test" >/dev/null &&
	git rlpromote promote v2 --to production --override --reason "monitor test" >/dev/null &&
	git cat-file -p $PROD:decision.json >d.json &&
	$PY -c "import json; assert json.load(open(\"d.json\"))[\"baseline\"] == \"$(git rev-parse base)\""
'

test_expect_success 'no live window of the candidate yet: exit 2' '
	cd "$REPO" &&
	test_expect_code 2 git rlpromote monitor check production 2>err &&
	test_grep "no live window of the candidate $(git rev-parse --short=12 v2)" err
'

test_expect_success 'a healthy window: OK' '
	cd "$REPO" && act_as ci &&
	window ok.jsonl 2000 0.5 6 1.05 answer,tool:search,refuse &&
	git rlpromote monitor record production ok.jsonl >/dev/null &&
	git rlpromote monitor check production >out &&
	test_grep "^OK  support-bot $(git rev-parse --short=12 v2) on production against baseline $(git rev-parse --short=12 base)" out &&
	test_grep "^latency_p99  ok .*1.050x <= 1.25" out
'

test_expect_success 'a degraded window: BREACH, exit 1, nothing changes' '
	cd "$REPO" && act_as ci &&
	window bad.jsonl 2000 0.42 40 1.6 answer,tool:search,tool:search,refuse &&
	git rlpromote monitor record production bad.jsonl >/dev/null &&
	before=$(git rev-parse $PROD) &&
	test_expect_code 1 git rlpromote monitor check production --json >m.json &&
	$PY -c "
import json; m = json.load(open(\"m.json\"))
s = {c[\"name\"]: c[\"state\"] for c in m[\"checks\"]}
assert m[\"breach\"] and m[\"rollback\"] is None, m
assert s == {\"reward\": \"breach\", \"error_rate\": \"breach\", \"latency_p99\": \"breach\", \"actions\": \"breach\"}, s
" &&
	test "$(git rev-parse $PROD)" = "$before"
'

test_expect_success 'monitor check --rollback: a signed rollback to the previous candidate' '
	cd "$REPO" && act_as promoter &&
	test_expect_code 1 git rlpromote monitor check production --rollback >out &&
	test_grep "^BREACH" out &&
	test_grep "^production: rollback to $(git rev-parse --short=12 base), decision" out &&
	test "$(git rlpromote current production)" = "$(git rev-parse base)" &&
	git rlpromote log production >log &&
	test_grep "rollback .*by promoter@example.com: monitor breach on production: reward: .*reward dropped; error_rate: .*; latency_p99: .*; actions: total variation" log &&
	git rlpromote verify --all >v.out && test_grep "^ok .*production" v.out &&
	git verify-commit $PROD 2>/dev/null
'

test_expect_success 'windows from before the decision are not its own' '
	cd "$REPO" && act_as lead &&
	sleep 1 && # run ids and decisions tell time to the second
	git rlpromote promote v2 --to production --override --reason "again" >/dev/null &&
	test_expect_code 2 git rlpromote monitor check production 2>err &&
	test_grep "no live window of the candidate" err &&
	act_as ci &&
	git rlpromote monitor record production bad.jsonl >/dev/null &&
	test_expect_code 1 git rlpromote monitor check production >/dev/null
'

test_expect_success 'a principal without the promote role cannot roll back' '
	cd "$REPO" && act_as ci &&
	test_expect_code 128 git rlpromote monitor check production --rollback 2>err &&
	test_grep "cannot roll back: .*may not promote" err
'

test_expect_success 'bad windows are refused with their line' '
	cd "$REPO" && act_as ci &&
	printf "{\"id\":\"a\",\"timestamp\":\"2026-03-02T10:00:00Z\",\"latency_ms\":\"slow\"}\n" >w.jsonl &&
	test_expect_code 128 git rlpromote monitor record production w.jsonl 2>err &&
	test_grep "w.jsonl:1: latency_ms: not a finite number >= 0" err
'

test_done
