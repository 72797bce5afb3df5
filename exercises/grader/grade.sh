#!/usr/bin/env bash
# The autograder. For each exercise: take the learner's named source files
# (and nothing else) into a private build folder, compile and check them,
# build the test programs from the course's own copy of the tests, run
# every test of the course's tests.manifest in its own process, session
# and time limit (exercises/grader/grade-tool), and report: a score table
# with what was expected, what was seen and which hint to read; and
# OUT/results.json, OUT/junit.xml, OUT/gradescope.json, merged per exercise.
#
# usage: grade.sh [OPTIONS] [BUILD [EX...]]   (EX: 3, 03 or 03-accept-handoff)
#   --course DIR       the course: tests, manifests, conf (default: .)
#   --submission DIR   where the learner's files are: DIR/NN-slug/FILE or
#                      DIR/exercises/NN-slug/FILE (default: the course)
#   --out DIR          where results go (default BUILD/grade, or
#                      BUILD/grade-solutions with SOLUTIONS=1)
#   --gradescope FILE  also write the Gradescope results.json there
#   --stop-on-loss     stop an exercise at its first lost point (the proof
#                      that a known-wrong variant loses points)
#   --repeat N         run every test N times; it passes only if all N pass
#                      (the proof that the solutions are not flaky)
# env:   SOLUTIONS=1          grade each exercise's solution/ folder
#        GRADE_TIME_SCALE=N   multiply every time limit (slow machines)
#        EXERCISES_DIR=DIR    the exercises, relative to the course
#        GRADE_NS=0           no PID namespace per test (grade-tool ns)
#        GRADE_CACHE=DIR      keep compiled course files (tests.c, extra
#                             files, the learner's fastd's tree) there,
#                             keyed by the flags and the course's own C
#                             files (names, sizes, times); default
#                             BUILD/grade-cache, none with --submission
#
# The verdict of a test never rests on what the learner's process prints
# or on its exit status alone: see exercises/grader/README.md. A learner's
# crash, hang or compile error fails that test or exercise, never the
# grader: it always writes its results and exits 0 unless it could not run.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

course=. submission="" out="" gradescope="" stop_on_loss=0 repeat=1 args=()
while [ $# -gt 0 ]; do
    case $1 in
    --course) course=$2; shift 2 ;;
    --submission) submission=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --gradescope) gradescope=$2; shift 2 ;;
    --stop-on-loss) stop_on_loss=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "grade: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) args+=("$1"); shift ;;
    esac
