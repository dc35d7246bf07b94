"""Load + forward kinematics of one BVH file: our reader vs bvhio (a test-only dependency).

    python benchmarks/bvh_load.py FILE [--repeat N]

Both sides do the same job: read the file and produce world positions of every joint in every frame.
Runs are interleaved (ours, bvhio, ours, ...; the order alternates each repeat) so that load changes on
a shared machine hit both alike; medians are reported, with the ratio. It also checks that the two agree:
the largest difference in world positions, in file units, over all frames and joints.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motion.bvh import read_bvh  # noqa: E402
from motion.fk import world_positions  # noqa: E402


def ours(path: str) -> np.ndarray:
    return world_positions(read_bvh(path))


def with_bvhio(path: str) -> np.ndarray:
    import bvhio

    root = bvhio.readAsHierarchy(path)
    joints = [joint for joint, _, _ in root.layout()]
    first, last = root.getKeyframeRange()
    out = np.empty((last - first + 1, len(joints), 3), np.float32)
    for f in range(first, last + 1):
        root.loadPose(f)
        out[f - first] = [tuple(joint.PositionWorld) for joint in joints]
    return out


def timed(fn, path: str) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    result = fn(path)
    return time.perf_counter() - start, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="BVH file")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per implementation (default 3)")
    args = parser.parse_args(argv)

    ours(args.file)  # warm-up: imports, page cache
    times = {"ours": [], "bvhio": []}
    results = {}
    for r in range(args.repeat):
        order = [("ours", ours), ("bvhio", with_bvhio)]
        for name, fn in order if r % 2 == 0 else order[::-1]:
            seconds, results[name] = timed(fn, args.file)
            times[name].append(seconds)

    frames, joints, _ = results["ours"].shape
    print(f"{args.file}: {frames} frames, {joints} joints, {args.repeat} interleaved runs each")
    for name, ts in times.items():
        print(f"  {name:<6} load+FK  median {statistics.median(ts) * 1e3:10.1f} ms   "
              f"(min {min(ts) * 1e3:.1f}, max {max(ts) * 1e3:.1f})")
    ratio = statistics.median(times["bvhio"]) / statistics.median(times["ours"])
    print(f"  ratio  bvhio / ours = {ratio:.1f}x")
    if results["ours"].shape != results["bvhio"].shape:
        print(f"  MISMATCH: shapes {results['ours'].shape} vs {results['bvhio'].shape}")
        return 1
    diff = np.abs(results["ours"].astype(np.float64) - results["bvhio"]).max(initial=0.0)
    extent = np.abs(results["ours"]).max(initial=0.0)
    print(f"  world positions agree: max |ours - bvhio| = {diff:.3g} file units "
          f"(largest coordinate {extent:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
