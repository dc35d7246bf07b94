"""Foot locking (inference/rsmt/footlock.py) on a synthetic walker: root, two legs of hip-knee-ankle, whose planted
feet slide. After locking the planted ankles hold still, bone lengths stay, the ends are untouched."""
from __future__ import annotations

import numpy as np

from inference.rsmt.footlock import (contacts, end_unreachable_runs, global_pose, hold_targets, legs, lock_feet,
                                     two_bone_ik)
from motion.rotations import quat_from_axis_angle

PARENTS = (-1, 0, 1, 2, 0, 4, 5)  # root; right hip, knee, ankle; left hip, knee, ankle
FEET = (3, 6)
OFFSETS = np.array([[0, 0, 0], [0.1, -0.05, 0], [0, -0.4, 0], [0, -0.4, 0],
                    [-0.1, -0.05, 0], [0, -0.4, 0], [0, -0.4, 0]], float)


def sliding_walk(frames: int = 30):
    """The root glides forward 0.5 cm per frame with bent knees, so both feet, near the floor, slide along;
    it is 5 cm higher over the first and last 8 frames (feet in the air there)."""
    bend = np.zeros((frames, 7, 4))
    bend[..., 0] = 1.0
    hip_flex = quat_from_axis_angle(np.array([1.0, 0, 0]), -0.3)
    knee_flex = quat_from_axis_angle(np.array([1.0, 0, 0]), 0.6)
    bend[:, [1, 4]] = hip_flex
    bend[:, [2, 5]] = knee_flex
    bend[:, [3, 6]] = quat_from_axis_angle(np.array([1.0, 0, 0]), -0.3)
    height = np.where((np.arange(frames) < 8) | (np.arange(frames) >= frames - 8), 0.85, 0.8)
    root = np.stack([np.zeros(frames), height, 0.005 * np.arange(frames)], axis=-1)
    return bend, root


def test_legs_are_found_from_the_foot_joints():
    assert legs(PARENTS, FEET) == [(1, 2, 3), (4, 5, 6)]
    assert legs((-1, 0, 1, 2, 3), (3, 4)) == [(1, 2, 3)]  # a toe below the ankle: the ankle's leg only


def test_two_bone_ik_reaches_the_goal_keeping_bone_lengths():
    hip, knee, ankle = np.zeros((1, 3)), np.array([[0, -0.4, 0.1]]), np.array([[0, -0.8, 0]])
    goal = np.array([[0.05, -0.7, 0.15]])
    new_knee, new_ankle = two_bone_ik(hip, knee, ankle, goal, 0.4123, 0.4123)
    np.testing.assert_allclose(new_ankle, goal, atol=1e-9)
    assert abs(np.linalg.norm(new_knee - hip) - 0.4123) < 1e-9 and abs(np.linalg.norm(new_ankle - new_knee) - 0.4123) < 1e-9


def test_contact_runs_are_held_and_blend_in_and_out():
    ankle = np.stack([np.zeros(12), np.zeros(12), 0.01 * np.arange(12)], axis=-1)
    contact = np.zeros(12, bool)
    contact[4:7] = True
    target, weight = hold_targets(ankle, contact, blend=2)
    assert np.all(weight[4:7] == 1.0) and np.all(target[4:7] == ankle[4])
    assert 0 < weight[3] < 1 and 0 < weight[7] < 1 and weight[0] == weight[-1] == 0
    contact[:] = True  # one run over everything: the ends stay, so the hold glides from the first to the last
    target, weight = hold_targets(ankle, contact)
    np.testing.assert_allclose(target, ankle, atol=1e-12)
    assert weight[0] == weight[-1] == 0


def held(ankle: np.ndarray, contact: np.ndarray) -> np.ndarray:
    target, weight = hold_targets(ankle, contact)
    return ankle + weight[:, None] * (target - ankle)


def test_a_hold_cut_off_by_the_last_frame_glides_instead_of_jumping():
    """Regression (walk > run > walk sequence): a planted foot that landing drags 12 cm a frame, in contact until
    two frames before the last (the landed keyframe, which never moves). Held at its first contact position,
    the hold could not fade out before the last frame and the foot jumped 0.73 m there."""
    n = 30
    ankle = np.stack([0.12 * np.arange(n), np.zeros(n), np.zeros(n)], axis=-1)
    contact = np.zeros(n, bool)
    contact[22:n - 2] = True
    steps = np.linalg.norm(np.diff(held(ankle, contact), axis=0), axis=-1)
    assert steps[-5:].max() <= 0.12 + 1e-9  # onto the last frame no faster than the foot was (held: 0.73 m)
    contact[:] = False
    contact[2:8] = True  # the same at the start: a run whose blend-in is cut off by the first frame
    steps = np.linalg.norm(np.diff(held(ankle, contact), axis=0), axis=-1)
    assert steps[:2].max() <= 0.12 + 1e-9  # (held: 0.22 m)
    contact[:] = False
    contact[10:14] = True  # a run in the middle is still held still
    out = held(ankle, contact)
    assert np.all(out[10:14] == ankle[10])


