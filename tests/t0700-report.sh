#!/usr/bin/env bash
# Reports people would rather look at: the HTML report (well-formed,
# deterministic, self-contained, and drawn by a real browser), the markdown
# link to it, `diff` against hand-computed paired statistics, and progress
# bars that appear on a terminal only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup

REPO=$TEST_ROOT/repo

# The example policy, its signers and a frozen env; base holds production,
# v1 (NO-GO) and v2 (GO) have signed runs.
make_repo() {
	git init -q "$REPO" && cd "$REPO" &&
	act_as promoter &&
	git rlpromote init >/dev/null &&
	cp "$EXAMPLES/policy.yaml" .rlpromote/policy.yaml &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	mkdir -p env/fixtures env/heldout env/graders &&
	echo '{"q":"search","a":"ok"}' >env/fixtures/search.jsonl &&
	echo '{"id":"q-0001"}' >env/heldout/inputs.jsonl &&
	echo 'print(1)' >env/graders/unit.py &&
	printf '%s\n' 'version: 1' 'name: support-v3' 'seed: 1234' 'time: "2026-01-01T00:00:00Z"' \
		'decoding: {temperature: 0}' 'tools: {search: {fixture: fixtures/search.jsonl}}' \
		'inputs: heldout/inputs.jsonl' \
		'graders: [{name: unit, kind: programmatic, path: graders/unit.py}]' >env/env.yaml &&
	git add -A && git commit -q -m "policy and env" &&
	act_as ci && git rlpromote env freeze env/env.yaml >/dev/null &&
	for c in base v1 v2; do
		git commit -q --allow-empty -m "candidate $c" && git tag $c || return 1
	done &&
	record base baseline.jsonl && record v1 candidate-v1.jsonl && record v2 candidate-v2.jsonl &&
	act_as lead &&
	git rlpromote promote base --to production --override --reason "initial" >/dev/null &&
	act_as ci
}

record() { # <tag> <results file in examples/ or a path>
	local f=$2
	[ -f "$f" ] || f=$EXAMPLES/$2
	git rlpromote eval record --env support-v3 --candidate "$1" \
		--run-metrics "$EXAMPLES/run-metrics.json" "$f" >/dev/null
}

test_expect_success 'setup: signed runs and a production baseline' '
	make_repo
'

test_expect_success 'report -o report.html writes one HTML page, exit 0 even for NO-GO' '
	cd "$REPO" &&
	git rlpromote report v2 --to staging -o report.html 2>err &&
	test ! -s err &&
	head -c 15 report.html | grep -q "<!DOCTYPE html>" &&
	test_grep "<svg" report.html &&
	git rlpromote report v1 --to staging --format html >v1.html &&
	test_grep ">NO-GO<" v1.html &&
	! ls report.html.tmp* 2>/dev/null
'

test_expect_success 'the same evidence renders the same bytes' '
	cd "$REPO" &&
	git rlpromote report v2 --to staging -o again.html &&
	cmp report.html again.html
'

test_expect_success 'the page and every SVG in it parse as XML' '
	cd "$REPO" &&
	$PY - report.html <<-\EOF
	import re, sys, xml.etree.ElementTree as ET
	text = open(sys.argv[1], encoding="utf-8").read()
	ET.fromstring(text[text.index("<html"):])
	svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
	assert len(svgs) >= 7, len(svgs)
	for s in svgs:
	    root = ET.fromstring(s)
	    assert root.tag == "svg" and root.get("viewBox"), root.attrib
	    assert root.findall(".//line") and root.findall(".//text"), "empty chart"
	print(len(svgs), "charts")
	EOF
'

test_expect_success 'self-contained: no scripts, no URLs, nothing to fetch' '
	cd "$REPO" &&
	! grep -qi "<script" report.html &&
	! grep -qi "http" report.html &&
	! grep -qiE "<link|<img|<iframe|@import|url\(|src=" report.html
