"""RSMT / DeepPhase features and joint roles on synthetic motion and the embedded humanoid3d clips."""
import json

import numpy as np
import pytest

from motion import features as F
from motion.deepmimic import humanoid3d_skeleton, load_embedded
from motion.joint_roles import (STYLE100_ORDER, JointRoles, JointRolesError, generic_roles, reorder_motion,
                                roles_for)
from motion.motion import Motion
from motion.rotations import quat_from_axis_angle, quat_identity
from motion.skeleton import Skeleton

from style100_hierarchy import STYLE100_HIERARCHY as STYLE100_FIXTURE  # tests/style100_hierarchy.py


def style100_skeleton() -> Skeleton:
    names = [n for n, _, _ in STYLE100_FIXTURE]
    parents = [-1 if p is None else names.index(p) for _, p, _ in STYLE100_FIXTURE]
    channels = [("Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation")] + \
               [("Yrotation", "Xrotation", "Zrotation")] * (len(names) - 1)
    return Skeleton(names, parents, [o for _, _, o in STYLE100_FIXTURE], channels)


def turning_motion(skeleton: Skeleton, frames=40, yaw0=0.7, yaw_rate=0.05, speed=(3.0, 0.0, -2.0)) -> Motion:
    """A rigid rest pose whose root turns about Y at a constant rate and moves at constant velocity."""
    j = skeleton.num_joints
    rot = np.tile(quat_identity(), (frames, j, 1))
    yaw = yaw0 + yaw_rate * np.arange(frames)
    rot[:, 0] = quat_from_axis_angle(np.tile([0.0, 1.0, 0.0], (frames, 1)), yaw)
    trans = np.tile(skeleton.offsets, (frames, 1, 1))
    trans[:, 0] = np.array([5.0, 90.0, -7.0]) + np.arange(frames)[:, None] * np.array(speed)
    return Motion(skeleton, rot, trans, 30.0)


def test_style100_roles_match_rsmt():
    sk = style100_skeleton()
    roles = roles_for(sk, "fixture")
    assert roles.names == STYLE100_ORDER
    assert roles.rot_rep_idx == (1, 5, 9, 10, 11, 12, 13, 15, 19)  # StyleVAENet.py:118
    assert len(roles.pos_rep_idx) == 14 and roles.pos_rep_idx[0] == 0
    assert (roles.left_hip, roles.right_hip, roles.feet) == (1, 5, (3, 4, 7, 8))
    assert roles.mirror[1] == 5 and roles.mirror[15] == 19 and roles.mirror[9] == 9
    assert roles.lateral_axis == 0
    assert JointRoles.from_dict(json.loads(json.dumps(roles.to_dict()))) == roles
    m = reorder_motion(turning_motion(sk, frames=2), roles)
    assert m.skeleton.names == list(STYLE100_ORDER)
    assert all(p < j for j, p in enumerate(m.skeleton.parents))
    # reordering keeps the world pose
    src = turning_motion(sk, frames=2)
    p_src, _ = F.global_pose(src, generic_roles(sk))
    p_new, _ = F.global_pose(src, roles)
    np.testing.assert_allclose(p_new, p_src[:, list(roles.source_index)], atol=1e-4)


def test_humanoid3d_roles_and_bad_skeleton():
    roles = roles_for(humanoid3d_skeleton())
    assert roles.rot_rep_idx == (1, 2, 3, 6, 8, 11)
    assert roles.names[roles.left_hip] == "left_hip" and [roles.names[f] for f in roles.feet] == ["left_ankle", "right_ankle"]
    assert roles.lateral_axis == 2
    bad = Skeleton(["root", "a", "b"], [-1, 0, 1], np.zeros((3, 3)), [("Xposition",)] * 3)
    with pytest.raises(JointRolesError, match="somefile.bvh: cannot find the left hip"):
        roles_for(bad, "somefile.bvh")


