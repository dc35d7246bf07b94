"""Transitions between clips of different rigs through the CLI (`main.py transition ... --json`), on each
backend, as the closing note of issue 17 asks:

    MODULAR_TELEMETRY_ENABLED=0 .venv/bin/python scripts/retarget_transitions.py [--shared ../shared]
        [--backends max-mojo torch]

Cases: cmu_01_01 -> a Bandai Namco clip, a Bandai Namco clip -> humanoid3d_run, and two frames of
cmu_01_01.bvh. For each, the output BVH read back is checked against the source clip:

- skeleton: joint names, parents, channel orders equal the source's (fps: the output is at 30 fps, the
  source's own rate for 30 fps clips; a 120 fps CMU source comes back at 30 fps, every 4th frame);
- context: the largest world-position difference (cm) between the output's context frames and the source's
  own frames at the same times (0 up to the BVH's printed precision);
- pop: jump(t) = the largest world-position move of any joint from frame t to t+1. The worst jump inside
  the transition, its two junctions included (last context frame -> first generated frame, last generated
  frame -> first target frame), over the mean jump of the 10 frames on either side (context before, target
  after). Also that ratio for each junction alone.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli import main as cli_main  # noqa: E402
from motion.fk import world_positions  # noqa: E402
from motion.io import load_motion, resolve_clip_frame  # noqa: E402
from motion.resample import to_30fps  # noqa: E402

CM_PER_UNIT = {"cmu": 2.54 / 0.45, "bandai": 1.0, "humanoid3d": 100.0}
NEIGHBOURS = 10


def transition(source: str, target: str, backend: str, out: Path, length: int) -> dict:
    argv = ["transition", "--source", source, "--target", target, "--length", str(length),
            "--backend", backend, "--out", str(out), "--json"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        if cli_main(argv) != 0:
            raise SystemExit(f"failed: python main.py {' '.join(argv)}")
    return json.loads(buf.getvalue())


def measure(source: str, units: str, summary: dict, out: Path) -> dict:
    """The checks of the module doc for one output file."""
    clip, frame = resolve_clip_frame(source, -1)
    result = load_motion(out)
    a, b = clip.skeleton, result.skeleton
    same_skeleton = (a.names == b.names and list(a.parents) == list(b.parents) and a.channels == b.channels)
    src30 = to_30fps(clip)
    sf = min(int(round(frame / clip.fps * 30.0)), src30.num_frames - 1)
    ctx = summary["context_frames"]
    theirs = world_positions(src30)[sf + 1 - ctx: sf + 1]
    pos = world_positions(result).astype(np.float64) * CM_PER_UNIT[units]
    context_err = float(np.abs(pos[:ctx] - theirs * CM_PER_UNIT[units]).max())
    jump = np.linalg.norm(np.diff(pos, axis=0), axis=-1).max(axis=1)  # jump[t]: frame t -> t + 1
    start, stop = summary["generated"]
    inside = jump[start - 1: min(stop, len(jump))]  # junction in .. junction out
    around = np.concatenate([jump[max(start - 1 - NEIGHBOURS, 0): start - 1], jump[stop: stop + NEIGHBOURS]])
    base = float(around.mean())
    worst = int(np.argmax(inside))
    return {"skeleton": same_skeleton, "fps": (clip.fps, result.fps), "context_cm": context_err,
            "worst_cm": float(inside[worst]), "worst_at": start - 1 + worst, "neighbour_cm": base,
            "pop": float(inside[worst]) / base, "in": float(jump[start - 1]) / base,
            "out": float(jump[stop - 1]) / base if stop - 1 < len(jump) else float("nan")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--backends", nargs="+", default=["max-mojo", "torch"])
    parser.add_argument("--length", type=int, default=30)
    args = parser.parse_args()
    cmu = Path(args.shared) / "bvh" / "cmu_01_01.bvh"
    bandai = Path(args.shared) / "datasets" / "bandai-namco-1" / "data"
    cases = [(f"{cmu}:1500", f"{bandai / 'dataset-1_walk_active_001.bvh'}:30", "cmu"),
             (f"{bandai / 'dataset-1_run_active_001.bvh'}:60", "humanoid3d_run", "bandai"),
             (f"{cmu}:100", f"{cmu}:900", "cmu")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            for source, target, units in cases:
                out = Path(tmp) / "out.bvh"
                summary = transition(source, target, backend, out, args.length)
                m = measure(source, units, summary, out)
                name = f"{Path(source).name} -> {Path(target).name}"
                rows.append((backend, name, m, summary["retargeted"]))
    print(f"{'backend':<9} {'transition':<52} {'skeleton':>8} {'fps src/out':>11} {'context cm':>10} "
          f"{'worst cm':>8} {'at':>4} {'nbr cm':>7} {'pop':>6} {'in':>5} {'out':>5}")
    for backend, name, m, _ in rows:
        print(f"{backend:<9} {name:<52} {str(m['skeleton']):>8} {m['fps'][0]:5.0f}/{m['fps'][1]:<5.0f} "
              f"{m['context_cm']:10.4f} {m['worst_cm']:8.3f} {m['worst_at']:4d} {m['neighbour_cm']:7.3f} "
              f"{m['pop']:5.2f}x {m['in']:4.2f}x {m['out']:4.2f}x")
    for role, used in rows[0][3].items() if rows else ():
        print(f"({role} of the first case: {used['from']} -> {used['to']}, {used['mapped']} joints mapped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
