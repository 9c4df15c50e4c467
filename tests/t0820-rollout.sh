#!/usr/bin/env bash
# Staged rollout: 5% -> 25% -> 100%, each step a signed decision taken on
# the traffic of the step before; the canary stage carries the share.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup

# traffic.py <out> <n> <hours> <win%> <tie%> <prefix>
cat >"$TEST_ROOT/traffic.py" <<'PY'
import json, sys, datetime
out, n, hours, win, tie, prefix = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
t0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
with open(out, "w") as f:
    for k in range(n):
        r = k % 100
        j = "win" if r < win else "tie" if r < win + tie else "loss"
        at = t0 + datetime.timedelta(seconds=k * hours * 3600 / (n - 1))
        f.write(json.dumps({"id": "%s-%d" % (prefix, k), "session": "s%d" % (k % 50),
                            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "judge": j}) + "\n")
PY
traffic() { $PY "$TEST_ROOT/traffic.py" "$@"; }

REPO=$TEST_ROOT/repo
CANARY=refs/rlpromote/stages/support-bot/canary
PROD=refs/rlpromote/stages/support-bot/production

current_json() { # <stage> <python assertions on c>
	git rlpromote current "$1" --json >cur.json &&
	$PY -c "import json; c = json.load(open(\"cur.json\")); $2"
}

test_expect_success 'setup: a policy with a rollout, base in production, v2 in staging' '
	git init -q "$REPO" && cd "$REPO" &&
	act_as promoter && git rlpromote init >/dev/null &&
	sed -e "s/^stages: .*/stages: [development, staging, canary, production]/" \
	    -e "/^  production:$/,\$d" "$EXAMPLES/policy.yaml" >.rlpromote/policy.yaml &&
	cat >>.rlpromote/policy.yaml <<-\YAML &&
	  production:
	    from: staging
	    baseline: production
	    rollout: {stage: canary, steps: [5, 25, 100]}
	    rules:
	      - {id: shadow, kind: shadow_compare, metric: win, min_n: 500, min_duration: 1h, noninferiority_margin: 0.02}
	YAML
	git rlpromote policy check .rlpromote/policy.yaml >norm &&
	test_grep "rollout: {stage: canary, steps: \[5, 25, 100\]}" norm &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	git add -A && git commit -q -m policy &&
	for t in base v2 v3; do git commit -q --allow-empty -m "$t" && git tag $t; done &&
	act_as lead &&
	git rlpromote promote base --to production --override --reason bootstrap >/dev/null &&
	git rlpromote promote v2 --to staging --override --reason "rollout test" >/dev/null
'

test_expect_success 'step 1: shadow traffic takes the candidate to 5% on canary' '
	cd "$REPO" && act_as ci &&
	traffic s0.jsonl 600 2 48 14 s0 &&
	git rlpromote shadow record --candidate v2 s0.jsonl >out &&
	test_grep "at 0% of the traffic" out &&
	git rlpromote gate v2 --to production >gate.out &&
	test_grep "^GO" gate.out &&
	act_as promoter && git rlpromote promote v2 --to production >out &&
	test_grep "^canary: promote" out &&
	current_json canary "
