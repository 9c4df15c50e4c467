#!/usr/bin/env bash
# Benchmark: the time the server hook adds to a single-decision push (ssh
# signatures), with 10 and with 10,000 earlier decisions on the stage, and the
# time the client pre-push hook adds to pushing an ordinary branch.
#
#   bash bench/hook.sh [earlier-decisions-big]     (default 10000)
#
# Targets (issue 4): server hook <= 100 ms and flat with history; pre-push
# <= 5 ms on ordinary branches.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
big=${1:-10000}
build=$top/build/bench
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target git-rlpromote tool_history >/dev/null
export PATH=$build:$build/tests:$PATH RLPROMOTE_TEMPLATE_DIR=$top/templates
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
work=$(mktemp -d "${TMPDIR:-/tmp}/rlp-hook-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home && mkdir -p "$HOME" && git config --global init.defaultBranch main
for who in ci promoter lead; do
	ssh-keygen -q -t ed25519 -N '' -C "$who@example.com" -f "$work/$who"
done
act_as() {
	git config user.name "$1" && git config user.email "$1@example.com"
	git config gpg.format ssh && git config user.signingKey "$work/$1"
}

median_ms() { # <runs> <command...>
	local n=$1 i t0 t1
	shift
	for i in $(seq "$n"); do
		t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

# A server and a clone whose staging stage has <earlier> decisions, and one
# more, a real signed GO promotion, whose objects the server already has
# (under a ref the hook ignores) so the hook can be timed on its own.
setup() { # <dir> <earlier>
	local dir=$1 earlier=$2
	mkdir -p "$dir" && cd "$dir"
	git init -q --bare server.git
	git clone -q server.git clone 2>/dev/null && cd clone
	act_as promoter && git rlpromote init >/dev/null
	cp "$top/examples/policy.yaml" .rlpromote/policy.yaml
	for who in ci promoter lead; do
		printf '%s@example.com namespaces="git" %s\n' "$who" "$(cut -d' ' -f1,2 "$work/$who.pub")"
	done >.rlpromote/allowed_signers
	cp -r "$top/examples/env" env && mkdir model
	cp "$top/examples/models/baseline.json" model/behaviour.json
	git add -A && git commit -qm setup && git tag prod
	act_as ci && git rlpromote env freeze env/env.yaml >/dev/null
	git rlpromote eval run --env support-v3 --candidate prod --repeat 2 >/dev/null 2>&1
	act_as lead && git rlpromote promote prod --to production --override --reason bootstrap >/dev/null 2>&1
	tool_history . support-bot staging 0 "$earlier"
	cp "$top/examples/models/candidate-v2.json" model/behaviour.json
	git commit -qam v2 && git tag v2
	act_as ci && git rlpromote eval run --env support-v3 --candidate v2 --repeat 2 >/dev/null 2>&1
	OLD=$(git rev-parse refs/rlpromote/stages/support-bot/staging)
	act_as promoter && git rlpromote promote v2 --to staging >/dev/null 2>&1
	NEW=$(git rev-parse refs/rlpromote/stages/support-bot/staging)
	git update-ref refs/rlpromote/stages/support-bot/staging "$OLD"
	git push -q origin 2>/dev/null
	git push -q origin "$NEW:refs/bench/decision"
	git rlpromote hook install --server ../server.git >/dev/null
	cd ..
}

hook_once() { # time the server hook on the pending update
	printf '%s %s refs/rlpromote/stages/support-bot/staging\n' "$OLD" "$NEW" |
		GIT_DIR=server.git git rlpromote hook pre-receive
}

push_once() { # a real push of the decision, then the server ref put back
	git -C clone push -q origin "$NEW:refs/rlpromote/stages/support-bot/staging" 2>/dev/null
	git --git-dir=server.git update-ref refs/rlpromote/stages/support-bot/staging "$OLD"
}

printf '%-44s %10s %10s\n' "median of 21 (ms)" "10 earlier" "$big earlier"
declare -A hook push nohook
for n in 10 "$big"; do
	echo "setting up $n earlier decisions ..." >&2
	(setup "$work/r$n" "$n")
	cd "$work/r$n"
	OLD=$(git --git-dir=server.git rev-parse refs/rlpromote/stages/support-bot/staging)
	NEW=$(git --git-dir=server.git rev-parse refs/bench/decision)
	hook_once >/dev/null 2>&1 || { echo "bench: the hook rejected the bench decision:" >&2; hook_once; exit 1; }
	hook[$n]=$(median_ms 21 hook_once)
	push[$n]=$(median_ms 11 push_once)
	mv server.git/hooks/pre-receive server.git/hooks/off
	nohook[$n]=$(median_ms 11 push_once)
	mv server.git/hooks/off server.git/hooks/pre-receive
done
printf '%-44s %10s %10s\n' "server hook alone (pre-receive, 1 decision)" "${hook[10]}" "${hook[$big]}"
printf '%-44s %10s %10s\n' "push with the hook" "${push[10]}" "${push[$big]}"
printf '%-44s %10s %10s\n' "push without the hook" "${nohook[10]}" "${nohook[$big]}"

# client: pushing an ordinary branch with and without the pre-push hook
cd "$work/r10/clone"
git checkout -q -b feature
branch_push() {
	git commit -q --allow-empty -m x && git push -q origin feature 2>/dev/null
}
without=$(median_ms 21 branch_push)
git rlpromote hook install >/dev/null
with=$(median_ms 21 branch_push)
line="refs/heads/feature $(git rev-parse HEAD) refs/heads/feature $(git rev-parse HEAD)"
alone=$(median_ms 21 sh -c "echo '$line' | .git/hooks/pre-push origin x")
baseline=$(median_ms 21 sh -c "echo '$line' | true")
printf '%-44s %10s\n' "ordinary branch push, no pre-push hook" "$without"
printf '%-44s %10s\n' "ordinary branch push, with pre-push hook" "$with"
printf '%-44s %10s\n' "pre-push hook alone on an ordinary branch" "$alone"
printf '%-44s %10s\n' "(the same pipeline into true, for reference)" "$baseline"
