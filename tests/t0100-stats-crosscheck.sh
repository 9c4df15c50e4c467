#!/bin/bash
# Cross-check lib/stats.c against scipy/statsmodels through tests/tool_stats.
# Run by ctest with RLP_BUILD_DIR and RLP_SOURCE_DIR set. Missing reference
# libraries are a failure, not a skip: without them nothing is checked.
set -eu

python=/usr/bin/python3
tool="$RLP_BUILD_DIR/tests/tool_stats"

if ! "$python" -c 'import numpy, scipy, statsmodels' 2>/dev/null; then
	echo "t0100: $python cannot import numpy, scipy and statsmodels;" \
		"install python3-scipy and python3-statsmodels (Debian) to run the cross-check" >&2
	exit 1
fi
if ! test -x "$tool"; then
	echo "t0100: '$tool' is missing; build the tool_stats target first" >&2
	exit 1
fi

"$python" "$RLP_SOURCE_DIR/tests/stats_crosscheck.py" "$tool"
