"""Render docs/retarget_viewer.png: the 3-D view with cmu_01_01.bvh (left) beside the same clip retargeted onto
a Bandai Namco skeleton (middle) and onto humanoid3d (right), at one frame, in cm, side by side, each
turned to face the camera.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/retarget_screenshot.py [OUT.png]
        [--shared ../shared] [--frame 1500]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshots import _spin  # noqa: E402 -- needs ROOT on sys.path

CMU_CM = 2.54 / 0.45  # CMU units (1/0.45 inch) in cm
AZIMUTH = -60.0  # the viewer's default camera
# Y-up direction that is horizontal on screen for that camera (GL x = x, GL y = -z)
SPREAD = np.array([-np.sin(np.radians(AZIMUTH)), 0.0, -np.cos(np.radians(AZIMUTH))])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "retarget_viewer.png"))
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    parser.add_argument("--frame", type=int, default=1500)
    args = parser.parse_args()

    from cli.retarget import target_clip
    from motion.fk import world_positions
    from motion.io import load_motion
    from motion.retarget import make_rig, retarget, world_axes

    cmu = load_motion(Path(args.shared) / "bvh" / "cmu_01_01.bvh")
    bandai = load_motion(Path(args.shared) / "datasets" / "bandai-namco-1" / "data" / "dataset-1_walk_active_001.bvh")
    rigs = [(cmu, make_rig(cmu), CMU_CM)]
    for target, cm in ((bandai, 1.0), (target_clip("humanoid3d"), 100.0)):
        clip, joint_map = retarget(cmu, target)
        rigs.append((clip, joint_map.rigs[1], cm))  # the target's rig: its rest pose is the target file's
    positions, parents, names = [], [], []
    for i, (clip, rig, cm) in enumerate(rigs):
        hips = clip.skeleton.index(rig.parts["hips"])
        # in each rig's own (left, up, forward) axes, so all three face the camera
        p = world_positions(clip)[args.frame] @ world_axes(rig) * cm
        p[:, [0, 2]] -= p[hips, [0, 2]]  # hips above the origin, then the rigs side by side
        p += (i - 1) * 90.0 * SPREAD
        own = clip.skeleton.parents.copy()
        own[hips] = -1  # no bone from Bandai's static joint_Root on the floor up to the hips
        parents.extend(np.where(own < 0, -1, own + len(names)))
        names.extend(clip.skeleton.names)
        positions.append(p)
    positions = np.concatenate(positions)[None]

    from PySide6.QtWidgets import QApplication

    from gui.app import configure_qt

    configure_qt()
    app = QApplication(sys.argv[:1])
    from viewer.skeleton_view import SkeletonView

    view = SkeletonView()
    view.widget.resize(1200, 700)
    view.widget.show()
    view.set_clip(positions, np.array(parents), [""] * len(names))
    view.setCameraPosition(distance=float(view.opts["distance"]) * 1.3, elevation=12.0, azimuth=AZIMUTH)
    _spin(app, 1.0)
    view.grab_frame().save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # a bare GL view torn down at interpreter exit crashes PySide6 (segfault after the PNG is written):
    # leave without running the destructors
    os._exit(code)
