# bash completion for tmfinv(1): commands, their options, and the definitions of the
# configuration in use (asked from `tmfinv definitions`, so they follow the profiles).
# Install as /usr/share/bash-completion/completions/tmfinv, or source it.

_tmfinv_definitions()
{
    # Definition names start a line of `tmfinv definitions`: "Carrier (profile ses, ...)".
    "$1" "${@:2}" definitions 2>/dev/null | sed -n 's/^\([A-Za-z][A-Za-z0-9_]*\) (.*/\1/p'
}

_tmfinv()
{
    local cur prev cmd i
    local -a global=()
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="sync serve query export show set history impact changes events purge summary runs rejected definitions check help"

    # Find the command, skipping the global options (and -c's value).
    cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c|--config) global+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}"); ((i++)) ;;
            --config=*) global+=("${COMP_WORDS[i]}") ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done

    if [[ -z $cmd ]]; then
        case $prev in
            -c|--config) COMPREPLY=($(compgen -f -X '!*.ini' -- "$cur") $(compgen -d -- "$cur")); return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-c --config -h --help -V --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    case $prev in
        --definition) COMPREPLY=($(compgen -W "$(_tmfinv_definitions "${COMP_WORDS[0]}" "${global[@]}")" -- "$cur")); return ;;
        --kind) COMPREPLY=($(compgen -W "rejected duplicate empty_key unknown_value local_conflict all" -- "$cur")); return ;;
        --limit|--where|--since|--since-run|--after|--field|--depth) return ;;
        --format) COMPREPLY=($(compgen -W "csv jsonl" -- "$cur")); return ;;
        --output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac

    local opts=
    case $cmd in
        sync) opts="--once --allow-mass-remove --progress --quiet --help" ;;
        serve|check) opts="--help" ;;
        query) opts="--where --all --count --json --csv --limit --help" ;;
        export) opts="--format --all --output --help" ;;
        show) opts="--definition --json --help" ;;
        history) opts="--definition --field --json --help" ;;
        impact) opts="--definition --up --down --depth --json --help" ;;
        changes) opts="--since --since-run --definition --field --after --limit --json --help" ;;
        events) opts="--dead --json --retry --retry-all --help" ;;
        purge) opts="--dry-run --json --help" ;;
        set) opts="--definition --help" ;;
        summary|definitions) opts="--json --help" ;;
        runs) opts="--json --limit --help" ;;
        rejected) opts="--kind --json --help" ;;
        help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ ($cmd == query || $cmd == export) && $prev == $cmd ]]; then
        COMPREPLY=($(compgen -W "$(_tmfinv_definitions "${COMP_WORDS[0]}" "${global[@]}")" -- "$cur"))
    fi
}
complete -F _tmfinv tmfinv
