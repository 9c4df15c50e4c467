# bash completion for git-rlpromote(1)                       -*- shell-script -*-
#
# Completes both `git rlpromote ...` (git's completion calls _git_rlpromote,
# loading this file on demand as the completion for "git-rlpromote") and the
# bare `git-rlpromote ...` command. Installed as
# $datadir/bash-completion/completions/git-rlpromote; it can also be sourced
# from ~/.bashrc.
#
# Keep the lists below in step with the usage strings in cmd/main.c and the
# man page (tests/t0010-docs.sh checks the commands and their options).

__git_rlpromote_commands="gate policy env init eval shadow promote rollback monitor status current log show hook sync verify verify-artifact pr ci report diff"
__git_rlpromote_formats="text json markdown"

# What a command (and its subcommand) takes, in the caller's scope:
#   subs  its subcommands, when it has some and $2 is empty
#   opts  its options
#   vals  "--option=type" for the options that take a value
#   pos   the types of its positional arguments, in order
# Types: file dir rev stage env decision remote format forge, or none.
__git_rlpromote_spec ()
{
	subs="" opts="" vals="" pos=""
	case $1 in
	gate)
		opts="--to --policy-rev --format --html-url --policy --candidate-results --baseline-results --run-metrics --shadow-results"
		vals="--to=stage --policy-rev=rev --format=format --html-url=none --policy=file --candidate-results=file --baseline-results=file --run-metrics=file --shadow-results=file"
		pos="rev"
		;;
	report)
		opts="--to --policy-rev --format --html-url --output"
		vals="--to=stage --policy-rev=rev --format=report-format --html-url=none --output=file -o=file"
		pos="rev"
		;;
	diff)
		opts="--env --policy-rev --format"
		vals="--env=env --policy-rev=rev --format=diff-format"
		pos="rev rev"
		;;
	policy)
		case $2 in
		"") subs="check" ;;
		check) pos="file" ;;
		esac
		;;
	env)
		case $2 in
		"") subs="freeze show list verify checkout" ;;
		freeze) pos="file" ;;
		show | verify) pos="env" ;;
		checkout) pos="env dir" ;;
		esac
		;;
	init)
		opts="--remote --writer"
		vals="--remote=remote --writer=none"
		;;
	eval)
		case $2 in
		"") subs="run record show" ;;
		run)
			opts="--env --candidate --repeat"
			vals="--env=env --candidate=rev --repeat=none"
			;;
		record)
			opts="--env --candidate --run-metrics"
			vals="--env=env --candidate=rev --run-metrics=file"
			pos="file"
			;;
		show) pos="rev env" ;;
		esac
		;;
	shadow)
		case $2 in
		"") subs="record show" ;;
		record)
			opts="--candidate --baseline --share"
			vals="--candidate=rev --baseline=rev --share=none"
			pos="file"
			;;
		show) pos="rev" ;;
		esac
		;;
	promote)
		opts="--to --override --reason --policy-rev"
		vals="--to=stage --reason=none --policy-rev=rev"
		pos="rev"
		;;
	rollback)
		opts="--to --reason"
		vals="--to=decision --reason=none"
		pos="stage"
		;;
	monitor)
		case $2 in
		"") subs="record check" ;;
		record) pos="stage file" ;;
		check)
			opts="--rollback --json"
			pos="stage"
			;;
		esac
		;;
	current)
		opts="--json"
		pos="stage"
		;;
	log) pos="stage" ;;
	show) pos="decision" ;;
	hook)
		case $2 in
		"") subs="pre-receive pre-push update install" ;;
		pre-push) pos="remote none" ;;
		update) pos="none none none" ;;
		install)
			opts="--server"
			vals="--server=dir"
			;;
		esac
		;;
	sync) pos="remote" ;;
	verify) opts="--all" ;;
	verify-artifact) pos="stage file" ;;
	pr)
		case $2 in
		"") subs="open" ;;
		open)
			opts="--to --draft --remote --base --forge"
			vals="--to=stage --remote=remote --base=rev --forge=forge"
			pos="rev"
			;;
		esac
		;;
	ci)
		opts="--remote --forge --no-fetch"
		vals="--remote=remote --forge=forge"
		;;
	esac
}

# git in the repository being completed: through git's own completion helper
# when it is loaded (it honours `git -C <dir>` and --git-dir), else plainly.
__git_rlpromote_git ()
{
	if declare -F __git >/dev/null; then
		__git "$@"
	else
		git "$@" 2>/dev/null
	fi
}

