#!/usr/bin/env bash
# Shadow traffic end to end: shadow record, the git-backed gate for
# staging -> production (n, elapsed time, bounds), promote, verify; and the
# file-based gate with --shadow-results.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"
keys_setup

# traffic.py <out> <n> <hours> <win%> <tie%> [<start hour> [<prefix>]]: n
# requests spread evenly over the hours; request k wins when k % 100 < win,
# ties when < win + tie, else loses (every 50th loss is a candidate timeout)
cat >"$TEST_ROOT/traffic.py" <<'PY'
import json, sys, datetime
out, n, hours, win, tie = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
start = float(sys.argv[6]) if len(sys.argv) > 6 else 0
prefix = sys.argv[7] if len(sys.argv) > 7 else "r"
t0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=start)
with open(out, "w") as f:
    for k in range(n):
        at = t0 + datetime.timedelta(seconds=k * hours * 3600 / max(n - 1, 1))
        rec = {"id": "%s-%d" % (prefix, k), "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "session": "s-%d" % (k % 211)}
        r = k % 100
        if r < win:
            rec["judge"] = "win"
        elif r < win + tie:
            rec["candidate"], rec["production"] = {"score": 0.7}, {"score": 0.7}
        elif k % 50 == 0:
            rec["candidate"], rec["production"] = {"error": "timeout"}, {"score": 0.2}
        else:
            rec["candidate"], rec["production"] = {"score": 0.4}, {"score": 0.6}
        f.write(json.dumps(rec) + "\n")
PY
traffic() { $PY "$TEST_ROOT/traffic.py" "$@"; }

REPO=$TEST_ROOT/repo
PROD=refs/rlpromote/stages/support-bot/production

test_expect_success 'setup: base in production, v1 and v2 in staging' '
	git init -q "$REPO" && cd "$REPO" &&
	act_as promoter && git rlpromote init >/dev/null &&
	cp "$EXAMPLES/policy.yaml" .rlpromote/policy.yaml &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	git add -A && git commit -q -m policy &&
	for t in base v1 v2; do git commit -q --allow-empty -m "$t" && git tag $t; done &&
	act_as lead &&
	git rlpromote promote base --to production --override --reason bootstrap >/dev/null &&
	git rlpromote promote v1 --to staging --override --reason "shadow test" >/dev/null &&
	git rlpromote promote v2 --to staging --override --reason "shadow test" >/dev/null
'

test_expect_success 'no traffic yet: HOLD' '
	cd "$REPO" &&
	test_expect_code 2 git rlpromote gate v2 --to production >out &&
	test_grep "^HOLD" out && test_grep "no shadow traffic for the candidate" out
'

test_expect_success 'a candidate clearly worse than production fails early' '
	cd "$REPO" && act_as ci &&
	traffic t1.jsonl 600 2 30 5 0 v1 &&
	git rlpromote shadow record --candidate v1 t1.jsonl >out &&
	test_grep "^recorded shadow traffic .* of $(git rev-parse --short=12 v1) against $(git rev-parse --short=12 base) at 0% of the traffic in refs/rlpromote/runs/ci-example.com" out &&
	test_grep "^batch: 600 requests (180 wins, 30 ties, 390 losses; 6 candidate errors) in 211 sessions" out &&
	test_expect_code 1 git rlpromote gate v1 --to production >gate.out &&
	test_grep "^NO-GO" gate.out &&
	test_grep "^shadow  *shadow_compare  *FAIL  *0.325 .*n=600 over 2h: win rate 0.3250 in \[0.2[0-9]*, 0.3[0-9]*\]; ucb 0.3[0-9]* < 0.48: worse than production" gate.out &&
	test_grep "shadow traffic: n=600 (180 wins, 30 ties, 390 losses) over 2h" gate.out &&
	act_as promoter &&
	test_expect_code 1 git rlpromote promote v1 --to production 2>err &&
	test_grep "^NO-GO" err
'

test_expect_success 'half a day of a good candidate: HOLD, with n, elapsed and bounds' '
	cd "$REPO" && act_as ci &&
	traffic t2.jsonl 2500 12 48 14 0 v2 &&
	git rlpromote shadow record --candidate v2 t2.jsonl >/dev/null &&
	test_expect_code 2 git rlpromote gate v2 --to production --format json >g.json &&
	$PY -c "
import json; g = json.load(open(\"g.json\")); r = g[\"rules\"][0]
assert g[\"verdict\"] == \"HOLD\" and r[\"verdict\"] == \"INCONCLUSIVE\", r
assert r[\"n\"] == 2500 and r[\"shadow\"][\"elapsed_s\"] == 43200, r
assert r[\"lower\"] > 0.48 and r[\"upper\"] < 0.62 and r[\"threshold\"] == 0.48, r
assert \"needs n >= 5000\" in r[\"reason\"], r
assert r[\"shadow\"][\"first\"] == \"2026-03-01T00:00:00Z\", r
"
'

test_expect_success 'a batch against another model, or not by an eval signer, is left out' '
	cd "$REPO" &&
	traffic t3.jsonl 500 1 0 0 12 bad &&
	act_as ci && git rlpromote shadow record --candidate v2 --baseline v1 t3.jsonl >/dev/null &&
	act_as promoter && git config rlpromote.writer promoter-writes &&
	git rlpromote shadow record --candidate v2 t3.jsonl >/dev/null &&
	git config --unset rlpromote.writer &&
	test_expect_code 2 git rlpromote gate v2 --to production 2>err >out &&
	test_grep "2 shadow batches left out (1 not signed by an eval signer, 1 against another model than the baseline)" err &&
	test_grep "n=2500 over 12h" out
'

test_expect_success 'after 24 hours and 5,000 requests: GO, promote, verify' '
	cd "$REPO" && act_as ci &&
	traffic t4.jsonl 2500 12 48 14 12 v2b &&
	git rlpromote shadow record --candidate v2 t4.jsonl >/dev/null &&
	git rlpromote shadow show v2 >show &&
	test_grep "^all: 5500 requests (2400 wins, 700 ties, 2400 losses; 10 candidate errors)" show &&
	test_grep "^(500 requests recorded twice, counted once)" show &&
	git rlpromote gate v2 --to production >gate.out &&
	test_grep "^GO" gate.out &&
	test_grep "n=5000 over 1d: win rate 0.5500 in \[0.5[0-9]*, 0.5[0-9]*\]; lcb 0.5[0-9]* > 0.48: not worse than production" gate.out &&
	act_as promoter && git rlpromote promote v2 --to production >out &&
	test_grep "production: promote" out &&
	test "$(git rlpromote current production)" = "$(git rev-parse v2)" &&
	git cat-file -p $PROD:decision.json >d.json &&
	$PY -c "
import json; d = json.load(open(\"d.json\"))
assert d[\"runs\"][\"candidate\"] is None and len(d[\"runs\"][\"shadow\"]) == 2, d[\"runs\"]
assert all(\"/.shadow/\" in r[\"path\"] for r in d[\"runs\"][\"shadow\"])
" &&
	git cat-file -p $PROD | grep "^parent" >parents && test $(wc -l <parents) = 2 &&
	git rlpromote verify --all >v.out &&
	test_grep "^ok .*production" v.out &&
	for ref in $(git for-each-ref --format="%(refname)" refs/rlpromote); do
		git verify-commit "$ref" 2>/dev/null || { echo "not verified: $ref"; exit 1; }
	done
'

test_expect_success 'a server with the hook takes the decision and its traffic' '
	cd "$REPO" && srv=$TEST_ROOT/srv.git &&
	git init -q --bare "$srv" &&
	git --git-dir="$srv" symbolic-ref HEAD refs/heads/main &&
	git rlpromote hook install --server "$srv" >/dev/null &&
	git push -q "$srv" HEAD:refs/heads/main &&
	git push "$srv" refs/rlpromote/runs/ci-example.com refs/rlpromote/stages/support-bot/staging \
		$PROD >push.out 2>&1 &&
	test "$(git --git-dir="$srv" rev-parse $PROD)" = "$(git rev-parse $PROD)" &&
	test_expect_code 1 git push "$srv" refs/rlpromote/runs/promoter-writes >push.out 2>&1 &&
	test_grep "rlpromote: refs/rlpromote/runs/promoter-writes: .*promoter@example.com" push.out
'

test_expect_success 'verify re-gates the shadow evidence under the trusted policy' '
	cp -R "$REPO" tampered && cd tampered &&
	act_as ci && git config rlpromote.trustedRef HEAD &&
	sed -i "s/min_n: 5000/min_n: 6000/" .rlpromote/policy.yaml && git commit -qam "stricter" &&
	test_expect_code 1 git rlpromote verify >v.out &&
	test_grep "FAILED .*production.*recomputes to HOLD" v.out
'

test_expect_success 'gate on a traffic file, without git' '
	cd "$REPO" &&
	traffic f.jsonl 5000 24 48 14 &&
	git rlpromote gate --policy .rlpromote/policy.yaml --to production --shadow-results f.jsonl >out &&
	test_grep "^GO" out &&
	traffic f.jsonl 5000 24 45 8 &&
	test_expect_code 2 git rlpromote gate --policy .rlpromote/policy.yaml --to production \
		--shadow-results f.jsonl >out &&
	test_grep "lcb 0.4[0-9]* <= 0.48 <= ucb: keep collecting" out &&
	echo "{\"id\":\"x\"}" >bad.jsonl &&
	test_expect_code 128 git rlpromote gate --policy .rlpromote/policy.yaml --to production \
		--shadow-results bad.jsonl 2>err &&
	test_grep "bad.jsonl:1: missing timestamp" err &&
	test_expect_code 128 git rlpromote shadow record --candidate v2 bad.jsonl 2>err &&
	test_grep "bad.jsonl:1: missing timestamp" err
'

test_done
