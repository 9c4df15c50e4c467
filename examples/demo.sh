#!/usr/bin/env bash
# The bundled example, end to end: install, build, then gate two RL candidates
# of a support assistant against what production runs today.
#
#   candidate-v1: reward model and unit tests are happy, but it skips version
#                 pins and calls a deprecated search API -> NO-GO, naming the slice
#   candidate-v2: the fix -> GO
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ex=$top/examples

bash "$top/tests/install-deps.sh"
cmake -S "$top" -B "$top/build/demo" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$top/build/demo" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
PATH=$top/build/demo:$PATH
export RLPROMOTE_TEMPLATE_DIR=$top/templates

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "policy check: the policy is valid (normalized form)"
git rlpromote policy check "$ex/policy.yaml" | head -n 12
echo "..."

gate() { # <candidate file>
	git rlpromote gate --policy "$ex/policy.yaml" --to staging \
		--candidate-results "$ex/$1" --baseline-results "$ex/baseline.jsonl" \
		--run-metrics "$ex/run-metrics.json"
}

step "gate candidate-v1 -> staging (expect NO-GO)"
status=0
gate candidate-v1.jsonl || status=$?
[ "$status" -eq 1 ] || { echo "demo: expected NO-GO (exit 1), got exit $status" >&2; exit 1; }

step "gate candidate-v2 -> staging (expect GO)"
gate candidate-v2.jsonl

step "the same decision as a pull-request comment would show it (markdown)"
gate candidate-v2.jsonl >/dev/null
git rlpromote gate --policy "$ex/policy.yaml" --to staging --format markdown \
	--candidate-results "$ex/candidate-v1.jsonl" --baseline-results "$ex/baseline.jsonl" \
	--run-metrics "$ex/run-metrics.json" | head -n 20 || true

printf '\ndemo: candidate-v1 was stopped (NO-GO), candidate-v2 may go to staging (GO)\n'
