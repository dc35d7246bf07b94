"""DeepMimic actor: MAX vs torch on this machine: compile (cold and warm), MEF load, batch-1 latency and
batch-64 throughput in one process (medians, ratios), timed two ways: interleaved call by call (fair to
machine load, but each backend's spinning worker threads slow the other) and each alone in a block.

    python benchmarks/deepmimic_max_speed.py [--cold] [--runs 50] [--json]

--cold also compiles into an empty temporary store *and* an empty MAX kernel cache (a minute or more).
The warm compile recompiles the default store's actor (`--force`) with its kernel cache warm.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from inference.backends.base import get_backend  # noqa: E402
from inference.backends.max.graphs import builder  # noqa: E402
from inference.backends.max.store import MefStore  # noqa: E402
from inference.deepmimic.policies import load_policy  # noqa: E402
from parity.timing import Timing, interleaved, timed  # noqa: E402

KIND = "deepmimic_actor"


def compile_seconds(store: MefStore, force: bool) -> float:
    times: list[float] = []
    store.ensure([KIND], lambda p: times.append(p.elapsed_s) if p.state == "ready" else None, force=force)
    if store.status(KIND) != "ready":
        raise SystemExit(f"compile failed: {store.failure(KIND)}")
    return times[-1] if times else float("nan")


def mef_load_ms(store: MefStore, weights, repeats: int = 10) -> float:
    from max import engine

    b = builder(KIND)
    registry = b.registry(KIND, weights, b.structure(KIND, weights))
    session = store.session()
    samples = []
    for _ in range(repeats):
        _, s = timed(lambda: session.init(engine.read(store.mef_path(KIND)), weights_registry=registry))
        samples.append(s * 1e3)
    return statistics.median(samples)


def alone(name: str, fn, runs: int) -> Timing:
    """`fn` timed in a block of its own, after a pause that lets the other backend's worker threads (both
    spin a while after each call) go to sleep."""
    time.sleep(0.5)
    return interleaved({name: fn}, runs=runs, warmup=10)[name]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a cold compile (empty caches)")
    parser.add_argument("--runs", type=int, default=50, help="timed calls per case (default 50)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    report: dict = {"runs": args.runs, "loadavg_before": os.getloadavg()[0]}
    store = MefStore()
    if args.cold:
        with tempfile.TemporaryDirectory() as tmp:
            report["cold_compile_s"] = compile_seconds(MefStore(Path(tmp) / "max"), force=False)
    compile_seconds(store, force=False)  # make sure the default store has it (cold if never compiled)
    report["warm_compile_s"] = compile_seconds(store, force=True)

    weights = load_policy("walk")
    report["mef_load_ms"] = mef_load_ms(store, weights)
    runners = {"torch": get_backend("torch").load(KIND, weights), "max": get_backend("max").load(KIND, weights)}
    rng = np.random.default_rng(0)
    mean, std = weights.tensors["state_norm.mean"], weights.tensors["state_norm.std"]
    rows = []
    for batch in (1, 64):
        x = (mean + std * rng.standard_normal((batch, mean.shape[0]))).astype(np.float32)
        diff = float(np.abs(runners["max"](state=x)["action"] - runners["torch"](state=x)["action"]).max())
        calls = {name: (lambda r=r: r(state=x)) for name, r in runners.items()}
        for mode in ("interleaved", "alone"):
            timings = interleaved(calls, runs=args.runs, warmup=10) if mode == "interleaved" else \
                {name: alone(name, fn, args.runs) for name, fn in calls.items()}
            for name, t in timings.items():
                lo, hi = t.spread_us
                rows.append({"case": "deepmimic_actor", "backend": name, "batch": batch, "mode": mode,
                             "median_us": round(t.median_us, 1), "p10_us": round(lo, 1), "p90_us": round(hi, 1),
                             "samples_per_s": round(batch / t.median_us * 1e6),
                             "ratio_vs_torch": round(t.median_us / timings["torch"].median_us, 3),
                             "max_abs_diff": diff})
    report["rows"] = rows
    report["loadavg_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    for key in ("cold_compile_s", "warm_compile_s"):
        if key in report:
            print(f"{key.replace('_', ' ')[:-2]}: {report[key]:.1f} s")
    print(f"MEF load (engine.read + init): {report['mef_load_ms']:.1f} ms")
    print(f"{'mode':12} {'backend':8} {'batch':>5} {'median us':>10} {'p10..p90 us':>16} {'samples/s':>10} "
          f"{'vs torch':>8}")
    for r in rows:
        print(f"{r['mode']:12} {r['backend']:8} {r['batch']:5} {r['median_us']:10.1f} "
              f"{r['p10_us']:7.1f}..{r['p90_us']:<8.1f} {r['samples_per_s']:10} {r['ratio_vs_torch']:8.2f}")
    print(f"(medians of {args.runs} calls after warm-up, torch and MAX interleaved or each alone in a block; "
          "max |MAX - torch| "
          f"{max(r['max_abs_diff'] for r in rows):.1e}; 1-min load average {report['loadavg_before']:.1f} before, "
          f"{report['loadavg_after']:.1f} after: other processes on the machine skew these numbers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
