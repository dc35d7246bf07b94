"""The vectorised per-request work of a transition (forward kinematics by depth level, the RSMT post-processing,
foot locking, the PAE window from cached facing-space positions) equals the straightforward per-joint and
per-frame loops it replaced. The loops are kept here, and only here, as the reference."""
from __future__ import annotations

import math

import numpy as np
import pytest

from inference.rsmt import footlock
from inference.rsmt.models import random_rsmt_weights
from inference.rsmt.postprocess import (_children, _normalize, fk_positions, from_to_rotation, kept_rotation_joints,
                                        project_bone_lengths, secondary_axes, swing_to_positions)
from inference.rsmt.transition import TransitionGenerator, _extend
from motion import features as F
from motion.deepmimic import load_embedded
from motion.fk import depth_levels, global_transforms
from motion.resample import to_30fps
from motion.rotations import cross, quat_from_axis_angle, quat_normalize, quat_to_matrix
from motion.skeleton import Skeleton

TIGHT = dict(rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- the reference loops

def fk_reference(skeleton, rotations, translations):
    """motion.fk.global_transforms as one step per joint."""
    rot = np.ascontiguousarray(rotations.transpose(2, 1, 0), dtype=np.float64)
    pos = np.ascontiguousarray(translations.transpose(2, 1, 0), dtype=np.float64)
    world_rot, world_pos = np.empty_like(rot), np.empty_like(pos)
    world_rot[:, 0], world_pos[:, 0] = rot[:, 0], pos[:, 0]
    for j in range(1, skeleton.num_joints):
        p = skeleton.parents[j]
        pw, px, py, pz = world_rot[:, p]
        vx, vy, vz = pos[:, j]
        tx, ty, tz = 2.0 * (py * vz - pz * vy), 2.0 * (pz * vx - px * vz), 2.0 * (px * vy - py * vx)
        world_pos[0, j] = world_pos[0, p] + vx + pw * tx + (py * tz - pz * ty)
        world_pos[1, j] = world_pos[1, p] + vy + pw * ty + (pz * tx - px * tz)
        world_pos[2, j] = world_pos[2, p] + vz + pw * tz + (px * ty - py * tx)
        lw, lx, ly, lz = rot[:, j]
        world_rot[:, j] = [pw * lw - px * lx - py * ly - pz * lz, pw * lx + px * lw + py * lz - pz * ly,
                           pw * ly - px * lz + py * lw + pz * lx, pw * lz + px * ly - py * lx + pz * lw]
    return (world_rot.transpose(2, 1, 0).astype(np.float32), world_pos.transpose(2, 1, 0).astype(np.float32))


def fk_positions_reference(rot, hip, offsets, parents):
    pos = np.empty(rot.shape[:-1])
    pos[:, 0] = hip
    for j in range(1, len(parents)):
        pos[:, j] = pos[:, parents[j]] + rot[:, parents[j]] @ offsets[j]
    return pos


def project_reference(pos, offsets, parents):
    out = pos.copy()
    lengths = np.linalg.norm(offsets, axis=-1)
    for j in range(1, len(parents)):
        p = parents[j]
        out[:, j] = out[:, p] + _normalize(pos[:, j] - out[:, p]) * lengths[j]
    return out


def swing_reference(rot, pos, offsets, parents, kept):
    out = rot.copy()
    children = _children(parents)
    axes = secondary_axes(offsets)
    for j in range(len(parents)):
        if j in kept or len(children[j]) != 1:
            continue
        k = children[j][0]
        bone = _normalize(pos[:, k] - pos[:, j])
        swing = from_to_rotation(_normalize(offsets[k])[None], bone)
        wanted = rot[:, j] @ axes[k]
        wanted = _normalize(wanted - np.sum(wanted * bone, axis=-1, keepdims=True) * bone)
        out[:, j] = from_to_rotation(swing @ axes[k], wanted) @ swing
    return out


def hold_targets_reference(ankle, contact, blend=footlock.BLEND_FRAMES):
    n = len(ankle)
    target, weight = ankle.copy(), np.zeros(n)
    runs, start = [], None
    for t in range(n + 1):
        if t < n and contact[t] and start is None:
            start = t
        elif (t == n or not contact[t]) and start is not None:
            runs.append((start, t - 1))
            start = None
    frames = np.arange(n)[:, None]
    for s, e in runs:
        lo, hi = max(s - blend, 0), min(e + blend, n - 1)
        hold = np.repeat(ankle[s][None], n, axis=0)
        if lo == 0 and s > 0:  # from the first frame's position to the run's start
            hold = np.where(frames < s, ankle[0] + (frames / s) * (ankle[s] - ankle[0]), hold)
        if hi == n - 1 and s < n - 1:  # from the run's start to the last frame's position
            hold = np.where(frames > s, ankle[s] + ((frames - s) / (n - 1 - s)) * (ankle[n - 1] - ankle[s]), hold)
        for t in range(lo, hi + 1):
            distance = s - t if t < s else (t - e if t > e else 0)
            w = 1.0 - distance / (blend + 1)
            w = w * w * (3.0 - 2.0 * w)
            if w > weight[t]:
                weight[t], target[t] = w, hold[t]
    weight[0] = weight[-1] = 0.0
    return target, weight


def limit_pulls_reference(pull, step):
    """footlock.limit_pulls of one leg's pulls (F, 3) by its definition: each length becomes the least of
    |pull_s| + step |t - s| over every frame s."""
    length = np.linalg.norm(pull, axis=-1)
    out = pull.copy()
    for t in range(len(pull)):
        envelope = min(length[s] + step * abs(t - s) for s in range(len(pull)))
        out[t] = pull[t] * (envelope / length[t]) if length[t] > 0 else 0.0
    return out


def lock_feet_reference(local, root, offsets, parents, feet, floor, height_gate, pull_step):
    """footlock.lock_feet one leg after the other."""
    rot, pos = footlock.global_pose(local, root, offsets, parents)
    out_rot = rot.copy()
    for h, k, a in footlock.legs(parents, feet):
        goal, weight = hold_targets_reference(pos[:, a], footlock.contacts(pos[:, a], floor[a], height_gate))
        pull = limit_pulls_reference(weight[:, None] * (goal - pos[:, a]), pull_step)
        frames = np.any(pull != 0, axis=-1)
        if not frames.any():
            continue
        goal = pos[frames, a] + pull[frames]
        knee, ankle = footlock.two_bone_ik(pos[frames, h], pos[frames, k], pos[frames, a], goal,
                                           np.linalg.norm(offsets[k]), np.linalg.norm(offsets[a]))
        swing_hip = from_to_rotation(footlock._unit(pos[frames, k] - pos[frames, h]),
                                     footlock._unit(knee - pos[frames, h]))
        moved_shin = swing_hip @ (pos[frames, a] - pos[frames, k])[..., None]
        swing_knee = from_to_rotation(footlock._unit(moved_shin[..., 0]), footlock._unit(ankle - knee))
        out_rot[frames, h] = swing_hip @ rot[frames, h]
        out_rot[frames, k] = swing_knee @ swing_hip @ rot[frames, k]
    return footlock._local_from_global(out_rot, parents, local)


# --------------------------------------------------------------------------- inputs

def random_skeleton(rng, joints: int = 31) -> Skeleton:
    parents = [-1] + [int(rng.integers(0, j)) for j in range(1, joints)]
    offsets = rng.normal(size=(joints, 3))
    return Skeleton([f"j{j}" for j in range(joints)], parents, offsets, [("Xrotation",)] * joints)


def random_quats(rng, shape):
    return quat_normalize(rng.normal(size=shape + (4,))).astype(np.float64)


def test_depth_levels_cover_every_joint_once_after_its_parent():
    rng = np.random.default_rng(0)
    sk = random_skeleton(rng)
    seen = {0}
    for joints, parents in depth_levels(sk.parents):
        assert set(parents.tolist()) <= seen and not set(joints.tolist()) & seen
        np.testing.assert_array_equal(parents, sk.parents[joints])
        seen |= set(joints.tolist())
    assert seen == set(range(sk.num_joints))
    assert depth_levels([-1]) == ()


def test_forward_kinematics_equals_the_per_joint_loop():
    rng = np.random.default_rng(1)
    for sk in (random_skeleton(rng), random_skeleton(rng, 5), load_embedded("humanoid3d_walk").skeleton):
        rot = random_quats(rng, (17, sk.num_joints)).astype(np.float32)
        trans = rng.normal(size=(17, sk.num_joints, 3)).astype(np.float32)
        for got, want in zip(global_transforms(sk, rot, trans), fk_reference(sk, rot, trans)):
            np.testing.assert_allclose(got, want, **TIGHT)


def test_cross_is_numpys():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(7, 5, 3)), rng.normal(size=(5, 3))
    np.testing.assert_array_equal(cross(a, b), np.cross(a, b))