# The stages: those of the policy in the work tree (flow or block list),
# then those with decisions (the last component of their refs), each once.
__git_rlpromote_stages ()
{
	local top
	top=$(__git_rlpromote_git rev-parse --show-toplevel)
	{
		if [[ -n $top && -f $top/.rlpromote/policy.yaml ]]; then
			awk '
				/^stages:/ {
					s = $0
					sub(/^stages:[ \t]*/, "", s)
					sub(/[ \t]#.*/, "", s)
					if (s ~ /^\[/) {
						gsub(/[][,"\047]/, " ", s)
						n = split(s, a, " ")
						for (i = 1; i <= n; i++) print a[i]
						exit
					}
					list = 1
					next
				}
				list && /^[ \t]*-/ {
					s = $0
					sub(/^[ \t]*-[ \t]*/, "", s)
					sub(/[ \t]#.*/, "", s)
					gsub(/["\047 \t]/, "", s)
					if (s != "") print s
					next
				}
				list && /^[^ \t#]/ { exit }
			' "$top/.rlpromote/policy.yaml" 2>/dev/null
		fi
		__git_rlpromote_git for-each-ref --format='%(refname)' refs/rlpromote/stages |
			sed 's|.*/||'
	} | awk 'NF && !seen[$0]++'
}

__git_rlpromote_envs ()
{
	__git_rlpromote_git for-each-ref --format='%(refname)' refs/rlpromote/envs |
		sed 's|^refs/rlpromote/envs/||'
}

# Revisions a candidate is usually named by.
__git_rlpromote_revs ()
{
	echo HEAD
	__git_rlpromote_git for-each-ref --format='%(refname:short)' refs/heads refs/tags refs/remotes
}

# Reply with the words of $1 that start with $2, each preceded by $3. Under
# git's completion (registered with -o nospace) each finished word needs its
# own trailing space.
__git_rlpromote_reply ()
{
	local w
	COMPREPLY=()
	for w in $1; do
		[[ $w == "$2"* ]] || continue
		if [[ ${__git_rlpromote_nospace-0} == 1 ]]; then
			COMPREPLY+=("${3-}$w ")
		else
			COMPREPLY+=("${3-}$w")
		fi
	done
}

# Reply with the files and directories (with "dir": directories only) that
# start with $1, preceded by $2.
__git_rlpromote_files ()
{
	local f kind=-f
	[[ ${3-} == dir ]] && kind=-d
	compopt -o filenames 2>/dev/null
	COMPREPLY=()
	while IFS= read -r f; do
		COMPREPLY+=("${2-}$f")
	done < <(compgen "$kind" -- "$1")
}

# Reply with the values of type $1 that start with $2, preceded by $3.
__git_rlpromote_values ()
{
	case $1 in
	file | dir) __git_rlpromote_files "$2" "${3-}" "$1" ;;
	format) __git_rlpromote_reply "$__git_rlpromote_formats" "$2" "${3-}" ;;
	report-format) __git_rlpromote_reply "html markdown json text" "$2" "${3-}" ;;
	diff-format) __git_rlpromote_reply "text json" "$2" "${3-}" ;;
	forge) __git_rlpromote_reply "github gitea gitlab" "$2" "${3-}" ;;
	stage) __git_rlpromote_reply "$(__git_rlpromote_stages)" "$2" "${3-}" ;;
	env) __git_rlpromote_reply "$(__git_rlpromote_envs)" "$2" "${3-}" ;;
	rev) __git_rlpromote_reply "$(__git_rlpromote_revs)" "$2" "${3-}" ;;
	decision)
		__git_rlpromote_reply "$(__git_rlpromote_git for-each-ref --format='%(refname)' \
			refs/rlpromote/stages)" "$2" "${3-}"
		;;
	remote) __git_rlpromote_reply "$(__git_rlpromote_git remote)" "$2" "${3-}" ;;
	*) COMPREPLY=() ;;
	esac
}