assert c[\"candidate\"] == \"$(git rev-parse v2)\" and c[\"traffic_share\"] == 5, c
assert c[\"rollout\"] == {\"promotion\": \"production\", \"step\": 1, \"steps\": [5, 25, 100]}, c
" &&
	test "$(git rlpromote current production)" = "$(git rev-parse base)" &&
	current_json production "assert c[\"traffic_share\"] == 100 and \"rollout\" not in c, c"
'

test_expect_success 'the next step needs traffic at 5%' '
	cd "$REPO" &&
	test_expect_code 2 git rlpromote gate v2 --to production >out 2>err &&
	test_grep "rollout step to 25%: 1 batches at other traffic shares than 5% left out" err &&
	test_grep "no shadow traffic for the candidate" out &&
	act_as promoter &&
	test_expect_code 1 git rlpromote promote v2 --to production 2>err &&
	test_grep "the gate says HOLD" err
'

test_expect_success 'step 2: canary traffic at 5% takes it to 25%' '
	cd "$REPO" && act_as ci &&
	traffic c5.jsonl 600 2 48 14 c5 &&
	git rlpromote shadow record --candidate v2 c5.jsonl >out &&
	test_grep "at 5% of the traffic" out &&
	act_as promoter && git rlpromote promote v2 --to production >out &&
	test_grep "^canary: promote" out &&
	current_json canary "assert c[\"traffic_share\"] == 25 and c[\"rollout\"][\"step\"] == 2, c" &&
	git rlpromote status >status.out &&
	test_grep "^canary .*$(git rev-parse --short=12 v2) *promote *GO *25% " status.out &&
	test_grep "^production .*100% " status.out
'

test_expect_success 'step 3: at 25%, worse than production: NO-GO, the share stays' '
	cd "$REPO" && act_as ci &&
	traffic c25bad.jsonl 600 2 30 5 c25bad &&
	git rlpromote shadow record --candidate v2 --share 25 c25bad.jsonl >/dev/null &&
	test_expect_code 1 git rlpromote gate v2 --to production >out &&
	test_grep "worse than production" out &&
	act_as promoter &&
	test_expect_code 1 git rlpromote promote v2 --to production 2>err &&
	current_json canary "assert c[\"traffic_share\"] == 25, c"
'

test_expect_success 'step 3 again on good traffic: production at 100%' '
	cd "$REPO" && cp -R "$REPO" "$TEST_ROOT/good" && cd "$TEST_ROOT/good" &&
	act_as ci &&
	git update-ref refs/rlpromote/runs/ci-example.com refs/rlpromote/runs/ci-example.com~1 &&
	traffic c25.jsonl 600 2 48 14 c25 &&
	git rlpromote shadow record --candidate v2 c25.jsonl >/dev/null &&
	act_as promoter && git rlpromote promote v2 --to production >out &&
	test_grep "^production: promote" out &&
	current_json production "
assert c[\"candidate\"] == \"$(git rev-parse v2)\" and c[\"traffic_share\"] == 100, c
assert c[\"rollout\"][\"step\"] == 3, c
" &&
	git cat-file -p $PROD:decision.json >d.json &&
	$PY -c "
import json; d = json.load(open(\"d.json\"))
assert d[\"rollout\"][\"evidence_share\"] == 25 and d[\"stage\"] == \"production\", d
" &&
	git rlpromote log canary >log && test $(wc -l <log) = 2 &&
	git rlpromote verify --all >v.out &&
	test_grep "^ok .*canary" v.out && test_grep "^ok .*production" v.out
'

test_expect_success 'a server with the hook takes the whole rollout' '
	cd "$TEST_ROOT/good" && srv=$TEST_ROOT/srv.git &&
	git init -q --bare "$srv" &&
	git --git-dir="$srv" symbolic-ref HEAD refs/heads/main &&
	git rlpromote hook install --server "$srv" >/dev/null &&
	git push -q "$srv" HEAD:refs/heads/main &&
	git push "$srv" refs/rlpromote/runs/ci-example.com refs/rlpromote/stages/support-bot/staging \
		$CANARY $PROD >push.out 2>&1 &&
	test "$(git --git-dir="$srv" rev-parse $PROD)" = "$(git rev-parse $PROD)"
'

test_expect_success 'verify refuses a step to 100% that names no step before it' '
	cp -R "$TEST_ROOT/good" "$TEST_ROOT/forged" && cd "$TEST_ROOT/forged" &&
	git cat-file -p $PROD:decision.json | $PY -c "
import json, sys; d = json.load(sys.stdin); del d[\"rollout\"][\"from_decision\"]
print(json.dumps(d, indent=2))" >dj &&
	blob=$(git hash-object -w dj) &&
	tree=$(git ls-tree $PROD | sed "s/[0-9a-f]\{40\}\tdecision.json/$blob\tdecision.json/" | git mktree) &&
	parents= && for p in $(git show -s --format=%P $PROD); do parents="$parents -p $p"; done &&
	new=$(git show -s --format=%B $PROD | git -c user.name=promoter -c user.email=promoter@example.com \
		-c gpg.format=ssh -c user.signingKey="$KEYS/promoter" commit-tree -S $parents $tree) &&
	git update-ref $PROD $new &&
	test_expect_code 1 git rlpromote verify >v.out &&
	test_grep "FAILED .*production.*names no decision that gave 25%" v.out
'

test_expect_success 'verify refuses a step the rollout does not have' '
	cd "$TEST_ROOT/good" &&
	git config rlpromote.trustedRef HEAD &&
	sed -i "s/steps: \[5, 25, 100\]/steps: [10, 25, 100]/" .rlpromote/policy.yaml &&
	git commit -qam "other steps" &&
	test_expect_code 1 git rlpromote verify --all >v.out &&
	test_grep "FAILED .*canary.*5% on stage .canary. is not a step of the rollout to .production." v.out
'

test_done
