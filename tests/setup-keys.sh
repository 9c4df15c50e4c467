# Sourced by shell tests that sign: ssh keys for three principals, an
# allowed-signers file, and helpers to act as one of them in a repository.
#   keys_setup               creates $KEYS/{ci,promoter,lead,mallory} and $KEYS/allowed_signers
#   act_as <name> [<repo>]   sets user.email/signingKey/gpg.format in the repo's config
KEYS=$TEST_ROOT/keys
# identities come from each repository's config, as act_as sets them
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

keys_setup() {
	mkdir -p "$KEYS"
	local who
	for who in ci promoter lead mallory; do
		[ -f "$KEYS/$who" ] || ssh-keygen -q -t ed25519 -N '' -C "$who@example.com" -f "$KEYS/$who"
	done
	: >"$KEYS/allowed_signers"
	for who in ci promoter lead; do
		printf '%s@example.com namespaces="git" %s\n' "$who" "$(cut -d' ' -f1,2 "$KEYS/$who.pub")" \
			>>"$KEYS/allowed_signers"
	done
}

act_as() { # <who> [<repo dir>]
	local dir=${2:-.}
	git -C "$dir" config user.name "$1"
	git -C "$dir" config user.email "$1@example.com"
	git -C "$dir" config gpg.format ssh
	git -C "$dir" config user.signingKey "$KEYS/$1"
}
