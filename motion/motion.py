"""Motion: a clip of local joint rotations and translations on a Skeleton."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from motion.skeleton import Skeleton

# What a clip may hold; readers refuse (or repair, with a warning) anything outside, so every Motion that
# reaches a network, forward kinematics or a writer is finite.
FPS_RANGE = (0.01, 10_000.0)  # frames per second: a 100 s Frame Time up to 10 kHz capture
MAX_FRAMES = 1_000_000  # what an operation may make of a clip (resampling): 9 h at 30 fps, ~1 GB for 31 joints
MAX_ABS_VALUE = 1e15  # file units or degrees: float32 keeps ~7 digits, so a larger value has no meaningful
#                       fraction, and FK's sums of such values stay far below float32's 3.4e38


def out_of_range(values: np.ndarray) -> np.ndarray:
    """Mask of the entries of `values` that are NaN, infinite or beyond +-MAX_ABS_VALUE."""
    with np.errstate(invalid="ignore"):
        return ~(np.abs(values) <= MAX_ABS_VALUE)


@dataclass
class Motion:
    """Frames of local transforms.

    rotations    -- (F, J, 4) float32 unit quaternions (w, x, y, z), local to the parent joint
    translations -- (F, J, 3) float32 local translations; equal to skeleton.offsets except for the root
                    and for joints whose file has position channels
    fps          -- frames per second
    name         -- display name (file stem or clip name)
    source       -- path the clip was read from, if any
    warnings     -- what the reader repaired while loading (shown to the user; empty for clean files)
    meta         -- facts of the source format a writer of the same format reuses (e.g. DeepMimic's
                    "loop" and "frame_durations"); operations that make a new Motion do not carry it over
    """

    skeleton: Skeleton
    rotations: np.ndarray
    translations: np.ndarray
    fps: float
    name: str = ""
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rotations = np.asarray(self.rotations, dtype=np.float32)
        self.translations = np.asarray(self.translations, dtype=np.float32)
        j = self.skeleton.num_joints
        if self.rotations.ndim != 3 or self.rotations.shape[1:] != (j, 4):
            raise ValueError(f"rotations must be (frames, {j}, 4), got {self.rotations.shape}")
        if self.translations.shape != self.rotations.shape[:2] + (3,):
            raise ValueError(f"translations must be {self.rotations.shape[:2] + (3,)}, got {self.translations.shape}")
        if not FPS_RANGE[0] <= self.fps <= FPS_RANGE[1]:
            raise ValueError(f"fps must be between {FPS_RANGE[0]:g} and {FPS_RANGE[1]:g}, got {self.fps}")

    @property
    def num_frames(self) -> int:
        return self.rotations.shape[0]

    @property
    def root_positions(self) -> np.ndarray:
        return self.translations[:, 0]

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps
