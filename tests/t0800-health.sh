#!/usr/bin/env bash
# RL health end to end: derived metrics in rules, verdicts, and the reports.
. "$(dirname "$0")/lib.sh"

cat >"$TEST_ROOT/policy.yaml" <<'YAML'
version: 1
model: support-bot
stages: [development, staging, production]
health: {reward: rm, human: human_pref, verifier: unit_tests, hack_threshold: 0.8}
promotions:
  staging:
    from: development
    baseline: production
    rules:
      - {id: kl, kind: range, metric: derived.kl_k3, max: 0.2}
      - {id: collapse, kind: rate_cap, metric: derived.collapsed, max_rate: 0.05}
      - {id: diverse, kind: aggregate_threshold, metric: derived.distinct_2, min: 0.5, severity: warn}
      - {id: tax, kind: range, metric: derived.alignment_tax, max: 0.1}
      - {id: hacking, kind: rate_cap, metric: derived.reward_hack, max_rate: 0.01}
YAML

# results.py <dir> <kl nats> <collapsed ids> <rm jump> <human jump> <suspects>
cat >"$TEST_ROOT/results.py" <<'PY'
import json, sys
out, kl, collapsed, rm_jump, human_jump, suspects = sys.argv[1], *map(float, sys.argv[2:])
with open(out + "/cand.jsonl", "w") as c, open(out + "/base.jsonl", "w") as b:
    for k in range(400):
        hack = k < suspects
        for e in range(4):
            c.write(json.dumps({"id": "q-%04d" % k, "epoch": e,
                "output": "pip install foo==1.2" if k < collapsed else "answer %d for %d" % (e, k),
                "logprob": -40.0, "ref_logprob": -40.0 - kl,
                "scores": {"rm": 0.9 if hack else 0.6 + rm_jump,
                           "human_pref": 0.7 + human_jump, "unit_tests": not hack}}) + "\n")
        b.write(json.dumps({"id": "q-%04d" % k,
                            "scores": {"rm": 0.6, "human_pref": 0.7, "unit_tests": True}}) + "\n")
PY

gate() { # <dir> [--format ...]
	local d=$1
	shift
	git rlpromote gate --policy "$TEST_ROOT/policy.yaml" --to staging \
		--candidate-results "$d/cand.jsonl" --baseline-results "$d/base.jsonl" "$@"
}

verdicts() { # rule=VERDICT ... from a JSON report on stdin
	$PY -c 'import json, sys; print(" ".join("%s=%s" % (r["id"], r["verdict"]) for r in json.load(sys.stdin)["rules"]))'
}

test_expect_success 'a healthy candidate is GO' '
	$PY "$TEST_ROOT/results.py" . 0.01 0 0.05 0.05 0 &&
	gate . --format json >g.json &&
	verdicts <g.json >got &&
	echo "kl=PASS collapse=PASS diverse=PASS tax=PASS hacking=PASS" >want &&
	diff want got &&
	$PY -c "import json; assert json.load(open(\"g.json\"))[\"verdict\"] == \"GO\""
'

test_expect_success 'a KL of 1.5 nats fails max 0.2' '
	$PY "$TEST_ROOT/results.py" . 1.5 0 0 0 0 &&
	test_expect_code 1 gate . >out &&
	test_grep "^NO-GO" out &&
	test_grep "^kl  *range  *FAIL  *0.7231 .*0.7231 not <= 0.2" out
'

test_expect_success 'a collapsed candidate: collapsed rate 1, distinct-2 low' '
	$PY "$TEST_ROOT/results.py" . 0.01 400 0 0 0 &&
	test_expect_code 1 gate . --format json >g.json &&
	$PY -c "
import json; r = {x[\"id\"]: x for x in json.load(open(\"g.json\"))[\"rules\"]}
assert r[\"collapse\"][\"verdict\"] == \"FAIL\" and r[\"collapse\"][\"estimate\"] == 1, r[\"collapse\"]
assert r[\"diverse\"][\"verdict\"] == \"FAIL\" and r[\"diverse\"][\"estimate\"] == 0.25, r[\"diverse\"]
assert r[\"diverse\"][\"severity\"] == \"warn\"
"
'

test_expect_success 'a reward jump of 0.23 with flat human preference: tax 0.23 fails' '
	$PY "$TEST_ROOT/results.py" . 0.01 0 0.23 0 0 &&
	test_expect_code 1 gate . >out &&
	test_grep "^tax  *range  *FAIL  *0.23 .*(rm +0.2300, human_pref +0.0000 on 400 ids)" out
'

test_expect_success 'reward-hacking suspects are listed, at most 20, with a count' '
	$PY "$TEST_ROOT/results.py" . 0.01 0 0.05 0.05 25 &&
	test_expect_code 1 gate . >out &&
	test_grep "reward-hacking suspects (25): q-0000, q-0001, .*, q-0019 and 5 more" out &&
	test_expect_code 1 gate . --format json >g.json &&
	$PY -c "
import json; r = [x for x in json.load(open(\"g.json\"))[\"rules\"] if x[\"id\"] == \"hacking\"][0]
s = r[\"suspects\"]
assert s[\"count\"] == 25 and len(s[\"ids\"]) == 20 and s[\"truncated\"], s
assert s[\"ids\"][0] == \"q-0000\"
" &&
	test_expect_code 1 gate . --format markdown >g.md &&
	test_grep "^\*\*Reward-hacking suspects\*\* (\`hacking\`, 25): \`q-0000\` .*and 5 more$" g.md
'

test_expect_success 'health keys are checked where they are used' '
	sed "s/^health:.*$/health: {reward: rm}/" "$TEST_ROOT/policy.yaml" >p.yaml &&
	test_expect_code 1 git rlpromote policy check p.yaml 2>err &&
	test_grep "p.yaml:13:40: rule .tax.: .derived.alignment_tax. needs .health.reward. and .health.human." err
'

test_done
