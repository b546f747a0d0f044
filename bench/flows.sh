#!/usr/bin/env bash
# Flow overhead, sluice beside Prefect 3 (issue 5): 1,000 no-op tasks sequentially, 1,000 mapped
# concurrently, and the whole-process wall time of a one-task flow (cold start).
#
#   bench/flows.sh [RUNS]                      sluice only
#   PREFECT_PYTHON=venv/bin/python bench/flows.sh 3   with Prefect (pip install prefect)
#
# sluice's runs are recorded in a real SQLite run store (WAL); Prefect's in its default temporary
# server and SQLite database. Each figure is printed per run; take the median.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build -c release --product sluice-bench >/dev/null
bench=.build/release/sluice-bench
export PREFECT_HOME=${PREFECT_HOME:-$(mktemp -d)}

now() { date +%s%N; }
peak() { /usr/bin/time -f "peak RSS %M KB" "$@" 2>&1 | grep -E "per-task|peak RSS" | tr '\n' ' '; echo; }

echo "== $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for mode in "" "--concurrent"; do
  echo "-- 1000 no-op tasks ${mode:-sequential}"
  for _ in $(seq "$runs"); do echo -n "sluice:  "; peak "$bench" flows --tasks 1000 $mode; done
  if [ -n "${PREFECT_PYTHON:-}" ]; then
    for _ in $(seq "$runs"); do echo -n "prefect: "; peak "$PREFECT_PYTHON" bench/prefect_flows.py --tasks 1000 $mode; done
  fi
done

echo "-- cold start: whole process, one-task flow"
for _ in $(seq "$runs"); do
  t0=$(now); "$bench" flows --tasks 1 >/dev/null; t1=$(now)
  echo "sluice:  $(( (t1 - t0) / 1000000 )) ms"
done
if [ -n "${PREFECT_PYTHON:-}" ]; then
  for _ in $(seq "$runs"); do
    t0=$(now); "$PREFECT_PYTHON" bench/prefect_flows.py --tasks 1 --cold >/dev/null 2>&1; t1=$(now)
    echo "prefect: $(( (t1 - t0) / 1000000 )) ms"
  done
fi
