#!/usr/bin/env bash
# pr open and ci against GitHub as the offline rig stands in for it
# (FORGE.md): prism validates every request against GitHub's own OpenAPI
# description (cut to the operations we use), octokit's fixtures server
# replays scripted exchanges (duplicate PR, 403 with retry-after,
# pagination, a comment created then updated), and a real pull_request
# payload drives ci. The token never shows in any output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/setup-keys.sh"

NODE_DIR=$RLP_SOURCE_DIR/tests/node_modules
FORGE=$RLP_SOURCE_DIR/tests/forge
TOKEN=ghs_rlpTestToken0123456789abcdefXYZ
for need in .bin/prism @octokit/openapi/generated/api.github.com.json \
	@octokit/fixtures-server @octokit/webhooks-examples/api.github.com/index.json; do
	if [ ! -e "$NODE_DIR/$need" ]; then
		echo "FAIL: tests/node_modules/$need is missing: run tests/npm-setup.sh (npm ci)" >&2
		exit 1
	fi
done
command -v node >/dev/null || { echo "FAIL: node is not installed" >&2; exit 1; }
keys_setup

PRISM_PID= FIX_PID=
trap 'kill $PRISM_PID $FIX_PID 2>/dev/null; rm -rf "$TEST_ROOT"' EXIT

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # <port> <pid>
	local i
	for i in $(seq 100); do
		port_answers "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# prism on GitHub's description, cut to our operations
$PY "$FORGE/cut-spec.py" "$NODE_DIR/@octokit/openapi/generated/api.github.com.json" \
	"$TEST_ROOT/github.json"
for try in 1 2 3 4 5; do
	PRISM_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 20000))
	port_answers "$PRISM_PORT" && continue
	"$NODE_DIR/.bin/prism" mock -h 127.0.0.1 -p "$PRISM_PORT" "$TEST_ROOT/github.json" \
		>"$TEST_ROOT/prism.log" 2>&1 &
	PRISM_PID=$!
	wait_port "$PRISM_PORT" "$PRISM_PID" && break
	kill "$PRISM_PID" 2>/dev/null
	PRISM_PID=
done
[ -n "$PRISM_PID" ] || { echo "FAIL: prism did not start:" >&2; cat "$TEST_ROOT/prism.log" >&2; exit 1; }
PRISM=http://127.0.0.1:$PRISM_PORT

# every request prism saw passed GitHub's schema
prism_clean() {
	if grep -q "Request did not pass the validation rules\|UNPROCESSABLE_ENTITY" "$TEST_ROOT/prism.log"; then
		grep -A2 "did not pass" "$TEST_ROOT/prism.log" >&2
		return 1
	fi
}

SRV=$TEST_ROOT/server.git
WORK=$TEST_ROOT/work
CI=$TEST_ROOT/ci

candidate() { # <tag>: a commit pinning a model file
	printf 'uri: s3://models/support-bot/%s.safetensors\nsha256: %s\n' "$1" \
		"$(printf 'weights %s' "$1" | sha256sum | cut -d' ' -f1)" >model.yaml &&
	git add model.yaml && git commit -q -m "candidate $1" && git tag "$1"
}

record() { # <tag> <results file>
	act_as ci && git rlpromote eval record --env support-v3 --candidate "$1" \
		--run-metrics "$EXAMPLES/run-metrics.json" "$EXAMPLES/$2" >/dev/null
}

