#!/usr/bin/env bash
# The manual pages and the bash completion:
#  - both man pages render without a single groff warning (-ww);
#  - every form of `git-rlpromote <command> -h` (a usage may have several:
#    "usage: ..." then "   or: ...", each maybe continued on further lines)
#    is a synopsis entry of the man page, for every command
#    `git-rlpromote -h` lists; every synopsis entry is such a form; and each
#    command has an entry under COMMANDS;
#  - the example policy in rlpromote-policy(5) is examples/policy.yaml;
#  - the completion offers the commands, their subcommands and the options
#    the usage shows.
#
# Environment (set by ctest): RLP_BUILD_DIR, the CMake build directory that
# holds git-rlpromote; RLP_SOURCE_DIR, the source tree.
# Needs man-db and groff (Debian: man-db, groff-base).
set -eu

src=${RLP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${RLP_BUILD_DIR:-$src/build}
bin=$build/git-rlpromote
man1=$src/doc/git-rlpromote.1
man5=$src/doc/rlpromote-policy.5
completion=$src/contrib/git-rlpromote.bash

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
fail () {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# Whitespace runs to one space, no leading or trailing space.
squeeze () {
	tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
	echo
}

# The forms of a usage, one a line, whitespace-squeezed: a line starting
# with "usage: " or "or: " (after indentation) begins a form, with that
# prefix dropped; any other line continues the form before it.
usage_forms () {
	awk '
		{ sub(/^[ \t]+/, "") }
		/^usage: / || /^or: / {
			if (form != "") print form
			form = $0
			sub(/^(usage|or): /, "", form)
			next
		}
		{ form = form " " $0 }
		END { if (form != "") print form }
	' "$@" | sed 's/[[:space:]][[:space:]]*/ /g; s/^ //; s/ $//'
}

# A page as plain text at 80 columns: man drops bold and underline when
# writing to a pipe; strip overstrikes anyway in case it does not.
render () {
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man -E UTF-8 -l "$1" 2>/dev/null |
		sed 's/.\x08//g'
}

# The body of section $2 of rendered page $1 (up to the next heading).
section () {
	awk -v name="$2" '
		/^[^ \t]/ { on = ($0 == name); next }
		on { print }
	' "$1"
}

# ---- tools ----

for tool in man groff; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "FAIL: '$tool' is not installed (Debian: apt-get install man-db groff-base)" >&2
		exit 1
	fi
done

# ---- the pages render cleanly ----

for page in "$man1" "$man5"; do
	if [ ! -f "$page" ]; then
		fail "missing $page"
		continue
	fi
	warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings=w -E UTF-8 -l "$page" 2>&1 >/dev/null) || true
	if [ -n "$warnings" ]; then
		fail "$(basename "$page") does not render cleanly:"
		printf '%s\n' "$warnings" >&2
	fi
	render "$page" >"$tmp/$(basename "$page").txt"
	if ! [ -s "$tmp/$(basename "$page").txt" ]; then
		fail "$(basename "$page") renders empty"
	fi
done

# ---- usage strings match the synopsis ----

commands=""
if [ ! -x "$bin" ]; then
	fail "no binary at $bin: cannot compare usage strings with the man page"
else
	"$bin" -h >"$tmp/help" || fail "'git-rlpromote -h' exited $?"
	# the command list: "   <name>   <summary>" lines after "commands:"
	commands=$(awk '/^commands:/ { on = 1; next } on && /^   [a-z]/ { print $1 }' "$tmp/help")
	[ -n "$commands" ] || fail "'git-rlpromote -h' lists no commands"

	# One synopsis entry per line, each starting with "git rlpromote".
	section "$tmp/git-rlpromote.1.txt" SYNOPSIS | squeeze |
		sed 's/ git rlpromote /\ngit rlpromote /g' >"$tmp/synopsis"
	section "$tmp/git-rlpromote.1.txt" COMMANDS >"$tmp/commands"

	: >"$tmp/forms"
	for cmd in $commands; do
		"$bin" "$cmd" -h >"$tmp/usage" 2>&1 ||
			fail "'git-rlpromote $cmd -h' exited $?"
		case $(head -n 1 "$tmp/usage") in
		"usage: git rlpromote $cmd "* | "usage: git rlpromote $cmd") ;;
		*) fail "'git-rlpromote $cmd -h' prints no 'usage: git rlpromote $cmd': $(head -n 1 "$tmp/usage")" ;;
		esac
		usage_forms "$tmp/usage" >"$tmp/usage.forms"
		[ -s "$tmp/usage.forms" ] || fail "'git-rlpromote $cmd -h' prints no usage"
		missing=0
		while IFS= read -r form; do
			case $form in
			"git rlpromote $cmd "* | "git rlpromote $cmd") ;;
			*) fail "a form of 'git-rlpromote $cmd -h' is not 'git rlpromote $cmd ...': $form" ;;
			esac
			if ! grep -qxF -- "$form" "$tmp/synopsis"; then
				fail "SYNOPSIS of git-rlpromote(1) lacks a form of the usage of '$cmd'"
				echo "  form:     $form" >&2
				missing=1
			fi
		done <"$tmp/usage.forms"
		if [ "$missing" = 1 ]; then
			grep -F -- "git rlpromote $cmd" "$tmp/synopsis" |
				sed 's/^/  synopsis: /' >&2 || true
		fi
		cat "$tmp/usage.forms" >>"$tmp/forms"
		if ! grep -Eq "^ {7}$cmd( |\$)" "$tmp/commands"; then
			fail "COMMANDS of git-rlpromote(1) has no entry for '$cmd'"
		fi
	done
	# and every synopsis entry is a form of some usage
	while IFS= read -r entry; do
		[ -n "$entry" ] || continue
		if ! grep -qxF -- "$entry" "$tmp/forms"; then
			fail "SYNOPSIS of git-rlpromote(1) shows what no usage says: $entry"
		fi
	done <"$tmp/synopsis"
	# and nothing in the synopsis that is not a command
	listed=" $(printf '%s\n' "$commands" | tr '\n' ' ')"
	while read -r _ _ sub _; do
		case $listed in
		*" $sub "*) ;;
		*) fail "SYNOPSIS of git-rlpromote(1) shows '$sub', which 'git-rlpromote -h' does not list" ;;
		esac
	done <"$tmp/synopsis"