def test_facing_canonicalisation_known_yaw():
    sk = style100_skeleton()
    roles = roles_for(sk)
    m = turning_motion(sk, yaw0=0.7, yaw_rate=0.05)
    pos, rot = F.global_pose(m, roles)
    # the rest pose faces +Z; a yaw of a about Y turns +Z to (sin a, 0, cos a)
    yaw = 0.7 + 0.05 * np.arange(m.num_frames)
    np.testing.assert_allclose(F.facing_directions(pos, roles), np.stack([np.sin(yaw), 0 * yaw, np.cos(yaw)], -1),
                               atol=1e-5)
    cpos, crot = F.canonicalize(pos[:30], rot[:30], roles, ref_frame=10)
    np.testing.assert_allclose(F.facing_directions(cpos[10], roles), [1, 0, 0], atol=1e-5)
    np.testing.assert_allclose(cpos[:, 0, [0, 2]].mean(axis=0), [0, 0], atol=1e-4)
    np.testing.assert_allclose(cpos[:, 0, 1], pos[:30, 0, 1], atol=1e-4)  # heights untouched
    # the hips' rotation at the reference frame maps forward (+Z in the rest pose) onto +X: Ry(+90 deg)
    np.testing.assert_allclose(crot[10, 0], [0, 0, 1, 0, 1, 0], atol=1e-5)
    # canonical features do not depend on where the clip was or which way it faced
    turn = F.yaw_to_x(np.array([np.cos(2.0), 0.0, np.sin(2.0)]))  # a world yaw of 2 rad
    pos2 = pos @ turn.T + np.array([100.0, 0.0, 50.0])
    rot2 = turn @ rot
    cpos2, crot2 = F.canonicalize(pos2[:30], rot2[:30], roles)
    np.testing.assert_allclose(cpos2, cpos, atol=1e-3)
    np.testing.assert_allclose(crot2, crot, atol=1e-5)


