#!/usr/bin/env bash
# `sluice serve` overhead (docs/benchmarks.md): 100 deployments idle for IDLE seconds (default 600): CPU seconds
# (user + sys, /usr/bin/time) and resident memory sampled every tenth of the time; then the delay between a slot and
# its run's start over 100 runs of an `interval = 1` deployment.
#   bench/serve.sh [IDLE]        # uses .build/release/sluice (swift build -c release --product sluice)
set -euo pipefail
cd "$(dirname "$0")/.."
sluice=${SLUICE:-$PWD/.build/release/sluice}
idle=${1:-600}
work=$(mktemp -d "${TMPDIR:-/tmp}/serve-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
printf '{"id":1}\n{"id":2}\n' > events.jsonl
project() {  # $1: schedule of every deployment, $2: how many
    printf '[pipelines.events]\nsource = "files"\n\n[pipelines.events.tables.events]\npath = "events.jsonl"\n' > sluice.toml
    for i in $(seq 1 "$2"); do printf '\n[deployments.d%03d]\nflow = "events"\nschedules = [{ %s }]\n' "$i" "$1" >> sluice.toml; done
}

# 1. Idle: 100 deployments whose slot is 12 hours away.
hour=$(( ($(date -u +%-H) + 12) % 24 ))
project "cron = \"0 $hour * * *\"" 100
/usr/bin/time -f "%e %U %S %M" -o time.txt "$sluice" serve > idle.log 2>&1 &
timer=$!
sleep 1
pid=$(pgrep -P "$timer")
samples=""
for i in $(seq 1 10); do
    sleep "$(( idle / 10 ))"
    samples+="$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status") "
done
kill -TERM "$pid"
wait "$timer" || true
read -r wall user sys maxkb < time.txt
echo "idle: 100 deployments, ${wall} s: CPU ${user} s user + ${sys} s sys; peak RSS $(( maxkb / 1024 )) MB; RSS every $(( idle / 10 )) s (MB): ${samples}"
echo "idle: runs created ahead: $(sqlite3 .sluice/runs.sqlite "SELECT count(*) FROM runs WHERE state = 'Scheduled'")"

# 2. Slot-to-start delay: one deployment due every second, 101 runs (the first, at start, is left out).
rm -rf .sluice events.sqlite
project "interval = 1" 1
"$sluice" serve > delay.log 2>&1 &
pid=$!
until [ "$(sqlite3 .sluice/runs.sqlite "SELECT count(*) FROM runs WHERE kind = 'flow' AND state = 'Completed'" 2>/dev/null || echo 0)" -ge 101 ]; do sleep 1; done
kill -TERM "$pid"
wait "$pid"
sqlite3 .sluice/runs.sqlite "SELECT (started_at - scheduled_for) * 1000 FROM runs WHERE kind = 'flow' AND state = 'Completed' ORDER BY scheduled_for LIMIT 100 OFFSET 1" \
  | sort -n | awk '{ d[NR] = $1 } END { printf "delay: %d runs, slot to start: median %.1f ms, worst %.1f ms\n", NR, (NR % 2 ? d[(NR + 1) / 2] : (d[NR / 2] + d[NR / 2 + 1]) / 2), d[NR] }'
