#!/usr/bin/env bash
# Render the chapters' fastsim pictures into docs/images/ (headless, no
# display needed). Each line is the exact command a chapter names; run
# this after changing the view or a scenario, and look at the result.
#   scripts/sim-pictures.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
sim=${1:-build}/bin/fastsim
img=docs/images
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Chapter 0: the canonical loop and the staged server, at the end of a run.
"$sim" simulator/scenarios/single.ini --headless --duration 300 --png $img/00-single.png
"$sim" simulator/scenarios/staged.ini --headless --duration 300 --png $img/00-staged.png
# Chapter 4 (and the README): churn, 100 ms in, 11 frames at x2e-5:
# the accept queue, an fd in the accept slot, hand-off flights.
"$sim" simulator/scenarios/churn.ini --headless --at 100 --frames 11 --speed 2e-5 \
    --png $img/04-handoff.png
# Chapter 7: skewed lifetimes, seed 3, rr and least, at the end of the run.
"$sim" simulator/scenarios/skewed-lifetimes.ini --seed 3 --headless --png $img/07-skewed-rr.png
sed 's/^schedule = .*/schedule = least/' simulator/scenarios/skewed-lifetimes.ini >"$tmp/least.ini"
grep -q '^schedule = least' "$tmp/least.ini" || sed -i 's/^\[scenario\]/[scenario]\nschedule = least/' "$tmp/least.ini"
"$sim" "$tmp/least.ini" --seed 3 --headless --png $img/07-skewed-least.png
# Chapter 9: the hand-off's cache cost, staged against shared-nothing.
for arch in staged shared-nothing; do
    "$sim" simulator/scenarios/handoff-cache.ini --arch $arch --headless \
        --png $img/09-$arch.png
done
# Chapter 11: staged on 16 cores under churn, the accept core the bottleneck.
sed 's/^cores = 4/cores = 16/' simulator/scenarios/churn.ini >"$tmp/ch11-churn16.ini"
"$sim" "$tmp/ch11-churn16.ini" --clients 1024 --headless --png $img/11-accept-bottleneck.png
ls -l $img/00-*.png $img/04-*.png $img/07-*.png $img/09-*.png $img/11-*.png
