#!/usr/bin/env bash
# Benchmark: `status` and `current` on a repository with long history
# (10,000 decisions on the stage, 100,000 runs) against a small one (10 and
# 100), beside `git for-each-ref` on the same repositories. Both commands
# read only the tip of each chain and verify its signature, so they should
# not grow with history.
#
#   bash bench/store.sh [decisions] [runs]     (defaults 10000 100000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
big_d=${1:-10000} big_r=${2:-100000}
build=$top/build/bench
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target git-rlpromote tool_history >/dev/null
export PATH=$build:$build/tests:$PATH RLPROMOTE_TEMPLATE_DIR=$top/templates
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
work=$(mktemp -d "${TMPDIR:-/tmp}/rlp-store-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
ssh-keygen -q -t ed25519 -N '' -C lead@example.com -f "$work/lead"

make_repo() { # <dir> <decisions> <runs>
	git init -q "$1" && cd "$1"
	git config user.name lead && git config user.email lead@example.com
	git rlpromote init >/dev/null
	sed 's/^  override: .*/  override: [lead@example.com]/' "$top/examples/policy.yaml" >.rlpromote/policy.yaml
	printf 'lead@example.com namespaces="git" %s\n' "$(cut -d' ' -f1,2 "$work/lead.pub")" \
		>.rlpromote/allowed_signers
	git add -A && git commit -qm setup
	tool_history . support-bot staging "$3" "$2"
	git config gpg.format ssh && git config user.signingKey "$work/lead"
	# the tip is a real, signed decision
	git rlpromote promote HEAD --to staging --override --reason "bench tip" >/dev/null 2>&1
	git gc -q
}

median_ms() { # <runs> <command...>: median wall time in milliseconds
	local n=$1 i t0 t1
	shift
	for i in $(seq "$n"); do
		t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

echo "building repositories: $big_d decisions + $big_r runs, and 10 + 100 ..." >&2
t0=$(date +%s)
(make_repo "$work/big" "$big_d" "$big_r")
(make_repo "$work/small" 10 100)
echo "built in $(( $(date +%s) - t0 )) s" >&2

printf '%-34s %12s %12s %8s\n' "median of 21 runs (ms)" "small" "big" "big/small"
for cmd in "git rlpromote status" "git rlpromote current staging" \
	"git rlpromote current staging --json" "git for-each-ref"; do
	s=$(cd "$work/small" && median_ms 21 $cmd)
	b=$(cd "$work/big" && median_ms 21 $cmd)
	printf '%-34s %12s %12s %8s\n' "$cmd" "$s" "$b" "$(awk -v s="$s" -v b="$b" 'BEGIN{printf "%.2f", b/s}')"
done
echo "(status and current verify the tip decision's Ed25519 signature in process; ~10 ms of each run is libgit2 start-up loading the CA bundle)"
