#!/usr/bin/env bash
# Sluice against the databases' own bulk loaders (the ceiling) and, with DLT_PYTHON, dlt 1.31, on the
# shared workloads: paired runs in one sitting (ours, then the ceiling, in each round), medians of RUNS
# rounds of wall and CPU seconds (user + sys of the client process) and peak RSS, with the machine's load
# average. Prints one line per run on stderr, then a Markdown table for docs/benchmarks.md on stdout.
#   python3 ../shared/bench/gen_workloads.py     # writes ./bench-data (1M trips, 200k issues)
#   bench/run.sh [RUNS]                          # default 3 rounds
#   DLT_PYTHON=<venv with dlt 1.31>/bin/python bench/run.sh   # adds dlt's sqlite destination (one worker), once
# Postgres: a throwaway server on loopback from scripts/with-postgres (fsync off, the same for both sides).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SLUICE_TEST_POSTGRES:-}" ]; then exec scripts/with-postgres "$0" "$@"; fi
runs=${1:-3}
data=$(cd "${BENCH_DATA:-bench-data}" && pwd)
swift build -c release --product sluice >/dev/null
bin=$PWD/.build/release/sluice
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/r"
pg=$SLUICE_TEST_POSTGRES

measure() {  # key, command...: runs it in $work/s, appends "wall cpu MB load" to $work/r/key
  local key=$1; shift
  (cd "$work/s" && /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err") \
    || { cat "$work/err" "$work/out" >&2; exit 1; }
  local wall user sys rss load
  read -r wall user sys rss < "$work/time"
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "$wall $(echo "$user + $sys" | bc) $((rss / 1024)) $load" >> "$work/r/$key"
  printf '%-16s wall %7.2f s  cpu %7.2f s  peak %5d MB  load %s\n' "$key" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024)) "$load" >&2
}
fresh() { rm -rf "$work/s"; mkdir "$work/s"; }

gunzip -c "$data/trips.csv.gz" > "$work/trips.csv"
columns="trip_id BIGINT, vendor_id BIGINT, tpep_pickup_datetime TIMESTAMP, tpep_dropoff_datetime TIMESTAMP,
  passenger_count BIGINT, trip_distance DOUBLE PRECISION, ratecode_id BIGINT, store_and_fwd_flag TEXT, pu_location_id BIGINT,
  do_location_id BIGINT, payment_type BIGINT, fare_amount DOUBLE PRECISION, extra DOUBLE PRECISION, mta_tax DOUBLE PRECISION,
  tip_amount DOUBLE PRECISION, tolls_amount DOUBLE PRECISION, improvement_surcharge DOUBLE PRECISION,
  total_amount DOUBLE PRECISION, congestion_surcharge DOUBLE PRECISION"
cat > "$work/import.sql" <<SQL
CREATE TABLE trips (${columns//DOUBLE PRECISION/REAL});
BEGIN;
.import --csv --skip 1 $work/trips.csv trips
COMMIT;
SQL

for i in $(seq "$runs"); do
  fresh; measure trips_jsonl "$bin" load "$data/trips.jsonl" --table trips --quiet
  fresh; measure sqlite_import sqlite3 ceiling.sqlite ".read $work/import.sql"
  fresh; measure trips_csv "$bin" load "$data/trips.csv.gz" --table trips --quiet
  fresh; measure issues_append "$bin" load "$data/issues.jsonl" --table issues --quiet
  fresh; measure issues_merge "$bin" load "$data/issues.jsonl" --table issues --write-disposition merge \
    --primary-key id --incremental updated_at --quiet
  fresh; measure pg_trips "$bin" load "$data/trips.jsonl" --table trips --destination postgres --dataset "bench_$i" --quiet
  fresh; measure psql_copy psql "$pg" -q -v ON_ERROR_STOP=1 -c "CREATE TABLE ceiling_$i ($columns)" \
    -c "\\copy ceiling_$i from '$work/trips.csv' csv header"
  psql "$pg" -q -c "DROP SCHEMA bench_$i CASCADE" -c "DROP TABLE ceiling_$i" >/dev/null 2>&1
done
if [ -n "${DLT_PYTHON:-}" ]; then
  for w in trips issues; do
    fresh; LOAD__WORKERS=1 measure "dlt_$w" "$DLT_PYTHON" "$repo/../shared/bench/dlt_run.py" sqlite "$data/$w.jsonl" "$w" "$work/s/dlt"
  done
fi

# Median of column $2 (1 wall, 2 cpu, 3 MB) of results $1; "" when not measured.
med() { [ -f "$work/r/$1" ] && sort -n -k"$2","$2" "$work/r/$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}' || echo ""; }
cell() { [ -f "$work/r/$1" ] && printf '%.2f / %.2f / %d' "$(med "$1" 1)" "$(med "$1" 2)" "$(med "$1" 3)" || printf 'not run'; }
ratio() { [ -f "$work/r/$1" ] && [ -f "$work/r/$2" ] && printf '%.2f' "$(echo "$(med "$1" "$3") / $(med "$2" "$3")" | bc -l)" || printf -- '-'; }
loads=$(cat "$work"/r/* | cut -d' ' -f4 | sort -n | sed -n '1p;$p' | paste -sd- -)

echo "bench/run.sh $runs, $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, load average $loads during the runs; wall s / CPU s / peak MB, medians of $runs"
echo
echo "| workload | sluice | ceiling | ceiling wall s / CPU s / MB | wall, sluice / ceiling |"
echo "|---|---|---|---|---|"
echo "| 1M trips.jsonl -> SQLite | $(cell trips_jsonl) | sqlite3 .import (same rows as CSV) | $(cell sqlite_import) | $(ratio trips_jsonl sqlite_import 1) |"
echo "| 1M trips.csv.gz -> SQLite | $(cell trips_csv) | sqlite3 .import | $(cell sqlite_import) | $(ratio trips_csv sqlite_import 1) |"
echo "| 200k issues.jsonl, merge by id, incremental -> SQLite | $(cell issues_merge) | sluice append of the same rows | $(cell issues_append) | $(ratio issues_merge issues_append 1) |"
echo "| 1M trips.jsonl -> Postgres | $(cell pg_trips) | psql \\copy (same rows as CSV) | $(cell psql_copy) | $(ratio pg_trips psql_copy 1) |"
if [ -n "${DLT_PYTHON:-}" ]; then
  echo
  echo "| dlt 1.31, sqlite destination, one worker (one run) | dlt wall s / CPU s / MB | sluice | CPU, dlt / sluice |"
  echo "|---|---|---|---|"
  echo "| 1M trips.jsonl | $(cell dlt_trips) | $(cell trips_jsonl) | $(ratio dlt_trips trips_jsonl 2) |"
  echo "| 200k issues.jsonl | $(cell dlt_issues) | $(cell issues_append) | $(ratio dlt_issues issues_append 2) |"
fi
