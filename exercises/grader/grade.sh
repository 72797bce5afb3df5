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
#                      Either option is classroom mode: the submission is
#                      untrusted (its includes, sections and calls are
#                      checked; its tests run locked: see the README)
#   --out DIR          where results go (default BUILD/grade, or
#                      BUILD/grade-solutions with SOLUTIONS=1)
#   --gradescope FILE  also write the Gradescope results.json there
#   --stop-on-loss     stop an exercise at its first lost point (the proof
#                      that a known-wrong variant loses points)
#   --repeat N         run every test N times; it passes only if all N pass
#                      (the proof that the solutions are not flaky)
#   --only "TEST..."   run only these tests (a label: NAME for a unit
#                      test, asan:NAME, server:NAME, tsan:*; a bare name
#                      with no unit test is any suite's); the others
#                      are not run and count for nothing (the course's
#                      mutants: the tests their killed-by line names)
# env:   SOLUTIONS=1          grade each exercise's solution/ folder
#        GRADE_TIME_SCALE=N   multiply every time limit (slow machines)
#        EXERCISES_DIR=DIR    the exercises, relative to the course
#        GRADE_NS=0           no PID namespace per test (grade-tool ns)
#        GRADE_CACHE=DIR      keep compiled course files (tests.c, extra
#                             files, the learner's fastd's tree) there,
#                             keyed by the flags and the course's own C
#                             files (names, sizes, times); default
#                             BUILD/grade-cache; with --submission, a
#                             cache of this run's own (OUT/work/.cache)
#        GRADE_JOBS=N         exercises graded at once (default: the
#                             number of CPUs); course files are compiled
#                             N at a time in the background meanwhile
#
# The verdict of a test never rests on what the learner's process prints
# or on its exit status alone: see exercises/grader/README.md. A learner's
# crash, hang or compile error fails that test or exercise, never the
# grader: it always writes its results and exits 0 unless it could not run.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

course=. submission="" out="" gradescope="" stop_on_loss=0 repeat=1 args=() classroom=0 only=""

while [ $# -gt 0 ]; do
    case $1 in
    --course) course=$2 classroom=1; shift 2 ;;
    --submission) submission=$2 classroom=1; shift 2 ;;
    --only) only=" $2 "; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --gradescope) gradescope=$2; shift 2 ;;
    --stop-on-loss) stop_on_loss=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    -h | --help) sed -n '2,40p' "$0"; exit 0 ;;
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
wrapped="read write recv send writev accept accept4 epoll_wait mmap munmap"
# faults.c: the set-up calls the fault matrix fails and logs. The
# sanitizers' runtimes, linked statically, call getrlimit and setrlimit
# before they are ready to run instrumented code: those (and prlimit) are wrapped
# in the plain unit program only.
wrapped="$wrapped socket setsockopt bind listen epoll_create1 epoll_create epoll_ctl open openat fopen pthread_create pthread_setaffinity_np sched_setaffinity"
san_wrap_flags=$(printf -- '-Wl,--wrap=%s ' $wrapped)
wrap_flags="$san_wrap_flags -Wl,--wrap=getrlimit -Wl,--wrap=setrlimit -Wl,--wrap=prlimit"

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
# What a learner reads: the message whole, C-escaped (\r\n shown as
# such, control bytes as \xNN), newlines kept.
cesc() {
    if [[ $1 =~ ^[\ -~]*$ ]]; then printf '%s' "$1"; else printf '%s' "$1" | "$tool" cesc; fi
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

# cached_cc LOG SRC FLAGS...: compile SRC to an object in the cache and
# print its path, keyed by the course's files, the compiler, flags and
# path. Nothing printed: it failed. A learner grading their own copy keeps
# the cache in BUILD; an instructor grading submissions (--submission)
# gets one for this run only (OUT/work/.cache, made anew each run: a
# submission never compiles what the next one links), unless GRADE_CACHE
# names one. Several exercises compile at once: each compile writes a
# file of its own and renames it into place.
cache=${GRADE_CACHE:-}
[ -z "$cache" ] && [ -z "$submission" ] && cache=$build/grade-cache
if [ -z "$cache" ]; then
    cache=$out/work/.cache
    rm -rf "$cache"
fi
mkdir -p "$cache/.locks" && cache=$(cd "$cache" && pwd) || exit 2
# Classroom mode: every test (the processes that run the submission's
# code) runs locked (grade-tool --lock: no capabilities, read-only /proc,
# no code rewriting) and, in its own mount namespace, sees the course,
# the build tree, the results and the cache read-only: one exercise's
# test cannot change what another's links, nor the results.
lock_opt=()
if [ "$classroom" = 1 ]; then
    lock_opt=(--lock)
    if [ -n "$ns_opt" ]; then
        for p in "$course" "$build" "$out" "$cache" ${submission:+"$submission"}; do
            lock_opt+=(--ro "$p")
        done
    else
        echo "grade: warning: no PID and mount namespaces here (grade-tool ns: run the grader as root, or where user namespaces are allowed): a submission's tests can write the build tree" >&2
    fi
fi
# Any change to the course's own C files (not the learner's) changes
# every key.
course_key=$(find "$course/simulator" "$course/reference-server" "$course/tests/server" \
    "$course/exercises/grader" "$course/$exrel" \( -name '*.h' -o -name tests.c \
    -o -name server_tests.c -o -path "$course/$exrel/*/solution/*.c" \
    -o -path "$course/simulator/*.c" -o -path "$course/reference-server/*.c" \
    -o -path "$course/tests/server/*.c" -o -path "$course/exercises/grader/*.c" \) \
    -printf '%p %s %T@\n' 2>/dev/null | sort | sha1sum | cut -c1-40)
cached_cc() {
    local log=$1 src=$2 key obj tmp v comp=$cc
    shift 2
    [ "${1:-}" = clang ] && { comp=clang; shift; }
    key=$(echo "$course_key $comp $* $src" | sha1sum | cut -c1-40)
    obj=$cache/$key.o tmp=$cache/$key.o.$BASHPID
    [ -f "$obj" ] && { echo "$obj"; return; }
    # One compile of a file at a time: whoever comes second waits for it.
    (
        command -v flock >/dev/null && exec {lk}>"$cache/.locks/$key" && flock "$lk"
        [ -f "$obj" ] && exit 0
        read -r v _ <<<"$("$tool" run --timeout "$(secs 120)" --log "$log" -- \
            $comp "$@" -c -o "$tmp" "$src")"
        [ "$v" = ok ] && mv -f "$tmp" "$obj"
        rm -f "$tmp"
    )
    [ -f "$obj" ] && echo "$obj"
}

# The flags of a suite's programs: sets comp (empty: $cc) and flags.
suite_flags() {
    comp=() flags=$ccflags
    case $1 in
    asan) comp=(clang) flags="$ccflags -fsanitize=address,undefined -fno-sanitize-recover=all" ;;
    tsan) comp=(clang) flags="$ccflags -fsanitize=thread" ;;
    esac
}