def test_rsmt_post_processing_equals_the_per_joint_loops():
    from motion.joint_roles import roles_for

    rng = np.random.default_rng(3)
    roles = roles_for(load_embedded("humanoid3d_walk").skeleton)
    parents = list(roles.parents)
    offsets = rng.normal(size=(roles.num_joints, 3))
    rot = quat_to_matrix(random_quats(rng, (23, roles.num_joints))).astype(np.float64)
    hip = rng.normal(size=(23, 3))
    pos = fk_positions(rot, hip, offsets, parents)
    np.testing.assert_allclose(pos, fk_positions_reference(rot, hip, offsets, parents), atol=1e-12)
    noisy = pos + rng.normal(scale=0.1, size=pos.shape)
    projected = project_bone_lengths(noisy, offsets, parents)
    np.testing.assert_allclose(projected, project_reference(noisy, offsets, parents), **TIGHT)
    kept = kept_rotation_joints(roles)
    np.testing.assert_allclose(swing_to_positions(rot, projected, offsets, parents, kept, share=1.0),
                               swing_reference(rot, projected, offsets, parents, kept), atol=1e-12)


def test_hold_targets_equal_the_per_frame_loop():
    rng = np.random.default_rng(4)
    for trial in range(200):
        n = int(rng.integers(2, 70))
        ankle = rng.normal(size=(n, 3))
        contact = rng.random(n) < rng.random()
        if trial == 0:
            contact[:] = True
        blend = int(rng.integers(0, 6))
        for got, want in zip(footlock.hold_targets(ankle, contact, blend),
                             hold_targets_reference(ankle, contact, blend)):
            np.testing.assert_array_equal(got, want)


