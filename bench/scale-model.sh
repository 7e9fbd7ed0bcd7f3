#!/usr/bin/env bash
# What a 1 GB, 100 GB and 1 TB job would take and cost on Lambda, computed from figures measured here.
#
#   bench/scale-model.sh [--sizes 1GB,100GB,1TB] [--concurrency 100] [--runs 3]
#                        [--rows-per-second R --first-chunk-rows-per-second F]
#
# Measured here: the worker's rows per second, warm and in a fresh worker JVM's first 200,000-row chunk
# (`./pipeline bench --only cold-start`: the batch-worker function's JVM options, the fraud model, CSV), unless
# given; and, by `./pipeline plan`, the fraud sample's bytes per row and predicted output bytes per row. The
# requests per chunk are the counts every summary.json records (docs/scale.md, "Requests per chunk").
# Simulated: everything on Lambda. `./pipeline plan --scale-to` extrapolates the sample to each size (chunks by
# CHUNK_MAX_ROWS and CHUNK_MAX_BYTES), runs each environment's first chunk at the fresh rate and the rest warm,
# in waves of --concurrency, and prices GB-seconds and requests at list prices; it assumes planning and
# collation at 100 MB/s and 0.2 s per invocation, and names each limit a size meets.
# A 2-core machine's rates stand in for the worker's 2,048 MB on Lambda (about 1.2 vCPU): read the result as
# an order of magnitude. Progress goes to stderr, the table to stdout.
set -euo pipefail

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="1GB,100GB,1TB"
concurrency=100
runs=3
warm=""
first=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --rows-per-second) warm="$2"; shift 2 ;;
    --first-chunk-rows-per-second) first="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale-model.sh: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done
if { [ -n "$warm" ] && [ -z "$first" ]; } || { [ -z "$warm" ] && [ -n "$first" ]; }; then
  echo "scale-model.sh: give both --rows-per-second and --first-chunk-rows-per-second, or neither" >&2; exit 2
fi

pipeline="$home/pipeline"
"$pipeline" --version >/dev/null # builds on first use
load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
if [ -z "$warm" ]; then
  echo "scale-model: measuring the worker: ./pipeline bench --only cold-start --rows 200000 --runs $runs" >&2
  table="$("$pipeline" bench --only cold-start --rows 200000 --runs "$runs")"
  median() { # the median column of the table row that starts with $1
    printf '%s\n' "$table" | awk -F'|' -v row="$1" 'index($2, row) == 2 { gsub(/[ ,]/, "", $4); print $4; exit }'
  }
  first="$(median "fresh worker JVM, spawn → first chunk done, CSV")"
  warm="$(median "same worker JVM, warm: invocations 3–5 (median), CSV")"
  [ -n "$first" ] && [ -n "$warm" ] || { echo "scale-model.sh: could not read the bench's table:" >&2; echo "$table" >&2; exit 3; }
  source="measured here by \`./pipeline bench --only cold-start --rows 200000 --runs $runs\` (medians)"
else
  source="given"
fi

echo "Lambda model for inputs of the fraud sample's rows (\`bench/scale-model.sh\`): worker $warm rows/s warm,"
echo "$first rows/s in a fresh environment's first chunk ($source; load average $load at start);"
echo "$concurrency workers at once; list prices (us-east-1); template memory (worker 2,048 MB, others 1,024 MB)."
echo
"$pipeline" plan "$home/samples/data/transactions.csv" --model fraud --rows-per-second "$warm" \
  --first-chunk-rows-per-second "$first" --concurrency "$concurrency" --scale-to "$sizes" \
  | sed -n '/^  scaled/,/^$/p'
