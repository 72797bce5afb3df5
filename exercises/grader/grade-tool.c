/*
 * grade-tool: the parts of the grader that a shell script cannot do
 * safely. grade.sh calls it for three jobs:
 *
 *   grade-tool run [OPTIONS] -- PROGRAM ARGS...
 *       Run one phase (a compile, a build, one test) with a wall-clock
 *       limit and a CPU-time limit, in a session of its own, as a child of
 *       this process made a child subreaper: when the phase ends, every
 *       process it left behind (double-forked, setsid'd, stopped) has
 *       become our child and is killed and reaped before we print the
 *       verdict. So nothing the learner's code started outlives its test.
 *
 *       With --token the program is a graded test (exercises/grader/
 *       graded.h): we hand it a fresh random token on a private pipe and
 *       read its report on another. The test passes only when the report
 *       "pass TOKEN" arrived AND the process exited with status 0 AND no
 *       limit was hit: what the program prints on stdout, or an early
 *       exit(0), proves nothing.
 *
 *       Prints one line: STATUS<TAB>WALL_S<TAB>CPU_S<TAB>DETAIL, STATUS one
 *       of pass skip fail (with --token), ok fail (without), or timeout,
 *       cpu, crash, exit.
 *
 *       With --ns (where the kernel allows it: root, or another user where
 *       user namespaces are allowed)
 *       the phase runs in a PID and mount namespace of its own, with its
 *       own /proc: it cannot see or signal the grader, and its end kills
 *       everything it left. --ro PATH (with --ns, repeatable) makes PATH
 *       read-only in that namespace: the build and cache trees, which a
 *       test that runs a submission's code must not write.
 *
 *       With --lock (classroom grading) the phase also loses every
 *       capability (a root grader's tests run as a root without powers:
 *       no mount, no ptrace of others, no way back to a writable tree),
 *       its /proc is read-only (no writes through /proc/self/mem), and a
 *       seccomp filter refuses what would rewrite the test program's
 *       code or leave its namespaces: mprotect/pkey_mprotect to an
 *       executable page, a writable and executable mmap, ptrace requests
 *       that write (POKE*, SET*REGS), process_vm_writev, unshare, setns,
 *       mount and its kin, clone into new namespaces (clone3 reads
 *       ENOSYS, so that the C library falls back on clone).
 *
 *   grade-tool ns       prints yes when --ns works here
 *   grade-tool cesc     stdin -> the same text with C escapes, for a
 *                       learner's eyes: \r\n, \r and \t as such, other
 *                       control bytes and bad UTF-8 as \xNN, a newline
 *                       alone kept (the message's own lines), trailing
 *                       ones dropped
 *   grade-tool json     stdin -> a JSON string's contents (no quotes):
 *                       every control character escaped, bad UTF-8 as U+FFFD
 *   grade-tool xml      stdin -> XML 1.0 text: markup escaped, characters
 *                       XML cannot hold (controls, bad UTF-8) as U+FFFD
 *
 * Written in C rather than bash so that process control (subreaper,
 * sessions, limits) and escaping are exact; it needs nothing but libc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The fds a graded test reads its token from and writes its report to;
 * graded.h learns them from the environment variable GRADED_FD. */
enum { TOKEN_FD = 3, REPORT_FD = 4 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "grade-tool: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* ---- escaping ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        len = 2, cp = s[0] & 0x1f, min = 0x80;
    else if ((s[0] & 0xf0) == 0xe0)
        len = 3, cp = s[0] & 0x0f, min = 0x800;
    else if ((s[0] & 0xf8) == 0xf0)
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    /* XML 1.0 cannot hold U+FFFE and U+FFFF; neither matters to JSON. */
    if (cp == 0xfffe || cp == 0xffff)
        return 0;
    return len;
}

enum { ESC_JSON, ESC_XML, ESC_C };

