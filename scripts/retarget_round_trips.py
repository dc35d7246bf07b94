"""Round-trip errors of retargeting on real clips, through the CLI and BVH files, as the closing note of
issue 17 asks:

    .venv/bin/python scripts/retarget_round_trips.py [--shared ../shared]

1. every embedded humanoid3d clip -> the skeleton of cmu_01_01.bvh -> humanoid3d
2. cmu_01_01.bvh -> a few Bandai Namco clips' skeleton -> CMU (the saved map carries Bandai's rest pose)
3. those Bandai Namco clips -> CMU -> Bandai Namco

For each: the largest world-position error over all frames of the joints the map uses (the source rig's
parts), in cm and as a fraction of the body height (rest pose extent along up, End Sites included), and
that fraction for the hips and legs alone. Units:
humanoid3d metres, Bandai Namco cm, CMU 1/0.45 inch (2.54 / 0.45 = 5.644 cm, the CMU ASF convention).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli import main as cli_main  # noqa: E402
from motion.deepmimic import embedded_clips  # noqa: E402
from motion.fk import world_positions  # noqa: E402
from motion.io import resolve_clip  # noqa: E402
from motion.retarget import body_height, make_rig  # noqa: E402

CM_PER_UNIT = {"humanoid3d": 100.0, "cmu": 2.54 / 0.45, "bandai": 1.0}
BANDAI_CLIPS = ("walk_active_001", "run_normal_001", "dash_feminine_001", "bow_angry_001", "kick_normal_001")


def cli(*argv: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        if cli_main(list(argv)) != 0:
            raise SystemExit(f"failed: {' '.join(argv)}")


def round_trip(source: str, middle: str, units: str, tmp: Path) -> tuple[float, float, float]:
    there, back, joint_map = tmp / "there.bvh", tmp / "back.bvh", tmp / "map.json"
    cli("retarget", source, str(there), "--to", middle, "--save-map", str(joint_map))
    cli("retarget", str(there), str(back), "--to", source, "--map", str(joint_map))
    original, returned = resolve_clip(source), resolve_clip(str(back))
    rig = make_rig(original, source)
    mapped = rig.mapped_joints()
    a = world_positions(original)[:, [original.skeleton.index(n) for n in mapped]]
    b = world_positions(returned)[:, [returned.skeleton.index(n) for n in mapped]]
    err = np.linalg.norm(a - b, axis=-1).max(axis=0)
    leg_parts = ["hips"] + [f"{s}_{p}" for s in ("left", "right") for p in ("upper_leg", "lower_leg", "foot", "toe")]
    legs = [i for i, n in enumerate(mapped) if any(n == rig.parts[p] for p in leg_parts)]
    height = body_height(rig)
    return float(err.max()) * CM_PER_UNIT[units], float(err.max()) / height, float(err[legs].max()) / height


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    args = parser.parse_args()
    cmu = Path(args.shared) / "bvh" / "cmu_01_01.bvh"
    bandai = Path(args.shared) / "datasets" / "bandai-namco-1" / "data"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for clip in embedded_clips():
            rows.append((f"{clip} -> CMU -> humanoid3d", *round_trip(clip, str(cmu), "humanoid3d", tmp)))
        for name in BANDAI_CLIPS:
            path = str(bandai / f"dataset-1_{name}.bvh")
            rows.append((f"cmu_01_01 -> Bandai {name} -> CMU", *round_trip(str(cmu), path, "cmu", tmp)))
            rows.append((f"Bandai {name} -> CMU -> Bandai", *round_trip(path, str(cmu), "bandai", tmp)))
    width = max(len(r[0]) for r in rows)
    print(f"{'round trip':<{width}}  {'max error cm':>12}  {'/ height':>9}  {'hips+legs / height':>18}")
    for name, cm, rel, legs in rows:
        print(f"{name:<{width}}  {cm:12.4f}  {rel:9.4%}  {legs:18.4%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