done
build=${args[0]:-build} wants=("${args[@]:1}")
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "grade: --repeat needs a count" >&2; exit 2; }
solutions=${SOLUTIONS:-0}
scale=${GRADE_TIME_SCALE:-1}
[[ $scale =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "grade: GRADE_TIME_SCALE must be a number" >&2; exit 2; }
abs() { mkdir -p "$1" && (cd "$1" && pwd); }
build=$(abs "$build") || exit 2
if [ -z "$out" ]; then
    out=$build/grade
    [ "$solutions" = 1 ] && out=$build/grade-solutions
fi
out=$(abs "$out") || exit 2
[ -n "$submission" ] && { submission=$(cd "$submission" && pwd) || exit 2; }
[ -n "$gradescope" ] && gradescope=$(abs "$(dirname "$gradescope")")/$(basename "$gradescope")
course=$(cd "$course" && pwd) || exit 2
cd "$course" || exit 2
exrel=${EXERCISES_DIR:-exercises}
exdir=$course/$exrel

# One grader at a time per output folder (make watch beside make grade).
exec 9>"$out/.lock"
command -v flock >/dev/null && flock 9

cc=${CC:-cc}
cmocka_cflags=$(pkg-config --cflags cmocka 2>/dev/null)
cmocka_libs=$(pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
wrapped="read write recv send writev accept accept4 epoll_wait"
wrap_flags=$(printf -- '-Wl,--wrap=%s ' $wrapped)

# The process runner: the one make built, or a private build of it.
tool=${GRADE_TOOL:-$build/bin/grade-tool}
if [ ! -x "$tool" ] || [ "$tool" -ot "$here/grade-tool.c" ]; then
    tool=$out/.tool/grade-tool
    mkdir -p "$out/.tool"
    if [ ! -x "$tool" ] || [ "$tool" -ot "$here/grade-tool.c" ]; then
        $cc -std=gnu11 -O2 -D_GNU_SOURCE -o "$tool" "$here/grade-tool.c" ||
            { echo "grade: cannot build grade-tool" >&2; exit 2; }
    fi
fi
# Escaping: plain printable ASCII needs no help (and no process).
# Tests run in their own PID namespace (and /proc) where the kernel allows.
ns_opt=""
[ "${GRADE_NS:-1}" != 0 ] && [ "$("$tool" ns 2>/dev/null)" = yes ] && ns_opt=--ns
jesc() {
    if [[ $1 =~ ^[\ -~]*$ && $1 != *[\"\\]* ]]; then printf '%s' "$1"; else printf '%s' "$1" | "$tool" json; fi
}
xesc() {
    if [[ $1 =~ ^[\ -~]*$ && $1 != *[\"\&\<\>]* ]]; then printf '%s' "$1"; else printf '%s' "$1" | "$tool" xml; fi
}
secs() {
    if [ "$scale" = 1 ]; then echo "$1"; else awk -v a="$1" -v b="$scale" 'BEGIN { printf "%g", a * b }'; fi
}

# Which exercises.
exercises=()
if [ ${#wants[@]} -gt 0 ]; then
    for want in ${wants[@]}; do
        d=$(exercise_dir "$exdir" "$want") || { echo "grade: see the list above" >&2; exit 2; }
        exercises+=("$d")
    done
else
    for d in "$exdir"/[0-9][0-9]-*/; do
        [ -f "$d/exercise.conf" ] && exercises+=("${d%/}")
    done
fi
[ ${#exercises[@]} -gt 0 ] || { echo "grade: no exercise in $exdir/" >&2; exit 1; }
mkdir -p "$out/ex" "$out/logs" "$out/work"

# The first compiler or linker error of a log (not its first lines:
# warnings come first and would hide it), with two lines of context.
first_error() {
    local log=$1 line
    line=$(grep -n -m1 -E '(^|: )(fatal )?error:|undefined reference|ld returned|cannot find' "$log" | cut -d: -f1)
    if [ -n "$line" ]; then
        sed -n "${line},$((line + 2))p" "$log" | sed "s|$out/work/[^/]*/src/||g; s|$course/||g"
    else
        tail -n 3 "$log"
    fi
}

# cached_cc LOG SRC FLAGS...: compile SRC to an object and print its path
# (in GRADE_CACHE when set, keyed by the compiler, flags and preprocessed
# text; else in the exercise's work folder). Nothing printed: it failed.
# A learner grading their own copy keeps the cache in BUILD; an instructor
# grading submissions (--submission) gets none unless GRADE_CACHE says so.
cache=${GRADE_CACHE:-}
[ -z "$cache" ] && [ -z "$submission" ] && cache=$build/grade-cache
course_key=""
if [ -n "$cache" ]; then
    mkdir -p "$cache" && cache=$(cd "$cache" && pwd)
    # Any change to the course's own C files (not the learner's) changes
    # every key.
    course_key=$(find "$course/simulator" "$course/reference-server" "$course/tests/server" \
        "$course/exercises/grader" "$course/$exrel" \( -name '*.h' -o -name tests.c \
        -o -name server_tests.c -o -path "$course/simulator/*.c" -o -path "$course/reference-server/*.c" \
        -o -path "$course/tests/server/*.c" -o -path "$course/exercises/grader/*.c" \) \
        -printf '%p %s %T@\n' 2>/dev/null | sort | sha1sum | cut -c1-40)
fi
cached_cc() {
    local log=$1 src=$2 key obj v comp=$cc
    shift 2
    [ "${1:-}" = clang ] && { comp=clang; shift; }
    if [ -n "$cache" ]; then
        key=$(echo "$course_key $comp $* $src" | sha1sum | cut -c1-40)
    else
        key=$(echo "$comp $* $src" | sha1sum | cut -c1-40)
    fi
    if [ -n "$cache" ]; then
        obj=$cache/$key.o
        [ -f "$obj" ] && { echo "$obj"; return; }
    else
        obj=$work/obj/course-$key.o
    fi
    read -r v _ <<<"$("$tool" run --timeout "$(secs 120)" --log "$log" -- \
        $comp "$@" -c -o "$obj.$$" "$src")"
    [ "$v" = ok ] && mv -f "$obj.$$" "$obj" && echo "$obj"
    rm -f "$obj.$$"
}

# A failed test's message, in words, from its log.
log_message() {
    local log=$1 m where a b
    m=$(grep -m1 -E '^SUMMARY: [A-Za-z]+Sanitizer' "$log")
    [ -n "$m" ] || m=$(grep -m1 -oE 'runtime error: .*' "$log")
    [ -n "$m" ] || m=$(grep -m1 -E 'WARNING: ThreadSanitizer: .*' "$log")
    [ -n "$m" ] || m=$(sed -n 's/^ERROR: //p' "$log" | head -n 1)
    if [ -z "$m" ]; then
        m=$(sed -nE 's/^\[  ERROR   \] --- (.+)$/\1/p' "$log" | grep -v '^\[   LINE' | head -n 1)
        # cmocka's "0xfffffffffffffffe != 0x0": assert_*(seen, expected).
        if [[ $m =~ ^(0x[0-9a-f]+|[0-9]+)\ !=\ (0x[0-9a-f]+|[0-9]+)$ ]]; then
            a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
            [[ $a == 0x* ]] && a=$((16#${a#0x}))
            [[ $b == 0x* ]] && b=$((16#${b#0x}))
            m="expected $b, saw $a"
        elif [[ $m =~ ^(.+)\ !=\ (.+)$ ]]; then
            m="expected ${BASH_REMATCH[2]}, saw ${BASH_REMATCH[1]}"
        elif [ -n "$m" ]; then
            m="expected $m to hold, it did not"
        fi
    fi
    where=$(sed -nE 's/.*\[   LINE   \] --- ([^ ]+): error.*/\1/p' "$log" | head -n 1)
    [ -n "$where" ] && m="$m (at ${where#"$course/"})"
    [ -n "$m" ] || m=$(grep -vE '^\[|^$' "$log" | head -n 2 | tr '\n' ' ')
    printf '%s' "${m:-failed}"
}

# Refuse a learner's object that could take over the harness: a
# constructor or destructor, an ifunc, a global symbol the exercise does
# not ask for (the allow list: the solution's globals and conf `symbols`),
# or a reference to the harness's own symbols.
harness_re='^(main|_?cmocka.*|_assert_.*|_fail|_skip|_test_.*|_will_return|_expect_.*|_check_expected|_function_called|mock_.*|_mock.*|graded_.*|inject_.*|__wrap_.*|__real_.*)$'
check_object() {
    local obj=$1 allow=$2 f=$3 s name type
    s=$(readelf -SW "$obj" 2>/dev/null | grep -oE '\.(init_array|fini_array|preinit_array|ctors|dtors)[.0-9]*' | head -n 1)
    if [ -n "$s" ]; then
        echo "$f has a constructor or destructor (section $s): code that runs before or after the tests is not allowed"
        return 1
    fi
    while read -r name type _; do
        [ -n "$name" ] || continue
        if [ "$type" = U ] || [ "$type" = w ] || [ "$type" = v ]; then
            if [[ $name =~ $harness_re ]]; then
                echo "$f uses '$name', a symbol of the test harness: not allowed"
                return 1
            fi
            continue
        fi
        if [ "$type" = i ]; then
            echo "$f defines $name as an ifunc (code that runs before main): not allowed"
            return 1
        fi
        case $type in [A-Z] | u) ;; *) continue ;; esac
        if [[ $name =~ $harness_re ]] || { [ -n "$allow" ] && ! grep -qxF -- "$name" "$allow"; }; then
            echo "$f defines '$name', which is not a function this exercise asks for ($(tr '\n' ' ' <"$allow" 2>/dev/null | sed 's/ $//')): make it static, or rename it"
            return 1
        fi
    done < <(nm -P "$obj" 2>/dev/null)
    return 0
}

# Per-exercise outputs of this run, written again at the very end (a test
# process cannot then change what an earlier exercise of this run got).
declare -A frag_json frag_junit frag_gs frag_score

ccflags="-std=gnu11 -g -O1 -Wall -Wextra -D_GNU_SOURCE -U_FORTIFY_SOURCE -fno-omit-frame-pointer"
printf '%-26s %8s %8s\n' exercise tests points
for d in "${exercises[@]}"; do
    name=$(basename "$d") num=${name%%-*}
    conf=$d/exercise.conf
    title=$(conf_get "$conf" title)
    sources=$(conf_get "$conf" sources)
    extra=$(conf_get "$conf" extra)
    libs=$(conf_get "$conf" libs)
    symbols=$(conf_get "$conf" symbols)
    timeout=$(conf_get "$conf" timeout) cpu=$(conf_get "$conf" cpu)
    [[ $timeout =~ ^[0-9]+(\.[0-9]+)?$ ]] || timeout=10
    [[ $cpu =~ ^[0-9]+(\.[0-9]+)?$ ]] || cpu=$timeout
    work=$out/work/$name logs=$out/logs/$name
    rm -rf "$work" "$logs"
    mkdir -p "$work/src/$name" "$work/obj" "$work/allow" "$logs"
    problem="" pstatus=""

    # The manifest: SUITE TEST POINTS HINT [timeout=S] [cpu=S].
    m_suite=() m_test=() m_points=() m_hint=() m_timeout=() m_cpu=() m_keep=()
    if [ ! -f "$d/tests.manifest" ]; then
        problem="the course has no $exrel/$name/tests.manifest" pstatus=manifest-error
    else
        ln=0
        while IFS= read -r line || [ -n "$line" ]; do
            ln=$((ln + 1))
            line=${line%%#*}
            [[ $line =~ ^[[:space:]]*$ ]] && continue
            read -r su te po hi rest <<<"$line"
            if ! [[ $su =~ ^(unit|server|asan|tsan)$ && $te =~ ^([A-Za-z_][A-Za-z0-9_]*|\*)$ && $po =~ ^[0-9]+$ && $hi =~ ^[0-9]+$ ]]; then
                problem="tests.manifest:$ln: expected 'SUITE TEST POINTS HINT', read '$line'" pstatus=manifest-error
                break
            fi
            t=$timeout c=$cpu k=0
            for opt in $rest; do
                case $opt in
                timeout=*) t=${opt#timeout=} ;;
                cpu=*) c=${opt#cpu=} ;;
                fds=keep) k=1 ;;
                *) problem="tests.manifest:$ln: unknown option '$opt' (timeout=S, cpu=S, fds=keep)" pstatus=manifest-error ;;
                esac
            done
            [[ $t =~ ^[0-9]+(\.[0-9]+)?$ && $c =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
                problem="tests.manifest:$ln: timeout= and cpu= take seconds" pstatus=manifest-error
            [ -n "$problem" ] && break
            m_suite+=("$su") m_test+=("$te") m_points+=("$po") m_hint+=("$hi")
            m_timeout+=("$t") m_cpu+=("$c") m_keep+=("$k")
        done <"$d/tests.manifest"
    fi
    max=0
    for p in "${m_points[@]}"; do max=$((max + p)); done

    # The learner's files: only the named ones, copied, never symlinks
    # (a course's solution may be a link to the reference's file).
    if [ -z "$problem" ]; then
        if [ "$solutions" = 1 ]; then
            from=$d/solution
        elif [ -z "$submission" ]; then
            from=$d
        elif [ -d "$submission/$exrel/$name" ]; then
            from=$submission/$exrel/$name
        else
            from=$submission/$name
        fi
        for f in $sources; do
            if ! [[ $f =~ ^[A-Za-z0-9_.-]+$ ]]; then
                problem="exercise.conf names '$f' as a source: only plain file names" pstatus=manifest-error
            elif [ -L "$from/$f" ] && [ "$solutions" != 1 ]; then
                # (A course's own solution/ may link to the reference
                # file it is: exercises 01-07 do. cp copies its content.)
                problem="$f is a symbolic link: hand in the file itself" pstatus=compile-error
            elif [ ! -f "$from/$f" ]; then
                problem="$f is missing (looked in ${from#"$course/"})" pstatus=compile-error
            else
                cp -L -- "$from/$f" "$work/src/$name/$f"
            fi
            [ -n "$problem" ] && break
        done
    fi
    inc="-I$course -I$d"
    # Compile the learner's files alone (the private copy: its folder holds
    # nothing else, so its #includes find the course's headers).
    objs=()
    if [ -z "$problem" ]; then
        for f in $sources; do
            [[ $f == *.c ]] || continue
            o=$work/obj/${f%.c}.o
            read -r v _ <<<"$("$tool" run --timeout "$(secs 60)" --log "$logs/build.log" -- \
                $cc $ccflags $inc -c -o "$o" "$work/src/$name/$f")"
            if [ "$v" != ok ]; then
                [ "$v" = timeout ] && problem="compiling $f took too long" || problem=$(first_error "$logs/build.log")
                pstatus=compile-error
                break
            fi
            objs+=("$o")
        done
    fi
    # The allow list: what the course's solution defines, and conf symbols.
    allow=""
    if [ -z "$problem" ] && [ -d "$d/solution" ]; then
        allow=$work/allow/names
        for s in $symbols; do echo "$s"; done >"$allow"
        for f in $sources; do
            [[ $f == *.c && -f $d/solution/$f ]] || continue
            o=$(cached_cc "$work/allow/cc.log" "$d/solution/$f" $ccflags $inc)
            [ -n "$o" ] && nm -P -g --defined-only "$o" | awk '{print $1}' >>"$allow"
        done
    fi
    if [ -z "$problem" ]; then
        for f in $sources; do
            [[ $f == *.c ]] || continue
            if ! why=$(check_object "$work/obj/${f%.c}.o" "$allow" "$f"); then
                problem="refused: $why" pstatus=refused
                break
            fi
        done
    fi

    # Build what the manifest's suites need, each once.
    declare -A built=() build_err=()
    suite_build() { # suite -> sets built[suite] or build_err[suite]
        local suite=$1 prog=$work/$1 srcs=() f extra_files=() v lib
        [ -n "${built[$suite]:-}${build_err[$suite]:-}" ] && return
        for f in $extra; do
            if [[ $f =~ ^[A-Za-z0-9_./-]+$ && $f != *..* && -f $course/$f ]]; then
                extra_files+=("$course/$f")
            else
                build_err[$suite]="exercise.conf: extra file '$f' is not in the course"
                return
            fi
        done
        lib=""
        for f in $libs; do [[ $f =~ ^-l[A-Za-z0-9_+.-]+$ ]] && lib="$lib $f"; done
        for f in $sources; do [[ $f == *.c ]] && srcs+=("$work/src/$name/$f"); done
        case $suite in
        unit | asan | tsan)
            [ -f "$d/tests.c" ] || { build_err[$suite]="the course has no tests.c"; return; }
            local comp=() flags=$ccflags mine=("${objs[@]}") course_objs=() o
            case $suite in
            asan) comp=(clang) flags="$ccflags -fsanitize=address,undefined -fno-sanitize-recover=all" ;;
            tsan) comp=(clang) flags="$ccflags -fsanitize=thread" ;;
            esac
            # The course's files once (cached); the learner's from the
            # private copy (again, instrumented, for a sanitizer build).
            for f in "$d/tests.c" "${extra_files[@]}" "$here/inject.c"; do
                # Only tests.c sees the exercise's folder: the others'
                # objects are shared by every exercise.
                local finc="-I$course"
                [ "$f" = "$d/tests.c" ] && finc=$inc
                o=$(cached_cc "$logs/build-$suite.log" "$f" "${comp[@]}" $flags $finc $cmocka_cflags)
                [ -n "$o" ] || { build_err[$suite]=$(first_error "$logs/build-$suite.log"); return; }
                course_objs+=("$o")
            done
            if [ "$suite" != unit ]; then
                mine=()
                for f in "${srcs[@]}"; do
                    o=$work/obj/$suite-$(basename "${f%.c}").o
                    read -r v _ <<<"$("$tool" run --timeout "$(secs 120)" --log "$logs/build-$suite.log" -- \
                        "${comp[@]}" $flags $inc -c -o "$o" "$f")"
                    [ "$v" = ok ] || { build_err[$suite]=$(first_error "$logs/build-$suite.log"); return; }
                    mine+=("$o")
                done
            fi
            read -r v _ <<<"$("$tool" run --timeout "$(secs 120)" --log "$logs/link-$suite.log" -- \
                "${comp[@]:-$cc}" $flags -o "$prog" "${course_objs[@]}" "${mine[@]}" \
                $wrap_flags $cmocka_libs $lib -pthread -lm)"
            [ "$v" = ok ] || build_err[$suite]=$(first_error "$logs/link-$suite.log")
            ;;
        server)
            [ -f "$d/server_tests.c" ] || { build_err[$suite]="the course has no server_tests.c"; return; }
            if ! grep -qs "^SEAM_$num *:=" "$exrel/seams.mk"; then
                build_err[$suite]="this course cannot build a learner's fastd yet (no SEAM_$num in $exrel/seams.mk)"
                return
            fi
            # The learner's fastd: the course's server with this one file
            # swapped in, from the private copy. Its build tree is private,
            # or with a cache one per exercise (only the learner's file and
            # the link are redone; a lock keeps parallel graders apart).
            local fb=$work/fastd-build lock=() o harness=()
            if [ -n "$cache" ]; then
                fb=$cache/fastd
                command -v flock >/dev/null && lock=(flock "$cache/fastd.lock")
            fi
            read -r v _ <<<"$("${lock[@]}" "$tool" run --timeout "$(secs 600)" --log "$logs/build-fastd.log" -- \
                env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$course" \
                MINE="$num" MINE_SRC="$work/src" BUILD="$fb" "$fb/bin/fastd" &&
                cp "$fb/bin/fastd" "$work/fastd" 2>/dev/null)"
            if [ "$v" != ok ] || [ ! -x "$work/fastd" ]; then
                build_err[$suite]=$(first_error "$logs/build-fastd.log")
                return
            fi
            # tests/server/fastd_harness.c starts and stops a fastd: linked
            # in, unless server_tests.c includes it itself.
            if [ -f "$course/tests/server/fastd_harness.c" ] &&
                ! grep -q 'include "tests/server/fastd_harness\.c"' "$d/server_tests.c"; then
                o=$(cached_cc "$logs/build-server.log" "$course/tests/server/fastd_harness.c" \
                    $ccflags -I"$course" $cmocka_cflags)
                [ -n "$o" ] || { build_err[$suite]=$(first_error "$logs/build-server.log"); return; }
                harness=("$o")
            fi
            read -r v _ <<<"$("$tool" run --timeout "$(secs 120)" --log "$logs/build-server.log" -- \
                $cc $ccflags -I"$course" -I"$d" $cmocka_cflags -o "$prog" "$d/server_tests.c" \
                "${harness[@]}" $cmocka_libs -pthread -lm)"
            [ "$v" = ok ] || build_err[$suite]=$(first_error "$logs/build-server.log")
            ;;
        esac
        [ -n "${build_err[$suite]:-}" ] || built[$suite]=1
    }

    pts=0 passed=0 n=${#m_test[@]} skipmax=0 stopped=0
    tests_json=() cases=() gs=() lines=() fails=0 skips=0
    for i in "${!m_test[@]}"; do
        su=${m_suite[$i]} te=${m_test[$i]} po=${m_points[$i]} hi=${m_hint[$i]}
        label=$te
        [ "$su" != unit ] && label="$su:$te"
        log=$logs/$su-${te//\*/all}.log
        verdict="" wall=0 cpus=0 msg=""
        if [ -n "$problem" ]; then
            verdict=fail msg=$problem
        elif [ "$stopped" = 1 ]; then
            verdict=fail msg="not run (the grader stopped at the first lost point)"
        else
            suite_build "$su"
            if [ -n "${build_err[$su]:-}" ]; then
                verdict=fail msg="the $su test program did not build: ${build_err[$su]}"
            else
                env=()
                case $su in
                server) env=(FASTD_BIN="$work/fastd") ;;
                asan) env=(ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1) ;;
                tsan) env=(TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1) ;;
                esac
                [ "${m_keep[$i]}" = 1 ] && env+=(GRADED_FDS_KEEP=1)
                for ((r = 1; r <= repeat; r++)); do
                    res=$(env "${env[@]}" "$tool" run --token $ns_opt --timeout "$(secs "${m_timeout[$i]}")" \
                        --cpu "$(secs "${m_cpu[$i]}")" --fsize 64 --log "$log" -- "$work/$su" "$te")
                    IFS=$'\t' read -r verdict wall cpus msg <<<"$res"
                    [ "$verdict" = pass ] || break
                done
                if [ -z "$verdict" ]; then
                    verdict=fail msg="the grader's runner was killed during this test"
                elif [ "$verdict" = pass ] && grep -q '^\[  SKIPPED \]' "$log"; then
                    verdict=skip
                    msg=$(sed -n 's/^SKIPPED: //p' "$log" | head -n 1)
                elif [ "$verdict" = fail ] && [ -z "$msg" ]; then
                    msg=$(log_message "$log")
                elif [ "$verdict" = crash ] || [ "$verdict" = exit ]; then
                    s=$(grep -m1 -E '^SUMMARY: [A-Za-z]+Sanitizer|runtime error:' "$log")
                    [ -n "$s" ] && msg="$msg: ${s#SUMMARY: }"
                fi
                [ "$repeat" -gt 1 ] && [ "$verdict" != pass ] && [ "$verdict" != skip ] &&
                    msg="run $r of $repeat: $msg"
            fi
        fi
        case $verdict in
        pass) status=pass ;;
        skip) status=skip ;;
        *) status=fail ;;
        esac
        got=0
        hint_text="make hint EX=$num HINT=$hi"
        if [ $status = pass ]; then
            got=$po pts=$((pts + po)) passed=$((passed + 1))
            cases+=("<testcase classname=\"exercises.$name\" name=\"$(xesc "$label")\" time=\"$wall\"/>")
        elif [ $status = skip ]; then
            skipmax=$((skipmax + po)) passed=$((passed + 1)) skips=$((skips + 1))
            lines+=("    SKIP $label: ${msg//[$'\001'-$'\037'$'\177']/?}")
            cases+=("<testcase classname=\"exercises.$name\" name=\"$(xesc "$label")\" time=\"$wall\"><skipped message=\"$(xesc "$msg")\"/></testcase>")
        else
            fails=$((fails + 1))
            lines+=("    FAIL $label: ${msg//[$'\001'-$'\037'$'\177']/?}" "         hint $hi: $hint_text")
            body="$msg"$'\n'"hint: $hint_text"$'\n'"log: ${log#"$course/"}"
            cases+=("<testcase classname=\"exercises.$name\" name=\"$(xesc "$label")\" time=\"$wall\"><failure type=\"$verdict\" message=\"$(xesc "$msg")\">$(xesc "$body")</failure></testcase>")
            [ "$stop_on_loss" = 1 ] && [ "$po" -gt 0 ] && stopped=1
        fi
        tests_json+=("{\"name\":\"$(jesc "$label")\",\"suite\":\"$su\",\"points\":$got,\"max\":$po,\"status\":\"$status\",\"verdict\":\"$verdict\",\"time\":$wall,\"cpu\":$cpus,\"message\":\"$(jesc "$msg")\",\"hint\":$hi}")
        out_text=$msg
        [ $status = fail ] && out_text="$msg"$'\n'"hint $hi: $hint_text"
        gs+=("{\"name\":\"$(jesc "$name: $label")\",\"score\":$got,\"max_score\":$po,\"output\":\"$(jesc "$out_text")\",\"visibility\":\"visible\"}")
    done
    max=$((max - skipmax))
    # Layer (c), not graded: how the learner's fastd compares with the
    # reference on the conf's workload (exercises/grader/measure.sh).
    measure=$(conf_get "$conf" measure) measured=""
    if [ -n "$measure" ] && [ -z "$problem" ] && [ "$stopped" = 0 ] && [ "${GRADE_MEASURE:-1}" != 0 ] &&
        [ -n "${built[server]:-}" ] && [ -x "$here/measure.sh" ] && [ -x "$build/bin/fastd" ]; then
        read -r v _ <<<"$("$tool" run --timeout "$(secs 300)" --log "$logs/measure.log" -- \
            "$here/measure.sh" "$measure" "$build/bin/fastd" "$work/fastd")"
        if [ "$v" = ok ]; then
            measured=$(grep -v '^[[:space:]]*$' "$logs/measure.log" | tail -n 1)
            lines+=("    measured ($measure): $measured")
        fi
    fi
    if [ -n "$problem" ]; then
        ex_status=${pstatus:-error}
    elif [ "$passed" -eq "$n" ] && [ "$n" -gt 0 ]; then
        ex_status=complete
    else
        ex_status=incomplete
    fi
    if [ -n "$problem" ]; then
        printf '%-26s %8s %4d/%-3d  %s\n' "$name" "-" 0 "$max" "$ex_status:"
        printf '%s\n' "$problem" | sed 's/^/    /'
    else
        printf '%-26s %4d/%-3d %4d/%-3d  %s\n' "$name" "$passed" "$n" "$pts" "$max" "$title"
        [ ${#lines[@]} -gt 0 ] && printf '%s\n' "${lines[@]}"
    fi
    frag_json[$name]="{\"exercise\":\"$name\",\"title\":\"$(jesc "$title")\",\"points\":$pts,\"max\":$max,\"status\":\"$ex_status\",\"message\":\"$(jesc "$problem")\",\"measured\":\"$(jesc "$measured")\",\"tests\":[$(IFS=,; echo "${tests_json[*]}")]}"
    frag_junit[$name]="<testsuite name=\"exercises.$name\" tests=\"$n\" failures=\"$fails\" errors=\"0\" skipped=\"$skips\">$(IFS=; echo "${cases[*]}")</testsuite>"
    frag_gs[$name]=$(IFS=,; echo "${gs[*]}")
    frag_score[$name]="$pts $max $([ "$ex_status" = complete ] && echo 1 || echo 0)"
    unset built build_err
done

# Write this run's fragments, then merge every exercise's latest ones.
for name in "${!frag_json[@]}"; do
    printf '%s\n' "${frag_json[$name]}" >"$out/ex/$name.json"
    printf '%s\n' "${frag_junit[$name]}" >"$out/ex/$name.junit"
    printf '%s\n' "${frag_gs[$name]}" >"$out/ex/$name.gs"
    printf '%s\n' "${frag_score[$name]}" >"$out/ex/$name.score"
done
total_points=0 total_max=0 complete=0 all=0 ej=() ju=() gj=()
for d in "$exdir"/[0-9][0-9]-*/; do
    [ -f "$d/exercise.conf" ] || continue
    all=$((all + 1))
    name=$(basename "$d")
    [ -f "$out/ex/$name.score" ] || continue
    read -r p m c <"$out/ex/$name.score"
    [[ $p =~ ^[0-9]+$ && $m =~ ^[0-9]+$ && $c =~ ^[01]$ ]] || continue
    total_points=$((total_points + p)) total_max=$((total_max + m)) complete=$((complete + c))
    ej+=("$(cat "$out/ex/$name.json")")
    ju+=("$(cat "$out/ex/$name.junit")")
    g=$(cat "$out/ex/$name.gs")
    [ -n "$g" ] && gj+=("$g")
done
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '{"solutions":%s,"graded_at":"%s","points":%d,"max":%d,"complete":%d,"exercises_total":%d,"exercises":[%s]}\n' \
    "$([ "$solutions" = 1 ] && echo true || echo false)" "$now" "$total_points" "$total_max" \
    "$complete" "$all" "$(IFS=,; echo "${ej[*]}")" >"$out/results.json.tmp"
mv -f "$out/results.json.tmp" "$out/results.json"
{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites name=\"fast-servers-exercises\">$(IFS=; echo "${ju[*]}")</testsuites>"
} >"$out/junit.xml.tmp"
mv -f "$out/junit.xml.tmp" "$out/junit.xml"
printf '{"score":%d,"max_score":%d,"output":"%s","tests":[%s]}\n' "$total_points" "$total_max" \
    "$(jesc "$complete of $all exercises complete")" "$(IFS=,; echo "${gj[*]}")" >"$out/gradescope.json.tmp"
mv -f "$out/gradescope.json.tmp" "$out/gradescope.json"
[ -n "$gradescope" ] && cp "$out/gradescope.json" "$gradescope"
echo
echo "Exercises: $complete/$all complete, $total_points/$total_max points"
echo "(details: ${out#"$course/"}/results.json, junit.xml, gradescope.json, logs in logs/)"
exit 0