static int escape(int mode)
{
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, stdin);
    int xml = mode == ESC_XML;
    if (mode == ESC_C)
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
    for (size_t i = 0; i < n;) {
        unsigned char c = buf[i];
        size_t len = utf8_len(buf + i, n - i);
        if (len == 0 && mode == ESC_C) {
            printf("\\x%02x", c);
            i++;
            continue;
        }
        if (len == 0) {
            fputs("\xef\xbf\xbd", stdout); /* U+FFFD */
            i++;
            continue;
        }
        if (len > 1) {
            fwrite(buf + i, 1, len, stdout);
            i += len;
            continue;
        }
        i++;
        if (mode == ESC_C) {
            /* What a request looked like on the wire: "\r\n" stays
             * visible; a newline of the message itself stays a newline. */
            if (c == '\r' && i < n && buf[i] == '\n') {
                fputs("\\r\\n", stdout);
                i++;
            } else if (c == '\r')
                fputs("\\r", stdout);
            else if (c == '\t')
                fputs("\\t", stdout);
            else if (c == '\n')
                putchar(c);
            else if (c < 0x20 || c == 0x7f)
                printf("\\x%02x", c);
            else
                putchar(c);
        } else if (xml) {
            if (c == '&')
                fputs("&amp;", stdout);
            else if (c == '<')
                fputs("&lt;", stdout);
            else if (c == '>')
                fputs("&gt;", stdout);
            else if (c == '"')
                fputs("&quot;", stdout);
            else if (c == '\n' || c == '\t')
                putchar(c);
            else if (c < 0x20 || c == 0x7f)
                fputs("\xef\xbf\xbd", stdout);
            else
                putchar(c);
        } else {
            if (c == '"')
                fputs("\\\"", stdout);
            else if (c == '\\')
                fputs("\\\\", stdout);
            else if (c == '\n')
                fputs("\\n", stdout);
            else if (c == '\t')
                fputs("\\t", stdout);
            else if (c < 0x20 || c == 0x7f)
                printf("\\u%04x", c);
            else
                putchar(c);
        }
    }
    return 0;
}

/* ---- process control ----------------------------------------------------- */

/* Parent pid and CPU ticks (utime+stime+cutime+cstime) of a process. */
static int proc_stat(pid_t pid, pid_t *ppid, unsigned long long *ticks)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = 0;
    /* The command name may hold spaces and parentheses: skip to its end. */
    char *p = strrchr(text, ')');
    if (!p)
        return -1;
    char state;
    int pp;
    unsigned long long ut, st;
    long long cut, cst;
    if (sscanf(p + 2,
               "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
               &state, &pp, &ut, &st, &cut, &cst) != 6)
        return -1;
    *ppid = pp;
    *ticks = ut + st + (unsigned long long)(cut > 0 ? cut : 0) +
             (unsigned long long)(cst > 0 ? cst : 0);
    return 0;
}

/* Every live descendant of ours, and the CPU they have used so far. An
 * orphan anywhere below re-parents to us (we are a subreaper), so walking
 * parent links up to us finds them all. */
static int descendants(pid_t *out, int cap, double *cpu_s)
{
    enum { MAXP = 32768 };
    static pid_t pids[MAXP], parents[MAXP];
    static unsigned long long ticks[MAXP];
    int n = 0, found = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAXP) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid_t pid = (pid_t)atoi(e->d_name);
        if (proc_stat(pid, &parents[n], &ticks[n]) == 0)
            pids[n++] = pid;
    }
    closedir(d);
    pid_t self = getpid();
    unsigned long long total = 0;
    for (int i = 0; i < n; i++) {
        pid_t p = parents[i];
        for (int depth = 0; depth < 64 && p > 1 && p != self; depth++) {
            int j;
            for (j = 0; j < n && pids[j] != p; j++)
                ;
            p = j < n ? parents[j] : 0;
        }
        if (p == self) {
            if (found < cap)
                out[found] = pids[i];
            found++;
            /* Count each process's own time; cutime/cstime of a child we
             * reaped is already in our RUSAGE_CHILDREN, so only direct
             * children contribute their cumulative figures here. */
            total += ticks[i];
        }
    }
    if (cpu_s)
        *cpu_s = (double)total / (double)sysconf(_SC_CLK_TCK);
    return found < cap ? found : cap;
}

/* Kill every process below us and reap them all. */
static void kill_all(pid_t leader)
{
    kill(-leader, SIGKILL);
    for (int round = 0; round < 2000; round++) {
        pid_t left[4096];
        int n = descendants(left, 4096, NULL);
        for (int i = 0; i < n; i++)
            kill(left[i], SIGKILL);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (n == 0 && waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
            return;
        usleep(2000);
    }
}

static double rusage_children_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Find "WORD TOKEN rest" in the report; copy rest into out. */
static int report_has(const char *report, const char *word, const char *token,
                      char *out, size_t cap)
{
    size_t wl = strlen(word), tl = strlen(token);
    for (const char *line = report; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= wl + 1 + tl && memcmp(line, word, wl) == 0 &&
            line[wl] == ' ' && memcmp(line + wl + 1, token, tl) == 0 &&
            (len == wl + 1 + tl || line[wl + 1 + tl] == ' ')) {
            if (out) {
                size_t skip = wl + 1 + tl + (len > wl + 1 + tl);
                size_t m = len - skip < cap - 1 ? len - skip : cap - 1;
                memcpy(out, line + skip, m);
                out[m] = 0;
            }
            return 1;
        }
        line = end ? end + 1 : NULL;
    }
    return 0;
}

