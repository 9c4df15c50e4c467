#!/usr/bin/env bash
# Benchmark: `gate` over 1,000,000 candidate and 1,000,000 baseline records
# (20 slices, 10 rules) against a straightforward Python script computing the
# same per-slice aggregates, side by side in one run.
#
#   bash bench/gate.sh [records]        (default 1000000; build/bench is made)
#
# Targets (issue 2): gate <= 2 s and <= 300 MB peak; >= 10x faster than Python.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
data=${RLP_BENCH_DATA:-${TMPDIR:-/tmp}/rlp-bench}
build=$top/build/bench
mkdir -p "$data"

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target git-rlpromote >/dev/null

cand=$data/cand-$n.jsonl base=$data/base-$n.jsonl
[ -s "$cand" ] || /usr/bin/python3 "$top/bench/gen_results.py" --n "$n" --seed 1 --pass-rate 0.88 --out "$cand"
[ -s "$base" ] || /usr/bin/python3 "$top/bench/gen_results.py" --n "$n" --seed 2 --pass-rate 0.87 --out "$base"
cat "$cand" "$base" >/dev/null # page cache, as for every run below

measure() { # <runs> <command...>: prints "seconds maxrss_kb" of the best run
	local runs=$1 best_s= best_kb= i s kb
	shift
	for i in $(seq "$runs"); do
		/usr/bin/time -f '%e %M' -o "$data/time" "$@" >/dev/null 2>&1 || true
		read -r s kb < <(tail -n 1 "$data/time")
		if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then
			best_s=$s best_kb=$kb
		fi
	done
	echo "$best_s $best_kb"
}

tags=$(grep -o '{tags: \[[a-z_]*\]}' "$top/bench/policy-20.yaml" | sed 's/.*\[\(.*\)\].*/\1/' | paste -sd, -)
echo "records: $n candidate + $n baseline ($(du -h "$cand" | cut -f1) each), 20 slices, 10 rules, $(nproc) cores"

read -r gate_s gate_kb < <(measure 5 "$build/git-rlpromote" gate --policy "$top/bench/policy-20.yaml" \
	--to staging --candidate-results "$cand" --baseline-results "$base" --format json)
read -r py_s py_kb < <(measure 1 /usr/bin/python3 "$top/bench/aggregate.py" "$tags" "$cand" "$base")

awk -v gs="$gate_s" -v gk="$gate_kb" -v ps="$py_s" -v pk="$py_kb" 'BEGIN {
	printf "%-28s %8.2f s %8.0f MB\n", "git rlpromote gate", gs, gk / 1024
	printf "%-28s %8.2f s %8.0f MB\n", "python3 (json, aggregates)", ps, pk / 1024
	printf "speed-up: %.1fx   targets: gate <= 2 s [%s], <= 300 MB [%s], >= 10x [%s]\n",
		ps / gs, (gs <= 2 ? "met" : "MISSED"), (gk / 1024 <= 300 ? "met" : "MISSED"),
		(ps / gs >= 10 ? "met" : "MISSED")
}'
