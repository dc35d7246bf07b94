"""resample, mirror, slice_frames and concatenate: properties checked through FK and by hand."""
import numpy as np
import pytest

from motion import rotations as R
from motion.fk import world_positions
from motion.motion import Motion
from motion.ops import concatenate, find_mirror_pairs, mirror, resample, slice_frames
from motion.skeleton import Skeleton

ZYX = ("Zrotation", "Yrotation", "Xrotation")
ROOT = ("Xposition", "Yposition", "Zposition") + ZYX

# a CMU-like tree: (name, parent)
CMU_LIKE = [("Hips", None), ("LHipJoint", "Hips"), ("LeftUpLeg", "LHipJoint"), ("LeftLeg", "LeftUpLeg"),
            ("RHipJoint", "Hips"), ("RightUpLeg", "RHipJoint"), ("RightLeg", "RightUpLeg"),
            ("LowerBack", "Hips"), ("LeftArm", "LowerBack"), ("LThumb", "LeftArm"),
            ("RightArm", "LowerBack"), ("RThumb", "RightArm")]


def make_skeleton(tree, rng):
    names = [n for n, _ in tree]
    parents = [-1 if p is None else names.index(p) for _, p in tree]
    offsets = rng.normal(size=(len(names), 3)).astype(np.float32)  # deliberately asymmetric
    return Skeleton(names, parents, offsets, [ROOT] + [ZYX] * (len(names) - 1),
                    end_sites={len(names) - 1: np.array([0.5, 0.2, 0.1], np.float32)})


def make_motion(rng, frames=20, fps=30.0, tree=CMU_LIKE):
    sk = make_skeleton(tree, rng)
    rotations = R.quat_normalize(rng.normal(size=(frames, sk.num_joints, 4)))
    translations = np.broadcast_to(sk.offsets, (frames, sk.num_joints, 3)).copy()
    translations[:, 0] = rng.normal(size=(frames, 3)) * 5
    return Motion(sk, rotations, translations, fps, name="clip", warnings=["repaired x"])


# --------------------------------------------------------------------------- resample

def test_resample_same_fps_is_an_exact_copy():
    m = make_motion(np.random.default_rng(0))
    out = resample(m, 30)
    np.testing.assert_array_equal(out.rotations, m.rotations)
    np.testing.assert_array_equal(out.translations, m.translations)
    assert out.rotations is not m.rotations and out.fps == 30 and out.warnings == m.warnings


def test_resample_integer_downsampling_picks_original_frames_exactly():
    m = make_motion(np.random.default_rng(1), frames=21, fps=60.0)
    out = resample(m, 30)
    assert out.num_frames == 11 and out.fps == 30
    np.testing.assert_array_equal(out.rotations, m.rotations[::2])
    np.testing.assert_array_equal(out.translations, m.translations[::2])


def test_resample_upsampling_interpolates_between_frames():
    m = make_motion(np.random.default_rng(2), frames=10, fps=30.0)
    out = resample(m, 60)
    assert out.num_frames == 19
    np.testing.assert_array_equal(out.rotations[::2], m.rotations)
    np.testing.assert_allclose(out.translations[1::2], (m.translations[:-1] + m.translations[1:]) / 2, atol=1e-5)
    # the in-between rotation is halfway along the shorter arc: equally far from both neighbours
    mid, a, b = out.rotations[1::2], m.rotations[:-1], m.rotations[1:]
    to_a = R.quat_to_axis_angle(R.quat_mul(R.quat_inv(a), mid))[1]
    to_b = R.quat_to_axis_angle(R.quat_mul(R.quat_inv(mid), b))[1]
    np.testing.assert_allclose(to_a, to_b, atol=1e-4)
    np.testing.assert_allclose(R.quat_to_axis_angle(R.quat_mul(R.quat_inv(a), b))[1], 2 * to_a, atol=1e-4)