def test_planted_feet_stop_sliding():
    local, root = sliding_walk()
    _, before = global_pose(local, root, OFFSETS, PARENTS)
    floor = {a: float(before[:, a, 1].min()) for a in FEET}
    assert np.all(contacts(before[8:-8, 3], floor[3], 0.025))  # low: planted in the middle
    assert not np.any(contacts(before[:8, 3], floor[3], 0.025))
    assert not np.any(contacts(before[:, 3], floor[3] - 0.03, 0.025))  # 3 cm up: in the air
    locked = lock_feet(local, root, OFFSETS, PARENTS, FEET, floor, height_gate=0.025, pull_step=0.1)
    rot, after = global_pose(locked, root, OFFSETS, PARENTS)
    for a in FEET:
        slide_before = np.linalg.norm(np.diff(before[1:-1, a], axis=0), axis=-1).max()
        slide_after = np.linalg.norm(np.diff(after[8:-8, a], axis=0), axis=-1).max()
        assert slide_before > 0.0049 and slide_after < 1e-6  # held where the contact began
    np.testing.assert_allclose(after[[0, -1]], before[[0, -1]], atol=1e-6)  # first and last frame kept
    bones = np.linalg.norm(after[:, 1:] - after[:, list(PARENTS[1:])], axis=-1)
    np.testing.assert_allclose(bones, np.broadcast_to(np.linalg.norm(OFFSETS[1:], axis=-1), bones.shape), atol=1e-6)
    before_rot, _ = global_pose(local, root, OFFSETS, PARENTS)
    np.testing.assert_allclose(rot[:, [3, 6]], before_rot[:, [3, 6]], atol=1e-6)  # the feet do not tilt


def test_a_hold_out_of_the_legs_reach_ends_and_the_foot_is_planted_anew():
    """Regression (Bandai Namco model, held-out 40-frame transitions): a generated foot that steps with little
    clearance stays under the height gate for a whole stride while the body walks on; held where its run began,
    the leg was dragged at full stretch (holds up to 135 cm from the network's ankle). A run ends at the first
    frame whose hip is further than the leg's reach from where the run began, and the next contact frame begins
    a new one; a hold the leg can reach is kept however long."""
    n = 30
    ankle = np.stack([0.05 * np.arange(n), np.zeros(n), np.zeros(n)], axis=-1)  # low, 5 cm a frame
    hip = ankle + np.array([0.0, 0.8, 0.0])  # the body walks on above it
    contact = np.ones(n, bool)
    contact[25:] = False  # lifted for the last 5 frames
    reach = np.hypot(0.8, 0.22)  # the hip may move 22 cm (horizontally) past where the run began
    given = contact.copy()
    c = end_unreachable_runs(contact, ankle, hip, reach)
    assert c.tolist() == ([True] * 5 + [False]) * 4 + [True] + [False] * 5
    assert np.array_equal(contact, given)  # the input is left as it was
    out = held(ankle, c)
    for s in (6, 12):  # held where each run began (the first run glides in from the first frame)
        np.testing.assert_allclose(out[s:s + 5], np.broadcast_to(ankle[s], (5, 3)), atol=1e-12)
    assert np.all(end_unreachable_runs(contact, ankle, hip, 10.0) == contact)  # long legs: one run, as before
    hip[10:] = hip[9]  # the body stops: the run after the split is held however long it lasts
    assert end_unreachable_runs(contact, ankle, hip, reach)[:25].tolist() == [True] * 5 + [False] + [True] * 19


def test_lock_feet_ends_holds_the_leg_cannot_reach():
    """The lock itself: feet under the gate while the hip walks a metre on are not held where they started, the
    legs dragged straight behind the body frame after frame (the IK's clamp), but planted anew each time the
    hold falls out of reach. A straight leg is left only at the frame between two holds, which still blends the
    old one out."""
    local, root = sliding_walk()
    root = root.copy()
    root[:, 2] += np.linspace(0.0, 1.0, len(root))  # the body walks a metre while the feet stay low
    _, before = global_pose(local, root, OFFSETS, PARENTS)
    floor = {a: float(before[:, a, 1].min()) for a in FEET}
    _, after = global_pose(lock_feet(local, root, OFFSETS, PARENTS, FEET, floor, height_gate=0.025, pull_step=0.1),
                           root, OFFSETS, PARENTS)
    for h, k, a in legs(PARENTS, FEET):
        reach = np.linalg.norm(OFFSETS[k]) + np.linalg.norm(OFFSETS[a])
        assert np.linalg.norm(after[:, a] - before[:, a], axis=-1).max() > 0.01  # the feet were held
        straight = np.linalg.norm(after[:, a] - after[:, h], axis=-1) > reach - 1e-4
        assert 0 < straight.sum() and not np.any(straight[1:] & straight[:-1])  # planted anew, never dragged


def test_a_released_foot_catches_up_at_most_pull_step_faster_than_the_networks():
    """Regression (walk > run > walk, half of RSMT's swing): a hold ended out of the leg's reach let go of a foot
    far behind the network's, which jumped to it in one frame. The lock's pull changes by at most pull_step a
    frame, so the locked ankle never moves more than that further in a frame than the network's; without the
    limit the body walking 1.5 m here makes it jump 24 cm further."""
    local, root = sliding_walk()
    root = root.copy()
    root[:, 2] += np.linspace(0.0, 1.5, len(root))
    _, before = global_pose(local, root, OFFSETS, PARENTS)
    floor = {a: float(before[:, a, 1].min()) for a in FEET}
    network_steps = np.linalg.norm(np.diff(before[:, list(FEET)], axis=0), axis=-1)
    extra = {}
    for step in (10.0, 0.1, 0.03):
        _, after = global_pose(lock_feet(local, root, OFFSETS, PARENTS, FEET, floor, 0.025, step), root, OFFSETS,
                               PARENTS)
        extra[step] = (np.linalg.norm(np.diff(after[:, list(FEET)], axis=0), axis=-1) - network_steps).max()
        assert np.linalg.norm(after[:, list(FEET)] - before[:, list(FEET)], axis=-1).max() > 0.02  # still held
    assert extra[10.0] > 0.2
    assert extra[0.1] <= 0.1 + 1e-6 and extra[0.03] <= 0.03 + 1e-6
