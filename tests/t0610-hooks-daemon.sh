#!/usr/bin/env bash
# t0600's pushes again, over git daemon (git://) on 127.0.0.1: the server's
# hook runs in the environment a daemon gives it (no HOME; a PATH that finds
# git-rlpromote), and its lines reach the client through the sideband.
# The daemon is started once on a free port in 20000-40000 and stopped on exit.
HOOK_TRANSPORT=daemon
. "$(dirname "$0")/t0600-hooks.sh"