# course_obj LOG SUITE FILE EXDIR: a course file of a unit/asan/tsan
# program, compiled once for every exercise (only tests.c sees its
# exercise's folder, EXDIR; the others are shared by every exercise).
course_obj() {
    local log=$1 suite=$2 f=$3 finc="-I$course" comp flags
    [ -n "$4" ] && finc="-I$course -I$4"
    suite_flags "$suite"
    cached_cc "$log" "$f" "${comp[@]}" $flags $finc $cmocka_cflags
}

# oracle_obj LOG SUITE FILE: the reference module FILE (exercise.conf's
# `oracle`) compiled for SUITE with every global symbol it defines renamed
# ref_NAME (objcopy), so that a differential test calls the reference's
# ref_accept_burst() beside the learner's accept_burst(). Its debug
# information and every name the link does not need go (the ref_* names
# themselves go from the linked program: see strip_oracle), so that a
# learner's file cannot look the reference up in the program's own
# symbol table and call it. Cached beside the plain object.
oracle_obj() {
    local o r map
    o=$(course_obj "$1" "$2" "$3" "")
    [ -n "$o" ] || return 1
    r=${o%.o}.oracle.o
    if [ ! -f "$r" ]; then
        map=$r.map.$BASHPID
        nm -P -g --defined-only "$o" | awk '{ print $1, "ref_" $1 }' >"$map"
        objcopy --redefine-syms="$map" --strip-debug --strip-unneeded \
            "$o" "$r.$BASHPID" 2>>"$1" &&
            mv -f "$r.$BASHPID" "$r"
        rm -f "$map" "$r.$BASHPID"
    fi
    [ -f "$r" ] && echo "$r"
}

# The extra files of an exercise.conf, checked: sets extra_files, or
# prints why not and fails.
extra_of() {
    local f
    extra_files=()
    for f in $1; do
        if [[ $f =~ ^[A-Za-z0-9_./-]+$ && $f != *..* && -f $course/$f ]]; then
            extra_files+=("$course/$f")
        else
            echo "exercise.conf: extra file '$f' is not in the course"
            return 1
        fi
    done
}