# The forge as GitHub Actions describes it to a step.
actions_env() { # <api url> [<event file>]
	export GITHUB_ACTIONS=true GITHUB_API_URL=$1 GITHUB_REPOSITORY=Codertocat/Hello-World
	export GITHUB_TOKEN=$TOKEN RLPROMOTE_TRACE=1
	export GITHUB_SERVER_URL=https://github.com GITHUB_RUN_ID=42
	[ $# -lt 2 ] || export GITHUB_EVENT_PATH=$2
	export GITHUB_STEP_SUMMARY=$PWD/summary.md GITHUB_OUTPUT=$PWD/output.txt
}

# A pull_request.opened payload from octokit's webhooks examples, pointed at
# our commits: head <branch>'s tip into main.
event() { # <out> <head sha> <base sha> [<head repo full name>]
	$PY - "$NODE_DIR/@octokit/webhooks-examples/api.github.com/index.json" "$@" <<-'EOF'
	import json, sys
	index, out, head, base = sys.argv[1:5]
	fork = sys.argv[5] if len(sys.argv) > 5 else None
	ev = next(x for e in json.load(open(index)) if e["name"] == "pull_request"
	          for x in e["examples"] if x.get("action") == "opened")
	pr = ev["pull_request"]
	pr["head"]["sha"], pr["base"]["sha"], pr["base"]["ref"] = head, base, "main"
	if fork:
	    pr["head"]["repo"]["full_name"] = fork
	json.dump(ev, open(out, "w"))
	EOF
}

test_expect_success 'setup: policy with a manifest, evidence, production bootstrapped' '
	git init -q --bare -b main "$SRV" &&
	git clone -q "$SRV" "$WORK" 2>/dev/null && cd "$WORK" &&
	git symbolic-ref HEAD refs/heads/main && act_as promoter && git rlpromote init >/dev/null &&
	sed -e "s/^model: support-bot/model: support-bot\nartifact: model.yaml\nmanifest: deploy\/{stage}.yaml/" \
		"$EXAMPLES/policy.yaml" >.rlpromote/policy.yaml &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	cp -r "$EXAMPLES/env" env &&
	git add -A && git commit -q -m "policy and env" &&
	act_as ci && git rlpromote env freeze env/env.yaml >/dev/null &&
	candidate base && candidate v1 && candidate v2 && git reset -q --hard base &&
	record base baseline.jsonl && record v1 candidate-v1.jsonl && record v2 candidate-v2.jsonl &&
	act_as lead &&
	git rlpromote promote base --to production --override --reason bootstrap >/dev/null &&
	git push -q origin main --tags 2>/dev/null
'

test_expect_success 'pr open against prism: evidence and branch pushed, PR updated, requests valid' '
	cd "$WORK" && act_as promoter &&
	git config rlpromote.forge github && git config rlpromote.apiUrl "$PRISM" &&
	git config rlpromote.forgeRepo octocat/Hello-World &&
	RLPROMOTE_TOKEN=$TOKEN RLPROMOTE_TRACE=1 git rlpromote pr open v2 --to staging \
		>"$TEST_ROOT/pr1.out" 2>"$TEST_ROOT/pr1.err" &&
	test "$(cat "$TEST_ROOT/pr1.out")" = "https://github.com/octocat/Hello-World/pull/1347" &&
	test_grep "updated pull request #1347" "$TEST_ROOT/pr1.err" &&
	test_grep "> PATCH $PRISM/repos/octocat/Hello-World/pulls/1347" "$TEST_ROOT/pr1.err" &&
	short=$(git rev-parse --short=12 v2) &&
	git --git-dir="$SRV" show "rlpromote/staging/$short:deploy/staging.yaml" >manifest &&
	test_grep "^candidate: \"$(git rev-parse v2)\"" manifest &&
	test_grep "^  sha256: \"$(printf "weights v2" | sha256sum | cut -d" " -f1)\"" manifest &&
	test_grep "^  verdict: \"GO\"" manifest &&
	test "$(git --git-dir="$SRV" rev-parse "rlpromote/staging/$short^")" = "$(git rev-parse main)" &&
	git --git-dir="$SRV" rev-parse -q --verify refs/rlpromote/stages/support-bot/production &&
	git --git-dir="$SRV" rev-parse -q --verify refs/notes/rlpromote &&
	prism_clean
'

test_expect_success 'pr open again: the same proposal is not pushed again' '
	cd "$WORK" && short=$(git rev-parse --short=12 v2) &&
	before=$(git --git-dir="$SRV" rev-parse "rlpromote/staging/$short") &&
	RLPROMOTE_TOKEN=$TOKEN git rlpromote pr open v2 --to staging >"$TEST_ROOT/pr2.out" 2>"$TEST_ROOT/pr2.err" &&
	test "$(git --git-dir="$SRV" rev-parse "rlpromote/staging/$short")" = "$before" &&
	RLPROMOTE_TOKEN=$TOKEN git rlpromote pr open v1 --to staging >"$TEST_ROOT/pr3.out" 2>"$TEST_ROOT/pr3.err" &&
	test_grep "the gate says NO-GO" "$TEST_ROOT/pr3.err" && prism_clean
'

test_expect_success 'ci on a real pull_request payload against prism: GO, comment, check run' '
	git clone -q "$SRV" "$CI" && cd "$CI" &&
	head=$(git rev-parse "origin/rlpromote/staging/$(git -C "$WORK" rev-parse --short=12 v2)") &&
	event ev.json "$head" "$(git rev-parse origin/main)" &&
	actions_env "$PRISM" "$PWD/ev.json" &&
	git rlpromote ci >"$TEST_ROOT/ci1.out" 2>"$TEST_ROOT/ci1.err" &&
	test_grep "^GO: support-bot staging" "$TEST_ROOT/ci1.out" &&
	test_grep "> POST $PRISM/repos/Codertocat/Hello-World/issues/2/comments" "$TEST_ROOT/ci1.err" &&
	test_grep "check run: GO" "$TEST_ROOT/ci1.err" &&
	test_grep "^verdict=GO$" output.txt && test_grep "^stages=staging$" output.txt &&
	test_grep "^report<<RLPROMOTE_EOF_" output.txt &&
	test_grep "<!-- rlpromote:report pr=2 -->" summary.md && test_grep "GO" summary.md &&
	test_grep "not following its next page on another host" "$TEST_ROOT/ci1.err" &&
	prism_clean
'

test_expect_success 'ci: NO-GO exits 1 with escaped ::error annotations' '
	cd "$CI" && git fetch -q origin &&
	head=$(git rev-parse "origin/rlpromote/staging/$(git -C "$WORK" rev-parse --short=12 v1)") &&
	event ev.json "$head" "$(git rev-parse origin/main)" &&
	actions_env "$PRISM" "$PWD/ev.json" &&
	test_expect_code 1 git rlpromote ci >"$TEST_ROOT/ci2.out" 2>"$TEST_ROOT/ci2.err" &&
	test_grep "^::error file=deploy/staging.yaml,line=1,title=rlpromote staging%3A rule no-regress::" \
		"$TEST_ROOT/ci2.out" &&
	test_grep "^verdict=NO-GO$" output.txt && prism_clean
'

test_expect_success 'ci: a manifest pinning another artifact than its candidate is NO-GO' '
	cd "$CI" && short=$(git -C "$WORK" rev-parse --short=12 v2) &&
	git checkout -q -b tampered "origin/rlpromote/staging/$short" &&
	sed -i -E "s/^  sha256: \".*\"/  sha256: \"$(printf "%064d" 0)\"/" deploy/staging.yaml &&
	git -c user.name=x -c user.email=x@example.com commit -qam tamper &&
	event ev.json "$(git rev-parse HEAD)" "$(git rev-parse origin/main)" &&
	actions_env "$PRISM" "$PWD/ev.json" &&
	test_expect_code 1 git rlpromote ci --no-fetch >"$TEST_ROOT/ci3.out" 2>"$TEST_ROOT/ci3.err" &&
	test_grep "is not the one candidate" summary.md
'

test_expect_success 'ci on a fork PR: summary only, no request at all' '
	cd "$CI" && short=$(git -C "$WORK" rev-parse --short=12 v2) &&
	event ev.json "$(git rev-parse "origin/rlpromote/staging/$short")" \
		"$(git rev-parse origin/main)" someone/Hello-World &&
	rm -f summary.md && actions_env http://127.0.0.1:9 "$PWD/ev.json" &&
	git rlpromote ci >"$TEST_ROOT/ci4.out" 2>"$TEST_ROOT/ci4.err" &&
	test_grep "from a fork" "$TEST_ROOT/ci4.err" && ! grep -q "^trace: >" "$TEST_ROOT/ci4.err" &&
	test_grep "rlpromote:report" summary.md
'

# ---- scripted exchanges on octokit's fixtures server ----

FIX_DIR=$TEST_ROOT/scenarios
mkdir -p "$FIX_DIR"
R=/repos/Codertocat/Hello-World

fixtures_start() {
	node "$FORGE/fixtures-server.mjs" "$FIX_DIR" "$TEST_ROOT/fix.port" >"$TEST_ROOT/fix.log" 2>&1 &
	FIX_PID=$!
	for i in $(seq 100); do [ -s "$TEST_ROOT/fix.port" ] && break; sleep 0.1; done
	FIX_PORT=$(cat "$TEST_ROOT/fix.port")
	wait_port "$FIX_PORT" "$FIX_PID"
}

# Load a scenario; prints the base URL that replays it.
load() { # <name>
	node -e 'fetch(process.argv[1], {method: "POST", headers: {"content-type": "application/json"},
		body: JSON.stringify({scenario: process.argv[2]})}).then(r => r.json())
		.then(j => console.log(j.url))' "http://127.0.0.1:$FIX_PORT/fixtures" "$1"
}

