"""RSMT post-processing (inference/rsmt/postprocess.py): which joints keep their predicted rotation, the FK fill
of the rot_rep joints, the bone-length projection, and the swing towards predicted positions."""
from __future__ import annotations

import numpy as np
import pytest

from inference.rsmt.postprocess import (LANDING_FRAMES, SWING_SHARE, fk_positions, from_to_rotation,
                                   kept_rotation_joints, land_on_target, local_rotations, project_bone_lengths,
                                   rsmt_pose, swing_to_positions)
from motion.deepmimic import humanoid3d_skeleton
from motion.fk import global_transforms
from motion.joint_roles import STYLE100_ORDER, roles_for
from motion.rotations import matrix_to_6d, matrix_to_quat, quat_from_axis_angle, quat_to_matrix, sixd_to_matrix
from motion.skeleton import Skeleton


def style100_skeleton() -> Skeleton:
    parents = [-1, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 12, 13, 12, 15, 16, 17, 12, 19, 20, 21]
    side = {"Left": 1.0, "Right": -1.0}
    offsets = []
    for name in STYLE100_ORDER:
        s = next((v for k, v in side.items() if name.startswith(k)), 0.0)
        base = name.removeprefix("Left").removeprefix("Right")
        offsets.append({"Hip": (10 * s, -5, 0), "Knee": (0, -40, 0), "Ankle": (0, -40, 0), "Toe": (0, -5, 12),
                        "Collar": (5 * s, 5, 0), "Shoulder": (12 * s, 0, 0), "Elbow": (25 * s, 0, 0),
                        "Wrist": (22 * s, 0, 0), "Neck": (0, 10, 0), "Head": (0, 12, 0)}.get(base, (0, 10, 0)))
    offsets[0] = (0, 0, 0)
    channels = [("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")] + \
               [("Zrotation", "Yrotation", "Xrotation")] * 22
    return Skeleton(list(STYLE100_ORDER), parents, offsets, channels)


def test_kept_joints_are_the_official_list_for_100style():
    roles = roles_for(style100_skeleton())
    assert roles.rot_rep_idx == (1, 5, 9, 10, 11, 12, 13, 15, 19)
    end_effectors, multi_child = {4, 8, 14, 18, 22}, {0, 12}
    assert set(kept_rotation_joints(roles)) == end_effectors | multi_child | {9, 10, 11, 12, 13, 15, 19}


def test_kept_joints_for_humanoid3d():
    roles = roles_for(humanoid3d_skeleton())
    names = [roles.names[j] for j in kept_rotation_joints(roles)]
    # root and chest have several children; neck, ankles and elbows end their chains; shoulders are torso
    assert sorted(names) == sorted(["root", "chest", "neck", "right_ankle", "right_shoulder", "right_elbow",
                                    "left_ankle", "left_shoulder", "left_elbow"])


def test_from_to_rotation_including_opposite_vectors():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 3))
    a /= np.linalg.norm(a, axis=-1, keepdims=True)
    b = rng.normal(size=(50, 3))
    b /= np.linalg.norm(b, axis=-1, keepdims=True)
    b[:3] = -a[:3]  # half turns
    b[3] = a[3]  # no turn
    r = from_to_rotation(a, b)
    np.testing.assert_allclose(np.einsum("nij,nj->ni", r, a), b, atol=1e-9)
    np.testing.assert_allclose(r @ r.transpose(0, 2, 1), np.broadcast_to(np.eye(3), r.shape), atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-9)
    np.testing.assert_allclose(r[3], np.eye(3), atol=1e-12)


@pytest.fixture
def posed():
    """A random humanoid3d pose sequence: local rotations, global rotations and FK positions (cm)."""
    sk = humanoid3d_skeleton()
    roles = roles_for(sk)
    rng = np.random.default_rng(1)
    frames, j = 6, sk.num_joints
    local = quat_from_axis_angle(rng.normal(size=(frames, j, 3)), rng.uniform(0, 1.2, size=(frames, j)))
    trans = np.broadcast_to(sk.offsets * 100, (frames, j, 3)).copy()
    trans[:, 0] = rng.normal(size=(frames, 3)) * 50
    quats, pos = global_transforms(sk, local, trans)
    return roles, sk.offsets.astype(np.float64) * 100, local, quat_to_matrix(quats).astype(np.float64), pos


def test_consistent_prediction_comes_back_unchanged(posed):
    """Positions that are the FK of the rotations: projection, swing and IK change nothing."""
    roles, offsets, local, rot, pos = posed
    pose = rsmt_pose(pos[:, list(roles.pos_rep_idx)], matrix_to_6d(rot), roles, offsets)
    np.testing.assert_allclose(pose.network_positions, pos, atol=1e-3)
    np.testing.assert_allclose(pose.positions, pos, atol=1e-3)
    np.testing.assert_allclose(pose.rotations, rot, atol=1e-5)
    back = local_rotations(matrix_to_quat(pose.rotations).astype(np.float64), roles.parents)
    dots = np.abs(np.sum(back * local, axis=-1))
    np.testing.assert_allclose(dots, 1.0, atol=1e-5)


