"""Forward kinematics against poses worked out by hand and against a per-frame matrix reference."""
import numpy as np
import pytest

from motion import rotations as R
from motion.fk import global_transforms, world_positions
from motion.motion import Motion
from motion.skeleton import Skeleton


def chain_skeleton():
    """root -> a -> b -> tip, the root with position channels."""
    return Skeleton(
        names=["root", "a", "b", "tip"],
        parents=[-1, 0, 1, 2],
        offsets=[[0, 0, 0], [2, 0, 0], [0, 3, 0], [1, 0, 0]],
        channels=[("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")]
        + [("Zrotation", "Yrotation", "Xrotation")] * 3,
    )


def q(order, angles):
    return R.euler_to_quat(np.array(angles, np.float32), order)


def test_three_joint_chain_matches_hand_computed_positions():
    sk = chain_skeleton()
    rotations = np.stack([
        # frame 0: rest pose
        R.quat_identity(4),
        # frame 1: root 90 deg about Z, a 90 deg about X, b 90 deg about Y
        np.stack([q("ZYX", [90, 0, 0]), q("ZYX", [0, 0, 90]), q("ZYX", [0, 90, 0]), R.quat_identity()]),
    ])
    translations = np.broadcast_to(sk.offsets, (2, 4, 3)).copy()
    translations[:, 0] = [1, 2, 3]
    world_q, world_p = global_transforms(sk, rotations, translations)
    assert world_q.shape == (2, 4, 4) and world_p.shape == (2, 4, 3)
    assert world_q.dtype == np.float32 and world_p.dtype == np.float32

    # rest: offsets add up
    np.testing.assert_allclose(world_p[0], [[1, 2, 3], [3, 2, 3], [3, 5, 3], [4, 5, 3]], atol=1e-6)
    # posed, by hand:
    #   a   = root + Rz90 (2,0,0) = (1,2,3) + (0,2,0)                        = (1,4,3)
    #   b   = a + Rz90 Rx90 (0,3,0) = a + Rz90 (0,0,3) = a + (0,0,3)         = (1,4,6)
    #   tip = b + Rz90 Rx90 Ry90 (1,0,0) = b + Rz90 Rx90 (0,0,-1)
    #       = b + Rz90 (0,1,0) = b + (-1,0,0)                                = (0,4,6)
    np.testing.assert_allclose(world_p[1], [[1, 2, 3], [1, 4, 3], [1, 4, 6], [0, 4, 6]], atol=1e-5)
    # the tip's world rotation is the product of the chain; it takes +X to (-1, 0, 0) as above
    np.testing.assert_allclose(R.quat_rotate(world_q[1, 3], [1.0, 0.0, 0.0]), [-1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(world_q[1, 0], rotations[1, 0], atol=1e-7)


def reference_fk(sk, rotations, translations):
    """Frame by frame with 4x4 homogeneous matrices: independent of the vectorised quaternion code."""
    mats = R.quat_to_matrix(rotations).astype(np.float64)
    frames, joints = rotations.shape[:2]
    out = np.zeros((frames, joints, 3))
    for f in range(frames):
        world = [None] * joints
        for j in range(joints):
            local = np.eye(4)
            local[:3, :3] = mats[f, j]
            local[:3, 3] = translations[f, j]
            world[j] = local if sk.parents[j] < 0 else world[sk.parents[j]] @ local
            out[f, j] = world[j][:3, 3]
    return out


def random_tree(rng, joints):
    parents = [-1] + [int(rng.integers(0, j)) for j in range(1, joints)]
    return Skeleton([f"j{j}" for j in range(joints)], parents, rng.normal(size=(joints, 3)),
                    [("Zrotation", "Xrotation", "Yrotation")] * joints)


def test_branching_tree_matches_per_frame_matrix_reference():
    rng = np.random.default_rng(0)
    sk = random_tree(rng, 12)
    rotations = R.quat_normalize(rng.normal(size=(25, 12, 4)))
    translations = np.broadcast_to(sk.offsets, (25, 12, 3)).copy()
    translations[:, 0] = rng.normal(size=(25, 3)) * 10
    world_q, world_p = global_transforms(sk, rotations, translations)
    np.testing.assert_allclose(world_p, reference_fk(sk, rotations, translations), atol=1e-4)
    # world rotation of a joint = world rotation of its parent * its local rotation
    for j in range(1, 12):
        p = sk.parents[j]
        np.testing.assert_allclose(R.quat_to_matrix(world_q[:, j]),
                                   R.quat_to_matrix(world_q[:, p]) @ R.quat_to_matrix(rotations[:, j]), atol=1e-5)


def test_world_positions_of_a_motion_and_input_validation():
    rng = np.random.default_rng(1)
    sk = random_tree(rng, 5)
    rotations = R.quat_normalize(rng.normal(size=(3, 5, 4)))
    translations = np.broadcast_to(sk.offsets, (3, 5, 3)).copy()
    motion = Motion(sk, rotations, translations, fps=30)
    np.testing.assert_allclose(world_positions(motion), reference_fk(sk, rotations, translations), atol=1e-5)
    with pytest.raises(ValueError, match="rotations must be"):
        global_transforms(sk, rotations[:, :4], translations)
    with pytest.raises(ValueError, match="translations must be"):
        global_transforms(sk, rotations, translations[:2])