'

test_expect_success 'the verdict comes first, then rules, charts, RL health and suspects' '
	cd "$REPO" &&
	$PY - report.html <<-\EOF
	import sys
	t = open(sys.argv[1], encoding="utf-8").read()
	order = [t.index(s) for s in ("class=\"verdict go\"", ">GO<", ">Rules<", "<svg",
	                              ">RL health<", ">Reward-hacking suspects<")]
	assert order == sorted(order), order
	# KL gates run.kl_to_base: computed; diversity and alignment tax are not
	assert "<code>kl</code> <code>run.kl_to_base</code>" in t
	assert t.count("not computed: the promotion has no") == 2, t.count("not computed")
	assert "Not computed: the promotion has no rule on <code>derived.reward_hack</code>" in t
	# the difference rule shows each slice, its threshold line and delta
	for s in ("headache", "search_api", "version_pin", "−margin 0.03", "min improvement 0.02",
	          "max rate 0.01", "Δ candidate − baseline"):
	    assert s in t, s
	EOF
'

test_expect_success 'derived.* rules light the health panel and the suspects section up' '
	cd "$REPO" &&
	git checkout -q -b derived &&
	sed -i -e "s/      - {id: repro, kind: reproducible}/      - {id: kl-k3, kind: range, metric: derived.kl_k3, max: 0.5, severity: warn}\n      - {id: hacking, kind: rate_cap, metric: derived.reward_hack, max_rate: 0.05, severity: warn}\n&/" \
		-e "s/^defaults:/health: {reward: rm, verifier: pass, hack_threshold: 0.9}\n&/" \
		.rlpromote/policy.yaml &&
	git commit -q -am "gate KL per record and reward hacking" &&
	git rlpromote report v2 --to staging -o derived.html --policy-rev derived &&
	test_grep "<code>kl-k3</code> <code>derived.kl_k3</code>" derived.html &&
	test_grep "Forest plot of derived.kl_k3" derived.html &&
	# 95 records of v2 pass the reward model (rm >= 0.9) and fail the verifier
	test_grep "<code>hacking</code> <code>derived.reward_hack</code>" derived.html &&
	test_grep "<li><code>q-[0-9]*</code></li>" derived.html &&
	test_grep "… and 75 more." derived.html &&
	! grep -q "Not computed: the promotion has no rule on" derived.html &&
	git checkout -q -
'

test_expect_success 'markdown links the HTML report with --html-url, on report and gate' '
	cd "$REPO" &&
	url=https://ci.example.com/runs/7/report.html &&
	git rlpromote report v2 --to staging --format markdown --html-url $url >md &&
	test_grep "^\[Full report with charts\]($url)$" md &&
	git rlpromote gate v2 --to staging --format markdown --html-url $url >gmd &&
	test_grep "^\[Full report with charts\]($url)$" gmd &&
	git rlpromote report v2 --to staging -o plain.md &&
	! grep -q "Full report" plain.md &&
	test_expect_code 128 git rlpromote report v2 --to staging --html-url "javascript:x" 2>err &&
	test_grep "not an http(s) URL" err &&
	test_expect_code 128 git rlpromote gate v2 --to staging --html-url "https://x/a b" 2>err &&
	test_expect_code 129 git rlpromote report v2 2>err &&
	test_expect_code 129 git rlpromote report v2 --to staging --format pdf 2>err
'

test_expect_success 'headless Chromium draws the page: not blank, the GO banner green' '
	cd "$REPO" &&
	browser=$(command -v chromium || command -v chromium-browser) || {
		echo "chromium is not installed: tests/install-deps.sh installs it" >&2
		exit 1
	} &&
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
		--user-data-dir="$PWD/chromium-profile" --screenshot="$PWD/shot.png" \
		--window-size=1200,1600 "file://$PWD/report.html" >chromium.log 2>&1 ||
		{ cat chromium.log; exit 1; } &&
	$PY "$RLP_SOURCE_DIR/tests/pngcheck.py" shot.png --min-colours 16 --min-ink 0.05 \
		--expect 1a7f37:20000 >png.out || { cat png.out; exit 1; }
