#!/usr/bin/env bash
# held.sh RESULTS.json...: how often each of make bench's comparisons
# (scripts/bench/verdicts.sh) held over several runs - each run's
# build/bench/results.json, copied aside - with the range of the value
# each verdict went by. A claim should hold in three runs out of three,
# not in one lucky run.
#
#   for i in 1 2 3; do make bench; cp build/bench/results.json /tmp/run$i.json; done
#   scripts/bench/held.sh /tmp/run*.json
#   scripts/bench/held.sh --table /tmp/run*.json   # the same as a Markdown
#                                                  # table, a column per workload
set -euo pipefail
table=0
[ "${1:-}" = --table ] && { table=1; shift; }
[ $# -gt 0 ] || { echo "usage: held.sh [--table] RESULTS.json..." >&2; exit 2; }
for f in "$@"; do
    [ -r "$f" ] || { echo "held.sh: cannot read $f" >&2; exit 2; }
    jq -e 'has("comparisons")' "$f" >/dev/null 2>&1 ||
        { echo "held.sh: $f: not a bench result with comparisons" >&2; exit 2; }
done
if [ $table = 1 ]; then
    exec jq -rs '
      [.[].comparisons[]] as $all
      | (reduce ($all[].comparison | sub(": .*"; "")) as $w ([]; if index([$w]) then . else . + [$w] end)) as $ws
      | (reduce ($all[].comparison | sub("^[^:]*: "; "")) as $c ([]; if index([$c]) then . else . + [$c] end)) as $kinds
      | "| comparison (target) | " + ($ws | join(" | ")) + " |",
        "|---|" + ($ws | map("---:") | join("|")) + "|",
        ($kinds[] as $k
         | "| \($k) (\([$all[] | select(.comparison | endswith(": " + $k))][0].target)) | "
           + ([$ws[] as $w | [$all[] | select(.comparison == ($w + ": " + $k))]
               | if length == 0 then "-" else "\(map(select(.held)) | length) of \(length)" end]
              | join(" | ")) + " |")' "$@"
fi
jq -rs '
  def f2: (. * 100 | round) as $c
          | "\($c / 100 | floor).\($c % 100 | tostring | if length < 2 then "0" + . else . end)";
  length as $n
  | [.[].comparisons[]] as $all
  | reduce ($all[].comparison) as $c ([]; if index([$c]) then . else . + [$c] end)
  | map(. as $c | [$all[] | select(.comparison == $c)]) as $groups
  | ("  " + ("comparison" | . + " " * (52 - length)) + "  held   by        range of the value (target)"),
    ($groups[]
     | (map(select(.held)) | length) as $h
     | (map(.value | select(. != null))) as $v
     | "  \(.[0].comparison | . + " " * (52 - length)) \($h) of \(length)  \(map(.by) | unique | join("/") | . + " " * (9 - length)) "
       + (if ($v | length) > 0 then "\($v | min | f2)-\($v | max | f2)" else "-" end)
       + " (\(.[0].target | f2))"),
    "  held in every one of the \($n) runs: \([$groups[] | select(length == $n and all(.held))] | length) of \($groups | length) comparisons"
' "$@"
