#!/usr/bin/env bash
# 1M trips into PostgreSQL: `sluice load` (release) x RUNS, `psql \copy` of trips.csv (the ceiling) x RUNS,
# and dlt 1.31's postgres destination once when DLT_PYTHON is set. One throwaway server, fsync on.
#   DLT_PYTHON=../dlt-venv/bin/python bench/postgres.sh 3
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SLUICE_TEST_POSTGRES:-}" ]; then
  swift build -c release --product sluice >/dev/null
  SLUICE_PG_OPTIONS="-c fsync=on -c synchronous_commit=on" exec scripts/with-postgres "$0" "$@"
fi
runs=${1:-3}
data=$(cd "${BENCH_DATA:-bench-data}" && pwd)
bin=$PWD/.build/release/sluice
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# libpq settings for psql from the connection string.
for kv in $SLUICE_TEST_POSTGRES; do
  case $kv in host=*) export PGHOST=${kv#host=};; port=*) export PGPORT=${kv#port=};; user=*) export PGUSER=${kv#user=};;
    password=*) export PGPASSWORD=${kv#password=};; dbname=*) export PGDATABASE=${kv#dbname=};; esac
done

measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r wall user sys rss < "$work/time"
  printf '%-30s wall %7.2fs  cpu %7.2fs  peak %5d MB  load %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
    $((rss / 1024)) "$(cut -d' ' -f1 /proc/loadavg)"
}

gunzip -c "$data/trips.csv.gz" > "$work/trips.csv"
for i in $(seq "$runs"); do
  rm -rf "$work/s" && mkdir "$work/s"
  (cd "$work/s" && measure "sluice trips.jsonl -> postgres" "$bin" load "$data/trips.jsonl" --table trips \
     --destination postgres --dataset "ours_$i")
  psql -q -c "DROP TABLE IF EXISTS ceiling; CREATE TABLE ceiling (trip_id bigint, vendor_id bigint,
    tpep_pickup_datetime timestamptz, tpep_dropoff_datetime timestamptz, passenger_count bigint, trip_distance double precision,
    ratecode_id bigint, store_and_fwd_flag text, pu_location_id bigint, do_location_id bigint, payment_type bigint,
    fare_amount double precision, extra double precision, mta_tax double precision, tip_amount double precision,
    tolls_amount double precision, improvement_surcharge double precision, total_amount double precision,
    congestion_surcharge double precision)"
  measure "psql \\copy trips.csv" psql -q -c "\\copy ceiling from '$work/trips.csv' csv header"
done
echo "rows: $(psql -At -c 'select count(*) from ours_1.trips') ours, $(psql -At -c 'select count(*) from ceiling') ceiling"

if [ -n "${DLT_PYTHON:-}" ]; then
  export DESTINATION__POSTGRES__CREDENTIALS="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE"
  measure "dlt postgres trips.jsonl" "$DLT_PYTHON" ../shared/bench/dlt_run.py postgres "$data/trips.jsonl" trips "$work/dlt"
fi
