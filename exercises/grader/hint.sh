#!/usr/bin/env bash
# make hint EX=N: show the next hint of an exercise, one more each time;
# make hint EX=N HINT=K: show hint K (the one a failed test names).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
build=$1 ex=${2:-} pick=${3:-}
[ -n "$ex" ] || { echo "usage: make hint EX=N [HINT=K] (e.g. EX=1 or EX=01)" >&2; exit 2; }
dir=$(exercise_dir exercises "$ex") || exit 2
name=$(basename "$dir")
total=$(ls "$dir"/hints/*.md 2>/dev/null | wc -l)
[ "$total" -gt 0 ] || { echo "hint: $name has no hints" >&2; exit 2; }
if [ -n "$pick" ]; then
    if ! [[ $pick =~ ^[0-9]+$ ]] || [ "$pick" -lt 1 ] || [ "$pick" -gt "$total" ]; then
        echo "hint: $name has hints 1 to $total, not '$pick'" >&2
        exit 2
    fi
    echo "== $name, hint $pick of $total"
    cat "$dir/hints/$pick.md"
    exit 0
fi
mkdir -p "$build/grade"
seen_file=$build/grade/hints-$name
seen=$(cat "$seen_file" 2>/dev/null || echo 0)
[[ $seen =~ ^[0-9]+$ ]] || seen=0
next=$((seen + 1))
if [ "$next" -gt "$total" ]; then
    echo "$name: all $total hints shown; here is the last one again."
    next=$total
fi
echo "== $name, hint $next of $total"
cat "$dir/hints/$next.md"
echo "$next" >"$seen_file"
