#!/usr/bin/env bash
# The forge tests' rig from the npm registry, pinned by tests/package-lock.json:
# prism (validates requests against GitHub's OpenAPI description), GitHub's
# description itself, octokit's fixtures server and real webhook payloads.
# Installs into tests/node_modules (git-ignored); quick when it is current.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)

if ! command -v npm >/dev/null 2>&1; then
	echo "npm-setup: npm is not installed (Debian: apt-get install nodejs npm)" >&2
	exit 1
fi
stamp=$dir/node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then
	exit 0
fi
cd "$dir"
npm ci --no-audit --no-fund --loglevel=error