def test_lock_feet_equals_the_leg_by_leg_loop():
    parents, feet = (-1, 0, 1, 2, 0, 4, 5), (3, 6)
    offsets = np.array([[0, 0, 0], [0.1, -0.05, 0], [0, -0.4, 0], [0, -0.4, 0],
                        [-0.1, -0.05, 0], [0, -0.45, 0], [0, -0.38, 0]], float)  # legs of two lengths
    frames = 40
    swing = 0.5 * np.sin(np.linspace(0, 4 * math.pi, frames))
    local = np.zeros((frames, 7, 4))
    local[..., 0] = 1.0
    x = np.array([1.0, 0, 0])
    local[:, 1], local[:, 4] = quat_from_axis_angle(x, swing), quat_from_axis_angle(x, -swing)
    local[:, 2], local[:, 5] = quat_from_axis_angle(x, 0.3 + swing), quat_from_axis_angle(x, 0.3 - swing)
    root = np.stack([np.zeros(frames), np.full(frames, 0.8), 0.01 * np.arange(frames)], axis=-1)
    _, pos = footlock.global_pose(local, root, offsets, parents)
    floor = {a: float(pos[:, a, 1].min()) for a in feet}
    results = {}
    for step in (0.004, 1.0):  # a limit on the pulls that binds here, and one that does not
        got = footlock.lock_feet(local, root, offsets, parents, feet, floor, 0.03, step)
        want = lock_feet_reference(local, root, offsets, parents, feet, floor, 0.03, step)
        assert not np.allclose(got, local, atol=1e-3)  # something was held
        np.testing.assert_allclose(got, want, atol=1e-12)
        results[step] = got
    assert not np.allclose(results[0.004], results[1.0], atol=1e-3)


def test_limit_pulls_equals_its_definition():
    rng = np.random.default_rng(8)
    for trial in range(100):
        n = int(rng.integers(1, 50))
        pull = rng.normal(size=(n, 3)) * (rng.random((n, 1)) < 0.6)
        step = float(rng.uniform(0.05, 2.0))
        got = footlock.limit_pulls(pull, step)
        np.testing.assert_allclose(got, limit_pulls_reference(pull, step), atol=1e-12)
        both = footlock.limit_pulls(np.stack([pull, pull[::-1]], axis=1), step)  # (F, legs, 3): legs apart
        np.testing.assert_allclose(both[:, 1], limit_pulls_reference(pull[::-1], step), atol=1e-12)


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    return TransitionGenerator(random_rsmt_weights(tmp_path_factory.mktemp("rsmt_vec"), seed=5))


def phase_reference(generator, clip, frame):
    """TransitionGenerator._phase as it was: the PAE window re-derived from the clip's world positions."""
    half = F.PAE_WINDOW // 2 + 1
    pos = clip.pos
    if frame + F.PAE_WINDOW - half >= len(pos) and clip.native.meta.get("loop") == "wrap":
        needed = int(math.ceil((frame + F.PAE_WINDOW) * clip.native.fps / F.FPS)) + 2
        ext = to_30fps(_extend(clip.native, clip.roles, needed))
        pos = F.global_pose(ext, clip.roles, generator.model.position_scale)[0].astype(np.float64)
    idx = np.clip(np.arange(frame - half, frame + F.PAE_WINDOW - half + 1), 0, len(pos) - 1)
    out = generator.runner("torch", "rsmt_phase")(x=F.pae_input(F.local_velocities(pos[idx], clip.roles)[None]))
    return F.phase_manifold(out["a"][0, :, 0], out["p"][0, :, 0])


@pytest.mark.parametrize("name", ["walk", "jump"])  # 30 and 60 fps, both looping
def test_phase_from_cached_facing_positions_equals_the_window_from_positions(generator, name):
    motion = load_embedded(f"humanoid3d_{name}")
    clip = generator._clip(motion, "source")
    no_loop = generator._clip(type(motion)(motion.skeleton, motion.rotations, motion.translations, motion.fps), "source")
    for c in (clip, no_loop):
        for frame in (0, 5, len(c.pos) // 2, len(c.pos) - 31, len(c.pos) - 2, len(c.pos) - 1):
            np.testing.assert_allclose(generator._phase(c, frame, "torch"), phase_reference(generator, c, frame),
                                       **TIGHT)
