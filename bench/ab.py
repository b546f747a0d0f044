#!/usr/bin/env python3
"""Two builds of sluice, A and B, timed in turn (A, B, A, B, ...) loading one JSON Lines file into the
filesystem destination, the file in the page cache and the last run's files synced before each run: CPU
seconds (user + sys, to the microsecond from wait4) and wall seconds of each run, their medians, the least
CPU time, and the median of the paired ratios B/A (a pair runs back to back, so it shares the host's drift:
on a busy host it is the steadiest figure).
    bench/ab.py OLD_BINARY NEW_BINARY FILE.jsonl jsonl|csv|parquet [RUNS=21]"""
import os, shutil, statistics, subprocess, sys, tempfile, time

if len(sys.argv) < 5 or sys.argv[4] not in ("jsonl", "csv", "parquet"):
    sys.exit(__doc__)
a, b, source = (os.path.realpath(x) for x in sys.argv[1:4])
fmt = sys.argv[4]
runs = int(sys.argv[5]) if len(sys.argv) > 5 else 21
table = os.path.basename(source).split(".")[0]
work = tempfile.mkdtemp()
try:
    def once(binary):
        run = os.path.join(work, "run")
        shutil.rmtree(run, ignore_errors=True)
        os.mkdir(run)
        with open(source, "rb") as f:
            while f.read(1 << 24):
                pass
        os.sync()
        start = time.monotonic()
        with open(os.path.join(work, "err"), "w+b") as err:  # a file: a pipe would fill and stop the child
            p = subprocess.Popen([binary, "load", source, "--table", table, "--destination", "filesystem",
                                  "--bucket-url", "out", "--file-format", fmt], cwd=run, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            wall[binary].append(time.monotonic() - start)
            if status != 0:
                err.seek(0)
                sys.exit(f"{binary} failed: {err.read().decode()}")
        return usage.ru_utime + usage.ru_stime
    times = {a: [], b: []}
    wall = {a: [], b: []}
    for _ in range(runs):
        for binary in (a, b):
            times[binary].append(once(binary))
    ratios = [y / x for x, y in zip(times[a], times[b])]
    for name, binary in (("A", a), ("B", b)):
        t = times[binary]
        print(f"{name} cpu median {statistics.median(t):.3f} s, least {min(t):.3f} s; wall median {statistics.median(wall[binary]):.3f} s")
    print(f"B/A median of paired ratios {statistics.median(ratios):.3f} ({sum(r < 1 for r in ratios)} of {runs} pairs B faster); "
          f"{table} -> {fmt}, {runs} runs each, load {os.getloadavg()[0]:.2f}")
finally:
    shutil.rmtree(work, ignore_errors=True)
