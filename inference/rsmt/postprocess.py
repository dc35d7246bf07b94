"""RSMT post-processing: sampler outputs (positions of the `pos_rep_idx` joints and 6D global rotations of
every joint, in a window's canonical space) -> a pose the skeleton can play (global rotations whose
forward kinematics keeps the rest bone lengths).

The steps follow the official inference (RSMT Running_LongSeq.synthesize, TransitionPhaseNet.regu_pose,
utils/BVH_mod.Skeleton.inverse_pos_to_rot, geometry/inverse_kinematics.change_pos_to_rot):
1. positions of the `rot_rep_idx` joints by forward kinematics of the predicted global rotations from the
   predicted hip position (the networks do not predict these joints' positions);
2. `regu_pose`: every joint moved along its bone direction so the bone has its rest length (parents
   first), and the 6D rotations re-orthonormalised (Gram-Schmidt);
3. `inverse_pos_to_rot`: a joint with exactly one child gets the rotation that carries its rest bone onto
   the predicted bone direction (the minimal "swing"), twisted about the bone so that the child's
   secondary axis lines up with where the predicted rotation puts it; end effectors, joints with several
   children and torso joints keep the predicted rotation (`kept_rotation_joints`). `SWING_SHARE` can make
   the joint turn only part of the way there from its predicted rotation (the app's: half; RSMT's: 1).
The caller turns the global rotations into local ones (`local_rotations`) on the skeleton.

Ours, not RSMT's: `land_on_target` makes a transition end exactly on its target keyframe, blending the gap in
over its last frames. The sampler only steers towards the target (its last frame ends centimetres off on
motion it was trained on, tens of centimetres on motion it has not seen), and the target clip carries on from the
frame after the keyframe, so without it the hand-over pops.

All functions work in float64 on (frames, joints, ...) arrays in feature joint order
(`motion.joint_roles`) and return float64. They run once per transition request, on a few dozen frames: each
step is vectorised over frames and joints (a walk down the hierarchy goes level by level, `motion.fk.
depth_levels`), because at that size the cost is the number of numpy calls, not the arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motion.fk import depth_levels
from motion.joint_roles import JointRoles
from motion.rotations import (cross, matrix_to_quat, quat_inv, quat_mul, quat_slerp, quat_to_matrix,
                              sixd_to_matrix)

_EPS32 = float(np.finfo(np.float32).eps)


def kept_rotation_joints(roles: JointRoles) -> tuple[int, ...]:
    """Joints whose predicted rotation is kept as is: end effectors, joints with several children, and the
    torso joints, i.e. the `rot_rep_idx` joints other than the left and right hip.

    For 100STYLE this is exactly the official list (end effectors, multi-child joints and 9-13, 15, 19:
    the spine, neck and collars; BVH_mod.py:182-189). For humanoid3d it keeps the chest, neck and the
    shoulders, which take the collars' place there (`motion.joint_roles.humanoid3d_roles`)."""
    children = _children(roles.parents)
    torso = set(roles.rot_rep_idx) - {roles.left_hip, roles.right_hip}
    return tuple(j for j in range(roles.num_joints) if len(children[j]) != 1 or j in torso)


def _children(parents) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            kids[p].append(j)
    return kids


def _normalize(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n < _EPS32, _EPS32, n)


def fk_positions(rot: np.ndarray, hip: np.ndarray, offsets: np.ndarray, parents) -> np.ndarray:
    """Positions (F, J, 3) of every joint from global rotation matrices (F, J, 3, 3), the hip position
    (F, 3) and rest offsets (J, 3): p_j = p_parent + R_parent offset_j (RSMT rot_to_pos)."""
    pos = np.empty(rot.shape[:-1])
    pos[:, 0] = hip
    for joints, of in depth_levels(parents):
        pos[:, joints] = pos[:, of] + np.einsum("fjab,jb->fja", rot[:, of], offsets[joints])
    return pos


def project_bone_lengths(pos: np.ndarray, offsets: np.ndarray, parents) -> np.ndarray:
    """Each joint moved along (its position - its parent's already projected position) to the rest bone
    length, parents first (RSMT scale_pos_to_bonelen). The hip stays."""
    out = pos.copy()
    lengths = np.linalg.norm(offsets, axis=-1)[:, None]
    for joints, of in depth_levels(parents):
        out[:, joints] = out[:, of] + _normalize(pos[:, joints] - out[:, of]) * lengths[joints]
    return out


