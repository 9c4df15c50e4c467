# Shell test library, in the spirit of git's t/test-lib.sh:
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'what it checks' '
#       commands chained with && ...
#   '
#   test_done
# Each test runs in its own subshell inside a fresh scratch directory.
set -u

: "${RLP_BUILD_DIR:?set RLP_BUILD_DIR to the CMake build directory}"
: "${RLP_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export PATH="$RLP_BUILD_DIR:$PATH"
export RLPROMOTE_TEMPLATE_DIR="$RLP_SOURCE_DIR/templates"
export NO_COLOR=1 LC_ALL=C.UTF-8 TZ=UTC
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com
EXAMPLES="$RLP_SOURCE_DIR/examples"
PY=/usr/bin/python3

TEST_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/rlp-test.XXXXXX")
export HOME="$TEST_ROOT/home"
mkdir -p "$HOME"
trap 'rm -rf "$TEST_ROOT"' EXIT
test_count=0 test_failed=0

test_expect_success() { # <title> <script>
	local title=$1 script=$2 dir
	test_count=$((test_count + 1))
	dir="$TEST_ROOT/t$test_count"
	mkdir -p "$dir"
	if (cd "$dir" && set -e && eval "$script") >"$dir.log" 2>&1; then
		echo "ok $test_count - $title"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $title"
		sed 's/^/#   /' "$dir.log"
	fi
}

# Run a command that must exit with the given status.
test_expect_code() { # <code> <command...>
	local want=$1 got=0
	shift
	"$@" || got=$?
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got: $*" >&2
		return 1
	fi
}

test_grep() { # <pattern> <file>
	grep -q -e "$1" "$2" || { echo "no '$1' in $2:" >&2; cat "$2" >&2; return 1; }
}

test_done() {
	echo "$((test_count - test_failed)) passed, $test_failed failed"
	[ "$test_failed" -eq 0 ]
}
