# Sourced by the hook tests (t0600 over file://, t0610 over git daemon),
# after lib.sh and setup-keys.sh. HOOK_TRANSPORT=file|daemon picks how
# clients reach the servers, which all live in $SRV (the daemon's base path).
#   daemon_start, daemon_stop  git daemon on 127.0.0.1, a free port in 20000-40000
#   url_of <name>          the URL of $SRV/<name>.git over the transport
#   hook_seed              a server with the hook, policy, signers, env, runs and
#                          production bootstrapped, all pushed through the hook;
#                          the clone that made them is $SEED
#   fresh                  this test's copies of both: the server $S, the clone ./w
#                          (where it leaves you, acting as promoter)
#   clone_as <dir> <who>   another clone of $S, set up and synced
#   expect_rejected <ref> <reason> <push args...>
#                          the push fails, the server names the ref in exactly one
#                          line with that reason, and no ref of the server moved
#   resign <commit> <who|-> [<tree>]   the same commit signed by someone else
#   tree_with <commit> <path> <file>   its tree with <path> replaced
#   STAGING, PRODUCTION, RUNS, ENV     ref names
SRV=$TEST_ROOT/srv
SEED=$TEST_ROOT/seed
STAGING=refs/rlpromote/stages/support-bot/staging
PRODUCTION=refs/rlpromote/stages/support-bot/production
RUNS=refs/rlpromote/runs/ci-example.com
ENV=refs/rlpromote/envs/support-v3
: "${HOOK_TRANSPORT:=file}"
mkdir -p "$SRV"

# ---- transports ----

DAEMON_PID='' DAEMON_PORT=''

url_of() { # <server name>: how a client reaches $SRV/<name>.git
	if [ "$HOOK_TRANSPORT" = daemon ]; then
		echo "git://127.0.0.1:$DAEMON_PORT/$1.git"
	else
		echo "file://$SRV/$1.git"
	fi
}

port_answers() { # <port>
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# git daemon on 127.0.0.1 only, serving $SRV, with the environment a service
# gives it: no HOME, a PATH that finds git-rlpromote and nothing else of ours.
daemon_start() {
	local port
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 20000))
		port_answers "$port" && continue
		env -i PATH="$RLP_BUILD_DIR:/usr/local/bin:/usr/bin:/bin" LC_ALL=C.UTF-8 \
			"$(git --exec-path)/git-daemon" --export-all --enable=receive-pack \
			--base-path="$SRV" --listen=127.0.0.1 --port="$port" --reuseaddr \
			--informative-errors --verbose "$SRV" \
			>>"$TEST_ROOT/daemon.log" 2>&1 &
		DAEMON_PID=$!
		for _ in $(seq 50); do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			if port_answers "$port"; then
				DAEMON_PORT=$port
				return 0
			fi
			sleep 0.1
		done
		kill "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	done
	echo "could not start git daemon on 127.0.0.1" >&2
	cat "$TEST_ROOT/daemon.log" >&2
	return 1
}

daemon_stop() {
	if [ -n "$DAEMON_PID" ]; then
		kill "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	fi
}

# ---- repositories ----

# examples/policy.yaml, except that production is gated on the same env
# (the example's shadow_compare needs shadow traffic a test has not got):
# a GO promotion to production is then possible, and with it "production
# without staging".
server_policy() {
	sed -e '/^  production:$/,$d' "$EXAMPLES/policy.yaml" &&
	cat <<-'YAML'
	  production:
	    from: staging
	    env: support-v3
	    baseline: production
	    rules:
	      - {id: quality, kind: aggregate_threshold, metric: pass, min: 0.85}
	YAML
}

# The same policy with a staging gate anything passes.
weak_policy() {
	server_policy | sed -e '/id: \(no-regress\|safety\|format\|division\|tools\|latency\|kl\|reward-model\|repro\|enough\)/d' \
		-e 's/{id: quality, kind: aggregate_threshold, metric: pass, min: 0.85}/{id: quality, kind: aggregate_threshold, metric: pass, min: 0.1}/'
}

candidate() { # <tag> <model>: a commit pinning one of examples/models
	cp "$EXAMPLES/models/$2.json" model/behaviour.json &&
	git add model && git commit -q --allow-empty -m "candidate $1" && git tag "$1"
}

record() { # <tag> <results file>: a run of the candidate, signed by ci
	act_as ci && git rlpromote eval record --env support-v3 --candidate "$1" \
		--run-metrics "$EXAMPLES/run-metrics.json" "$EXAMPLES/$2" >/dev/null
}

server_refs() { # [<server dir>]
	git --git-dir="${1:-$S}" for-each-ref --format='%(objectname) %(refname)'
}

