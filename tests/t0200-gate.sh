#!/usr/bin/env bash
# git rlpromote gate and policy check on files: the bundled example's story,
# the output formats, exit codes, and bad input that must fail cleanly.
. "$(dirname "$0")/lib.sh"

gate_example() { # <candidate file> [extra args...]
	local cand=$1
	shift
	git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to staging \
		--candidate-results "$EXAMPLES/$cand" --baseline-results "$EXAMPLES/baseline.jsonl" \
		--run-metrics "$EXAMPLES/run-metrics.json" "$@"
}

test_expect_success 'runs as a git subcommand' '
	git rlpromote --version >out &&
	test_grep "^git-rlpromote version [0-9]" out &&
	test_expect_code 129 git rlpromote no-such-command 2>err &&
	test_grep "is not a command" err &&
	test_expect_code 129 git rlpromote
'

test_expect_success 'gate -h prints its synopsis and exits 0' '
	git rlpromote gate -h >out &&
	test_grep "or: git rlpromote gate --policy <file> --to <stage>" out &&
	test_expect_code 129 git rlpromote gate --policy x 2>err &&
	test_grep "required" err
'

test_expect_success 'candidate-v1 is NO-GO and the version_pin slice is named' '
	test_expect_code 1 gate_example candidate-v1.jsonl >out &&
	test_grep "^NO-GO" out &&
	test_grep "slice .version_pin. (+1 more FAIL): regressed" out &&
	test_expect_code 1 gate_example candidate-v1.jsonl --format json >v1.json &&
	$PY - v1.json <<-PY
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["verdict"] == "NO-GO", r["verdict"]
	rules = {x["id"]: x for x in r["rules"]}
	ni = rules["no-regress"]
	assert ni["verdict"] == "FAIL"
	bad = [s["slice"] for s in ni["slices"] if s["verdict"] == "FAIL"]
	assert "version_pin" in bad, bad
	for s in ni["slices"]:
	    for k in ("slice", "verdict", "estimate", "lower", "upper", "n", "reason"):
	        assert k in s, k
	assert rules["reward-model"]["verdict"] == "PASS"   # the reward model is happy
	assert rules["reward-model"]["severity"] == "warn"
	PY
'

test_expect_success 'candidate-v2 is GO with every blocking rule passing' '
	gate_example candidate-v2.jsonl --format json >v2.json &&
	$PY - v2.json <<-PY
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["verdict"] == "GO", r["verdict"]
	for x in r["rules"]:
	    assert set(["id","kind","verdict","estimate","lower","upper","n","reason"]) <= set(x)
	    if x["severity"] == "block":
	        assert x["verdict"] == "PASS", (x["id"], x["reason"])
	assert r["candidate"]["records"] == 3100 and r["baseline"]["ids"] == 3100
	PY
'

test_expect_success 'markdown report: verdict first, rules, then the slice table' '
	test_expect_code 1 gate_example candidate-v1.jsonl --format markdown >out.md &&
	head -n 1 out.md | grep -q "NO-GO" &&
	test_grep "^| Rule | Kind | Verdict" out.md &&
	test_grep "^| Slice | Rule | n | Candidate | Baseline" out.md &&
	test_grep "^| version_pin | .no-regress. |" out.md &&
	! grep -q "^$(printf "\t")" out.md
'

test_expect_success 'text report has no colour when NO_COLOR is set or not a tty' '
	gate_example candidate-v2.jsonl >out &&
	! grep -q "$(printf "\033")" out
'

test_expect_success 'HOLD exits 2: a baseline missing leaves comparisons undecided' '
	test_expect_code 2 git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to staging \
		--candidate-results "$EXAMPLES/candidate-v2.jsonl" \
		--run-metrics "$EXAMPLES/run-metrics.json" >out 2>err &&
	test_grep "^HOLD" out &&
	test_grep "no baseline results" out &&
	test_grep "no --baseline-results" err
'

