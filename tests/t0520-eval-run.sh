#!/usr/bin/env bash
# eval run: the frozen env materialized in a fresh directory, its command run
# with the frozen seed and clock, repeats compared, the run recorded.
. "$(dirname "$0")/lib.sh"

setup_repo() { # <dir>
	git init -q "$1" && cd "$1" &&
	git config user.email ci@example.com && git config user.name ci &&
	cp -r "$EXAMPLES/env" env && mkdir model &&
	cp "$EXAMPLES/models/candidate-v2.json" model/behaviour.json &&
	git add -A && git commit -qm "candidate" &&
	git rlpromote env freeze env/env.yaml >/dev/null
}

test_expect_success 'the example env: two repeats give identical metrics' '
	setup_repo r &&
	git rlpromote eval run --env support-v3 --repeat 2 >out 2>err &&
	test_grep "2 repeats, identical metrics" out &&
	test_grep "eval run 2: python3 (seed 1234, clock 2026-01-01T00:00:00Z" err &&
	git rlpromote eval show HEAD support-v3 >show &&
	test_grep "\"repeats_identical\":.*true" show &&
	test_grep "\"command\":.*\"python3 files/eval.py\"" show &&
	git show refs/rlpromote/runs/ci-example.com:$(git ls-tree -r --name-only refs/rlpromote/runs/ci-example.com | grep results.jsonl) >stored &&
	cmp stored "$EXAMPLES/candidate-v2.jsonl"
'

# An env whose command reports what it was given, and can be made to differ.
write_probe_env() {
	mkdir -p probe && cat >probe/run.sh <<-\SH &&
	#!/bin/sh
	# one record per variable the environment must set, plus a date the clock gives
	n=0
	for v in "$RLPROMOTE_SEED" "$RLPROMOTE_TIME" "$SOURCE_DATE_EPOCH" "$TZ" \
		"$(basename "$RLPROMOTE_ENV_DIR")" "$RLPROMOTE_CANDIDATE" "$(test -f "$RLPROMOTE_ENV_DIR/env.yaml" && echo materialized)" \
		"clock-$(date -u +%Y-%m-%dT%H:%M)"; do
		n=$((n + 1))
		printf "{\"id\":\"v%d\",\"tags\":[\"%s\"],\"scores\":{\"pass\":1}}\n" "$n" "$v"
	done >"$RLPROMOTE_RESULTS"
	if [ -f files/noisy ]; then
		printf "{\"id\":\"noise\",\"scores\":{\"pass\":%s}}\n" "$(od -An -N1 -tu1 /dev/urandom | tr -d " ")" >>"$RLPROMOTE_RESULTS"
	fi
	SH
	chmod +x probe/run.sh && echo in >probe/inputs.jsonl &&
	printf "version: 1\nname: probe\nseed: 77\ntime: \"2026-02-03T04:05:06Z\"\ndecoding: {temperature: 0}\ncommand: [sh, files/run.sh]\nharness: run.sh\ninputs: inputs.jsonl\ngraders: [{name: g, kind: programmatic, path: run.sh}]\n" >probe/env.yaml
}

test_expect_success 'the command sees the frozen seed, clock, TZ and a materialized env' '
	setup_repo r && write_probe_env &&
	git rlpromote env freeze probe/env.yaml >/dev/null &&
	git rlpromote eval run --env probe --repeat 2 >out &&
	test_grep "identical metrics" out &&
	git rlpromote eval show HEAD probe >show &&
	for tag in 77 2026-02-03T04:05:06Z 1770091506 UTC env "$(git rev-parse HEAD)" materialized \
		clock-2026-02-03T04:05; do
		grep -q "\"$tag\"" show || { echo "missing $tag"; cat show; exit 1; }
	done
'

test_expect_success 'repeats that differ are recorded as such, the first differing record shown' '
	setup_repo r && write_probe_env && echo yes >probe/noisy &&
	sed -i "s/harness: run.sh/harness: probe-files/" probe/env.yaml &&
	mkdir probe/probe-files && mv probe/run.sh probe/noisy probe/probe-files/ &&
	sed -i "s|files/run.sh|files/probe-files/run.sh|; s|path: run.sh|path: inputs.jsonl|" probe/env.yaml &&
	sed -i "s|files/noisy|files/probe-files/noisy|" probe/probe-files/run.sh &&
	git rlpromote env freeze probe/env.yaml >/dev/null &&
	for try in 1 2 3; do
		code=0; git rlpromote eval run --env probe --repeat 2 >out 2>err || code=$?
		test $code = 1 && break
	done &&
	test_grep "METRICS DIFFER" out &&
	test_grep "repeats differ at record 9" err &&
	git rlpromote eval show HEAD probe >show &&
	test_grep "\"repeats_identical\":.*false" show
'

test_expect_success 'an env without a command cannot be run; a failing command records nothing' '
	setup_repo r &&
	printf "version: 1\nname: nocmd\nseed: 1\ntime: \"2026-01-01T00:00:00Z\"\ndecoding: {temperature: 0}\ninputs: env.yaml\ngraders: [{name: g, kind: programmatic, path: env.yaml}]\n" >nocmd.yaml &&
	mkdir nc && mv nocmd.yaml nc/env.yaml &&
	git rlpromote env freeze nc/env.yaml >/dev/null &&
	test_expect_code 128 git rlpromote eval run --env nocmd 2>err &&
	test_grep "names no command" err &&
	printf "version: 1\nname: fails\nseed: 1\ntime: \"2026-01-01T00:00:00Z\"\ndecoding: {temperature: 0}\ncommand: [\"false\"]\ninputs: env.yaml\ngraders: [{name: g, kind: programmatic, path: env.yaml}]\n" >nc/env.yaml &&
	git rlpromote env freeze nc/env.yaml >/dev/null &&
	ls -d /tmp/rlpromote-eval-* 2>/dev/null | sort >before &&
	test_expect_code 128 git rlpromote eval run --env fails 2>err &&
	test_grep "failed (exit 1)" err &&
	ls -d /tmp/rlpromote-eval-* 2>/dev/null | sort >after &&
	cmp before after &&
	test_expect_code 1 git rev-parse -q --verify refs/rlpromote/runs/ci-example.com
'

test_done