def test_resample_constant_spin_lands_on_the_exact_angles_and_keeps_duration():
    # a joint spinning about Y at 40 deg/s, sampled at 30 fps with random sign flips (q and -q)
    rng = np.random.default_rng(3)
    m = make_motion(rng, frames=31, fps=30.0)
    times = np.arange(31) / 30.0
    spin = R.euler_to_quat(np.stack([np.zeros(31), 40.0 * times, np.zeros(31)], -1), "ZYX")
    m.rotations[:, 3] = spin * rng.choice([-1.0, 1.0], size=(31, 1)).astype(np.float32)
    out = resample(m, 24)
    assert out.num_frames == 25
    assert (out.num_frames - 1) / out.fps == pytest.approx((m.num_frames - 1) / m.fps)
    angles = R.quat_to_euler(out.rotations[:, 3], "ZYX")
    np.testing.assert_allclose(angles[:, 1], 40.0 * np.arange(25) / 24.0, atol=1e-3)
    np.testing.assert_allclose(angles[:, [0, 2]], 0.0, atol=1e-3)


def test_resample_rejects_bad_fps():
    m = make_motion(np.random.default_rng(4))
    for bad in (0, -5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="fps"):
            resample(m, bad)


# --------------------------------------------------------------------------- mirror

def test_find_mirror_pairs_recognises_common_naming_schemes():
    def pairs(tree):
        return sorted(find_mirror_pairs(make_skeleton(tree, np.random.default_rng(0))))

    assert pairs(CMU_LIKE) == [("LHipJoint", "RHipJoint"), ("LThumb", "RThumb"), ("LeftArm", "RightArm"),
                               ("LeftLeg", "RightLeg"), ("LeftUpLeg", "RightUpLeg")]
    assert pairs([("root", None), ("right_hip", "root"), ("left_hip", "root"), ("chest", "root")]) == [
        ("right_hip", "left_hip")]
    assert pairs([("hip", None), ("lShldr", "hip"), ("rShldr", "hip"), ("l_foot", "hip"), ("r_foot", "hip"),
                  ("Hand.L", "hip"), ("Hand.R", "hip"), ("Bip01 L Thigh", "hip"), ("Bip01 R Thigh", "hip"),
                  ("ThighL", "hip"), ("ThighR", "hip"), ("LowerBack", "hip"), ("Root", "hip")]) == sorted([
        ("Bip01 L Thigh", "Bip01 R Thigh"), ("Hand.L", "Hand.R"), ("ThighL", "ThighR"), ("l_foot", "r_foot"),
        ("lShldr", "rShldr")])


def mirrored_positions_expected(m, axis):
    sk = m.skeleton
    pairs = dict(find_mirror_pairs(sk))
    pairs.update({b: a for a, b in list(pairs.items())})
    perm = [sk.index(pairs.get(n, n)) for n in sk.names]
    flip = np.ones(3, np.float32)
    flip["xyz".index(axis)] = -1
    return world_positions(m)[:, perm] * flip


@pytest.mark.parametrize("axis", ["x", "z"])
def test_mirror_is_the_mirror_image_in_world_space(axis):
    m = make_motion(np.random.default_rng(5))
    out = mirror(m, axis=axis)
    np.testing.assert_allclose(world_positions(out), mirrored_positions_expected(m, axis), atol=1e-4)


def test_mirror_twice_is_identity():
    m = make_motion(np.random.default_rng(6))
    twice = mirror(mirror(m))
    np.testing.assert_array_equal(twice.rotations, m.rotations)
    np.testing.assert_array_equal(twice.translations, m.translations)
    np.testing.assert_array_equal(twice.skeleton.offsets, m.skeleton.offsets)
    assert twice.skeleton.channels == m.skeleton.channels and twice.skeleton.names == m.skeleton.names
    assert twice.skeleton.end_sites.keys() == m.skeleton.end_sites.keys()
    for j, e in m.skeleton.end_sites.items():
        np.testing.assert_array_equal(twice.skeleton.end_sites[j], e)


