#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the course needs, only those missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
#   usage: scripts/deps.sh [GOAL...]   the make goals to run again after
#                                      the install (the Makefile passes its
#                                      own: 'make demo' says 'make demo')
set -euo pipefail
goal=${*:-deps}

packages=(
    build-essential pkg-config clang clang-format libclang-rt-14-dev
    libcmocka-dev              # unit and integration tests, the grader
    libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core libstb-dev  # fastsim view
    liburing-dev               # exercise 08 (io_uring)
    doxygen graphviz           # the docs site
    cmark-gfm                  # the chapters as a forge renders them (tests/docs)
    curl wrk nginx-light h2o   # integration tests and benchmarks
    xvfb chromium              # headless checks of the simulator and docs
    gnuplot-nox jq             # make progress: its plots, reading the grades
    procps psmisc inotify-tools iproute2 linux-perf strace valgrind
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#packages[@]} packages present"
    exit 0
fi

echo "deps: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run this, then 'make $goal' again:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# nginx and h2o packages start system services; the course starts its own.
for svc in nginx h2o; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q "$svc" 2>/dev/null; then
        systemctl stop "$svc" || true
    fi
done
echo "deps: installed ${#missing[@]} packages"