scenario() { # <name> <steps...>
	$PY "$FORGE/scenario.py" "$FIX_DIR/$1.json" "$TOKEN" "${@:2}"
}

test_expect_success 'scripted scenarios are written and served on 127.0.0.1' '
	cd "$CI" && short=$(git -C "$WORK" rev-parse --short=12 v2) &&
	head=$(git rev-parse "origin/rlpromote/staging/$short") &&
	event "$TEST_ROOT/ev.json" "$head" "$(git rev-parse origin/main)" &&
	rm -f summary.md && actions_env http://127.0.0.1:9 "$TEST_ROOT/ev.json" &&
	git rlpromote ci --no-fetch >/dev/null 2>&1 || true &&
	cp summary.md "$TEST_ROOT/body.md" &&
	body=$($PY -c "import json,sys; print(json.dumps(open(sys.argv[1]).read()[:-1]))" "$TEST_ROOT/body.md") &&
	q="head=Codertocat%3Arlpromote%2Fstaging%2F$short&base=main&state=open" &&
	scenario duplicate-pr \
		"{\"method\":\"get\",\"path\":\"$R/pulls?$q\",\"status\":200,\"response\":[]}" \
		"{\"method\":\"post\",\"path\":\"$R/pulls\",\"status\":422,\"response\":{\"message\":\"Validation Failed\",\"errors\":[{\"resource\":\"PullRequest\",\"code\":\"custom\",\"message\":\"A pull request already exists for Codertocat:rlpromote/staging/$short.\"}]}}" \
		"{\"method\":\"get\",\"path\":\"$R/pulls?$q\",\"status\":200,\"response\":[{\"number\":5,\"html_url\":\"https://github.com/Codertocat/Hello-World/pull/5\"}]}" \
		"{\"method\":\"patch\",\"path\":\"$R/pulls/5\",\"status\":200,\"response\":{\"number\":5,\"html_url\":\"https://github.com/Codertocat/Hello-World/pull/5\"}}" &&
	check="{\"name\":\"rlpromote\",\"head_sha\":\"$head\",\"status\":\"completed\",\"conclusion\":\"success\",\"output\":{\"title\":\"GO: support-bot staging\",\"summary\":$body}}" &&
	scenario comment-created \
		"{\"method\":\"get\",\"path\":\"$R/issues/2/comments?per_page=100\",\"status\":200,\"response\":[{\"id\":7,\"body\":\"LGTM\"}]}" \
		"{\"method\":\"post\",\"path\":\"$R/issues/2/comments\",\"status\":201,\"body\":{\"body\":$body},\"response\":{\"id\":42}}" \
		"{\"method\":\"post\",\"path\":\"$R/check-runs\",\"status\":201,\"body\":$check,\"response\":{\"id\":1}}" &&
	scenario comment-unchanged-after-retry \
		"{\"method\":\"get\",\"path\":\"$R/issues/2/comments?per_page=100\",\"status\":403,\"headers\":{\"retry-after\":\"1\"},\"response\":{\"message\":\"You have exceeded a secondary rate limit\"}}" \
		"{\"method\":\"get\",\"path\":\"$R/issues/2/comments?per_page=100\",\"status\":200,\"headers\":{\"link\":\"<https://api.github.com/repositories/1/issues/2/comments?per_page=100&page=2>; rel=\\\"next\\\"\"},\"response\":[{\"id\":7,\"body\":\"LGTM\"}]}" \
		"{\"method\":\"get\",\"path\":\"/repositories/1/issues/2/comments?per_page=100&page=2\",\"status\":200,\"response\":[{\"id\":42,\"body\":$body}]}" \
		"{\"method\":\"post\",\"path\":\"$R/check-runs\",\"status\":403,\"response\":{\"message\":\"Resource not accessible by personal access token\"}}" \
		"{\"method\":\"post\",\"path\":\"$R/statuses/$head\",\"status\":201,\"body\":{\"state\":\"success\",\"context\":\"rlpromote\",\"description\":\"GO: support-bot staging\"},\"response\":{\"id\":1}}" &&
	scenario comment-updated \
		"{\"method\":\"get\",\"path\":\"$R/issues/2/comments?per_page=100\",\"status\":200,\"response\":[{\"id\":41,\"body\":\"<!-- rlpromote:report pr=2 -->\\nold\"},{\"id\":42,\"body\":\"<!-- rlpromote:report pr=2 -->\\nolder\"}]}" \
		"{\"method\":\"patch\",\"path\":\"$R/issues/comments/42\",\"status\":200,\"body\":{\"body\":$body},\"response\":{\"id\":42}}" \
		"{\"method\":\"post\",\"path\":\"$R/check-runs\",\"status\":201,\"body\":$check,\"response\":{\"id\":1}}"
