#!/usr/bin/env bash
# The bundled example, end to end, in a scratch repository:
#   install and build; three people with ssh keys (CI records evals, a
#   promoter decides, a lead may override); freeze the RL test environment;
#   record production's model; run the frozen eval on an RL candidate whose
#   reward model and unit tests are happy but which skips version pins and
#   calls a deprecated search API (NO-GO, the slice named, promotion refused);
#   fix it (GO), promote to staging, and check status, current and verify.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ex=$top/examples

bash "$top/tests/install-deps.sh"
cmake -S "$top" -B "$top/build/demo" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$top/build/demo" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
export PATH=$top/build/demo:$PATH
export RLPROMOTE_TEMPLATE_DIR=$top/templates
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

work=$(mktemp -d "${TMPDIR:-/tmp}/rlpromote-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GNUPGHOME=$work/home/.gnupg
mkdir -p "$HOME"
git config --global init.defaultBranch main

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
act_as() { # the person at the keyboard: identity and signing key
	git config user.name "$1"
	git config user.email "$1@example.com"
	git config gpg.format ssh
	git config user.signingKey "$work/keys/$1"
}
candidate() { # <tag> <behaviour>: a commit pinning a model
	cp "$ex/models/$2.json" model/behaviour.json
	printf 'weights of %s' "$1" >"$work/$1.safetensors"
	printf 'uri: s3://models/support-bot/%s.safetensors\nsha256: %s\n' "$1" \
		"$(sha256sum "$work/$1.safetensors" | cut -d' ' -f1)" >model/model.yaml
	git add model && git commit -q -m "model: $1" && git tag "$1"
}

step "keys: ci records evals, promoter decides, lead may override"
mkdir -p "$work/keys"
for who in ci promoter lead; do
	ssh-keygen -q -t ed25519 -N '' -C "$who@example.com" -f "$work/keys/$who"
done

step "a model repository set up for rlpromote"
git init -q "$work/support-bot" && cd "$work/support-bot"
act_as promoter
run git rlpromote init
sed 's/^model: support-bot$/model: support-bot\nartifact: model\/model.yaml/' "$ex/policy.yaml" \
	>.rlpromote/policy.yaml
for who in ci promoter lead; do
	printf '%s@example.com namespaces="git" %s\n' "$who" "$(cut -d' ' -f1,2 "$work/keys/$who.pub")"
done >.rlpromote/allowed_signers
cp -r "$ex/env" env
mkdir model
git add -A && git commit -q -m "rlpromote policy, signers and the support-v3 eval environment"
run git rlpromote policy check | sed -n '1,4p;/^promotions/,/no-regress/p'

step "freeze the RL test environment (seed, clock, decoding, offline tools, held-out inputs, graders)"
act_as ci
run git rlpromote env freeze env/env.yaml
run git rlpromote env freeze env/env.yaml   # identical content: the same version

step "production's model, recorded before rlpromote existed"
candidate prod baseline
run git rlpromote eval run --env support-v3 --candidate prod --repeat 2
act_as lead
run git rlpromote promote prod --to production --override --reason "initial deployment: production before rlpromote"

step "candidate v1: the reward model is happy, the frozen eval is not"
candidate v1 candidate-v1
act_as ci
run git rlpromote eval run --env support-v3 --candidate v1 --repeat 2
status=0
run git rlpromote gate v1 --to staging || status=$?
[ "$status" -eq 1 ] || { echo "demo: expected NO-GO (exit 1), got $status" >&2; exit 1; }
act_as promoter
status=0
run git rlpromote promote v1 --to staging || status=$?
[ "$status" -eq 1 ] || { echo "demo: the promotion of v1 should have been refused" >&2; exit 1; }

step "candidate v2 pins versions and uses the current search API"
candidate v2 candidate-v2
act_as ci
run git rlpromote eval run --env support-v3 --candidate v2 --repeat 2
run git rlpromote gate v2 --to staging --format markdown | head -n 8

step "v1 against v2, slice by slice; the page reviewers open"
run git rlpromote diff v1 v2 | grep -E '^(\$|A|B|env|SLICE) |  pass  '
report=${TMPDIR:-/tmp}/rlpromote-demo-report.html
run git rlpromote report v2 --to staging -o "$report"
printf 'open %s: one self-contained page, verdict, rules and a chart per metric\n' "$report"
act_as promoter
run git rlpromote promote v2 --to staging

step "what each stage holds, verified; what a deploy script reads"
run git rlpromote status
run git rlpromote current staging --json
run git rlpromote verify-artifact staging "$work/v2.safetensors"
run git rlpromote verify --all
run git log --notes=rlpromote --format='%h %s%n%N' -1 v2
run git verify-commit refs/rlpromote/stages/support-bot/staging

step "the team's server enforces the policy on push"
git init -q --bare "$work/server.git"
run git rlpromote hook install --server "$work/server.git"
git config remote.origin.url "$work/server.git"
# the branch with the policy first: the hook trusts only what the server holds
run git push origin main 2>&1 | grep -E 'new branch' | sed 's/^ *//'
run git push origin 2>&1 | grep -E 'new reference' | sed 's/^ *//'

step "a bad push: the promoter weakens the policy locally and promotes v1 anyway"
git checkout -q -b weaker
sed -i '/id: no-regress/d; s/min: 0.85}/min: 0.80}/' .rlpromote/policy.yaml
git commit -q -am "policy: drop the no-regress rule (local only)"
git config rlpromote.trustedRef weaker
run git rlpromote promote v1 --to staging   # GO under the weakened local policy
git config --unset rlpromote.trustedRef
git checkout -q main
before=$(git --git-dir="$work/server.git" rev-parse refs/rlpromote/stages/support-bot/staging)
printf '$ git push origin refs/rlpromote/stages/support-bot/staging\n'
git push origin refs/rlpromote/stages/support-bot/staging 2>&1 | grep -E 'rlpromote:|rejected' || true
after=$(git --git-dir="$work/server.git" rev-parse refs/rlpromote/stages/support-bot/staging)
[ "$before" = "$after" ] || { echo "demo: the server accepted the bad push" >&2; exit 1; }
printf 'the server still holds %s for staging: the push was refused\n' "$(git --git-dir="$work/server.git" rev-parse --short=12 refs/rlpromote/stages/support-bot/staging)"

printf '\ndemo: v1 was stopped (NO-GO on version_pin), v2 holds staging, every decision verifies,\n'
printf 'and the server refused a promotion made under a locally weakened policy\n'
