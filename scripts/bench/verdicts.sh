#!/usr/bin/env bash
# verdicts.sh RESULTS.json: the comparisons from make bench's rows,
# each with its verdict; prints them, and with --json the same as a JSON
# array (bench.sh stores it in results.json as "comparisons").
#
# Each comparison is A against B with a target ratio:
#   WORKLOAD: fastd-staged[-nopin] and fastd-single / best peer    1.05
#             (the better of nginx and h2o by req/s)
#   WORKLOAD: fastd-shared-nothing[-nopin] / h2o                    1.00
#   WORKLOAD: fastd-ARCH[-nopin] uring / epoll                      1.00,
#             and uring must also use less CPU per request
# When the client was the limit in both cells (wrk's CPU share of its
# core >= BENCH_CLIENT_BOUND, default 95), their req/s are wrk's and say
# nothing of which server is faster: the verdict then goes by CPU per
# request, B's over A's (so that above 1 still means A is ahead).
# Otherwise it goes by req/s. A comparison whose rows are missing (a
# server not run, or refused) is left out.
set -euo pipefail
json=0
[ "${1:-}" = --json ] && { json=1; shift; }
[ $# = 1 ] && [ -r "$1" ] || { echo "usage: verdicts.sh [--json] RESULTS.json" >&2; exit 2; }
jq --argjson bound "${BENCH_CLIENT_BOUND:-95}" --argjson json "$json" -r '
  def f2: if . == null then "-" else (. * 100 | round) as $c
          | "\($c / 100 | floor).\($c % 100 | tostring | if length < 2 then "0" + . else . end)" end;
  def cell($s; $w): first(.rows[] | select(.server == $s and .workload == $w)) // null;
  def ratio($a; $b): if ($a == null or $b == null or $b <= 0) then null
                     else ($a / $b * 100 | round / 100) end;
  def verdict($name; $a; $b; $target; $cpu):
    if $a == null or $b == null then empty else
      (ratio($a.rps; $b.rps)) as $r
      | (ratio($b.cpu_us_per_req; $a.cpu_us_per_req)) as $cr
      | (($a.client_cpu_percent // 0) >= $bound and ($b.client_cpu_percent // 0) >= $bound) as $cb
      | (if $cb then $cr else $r end) as $v
      | {comparison: $name, rps_ratio: $r, cpu_ratio: $cr,
         by: (if $cb then "cpu" else "req/s" end), value: $v, target: $target,
         held: ($v != null and $v >= $target and
                ($cpu | not or ($cr != null and $cr >= 1)))}
    end;
  . as $all
  | reduce (.rows[].workload) as $w ([]; if index([$w]) then . else . + [$w] end)
  | [ .[] as $w | $all
      | (cell("nginx"; $w)) as $n | (cell("h2o"; $w)) as $h
      | (if $n == null then $h elif $h == null then $n
         elif $h.rps > $n.rps then $h else $n end) as $peer
      | ( (["staged", "staged-nopin", "single"][] as $a
           | verdict("\($w): fastd-\($a) / best peer"; cell("fastd-\($a)"; $w); $peer; 1.05; false)),
          (["shared-nothing", "shared-nothing-nopin"][] as $a
           | verdict("\($w): fastd-\($a) / h2o"; cell("fastd-\($a)"; $w); $h; 1.00; false)),
          (["staged", "staged-nopin", "shared-nothing", "shared-nothing-nopin", "single"][] as $a
           | ($a | sub("-nopin$"; "")) as $arch | ($a | test("-nopin$")) as $np
           | verdict("\($w): fastd-\($a) uring / epoll";
                     cell("fastd-\($arch)-uring\(if $np then "-nopin" else "" end)"; $w);
                     cell("fastd-\($a)"; $w); 1.00; true)) ) ]
  | if $json == 1 then tojson else
      (.[] | "  \(.comparison | . + " " * (52 - length)) \(.rps_ratio | f2)x req/s"
             + (if .by == "cpu" then ", client-bound: \(.cpu_ratio | f2)x CPU/req"
                elif (.comparison | test("uring / epoll")) then ", \(.cpu_ratio | f2)x CPU/req" else "" end)
             + "  (target \(.target | f2)) " + (if .held then "held" else "NOT held" end)),
      "  held: \(map(select(.held)) | length) of \(length)"
    end' "$1"