test_expect_success 'policy check prints the normalized policy' '
	git rlpromote policy check "$EXAMPLES/policy.yaml" >norm.yaml &&
	test_grep "model: support-bot" norm.yaml &&
	git rlpromote policy check norm.yaml >norm2.yaml &&
	cmp norm.yaml norm2.yaml
'

test_expect_success 'policy check: located error, exit 1' '
	sed "s/max_rate: 0.01/max_rte: 0.01/" "$EXAMPLES/policy.yaml" >bad.yaml &&
	test_expect_code 1 git rlpromote policy check bad.yaml 2>err &&
	test_grep "^bad.yaml:[0-9]*:[0-9]*: .*max_rte" err
'

# Bad input: each gives a clear located error and exit 128, never a crash.
bad_results() { # <name> <content> <expected message pattern>
	printf "%b" "$2" >"$1"
	test_expect_code 128 git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to staging \
		--candidate-results "$1" --baseline-results "$EXAMPLES/baseline.jsonl" >out 2>err &&
	test_grep "$3" err &&
	! test -s out
}

test_expect_success 'malformed JSON names file and line' '
	bad_results c.jsonl "{\"id\":\"a\",\"scores\":{\"pass\":1}}\n{\"id\":" "c.jsonl:2:"
'
test_expect_success 'non-finite score is refused' '
	bad_results c.jsonl "{\"id\":\"a\",\"scores\":{\"pass\":1e999}}\n" "c.jsonl:1:.*finite"
'
test_expect_success 'duplicate id and epoch is refused' '
	bad_results c.jsonl "{\"id\":\"a\",\"scores\":{\"pass\":1}}\n{\"id\":\"a\",\"scores\":{\"pass\":0}}\n" "c.jsonl:2:.*duplicate"
'
test_expect_success 'wrong type is refused' '
	bad_results c.jsonl "{\"id\":7,\"scores\":{\"pass\":1}}\n" "c.jsonl:1:.*id"
'
test_expect_success 'empty results are refused' '
	bad_results c.jsonl "" "c.jsonl.*no records"
'
test_expect_success 'a huge line is refused without reading it whole' '
	$PY -c "import sys; sys.stdout.write(\"{\\\"id\\\":\\\"\" + \"x\" * (17 << 20) + \"\\\"}\\n\")" >huge.jsonl &&
	test_expect_code 128 git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to staging \
		--candidate-results huge.jsonl >out 2>err &&
	test_grep "huge.jsonl:1:.*longer than" err
'
test_expect_success 'missing file, bad run metrics, unknown stage' '
	test_expect_code 128 git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to staging \
		--candidate-results nope.jsonl 2>err &&
	test_grep "nope.jsonl" err &&
	echo "{\"kl_to_base\": \"high\", \"repeats\": -1}" >run.json &&
	test_expect_code 128 git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to staging \
		--candidate-results "$EXAMPLES/candidate-v2.jsonl" --run-metrics run.json 2>err &&
	test_grep "run.json" err &&
	test_expect_code 128 git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to canary \
		--candidate-results "$EXAMPLES/candidate-v2.jsonl" 2>err &&
	test_grep "canary" err
'
test_expect_success 'a slice with no records is an ERROR verdict, not a crash' '
	grep -v "\"formatting\"" "$EXAMPLES/candidate-v2.jsonl" >noformat.jsonl &&
	test_expect_code 2 git rlpromote gate --policy "$EXAMPLES/policy.yaml" --to staging \
		--candidate-results noformat.jsonl --baseline-results "$EXAMPLES/baseline.jsonl" \
		--run-metrics "$EXAMPLES/run-metrics.json" --format json >out.json &&
	$PY -c "
import json; r = json.load(open(\"out.json\"))
ni = {x[\"id\"]: x for x in r[\"rules\"]}[\"no-regress\"]
s = {x[\"slice\"]: x for x in ni[\"slices\"]}[\"formatting\"]
assert s[\"verdict\"] == \"ERROR\", s
assert \"no candidate records\" in s[\"reason\"], s
"
'

test_done
