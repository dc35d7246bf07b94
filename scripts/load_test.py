"""Load test of a running `python main.py serve`: N transition requests, C at a time, from one client.

    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:8000 --requests 500 --concurrency 8 \
        --backend max-mojo [--pid SERVER_PID] [--json]

Requests cycle through ordered pairs of embedded clips and seeds. Prints the failures (anything but 200),
latency p50/p90/p99/max, throughput, the server's resident memory before and after (with --pid, from
/proc), and the service's Prometheus counters before and after (scraped from /metrics)."""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path

import httpx
import numpy as np

CLIPS = ("humanoid3d_walk", "humanoid3d_run", "humanoid3d_jump", "humanoid3d_kick", "humanoid3d_punch", "humanoid3d_roll")
SCRAPED = ("motion_studio_requests_total", "motion_studio_errors_total", "motion_studio_inference_seconds_count",
           "motion_studio_inference_seconds_sum", "motion_studio_models_loaded", "motion_studio_queue_depth")


def rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def scrape(client: httpx.Client) -> dict[str, float]:
    """The samples of SCRAPED metrics, keyed by their full name with labels."""
    text = client.get("/metrics").text
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith(SCRAPED)}


async def fire(url: str, bodies: list[dict], concurrency: int) -> tuple[list[float], list[str]]:
    latencies, failures = [], []
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        async def one(body):
            async with gate:
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/transitions", json=body)
                    ok, why = r.status_code == 200, f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as e:
                    ok, why = False, f"{type(e).__name__}: {e}"
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    failures.append(why)

        await asyncio.gather(*(one(b) for b in bodies))
    return latencies, failures


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--requests", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--backend", default="max-mojo", choices=("torch", "max", "max-mojo"))
    p.add_argument("--length", type=int, default=30)
    p.add_argument("--pid", type=int, default=None, help="the server's process id, for its RSS")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    pairs = itertools.cycle(itertools.product(itertools.permutations(CLIPS, 2), range(4)))
    bodies = [{"source": s, "target": t, "seed": seed, "length": args.length, "backend": args.backend}
              for (s, t), seed in itertools.islice(pairs, args.requests)]
    with httpx.Client(base_url=args.url, timeout=300) as client:
        before, rss_before = scrape(client), rss_mib(args.pid)
        t0 = time.perf_counter()
        latencies, failures = asyncio.run(fire(args.url, bodies, args.concurrency))
        seconds = time.perf_counter() - t0
        after, rss_after = scrape(client), rss_mib(args.pid)
    ms = np.array(latencies) * 1e3
    report = {"requests": args.requests, "concurrency": args.concurrency, "backend": args.backend,
              "failures": len(failures), "first_failures": failures[:5], "seconds": round(seconds, 2),
              "requests_per_s": round(args.requests / seconds, 2),
              "latency_ms": {q: round(float(np.percentile(ms, v)), 1) for q, v in
                             (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
              "rss_mib": {"before": rss_before, "after": rss_after},
              "metrics_before": before, "metrics_after": after}
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        for k, v in report.items():
            print(f"{k}: {v}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
