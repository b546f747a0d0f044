#!/usr/bin/env bash
# Two builds of sluice, A and B, timed in turn (A, B, A, B, ...) on one workload into the filesystem destination:
# the medians of CPU (user + sys) and wall seconds of each. Interleaving shares the machine's drift between them;
# each run starts with the source in the page cache and the previous run's files synced.
#   bench/ab.sh OLD_BINARY NEW_BINARY trips|issues jsonl|csv|parquet [RUNS=7]
set -euo pipefail
a=$(realpath "$1") b=$(realpath "$2") workload=$3 format=$4 runs=${5:-7}
data=$(cd "$(dirname "$0")/.." && cd "${BENCH_DATA:-bench-data}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpu_a=() cpu_b=() wall_a=() wall_b=()
for _ in $(seq "$runs"); do
  for which in a b; do
    bin=$a; [ "$which" = b ] && bin=$b
    rm -rf "$work/run" && mkdir "$work/run"
    cat "$data/$workload.jsonl" > /dev/null
    sync
    (cd "$work/run" && /usr/bin/time -f "%e %U %S" -o "$work/time" "$bin" load "$data/$workload.jsonl" --table "$workload" \
      --destination filesystem --bucket-url out --file-format "$format" > /dev/null 2> "$work/err") || { cat "$work/err"; exit 1; }
    read -r wall user sys < "$work/time"
    cpu=$(echo "$user + $sys" | bc)
    if [ "$which" = a ]; then cpu_a+=("$cpu"); wall_a+=("$wall"); else cpu_b+=("$cpu"); wall_b+=("$wall"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
least() { printf '%s\n' "$@" | sort -n | head -1; }
# The least CPU time is the figure least moved by a busy host (noise only adds); the medians are beside it.
echo "$workload -> $format, $runs runs each: A cpu $(median "${cpu_a[@]}") s (least $(least "${cpu_a[@]}")) wall $(median "${wall_a[@]}") s [${cpu_a[*]}]" \
  "| B cpu $(median "${cpu_b[@]}") s (least $(least "${cpu_b[@]}")) wall $(median "${wall_b[@]}") s [${cpu_b[*]}] | load $(cut -d' ' -f1 /proc/loadavg)"
