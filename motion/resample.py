"""Clip operations the networks need before they see a clip: 30 fps (RSMT's rate), and clips extended to a
minimum length: looping clips by further cycles that continue the root's travel and turn, others by holding
their first and last poses."""
from __future__ import annotations

import math

import numpy as np

from motion import features as F
from motion.joint_roles import JointRoles
from motion.motion import Motion
from motion.ops import concatenate, resample, slice_frames
from motion.rotations import matrix_to_quat, quat_mul


def subsample_step(fps: float) -> int | None:
    """k when `fps` is a whole multiple k of 30 (within 0.1%): `to_30fps` keeps every k-th frame; else None."""
    ratio = fps / F.FPS
    k = round(ratio)
    return k if k >= 1 and abs(ratio - k) < 1e-3 * k else None


def to_30fps(motion: Motion) -> Motion:
    """60 fps (or any whole multiple of 30) keeps every k-th frame as RSMT's subsample; others resample."""
    k = subsample_step(motion.fps)
    if k is not None:
        return Motion(motion.skeleton, motion.rotations[::k], motion.translations[::k], F.FPS,
                      name=motion.name, source=motion.source, warnings=list(motion.warnings))
    return resample(motion, F.FPS)


def loop_cycles(motion: Motion, roles: JointRoles, min_frames: int) -> Motion:
    """Repeat a looping clip until it has at least `min_frames` frames (see module docstring)."""
    pos, _ = F.global_pose(motion, roles)
    fwd = F.facing_directions(pos[[0, -1]], roles)
    turn = F.yaw_to_x(fwd[1]).T @ F.yaw_to_x(fwd[0])  # heading change over one cycle
    origin_0 = motion.translations[0, 0] * np.array([1.0, 0.0, 1.0])
    step = (motion.translations[-1, 0] - motion.translations[0, 0]) * np.array([1.0, 0.0, 1.0])
    base = slice_frames(motion, 0, motion.num_frames - 1)  # the closing frame starts the next cycle
    parts, rot_c, origin = [], np.eye(3), origin_0
    for _ in range(max(1, math.ceil(min_frames / base.num_frames))):
        rotations = base.rotations.copy()
        rotations[:, 0] = quat_mul(np.broadcast_to(matrix_to_quat(rot_c), rotations[:, 0].shape), rotations[:, 0])
        translations = base.translations.copy()
        translations[:, 0] = (translations[:, 0] - origin_0) @ rot_c.T + origin
        parts.append(Motion(base.skeleton, rotations, translations, base.fps, name=base.name))
        origin = origin + rot_c @ step
        rot_c = turn @ rot_c
    out = concatenate(parts)
    return Motion(out.skeleton, out.rotations, out.translations, motion.fps, name=motion.name,
                  source=motion.source, warnings=list(motion.warnings))


def hold_pad(motion: Motion, min_frames: int) -> Motion:
    """Hold the first and last pose so the clip has at least `min_frames` frames (equal on both sides)."""
    pad = max(0, min_frames - motion.num_frames)
    before, after = pad // 2, pad - pad // 2
    idx = np.concatenate([np.zeros(before, int), np.arange(motion.num_frames),
                          np.full(after, motion.num_frames - 1)])
    return Motion(motion.skeleton, motion.rotations[idx], motion.translations[idx], motion.fps,
                  name=motion.name, source=motion.source, warnings=list(motion.warnings))
