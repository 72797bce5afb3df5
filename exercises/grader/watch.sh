#!/usr/bin/env bash
# make watch EX=N: re-grade an exercise whenever one of its files changes
# (inotifywait where it exists, otherwise a check every second). Ctrl-C stops.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
build=$1 ex=${2:-}
[ -n "$ex" ] || { echo "usage: make watch EX=N (e.g. EX=1 or EX=01)" >&2; exit 2; }
dir=$(exercise_dir exercises "$ex") || exit 2
stamp() { find "$dir" -name '*.[ch]' -newer "$build/grade/.watch" 2>/dev/null | head -n 1; }
mkdir -p "$build/grade"
while :; do
    clear 2>/dev/null || true
    "$here/grade.sh" "$build" "$ex"
    touch "$build/grade/.watch"
    echo "(watching $dir - Ctrl-C to stop)"
    if command -v inotifywait >/dev/null; then
        inotifywait -q -r -e close_write,create,delete,move "$dir" >/dev/null
    else
        while [ -z "$(stamp)" ]; do sleep 1; done
    fi
done