def test_sixd_of_known_rotations():
    roles = roles_for(humanoid3d_skeleton())
    j = roles.num_joints
    pos = np.zeros((11, j, 3), np.float32)
    pos[:, roles.left_hip] = [0, 0, -1]  # facing +X already
    pos[:, roles.right_hip] = [0, 0, 1]
    rot = np.tile(np.eye(3, dtype=np.float32), (11, j, 1, 1))
    rot[:, 4] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]  # 90 degrees about Z
    rot[:, 5] = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]  # 90 degrees about X
    _, r6 = F.canonicalize(pos, rot, roles)
    np.testing.assert_allclose(r6[3, 0], [1, 0, 0, 0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(r6[3, 4], [0, -1, 0, 1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(r6[3, 5], [1, 0, 0, 0, 0, -1], atol=1e-6)


def test_velocity_features_of_a_rigid_turning_walk():
    sk = style100_skeleton()
    roles = roles_for(sk)
    speed = np.array([3.0, 0.0, -2.0])
    m = turning_motion(sk, yaw_rate=0.0, speed=tuple(speed))
    pos, rot = F.global_pose(m, roles)
    # PAE velocities: a rigid pose in its own facing space does not move
    np.testing.assert_allclose(F.local_velocities(pos, roles), 0.0, atol=1e-4)
    turning = turning_motion(sk, yaw_rate=0.1, speed=(0.0, 0.0, 0.0))
    tpos, trot = F.global_pose(turning, roles)
    np.testing.assert_allclose(F.local_velocities(tpos, roles), 0.0, atol=1e-4)
    # style-encoder velocity: world displacement seen from the frame's facing (+X forward, +Z right)
    feats = F.style_features(pos, rot, roles)
    fwd = F.facing_directions(pos[0], roles)
    right = np.cross(fwd, [0.0, 1.0, 0.0])
    expect = [speed @ fwd, 0.0, speed @ right]
    np.testing.assert_allclose(feats["vel"][:, 0], np.tile(expect, (len(pos) - 1, 1)), atol=1e-4)
    assert feats["pos"].shape == feats["vel"].shape == (len(pos) - 1, 23, 3) and feats["rot"].shape == (len(pos) - 1, 23, 6)
    np.testing.assert_allclose(feats["pos"][:, 0, [0, 2]], 0.0, atol=1e-4)  # centred on each frame's hips


def test_pae_windows_shapes_and_centring():
    m = load_embedded("humanoid3d_dance_a")
    roles = roles_for(m.skeleton)
    pos, _ = F.global_pose(m, roles, 100.0)
    n = len(pos)
    vel = F.local_velocities(pos, roles)
    x = F.phase_windows(pos, roles)
    assert x.shape == (n - 61, 3 * 13, 61)
    sl = F.phase_frames(n)
    assert sl.start == 31 and len(range(n)[sl]) == len(x)
    np.testing.assert_allclose(x.mean(axis=-1), 0.0, atol=1e-4)
    # row k, channel j*3+c is velocity k..k+60 of joint j, axis c, minus its mean; centred on frame k+31
    k, j, c = 5, 7, 2
    window = vel[k:k + 61, j, c]
    np.testing.assert_allclose(x[k, j * 3 + c], window - window.mean(), atol=1e-4)
    train = F.pae_training_windows(pos, roles)
    assert train.shape == (len(F.window_starts(n, 62, 60)), 39, 61)
    np.testing.assert_allclose(train[0], x[0], atol=1e-5)


def test_mirror_twice_is_identity_and_mirror_is_a_valid_pose():
    m = load_embedded("humanoid3d_walk")
    roles = roles_for(m.skeleton)
    pos, rot = F.global_pose(m, roles)
    mp, mr = F.mirror_global(pos, rot, roles)
    pp, rr = F.mirror_global(mp, mr, roles)
    np.testing.assert_allclose(pp, pos, atol=1e-6)
    np.testing.assert_allclose(rr, rot, atol=1e-6)
    # the mirrored pose is FK-consistent with the (symmetric) skeleton, and rotations stay proper
    off = humanoid3d_skeleton().offsets
    for c, p in enumerate(roles.parents):
        if p >= 0:
            np.testing.assert_allclose(mp[:, c] - mp[:, p], mr[:, p] @ off[c], atol=1e-5)
    np.testing.assert_allclose(np.linalg.det(mr), 1.0, atol=1e-5)
    # the same as mirroring the clip itself (local rotations) and running FK
    from motion.ops import mirror
    np.testing.assert_allclose(F.global_pose(mirror(m, axis="z"), roles)[0], mp, atol=1e-5)
    # the left foot of the mirror walks where the right foot walked, reflected across the XY plane
    np.testing.assert_allclose(mp[:, roles.feet[0]], pos[:, roles.feet[1]] * [1, 1, -1], atol=1e-6)
    # canonical features of the mirror: the same motion reflected across the canonical XY plane
    cp, _ = F.canonicalize(pos[:20], rot[:20], roles)
    cmp_, _ = F.canonicalize(mp[:20], mr[:20], roles)
    np.testing.assert_allclose(cmp_[:, list(roles.mirror)] * [1, 1, -1], cp, atol=1e-4)


def test_temporal_scaling_changes_length():
    m = load_embedded("humanoid3d_walk")
    for gamma in (0.5, 2.0, 1.3):
        s = F.temporal_scale(m, gamma)
        assert s.fps == m.fps
        assert s.num_frames == round((m.num_frames - 1) * gamma) + 1
    np.testing.assert_allclose(F.temporal_scale(m, 2.0).rotations[::2], m.rotations, atol=1e-5)
    rng = np.random.default_rng(3)
    for _ in range(10):
        s, gamma = F.random_temporal_scale(m, rng)
        assert 0.5 <= gamma <= 2.0 and 2 <= s.num_frames <= m.num_frames
    with pytest.raises(ValueError):
        F.temporal_scale(m, 0.0)


def test_statistics_are_json_and_shaped():
    m = load_embedded("humanoid3d_run")
    roles = roles_for(m.skeleton)
    pos, rot = F.global_pose(m, roles, 100.0)
    stats = F.style_statistics(F.style_features(pos[None], rot[None], roles))
    assert np.array(stats["pos_mean"]).shape == (13, 3) and np.array(stats["rot_mean"]).shape == (13, 6)
    assert np.array(stats["vel_mean"]).shape == (13, 3) and stats["vel_std"] > 0
    cpos, _ = F.canonicalize(pos[None, :20], rot[None, :20], roles)
    bench = F.position_statistics(cpos)
    assert np.array(bench["std"]).shape == (13, 3)
    json.dumps({"style": stats, "bench": bench})
    manifold = F.phase_manifold(np.array([[0.05, 0.1]]), np.array([[0.25, 0.5]]))
    np.testing.assert_allclose(manifold, [[[0, 0.5], [-1, 0]]], atol=1e-6)
