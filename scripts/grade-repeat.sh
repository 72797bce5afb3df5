#!/usr/bin/env bash
# The proof that the solutions are not flaky: grade every exercise's
# solution N times (make grade SOLUTIONS=1, as a learner's grade runs:
# GRADE_JOBS exercises at once) and print, per exercise, in how many runs
# it scored full marks, with the tests that lost points in the others.
#
# usage: scripts/grade-repeat.sh [-n N] [BUILD [EX...]]   (make grade-repeat
#        [N=20] [EX=NN])
#   -n N   runs (default 20)
# Each run's output and results: BUILD/grade-repeat/run-K/ (run-K.out).
# Exit status 0 only if every exercise scored full marks in every run.
# No measurement (layer c is not graded): GRADE_MEASURE=0.
set -uo pipefail
runs=20
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "grade-repeat: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "grade-repeat: -n needs a count" >&2; exit 2; }
build=${1:-build}
shift || true
top=$build/grade-repeat
rm -rf "$top"
mkdir -p "$top"
declare -A full lost
names=()
start=$SECONDS
for ((k = 1; k <= runs; k++)); do
    out=$top/run-$k
    SOLUTIONS=1 GRADE_MEASURE=0 exercises/grader/grade.sh --out "$out" "$build" "$@" >"$out.out" 2>&1
    for f in "$out"/ex/*.score; do
        [ -f "$f" ] || continue
        name=$(basename "$f" .score)
        [ -n "${full[$name]+x}" ] || { full[$name]=0; names+=("$name"); }
        read -r p m _ <"$f"
        if [ "$p" = "$m" ] && [ "${m:-0}" -gt 0 ]; then
            full[$name]=$((full[$name] + 1))
        else
            # The table's FAIL lines of this exercise, for the summary.
            why=$(awk -v n="$name" '$1 ~ /^[0-9][0-9]-/ { on = ($1 == n) } on && /^    FAIL/ { sub(/^ +/, ""); print }' "$out.out" | head -n 3)
            lost[$name]+="    run $k, $p of $m: ${why:-(see $out.out)}"$'\n'
        fi
    done
    printf 'run %d of %d done (%d s)\n' "$k" "$runs" "$((SECONDS - start))"
done
echo
echo "Full marks, per exercise's solution, in $runs runs ($((SECONDS - start)) s):"
bad=0
for name in $(printf '%s\n' "${names[@]}" | sort); do
    printf '  %-26s %3d/%d\n' "$name" "${full[$name]}" "$runs"
    [ -n "${lost[$name]:-}" ] && printf '%s' "${lost[$name]}"
    [ "${full[$name]}" -eq "$runs" ] || bad=1
done
exit $bad