# A failed test's message, in words, from its log.
log_message() {
    local log=$1 m where a b
    m=$(grep -m1 -E '^SUMMARY: [A-Za-z]+Sanitizer' "$log")
    [ -n "$m" ] || m=$(grep -m1 -oE 'runtime error: .*' "$log")
    [ -n "$m" ] || m=$(grep -m1 -E 'WARNING: ThreadSanitizer: .*' "$log")
    # cmocka's message (fail_msg, want_*, graded.h): whole, every line,
    # up to cmocka's own next line.
    [ -n "$m" ] || m=$(awk '!on && /^ERROR: / { on = 1; sub(/^ERROR: /, "") }
        on && /^\[  (ERROR|FAILED) *\]|^\[   LINE   \]/ { exit }
        on { print }' "$log")
    where=$(sed -nE 's/.*\[   LINE   \] --- ([^ ]+): error.*/\1/p' "$log" | head -n 1)
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
        elif [[ $m =~ ^Test\ failed\ with\ exception:\ (.+)\(([0-9]+)\)$ ]]; then
            # cmocka's own signal handler caught a crash in the test.
            m="crashed: ${BASH_REMATCH[1]} (signal ${BASH_REMATCH[2]})"
            [ "${BASH_REMATCH[2]}" = 11 ] &&
                m="$m: a read or write through a bad pointer (past the end of a buffer, freed, or NULL)?"
        elif [ -n "$m" ]; then
            # cmocka prints assert_true(x) and assert_false(x) alike, as
            # "x": the test's own line says which one failed.
            a=""
            [[ $where =~ ^(.+):([0-9]+)$ ]] && [ -r "${BASH_REMATCH[1]}" ] &&
                a=$(sed -n "${BASH_REMATCH[2]}p" "${BASH_REMATCH[1]}")
            if [[ $a == *assert_false\(* ]]; then
                m="expected $m to be false, it was true"
            else
                m="expected $m to hold, it did not"
            fi
        fi
    fi
    [ -n "$where" ] && m="$m (at ${where#"$course/"})"
    [ -n "$m" ] || m=$(grep -vE '^\[|^$' "$log" | head -n 2 | tr '\n' ' ')
    printf '%s' "${m:-failed}"
}

# Refuse a learner's object that could take over the harness. What a
# verdict rests on (see the README): the harness's code runs unchanged
# and has the last word, and the process cannot end with status 0 before
# it has spoken. So the learner's object may hold only what a compiler
# makes of ordinary C:
# - sections: code, data, debug information, unwind tables, notes, and
#   nothing that runs by itself (.init, .fini, .init_array, .ctors, a
#   section of one's own...); no code section writable, no data
#   executable, no request for an executable stack. A sanitizer build
#   adds its own module constructor: allowed when it is exactly that;
# - global symbols: those of the allow list (the solution's globals and
#   conf `symbols`), none of the harness's;
# - calls: none to the harness (cmocka, graded_*, inject_*), none to the
#   reference module linked as the oracle (ref_*), none to what would
#   look up or rewrite code (dl*, mprotect, ptrace, process_vm_*,
#   syscall, prctl), end the process or run another program (exit,
#   _exit, exec*, system, pthread_exit, pthread_cancel, kill, raise...),
#   or jump past the harness (longjmp, setcontext...);
# - instructions: no system call but through the C library (no syscall,
#   sysenter or int $0x80 of its own).
harness_re='^(main|_?cmocka.*|_assert_.*|_fail|_skip|_test_.*|_will_return|_expect_.*|_check_expected|_function_called|mock_.*|_mock.*|graded_.*|inject_.*|__wrap_.*|__real_.*|print_message|print_error|vprint_message|vprint_error|cm_print_error|global_.*)$'
denied_re='^(ref_.*|dl[a-z_]*|_dl_.*|__libc_.*|mprotect|pkey_.*|ptrace|process_vm_.*|syscall|prctl|personality|unshare|setns|mount|umount2?|chroot|pivot_root|memfd_create|_?_?exit|_Exit|quick_exit|at_quick_exit|atexit|on_exit|__cxa_atexit|__cxa_thread_atexit.*|exec[lv]p?e?|execvpe|fexecve|posix_spawnp?|system|popen|pthread_exit|pthread_cancel|pthread_kill|pthread_sigqueue|pthread_atfork|__register_atfork|tgkill|tkill|kill|killpg|raise|sigqueue|longjmp|_longjmp|siglongjmp|__longjmp_chk|setcontext|swapcontext|makecontext|environ|__environ|getauxval|_r_debug)$'
section_re='^\.(text|data|bss|rodata|tdata|tbss)(\..+)?$|^\.(comment|note\.GNU-stack|note\.gnu\.property|eh_frame|symtab|strtab|shstrtab|group|llvm_addrsig)$|^\.debug_[a-z_.]+$'
# check_object OBJ ALLOW FILE [asan|tsan]: 0, or the reason on stdout.
check_object() {
    local obj=$1 allow=$2 f=$3 flavour=${4:-} name type flags rest idx size sec
    local -A ctor_idx=() ctor_size=()
    while read -r idx name type flags size; do
        sec=${name#.rela}
        sec=${sec#.rel}
        [ "$sec" != "$name" ] && [ "$type" = RELA -o "$type" = REL ] && name=$sec
        if [ -n "$flavour" ] && [[ $name =~ ^\.text\.(asan|tsan)\.module_(ctor|dtor)$ ]]; then
            [ "$type" = PROGBITS ] && ctor_idx[$idx]=$name ctor_size[$idx]=$((16#$size))
            continue
        fi
        if [ -n "$flavour" ] && [[ $name =~ ^\.(init|fini)_array\.[0-9]+$ ]]; then
            # The sanitizer's own: every entry points at its module
            # constructor (checked below).
            continue
        fi
        if ! [[ $name =~ $section_re ]]; then
            echo "$f has a section $name: only the sections a compiler makes for ordinary C are allowed (no code that runs before or after the tests)"
            return 1
        fi
        if [[ $name == .text* && $flags == *W* ]] || [[ $name != .text* && $flags == *X* ]]; then
            echo "$f has a section $name that is both code and writable, or data and executable: not allowed"
            return 1
        fi
    done < <(readelf -SW "$obj" 2>/dev/null | awk -F']' '/^ *\[ *[0-9]+\]/ {
        idx = $1; sub(/.*\[ */, "", idx); n = split($2, a, " ")
        if (idx == 0 || n < 6) next
        print idx, a[1], a[2], (n >= 10 ? a[7] : "-"), a[5] }')
    if [ -n "$flavour" ]; then
        # A sanitizer's module constructor: one function of its own name
        # filling its section, and the only target of the init/fini arrays.
        local num value ssize stype bind vis ndx sname
        local -A ctor_funcs=()
        while read -r num value ssize stype bind vis ndx sname; do
            [ -n "${ctor_idx[$ndx]:-}" ] || continue
            [ "$stype" = SECTION ] && continue
            if [ "$stype" != FUNC ] || [ ".text.$sname" != "${ctor_idx[$ndx]}" ] ||
                [ "$ssize" != "${ctor_size[$ndx]}" ] || [ -n "${ctor_funcs[$ndx]:-}" ]; then
                echo "$f has code of its own in ${ctor_idx[$ndx]}: not allowed"
                return 1
            fi
            ctor_funcs[$ndx]=1
        done < <(readelf -sW "$obj" 2>/dev/null | awk '$1 ~ /^[0-9]+:$/ && NF >= 8')
        local target
        while read -r target; do
            if ! [[ $target =~ ^\.text\.(asan|tsan)\.module_(ctor|dtor)\ \+\ 0$ ]]; then
                echo "$f puts $target in an init or fini array: code that runs before or after the tests is not allowed"
                return 1
            fi
        done < <(readelf -rW "$obj" 2>/dev/null | awk '/^Relocation section/ { on = ($3 ~ /^.\.rela?\.(init|fini)_array/) ; next }
            on && NF >= 5 && $1 ~ /^[0-9a-f]+$/ { s = ""; for (i = 5; i <= NF; i++) s = s (i > 5 ? " " : "") $i; print s }')
    fi
    while read -r name type _; do
        [ -n "$name" ] || continue
        if [ "$type" = U ] || [ "$type" = w ] || [ "$type" = v ]; then
            if [[ $name =~ $harness_re ]]; then
                echo "$f uses '$name', a symbol of the test harness: not allowed"
                return 1
            fi
            if [[ $name =~ $denied_re ]]; then
                echo "$f calls '$name': an exercise's file has no use for it (it could look up or rewrite the test program, reach the reference it is compared with, or end the test before the grader sees its result)"
                return 1
            fi
            if [[ " ${denied:-} " == *" $name "* ]]; then
                echo "$f uses '$name': a course function that already does what this exercise asks (exercise.conf's denied); write your own"
                return 1
            fi
            continue
        fi
        if [ "$type" = i ]; then
            echo "$f defines $name as an ifunc (code that runs before main): not allowed"
            return 1
        fi
        case $type in [A-Z] | u) ;; *) continue ;; esac
        [ -n "$flavour" ] && [[ $name =~ ^__odr_asan_gen_ ]] && continue
        if [[ $name =~ $harness_re ]] || { [ -n "$allow" ] && ! grep -qxF -- "$name" "$allow"; }; then
            echo "$f defines '$name', which is not a function this exercise asks for ($(tr '\n' ' ' <"$allow" 2>/dev/null | sed 's/ $//')): make it static, or rename it"
            return 1
        fi
    done < <(nm -P "$obj" 2>/dev/null)
    if objdump -d --no-show-raw-insn "$obj" 2>/dev/null |
        grep -qE '^ +[0-9a-f]+:[[:space:]]+(syscall|sysenter|int +\$0x80)([[:space:]]|$)'; then
        echo "$f makes a system call of its own (a syscall instruction): call the C library's function instead"
        return 1
    fi
    return 0
}

# The compiler's own header folders (for check_includes), per compiler.
declare -A sys_dirs=()
system_dirs() {
    local comp=$1 d
    if [ -z "${sys_dirs[$comp]:-}" ]; then
        # (and its own folder: clang's sanitizer ignore lists are there)
        sys_dirs[$comp]=$({
            "$comp" -E -Wp,-v -x c /dev/null 2>&1 >/dev/null | sed -n 's/^ \(\/.*\)$/\1/p'
            d=$("$comp" -print-file-name=include) && [[ $d == /* ]] && dirname "$d"
        } | while read -r d; do realpath -m "$d"; done | tr '\n' ' ')
    fi
    printf '%s' "${sys_dirs[$comp]}"
}

# check_includes DEPFILE FILE COMPILER: in classroom mode, what the
# preprocessor really read for FILE (the compiler's -MD list) may be
# only the system's headers and the course's headers: never a .c file
# (the reference module, the solution), nothing in a solution/ folder,
# nothing of the build tree or outside the course.
check_includes() {
    local dep=$1 f=$2 comp=$3 path real d ok dirs
    dirs=$(system_dirs "$comp")
    while read -r path; do
        [ -n "$path" ] || continue
        real=$(realpath -m -- "$path")
        [ "$real" = "$work/src/$name/$f" ] && continue
        ok=0
        for d in $dirs; do [[ $real == "$d"/* ]] && ok=1 && break; done
        if [ "$ok" = 0 ] && [[ $real == "$course"/*.h && $real != */solution/* ]] &&
            [[ $real != "$build"/* && $real != "$out"/* && $real != "$cache"/* ]]; then
            ok=1
        fi
        if [ "$ok" = 0 ]; then
            echo "$f includes ${path#"$course/"}: a submission may include only the system's headers and the course's headers (never the reference's or the solution's code)"
            return 1
        fi
    done < <(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep" | tr ' ' '\n')
    return 0
}

ccflags="-std=gnu11 -g -O1 -Wall -Wextra -D_GNU_SOURCE -U_FORTIFY_SOURCE -fno-omit-frame-pointer"

# The learner's fastd is built in the cache's one tree (fb), by make:
# fastd_make LOG COPY MAKE-ARGS... prints grade-tool's verdict line and,
# when COPY is not empty, copies the fastd made to COPY, both under one
# lock (another exercise's make would relink the tree's fastd). A make
# above us (make sanitize: SAN=asan BUILD=build/asan) exports its
# command-line variables: they must not reach this plain build.
fb=$cache/fastd
fastd_make() {
    local log=$1 copy=$2 lk v rest
    shift 2
    (
        command -v flock >/dev/null && exec {lk}>"$cache/fastd.lock" && flock "$lk"
        read -r v rest <<<"$("$tool" run --timeout "$(secs 600)" --log "$log" -- \
            env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN -u BUILD -u MINE -u MINE_SRC make --no-print-directory -C "$course" BUILD="$fb" "$@")"
        [ "$v" = ok ] && [ -n "$copy" ] && { cp "$fb/bin/fastd" "$copy" 2>/dev/null || v=fail; }
        echo "$v $rest"
    )
}

# grade_exercise DIR FD: grade one exercise and write its outcome to FD,
# fields ended by NUL: the lines of the score table, title, points, max,
# status, problem, tests (JSON), JUnit, Gradescope tests, score line, and
# the workload to measure (or nothing). Exercises are graded at once, each
# in a subshell of its own: see the end of this file.
grade_exercise() {
    local d=$1 resfd=$2
    name=$(basename "$d") num=${name%%-*}
    conf=$d/exercise.conf
    title=$(conf_get "$conf" title)
    sources=$(conf_get "$conf" sources)
    extra=$(conf_get "$conf" extra)
    oracle=$(conf_get "$conf" oracle)
    libs=$(conf_get "$conf" libs)
    symbols=$(conf_get "$conf" symbols)
    denied=$(conf_get "$conf" denied)
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
                $cc $ccflags $inc -MD -MF "$o.d" -c -o "$o" "$work/src/$name/$f")"
            if [ "$v" != ok ]; then
                [ "$v" = timeout ] && problem="compiling $f took too long" || problem=$(first_error "$logs/build.log")
                pstatus=compile-error
                break
            fi
            if [ "$classroom" = 1 ] && ! why=$(check_includes "$o.d" "$f" "$cc"); then
                problem="refused: $why" pstatus=refused
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
        local suite=$1 prog=$work/$1 srcs=() f extra_files=() v lib why
        [ -n "${built[$suite]:-}${build_err[$suite]:-}" ] && return
        if ! why=$(extra_of "$extra"); then
            build_err[$suite]=$why
            return
        fi
        extra_of "$extra"
        lib=""
        for f in $libs; do [[ $f =~ ^-l[A-Za-z0-9_+.-]+$ ]] && lib="$lib $f"; done
        for f in $sources; do [[ $f == *.c ]] && srcs+=("$work/src/$name/$f"); done
        case $suite in
        unit | asan | tsan)
            [ -f "$d/tests.c" ] || { build_err[$suite]="the course has no tests.c"; return; }
            # The sanitizer builds are the unit program again: when the
            # learner's code did not link there, it will not here either.
            if [ "$suite" != unit ] && [ -n "${build_err[unit]:-}" ]; then
                build_err[$suite]=${build_err[unit]}
                return
            fi
            local comp flags mine=("${objs[@]}") course_objs=() o
            suite_flags "$suite"
            # The course's files once (cached; the background compiles
            # go through them first to last, this loop last to first, so
            # that the two meet halfway instead of waiting on each other);
            # the learner's from the private copy (again, instrumented,
            # for a sanitizer build).
            local files=("$d/tests.c" "${extra_files[@]}" "$here/inject.c" "$here/faults.c") k
            for ((k = ${#files[@]} - 1; k >= 0; k--)); do
                f=${files[$k]}
                o=$(course_obj "$logs/build-$suite.log" "$suite" "$f" "$([ "$f" = "$d/tests.c" ] && echo "$d")")
                [ -n "$o" ] || { build_err[$suite]=$(first_error "$logs/build-$suite.log"); return; }
                course_objs=("$o" "${course_objs[@]}")
            done
            # The reference modules the differential tests compare with.
            local oracle_files=()
            if [ -n "$oracle" ]; then
                why=$(extra_of "$oracle") || { build_err[$suite]=${why/extra/oracle}; return; }
                extra_of "$oracle"
                oracle_files=("${extra_files[@]}")
            fi
            for f in "${oracle_files[@]}"; do
                o=$(oracle_obj "$logs/build-$suite.log" "$suite" "$f")
                [ -n "$o" ] || { build_err[$suite]=$(first_error "$logs/build-$suite.log"); return; }
                course_objs+=("$o")
            done
            if [ "$suite" != unit ]; then
                mine=()
                for f in "${srcs[@]}"; do
                    o=$work/obj/$suite-$(basename "${f%.c}").o
                    read -r v _ <<<"$("$tool" run --timeout "$(secs 120)" --log "$logs/build-$suite.log" -- \
                        "${comp[@]}" $flags $inc -MD -MF "$o.d" -c -o "$o" "$f")"
                    [ "$v" = ok ] || { build_err[$suite]=$(first_error "$logs/build-$suite.log"); return; }
                    # The same checks as the plain object's: a file can
                    # differ under clang or a sanitizer (#ifdef).
                    if { [ "$classroom" = 1 ] && ! why=$(check_includes "$o.d" "$(basename "$f")" "${comp[0]}"); } ||
                        ! why=$(check_object "$o" "$allow" "$(basename "$f")" "$suite"); then
                        build_err[$suite]="refused: $why"
                        return
                    fi
                    mine+=("$o")
                done
            fi
            read -r v _ <<<"$("$tool" run --timeout "$(secs 120)" --log "$logs/link-$suite.log" -- \
                "${comp[@]:-$cc}" $flags -o "$prog" "${course_objs[@]}" "${mine[@]}" \
                $([ "$suite" = unit ] && echo "$wrap_flags" || echo "$san_wrap_flags") \
                $cmocka_libs $lib -pthread -lm)"
            [ "$v" = ok ] || build_err[$suite]=$(first_error "$logs/link-$suite.log")
            # No ref_* name left in the program: nothing needs them once
            # linked, and a file that finds the oracle by name in
            # /proc/self/exe could answer with the reference's own code.
            if [ -z "${build_err[$suite]:-}" ] && [ ${#oracle_files[@]} -gt 0 ] &&
                ! objcopy --wildcard --strip-symbol='ref_*' "$prog" 2>>"$logs/link-$suite.log"; then
                build_err[$suite]="objcopy could not strip the oracle's names from $prog"
            fi
            ;;
        server)
            [ -f "$d/server_tests.c" ] || { build_err[$suite]="the course has no server_tests.c"; return; }
            if ! grep -qs "^SEAM_$num *:=" "$exrel/seams.mk"; then
                build_err[$suite]="this course cannot build a learner's fastd yet (no SEAM_$num in $exrel/seams.mk)"
                return
            fi
            # The learner's fastd: the course's server with this one file
            # swapped in, from the private copy, in the cache's one build
            # tree (its reference objects compiled before the exercises
            # start: only the learner's file and the link are done here;
            # a lock keeps exercises and graders apart).
            local o harness=()
            read -r v _ <<<"$(fastd_make "$logs/build-fastd.log" "$work/fastd" \
                MINE="$num" MINE_SRC="$work/src" "$fb/bin/fastd")"
            if [ "$v" != ok ] || [ ! -x "$work/fastd" ]; then
                build_err[$suite]=$(first_error "$logs/build-fastd.log")
                return
            fi
            # tests/server/fastd_harness.c starts and stops a fastd: linked
            # in, unless server_tests.c includes it itself.
            if [ -f "$course/tests/server/fastd_harness.c" ] &&
                ! grep -q 'include "tests/server/fastd_harness\.c"' "$d/server_tests.c"; then
                o=$(course_obj "$logs/build-server.log" unit "$course/tests/server/fastd_harness.c" "")
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

    # run_one SUITE TEST LOG I: one test, in a process of its own, under
    # the limits of manifest line I: sets verdict, wall, cpus and msg
    # (the message whole, as the runner or the log says it).
    run_one() {
        local su=$1 te=$2 log=$3 i=$4 env=() res r s
        case $su in
        server) env=(FASTD_BIN="$work/fastd") ;;
        asan) env=(ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1) ;;
        tsan) env=(TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1) ;;
        esac
        [ "${m_keep[$i]}" = 1 ] && env+=(GRADED_FDS_KEEP=1)
        verdict="" wall=0 cpus=0 msg=""
        for ((r = 1; r <= repeat; r++)); do
            res=$(env "${env[@]}" "$tool" run --token $ns_opt "${lock_opt[@]}" --timeout "$(secs "${m_timeout[$i]}")" \
                --cpu "$(secs "${m_cpu[$i]}")" --fsize 64 --log "$log" -- "$work/$su" "$te")
            IFS=$'\t' read -r verdict wall cpus msg <<<"$res"
            [ "$verdict" = pass ] || break
        done
        # Numbers only in the JSON, whatever the runner printed.
        [[ $wall =~ ^[0-9]+(\.[0-9]+)?$ ]] || wall=0
        [[ $cpus =~ ^[0-9]+(\.[0-9]+)?$ ]] || cpus=0
        if [ -z "$verdict" ]; then
            verdict=fail msg="the grader's runner was killed during this test"
        elif [ "$verdict" = pass ] && grep -q '^\[  SKIPPED \]' "$log"; then
            verdict=skip
            msg=$(sed -n 's/^SKIPPED: //p' "$log" | head -n 1)
        elif [ "$verdict" = fail ] && [ -z "$msg" ]; then
            msg=$(log_message "$log")
        fi
        # A sanitizer's report: its summary, and the first line of the
        # learner's file it names.
        if [ "$verdict" != pass ] && [ "$verdict" != skip ]; then
            s=$(grep -m1 -E '^SUMMARY: [A-Za-z]+Sanitizer|runtime error:' "$log")
            if [ -n "$s" ]; then
                s=${s#SUMMARY: }
                [[ $s == *"runtime error:"* ]] && s=${s#*"$work/src/$name/"}
                [[ $msg == *"$s"* ]] || msg="$msg: $s"
                s=$(grep -m1 -oE "$work/src/$name/[^ :]+:[0-9]+" "$log")
                [ -n "$s" ] && msg="$msg (at ${s#"$work/src/$name/"} in your file)"
            fi
        fi
        # A sanitizer's report is the learner's when a line of their file
        # is in it (a stack frame, the place of the error); otherwise it
        # is the harness's (the aftermath of a failed assertion, a course
        # bug): said, and not counted. A report with no source line at
        # all (no symbolizer) cannot be told apart: it counts.
        if [ "$su" = asan -o "$su" = tsan ] && [ "$verdict" != pass ] && [ "$verdict" != skip ] &&
            grep -qE '^==[0-9]+==ERROR: |^WARNING: ThreadSanitizer|runtime error:|^SUMMARY: [A-Za-z]+Sanitizer' "$log" &&
            ! grep -qF "$work/src/$name/" "$log" && grep -qE "($course|$work)/[^ :]+\.[ch]:[0-9]" "$log"; then
            verdict=harness
            msg="a fault of the test harness, not of your file (the sanitizer's report names no line of yours): not counted; $msg"
        fi
        [ "$repeat" -gt 1 ] && [ "$verdict" != pass ] && [ "$verdict" != skip ] &&
            msg="run $r of $repeat: $msg"
    }
    # The unit tests, in manifest order: an asan or tsan line whose TEST
    # is * runs each of them in a process of its own (one failure cannot
    # cause the next), and passes when they all do.
    # unit_seen maps each unit test to its hint: a sanitizer's '*' line
    # that fails in one test names that test's hint, not its own fixed one
    # (a leak in 01's pool_stop is not helped by the hint on pinning).
    local unit_names=() k
    local -A unit_seen=()
    for k in "${!m_test[@]}"; do
        [ "${m_suite[$k]}" = unit ] && [ -z "${unit_seen[${m_test[$k]}]:-}" ] &&
            unit_names+=("${m_test[$k]}") && unit_seen[${m_test[$k]}]=${m_hint[$k]}
    done
    # table_add PREFIX TEXT: a line of the score table; a message of
    # several lines goes on, indented, below it.
    table_add() {
        local first=${2%%$'\n'*} rest
        lines+=("$1$first")
        [ "$first" = "$2" ] && return
        rest=${2#*$'\n'}
        while IFS= read -r first; do lines+=("          $first"); done <<<"$rest"
    }

    pts=0 passed=0 n=${#m_test[@]} skipmax=0 stopped=0
    tests_json=() cases=() gs=() lines=() fails=0 skips=0
    local shown wsum csum sub subv subm nsub nskip
    for i in "${!m_test[@]}"; do
        su=${m_suite[$i]} te=${m_test[$i]} po=${m_points[$i]} hi=${m_hint[$i]}
        label=$te
        [ "$su" != unit ] && label="$su:$te"
        log=$logs/$su-${te//\*/all}.log
        verdict="" wall=0 cpus=0 msg=""
        # --only: a label, or a bare name: the unit test of that name, or
        # where there is none, the other suites' tests of that name.
        if [ -n "$only" ] && [[ $only != *" $label "* ]] &&
            { [[ $only != *" $te "* ]] || [ -n "${unit_seen[$te]:-}" -a "$su" != unit ]; }; then
            verdict=not-run msg="not run (--only)"
        elif [ -n "$problem" ]; then
            verdict=fail msg=$problem
        elif [ "$stopped" = 1 ]; then
            verdict=fail msg="not run (the grader stopped at the first lost point)"
        else
            suite_build "$su"
            if [ -n "${build_err[$su]:-}" ]; then
                verdict=fail msg="the $su test program did not build: ${build_err[$su]}"
            elif [ "$te" = '*' ] && [ "$su" != unit ] && [ ${#unit_names[@]} -gt 0 ]; then
                wsum=0 csum=0 subv=pass subm="" nsub=0 nskip=0
                for sub in "${unit_names[@]}"; do
                    run_one "$su" "$sub" "$logs/$su-$sub.log" "$i"
                    wsum=$(awk -v a="$wsum" -v b="$wall" 'BEGIN { printf "%.2f", a + b }')
                    csum=$(awk -v a="$csum" -v b="$cpus" 'BEGIN { printf "%.2f", a + b }')
                    nsub=$((nsub + 1))
                    case $verdict in
                    pass) ;;
                    skip) nskip=$((nskip + 1)) ;;
                    harness) [ "$subv" = pass ] && subv=harness subm="$sub: $msg" log=$logs/$su-$sub.log ;;
                    *) subv=$verdict subm="$sub: $msg" log=$logs/$su-$sub.log hi=${unit_seen[$sub]}; break ;;
                    esac
                done
                verdict=$subv msg=$subm wall=$wsum cpus=$csum
                [ "$verdict" = pass ] && [ "$nskip" = "$nsub" ] && verdict=skip msg="every test skipped"
            else
                run_one "$su" "$te" "$log" "$i"
            fi
        fi
        case $verdict in
        pass) status=pass ;;
        skip | not-run) status=skip ;;
        harness) status=harness ;;
        *) status=fail ;;
        esac
        got=0
        hint_text="make hint EX=$num HINT=$hi"
        shown=$(cesc "$msg")
        if [ $status = pass ]; then
            got=$po pts=$((pts + po)) passed=$((passed + 1))
            cases+=("<testcase classname=\"exercises.$name\" name=\"$(xesc "$label")\" time=\"$wall\"/>")
        elif [ $status = skip ]; then
            skipmax=$((skipmax + po)) passed=$((passed + 1)) skips=$((skips + 1))
            [ "$verdict" = skip ] && table_add "    SKIP $label: " "$shown"
            cases+=("<testcase classname=\"exercises.$name\" name=\"$(xesc "$label")\" time=\"$wall\"><skipped message=\"$(xesc "$shown")\"/></testcase>")
        elif [ $status = harness ]; then
            skipmax=$((skipmax + po)) skips=$((skips + 1))
            table_add "    HARNESS $label: " "$shown"
            cases+=("<testcase classname=\"exercises.$name\" name=\"$(xesc "$label")\" time=\"$wall\"><skipped message=\"$(xesc "$shown")\"/></testcase>")
        else
            fails=$((fails + 1))
            table_add "    FAIL $label: " "$shown"
            lines+=("         hint $hi: $hint_text")
            body="$shown"$'\n'"hint: $hint_text"$'\n'"log: ${log#"$course/"}"
            cases+=("<testcase classname=\"exercises.$name\" name=\"$(xesc "$label")\" time=\"$wall\"><failure type=\"$verdict\" message=\"$(xesc "$shown")\">$(xesc "$body")</failure></testcase>")
            [ "$stop_on_loss" = 1 ] && [ "$po" -gt 0 ] && stopped=1
        fi
        tests_json+=("{\"name\":\"$(jesc "$label")\",\"suite\":\"$su\",\"points\":$got,\"max\":$po,\"status\":\"$status\",\"verdict\":\"$verdict\",\"time\":$wall,\"cpu\":$cpus,\"message\":\"$(jesc "$shown")\",\"hint\":$hi}")
        out_text=$shown
        [ $status = fail ] && out_text="$shown"$'\n'"hint $hi: $hint_text"
        # (Not run, skipped, the harness's fault: worth nothing either way.)
        gmax=$po
        [ $status = skip ] || [ $status = harness ] && gmax=0
        gs+=("{\"name\":\"$(jesc "$name: $label")\",\"score\":$got,\"max_score\":$gmax,\"output\":\"$(jesc "$out_text")\",\"visibility\":\"visible\"}")
    done
    max=$((max - skipmax))
    # Layer (c), not graded: how the learner's fastd compares with the
    # reference on the conf's workload (exercises/grader/measure.sh), done
    # after every exercise's tests (below), one at a time.
    measure=$(conf_get "$conf" measure)
    [ -n "$measure" ] && [ -z "$problem" ] && [ "$stopped" = 0 ] && [ -n "${built[server]:-}" ] || measure=""
    if [ -n "$problem" ]; then
        ex_status=${pstatus:-error}
    elif [ "$passed" -eq "$n" ] && [ "$n" -gt 0 ]; then
        ex_status=complete
    else
        ex_status=incomplete
    fi
    local report
    if [ -n "$problem" ]; then
        report=$(printf '%-26s %8s %4d/%-3d  %s\n' "$name" "-" 0 "$max" "$ex_status:"
            printf '%s\n' "$problem" | sed 's/^/    /')
    else
        report=$(printf '%-26s %4d/%-3d %4d/%-3d  %s\n' "$name" "$passed" "$n" "$pts" "$max" "$title"
            [ ${#lines[@]} -gt 0 ] && printf '%s\n' "${lines[@]}")
    fi
    printf '%s\0' "$report" "$title" "$pts" "$max" "$ex_status" "$problem" \
        "$(IFS=,; echo "${tests_json[*]}")" \
        "<testsuite name=\"exercises.$name\" tests=\"$n\" failures=\"$fails\" errors=\"0\" skipped=\"$skips\">$(IFS=; echo "${cases[*]}")</testsuite>" \
        "$(IFS=,; echo "${gs[*]}")" \
        "$pts $max $([ "$ex_status" = complete ] && echo 1 || echo 0)" "$measure" >&"$resfd"
}

# Course files, compiled once for every exercise, in the background while
# the first exercises run (not niced: an exercise may be waiting for one
# of them, and a niced compile starves on a loaded machine), GRADE_JOBS
# at a time, in the order the exercises will need them: the reference
# objects of the learner's fastd's tree, then for each exercise the files
# of each suite in its manifest (tests.c, the extra files, inject.c and faults.c in
# the unit, asan or tsan flavour; the server tests' harness). Only a head
# start: an exercise that needs a file compiles it itself, or waits for
# the compile under way (cached_cc's lock), and says why a course file
# did not compile.
jobs=${GRADE_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "grade: GRADE_JOBS must be a count" >&2; exit 2; }
precompile() {
    local d su f t fastd=0 running=0 i=0 extra_files tasks=()
    local -A seen=()
    for d in "${exercises[@]}"; do
        [ -f "$d/tests.manifest" ] || continue
        for su in $(sed 's/#.*//' "$d/tests.manifest" | awk 'NF && !s[$1]++ { print $1 }'); do
            case $su in
            unit | asan | tsan)
                [ -f "$d/tests.c" ] || continue
                extra_of "$(conf_get "$d/exercise.conf" extra)" >/dev/null || extra_files=()
                for f in "$d/tests.c" "${extra_files[@]}" "$here/inject.c" "$here/faults.c"; do
                    t="$su $f"
                    [ "$f" = "$d/tests.c" ] && t="$su $f $d"
                    [ -n "${seen[$t]:-}" ] || tasks+=("$t")
                    seen[$t]=1
                done
                ;;
            server)
                [ -f "$d/server_tests.c" ] || continue
                f=$(basename "$d")
                grep -qs "^SEAM_${f%%-*} *:=" "$exrel/seams.mk" || continue
                fastd=1
                t="unit $course/tests/server/fastd_harness.c"
                [ -f "${t#unit }" ] && [ -z "${seen[$t]:-}" ] && tasks+=("$t") && seen[$t]=1
                ;;
            esac
        done
    done
    mkdir -p "$out/logs/.course"
    # (When the tree has every object, the exercise's own make brings
    # them up to date: no make here, and no wait on its lock.)
    if [ "$fastd" = 1 ] && [ -f "$course/reference-server/module.mk" ]; then
        local objs=() missing=0
        for f in "$course"/reference-server/*.c; do
            objs+=("$fb/obj/reference-server/$(basename "${f%.c}").o")
            [ -f "${objs[-1]}" ] || missing=1
        done
        if [ "$missing" = 1 ]; then
            fastd_make "$out/logs/.course/fastd.log" "" "${objs[@]}" >/dev/null &
            running=1
        fi
    fi
    # The same list compiled to the end before: nothing to do (a file
    # removed since is compiled by the exercise that needs it).
    local done_mark
    done_mark=$cache/.locks/done-$(printf '%s\n' "$course_key" "$cc" "$ccflags" "$cmocka_cflags" \
        "${tasks[@]}" | sha1sum | cut -c1-40)
    [ -f "$done_mark" ] && tasks=()
    for t in "${tasks[@]}"; do
        [ -e "$precompile_stop" ] && break
        set -- $t
        i=$((i + 1))
        course_obj "$out/logs/.course/$i.log" "$1" "$2" "${3:-}" >/dev/null &
        running=$((running + 1))
        [ "$running" -ge "$jobs" ] && { wait -n; running=$((running - 1)); }
    done
    wait
    [ ${#tasks[@]} -gt 0 ] && [ ! -e "$precompile_stop" ] && : >"$done_mark"
}

printf '%-26s %8s %8s\n' exercise tests points
# Once every exercise has ended, what they did not need is not compiled
# (--stop-on-loss, a compile error): the compiles under way end, no more
# start.
precompile_stop=$out/work/.precompile-stop
rm -f "$precompile_stop"
precompile &
precompiling=$!

# The exercises, GRADE_JOBS at a time, each in a subshell; the table is
# printed in order as they end. An exercise's outcome comes back in a
# file that has no name (opened twice, then removed: one end for the
# subshell to write, one for us to read once it has ended), so that no
# test process of another exercise, running meanwhile, can change it; the
# results are written at the very end, from here.
declare -A frag_head frag_tail frag_measured frag_junit frag_gs frag_score res_fd job_of done_ex
measures=()
next=0 shown=0 running=0 total=${#exercises[@]}
start_exercise() {
    local i=$1 w r k f=$out/work/.outcome-$1
    exec {w}>"$f" {r}<"$f"
    rm -f "$f"
    res_fd[$i]=$r
    (
        # Not the other exercises' outcomes, nor our own read end.
        for k in "${!res_fd[@]}"; do exec {res_fd[$k]}<&-; done
        grade_exercise "${exercises[$i]}" "$w"
    ) &
    job_of[$!]=$i
    exec {w}>&-
}
collect_exercise() {
    local i=$1 fields=() v name
    name=$(basename "${exercises[$i]}")
    while [ ${#fields[@]} -lt 11 ] && IFS= read -r -d '' -u "${res_fd[$i]}" v; do
        fields+=("$v")
    done
    exec {res_fd[$i]}<&-
    unset "res_fd[$i]"
    if [ ${#fields[@]} -ne 11 ] || ! [[ ${fields[2]} =~ ^[0-9]+$ && ${fields[3]} =~ ^-?[0-9]+$ ]]; then
        v="the grader's job for this exercise ended before it had graded it"
        fields=("$(printf '%-26s %8s %4d/%-3d  %s\n    %s' "$name" - 0 0 error: "$v")" "" 0 0 error "$v" ""
            "<testsuite name=\"exercises.$name\" tests=\"0\" failures=\"0\" errors=\"1\" skipped=\"0\"></testsuite>"
            "" "0 0 0" "")
    fi
    printf '%s\n' "${fields[0]}"
    frag_head[$name]="{\"exercise\":\"$name\",\"title\":\"$(jesc "${fields[1]}")\",\"points\":${fields[2]},\"max\":${fields[3]},\"status\":\"${fields[4]}\",\"message\":\"$(jesc "${fields[5]}")\""
    frag_tail[$name]="\"tests\":[${fields[6]}]}"
    frag_measured[$name]=""
    frag_junit[$name]=${fields[7]}
    frag_gs[$name]=${fields[8]}
    frag_score[$name]=${fields[9]}
    [ -n "${fields[10]}" ] && measures+=("$name ${fields[10]}")
}
while [ "$shown" -lt "$total" ]; do
    while [ "$running" -lt "$jobs" ] && [ "$next" -lt "$total" ]; do
        start_exercise "$next"
        next=$((next + 1)) running=$((running + 1))
    done
    fin=""
    wait -n -p fin
    [ -n "$fin" ] && [ -n "${job_of[$fin]:-}" ] || continue
    done_ex[${job_of[$fin]}]=1
    unset "job_of[$fin]"
    running=$((running - 1))
    while [ -n "${done_ex[$shown]:-}" ]; do
        collect_exercise "$shown"
        shown=$((shown + 1))
    done
done

: >"$precompile_stop"
wait "$precompiling" 2>/dev/null

# Layer (c), not graded, once every test has ended: nothing runs beside
# a measurement, and no measurement beside a test.
if [ ${#measures[@]} -gt 0 ] && [ "${GRADE_MEASURE:-1}" != 0 ] && [ -x "$here/measure.sh" ] &&
    [ -x "$build/bin/fastd" ]; then
    echo
    echo "measured (not graded; exercises/grader/measure.sh: the reference, then yours):"
    for m in "${measures[@]}"; do
        read -r name workload <<<"$m"
        log=$out/logs/$name/measure.log
        read -r v _ <<<"$("$tool" run --timeout "$(secs 300)" --log "$log" -- \
            "$here/measure.sh" "$workload" "$build/bin/fastd" "$out/work/$name/fastd")"
        [ "$v" = ok ] || continue
        frag_measured[$name]=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
        printf '    %-22s %s\n' "$name" "${frag_measured[$name]}"
    done
fi

# Write this run's fragments, then merge every exercise's latest ones.
for name in "${!frag_head[@]}"; do
    printf '%s,"measured":"%s",%s\n' "${frag_head[$name]}" "$(jesc "${frag_measured[$name]}")" \
        "${frag_tail[$name]}" >"$out/ex/$name.json"
    printf '%s\n' "${frag_junit[$name]}" >"$out/ex/$name.junit"
    printf '%s\n' "${frag_gs[$name]}" >"$out/ex/$name.gs"
    printf '%s\n' "${frag_score[$name]}" >"$out/ex/$name.score"
done
total_points=0 total_max=0 complete=0 all=0 graded=0 ej=() ju=() gj=()
for d in "$exdir"/[0-9][0-9]-*/; do
    [ -f "$d/exercise.conf" ] || continue
    all=$((all + 1))
    name=$(basename "$d")
    [ -f "$out/ex/$name.score" ] || continue
    read -r p m c <"$out/ex/$name.score"
    [[ $p =~ ^[0-9]+$ && $m =~ ^[0-9]+$ && $c =~ ^[01]$ ]] || continue
    total_points=$((total_points + p)) total_max=$((total_max + m)) complete=$((complete + c))
    graded=$((graded + 1))
    ej+=("$(cat "$out/ex/$name.json")")
    ju+=("$(cat "$out/ex/$name.junit")")
    g=$(cat "$out/ex/$name.gs")
    [ -n "$g" ] && gj+=("$g")
done
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# One line per exercise graded in this run, kept: `make progress` plots
# them over time (scripts/progress.sh).
for name in "${!frag_head[@]}"; do
    f=$(<"$out/ex/$name.json")
    printf '{"graded_at":"%s",%s\n' "$now" "${f#\{}" >>"$out/history.jsonl"
done
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
# The points are those of the exercises graded so far: say so while some
# are not, or "8/28 points" reads as the whole course's.
ungraded=""
[ "$graded" -lt "$all" ] && ungraded=" (of the $graded exercise(s) graded so far; 'make grade' grades all $all)"
echo "Exercises: $complete/$all complete, $total_points/$total_max points$ungraded"
echo "(details: ${out#"$course/"}/results.json, junit.xml, gradescope.json, logs in logs/)"
exit 0
