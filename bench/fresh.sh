#!/usr/bin/env bash
# What users meet: every figure here is a fresh process, started as a user starts it.
#
#   bench/fresh.sh [--rows N] [--runs N] [--skip-worker] [--skip-peers]
#
# 1. `./pipeline bench --only cold-start`: fresh worker JVMs (the batch-worker function's JVM options) doing
#    a job's first 200,000-row chunk through BatchWorkerHandler, CSV and Parquet, beside the same JVM's later,
#    warm chunks. It also generates the benchmark's data (the fraud model's sample, N rows) if missing.
# 2. Whole commands, taken in turns (one of each per round, --runs rounds): `./pipeline predict` and
#    `./pipeline run` on that CSV and Parquet, and the peers bench/peer_pandas.py and bench/peer_polars.py
#    (pandas / polars + onnxruntime) where python3 imports them (PYTHONPATH is honoured; install with
#    `pip install pandas polars pyarrow onnxruntime`). Wall time and peak RSS of each (GNU time), medians,
#    and the ratios. One untimed run of each command comes first, so the input files are in the page cache
#    and the launcher has made its class-data archive; nothing else carries over between runs.
# Progress goes to stderr, the tables (Markdown) to stdout.
set -euo pipefail

home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=1000000
runs=5
worker=yes
peers=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --skip-worker) worker=no; shift ;;
    --skip-peers) peers=no; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh.sh: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || { echo "fresh.sh: --rows takes a positive number" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "fresh.sh: --runs takes a positive number" >&2; exit 2; }

pipeline="$home/pipeline"
model="$home/samples/models/fraud"
data="${TMPDIR:-/tmp}/batch-inference-bench"
csv="$data/transactions-$rows-v1.csv"
parquet="$data/transactions-$rows-v1.parquet"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/fresh-bench.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
log() { echo "fresh: $*" >&2; }

load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
"$pipeline" --version >/dev/null # builds on first use

if [ "$worker" = yes ]; then
  log "fresh worker JVMs: ./pipeline bench --only cold-start --rows $rows --runs $runs"
  "$pipeline" bench --only cold-start --rows "$rows" --runs "$runs" --data "$data" >"$scratch/worker.md"
else
  # only to have the data: the bench generates it before it measures anything
  "$pipeline" bench --only onnx --rows "$rows" --runs 1 --warmup 0 --data "$data" >/dev/null
fi
[ -f "$csv" ] && [ -f "$parquet" ] || { echo "fresh.sh: the bench did not leave $csv and $parquet" >&2; exit 3; }

python=""
if [ "$peers" = yes ]; then
  for p in python3 python; do
    if command -v "$p" >/dev/null && "$p" -c 'import pandas, polars, pyarrow, onnxruntime' 2>/dev/null; then
      python="$p"; break
    fi
  done
  [ -n "$python" ] || log "no peers: python3 cannot import pandas, polars, pyarrow and onnxruntime" \
    "(pip install pandas polars pyarrow onnxruntime, or set PYTHONPATH)"
fi

# name | command
commands=(
  "predict CSV|$pipeline predict $csv --model fraud --out $scratch/predict.csv"
  "predict Parquet|$pipeline predict $parquet --model fraud --out $scratch/predict.parquet"
  "run CSV|$pipeline run $csv --model fraud --out $scratch/run"
  "run Parquet|$pipeline run $parquet --model fraud --out $scratch/run"
)
if [ -n "$python" ]; then
  commands+=(
    "pandas CSV|$python $home/bench/peer_pandas.py $model $csv $scratch/pandas.csv"
    "pandas Parquet|$python $home/bench/peer_pandas.py $model $parquet $scratch/pandas.parquet"
    "polars CSV|$python $home/bench/peer_polars.py $model $csv $scratch/polars.csv"
    "polars Parquet|$python $home/bench/peer_polars.py $model $parquet $scratch/polars.parquet"
  )
fi

gnu_time=""
if /usr/bin/time -f '%e' true >/dev/null 2>&1; then gnu_time=/usr/bin/time; else log "no GNU time: peak RSS not measured"; fi

# one timed command: appends "seconds rss_kb" to the figure's file
measure() {
  local name="$1" cmd="$2" out="$scratch/$(echo "$1" | tr ' ' _).times"
  rm -rf "$scratch/run"
  if [ -n "$gnu_time" ]; then
    # shellcheck disable=SC2086
    $gnu_time -f '%e %M' -o "$scratch/last" $cmd >"$scratch/last.out" 2>"$scratch/last.err" \
      || { echo "fresh.sh: '$cmd' failed:" >&2; tail -5 "$scratch/last.err" >&2; exit 3; }
    tail -1 "$scratch/last" >>"$out"
  else
    local started ended
    started=$(date +%s%N)
    # shellcheck disable=SC2086
    $cmd >"$scratch/last.out" 2>"$scratch/last.err" \
      || { echo "fresh.sh: '$cmd' failed:" >&2; tail -5 "$scratch/last.err" >&2; exit 3; }
    ended=$(date +%s%N)
    echo "$(( (ended - started) / 1000000 ))e-3 0" >>"$out"
  fi
}