def secondary_axes(offsets: np.ndarray) -> np.ndarray:
    """A unit axis perpendicular to each rest offset (J, 3): offset x Y, or offset x X when the offset is
    closer to Y than to X (RSMT find_secondary_axis). Rows of zero offsets are meaningless."""
    v = _normalize(offsets)
    ref = np.where((np.abs(v[:, 0]) > np.abs(v[:, 1]))[:, None], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0])
    return _normalize(cross(v, ref))


def from_to_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation matrices (..., 3, 3) taking unit vectors a onto unit vectors b (...,3);
    opposite vectors give a half turn about an axis perpendicular to a."""
    a, b = np.broadcast_arrays(a, b)
    v = cross(a, b)
    c = np.sum(a * b, axis=-1)
    k = np.zeros(a.shape[:-1] + (3, 3))  # cross-product matrix of v
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    k[..., 1, 0], k[..., 2, 0], k[..., 2, 1] = v[..., 2], -v[..., 1], v[..., 0]
    opposite = c < -1.0 + 1e-9
    scale = 1.0 / np.where(opposite, 1.0, 1.0 + c)
    rot = np.eye(3) + k + (k @ k) * scale[..., None, None]
    if np.any(opposite):
        helper = np.where((np.abs(a[..., 0]) < 0.9)[..., None], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
        u = _normalize(cross(a, helper))
        half_turn = 2.0 * u[..., :, None] * u[..., None, :] - np.eye(3)
        rot = np.where(opposite[..., None, None], half_turn, rot)
    return rot


def swing_pairs(parents, kept: tuple[int, ...]) -> list[tuple[int, int]]:
    """(joint, its child) of every joint `swing_to_positions` turns: those with exactly one child, not in `kept`."""
    children = _children(parents)
    return [(j, kids[0]) for j, kids in enumerate(children) if j not in kept and len(kids) == 1]


SWING_SHARE = 0.5  # how far a joint turns from its predicted rotation towards the swing (1: RSMT's; see below)


def swing_to_positions(rot: np.ndarray, pos: np.ndarray, offsets: np.ndarray, parents,
                       kept: tuple[int, ...], share: float = SWING_SHARE) -> np.ndarray:
    """RSMT inverse_pos_to_rot: global rotations (F, J, 3, 3) in which every joint with one child (and
    not in `kept`) points its rest bone at the child's position (F, J, 3), keeping the predicted twist
    about the bone as well as the bone direction allows (change_pos_to_rot).

    share -- the fraction of the way from the predicted rotation to that swing (slerp; 1 is RSMT's full
    swing). The full swing carries the predicted positions' frame-to-frame jitter into the rotations (NPSS on
    the Bandai held-out windows at 20 frames 0.0594 raw -> 0.0651 after the clean-up, above interpolation's
    0.0604); no swing leaves the bones where the rotations alone put them (L2P at 40 frames 2.794 against
    2.640, both before the pull limit). Half of it had the lowest L2P at 20 and 40 frames on the Bandai
    training windows, and with the foot lock's pull limit (footlock.limit_pulls) beats interpolation on L2P,
    NPSS and foot skating at 20 and 40 frames on the held-out ones, where the full swing loses L2P at 40 and
    NPSS at 20 (`python scripts/swing_share.py --split test`): the app ships half.
    """
    out = rot.copy()
    pairs = swing_pairs(parents, kept)  # all at once
    if not pairs:
        return out
    j, k = (list(t) for t in zip(*pairs))
    axes = secondary_axes(offsets)[k]  # (n, 3)
    bone = _normalize(pos[:, k] - pos[:, j])  # (F, n, 3)
    swing = from_to_rotation(_normalize(offsets[k])[None], bone)  # (F, n, 3, 3)
    tangent = np.einsum("fnab,nb->fna", swing, axes)  # where the swing alone puts the secondary axis
    wanted = np.einsum("fnab,nb->fna", rot[:, j], axes)  # where the predicted rotation puts it
    wanted = _normalize(wanted - np.sum(wanted * bone, axis=-1, keepdims=True) * bone)
    full = from_to_rotation(tangent, wanted) @ swing
    out[:, j] = full if share == 1.0 else quat_to_matrix(quat_slerp(matrix_to_quat(rot[:, j]),
                                                                    matrix_to_quat(full), share))
    return out


def local_rotations(global_quats: np.ndarray, parents) -> np.ndarray:
    """Inverse kinematics: global (F, J, 4) -> local quaternions (the root's stays global)."""
    local = global_quats.copy()
    idx = np.arange(1, len(parents))
    local[:, 1:] = quat_mul(quat_inv(global_quats[:, np.asarray(parents)[1:]]), global_quats[:, idx])
    return local


LANDING_FRAMES = 10  # a third of a second at 30 fps; chosen on the training clips' benchmark windows


def land_on_target(local: np.ndarray, root: np.ndarray, target_local: np.ndarray,
                   target_root: np.ndarray, blend_frames: int = LANDING_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """Offset blending onto the keyframe: local (..., L, J, 4) local quaternions and root (..., L, 3) positions
    of a transition; target_local (..., J, 4), target_root (..., 3) the keyframe its last frame should be.
    Over the last B = min(blend_frames, L) frames, frame k = 1..B of them takes the fraction
    w_k = smoothstep(k / B) of the last frame's gap to the keyframe: the root moves by w_k (target_root -
    root[L]), each joint turns by slerp(identity, target_j inv(last_j), w_k); earlier frames are the
    network's. The last frame lands on the keyframe; the first blended one moves by about 3/B^2 of the gap,
    so the motion stays smooth. Why only the last frames: spread over a whole 40-frame transition, the gap (a
    pose the network reached a little early or late) drags frames that were right; on the training clips'
    benchmark windows 10 frames against the whole transition lowered L2P at 40 frames from 1.92 to 1.57 and
    foot skating from 0.50 to 0.30 cm/frame (20 frames: 1.19 -> 1.10, 0.37 -> 0.36). Returns (local, root),
    float64."""
    if blend_frames < 1:
        raise ValueError(f"blend_frames must be at least 1, got {blend_frames}")
    local, root = np.asarray(local, np.float64), np.asarray(root, np.float64)
    length = local.shape[-3]
    span = min(blend_frames, length)
    t = np.clip((np.arange(1, length + 1) - (length - span)) / span, 0.0, 1.0)
    w = t * t * (3.0 - 2.0 * t)  # (L,), zero before the last `span` frames
    gap = quat_mul(np.asarray(target_local, np.float64), quat_inv(local[..., -1, :, :]))  # (..., J, 4)
    gap = np.broadcast_to(gap[..., None, :, :], local.shape)
    identity = np.broadcast_to(np.array([1.0, 0.0, 0.0, 0.0]), local.shape)
    turn = quat_slerp(identity, gap, np.broadcast_to(w[:, None], local.shape[:-1]))
    shift = (np.asarray(target_root, np.float64) - root[..., -1, :])[..., None, :]
    return quat_mul(turn, local), root + w[:, None] * shift


@dataclass
class Pose:
    """Post-processed frames in feature order, canonical space, dataset units.

    network_positions -- (F, J, 3) what the networks say: predicted positions of the pos_rep joints,
                         FK positions (step 1) of the rot_rep joints
    positions         -- (F, J, 3) after the bone-length projection (rest bone lengths)
    rotations         -- (F, J, 3, 3) global rotations after re-orthonormalisation and the swing
    """

    network_positions: np.ndarray
    positions: np.ndarray
    rotations: np.ndarray


def rsmt_pose(pos_rep_positions: np.ndarray, rot6d: np.ndarray, roles: JointRoles, offsets: np.ndarray,
              swing_share: float = SWING_SHARE) -> Pose:
    """Steps 1-3 of the module docstring. pos_rep_positions (F, n_pos, 3) in `roles.pos_rep_idx` order,
    rot6d (F, J, 6) global 6D rotations, offsets (J, 3) rest offsets (dataset units, feature order);
    swing_share as `swing_to_positions`' share."""
    offsets = np.asarray(offsets, np.float64)
    parents = list(roles.parents)
    rot = sixd_to_matrix(rot6d).astype(np.float64)
    pred = np.asarray(pos_rep_positions, np.float64)
    fk = fk_positions(rot, pred[:, 0], offsets, parents)
    network = fk.copy()
    network[:, list(roles.pos_rep_idx)] = pred
    positions = project_bone_lengths(network, offsets, parents)
    rotations = swing_to_positions(rot, positions, offsets, parents, kept_rotation_joints(roles), swing_share)
    return Pose(network, positions, rotations)
