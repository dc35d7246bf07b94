"""PAE phases of a whole clip (Qt-free): per frame and per phase channel, the phase (cycles), amplitude and
frequency the periodic autoencoder ("rsmt_phase") finds in the 61 velocities centred on that frame.

The clip is taken at 30 fps in the model's joint order and units, as the transition pipeline does
(`inference.rsmt.transition`). Windows that reach past the clip's ends hold its first or last pose (zero
velocity), which lowers the amplitude near the ends; a looping DeepMimic clip is continued with further
cycles at its end instead. All windows go through the network in one batch. Results are given for the
clip's own frames (the nearest 30 fps frame of each).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from inference.rsmt.transition import TransitionGenerator, _extend, _feature_roles
from motion import features as F
from motion.motion import Motion
from motion.resample import to_30fps


@dataclass
class ClipPhases:
    """phase (F, P) in cycles [-0.5, 0.5]; amplitude (F, P); frequency (F, P) in Hz; F = the clip's frames."""

    phase: np.ndarray
    amplitude: np.ndarray
    frequency: np.ndarray
    fps: float

    @property
    def channels(self) -> int:
        return self.phase.shape[1]

    def points(self, frame: int) -> np.ndarray:
        """(P, 2) amplitude * (cos 2 pi phase, sin 2 pi phase) of one frame: the points on the phase circles."""
        angle = 2 * np.pi * self.phase[frame]
        return (self.amplitude[frame][:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)).astype(np.float32)


def clip_phases(generator: TransitionGenerator, motion: Motion, backend: str = "torch") -> ClipPhases:
    """Phases of every frame of `motion`; a clip on another rig is retargeted onto the model's skeleton first
    (TransitionError when it cannot be)."""
    model = generator.model
    motion = generator.on_model(motion, "phase")[0]
    roles = _feature_roles(model.roles, motion, "phase")
    m30 = to_30fps(motion)
    n30 = m30.num_frames
    before, after = F.PAE_WINDOW // 2 + 1, F.PAE_WINDOW - F.PAE_WINDOW // 2 - 1  # 31 poses before, 30 after
    if motion.meta.get("loop") == "wrap":
        needed = int(math.ceil((n30 + after + 2) * motion.fps / F.FPS)) + 2
        longer = to_30fps(_extend(motion, roles, needed))
        pos = F.global_pose(longer, roles, model.position_scale)[0][:n30 + after]
    else:
        pos = F.global_pose(m30, roles, model.position_scale)[0]
    idx = np.clip(np.arange(-before, n30 + after), 0, len(pos) - 1)
    vel = F.local_velocities(pos[idx].astype(np.float64), roles)  # (n30 + 60, J, 3)
    windows = vel[np.arange(n30)[:, None] + np.arange(F.PAE_WINDOW)[None, :]]  # frame k: velocities k..k+60
    out = generator.runner(backend, "rsmt_phase")(x=F.pae_input(windows))
    native = np.minimum(np.rint(np.arange(motion.num_frames) / motion.fps * F.FPS).astype(int), n30 - 1)
    return ClipPhases(out["p"][native, :, 0], out["a"][native, :, 0], out["f"][native, :, 0], motion.fps)