'
fixtures_start || { echo "FAIL: the fixtures server did not start:" >&2; cat "$TEST_ROOT/fix.log" >&2; exit 1; }

test_expect_success 'fixtures: a duplicate PR (422 race) is found and updated, not opened twice' '
	cd "$WORK" && url=$(load duplicate-pr) && git config rlpromote.apiUrl "$url" &&
	git config rlpromote.forgeRepo Codertocat/Hello-World &&
	RLPROMOTE_TOKEN=$TOKEN RLPROMOTE_TRACE=1 git rlpromote pr open v2 --to staging \
		>"$TEST_ROOT/fx1.out" 2>"$TEST_ROOT/fx1.err" || { cat "$TEST_ROOT/fx1.err"; false; } &&
	grep -q "^http://127.0.0.1:$FIX_PORT/github.com/[a-z0-9]*/Codertocat/Hello-World/pull/5$" \
		"$TEST_ROOT/fx1.out" &&
	test_grep "updated pull request #5" "$TEST_ROOT/fx1.err"
'

test_expect_success 'fixtures: the report comment is created with its exact body' '
	cd "$CI" && actions_env "$(load comment-created)" "$TEST_ROOT/ev.json" && unset GITHUB_SERVER_URL &&
	git rlpromote ci --no-fetch >"$TEST_ROOT/fx2.out" 2>"$TEST_ROOT/fx2.err" &&
	test_grep "report comment 42: created" "$TEST_ROOT/fx2.err" &&
	test_grep "check run: GO" "$TEST_ROOT/fx2.err"
