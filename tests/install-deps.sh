#!/usr/bin/env bash
# Install what git-rlpromote needs to build, demo and test on Debian 12.
# Idempotent and quick when everything is present. Needs root (or sudo).
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang git
	libgit2-dev libyaml-dev libcjson-dev libcurl4-openssl-dev libssl-dev libcmocka-dev
	python3 python3-scipy python3-statsmodels
	man-db groff gnupg openssh-client time faketime chromium
)

# The forge tests' rig (prism, octokit's fixtures server) runs on Node.js 20
# or later, from the npm registry; this kind of machine ships Node 20. Where
# node is absent, Debian's nodejs and npm are the fallback.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
