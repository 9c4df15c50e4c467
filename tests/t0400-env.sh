#!/usr/bin/env bash
# git rlpromote env: freeze (a no-op for identical content, a new version
# otherwise), show, list, checkout with exact bytes, verify (structure, and
# an unsigned chain is reported as such), and every refusal changes nothing.
. "$(dirname "$0")/lib.sh"

REPO=$TEST_ROOT/repo

# A small environment in ./env: spec, tool fixture, held-out inputs, graders
# and a two-file RAG index.
make_env() {
	mkdir -p env/fixtures env/heldout env/graders env/index &&
	printf '{"query":"pin numpy","response":"numpy==1.26.4"}\n' >env/fixtures/search.jsonl &&
	printf '{"id":"q-0001","prompt":"headache and stiff neck"}\n' >env/heldout/inputs.jsonl &&
	printf '#!/usr/bin/env python3\nprint("pass")\n' >env/graders/unit.py &&
	chmod +x env/graders/unit.py &&
	printf '{"model":"rm-7b","trained_on":"prefs-2025-12"}\n' >env/graders/rm.json &&
	printf 'vectors\0\1\2' >env/index/vectors.bin &&
	printf '{"docs":2}\n' >env/index/meta.json &&
	cat >env/spec.yaml <<-YAML
	version: 1
	name: support-v3
	description: support bot, frozen
	seed: 1234
	time: "2026-01-01T00:00:00Z"
	decoding: {temperature: 0, max_tokens: 512}
	command: [python3, graders/unit.py]
	inputs: heldout/inputs.jsonl
	tools:
	  search: {fixture: fixtures/search.jsonl}
	rag_index: index/
	graders:
	  - {name: unit, kind: programmatic, path: graders/unit.py}
	  - {name: rm, kind: reward_model, path: graders/rm.json, held_out_preferences: true}
	YAML
}

make_repo() { # <dir>
	git init -q "$1" && cd "$1" &&
	git config user.name Tester && git config user.email tester@example.com &&
	make_env
}

test_expect_success 'env -h prints the synopsis; bad usage exits 129' '
	git rlpromote env -h >out &&
	test_grep "^usage: git rlpromote env freeze <spec.yaml>" out &&
	test_grep "or: git rlpromote env checkout <env>\[@<n>\] <dir>" out &&
	git rlpromote env show -h >out &&
	test_grep "^usage: git rlpromote env" out &&
	test_expect_code 129 git rlpromote env 2>err &&
	test_expect_code 129 git rlpromote env nope 2>err &&
	test_grep "unknown env subcommand .nope." err &&
	test_expect_code 129 git rlpromote env freeze 2>err &&
	test_expect_code 129 git rlpromote env checkout support-v3 2>err
'

test_expect_success 'freeze an environment: version 1 on its ref' '
	make_repo "$REPO" &&
	git rlpromote env freeze env/spec.yaml >out &&
	v1=$(git rev-parse refs/rlpromote/envs/support-v3) &&
	echo "frozen support-v3@1 $v1" >expect &&
	diff -u expect out &&
	git ls-tree -r --name-only "$v1" >names &&
	cat >expect <<-EOF &&
	env.yaml
	files/fixtures/search.jsonl
	files/graders/rm.json
	files/graders/unit.py
	files/heldout/inputs.jsonl
	files/index/meta.json
	files/index/vectors.bin
	EOF
	diff -u expect names &&
	git ls-tree "$v1" files/graders/unit.py | grep -q "^100755 " &&
	git log -1 --format=%B "$v1" >msg &&
	test_grep "^env support-v3: freeze version 1$" msg &&
	test_grep "^seed 1234, time 2026-01-01T00:00:00Z (1767225600), temperature 0$" msg &&
	test "$(git rev-list --count "$v1")" = 1
'