# The seed: a server with the hook and main (policy, signers, env spec,
# candidates), and a clone that froze the env, recorded runs of base, v1, v2
# and v3 (v3 has v2's results) and bootstrapped production with an override
# of base, all pushed through the hook.
hook_seed() {
	local url
	git init -q --bare "$SRV/seed.git" &&
	git --git-dir="$SRV/seed.git" symbolic-ref HEAD refs/heads/main &&
	git rlpromote hook install --server "$SRV/seed.git" >"$SEED.install" &&
	grep -q "installed .*hooks/pre-receive" "$SEED.install" &&
	url=$(url_of seed) &&
	git init -q -b main "$SEED" && cd "$SEED" &&
	git remote add origin "$url" &&
	act_as promoter && git rlpromote init >/dev/null &&
	mkdir -p .rlpromote model &&
	server_policy >.rlpromote/policy.yaml &&
	cp "$KEYS/allowed_signers" .rlpromote/allowed_signers &&
	cp -r "$EXAMPLES/env" env &&
	git add -A && git commit -q -m "policy, signers and env" &&
	candidate base baseline && candidate v1 candidate-v1 &&
	candidate v2 candidate-v2 && candidate v3 candidate-v2 &&
	git push -q origin main --tags &&
	act_as ci && git rlpromote env freeze env/env.yaml >/dev/null &&
	record base baseline.jsonl && record v1 candidate-v1.jsonl &&
	record v2 candidate-v2.jsonl && record v3 candidate-v2.jsonl &&
	act_as lead &&
	git rlpromote promote base --to production --override --reason bootstrap >/dev/null &&
	git push origin $ENV $RUNS $PRODUCTION refs/notes/rlpromote >"$SEED.push" 2>&1 &&
	server_refs "$SRV/seed.git" >"$SEED.refs" &&
	for ref in $ENV $RUNS $PRODUCTION; do
		grep -q "^$(git rev-parse $ref) $ref\$" "$SEED.refs" || return 1
	done &&
	act_as promoter
}

# This test's copies of the seed: the server $S (reached at $(url_of $NAME))
# and the clone ./w, where it leaves you.
fresh() {
	NAME=$(basename "$PWD")
	S=$SRV/$NAME.git
	rm -rf "$S" w &&
	cp -a "$SRV/seed.git" "$S" &&
	cp -a "$SEED" w && cd w &&
	git remote set-url origin "$(url_of "$NAME")"
}

# A clone of this test's server, set up and synced, acting as <who>.
clone_as() { # <dir> <who>
	git clone -q "$(url_of "$NAME")" "$1" 2>/dev/null &&
	act_as "$2" "$1" &&
	(cd "$1" && git rlpromote init >/dev/null && git fetch -q origin &&
	 git rlpromote sync >/dev/null)
}

expect_rejected() { # <ref> <reason (a grep pattern)> <git push args...>
	local ref=$1 reason=$2
	shift 2
	server_refs >refs.before
	if git push "$@" >push.raw 2>&1; then
		echo "the push was accepted:" >&2
		cat push.raw >&2
		return 1
	fi
	# git pads the lines of the remote's sideband with blanks
	sed "s/[[:space:]]*\$//" push.raw >push.out
	cat push.out
	# one line for this ref, with its reason, from the server's hook
	test "$(grep -c "^remote: rlpromote: $ref: " push.out)" = 1 ||
		{ echo "not one rlpromote line for $ref" >&2; return 1; }
	test_grep "^remote: rlpromote: $ref: $reason" push.out &&
	test_grep "^remote: rlpromote: [0-9]* refs* rejected under HEAD:.rlpromote/policy.yaml" push.out &&
	test_grep "\[remote rejected\] .* (pre-receive hook declined)" push.out &&
	server_refs >refs.after &&
	{ cmp -s refs.before refs.after || { diff refs.before refs.after >&2; return 1; }; }
}

# <commit> again, with the same parents and message, maybe another tree,
# signed by <who> (or by nobody: -).
resign() { # <commit> <who|-> [<tree>]
	local commit=$1 who=$2 tree=${3:-$(git rev-parse "$1^{tree}")} p parents=
	for p in $(git show -s --format=%P "$commit"); do
		parents="$parents -p $p"
	done
	if [ "$who" = - ]; then
		git show -s --format=%B "$commit" | git commit-tree $parents "$tree"
	else
		git show -s --format=%B "$commit" |
			git -c user.name="$who" -c user.email="$who@example.com" -c gpg.format=ssh \
				-c user.signingKey="$KEYS/$who" commit-tree -S $parents "$tree"
	fi
}

# The tree of <commit> with <path> holding the contents of <file>.
tree_with() { # <commit> <path> <file>
	local blob idx=$PWD/.git/tree-with.idx
	blob=$(git hash-object -w "$3") &&
	rm -f "$idx" &&
	GIT_INDEX_FILE=$idx git read-tree "$1" &&
	GIT_INDEX_FILE=$idx git update-index --cacheinfo "100644,$blob,$2" &&
	GIT_INDEX_FILE=$idx git write-tree &&
	rm -f "$idx"
}