'

# Two candidates on hand-made results: in the math slice B wins 15 pairs and
# A 19, with 66 ties; in the division slice B wins 20 and A 40, 100 ties.
# A also has ids B lacks, which must not pair.
write_pair() { # <dir>
	$PY - "$1" <<-\EOF
	import json, sys
	d = sys.argv[1]
	a, b = open(d + "/a.jsonl", "w"), open(d + "/b.jsonl", "w")
	def put(f, i, tag, p, rm):
	    f.write(json.dumps({"id": i, "tags": [tag], "scores": {"pass": p, "rm": rm}}) + "\n")
	def slice_(prefix, tag, bwins, awins, ties):
	    k = 0
	    for (pa, pb, n) in ((0, 1, bwins), (1, 0, awins), (1, 1, ties // 2), (0, 0, ties - ties // 2)):
	        for _ in range(n):
	            i = "%s-%03d" % (prefix, k)
	            put(a, i, tag, pa, 0.5 + (k % 7) / 100)
	            put(b, i, tag, pb, 0.5 + (k % 7) / 100 + (k % 3) / 50)
	            k += 1
	slice_("m", "math", 15, 19, 66)
	slice_("d", "division", 20, 40, 100)
	for k in range(10):
	    put(a, "only-a-%d" % k, "math", 1, 0.9)
	EOF
}

test_expect_success 'diff: paired statistics per slice, checked by hand' '
	cd "$REPO" &&
	write_pair "$TEST_ROOT" &&
	git commit -q --allow-empty -m "A" && git tag da &&
	git commit -q --allow-empty -m "B" && git tag db &&
	record da "$TEST_ROOT/a.jsonl" && record db "$TEST_ROOT/b.jsonl" &&
	git rlpromote diff da db --format json >d.json &&
	$PY - d.json <<-\EOF
	import json, math, sys
	d = json.load(open(sys.argv[1]))
	assert d["env"] == "support-v3" and d["shared_ids"] == 260, d["shared_ids"]
	assert d["a"]["verified"] and d["b"]["verified"]
	rows = {(r["slice"], r["metric"]): r for r in d["rows"]}
	z = 1.959963984540054
	def am(b, c, n):
	    ctr = (b - c) / (n + 2)
	    half = z * math.sqrt(b + c + 1 - (b - c) ** 2 / (n + 2)) / (n + 2)
	    return ctr - half, ctr + half
	m = rows[("math", "pass")]
	assert (m["n"], m["b"], m["c"], m["binary"]) == (100, 15, 19, True), m
	assert abs(m["delta"] - (-0.04)) < 1e-12
	lo, hi = am(15, 19, 100)
	assert abs(m["lower"] - lo) < 1e-9 and abs(m["upper"] - hi) < 1e-9, (m, lo, hi)
	# RULES.md: McNemar b=15, c=19, exact p 0.60759136127308
	assert abs(m["p_mcnemar"] - 0.60759136127308) < 1e-12, m["p_mcnemar"]
	v = rows[("division", "pass")]
	# RULES.md: Agresti-Min 95% two-sided, b=20, c=40, n=160: (-0.216017, -0.030896)
	assert abs(v["lower"] - -0.216017) < 5e-7 and abs(v["upper"] - -0.030896) < 5e-7, v
	allp = rows[("all", "pass")]
	assert (allp["n"], allp["b"], allp["c"]) == (260, 35, 59), allp
	r = rows[("math", "rm")]
	assert not r["binary"] and r["p_mcnemar"] is None and r["b"] is None
	diffs = [(k % 3) / 50 for k in range(100)]
	mean = sum(diffs) / 100
	sd = math.sqrt(sum((x - mean) ** 2 for x in diffs) / 99)
	assert abs(r["delta"] - mean) < 1e-12
	assert abs(r["lower"] - (mean - z * sd / 10)) < 1e-12, r
	assert ("headache", "pass") not in rows  # no pairs there
	EOF
'

test_expect_success 'diff: the text table, uncoloured off a terminal' '
	cd "$REPO" &&
	git rlpromote diff da db --env support-v3 >d.txt &&
	test_grep "^SLICE  *METRIC  *N  *MEAN A  *MEAN B  *DELTA  *INTERVAL  *P (MCNEMAR)" d.txt &&
	test_grep "^math  *pass  *100  *0.5200  *0.4800  *-0.0400  *\[-0.1526, +0.0742\]  *0.6076$" d.txt &&
	test_grep "^division  *pass  *160 " d.txt &&
	test_grep "260 ids in both" d.txt &&
	! grep -q "$(printf "\033")" d.txt &&
	test_expect_code 129 git rlpromote diff da 2>err &&
	test_expect_code 128 git rlpromote diff da db --env nowhere 2>err &&
	test_grep "environment .nowhere. was never frozen" err &&
	sed "s/^name: support-v3/name: other/" env/env.yaml >env/other.yaml &&
	git rlpromote env freeze env/other.yaml >/dev/null &&
	test_expect_code 128 git rlpromote diff da db --env other 2>err &&
	test_grep "no runs of .da." err
'

test_expect_success 'progress bars: on a terminal only' '
	cd "$REPO" &&
	$PY -c "
import json
with open(\"big.jsonl\", \"w\") as f:
    for i in range(20000):
        f.write(json.dumps({\"id\": \"q-%06d\" % i, \"tags\": [\"math\"], \"scores\": {\"pass\": i % 2}}) + \"\n\")
" &&
	git commit -q --allow-empty -m "big" && git tag big &&
	git rlpromote eval record --env support-v3 --candidate big big.jsonl >out 2>err &&
	test ! -s err && ! grep -q "$(printf "\r")" out &&
	if command -v script >/dev/null; then
		script -qec "git rlpromote eval record --env support-v3 --candidate big big.jsonl" \
			/dev/null >tty.out </dev/null &&
		test_grep "summarizing results .*%" tty.out &&
		# the bar is erased before the result is printed
		test_grep "$(printf "\033\\[K")recorded run" tty.out &&
		# freezing a large fixture, and the repeats of eval run
		mkdir -p tick && head -c 3000000 /dev/zero >tick/big.bin &&
		cat >tick/run.sh <<-\SH &&
		#!/bin/sh
		sleep 0.3
		echo "{\"id\":\"t\",\"scores\":{\"pass\":1}}" >"$RLPROMOTE_RESULTS"
		SH
		cat >tick/env.yaml <<-\YAML &&
		version: 1
		name: tick
		seed: 1
		time: "2026-01-01T00:00:00Z"
		decoding: {temperature: 0}
		command: [sh, files/run.sh]
		harness: run.sh
		inputs: big.bin
		graders: [{name: g, kind: programmatic, path: run.sh}]
		YAML
		git rlpromote env freeze tick/env.yaml >out 2>err && test ! -s err &&
		echo x >>tick/big.bin &&
		script -qec "git rlpromote env freeze tick/env.yaml" /dev/null >freeze.out </dev/null &&
		test_grep "freezing .*%.*MiB" freeze.out &&
		git rlpromote eval run --env tick --repeat 2 >out 2>err &&
		! grep -q "repeats  *[0-9.]*/s" err &&
		script -qec "git rlpromote eval run --env tick --repeat 2" /dev/null >run.out </dev/null &&
		test_grep "eval run .* 1/2 repeats" run.out
	else
		echo "note: script(1) not installed: the terminal case is not checked"
	fi
'

test_done