test_expect_success 'freezing identical content again is a no-op' '
	cd "$REPO" &&
	v1=$(git rev-parse refs/rlpromote/envs/support-v3) &&
	git rlpromote env freeze env/spec.yaml >out &&
	echo "support-v3@1 $v1 is unchanged" >expect &&
	diff -u expect out &&
	test "$(git rev-parse refs/rlpromote/envs/support-v3)" = "$v1" &&
	# the same content written differently normalizes to the same version
	sed -e "s/^seed: 1234$/seed: 1234 # the RNG seed/" \
	    -e "s/\"2026-01-01T00:00:00Z\"/2026-01-01T01:00:00+01:00/" \
	    -e "s/rag_index: index\//rag_index: index/" env/spec.yaml >env/other.yaml &&
	git rlpromote env freeze env/other.yaml >out &&
	diff -u expect out &&
	rm env/other.yaml
'

test_expect_success 'changing one fixture byte gives version 2' '
	cd "$REPO" &&
	v1=$(git rev-parse refs/rlpromote/envs/support-v3) &&
	sed -i "s/1.26.4/1.26.5/" env/fixtures/search.jsonl &&
	git rlpromote env freeze env/spec.yaml >out &&
	v2=$(git rev-parse refs/rlpromote/envs/support-v3) &&
	test "$v2" != "$v1" &&
	echo "frozen support-v3@2 $v2" >expect &&
	diff -u expect out &&
	test "$(git rev-parse "$v2^")" = "$v1" &&
	git log -1 --format=%s "$v2" >subject &&
	echo "env support-v3: freeze version 2" >expect &&
	diff -u expect subject
'

test_expect_success 'env show: normalized spec, then every file with size and blob' '
	cd "$REPO" &&
	v2=$(git rev-parse refs/rlpromote/envs/support-v3) &&
	git rlpromote env show support-v3 >out &&
	head -n 1 out >first &&
	echo "env support-v3@2 $v2" >expect &&
	diff -u expect first &&
	test_grep "^name: support-v3$" out &&
	test_grep "^time: .2026-01-01T00:00:00Z.$" out &&
	test_grep "^  temperature: 0$" out &&
	test_grep "^  allow_sampling: false$" out &&
	blob=$(git hash-object env/fixtures/search.jsonl) &&
	size=$(wc -c <env/fixtures/search.jsonl) &&
	grep -E "^100644 $blob +$size	files/fixtures/search.jsonl$" out &&
	grep -E "^100755 [0-9a-f]{40} +[0-9]+	files/graders/unit.py$" out &&
	git show "$v2:env.yaml" >env.yaml &&
	sed -n "/^version: 1$/,/^$/p" out | sed "\$d" >shown.yaml &&
	diff -u env.yaml shown.yaml
'

test_expect_success 'env show by version number and by commit id' '
	cd "$REPO" &&
	v1=$(git rev-parse refs/rlpromote/envs/support-v3^) &&
	git rlpromote env show support-v3@1 >out &&
	test_grep "^env support-v3@1 $v1$" out &&
	git rlpromote env show "$(git rev-parse --short=10 "$v1")" >out2 &&
	diff -u out out2 &&
	test_expect_code 128 git rlpromote env show support-v3@3 2>err &&
	test_grep "has 2 versions: no version 3" err &&
	test_expect_code 128 git rlpromote env show nope 2>err &&
	test_grep "no environment .nope." err &&
	test_expect_code 1 git rlpromote env show support-v3@0 2>err
'

test_expect_success 'env list: name, versions, latest commit, frozen clock' '
	cd "$REPO" &&
	git rlpromote env list >out &&
	echo "support-v3    2 $(git rev-parse refs/rlpromote/envs/support-v3) 2026-01-01T00:00:00Z" >expect &&
	diff -u expect out
'

