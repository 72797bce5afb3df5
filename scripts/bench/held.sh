#!/usr/bin/env bash
# held.sh RESULTS.json...: how often each of make bench's comparisons held
# over several runs (each run's build/bench/results.json, copied aside),
# with the range of the value its verdict went by. The issue asks for a
# claim that holds in three runs out of three, not in one lucky run.
#
#   for i in 1 2 3; do make bench; cp build/bench/results.json /tmp/run$i.json; done
#   scripts/bench/held.sh /tmp/run*.json
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: held.sh RESULTS.json..." >&2; exit 2; }
for f in "$@"; do
    [ -r "$f" ] || { echo "held.sh: cannot read $f" >&2; exit 2; }
done
python3 - "$@" <<'PY'
import json, sys
runs, order, seen = [], [], {}
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"held.sh: {path}: not a bench result: {e}")
    if "comparisons" not in data:
        sys.exit(f"held.sh: {path}: has no comparisons (a bench from before they were recorded?)")
    runs.append(data)
    for c in data["comparisons"]:
        name = c["comparison"]
        if name not in seen:
            seen[name] = []
            order.append(name)
        seen[name].append(c)
n = len(runs)
print(f"{'comparison':54} {'held':>6}  {'by':>6}  range of the value (target)")
always = 0
for name in order:
    cs = seen[name]
    held = sum(1 for c in cs if c["held"])
    always += held == n
    vals = [c["value"] for c in cs if c["value"] is not None]
    rng = f"{min(vals):.2f}-{max(vals):.2f}" if vals else "-"
    bys = "/".join(sorted({c["by"] for c in cs}))
    print(f"{name:54} {held:>2} of {len(cs)}  {bys:>6}  {rng} ({cs[0]['target']:.2f})")
print(f"held in every one of the {n} runs: {always} of {len(order)} comparisons")
PY
