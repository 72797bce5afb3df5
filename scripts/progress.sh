#!/usr/bin/env bash
# make progress: where the learner stands, on one page and in the terminal.
#
#   usage: scripts/progress.sh [BUILD]
#
# Reads what `make grade` keeps in BUILD/grade/ (default build/grade):
# results.json (each exercise's latest score and tests) and history.jsonl
# (one line per exercise per graded run, with the measurement the grader
# printed: exercises/grader/measure.sh). Writes BUILD/progress/:
#   index.html        each exercise's score, the failing tests with their
#                     messages, and the plots
#   points.svg        points per exercise, one point per graded run
#   WORKLOAD.svg      yours against the reference on that workload, one
#                     point per graded run: the median ratio mine/reference
#                     with its spread as an error bar, 1.0 = the reference
# and prints a summary. Plots are drawn by gnuplot (make deps installs
# it); JSON is read with jq.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-${BUILD:-build}}
grade=$build/grade
out=$build/progress
for t in jq gnuplot; do
    command -v "$t" >/dev/null || { echo "progress: $t is missing: run 'make deps'" >&2; exit 1; }
done
if [ ! -s "$grade/results.json" ]; then
    echo "progress: no grades yet ($grade/results.json): run 'make grade' first" >&2
    exit 1
fi
mkdir -p "$out"
history=$grade/history.jsonl
[ -f "$history" ] || : >"$history"

# ---- the terminal summary -------------------------------------------------
jq -r '"Exercises: \(.complete)/\(.exercises_total) complete, \(.points)/\(.max) points (graded \(.graded_at))",
    (.exercises[] | "  \(.exercise | .[0:26] | . + " " * (26 - length)) \(.points | tostring | " " * (4 - length) + .)/\(.max)  \(.status)"
      + (if .measured != "" then "\n      measured: \(.measured)" else "" end),
      (.tests[] | select(.status == "fail") | "      FAIL \(.name): \(.message)"))' \
    "$grade/results.json"

# ---- the plots --------------------------------------------------------------
# Points over time: one data block per exercise (gnuplot's "index").
jq -r -s 'group_by(.exercise)[] | (.[0].exercise), (.[] | "\(.graded_at) \(.points) \(.max)"), "", ""' \
    "$history" >"$out/points.dat"
names=$(jq -r -s 'group_by(.exercise)[] | .[0].exercise' "$history")
runs=$(wc -l <"$history")
plot_common='set terminal svg size 560,300 font "DejaVu Sans,11" background "#ffffff"
set xdata time
set timefmt "%Y-%m-%dT%H:%M:%SZ"
set format x "%d %b\n%H:%M"
set xtics font ",9"
set grid ytics
set key outside right top'
if [ "$runs" -gt 0 ]; then
    {
        echo "$plot_common"
        echo "set output '$out/points.svg'"
        echo "set title 'Points per exercise, one point per graded run'"
        echo "set ylabel 'points'"
        echo "set yrange [0:*]"
        printf 'plot '
        i=0
        for n in $names; do
            [ $i -gt 0 ] && printf ', '
            printf "'%s' index %d using 1:2 with linespoints title '%s'" "$out/points.dat" $i "${n:0:2}"
            i=$((i + 1))
        done
        echo
    } >"$out/points.gp"
    gnuplot "$out/points.gp"
fi

# Each workload the grader measured: the ratio and its spread per run.
ratio_re='^(?<w>[a-z-]+): mine/reference (?<r>[0-9.]+)x \(median of [0-9]+ rounds, spread (?<lo>[0-9.]+)x-(?<hi>[0-9.]+)x\)'
jq -r -s --arg re "$ratio_re" '.[] | select(.measured | test($re)) |
    (.measured | capture($re)) as $m | "\($m.w) \(.graded_at) \($m.r) \($m.lo) \($m.hi) \(.exercise)"' \
    "$history" >"$out/measured.dat"
workloads=$(awk '{ print $1 }' "$out/measured.dat" | sort -u)
for w in $workloads; do
    awk -v w="$w" '$1 == w { print $2, $3, $4, $5 }' "$out/measured.dat" >"$out/$w.dat"
    ex=$(awk -v w="$w" '$1 == w { e = $6 } END { print e }' "$out/measured.dat")
    {
        echo "$plot_common"
        echo "set output '$out/$w.svg'"
        echo "set title '$w ($ex): yours / the reference, one point per graded run'"
        echo "set ylabel 'mine / reference'"
        echo "set yrange [0:*]"
        echo "plot '$out/$w.dat' using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'median, spread', 1 with lines dt 2 lc rgb '#888888' title 'the reference'"
    } >"$out/$w.gp"
    gnuplot "$out/$w.gp"
done

# ---- the page ---------------------------------------------------------------
esc() { sed -e 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'; }
{
    cat <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Fast Servers: your progress</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; vertical-align: top; }
th { background: #eee; }
.complete { background: #dff0d8; } .incomplete { background: #fcf8e3; } .error { background: #f2dede; }
.fail { color: #a00; font-family: monospace; font-size: 90%; }
.measured { font-size: 90%; color: #444; }
img { border: 1px solid #ddd; margin: 0.5em 0.5em 0 0; }
</style></head><body>
EOF
    jq -r '"<h1>Fast Servers: your progress</h1>",
        "<p>\(.complete) of \(.exercises_total) exercises complete, <b>\(.points)/\(.max) points</b>; last graded \(.graded_at).</p>",
        "<table><tr><th>exercise</th><th>points</th><th>failing tests, and what they said</th></tr>",
        (.exercises[] |
          "<tr class=\"\(.status)\"><td>\(.exercise | @html)<br><small>\(.title | @html)</small></td><td>\(.points)/\(.max)</td><td>"
          + ([.tests[] | select(.status == "fail") | "<div class=\"fail\">\(.name | @html): \(.message | @html)</div>"] | join(""))
          + (if .message != "" and .status == "error" then "<div class=\"fail\">\(.message | @html)</div>" else "" end)
          + (if .measured != "" then "<div class=\"measured\">measured: \(.measured | @html)</div>" else "" end)
          + "</td></tr>"),
        "</table>"' "$grade/results.json"
    echo "<h2>Over time</h2>"
    if [ "$runs" -gt 0 ]; then
        echo "<p>$runs graded exercise run(s) in <code>$(echo "$history" | esc)</code>.</p>"
    else
        echo "<p>No graded run recorded yet: <code>make grade</code> adds one.</p>"
    fi
    echo "<div>"
    for w in $workloads; do
        echo "<img src=\"$w.svg\" width=\"560\" height=\"300\" alt=\"$w: yours against the reference over time\">"
    done
    [ "$runs" -gt 0 ] && echo '<img src="points.svg" width="560" height="300" alt="points per exercise over time">'
    echo "</div>"
    [ -n "$workloads" ] || echo "<p>No measurement recorded yet (the grader measures exercises 03, 05 and 06).</p>"
    echo "</body></html>"
} >"$out/index.html"
echo
echo "progress: $out/index.html ($(echo "$workloads" | wc -w) workload plot(s))"
# Opened in a browser when someone is there to see it.
if [ -t 1 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null; then
    xdg-open "$out/index.html" >/dev/null 2>&1 &
fi
