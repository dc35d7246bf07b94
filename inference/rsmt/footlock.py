"""Foot locking for generated transitions: feet that touch the floor stay put.

Ours, not RSMT's (which has no foot clean-up: foot contact is only a training loss). A generated transition
can slide its feet while they are planted, and landing it on the target keyframe (`inference.rsmt.postprocess.
land_on_target`) adds to that. Here each leg's first foot joint (the ankle: a foot joint whose parent is not
one) is in contact where it is within 2.5 cm of its planted height, the height gate of RSMT's foot-skate
metric (a height test alone: a generated foot that slides on the floor is exactly what must be caught, so
its speed cannot be part of the test; measured on the held-out transitions, adding a speed limit of 2, 5 or
10 cm per frame leaves most of the sliding in); during each contact it is held at one position, and the hip
and knee are re-solved with two-bone IK so the ankle reaches it (the knee stays in the leg's current bending
plane, the ankle keeps its world orientation, so the foot does not tilt). A contact ends where the hold is out
of the leg's reach, and the foot is planted anew (`end_unreachable_runs`). A few frames before and after a
contact blend the hold in and out. The first and last frames are never moved (the hand-over from the context,
the landed keyframe): a contact whose blend would reach one of them glides to that frame's position instead of
being held (`hold_targets`). However the holds begin and end, the lock's pull on a foot (where it puts the ankle
less where the network put it) never grows or shrinks by more than PULL_STEP_CM a frame (`limit_pulls`), so a
foot released far from where the network's foot has got to catches up over several frames instead of jumping.

Positions in the caller's units; y is up. Everything is float64 numpy on (frames, joints, ...) arrays,
vectorised over frames and legs where it can be (it runs on every transition request); the runs are walked
frame by frame (each one's end depends on where it began).
"""
from __future__ import annotations

import numpy as np

from inference.rsmt.postprocess import from_to_rotation, local_rotations
from motion.fk import forward_kinematics
from motion.rotations import cross, matrix_to_quat, quat_to_matrix

BLEND_FRAMES = 3  # frames over which a hold blends in before a contact and out after it
HEIGHT_GATE_CM = 2.5  # contact: within this of the planted height (RSMT's foot-skate gate)
PULL_STEP_CM = 10.0  # the most the lock's pull on an ankle changes in a frame (3 m/s at 30 fps; see limit_pulls)
_EPS = 1e-9


def global_pose(local: np.ndarray, root: np.ndarray, offsets: np.ndarray, parents) -> tuple[np.ndarray, np.ndarray]:
    """Local quaternions (F, J, 4), root positions (F, 3), rest offsets (J, 3) -> global rotation matrices
    (F, J, 3, 3) and positions (F, J, 3), float64 (from `motion.fk.forward_kinematics`)."""
    pos, quats = forward_kinematics(np.asarray(local)[None], np.asarray(root)[None], np.asarray(offsets)[None], parents)
    return quat_to_matrix(quats[0]).astype(np.float64), pos[0].astype(np.float64)


def legs(parents, feet) -> list[tuple[int, int, int]]:
    """(hip, knee, ankle) of every leg: the foot joints whose parent is not a foot joint, with their parent
    and grandparent."""
    feet = set(feet)
    return [(parents[parents[f]], parents[f], f) for f in sorted(feet) if parents[f] not in feet]


def contacts(ankle: np.ndarray, floor: float, height_gate: float) -> np.ndarray:
    """(F,) bool: the joint (F, 3) is less than height_gate above the floor (or below it)."""
    return ankle[:, 1] - floor < height_gate


def end_unreachable_runs(contact: np.ndarray, ankle: np.ndarray, hip: np.ndarray, reach: float) -> np.ndarray:
    """`contact` (F,) with each run ended at its first frame whose hip (F, 3) is further than `reach` (the leg's
    length) from the run's first ankle position (F, 3), where its hold pins the foot: that frame is left out, and
    the next contact frame begins a new run. Why: a generated foot that steps with little clearance stays under
    the height gate for a whole stride while the body walks on. Held where its run began, the leg was dragged at
    full stretch: on the Bandai Namco model's held-out 40-frame transitions, 50 of 75 had a hold 20-135 cm from
    the network's own ankle, and the lock raised L2P from 2.57 to 2.91 (2.64 with runs ended here;
    `scripts/foot_lock_runs.py` compares this with ending runs at a fixed drift). A hold the leg can reach is
    kept however long (a foot planted while the body gets up)."""
    out = np.array(contact, bool)
    start = -1
    for t in np.flatnonzero(out):
        if start < 0 or not out[t - 1]:
            start = t
            continue
        d = hip[t] - ankle[start]
        if np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) > reach:
            out[t] = False
            start = -1
    return out