'

test_expect_success 'fixtures: 403 retry-after waits, pages are followed, an equal comment is left alone, status fallback' '
	cd "$CI" && actions_env "$(load comment-unchanged-after-retry)" "$TEST_ROOT/ev.json" &&
	unset GITHUB_SERVER_URL &&
	git rlpromote ci --no-fetch >"$TEST_ROOT/fx3.out" 2>"$TEST_ROOT/fx3.err" &&
	test_grep "rate limited (403); waiting 1 s" "$TEST_ROOT/fx3.err" &&
	test_grep "report comment 42: unchanged" "$TEST_ROOT/fx3.err" &&
	test_grep "commit status: GO" "$TEST_ROOT/fx3.err"
'

test_expect_success 'fixtures: the newest marked comment is updated' '
	cd "$CI" && actions_env "$(load comment-updated)" "$TEST_ROOT/ev.json" && unset GITHUB_SERVER_URL &&
	git rlpromote ci --no-fetch >"$TEST_ROOT/fx4.out" 2>"$TEST_ROOT/fx4.err" &&
	test_grep "report comment 42: updated" "$TEST_ROOT/fx4.err" &&
	test_grep "check run: GO" "$TEST_ROOT/fx4.err"
'

test_expect_success 'the token never appears in any output' '
	ls "$TEST_ROOT"/*.out "$TEST_ROOT"/*.err >/dev/null &&
	! grep -l "$TOKEN" "$TEST_ROOT"/*.out "$TEST_ROOT"/*.err "$TEST_ROOT"/*/summary.md \
		"$TEST_ROOT"/*/output.txt 2>/dev/null &&
	grep -q "trace: > " "$TEST_ROOT/ci1.err"
'

test_expect_success 'the composite action: bash run steps, inputs only through env' '
	action=$RLP_SOURCE_DIR/.github/actions/rlpromote/action.yml &&
	grep -q "^  using: composite$" "$action" &&
	test "$(grep -c "^      run: " "$action")" = "$(grep -c "^      shell: bash$" "$action")" &&
	! sed -n "/^      run: |/,/^    - /p" "$action" | grep -q "\${{" &&
	grep -q "fetch-depth: 0" "$RLP_SOURCE_DIR/templates/github-workflow.yml" &&
	grep -q "+refs/rlpromote/\*:refs/rlpromote/\*" "$RLP_SOURCE_DIR/templates/github-workflow.yml"
'

test_expect_success 'pr open refuses a candidate the remote does not hold, before pushing anything' '
	cd "$WORK" && act_as promoter &&
	git --git-dir="$SRV" for-each-ref >"$TEST_ROOT/refs.before" &&
	git commit -q --allow-empty -m "local only" && local_only=$(git rev-parse HEAD) &&
	test_expect_code 128 env RLPROMOTE_TOKEN=$TOKEN git rlpromote pr open "$local_only" --to staging \
		>"$TEST_ROOT/pr9.out" 2>"$TEST_ROOT/pr9.err" &&
	test_grep "holds no branch or tag with candidate $(git rev-parse --short=12 HEAD): push it first" \
		"$TEST_ROOT/pr9.err" &&
	git --git-dir="$SRV" for-each-ref >"$TEST_ROOT/refs.after" &&
	cmp "$TEST_ROOT/refs.before" "$TEST_ROOT/refs.after"
'

test_done
