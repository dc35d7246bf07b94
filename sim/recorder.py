"""Turns the simulated humanoid's pose into a Motion on the humanoid3d skeleton (plays in the viewer,
exports to BVH or DeepMimic)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from motion.deepmimic import humanoid3d_motion
from motion.motion import Motion

Pose = tuple[np.ndarray, np.ndarray]  # root position (3,), local rotations (13, 4) wxyz


class MotionRecorder:
    """Samples poses at a fixed frame rate on the simulation clock.

    The physics runs at 240 Hz; `offer(t, read_pose)` is called after every physics step and records a
    frame when `t` reaches the next frame time k/fps (within half a physics step), so frame k holds the
    pose of the physics step nearest to k/fps. fps 30 (or any divisor of 240) lands exactly on steps.
    """

    def __init__(self, fps: float = 30.0, half_step: float = 0.5 / 240.0):
        if not 0 < fps <= 0.5 / half_step:  # faster would record every physics step under a false frame rate
            raise ValueError(f"fps must be positive and at most the physics rate {0.5 / half_step:g}, got {fps}")
        self.fps = float(fps)
        self._start: float | None = None
        self._tolerance = half_step
        self._roots: list[np.ndarray] = []
        self._rotations: list[np.ndarray] = []

    @property
    def num_frames(self) -> int:
        return len(self._roots)

    def offer(self, t: float, read_pose: Callable[[], Pose]) -> bool:
        """Record a frame if one is due at sim time `t`; returns whether it did."""
        if self._start is None:
            self._start = t
        due = self._start + self.num_frames / self.fps
        if t < due - self._tolerance:
            return False
        root, rotations = read_pose()
        self._roots.append(np.asarray(root, dtype=np.float32))
        self._rotations.append(np.asarray(rotations, dtype=np.float32))
        return True

    def motion(self, name: str = "") -> Motion:
        if not self._roots:
            raise ValueError("nothing recorded yet")
        return humanoid3d_motion(np.stack(self._roots), np.stack(self._rotations), self.fps, name=name)
