# Shared by grade.sh, hint.sh and watch.sh (sourced, never run).

# exercise_dir EXDIR WANT: the folder of exercise WANT ("3", "03",
# "03-accept-handoff") under EXDIR, or a message naming the choices on
# stderr and status 2.
exercise_dir() {
    local exdir=$1 want=$2 d num
    if [[ $want =~ ^[0-9]{1,2}$ ]]; then
        num=$(printf '%02d' "$((10#$want))")
        for d in "$exdir/$num"-*/; do
            [ -d "$d" ] && { echo "${d%/}"; return 0; }
        done
    elif [[ $want =~ ^[0-9]{2}-[a-z0-9-]+$ ]] && [ -d "$exdir/$want" ]; then
        echo "$exdir/$want"
        return 0
    fi
    {
        echo "no exercise '$want' in $exdir/: use EX=N or EX=NN, one of:"
        for d in "$exdir"/[0-9][0-9]-*/; do
            [ -d "$d" ] && echo "    $(basename "$d")"
        done
    } >&2
    return 2
}

# conf_get FILE KEY: the value of KEY in an exercise.conf, read as data
# (key=value or key="value"; the last one wins; never run as shell).
conf_get() {
    local file=$1 key=$2 line value=""
    [ -f "$file" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*# ]] && continue
        if [[ $line =~ ^[[:space:]]*$key=\"([^\"]*)\"[[:space:]]*$ ]]; then
            value=${BASH_REMATCH[1]}
        elif [[ $line =~ ^[[:space:]]*$key=([^\"[:space:]]*)[[:space:]]*$ ]]; then
            value=${BASH_REMATCH[1]}
        fi
    done <"$file"
    printf '%s' "$value"
}