# The completion itself. Expects cur, prev, words and cword in the caller's
# scope, with "--opt=value" kept as one word; $1 is the index of "rlpromote"
# (or "git-rlpromote") in words.
__git_rlpromote_complete ()
{
	local cmd_idx=$1 cmd="" sub="" start i w o type="" opt="" val=""
	local subs opts vals pos

	# the command: the first word that is not an option
	for ((i = cmd_idx + 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*)
			cmd=${words[i]}
			break
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		case $cur in
		-*) __git_rlpromote_reply "--help --version" "$cur" ;;
		*) __git_rlpromote_reply "$__git_rlpromote_commands" "$cur" ;;
		esac
		return 0
	fi
	start=$((i + 1))

	# its subcommand, for the commands that have some
	__git_rlpromote_spec "$cmd" ""
	if [[ -n $subs ]]; then
		if ((cword == start)); then
			__git_rlpromote_reply "$subs" "$cur"
			return 0
		fi
		sub=${words[start]}
		start=$((start + 1))
		__git_rlpromote_spec "$cmd" "$sub"
	fi

	# the value of an option: "--opt value" or "--opt=value"
	case $cur in
	--*=*)
		opt=${cur%%=*}
		val=${cur#*=}
		;;
	*)
		if [[ $prev == --* && " $vals " == *" $prev="* ]]; then
			opt=$prev
			val=$cur
		fi
		;;
	esac
	if [[ -n $opt ]]; then
		for o in $vals; do
			[[ ${o%%=*} == "$opt" ]] && type=${o#*=}
		done
		# Readline replaces only what follows '=' when '=' breaks words
		# (the default); otherwise the reply keeps "--opt=".
		local pfx=""
		[[ $cur == --*=* && ${COMP_WORDBREAKS-=} != *=* ]] && pfx="$opt="
		__git_rlpromote_values "${type:-none}" "$val" "$pfx"
		return 0
	fi

	# options not given yet
	local left=""
	for o in $opts; do
		for ((i = start; i < cword; i++)); do
			[[ ${words[i]%%=*} == "$o" ]] && continue 2
		done
		left+=" $o"
	done

	# the positional argument under the cursor: count those before it,
	# skipping options and the values of those that take one
	local n=0
	for ((i = start; i < cword; i++)); do
		w=${words[i]}
		case $w in
		--*=* | -) ;;
		-*) [[ " $vals " == *" $w="* ]] && i=$((i + 1)) ;;
		*) n=$((n + 1)) ;;
		esac
	done
	local -a types
	read -r -a types <<<"$pos"
	type=${types[n]-}

	case $cur in
	-*) __git_rlpromote_reply "$left" "$cur" ;;
	*)
		if [[ $type == file || $type == dir ]]; then
			__git_rlpromote_files "$cur" "" "$type"
		elif [[ -n $type ]]; then
			__git_rlpromote_values "$type" "$cur"
			# an empty word may also start an option
			if [[ -z $cur ]]; then
				local -a found=("${COMPREPLY[@]}")
				__git_rlpromote_reply "$left" ""
				COMPREPLY=("${found[@]}" "${COMPREPLY[@]}")
			fi
		elif [[ -z $cur ]]; then
			__git_rlpromote_reply "$left" ""
		else
			COMPREPLY=()
		fi
		;;
	esac
	return 0
}

# Called by git's completion (git-completion.bash) for `git rlpromote`, with
# cur, prev, words, cword and __git_cmd_idx set.
_git_rlpromote ()
{
	local __git_rlpromote_nospace=1
	__git_rlpromote_complete "${__git_cmd_idx:-1}"
}

# COMP_WORDS with "--opt", "=", "value" joined back into "--opt=value", for
# when neither bash-completion nor git's completion provides
# _get_comp_words_by_ref.
__git_rlpromote_reassemble ()
{
	local i n joining=0
	words=()
	cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		n=${#words[@]}
		if ((n > 0)) && [[ ${COMP_WORDS[i]} == = && ${words[n - 1]} == --* ]]; then
			words[n - 1]+="="
			joining=1
		elif ((n > 0 && joining)) && [[ ${words[n - 1]} == *= ]]; then
			words[n - 1]+=${COMP_WORDS[i]}
			joining=0
		else
			words+=("${COMP_WORDS[i]}")
			joining=0
		fi
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	cur=${words[cword]-}
	prev=${words[cword - 1]-}
}

# The bare `git-rlpromote` command.
__git_rlpromote_main ()
{
	local cur prev words cword __git_rlpromote_nospace=0
	if declare -F _get_comp_words_by_ref >/dev/null; then
		_get_comp_words_by_ref -n =: cur prev words cword
	else
		__git_rlpromote_reassemble
	fi
	__git_rlpromote_complete 0
}

complete -o bashdefault -o default -F __git_rlpromote_main git-rlpromote 2>/dev/null ||
	complete -o default -F __git_rlpromote_main git-rlpromote
