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
