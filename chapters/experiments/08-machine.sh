#!/usr/bin/env bash
# 08-machine.sh: describe this machine the way chapter 8 describes the
# reference machine, as one Markdown table. Paste it under any figures you
# publish: a throughput number means little without the machine it came from.
#
#   chapters/experiments/08-machine.sh          (QUICK=1 changes nothing:
#                                                 it measures no time)
#
# It reads /proc, /sys and the tools' version lines, and asks perf whether
# the hardware counters work (a 1 ms `perf stat` of `true`). It starts no
# server and needs no lock.
set -euo pipefail

row() { printf '| %s | %s |\n' "$1" "$2"; }
first() { "$@" 2>&1 | head -n 1 || true; }

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
[ -n "$cpu" ] || cpu=$(awk -F': ' '/^(Processor|CPU part)/ {print $2; exit}' /proc/cpuinfo)
online=$(getconf _NPROCESSORS_ONLN)
usable=$(nproc) # nproc honours the affinity mask, as fastd does
all=$(nproc --all)
tpc=$(lscpu 2>/dev/null | awk -F': *' '/^Thread\(s\) per core/ {print $2}')
l2=$(lscpu 2>/dev/null | awk -F': *' '/^L2 cache/ {print $2}')
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
virt=$(systemd-detect-virt 2>/dev/null || true)
hyp=$(lscpu 2>/dev/null | awk -F': *' '/^Hypervisor vendor/ {print $2}')
[ -n "$hyp" ] && virt="${virt:+$virt in }$hyp VM"
[ -n "$virt" ] && [ "$virt" != none ] || virt="none detected (bare metal?)"

# perf: which counters exist here? "<not supported>" means the (virtual)
# CPU does not expose the PMU to us.
perf_hw="perf not installed"
if command -v perf >/dev/null; then
    out=$(perf stat -x, -e cycles,instructions,cache-misses,task-clock,context-switches -- true 2>&1 || true)
    hw=$(echo "$out" | awk -F, '$3 ~ /^(cycles|instructions|cache-misses)/ && $1 !~ /not/ {print $3}' | paste -sd' ')
    sw=$(echo "$out" | awk -F, '$3 ~ /^(task-clock|context-switches)/ && $1 !~ /not/ {print $3}' | paste -sd' ')
    perf_hw="hardware: ${hw:-none}; software: ${sw:-none}"
fi

uring=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo "no sysctl")
case $uring in
0) uring="enabled (io_uring_disabled=0)" ;;
1) uring="root only (io_uring_disabled=1)" ;;
2) uring="disabled (io_uring_disabled=2)" ;;
esac

echo "| what | this machine |"
echo "|---|---|"
row "CPU (/proc/cpuinfo)" "$cpu"
row "cores usable / online / all" "$usable / $online / $all (threads per core: ${tpc:-?})"
row "L2 (as the hypervisor reports it)" "${l2:-?}"
row "RAM" "$mem"
row "OS" "$os"
row "kernel" "$(uname -r) ($(uname -m))"
row "virtualisation" "$virt"
row "perf counters" "$perf_hw"
row "io_uring" "$uring"
row "somaxconn / tcp_tw_reuse" "$(cat /proc/sys/net/core/somaxconn) / $(cat /proc/sys/net/ipv4/tcp_tw_reuse)"
row "ephemeral ports" "$(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)"
row "fd limit (hard)" "$(ulimit -Hn)"
row "wrk" "$(first wrk -v | awk '{print $2}')"
row "nginx / h2o" "$(first nginx -v | sed 's/.*version: //') / $(first h2o --version | sed 's/h2o version //')"
row "valgrind / strace" "$(first valgrind --version) / $(first strace -V | awk '{print $NF}')"
row "load average now" "$(cut -d' ' -f1-3 /proc/loadavg)"