fi

# ---- the example policy of rlpromote-policy(5) is examples/policy.yaml ----

sed -n '/^\.\\" BEGIN EXAMPLE POLICY/,/^\.\\" END EXAMPLE POLICY/p' "$man5" |
	grep -v '^\.' | sed 's/\\-/-/g; s/\\&//g; s/\\e/\\/g' >"$tmp/example.yaml"
if ! [ -s "$tmp/example.yaml" ]; then
	fail "rlpromote-policy(5) has no example policy between its markers"
elif [ -x "$bin" ]; then
	if ! "$bin" policy check "$tmp/example.yaml" >"$tmp/example.norm" 2>"$tmp/example.err"; then
		fail "the example policy of rlpromote-policy(5) is invalid:"
		cat "$tmp/example.err" >&2
	elif ! "$bin" policy check "$src/examples/policy.yaml" >"$tmp/policy.norm" 2>&1; then
		fail "examples/policy.yaml is invalid:"
		cat "$tmp/policy.norm" >&2
	elif ! diff -u "$tmp/policy.norm" "$tmp/example.norm" >"$tmp/example.diff"; then
		fail "the example policy of rlpromote-policy(5) differs from examples/policy.yaml:"
		cat "$tmp/example.diff" >&2
	fi
fi

# ---- bash completion ----

# Completes the words given (the last one is the word under the cursor)
# with the function the script registers for git-rlpromote; prints the
# candidates, one a line.
cat >"$tmp/complete.sh" <<'EOF'
source "$1" || exit 1
shift
spec=$(complete -p git-rlpromote) || { echo "no completion for git-rlpromote" >&2; exit 1; }
func=$(printf '%s\n' "$spec" | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
[ -n "$func" ] || { echo "cannot find the function in: $spec" >&2; exit 1; }
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$func" git-rlpromote "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF

# The same through git's own completion, for `git rlpromote ...`: it calls
# _git_rlpromote, and its replies carry their trailing space.
cat >"$tmp/complete-git.sh" <<'EOF'
source "$1" || exit 1
source "$2" || exit 1
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
__git_wrap__git_main
printf '%s\n' "${COMPREPLY[@]}"
EOF

completes () { # <expected word> <words...>
	local want=$1 script="$tmp/complete.sh" scripts=("$completion")
	shift
	if [ "$1" = git ]; then
		script=$tmp/complete-git.sh
		scripts=("$git_completion" "$completion")
	fi
	if ! (cd "$tmp" && HOME=$tmp bash --norc --noprofile "$script" "${scripts[@]}" "$@") \
		>"$tmp/reply" 2>&1; then
		fail "completing '$*' failed:"
		cat "$tmp/reply" >&2
	elif ! grep -qxF -- "$want" "$tmp/reply"; then
		fail "completing '$*' does not offer '$want'; it offers:"
		sed 's/^/  /' "$tmp/reply" >&2
	fi
}

if [ ! -f "$completion" ]; then
	fail "missing $completion"
else
	completes --format git-rlpromote gate --f
	completes json git-rlpromote gate --format ""
	completes markdown git-rlpromote gate --format = m
	completes check git-rlpromote policy ""
	git_completion=""
	for f in /usr/share/bash-completion/completions/git \
		/usr/share/git-core/contrib/completion/git-completion.bash \
		/etc/bash_completion.d/git; do
		if [ -f "$f" ]; then
			git_completion=$f
			break
		fi
	done
	if [ -n "$git_completion" ]; then
		completes "--format " git rlpromote gate --f
		completes "policy " git rlpromote ""
	else
		echo "note: git's bash completion not found; 'git rlpromote' completion not checked" >&2
	fi
	# every command of `-h`, and every option of `gate -h`
	for cmd in $commands; do
		completes "$cmd" git-rlpromote ""
	done
	if [ -x "$bin" ]; then
		for opt in $("$bin" gate -h | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			completes "$opt" git-rlpromote gate ""
		done
		# every subcommand a form names, and every option of every form
		# after "--"
		for cmd in $commands; do
			"$bin" "$cmd" -h 2>/dev/null | usage_forms >"$tmp/usage.forms"
			while read -r _ _ _ sub rest; do
				case $sub in
				[a-z]*) completes "$sub" git-rlpromote "$cmd" "" ;;
				*)
					rest="$sub $rest"
					sub=""
					;;
				esac
				for opt in $(printf '%s\n' "$rest" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
					if [ -n "$sub" ]; then
						completes "$opt" git-rlpromote "$cmd" "$sub" --
					else
						completes "$opt" git-rlpromote "$cmd" --
					fi
				done
			done <"$tmp/usage.forms"
		done
	fi
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "ok: man pages render cleanly, synopses match usage, completion works"
