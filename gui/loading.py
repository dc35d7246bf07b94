"""Job functions for the clip library (run on worker threads; no Qt here).

Each returns a `LoadedClip`: the Motion plus the world positions of its joints and End Sites (heads,
hands, toes), computed once at load time so the viewer only slices a cached array per frame.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motion.fk import display_points
from motion.motion import Motion


@dataclass
class LoadedClip:
    name: str
    motion: Motion
    positions: np.ndarray  # (F, J + E, 3) world positions of joints then End Sites, Y-up, file units
    parents: np.ndarray  # (J + E,) parent of each drawn point (End Sites hang off their joint)
    names: list[str]  # (J + E,) joint names; "" for End Sites (no label)
    source: str | None  # file path, or None for embedded clips
    embedded: bool = False

    @property
    def warnings(self) -> list[str]:
        return list(self.motion.warnings)


def clip_from_motion(motion: Motion, name: str = "", source: str | None = None, embedded: bool = False) -> LoadedClip:
    """A library entry for any Motion (a file, an embedded clip, or one a panel generated)."""
    positions, parents, names = display_points(motion)
    return LoadedClip(name or motion.name or "clip", motion, positions, parents, names, source, embedded)


def load_clip_file(path: str | Path) -> LoadedClip:
    """Read a .bvh or DeepMimic .txt file; raises MotionFileError naming the file and the problem."""
    from motion.errors import MotionFileError
    from motion.io import load_motion

    path = Path(path)
    if not path.is_file():
        raise MotionFileError(path, "no such file" if not path.exists() else "not a file")
    motion = load_motion(path)
    if motion.num_frames == 0:
        raise MotionFileError(path, "the file has no frames")
    return clip_from_motion(motion, motion.name or path.stem, str(path))


def load_embedded_clip(name: str) -> LoadedClip:
    from motion.deepmimic import load_embedded

    motion = load_embedded(name)
    return clip_from_motion(motion, name, embedded=True)


def embedded_clip_names() -> list[str]:
    from motion.deepmimic import embedded_clips

    return sorted(embedded_clips())


def export_bvh(motion: Motion, path: str | Path) -> str:
    """Write `motion` as BVH (atomically: the writer goes through a temporary file and a rename)."""
    from motion.bvh import write_bvh

    write_bvh(motion, Path(path))
    return str(path)