def hold_targets(ankle: np.ndarray, contact: np.ndarray, blend: int = BLEND_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """Where the ankle should be (F, 3) and how strongly (F,) in [0, 1]: each run of contact frames held at
    the position of its first frame, blended in and out over `blend` frames; never at the first and last
    frame. Those two never move (the hand-over from the context, the landed keyframe), so a run whose blend
    reaches one of them cannot fade out there: its hold glides instead, from the first frame's position to
    the run's start, and from the run's start to the last frame's position over the rest of the transition.
    A hold cut off at the last frame jumped the foot by what it had slid meanwhile (0.64 m in one frame at the
    run > walk junction of a walk > run > walk sequence, where landing drags a planted foot along)."""
    n = len(ankle)
    target, weight = ankle.copy(), np.zeros(n)
    edges = np.diff(np.concatenate([[0], np.asarray(contact, np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1  # runs starts[r]..ends[r]
    if len(starts):
        t = np.arange(n)
        distance = np.maximum(np.maximum(starts[:, None] - t, t - ends[:, None]), 0)  # (runs, frames)
        w = 1.0 - distance / (blend + 1)
        w = np.where(distance <= blend, w * w * (3.0 - 2.0 * w), 0.0)
        best = np.argmax(w, axis=0)  # the strongest run of each frame, the earliest on a tie
        weight = w[best, t]
        s = starts[:, None, None]
        tt = t[None, :, None]
        at_start = ankle[starts][:, None, :]  # (runs, 1, 3)
        hold = np.broadcast_to(at_start, (len(starts), n, 3))
        glide_in = ((starts - blend <= 0) & (starts > 0))[:, None, None] & (tt < s)
        into = ankle[0] + (tt / np.maximum(s, 1)) * (at_start - ankle[0])
        glide_out = ((ends + blend >= n - 1) & (starts < n - 1))[:, None, None] & (tt > s)
        out_of = at_start + ((tt - s) / np.maximum(n - 1 - s, 1)) * (ankle[n - 1] - at_start)
        hold = np.where(glide_out, out_of, np.where(glide_in, into, hold))
        held = weight > 0
        target[held] = hold[best[held], t[held]]
    weight[0] = weight[-1] = 0.0
    return target, weight


def limit_pulls(pull: np.ndarray, step: float) -> np.ndarray:
    """The lock's pulls (F, ..., 3) on an ankle (goal less the network's ankle), each shortened as little as
    possible so that no pull's length differs by more than `step` from the previous frame's: the lengths become
    their largest envelope of slope `step` (min over s of |pull_s| + step |t - s|, exactly, as one forward and
    one backward running minimum), the directions are kept. Why: a hold ended because the body has walked out of
    the leg's reach, or a switch to the next hold, left the foot up to a metre behind the network's in one
    frame; the blend of BLEND_FRAMES could not spread that (walk > run > walk with half of RSMT's swing: an
    ankle moved 0.9 m in one landing frame, tests/inference/test_inference_sequence.py). Under the envelope the
    foot leaves such a hold in time to catch up at most `step` a frame faster than the network's. The first and
    last frames pull nothing, so neither do their neighbours beyond what `step` allows."""
    length = np.linalg.norm(pull, axis=-1)  # (F, ...)
    n = len(length)
    ramp = step * np.arange(n, dtype=np.float64).reshape((n,) + (1,) * (length.ndim - 1))
    forward = np.minimum.accumulate(length - ramp, axis=0) + ramp
    backward = np.flip(np.minimum.accumulate(np.flip(length + ramp, axis=0), axis=0), axis=0) - ramp
    envelope = np.minimum(forward, backward)
    return pull * np.where(length > 0, envelope / np.maximum(length, _EPS), 0.0)[..., None]


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, goal: np.ndarray, upper,
                lower) -> tuple[np.ndarray, np.ndarray]:
    """New knee and ankle positions (F, 3) for an ankle at `goal` (clamped to the leg's reach), the knee
    kept in the plane of the hip, the goal and its current position; upper, lower: the bone lengths (floats,
    or (F, 1) for legs of several lengths)."""
    to_goal = goal - hip
    d = np.linalg.norm(to_goal, axis=-1, keepdims=True)
    u = to_goal / np.maximum(d, _EPS)
    d = np.clip(d, abs(upper - lower) + 1e-6, upper + lower - 1e-6)
    bend = knee - hip
    v = bend - np.sum(bend * u, axis=-1, keepdims=True) * u
    v_len = np.linalg.norm(v, axis=-1, keepdims=True)
    fallback = cross(u, np.array([1.0, 0.0, 0.0]))  # a straight leg: bend towards any perpendicular
    v = np.where(v_len > 1e-6, v / np.maximum(v_len, _EPS), fallback / np.maximum(
        np.linalg.norm(fallback, axis=-1, keepdims=True), _EPS))
    cos_a = np.clip((upper ** 2 + d ** 2 - lower ** 2) / (2 * upper * d), -1.0, 1.0)
    new_knee = hip + upper * (cos_a * u + np.sqrt(1.0 - cos_a ** 2) * v)
    return new_knee, hip + d * u


def lock_feet(local: np.ndarray, root: np.ndarray, offsets: np.ndarray, parents, feet, floor: dict,
              height_gate: float, pull_step: float) -> np.ndarray:
    """Local quaternions (F, J, 4) with the planted feet held (see the module docstring); root positions
    (F, 3), rest offsets (J, 3), floor {ankle joint: its planted height}; height_gate (HEIGHT_GATE_CM) and
    pull_step (PULL_STEP_CM) in the same units."""
    local = np.asarray(local, np.float64)
    offsets = np.asarray(offsets, np.float64)
    rot, pos = global_pose(local, np.asarray(root, np.float64), offsets, parents)
    out_rot = rot.copy()
    chains = legs(parents, feet)
    if chains:
        reach = [np.linalg.norm(offsets[k]) + np.linalg.norm(offsets[a]) for _, k, a in chains]
        held = [hold_targets(pos[:, a], end_unreachable_runs(contacts(pos[:, a], floor[a], height_gate), pos[:, a],
                                                             pos[:, h], r)) for (h, _, a), r in zip(chains, reach)]
        ankles = pos[:, [a for _, _, a in chains]]  # (F, legs, 3)
        pull = np.stack([w[:, None] * (g - ankles[:, i]) for i, (g, w) in enumerate(held)], axis=1)
        pull = limit_pulls(pull, pull_step)
        frames, leg = np.nonzero(np.any(pull != 0, axis=-1))  # every pulled (frame, leg) at once
        h, k, a = (np.asarray(j)[leg] for j in zip(*chains))
        p_h, p_k, p_a = pos[frames, h], pos[frames, k], pos[frames, a]
        goal = p_a + pull[frames, leg]
        knee, ankle = two_bone_ik(p_h, p_k, p_a, goal, np.linalg.norm(offsets[k], axis=-1)[:, None],
                                  np.linalg.norm(offsets[a], axis=-1)[:, None])
        swing_hip = from_to_rotation(_unit(p_k - p_h), _unit(knee - p_h))
        moved_shin = swing_hip @ (p_a - p_k)[..., None]
        swing_knee = from_to_rotation(_unit(moved_shin[..., 0]), _unit(ankle - knee))
        out_rot[frames, h] = swing_hip @ rot[frames, h]
        out_rot[frames, k] = swing_knee @ swing_hip @ rot[frames, k]
    return _local_from_global(out_rot, parents, local)


def planted_heights(roles, reference_pos, cm_per_unit: float) -> dict[int, float]:
    """{ankle joint: its planted height} for `lock_feet` on a motion in units of which `cm_per_unit` make a
    centimetre: the lowest 2% of the ankle's height over `reference_pos`, a list of (F, J, 3) arrays in
    centimetres (the clips the transition joins). It depends on those clips alone, so the generator keeps it
    per pair of clips."""
    return {a: float(np.quantile(np.concatenate([p[:, a, 1] for p in reference_pos]), 0.02)) / cm_per_unit
            for _, _, a in legs(roles.parents, roles.feet)}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), _EPS)


def _local_from_global(rot: np.ndarray, parents, like: np.ndarray) -> np.ndarray:
    """Global matrices (F, J, 3, 3) -> local quaternions, each kept on the hemisphere of `like`'s."""
    q = local_rotations(matrix_to_quat(rot).astype(np.float64), parents)
    return np.where(np.sum(q * like, axis=-1, keepdims=True) < 0, -q, q)
