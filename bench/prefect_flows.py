"""Prefect 3 side of the flow-overhead benchmark (bench/flows.sh runs both).

python bench/prefect_flows.py --tasks 1000 [--concurrent]
Prints the per-task overhead in microseconds on its last line, like `sluice-bench flows`.
The one-task cold start is timed from outside (whole process) by bench/flows.sh.
"""
import argparse
import resource
import time

from prefect import flow, task


@task
def noop(i: int) -> int:
    return i


@flow
def bench_sequential(n: int) -> int:
    for i in range(n):
        noop(i)
    return n


@flow
def bench_concurrent(n: int) -> int:
    futures = noop.map(range(n))
    return len(futures.result())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--concurrent", action="store_true")
    parser.add_argument("--cold", action="store_true", help="no warm-up flow (for the whole-process cold start)")
    args = parser.parse_args()
    if not args.cold:
        # Start Prefect's temporary server and warm its caches first: we measure per-task overhead, not start-up.
        bench_sequential(1)
    start = time.perf_counter()
    (bench_concurrent if args.concurrent else bench_sequential)(args.tasks)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall {elapsed:.3f} s, peak RSS {peak:.1f} MB")
    print(f"per-task overhead: {elapsed * 1e6 / max(args.tasks, 1):.1f} us")


if __name__ == "__main__":
    main()