test_expect_success 'env checkout reproduces the exact bytes' '
	cd "$REPO" &&
	mkdir "$TEST_ROOT/co" &&
	git rlpromote env checkout support-v3 "$TEST_ROOT/co" 2>err &&
	test_grep "checked out support-v3@2" err &&
	mkdir src && cp -R env/fixtures env/heldout env/graders env/index src/ &&
	diff -r src "$TEST_ROOT/co/files" &&
	cmp env/index/vectors.bin "$TEST_ROOT/co/files/index/vectors.bin" &&
	test -x "$TEST_ROOT/co/files/graders/unit.py" &&
	! test -x "$TEST_ROOT/co/files/graders/rm.json" &&
	git show refs/rlpromote/envs/support-v3:env.yaml | cmp - "$TEST_ROOT/co/env.yaml" &&
	mkdir old && git rlpromote env checkout support-v3@1 old 2>/dev/null &&
	test_grep "1.26.4" old/files/fixtures/search.jsonl
'

test_expect_success 'checkout into a non-empty directory refuses and writes nothing' '
	cd "$REPO" &&
	mkdir busy && echo keep >busy/mine &&
	test_expect_code 1 git rlpromote env checkout support-v3 busy 2>err &&
	test_grep "busy. is not empty" err &&
	test "$(ls busy)" = mine &&
	test_expect_code 128 git rlpromote env checkout support-v3 no-such-dir 2>err
'

test_expect_success 'env verify: structure of every version; unsigned is reported' '
	cd "$REPO" &&
	# no trusted policy yet: signatures cannot be checked, and that fails
	test_expect_code 1 git rlpromote env verify support-v3 >out 2>err &&
	test "$(wc -l <out)" = 2 &&
	test_grep "^support-v3@1 [0-9a-f]\{40\} structure ok; signature not checked: " out &&
	test_grep "^support-v3@2 [0-9a-f]\{40\} structure ok; signature not checked: " out &&
	mkdir -p .rlpromote && cp "$EXAMPLES/policy.yaml" .rlpromote/policy.yaml &&
	git add .rlpromote && git commit -q -m policy &&
	test_expect_code 1 git rlpromote env verify support-v3 >out 2>err &&
	test_grep "^support-v3@1 [0-9a-f]\{40\} structure ok; unsigned$" out &&
	test_grep "^support-v3@2 [0-9a-f]\{40\} structure ok; unsigned$" out &&
	test_grep "support-v3@2: 2 problems in 2 versions" err &&
	test_expect_code 1 git rlpromote env verify support-v3@1 >out &&
	test "$(wc -l <out)" = 1
'

test_expect_success 'env verify catches a version whose tree was tampered with' '
	cd "$REPO" &&
	v2=$(git rev-parse refs/rlpromote/envs/support-v3) &&
	export GIT_INDEX_FILE="$TEST_ROOT/tamper.index" &&
	git read-tree "$v2" &&
	blob=$(echo smuggled | git hash-object -w --stdin) &&
	git update-index --add --cacheinfo 100644,$blob,files/extra.txt &&
	tree=$(git write-tree) &&
	bad=$(git commit-tree -p "$v2" -m "env support-v3: freeze version 3" "$tree") &&
	git update-ref refs/rlpromote/envs/tampered "$bad" &&
	test_expect_code 1 git rlpromote env verify "$bad" >out &&
	test_grep "^support-v3@3 $bad structure BAD: .files/extra.txt. is not named by env.yaml; " out &&
	test_grep "^support-v3@2 $v2 structure ok; " out &&
	git read-tree "$v2" &&
	git update-index --force-remove files/heldout/inputs.jsonl &&
	tree=$(git write-tree) &&
	bad=$(git commit-tree -p "$v2" -m "env support-v3: freeze version 3" "$tree") &&
	test_expect_code 1 git rlpromote env verify "$bad" >out &&
	test_grep "structure BAD: inputs: .files/heldout/inputs.jsonl. is missing; " out &&
	git read-tree "$v2" &&
	blob=$(git show "$v2:env.yaml" | sed "s/^seed: 1234$/seed:   1234/" | git hash-object -w --stdin) &&
	git update-index --cacheinfo 100644,$blob,env.yaml &&
	tree=$(git write-tree) &&
	bad=$(git commit-tree -p "$v2" -m "env support-v3: freeze version 3" "$tree") &&
	test_expect_code 1 git rlpromote env verify "$bad" >out &&
	test_grep "structure BAD: env.yaml is not in normalized form; " out &&
	# a version named after another environment
	test_expect_code 1 git rlpromote env verify tampered >out &&
	test_grep "^tampered@3 $(git rev-parse refs/rlpromote/envs/tampered) structure BAD: env.yaml names environment .support-v3., not .tampered.; unsigned$" out &&
	git update-ref -d refs/rlpromote/envs/tampered