def test_noisy_prediction_keeps_bone_lengths_and_points_bones_at_predicted_joints(posed):
    roles, offsets, _, rot, pos = posed
    rng = np.random.default_rng(2)
    noisy_pos = pos[:, list(roles.pos_rep_idx)] + rng.normal(size=(len(pos), len(roles.pos_rep_idx), 3)) * 3.0
    noisy_6d = matrix_to_6d(rot) + rng.normal(size=rot.shape[:2] + (6,)) * 0.05  # not orthonormal any more
    pose = rsmt_pose(noisy_pos, noisy_6d, roles, offsets)
    parents = np.asarray(roles.parents)
    # the network positions: predicted joints as given, rot_rep joints by FK of the (orthonormalised) rotations
    np.testing.assert_allclose(pose.network_positions[:, list(roles.pos_rep_idx)], noisy_pos, atol=1e-9)
    fk = fk_positions(_orthonormal(noisy_6d), noisy_pos[:, 0], offsets, parents)
    np.testing.assert_allclose(pose.network_positions[:, list(roles.rot_rep_idx)], fk[:, list(roles.rot_rep_idx)],
                               atol=1e-4)
    # rest bone lengths after the projection
    lengths = np.linalg.norm(pose.positions[:, 1:] - pose.positions[:, parents[1:]], axis=-1)
    np.testing.assert_allclose(lengths, np.broadcast_to(np.linalg.norm(offsets[1:], axis=-1), lengths.shape),
                               atol=1e-6)
    # every rotation orthonormal; RSMT's full swing points a joint's rest bone at its child's projected
    # position, and the pose's rotation is SWING_SHARE of the way there from the predicted one
    np.testing.assert_allclose(pose.rotations @ pose.rotations.swapaxes(-1, -2),
                               np.broadcast_to(np.eye(3), pose.rotations.shape), atol=1e-5)
    kept = set(kept_rotation_joints(roles))
    swung = [j for j in range(roles.num_joints) if j not in kept]
    assert swung  # the hips, knees of humanoid3d
    predicted = _orthonormal(noisy_6d)
    full = swing_to_positions(predicted, pose.positions, offsets, list(parents), tuple(kept), share=1.0)
    for j in swung:
        k = int(np.nonzero(parents == j)[0][0])
        np.testing.assert_allclose(pose.positions[:, j] + full[:, j] @ offsets[k], pose.positions[:, k], atol=1e-4)
        whole, done, rest = (_angle(a, b) for a, b in ((predicted[:, j], full[:, j]), (predicted[:, j],
                                                       pose.rotations[:, j]), (pose.rotations[:, j], full[:, j])))
        assert whole.max() > 0.05  # the noise made the swing turn
        np.testing.assert_allclose(done, SWING_SHARE * whole, atol=1e-5)
        np.testing.assert_allclose(rest, (1 - SWING_SHARE) * whole, atol=1e-5)
    for j in kept:
        np.testing.assert_allclose(pose.rotations[:, j], _orthonormal(noisy_6d)[:, j], atol=1e-6)


def _orthonormal(sixd):
    return sixd_to_matrix(sixd).astype(np.float64)


def _angle(a, b):
    """The angle (rad) of the rotation between matrices a and b, (F, 3, 3) each."""
    cos = (np.trace(a.swapaxes(-1, -2) @ b, axis1=-2, axis2=-1) - 1) / 2
    return np.arccos(np.clip(cos, -1.0, 1.0))


def test_projection_moves_joints_along_their_bones():
    parents = [-1, 0, 1]
    offsets = np.array([[0, 0, 0], [0, 2.0, 0], [3.0, 0, 0]])
    pos = np.array([[[0, 0, 0], [0, 5.0, 0], [0, 5.0, 1.0]]])
    out = project_bone_lengths(pos, offsets, parents)
    np.testing.assert_allclose(out[0], [[0, 0, 0], [0, 2, 0], [0, 2 + 9 / np.sqrt(10), 3 / np.sqrt(10)]])


def test_landing_blends_the_gap_onto_the_keyframe():
    rng = np.random.default_rng(5)
    length, joints = 12, 4
    local = quat_from_axis_angle(rng.normal(size=(length, joints, 3)), rng.uniform(0, 1, (length, joints)))
    root = rng.normal(size=(length, 3))
    key = quat_from_axis_angle(rng.normal(size=(joints, 3)), rng.uniform(0, 1, joints))
    key_root = rng.normal(size=3)
    landed, landed_root = land_on_target(local, root, key, key_root)
    same = np.minimum(np.abs(landed[-1] - key).max(axis=-1), np.abs(landed[-1] + key).max(axis=-1))
    assert same.max() < 1e-6 and np.allclose(landed_root[-1], key_root)
    # only the last LANDING_FRAMES (10) frames move, frame k of them by smoothstep(k / 10) of the gap:
    # little at first, monotonically more
    moved = np.linalg.norm(landed_root - root, axis=-1)
    gap = np.linalg.norm(key_root - root[-1])
    assert LANDING_FRAMES == 10 and np.all(moved[:length - 10] == 0)
    assert np.allclose(landed[:length - 10], local[:length - 10])
    assert moved[length - 10] == pytest.approx(gap * (3 / 10**2 - 2 / 10**3))
    assert np.all(np.diff(moved[length - 10:]) > 0)
    np.testing.assert_allclose(np.linalg.norm(landed, axis=-1), 1.0, atol=1e-6)
    # a transition shorter than the blend is blended over its whole length
    short, short_root = land_on_target(local, root, key, key_root, blend_frames=100)
    assert np.linalg.norm(short_root[0] - root[0]) == pytest.approx(gap * (3 / length**2 - 2 / length**3))
    assert np.allclose(short_root[-1], key_root)
    with pytest.raises(ValueError, match="at least 1"):
        land_on_target(local, root, key, key_root, blend_frames=0)
    # no gap, no change
    same_local, same_root = land_on_target(local, root, local[-1], root[-1])
    assert np.allclose(same_root, root) and np.allclose(np.abs(np.sum(same_local * local, axis=-1)), 1.0, atol=1e-6)