log "one untimed run of each command"
for entry in "${commands[@]}"; do
  measure "${entry%%|*}" "${entry#*|}"
  rm -f "$scratch/$(echo "${entry%%|*}" | tr ' ' _).times"
done
for round in $(seq 1 "$runs"); do
  line=""
  for entry in "${commands[@]}"; do
    name="${entry%%|*}"
    measure "$name" "${entry#*|}"
    line="$line, $name $(tail -1 "$scratch/$(echo "$name" | tr ' ' _).times" | cut -d' ' -f1) s"
  done
  log "round $round/$runs:${line#,}"
done

# median of column $2 (1: seconds, 2: RSS KB) of a figure's file
median() {
  local file="$scratch/$(echo "$1" | tr ' ' _).times"
  [ -f "$file" ] || { echo ""; return; }
  awk -v c="$2" '{print $c}' "$file" | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}
range() {
  awk '{print $1}' "$scratch/$(echo "$1" | tr ' ' _).times" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f – %.2f", lo, hi}'
}
ratio() { # $1 / $2, or "—" when either is missing
  if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; else echo "—"; fi
}
verdict() { # value op limit
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {ok = (op == ">=") ? v >= l : v <= l; print ok ? "met" : "missed"}'
}

load_end="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
jvm="$("${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -1)"
cds="on"; [ "${PIPELINE_CDS:-on}" = off ] && cds="off (PIPELINE_CDS=off)"
echo "Fresh processes, fraud model (20 features), $rows rows; $(nproc) cores; $jvm; class-data archive $cds;"
echo "load average (1, 5, 15 min) $load_start at start, $load_end at end; medians of $runs rounds, commands in turns."
echo "Every JVM is new: no JIT or heap carried over; the input files are in the page cache."
echo
echo "| command | median s | min – max s | peak RSS MB | rows/s |"
echo "| --- | ---: | ---: | ---: | ---: |"
for entry in "${commands[@]}"; do
  name="${entry%%|*}"
  s=$(median "$name" 1)
  rss=$(median "$name" 2)
  printf '| %s | %.2f | %s | %s | %s |\n' "$name" "$s" "$(range "$name")" \
    "$([ -n "$gnu_time" ] && awk -v k="$rss" 'BEGIN {printf "%.0f", k / 1024}' || echo "—")" \
    "$(awk -v r="$rows" -v s="$s" 'BEGIN {printf "%\047.0f", r / s}')"
done
echo
pc=$(median "predict CSV" 1); pp=$(median "predict Parquet" 1)
rc=$(median "run CSV" 1); rp=$(median "run Parquet" 1)
echo "| ratio | value | target |"
echo "| --- | ---: | --- |"
if [ -n "$python" ]; then
  v=$(ratio "$(median "pandas CSV" 1)" "$pc"); echo "| pandas CSV ÷ predict CSV (times faster than pandas) | $v | ≥ 4×: $(verdict "${v%×}" '>=' 4) |"
  v=$(ratio "$(median "polars CSV" 1)" "$pc"); echo "| polars CSV ÷ predict CSV | $v | ≥ 1×: $(verdict "${v%×}" '>=' 1) |"
  v=$(ratio "$(median "pandas Parquet" 1)" "$pp"); echo "| pandas Parquet ÷ predict Parquet | $v | |"
  v=$(ratio "$(median "polars Parquet" 1)" "$pp"); echo "| polars Parquet ÷ predict Parquet | $v | ≥ 1×: $(verdict "${v%×}" '>=' 1) |"
fi
v=$(ratio "$rc" "$pc"); echo "| run CSV ÷ predict CSV | $v | ≤ 2× (goal 1.5×): $(verdict "${v%×}" '<=' 2) |"
v=$(ratio "$rp" "$pp"); echo "| run Parquet ÷ predict Parquet | $v | |"
if [ -n "$gnu_time" ]; then
  v=$(ratio "$(median "predict Parquet" 2)" "$(median "predict CSV" 2)")
  echo "| peak RSS, predict Parquet ÷ predict CSV | $v | ≤ 1.5×: $(verdict "${v%×}" '<=' 1.5) |"
fi
if [ "$worker" = yes ]; then
  echo
  cat "$scratch/worker.md"
fi
