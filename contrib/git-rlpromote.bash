# bash completion for git-rlpromote(1)                       -*- shell-script -*-
#
# Completes both `git rlpromote ...` (git's completion calls _git_rlpromote,
# loading this file on demand as the completion for "git-rlpromote") and the
# bare `git-rlpromote ...` command. Installed as
# $datadir/bash-completion/completions/git-rlpromote; it can also be sourced
# from ~/.bashrc.
#
# Keep the lists below in step with cmd/main.c and the man page.

__git_rlpromote_commands="gate policy"
__git_rlpromote_policy_commands="check"
__git_rlpromote_gate_options="--policy --to --candidate-results --baseline-results --run-metrics --format"
__git_rlpromote_gate_file_options="--policy --candidate-results --baseline-results --run-metrics"
__git_rlpromote_formats="text json markdown"

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

# Reply with the files and directories that start with $1, preceded by $2.
__git_rlpromote_files ()
{
	local f
	compopt -o filenames 2>/dev/null
	COMPREPLY=()
	while IFS= read -r f; do
		COMPREPLY+=("${2-}$f")
	done < <(compgen -f -- "$1")
}

# The completion itself. Expects cur, prev, words and cword in the caller's
# scope, with "--opt=value" kept as one word; $1 is the index of "rlpromote"
# (or "git-rlpromote") in words.
__git_rlpromote_complete ()
{
	local cmd_idx=$1 sub="" sub_idx=0 i w

	for ((i = cmd_idx + 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*)
			sub=${words[i]}
			sub_idx=$i
			break
			;;
		esac
	done

	case $sub in
	"")
		case $cur in
		-*) __git_rlpromote_reply "--help --version" "$cur" ;;
		*) __git_rlpromote_reply "$__git_rlpromote_commands" "$cur" ;;
		esac
		;;
	policy)
		if ((cword == sub_idx + 1)); then
			__git_rlpromote_reply "$__git_rlpromote_policy_commands" "$cur"
		elif ((cword == sub_idx + 2)) && [[ ${words[sub_idx + 1]} == check ]]; then
			__git_rlpromote_files "$cur"
		else
			COMPREPLY=()
		fi
		;;
	gate)
		# the value of an option: "--opt value" or "--opt=value"
		local opt="" val=""
		case $cur in
		--*=*)
			opt=${cur%%=*}
			val=${cur#*=}
			;;
		*)
			case " $__git_rlpromote_gate_options " in
			*" $prev "*)
				opt=$prev
				val=$cur
				;;
			esac
			;;
		esac
		if [[ -n $opt ]]; then
			# Readline replaces only what follows '=' when '=' breaks
			# words (the default); otherwise the reply keeps "--opt=".
			local pfx=""
			[[ $cur == --*=* && ${COMP_WORDBREAKS-=} != *=* ]] && pfx="$opt="
			case $opt in
			--format) __git_rlpromote_reply "$__git_rlpromote_formats" "$val" "$pfx" ;;
			--to) COMPREPLY=() ;;
			*)
				case " $__git_rlpromote_gate_file_options " in
				*" $opt "*) __git_rlpromote_files "$val" "$pfx" ;;
				*) COMPREPLY=() ;;
				esac
				;;
			esac
			return 0
		fi
		# options not given yet
		local left="" o
		for o in $__git_rlpromote_gate_options; do
			for ((i = sub_idx + 1; i < cword; i++)); do
				w=${words[i]%%=*}
				[[ $w == "$o" ]] && continue 2
			done
			left+=" $o"
		done
		__git_rlpromote_reply "$left" "$cur"
		;;
	*)
		COMPREPLY=()
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
