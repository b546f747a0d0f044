#!/usr/bin/env bash
# Times `sluice load` (release build) on the shared workloads, and SQLite's own .import as the ceiling.
#   python3 ../shared/bench/gen_workloads.py        # writes ./bench-data (1M trips, 200k issues)
#   bench/run.sh [RUNS]                             # default 3 runs each; prints one line per run
# Optional: DLT_PYTHON=../dlt-venv/bin/python bench/run.sh also runs dlt (sqlite destination) once per workload.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
data=$(cd "${BENCH_DATA:-bench-data}" && pwd)
swift build -c release --product sluice >/dev/null
bin=$PWD/.build/release/sluice
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r wall user sys rss < "$work/time"
  printf '%-28s wall %6.2fs  cpu %6.2fs  peak %5d MB  load %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
    $((rss / 1024)) "$(cut -d' ' -f1 /proc/loadavg)"
}

for i in $(seq "$runs"); do
  for w in trips issues; do
    rm -rf "$work/s" && mkdir "$work/s"
    (cd "$work/s" && measure "sluice $w.jsonl" "$bin" load "$data/$w.jsonl" --table "$w")
  done
  rm -rf "$work/s" && mkdir "$work/s"
  (cd "$work/s" && measure "sluice trips.csv.gz" "$bin" load "$data/trips.csv.gz" --table trips)
  # Merge: 100k rows (half updates, half new keys) into the 1M-row table, by primary key.
  (cd "$work/s" && "$bin" load "$data/trips.jsonl" --table trips --write-disposition merge --primary-key trip_id >/dev/null \
    && measure "sluice merge trips_update" "$bin" load "$data/trips_update.jsonl" --table trips \
       --write-disposition merge --primary-key trip_id)
done

# Ceiling: sqlite3's .import of the same rows as CSV into a typed table, in one transaction.
gunzip -c "$data/trips.csv.gz" > "$work/trips.csv"
cat > "$work/import.sql" <<SQL
CREATE TABLE trips (trip_id INTEGER, vendor_id INTEGER, tpep_pickup_datetime TIMESTAMP, tpep_dropoff_datetime TIMESTAMP,
  passenger_count INTEGER, trip_distance REAL, ratecode_id INTEGER, store_and_fwd_flag TEXT, pu_location_id INTEGER,
  do_location_id INTEGER, payment_type INTEGER, fare_amount REAL, extra REAL, mta_tax REAL, tip_amount REAL,
  tolls_amount REAL, improvement_surcharge REAL, total_amount REAL, congestion_surcharge REAL);
BEGIN;
.import --csv --skip 1 $work/trips.csv trips
COMMIT;
SQL
for i in $(seq "$runs"); do
  rm -f "$work/ceiling.sqlite"
  measure "sqlite3 .import trips.csv" sqlite3 "$work/ceiling.sqlite" ".read $work/import.sql"
done

if [ -n "${DLT_PYTHON:-}" ]; then
  for w in trips issues; do
    measure "dlt sqlite $w.jsonl" "$DLT_PYTHON" ../shared/bench/dlt_run.py sqlite "$data/$w.jsonl" "$w" "$work/dlt-$w"
  done
fi
