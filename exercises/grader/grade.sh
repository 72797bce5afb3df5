#!/usr/bin/env bash
# The autograder. For each exercise: build its tests against the learner's
# files (or the reference solution with SOLUTIONS=1), run every test in its
# own process with a time limit, and report: a score table with a hint per
# failed test, build/grade/results.json and build/grade/junit.xml.
#
# usage: grade.sh BUILD [EX]        (EX: "03" or "03-accept-handoff")
# env:   SOLUTIONS=1              grade exercises/NN/solution/ instead
#        GRADE_TIME_SCALE=N       multiply every time limit (slow machines)
#        EXERCISES_DIR=DIR        where the exercises are (default exercises)
#
# A learner's crash, hang or compile error fails that test or exercise,
# never the grader: it always writes results.json and exits 0 unless it
# could not run at all.
set -uo pipefail
build=${1:-build}
want=${2:-}
exdir=${EXERCISES_DIR:-exercises}
scale=${GRADE_TIME_SCALE:-1}
solutions=${SOLUTIONS:-0}
out=$build/grade
mkdir -p "$out"
out=$(cd "$out" && pwd)
# cmocka and the grader write fresh files: clear stale ones first.
rm -f "$out/results.json" "$out/junit.xml"
rm -rf "$out/logs"
mkdir -p "$out/logs"

cc=${CC:-cc}
cmocka_flags=$(pkg-config --cflags --libs cmocka 2>/dev/null || echo -lcmocka)

