"""The interpolation baseline of the motion-transition literature (Harvey et al. 2020, LaFAN1
benchmark `interpolate_local`; RSMT's benchmark.py keeps an "interp" slot for it): the transition
between the last past-context frame and the target keyframe is filled by SLERP of every joint's *local*
rotation and linear interpolation of the root position.

Frame convention (RSMT benchmark.py / TransitionPhaseNet.shift_running): with `past` context frames
0..past-1, a transition of `length` frames covers frames past..past+length-1 and its *last* frame is
the target keyframe (target_id - 1 = past + length - 1); the metrics score all `length` frames. So
the baseline interpolates from the last context frame (weight 0) to the target (weight 1) with
weights k / length for the transition frames k = 1..length, the last one landing on the target.
(The LaFAN1 benchmark instead places the target after the transition, weights k / (length + 1).)

`interpolation_transition` works on benchmark windows in the canonical representation the networks
and the metrics use (global positions (B, T, J, 3) and global 6D rotations (B, T, J, 6), feature joint
order, `training.datasets.benchmark_windows`) and returns global positions and global quaternions of
the transition frames, so the baseline is scored exactly like a network.
"""
from __future__ import annotations

import numpy as np

from motion.fk import forward_kinematics
from motion.rotations import matrix_to_quat, quat_inv, quat_mul, quat_rotate, quat_slerp, sixd_to_matrix


def local_rotations(global_quats: np.ndarray, parents) -> np.ndarray:
    """(..., J, 4) global quaternions -> local ones: inv(global of parent) * global (root unchanged)."""
    g = np.asarray(global_quats, np.float32)
    parents = np.asarray(parents)
    local = g.copy()
    child = np.nonzero(parents >= 0)[0]
    local[..., child, :] = quat_mul(quat_inv(g[..., parents[child], :]), g[..., child, :])
    return local


def bone_offsets(global_pos: np.ndarray, global_quats: np.ndarray, parents) -> np.ndarray:
    """(..., J, 3) local translations of one pose: each joint's position in its parent's frame (the
    root keeps its world position). Rigid motion gives the skeleton's rest offsets; reading them from
    the pose also handles mirrored data whose bones are the reflections of their partners'."""
    pos = np.asarray(global_pos, np.float32)
    parents = np.asarray(parents)
    out = pos.copy()
    child = np.nonzero(parents >= 0)[0]
    p = parents[child]
    out[..., child, :] = quat_rotate(quat_inv(global_quats[..., p, :]), pos[..., child, :] - pos[..., p, :])
    return out


def interpolate_local(last_rot, last_root, target_rot, target_root, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations (..., J, 4) and root positions (..., 3) at the last context frame and at the
    target -> (..., length + 2, J, 4) and (..., length + 2, 3): frame 0 is the context frame, frame
    length + 1 the target, frames 1..length the transition."""
    if length < 0:
        raise ValueError(f"transition length must be >= 0, got {length}")
    w = np.linspace(0.0, 1.0, length + 2)  # (T,)
    a = np.asarray(last_rot, np.float64)[..., None, :, :]
    b = np.asarray(target_rot, np.float64)[..., None, :, :]
    t = np.broadcast_to(w[:, None], a.shape[:-3] + (length + 2, a.shape[-2]))
    rot = quat_slerp(a, b, t)
    r0 = np.asarray(last_root, np.float64)[..., None, :]
    r1 = np.asarray(target_root, np.float64)[..., None, :]
    root = (r0 + (r1 - r0) * w[:, None]).astype(np.float32)
    return rot, root


def interpolation_transition(window_pos: np.ndarray, window_rot6d: np.ndarray, parents, past: int,
                             length: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline transition of benchmark windows.

    window_pos (B, T, J, 3) global positions, window_rot6d (B, T, J, 6) global 6D rotations; frames
    0..past-1 are the context, frame past + length - 1 the target (T >= past + length). Returns global
    positions (B, length, J, 3) and quaternions (B, length, J, 4) of frames past..past+length-1, the
    last of them the target pose."""
    pos = np.asarray(window_pos, np.float32)
    target = past + length - 1
    if pos.ndim != 4 or length < 1 or target >= pos.shape[1] or past < 1:
        raise ValueError(f"windows of shape {pos.shape} cannot hold {past} context frames and a {length}-frame "
                         f"transition ending on the target")
    quats = matrix_to_quat(sixd_to_matrix(np.asarray(window_rot6d, np.float32)))
    local = local_rotations(quats, parents)
    offsets = bone_offsets(pos[:, past - 1], quats[:, past - 1], parents)
    rot, root = interpolate_local(local[:, past - 1], pos[:, past - 1, 0], local[:, target], pos[:, target, 0],
                                  length - 1)
    return forward_kinematics(rot[:, 1:], root[:, 1:], offsets, parents)
