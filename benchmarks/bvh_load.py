"""Load + forward kinematics of one BVH file: our reader vs bvhio (a test-only dependency).

    python benchmarks/bvh_load.py FILE [--repeat N]

Both sides do the same job: read the file and produce world positions of every joint in every frame.
Runs are interleaved (ours, bvhio, ours, ...; the order alternates each repeat) so that load changes on
a shared machine hit both alike; medians are reported, with the ratio, as wall time and as this process's
CPU time (both sides are single-threaded; CPU time is what a run costs when other processes compete for
the cores). It also checks that the two agree: the largest difference in world positions, in file units,
over all frames and joints.
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


def timed(fn, path: str) -> tuple[float, float, np.ndarray]:
    """(wall seconds, CPU seconds, result)"""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(path)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="BVH file")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per implementation (default 3)")
    args = parser.parse_args(argv)

    ours(args.file)  # warm-up: imports, page cache
    wall: dict[str, list[float]] = {"ours": [], "bvhio": []}
    cpu: dict[str, list[float]] = {"ours": [], "bvhio": []}
    results = {}
    for r in range(args.repeat):
        order = [("ours", ours), ("bvhio", with_bvhio)]
        for name, fn in order if r % 2 == 0 else order[::-1]:
            seconds, cpu_seconds, results[name] = timed(fn, args.file)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)

    frames, joints, _ = results["ours"].shape
    print(f"{args.file}: {frames} frames, {joints} joints, {args.repeat} interleaved runs each")
    for name in wall:
        print(f"  {name:<6} load+FK  wall median {statistics.median(wall[name]) * 1e3:9.1f} ms "
              f"(min {min(wall[name]) * 1e3:.1f})   CPU median {statistics.median(cpu[name]) * 1e3:9.1f} ms")
    for label, times in (("wall", wall), ("CPU", cpu)):
        ratio = statistics.median(times["bvhio"]) / statistics.median(times["ours"])
        print(f"  ratio  bvhio / ours ({label}) = {ratio:.1f}x")
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
