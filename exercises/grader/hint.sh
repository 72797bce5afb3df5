#!/usr/bin/env bash
# make hint EX=NN: show the next hint of an exercise, one more each time.
set -euo pipefail
build=$1 ex=${2:-}
[ -n "$ex" ] || { echo "usage: make hint EX=NN (e.g. EX=01)"; exit 2; }
dir=$(ls -d exercises/"$ex"*/ 2>/dev/null | head -n 1)
[ -n "$dir" ] || { echo "hint: no exercise $ex in exercises/"; exit 2; }
dir=${dir%/}
name=$(basename "$dir")
mkdir -p "$build/grade"
seen_file=$build/grade/hints-$name
seen=$(cat "$seen_file" 2>/dev/null || echo 0)
total=$(ls "$dir"/hints/*.md | wc -l)
next=$((seen + 1))
if [ "$next" -gt "$total" ]; then
    echo "$name: all $total hints shown; here is the last one again."
    next=$total
fi
echo "== $name, hint $next of $total"
cat "$dir/hints/$next.md"
echo "$next" >"$seen_file"