def test_mirror_by_hand_left_arm_raised_becomes_right_arm_raised():
    rng = np.random.default_rng(7)
    m = make_motion(rng, frames=1)
    m.rotations[:] = R.quat_identity(m.skeleton.num_joints)
    left, right = m.skeleton.index("LeftArm"), m.skeleton.index("RightArm")
    m.rotations[0, left] = R.euler_to_quat([30.0, 20.0, 10.0], "ZYX")
    out = mirror(m)
    # reflection in x: rotations about y and z change sign, about x stays
    np.testing.assert_allclose(R.quat_to_euler(out.rotations[0, right], "ZYX"), [-30.0, -20.0, 10.0], atol=1e-4)
    np.testing.assert_allclose(out.rotations[0, left], [1, 0, 0, 0], atol=1e-7)
    # the mirrored skeleton's right hip offset is the reflected left one
    np.testing.assert_allclose(out.skeleton.offsets[m.skeleton.index("RightUpLeg")],
                               m.skeleton.offsets[m.skeleton.index("LeftUpLeg")] * [-1, 1, 1])


def test_mirror_with_explicit_pairs_and_errors():
    m = make_motion(np.random.default_rng(8), tree=[("root", None), ("a", "root"), ("b", "root")])
    out = mirror(m, pairs=[("a", "b")])
    np.testing.assert_array_equal(out.rotations[:, 1], m.rotations[:, 2] * np.float32([1, 1, -1, -1]))
    np.testing.assert_array_equal(mirror(m, pairs=[(1, 2)]).rotations, out.rotations)
    assert np.array_equal(mirror(m).rotations[:, 1], m.rotations[:, 1] * np.float32([1, 1, -1, -1]))  # no pairs
    with pytest.raises(ValueError, match="no joint named 'c'"):
        mirror(m, pairs=[("a", "c")])
    with pytest.raises(ValueError, match="paired twice"):
        mirror(m, pairs=[("a", "b"), ("b", "root")])
    with pytest.raises(ValueError, match="axis"):
        mirror(m, axis="w")
    lopsided = make_motion(np.random.default_rng(9), tree=[("root", None), ("LeftArm", "root"),
                                                          ("RightArm", "LeftArm")])
    with pytest.raises(ValueError, match="not mirror partners"):
        mirror(lopsided)


# --------------------------------------------------------------------------- slice and concatenate

def test_slice_frames_follows_python_slices_and_copies():
    m = make_motion(np.random.default_rng(10), frames=10)
    out = slice_frames(m, 2, 5)
    np.testing.assert_array_equal(out.rotations, m.rotations[2:5])
    np.testing.assert_array_equal(slice_frames(m, -3, None).translations, m.translations[-3:])
    assert slice_frames(m, 0, 100).num_frames == 10
    out.rotations[:] = 0
    assert np.all(np.linalg.norm(m.rotations, axis=-1) > 0.99)
    with pytest.raises(ValueError, match="select nothing from a 10-frame clip"):
        slice_frames(m, 5, 5)


def test_concatenate_joins_clips_on_the_same_skeleton():
    rng = np.random.default_rng(11)
    m = make_motion(rng, frames=10)
    a, b = slice_frames(m, 0, 4), slice_frames(m, 4, None)
    joined = concatenate([a, b])
    np.testing.assert_array_equal(joined.rotations, m.rotations)
    np.testing.assert_array_equal(joined.translations, m.translations)
    assert joined.fps == 30
    with pytest.raises(ValueError, match="resample first"):
        concatenate([a, resample(b, 60)])
    with pytest.raises(ValueError, match="different skeleton"):
        concatenate([a, make_motion(rng, frames=3)])
    with pytest.raises(ValueError, match="at least one"):
        concatenate([])


def test_mirror_keeps_a_symmetric_skeleton_unchanged():
    # DeepMimic-style: Y up, left/right along Z, so the mirror plane is normal to Z
    sk = Skeleton(["root", "right_hip", "left_hip"], [-1, 0, 0], [[0, 0, 0], [0.1, 0, 0.08], [0.1, 0, -0.08]],
                  [ROOT, ZYX, ZYX])
    m = Motion(sk, R.quat_identity((4, 3)), np.broadcast_to(sk.offsets, (4, 3, 3)), fps=30)
    np.testing.assert_array_equal(mirror(m, axis="z").skeleton.offsets, sk.offsets)
    np.testing.assert_array_equal(mirror(m, axis="z").translations, m.translations)