json_escape() {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/ }
    printf '%s' "${s//$'\n'/\\n}"
}
xml_escape() {
    local s=${1//&/&amp;}
    s=${s//</&lt;}
    s=${s//>/&gt;}
    printf '%s' "${s//\"/&quot;}"
}

exercises=()
for d in "$exdir"/[0-9][0-9]-*/; do
    d=${d%/}
    [ -f "$d/exercise.conf" ] || continue
    name=$(basename "$d")
    if [ -n "$want" ] && [ "${name#"$want"}" = "$name" ]; then continue; fi
    exercises+=("$d")
done
if [ ${#exercises[@]} -eq 0 ]; then
    echo "grade: no exercise matches '${want}' in $exdir/"
    exit 1
fi

total_points=0 total_max=0 complete=0
ex_json=() junit=()
printf '%-26s %8s %8s\n' exercise tests points
for d in "${exercises[@]}"; do
    name=$(basename "$d")
    title="" sources="" extra="" libs="" timeout=10 max_points=0
    # shellcheck source=/dev/null
    . "$d/exercise.conf"
    src=$d
    [ "$solutions" = 1 ] && src=$d/solution
    bin=$out/bin/$name
    mkdir -p "$out/bin" "$out/logs/$name"
    files=()
    for f in $sources; do files+=("$src/$f"); done
    # The learner's code builds with warnings shown, not fatal.
    if ! $cc -std=gnu11 -g -O1 -Wall -Wextra -D_GNU_SOURCE -I. -I"$d" \
        -o "$bin" "$d/tests.c" "${files[@]}" $extra $cmocka_flags $libs \
        -pthread -lm >"$out/logs/$name/build.log" 2>&1; then
        max=$max_points
        printf '%-26s %8s %4d/%-3d  does not compile:\n' "$name" "-" 0 "$max"
        sed -n '1,12p' "$out/logs/$name/build.log" | sed 's/^/    /'
        total_max=$((total_max + max))
        ex_json+=("{\"exercise\":\"$name\",\"points\":0,\"max\":$max,\"status\":\"compile-error\",\"message\":\"$(json_escape "$(head -c 2000 "$out/logs/$name/build.log")")\",\"tests\":[]}")
        junit+=("<testsuite name=\"$name\" tests=\"1\" failures=\"1\"><testcase name=\"build\"><failure message=\"does not compile\">$(xml_escape "$(head -c 2000 "$out/logs/$name/build.log")")</failure></testcase></testsuite>")
        continue
    fi
    pts=0 max=0 passed=0 n=0 failures=() skipped=() tests_json=() cases=()
    while read -r test points hint; do
        n=$((n + 1)) max=$((max + points))
        log=$out/logs/$name/$test.log
        limit=$((timeout * scale))
        # (The braces keep bash's own "Segmentation fault" note out of the table.)
        { timeout -k 1 "$limit" "$bin" "$test" >"$log" 2>&1 </dev/null; } 2>/dev/null
        rc=$?
        status=fail msg=""
        if [ $rc -eq 0 ] && grep -q '^\[  SKIPPED \]' "$log"; then
            status=skip
            msg=$(sed -n 's/^SKIPPED: //p' "$log" | head -n 1)
        elif [ $rc -eq 0 ] && grep -q '^\[  PASSED  \] 1 test' "$log"; then
            status=pass
        elif [ $rc -eq 137 ] || [ $rc -eq 124 ]; then
            msg="timed out after ${limit} s (a loop that never ends, or a blocking call?)"
        elif [ $rc -gt 128 ]; then
            msg="crashed: killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
        elif ! grep -q '^\[ RUN      \]' "$log" || ! grep -qE '^\[  (PASSED|FAILED)  \]' "$log"; then
            msg="the test process exited early (status $rc) before the test finished"
        else
            # fail_msg() text comes as "ERROR: ...", assertions as
            # "[  ERROR   ] --- 0x1 != 0x2"; then "[   LINE   ] --- file:line".
            msg=$(sed -n 's/^ERROR: //p' "$log" | head -n 1)
            [ -n "$msg" ] || msg=$(sed -nE 's/^\[  ERROR   \] --- (.+)$/\1/p' "$log" | sed 's/\[   LINE   \] --- .*//' | head -n 1)
            where=$(sed -nE 's/.*\[   LINE   \] --- ([^ ]+): error.*/\1/p' "$log" | head -n 1)
            [ -n "$where" ] && msg="$msg (at $where)"
            [ -n "$msg" ] || msg=$(grep -vE '^\[' "$log" | head -n 2 | tr '\n' ' ')
            [ -n "$msg" ] || msg="failed (exit status $rc)"
        fi
        if [ $status = pass ]; then
            pts=$((pts + points)) passed=$((passed + 1))
            cases+=("<testcase name=\"$test\"/>")
        elif [ $status = skip ]; then
            # Not possible here (io_uring disabled...): worth nothing,
            # counts against nothing.
            max=$((max - points)) passed=$((passed + 1))
            skipped+=("$test: $msg")
            cases+=("<testcase name=\"$test\"><skipped message=\"$(xml_escape "$msg")\"/></testcase>")
        else
            failures+=("$test|$hint|$msg")
            cases+=("<testcase name=\"$test\"><failure message=\"$(xml_escape "$msg")\"/></testcase>")
        fi
        tests_json+=("{\"name\":\"$test\",\"points\":$([ $status = pass ] && echo "$points" || echo 0),\"max\":$points,\"status\":\"$status\",\"message\":\"$(json_escape "$msg")\",\"hint\":$hint}")
    done < <("$bin" --list)
    total_points=$((total_points + pts)) total_max=$((total_max + max))
    [ $passed -eq $n ] && [ $n -gt 0 ] && complete=$((complete + 1))
    printf '%-26s %4d/%-3d %4d/%-3d  %s\n' "$name" $passed $n $pts $max "$title"
    for f in "${skipped[@]}"; do
        printf '    SKIP %s\n' "$f"
    done
    for f in "${failures[@]}"; do
        IFS='|' read -r test hint msg <<<"$f"
        printf '    FAIL %s: %s\n         hint: make hint EX=%s (hint %s)\n' "$test" "$msg" "${name%%-*}" "$hint"
    done
    ex_json+=("{\"exercise\":\"$name\",\"points\":$pts,\"max\":$max,\"status\":\"$([ $passed -eq $n ] && echo complete || echo incomplete)\",\"tests\":[$(IFS=,; echo "${tests_json[*]}")]}")
    junit+=("<testsuite name=\"$name\" tests=\"$n\" failures=\"$((n - passed))\">${cases[*]}</testsuite>")
done

{
    printf '{"solutions":%s,"points":%d,"max":%d,"complete":%d,"exercises_total":%d,"exercises":[%s]}\n' \
        "$([ "$solutions" = 1 ] && echo true || echo false)" "$total_points" "$total_max" \
        "$complete" "${#exercises[@]}" "$(IFS=,; echo "${ex_json[*]}")"
} >"$out/results.json"
{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites name=\"fast-servers-exercises\">${junit[*]}</testsuites>"
} >"$out/junit.xml"
echo
echo "Exercises: $complete/${#exercises[@]} complete, $total_points/$total_max points"
echo "(details: $out/results.json, $out/junit.xml, logs in $out/logs/)"
exit 0