'

# Each refusal: exit 1 with the located message, and not a single ref.
refuses() { # <sed expression> <expected message pattern>
	rm -rf "$TEST_ROOT/r" && make_repo "$TEST_ROOT/r" &&
	sed "$1" env/spec.yaml >env/bad.yaml &&
	test_expect_code 1 git rlpromote env freeze env/bad.yaml >out 2>err &&
	test_grep "$2" err &&
	! test -s out &&
	test -z "$(git for-each-ref refs/rlpromote)"
}

test_expect_success 'refused: missing seed' '
	refuses "/^seed:/d" "^error: env/bad.yaml:1:1: environment is not frozen: missing .seed.$"
'
test_expect_success 'refused: missing time' '
	refuses "/^time:/d" "environment is not frozen: missing .time."
'
test_expect_success 'refused: temperature 0.7 without allow_sampling' '
	refuses "s/temperature: 0,/temperature: 0.7,/" \
		"env/bad.yaml:6:25: decoding.temperature 0.7 is sampling: set decoding.allow_sampling: true to freeze a sampled environment"
'
test_expect_success 'refused: a tool with a url' '
	refuses "s|search: {fixture: fixtures/search.jsonl}|search: {fixture: fixtures/search.jsonl, url: \"https://api.example.com\"}|" \
		"env/bad.yaml:10::*[0-9]*: tool .search.: .url. is not allowed: tools are offline fixtures (record responses into a fixture file)"
'
test_expect_success 'refused: a reward-model grader not marked held out' '
	refuses "s/, held_out_preferences: true//" \
		"grader .rm.: a reward-model grader must be marked held_out_preferences: true (trained on preferences held out from this environment)"
'
test_expect_success 'refused: a path with ..' '
	refuses "s|inputs: heldout/inputs.jsonl|inputs: ../secrets.jsonl|" \
		"env/bad.yaml:8:9: inputs: path .\.\./secrets.jsonl. leaves the spec.s directory"
'
test_expect_success 'refused: a symbolic link in the environment' '
	rm -rf "$TEST_ROOT/r" && make_repo "$TEST_ROOT/r" &&
	ln -s /etc/passwd env/index/passwd &&
	test_expect_code 1 git rlpromote env freeze env/spec.yaml 2>err &&
	test_grep "rag_index: .index/passwd. is a symbolic link" err &&
	test -z "$(git for-each-ref refs/rlpromote)"
'
test_expect_success 'refused: a missing file; outside a repository' '
	rm -rf "$TEST_ROOT/r" && make_repo "$TEST_ROOT/r" &&
	rm env/graders/rm.json &&
	test_expect_code 1 git rlpromote env freeze env/spec.yaml 2>err &&
	test_grep "grader .rm.: .graders/rm.json. does not exist" err &&
	test -z "$(git for-each-ref refs/rlpromote)" &&
	mkdir "$TEST_ROOT/norepo" && cd "$TEST_ROOT/norepo" &&
	GIT_CEILING_DIRECTORIES=$TEST_ROOT test_expect_code 128 git rlpromote env list 2>err
'

test_expect_success 'git fsck --strict is clean' '
	cd "$REPO" &&
	git fsck --strict --no-dangling
'

test_done
