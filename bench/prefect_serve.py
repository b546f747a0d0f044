"""Prefect 3 side of the `sluice serve` idle benchmark (bench/serve.sh; docs/benchmarks.md).

PREFECT_VENV/bin/python bench/prefect_serve.py [IDLE]
Starts `prefect server start` (SQLite, its own PREFECT_HOME), registers 100 deployments of one flow with a
cron schedule 12 hours away, then idles IDLE seconds (default 600) and prints the CPU seconds (user + sys) the
server's process tree used while idle, and its resident memory sampled every tenth of the time.
"""
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

IDLE = int(sys.argv[1]) if len(sys.argv) > 1 else 600
TICK = os.sysconf("SC_CLK_TCK")


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def cpu_and_rss(pid):
    cpu, rss = 0.0, 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICK
            with open(f"/proc/{p}/status") as f:
                rss += next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
        except (OSError, StopIteration):
            pass
    return cpu, rss // 1024


async def register(hour):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import CronSchedule

    @flow
    def events():
        return 2

    async with get_client() as client:
        flow_id = await client.create_flow(events)
        for i in range(1, 101):
            await client.create_deployment(
                flow_id=flow_id, name=f"d{i:03d}", entrypoint="bench.py:events",
                schedules=[DeploymentScheduleCreate(schedule=CronSchedule(cron=f"0 {hour} * * *"), active=True)])


def main():
    home = tempfile.mkdtemp(prefix="prefect-serve-")
    port = 4299
    env = dict(os.environ, PREFECT_HOME=home, PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false")
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(1)
        os.environ.update(env)
        asyncio.run(register((time.gmtime().tm_hour + 12) % 24))
        time.sleep(5)  # let the scheduler create the runs ahead
        start, _ = cpu_and_rss(server.pid)
        samples = []
        for _ in range(10):
            time.sleep(IDLE / 10)
            samples.append(cpu_and_rss(server.pid)[1])
        end, _ = cpu_and_rss(server.pid)
        print(f"prefect server idle: 100 deployments, {IDLE} s: CPU {end - start:.2f} s (user + sys, whole process tree); "
              f"RSS every {IDLE // 10} s (MB): {' '.join(map(str, samples))}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
