#!/usr/bin/env bash
# Times `sluice load --destination filesystem` (release build) to JSON Lines and Parquet on the shared
# workloads, with the files' sizes and peak memory; pyarrow rewrites the same rows with the same codec
# for a size comparison; DLT_PYTHON (dlt 1.31 with pyarrow) adds dlt's filesystem destination.
#   bench/filesystem.sh            # BENCH_DATA defaults to ./bench-data (1M trips, 200k issues)
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(cd "${BENCH_DATA:-bench-data}" && pwd)
swift build -c release --product sluice >/dev/null
bin=$PWD/.build/release/sluice
py=${SLUICE_PARQUET_PYTHON:-$PWD/.venv-parquet/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # label, folder whose files are sized, command...
  local label=$1 folder=$2; shift 2
  sync  # the previous run's files reach the disk before this run is timed (their writeback is not its cost)
  cat "$data"/*.jsonl > /dev/null  # the sources in the page cache: a run of ours is short, and a cold read would be most of it
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r wall user sys rss < "$work/time"
  local size; size=$(find "$folder" -type f \( -name '*.parquet' -o -name '*.jsonl' -o -name '*.jsonl.gz' -o -name '*.gz' \) \
    -not -path '*/_dlt_*' -not -path '*dlt-data*' -not -path '*dlt-pipelines*' -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}')
  printf '%-30s wall %6.2fs  cpu %6.2fs  peak %5d MB  files %7.1f MB  load %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
    $((rss / 1024)) "$(echo "$size / 1048576" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
}

for w in trips issues; do
  for f in jsonl jsonl.gz parquet; do
    rm -rf "$work/s" && mkdir "$work/s"
    # dlt gzips JSON Lines by default: jsonl.gz is the like-for-like run.
    [ "$f" = jsonl.gz ] && printf '[destination.filesystem]\ncompression = "gzip"\n' > "$work/s/sluice.toml"
    (cd "$work/s" && measure "sluice $w -> $f" "$work/s/out" "$bin" load "$data/$w.jsonl" --table "$w" \
      --destination filesystem --bucket-url out --file-format "${f%.gz}")
  done
  # pyarrow writes the rows of our files again, same codec (snappy) and row group size: the size to be within
  # 10% of. Once with pyarrow's defaults (every column dictionary-encoded up to 1 MiB), once with dictionaries
  # for the columns ours dictionary-encodes only (the same encodings: the size of the encoding work alone).
  "$py" - "$work/s/out" <<'PY'
import sys, glob, os, pyarrow.parquet as pq
ours = theirs = same = 0
for f in glob.glob(sys.argv[1] + "/**/*.parquet", recursive=True):
    if "/_dlt" in f: continue
    t = pq.read_table(f)
    group = pq.ParquetFile(f).metadata.row_group(0)
    dictionary = [group.column(i).path_in_schema for i in range(group.num_columns) if "RLE_DICTIONARY" in group.column(i).encodings]
    pq.write_table(t, f + ".pyarrow", compression="snappy", row_group_size=131072)
    pq.write_table(t, f + ".same", compression="snappy", row_group_size=131072, use_dictionary=dictionary)
    ours += os.path.getsize(f); theirs += os.path.getsize(f + ".pyarrow"); same += os.path.getsize(f + ".same")
print(f"  parquet size: sluice {ours/1048576:.1f} MB, pyarrow {theirs/1048576:.1f} MB ({100*(ours-theirs)/theirs:+.1f}%), "
      f"pyarrow with our encodings {same/1048576:.1f} MB ({100*(ours-same)/same:+.1f}%)")
PY
  if [ -n "${DLT_PYTHON:-}" ]; then
    for f in jsonl parquet; do
      rm -rf "$work/d" && mkdir "$work/d"
      measure "dlt 1.31 $w -> $f" "$work/d/fs" "$DLT_PYTHON" bench/dlt_filesystem.py "$f" "$data/$w.jsonl" "$w" "$work/d"
    done
    # dlt's JSON Lines without its gzip (level 9), beside ours uncompressed: the formats' cost alone.
    rm -rf "$work/d" && mkdir "$work/d"
    measure "dlt 1.31 $w -> jsonl, no gzip" "$work/d/fs" \
      env DATA_WRITER__DISABLE_COMPRESSION=true "$DLT_PYTHON" bench/dlt_filesystem.py jsonl "$data/$w.jsonl" "$w" "$work/d"
  fi
done
