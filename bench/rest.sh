#!/usr/bin/env bash
# The REST benchmark beside dlt's rest_api source: both read the same API from one Python server on
# 127.0.0.1 (bench/rest_server.py, pages rendered ahead) and load it into SQLite; CPU seconds and peak
# memory of the client process only. Usage: bench/rest.sh [PAGES] [PER_PAGE] [RUNS]
# dlt comes from a virtual environment: DLT_PYTHON=/path/to/venv/bin/python (pip install "dlt[sqlalchemy]==1.31.0").
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-1000}; per_page=${2:-100}; runs=${3:-3}
sluice=$PWD/.build/release/sluice
[ -x "$sluice" ] || { echo "build first: swift build -c release --product sluice" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 bench/rest_server.py "$port" "$pages" "$per_page" & server=$!
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-rest.XXXXXX")
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/items" && break; sleep 0.1; done
echo "$(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg); $pages pages x $per_page records"
measure() { # label, command...
  local out
  out=$( { /usr/bin/time -f '%e %U %S %M' "${@:2}" >/dev/null 2>"$work/err"; } 2>&1; tail -n 1 "$work/err")
  read -r wall user sys rss <<<"$(tail -n 1 "$work/err")"
  printf '%-8s wall %6.2f s  cpu %6.2f s  peak %5d MB\n' "$1" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}
for run in $(seq "$runs"); do
  rm -rf "$work/s" && mkdir -p "$work/s"
  cat > "$work/s/sluice.toml" <<TOML
[destination.sqlite]
path = "$work/s/{pipeline}.sqlite"
[pipelines.rest_bench]
source = "rest_api"
[pipelines.rest_bench.client]
base_url = "http://127.0.0.1:$port/"
paginator = { type = "offset", limit = $per_page, total_path = "total" }
[pipelines.rest_bench.resources.items]
path = "items"
data_selector = "data"
write_disposition = "append"
TOML
  (cd "$work/s" && measure sluice "$sluice" run rest_bench)
  if [ -n "${DLT_PYTHON:-}" ]; then
    rm -rf "$work/d" && mkdir -p "$work/d"
    measure dlt "$DLT_PYTHON" bench/dlt_rest.py "http://127.0.0.1:$port/" "$per_page" "$work/d"
  fi
done
