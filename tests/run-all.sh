#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, build with clang
# and with gcc (warnings are errors), run every test, then run every test
# again on an AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

bash "$top/tests/install-deps.sh"
bash "$top/tests/npm-setup.sh"

build_and_test() { # <dir> <compiler> [cmake args...]
	local dir=$1 cc=$2
	shift 2
	echo "== $dir ($cc $*)"
	cmake -S "$top" -B "$top/build/$dir" -DCMAKE_C_COMPILER="$cc" -DRLP_WERROR=ON "$@" >/dev/null
	cmake --build "$top/build/$dir" -j"$jobs" >/dev/null
	(cd "$top/build/$dir" && ctest --output-on-failure -j"$jobs")
}

build_and_test clang clang
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0 \
	build_and_test sanitize gcc -DRLP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