/* In a new PID namespace: a mount namespace of our own (the grader keeps
 * the host's /proc), mounts made private, then a proc that shows this
 * PID namespace. */
static int mount_own_proc(int readonly)
{
    if (unshare(CLONE_NEWNS) < 0)
        return -1;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -1;
    return mount("proc", "/proc", "proc",
                 MS_NOSUID | MS_NODEV | MS_NOEXEC | (readonly ? MS_RDONLY : 0),
                 NULL);
}

/* PATH read-only in this mount namespace (bound onto itself, then
 * remounted). Files the grader opened before (the test's log) keep their
 * own, writable, mount. */
static int mount_readonly(const char *path)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return -1;
    return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
}

/* A root grader's test keeps uid 0 but none of root's powers: every
 * capability leaves the bounding set, so that exec grants none back. Only
 * CAP_IPC_LOCK stays: io_uring's registered buffers count against
 * RLIMIT_MEMLOCK without it, and it rewrites nothing. */
static void drop_capabilities(void)
{
    for (int cap = 0; cap < 64; cap++)
        if (cap != 14 /* CAP_IPC_LOCK */)
            prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* The seccomp filter of --lock (x86-64; another architecture's calls, and
 * x32's, are refused). Each block tests one call and returns. */
#define NR_IS(nr, skip) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, (skip))
#define LOAD(field)                                                            \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(v)  BPF_STMT(BPF_RET | BPF_K, (v))
#define DENY(e) RET(SECCOMP_RET_ERRNO | (e))
#define ALLOW   RET(SECCOMP_RET_ALLOW)
/* Low 32 bits of an argument (x86-64 is little-endian). */
#define ARG(n) args[n]

static int install_seccomp(void)
{
    struct sock_filter f[] = {
        LOAD(arch),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        DENY(ENOSYS),
        LOAD(nr),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 */
        DENY(ENOSYS),
        /* No executable page made or changed after the start. */
        NR_IS(SYS_mprotect, 4),
        LOAD(ARG(2)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
        DENY(EPERM),
        ALLOW,
        NR_IS(SYS_pkey_mprotect, 4),
        LOAD(ARG(2)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
        DENY(EPERM),
        ALLOW,
        NR_IS(SYS_mmap, 5),
        LOAD(ARG(2)),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 1, 0),
        ALLOW,
        DENY(EPERM),
        /* ptrace may look (LeakSanitizer stops the threads and reads their
         * registers), never write. */
        NR_IS(SYS_ptrace, 10),
        LOAD(ARG(0)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4 /* POKETEXT */, 7, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5 /* POKEDATA */, 6, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6 /* POKEUSER */, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 13 /* SETREGS */, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 15 /* SETFPREGS */, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x4203 /* SETSIGINFO */, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x4205 /* SETREGSET */, 1, 0),
        ALLOW,
        DENY(EPERM),
        NR_IS(SYS_clone, 4),
        LOAD(ARG(0)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
                 CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET,
                 0, 1),
        DENY(EPERM),
        ALLOW,
        LOAD(nr),
        NR_IS(SYS_clone3, 1),
        DENY(ENOSYS),
        NR_IS(SYS_process_vm_writev, 1),
        DENY(EPERM),
        NR_IS(SYS_unshare, 1),
        DENY(EPERM),
        NR_IS(SYS_setns, 1),
        DENY(EPERM),
        NR_IS(SYS_mount, 1),
        DENY(EPERM),
        NR_IS(SYS_umount2, 1),
        DENY(EPERM),
        NR_IS(SYS_pivot_root, 1),
        DENY(EPERM),
        NR_IS(SYS_chroot, 1),
        DENY(EPERM),
        NR_IS(SYS_open_tree, 1),
        DENY(EPERM),
        NR_IS(SYS_move_mount, 1),
        DENY(EPERM),
        NR_IS(SYS_fsopen, 1),
        DENY(EPERM),
        NR_IS(SYS_fsmount, 1),
        DENY(EPERM),
        NR_IS(SYS_mount_setattr, 1),
        DENY(EPERM),
        ALLOW,
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* Write a one-line file of /proc; 0 or -1. */
static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The phases started from now on get a PID namespace of their own. Root
 * makes one at once; another user, where user namespaces are allowed,
 * first makes a user namespace (the same uid and gid inside), in which
 * it holds what a PID and a mount namespace need. */
static int enter_pid_ns(void)
{
    if (unshare(CLONE_NEWPID) == 0)
        return 1;
    if (errno != EPERM || geteuid() == 0)
        return 0;
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER) < 0)
        return 0;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_proc("/proc/self/setgroups", "deny") < 0 ||
        write_proc("/proc/self/uid_map", map) < 0)
        return 0;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (write_proc("/proc/self/gid_map", map) < 0)
        return 0;
    return unshare(CLONE_NEWPID) == 0;
}

/* Can this process give a phase its own PID namespace and /proc? */
static int ns_works(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        if (!enter_pid_ns())
            _exit(1);
        pid_t inner = fork();
        if (inner < 0)
            _exit(1);
        if (inner == 0)
            _exit(mount_own_proc(0) < 0 || getpid() != 1);
        int st;
        waitpid(inner, &st, 0);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void usage(void)
{
    fputs("usage: grade-tool run [--timeout SEC] [--cpu SEC] [--token] "
          "[--ns] [--ro PATH]... [--lock] [--log FILE] [--fsize MB] -- "
          "PROGRAM ARGS...\n"
          "       grade-tool ns          (prints yes if --ns can work)\n"
          "       grade-tool json|xml < TEXT\n",
          stderr);
    exit(2);
}

static int run(int argc, char **argv)
{
    double timeout = 10, cpu_limit = 0;
    int token_mode = 0, use_ns = 0, lock = 0, nro = 0;
    long fsize_mb = 64;
    const char *log = "/dev/null";
    const char *ro[16];
    int i;
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = atof(argv[++i]);
        else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc)
            cpu_limit = atof(argv[++i]);
        else if (strcmp(argv[i], "--token") == 0)
            token_mode = 1;
        else if (strcmp(argv[i], "--ns") == 0)
            use_ns = 1;
        else if (strcmp(argv[i], "--lock") == 0)
            lock = 1;
        else if (strcmp(argv[i], "--ro") == 0 && i + 1 < argc && nro < 16)
            ro[nro++] = argv[++i];
        else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
            log = argv[++i];
        else if (strcmp(argv[i], "--fsize") == 0 && i + 1 < argc)
            fsize_mb = atol(argv[++i]);
        else
            usage();
    }
    if (i >= argc)
        usage();
    if (timeout <= 0)
        timeout = 10;
    if (cpu_limit <= 0)
        cpu_limit = timeout;

    char token[33] = "";
    if (token_mode) {
        unsigned char raw[16];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
            die("getrandom");
        for (int k = 0; k < 16; k++)
            snprintf(token + 2 * k, 3, "%02x", raw[k]);
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        die("prctl(PR_SET_CHILD_SUBREAPER)");
    /* Our own stdout carries the verdict: nothing of the child's. */
    fflush(stdout);
    int tok[2] = {-1, -1}, rep[2] = {-1, -1};
    if (token_mode && (pipe2(tok, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0))
        die("pipe2");
    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0)
        die(log);
    /* Where the kernel allows it, the phase gets a PID namespace of its
     * own: it cannot see or signal us, and when its first process (a
     * small init of ours) exits, the kernel kills everything left in it.
     * Otherwise the subreaper below does the same job. */
    int ns = use_ns && enter_pid_ns();
    int st_pipe[2] = {-1, -1};
    if (ns && pipe2(st_pipe, O_CLOEXEC) < 0)
        die("pipe2");
    double cpu_before = rusage_children_s();
    double start = now_s();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0 && ns) {
        /* pid 1 of the namespace: start the phase as pid 2, reap
         * everything, pass the phase's own status up, then exit (which
         * kills whatever the phase left behind). */
        close(st_pipe[0]);
        /* If we die (killed with make test, say), the namespace dies. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* A /proc of the namespace's own, so that the pids a test sees
         * (getpid, fork) name the right /proc entries. */
        if (mount_own_proc(lock) < 0)
            _exit(126);
        for (int k = 0; k < nro; k++)
            if (mount_readonly(ro[k]) < 0) {
                fprintf(stderr, "grade-tool: cannot make %s read-only: %s\n",
                        ro[k], strerror(errno));
                _exit(126);
            }
        /* The working folder was entered before the read-only mounts
         * covered it: enter it again, through them (a relative path would
         * otherwise reach the writable mount below). */
        char cwd[4096];
        if (nro > 0 && (!getcwd(cwd, sizeof cwd) || chdir(cwd) < 0))
            _exit(126);
        pid_t phase = fork();
        if (phase < 0)
            _exit(127);
        if (phase > 0) {
            int st;
            pid_t w;
            for (int k = 3; k < 1024; k++)
                if (k != st_pipe[1])
                    close(k);
            while ((w = wait(&st)) != phase)
                if (w < 0 && errno != EINTR)
                    _exit(127);
            if (write(st_pipe[1], &st, sizeof st) < 0)
                _exit(127);
            _exit(0);
        }
        close(st_pipe[1]);
    }
    if (pid == 0) {
        if (!ns)
            prctl(PR_SET_PDEATHSIG, SIGKILL);
        setsid();
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        if (token_mode) {
            /* Via high numbers, so that no dup2 clobbers its own source
             * (and dup2 onto itself would keep FD_CLOEXEC). */
            int t = fcntl(tok[0], F_DUPFD, 100),
                r = fcntl(rep[1], F_DUPFD, 100);
            dup2(t, TOKEN_FD);
            dup2(r, REPORT_FD);
            setenv("GRADED_FD", "3,4", 1);
        } else {
            unsetenv("GRADED_FD");
        }
        /* Nothing else of ours leaks in (make's jobserver, our pipes). */
        for (int fd = token_mode ? 5 : 3; fd < 1024; fd++)
            close(fd);
        struct rlimit cpu = {(rlim_t)cpu_limit + 2, (rlim_t)cpu_limit + 3};
        setrlimit(RLIMIT_CPU, &cpu);
        struct rlimit core = {0, 0};
        setrlimit(RLIMIT_CORE, &core);
        struct rlimit fsz = {(rlim_t)fsize_mb << 20, (rlim_t)fsize_mb << 20};
        setrlimit(RLIMIT_FSIZE, &fsz);
        signal(SIGPIPE, SIG_DFL);
        if (lock) {
            drop_capabilities();
            if (install_seccomp() < 0) {
                fprintf(stderr, "grade-tool: seccomp: %s\n", strerror(errno));
                _exit(126);
            }
        }
        execvp(argv[i], argv + i);
        fprintf(stderr, "grade-tool: cannot run %s: %s\n", argv[i],
                strerror(errno));
        _exit(127);
    }
    close(logfd);
    if (ns)
        close(st_pipe[1]);
    char report[8192];
    size_t got = 0;
    if (token_mode) {
        close(tok[0]);
        close(rep[1]);
        char line[40];
        snprintf(line, sizeof line, "%s\n", token);
        if (write(tok[1], line, strlen(line)) < 0) {
            /* The child died before reading: its verdict says so. */
        }
        close(tok[1]);
        fcntl(rep[0], F_SETFL, O_NONBLOCK);
    }
    int status = 0, timed_out = 0, cpu_out = 0;
    double cpu_seen = 0, last_scan = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        double t = now_s() - start;
        if (t - last_scan >= 0.1) {
            last_scan = t;
            pid_t dummy[1];
            descendants(dummy, 1, &cpu_seen);
            cpu_seen += rusage_children_s() - cpu_before;
            if (cpu_seen > cpu_limit)
                cpu_out = 1;
        }
        if (t > timeout)
            timed_out = 1;
        if (timed_out || cpu_out) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        if (token_mode) {
            struct pollfd p = {rep[0], POLLIN, 0};
            if (poll(&p, 1, 10) > 0) {
                ssize_t n = read(rep[0], report + got, sizeof report - 1 - got);
                if (n > 0)
                    got += (size_t)n;
            }
        } else {
            usleep(10000);
        }
    }
    double wall = now_s() - start;
    if (ns) {
        /* The phase's own status, as its init saw it (none if killed). */
        int st;
        if (!timed_out && !cpu_out &&
            read(st_pipe[0], &st, sizeof st) == (ssize_t)sizeof st)
            status = st;
        close(st_pipe[0]);
    }
    kill_all(pid);
    if (token_mode) {
        /* Every writer is dead now: read what is left, up to EOF. */
        fcntl(rep[0], F_SETFL, 0);
        ssize_t n;
        while (got < sizeof report - 1 &&
               (n = read(rep[0], report + got, sizeof report - 1 - got)) > 0)
            got += (size_t)n;
        close(rep[0]);
    }
    report[got] = 0;
    double cpu = rusage_children_s() - cpu_before;
    if (cpu < cpu_seen)
        cpu = cpu_seen;
    if (cpu > cpu_limit)
        cpu_out = 1;

    char detail[1024] = "";
    const char *verdict;
    if (timed_out) {
        verdict = "timeout";
        snprintf(detail, sizeof detail,
                 "timed out after %.0f s (a loop that never ends, or a "
                 "blocking call?)",
                 timeout);
    } else if (cpu_out ||
               (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)) {
        verdict = "cpu";
        snprintf(detail, sizeof detail,
                 "used %.2f s of CPU, more than the %.2f s allowed (a busy "
                 "loop: polling, or an event never consumed?)",
                 cpu, cpu_limit);
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        /* The tests' own alarm(): a call that never came back. */
        verdict = "crash";
        snprintf(detail, sizeof detail,
                 "stopped by the test's alarm (SIGALRM): a call that never "
                 "returned - a loop that retries for ever, or a blocking "
                 "wait?");
    } else if (WIFSIGNALED(status)) {
        verdict = "crash";
        const char *name = sigabbrev_np(WTERMSIG(status));
        snprintf(detail, sizeof detail, "crashed: killed by SIG%s",
                 name ? name : "?");
    } else if (!token_mode) {
        verdict = WEXITSTATUS(status) == 0 ? "ok" : "fail";
        snprintf(detail, sizeof detail, "exit status %d", WEXITSTATUS(status));
    } else if (report_has(report, "fail", token, detail, sizeof detail)) {
        verdict = "fail";
    } else if (WEXITSTATUS(status) == 0 &&
               report_has(report, "skip", token, detail, sizeof detail)) {
        verdict = "skip";
    } else if (WEXITSTATUS(status) == 0 &&
               report_has(report, "pass", token, NULL, 0)) {
        verdict = "pass";
    } else if (report_has(report, "pass", token, NULL, 0)) {
        verdict = "fail";
        snprintf(detail, sizeof detail,
                 "the test passed, then the process exited with status %d "
                 "(a sanitizer report at exit, or a leak?)",
                 WEXITSTATUS(status));
    } else if (report_has(report, "ran", token, NULL, 0)) {
        verdict = "fail";
        snprintf(detail, sizeof detail, "failed (exit status %d)",
                 WEXITSTATUS(status));
    } else if (WEXITSTATUS(status) == 255) {
        /* cmocka's signal handler knows the running test only on the
         * test's own thread (its flag is thread-local): a crash on any
         * other thread - a pool thread running the learner's code - ends
         * the process with exit(-1) and nothing written. */
        verdict = "exit";
        snprintf(detail, sizeof detail,
                 "the test process exited (status 255) before the test "
                 "finished: cmocka ends it so when a crash (SIGSEGV, "
                 "SIGBUS, SIGFPE) hits a thread other than the test's own - "
                 "a bad pointer in code that runs on a thread your code or "
                 "the test started?");
    } else {
        verdict = "exit";
        snprintf(detail, sizeof detail,
                 "the test process exited (status %d) before the test "
                 "finished",
                 WEXITSTATUS(status));
    }
    for (char *p = detail; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    printf("%s\t%.2f\t%.2f\t%s\n", verdict, wall, cpu, detail);
    /* After unshare(CLONE_NEWPID) above, this process cannot fork again:
     * the namespace's init has exited. LeakSanitizer's check at exit
     * forks a tracer (make sanitize builds this tool with ASan), and would
     * fail fatally and turn every verdict into "runner killed"; so end
     * here, output flushed, without exit handlers. */
    if (ns) {
        fflush(stdout);
        _exit(0);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return run(argc - 2, argv + 2);
    if (argc == 2 && strcmp(argv[1], "ns") == 0) {
        puts(ns_works() ? "yes" : "no");
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "json") == 0)
        return escape(ESC_JSON);
    if (argc == 2 && strcmp(argv[1], "xml") == 0)
        return escape(ESC_XML);
    if (argc == 2 && strcmp(argv[1], "cesc") == 0)
        return escape(ESC_C);
    usage();
    return 2;
}
