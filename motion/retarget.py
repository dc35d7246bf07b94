"""Retargeting: a clip on one humanoid skeleton played on another (any joint names, bone axes, rest pose).

How (the characterisation of MotionBuilder's HumanIK, in a few lines of algebra):

1. Each rig's body parts come from `joint_roles.humanoid_parts` (or a user's JointMap JSON).
2. Each rig has a rest pose: the pose with all local rotations zero when that is a standing body (legs
   below the hips, left arm and left leg on the same side), else the clip's frame nearest to standing
   with the limbs hanging down (Bandai Namco's bones run along local X, so its zero pose folds every bone
   onto +X). A JointMap saved to JSON keeps that rest pose, so a round trip through such a rig is exact.
3. In the rest pose every mapped joint gets a canonical frame K: x along the bone (towards the next part:
   hips -> spine, thigh -> knee, foot -> toe ...; hands, heads and toes continue their parent's bone),
   z the body's forward direction (up for feet and toes) made orthogonal to x. C = inv(rest world
   rotation) * K is fixed in the joint's own frame, so in any frame G * C is where the part "points".
4. Transfer: target G_t = W * G_s * C_s * inv(C_t), with W the rotation between the two rigs' world axes
   (up and forward snapped to the nearest axis). Bone directions and twist therefore match in world
   space whatever the local axes or rest rotations, and A -> B -> A gives A's rotations back exactly.
5. Chains of different lengths (spine, neck) are parametrised by rest arc length from the hips (chest
   top for the neck) and each target joint takes the slerp of the source frames around its parameter.
   Their bones are then placed: the chord of each chain (its start to its end: hips to chest top, chest
   top to head), in the start joint's canonical frame, is carried over turned by the fixed rotation
   between the two rigs' rest chords, and the chain ends on it (`_chords`), so the chest and head come
   back where they were after a round trip through a rig that can reach them. In between, a target with
   no more bending joints than the source follows the source's curve; one with more lays its bones on an
   arc (`_arc_bones`), since the source's single kink (Bandai bends its spine only at 64% of its height,
   CMU from the hips up) says nothing of how the body bends between.
   A part one rig lacks: a hand follows its forearm, a toe its foot; anything else (collars, CMU's
   LHipJoint, fingers, twist bones, Bandai's static joint_Root) keeps its rest rotation.
6. Hinges: on humanoid3d, whose knees and elbows bend about their local Z only, a limb's twist is moved
   to the upper bone (`_onto_hinge`) so both bones point as in the source and the hinge stays a hinge.
7. Root motion: the hips' world position times the ratio of leg lengths (thigh + shin), so the ground
   (height 0) stays the ground and strides scale with the legs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from motion.fk import depth_levels, global_transforms, world_positions
from motion.joint_map import JointMap, Rig
from motion.joint_roles import CHAIN_PARTS, JointRolesError, humanoid_parts
from motion.lru import LruCache, content
from motion.motion import Motion
from motion.rotations import (cross, matrix_to_quat, quat_inv, quat_make_continuous, quat_mul, quat_rotate,
                              quat_slerp)
from motion.skeleton import Skeleton

# Parts whose canonical frame uses the body's up axis as second axis (they point forward).
_UP_SECONDARY = ("foot", "toe")
# A part a rig lacks that follows another part of the same rig (same canonical frame at rest).
_FOLLOWS = {"hand": "lower_arm", "toe": "foot"}


class RetargetError(ValueError):
    """A skeleton that cannot be mapped (message names the file and the parts)."""


# --------------------------------------------------------------------------- what depends on the rigs alone

# Rest poses per skeleton and rest pose, and `_Plan`s per pair of rigs: a transition maps every request back
# onto its source's skeleton with the same two rigs, and their analysis (rest poses, canonical frames, chain
# parameters) cost some 50 ms of a 55 ms retarget of 31 frames. Keyed by content, so a skeleton or map that
# is edited (in place or as a copy) is analysed again.
_CACHE = LruCache(size=32)


def _skeleton_key(sk: Skeleton) -> tuple:
    return (tuple(sk.names), content(sk.parents), content(sk.offsets),
            tuple((int(j), content(e)) for j, e in sorted(sk.end_sites.items())))


def _rig_key(rig: Rig) -> tuple:
    """Everything of a rig its analysis reads: skeleton, parts (in their order) and rest pose; not `where`,
    which only errors name (and a rig whose analysis fails is not cached)."""
    parts = tuple((p, tuple(v) if isinstance(v, list) else v) for p, v in rig.parts.items())
    return _skeleton_key(rig.skeleton), parts, content(rig.rest_rotations())


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


# --------------------------------------------------------------------------- rigs and rest poses

def make_rig(motion: Motion, where=None) -> Rig:
    """The rig of a clip found automatically: parts by name and hierarchy, rest pose as in the module doc.
    RetargetError names the file and the parts that could not be found."""
    where = where or motion.source or motion.name or "skeleton"
    try:
        parts = humanoid_parts(motion.skeleton, str(where))
    except JointRolesError as e:
        raise RetargetError(str(e)) from None
    rig = Rig(motion.skeleton, parts, where=str(where))
    if not _is_standing(rig) and motion.num_frames:
        rig.rest_frame = _neutral_frame(motion, parts)
        rig.rest = motion.rotations[rig.rest_frame].copy()
    return rig


def _neutral_frame(motion: Motion, parts: dict) -> int:
    """The frame closest to standing with arms and legs hanging straight down (each limb bone's direction
    against the hips-to-head direction summed); the twist of each bone is measured from this pose, so a
    clip that starts mid-gesture still gets a rest pose like any other clip of the same rig."""
    pos = global_transforms(motion.skeleton, motion.rotations, motion.translations)[1].astype(np.float64)
    at = lambda part: pos[:, motion.skeleton.index(parts[part])]  # noqa: E731
    up = at("head") - at("hips")
    up /= np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-12)
    score = np.zeros(motion.num_frames)
    for s in ("left", "right"):
        for a, b in (("upper_arm", "lower_arm"), ("upper_leg", "lower_leg"), ("lower_leg", "foot")):
            bone = at(f"{s}_{b}") - at(f"{s}_{a}")
            score += np.sum(bone * up, axis=-1) / np.maximum(np.linalg.norm(bone, axis=-1), 1e-12)
    return int(np.argmin(score))


def _rest_pose(rig: Rig) -> tuple[np.ndarray, np.ndarray]:
    """World rotations (J, 4) and positions (J, 3) of the rig's rest pose (root at the origin); read-only,
    cached per skeleton and rest pose (`_CACHE`)."""
    rest = rig.rest_rotations()
    return _CACHE.get(("rest pose", _skeleton_key(rig.skeleton), content(rest)),
                      lambda: _read_only(*_measure_rest_pose(rig.skeleton, rest)))


def _measure_rest_pose(sk: Skeleton, rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    trans = sk.offsets.copy()
    trans[0] = 0.0
    g, p = global_transforms(sk, rest[None], trans[None])
    return g[0].astype(np.float64), p[0].astype(np.float64)


def _unit(v) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else v * 0.0


def _is_standing(rig: Rig) -> bool:
    """Whether the rig's rest pose is a standing body: feet below the hips, left arm on the left leg's side."""
    _, pos = _rest_pose(rig)
    at = lambda part: pos[rig.skeleton.index(rig.parts[part])]  # noqa: E731
    up = _unit(at("head") - at("hips"))
    down_leg = _unit(at("left_foot") - at("left_upper_leg"))
    left_legs = _unit(at("left_upper_leg") - at("right_upper_leg"))
    left_arms = _unit(at("left_upper_arm") - at("right_upper_arm"))
    return float(down_leg @ up) < -0.7 and float(left_legs @ left_arms) > 0.7


def _body_axes(rig: Rig, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, up, forward) unit vectors of the rest pose."""
    at = lambda part: pos[rig.skeleton.index(rig.parts[part])]  # noqa: E731
    top = rig.parts["spine"][-1] if rig.parts["spine"] else rig.parts["head"]
    up = _unit(pos[rig.skeleton.index(top)] - at("hips"))
    left = at("left_upper_leg") - at("right_upper_leg") + at("left_upper_arm") - at("right_upper_arm")
    left = _unit(left - (left @ up) * up)
    return left, up, np.cross(left, up)


def _snapped(v: np.ndarray, taken: int | None = None) -> np.ndarray:
    """The signed world axis nearest to v (other than axis `taken`)."""
    a = np.abs(v).copy()
    if taken is not None:
        a[taken] = -1
    k = int(np.argmax(a))
    out = np.zeros(3)
    out[k] = math.copysign(1.0, v[k])
    return out


def world_axes(rig: Rig) -> np.ndarray:
    """(3, 3) columns left, up, forward of the rig's world, snapped to the nearest world axes."""
    _, pos = _rest_pose(rig)
    _, up, fwd = _body_axes(rig, pos)
    up_s = _snapped(up)
    fwd_s = _snapped(fwd, taken=int(np.argmax(np.abs(up_s))))
    return np.stack([np.cross(up_s, fwd_s), up_s, fwd_s], axis=1)


def _aims(rig: Rig) -> dict[str, tuple[int, int]]:
    """joint name -> (from joint, to joint) whose rest direction is its part's bone axis: the next joint of
    its chain (hips .. spine .. neck .. head, collar .. hand, thigh .. toe) not at the same place (CMU's
    LowerBack and Neck sit on their parents); the last one continues the bone before it, or points at its
    End Site (a forearm or foot that ends its chain, as humanoid3d's)."""
    sk, parts = rig.skeleton, rig.parts
    _, pos = _rest_pose(rig)
    torso = [parts["hips"]] + parts["spine"] + parts["neck"] + [parts["head"]]
    limbs = (("collar", "upper_arm", "lower_arm", "hand"), ("upper_leg", "lower_leg", "foot", "toe"))
    chains = [torso] + [[parts[f"{s}_{p}"] for p in limb] for s in ("left", "right") for limb in limbs]
    limb_ends = {parts[f"{s}_{p}"] for s in ("left", "right") for p in ("lower_arm", "foot")}
    apart = lambda a, b: np.linalg.norm(pos[a] - pos[b]) > 1e-6  # noqa: E731
    aims = {}
    for chain in chains:
        chain = [sk.index(n) for n in chain if n is not None]
        for i, a in enumerate(chain):
            b = next((b for b in chain[i + 1:] if apart(a, b)), None)
            if b is not None:
                aims[sk.names[a]] = (a, b)
            elif i == len(chain) - 1 and sk.names[a] in limb_ends and \
                    np.linalg.norm(sk.end_sites.get(a, np.zeros(3))) > 1e-6:
                aims[sk.names[a]] = (a, -1)
            else:
                before = next((p for p in chain[i - 1::-1] if apart(p, a)), None) if i else None
                aims[sk.names[a]] = (a, a) if before is None else (before, a)
    return aims


def canonical_offsets(rig: Rig) -> dict[str, np.ndarray]:
    """joint name -> C (4,): the canonical frame of the joint's part in the joint's own frame."""
    rot, pos = _rest_pose(rig)
    _, up, fwd = _body_axes(rig, pos)
    out = {}
    part_of = {n: p for p, v in rig.parts.items() for n in (v if isinstance(v, list) else [v]) if n}
    for name, (a, b) in _aims(rig).items():
        k = rig.skeleton.index(name)
        if b < 0:  # towards the end site
            x = quat_rotate(rot[k], rig.skeleton.end_sites[k]).astype(np.float64)
        else:
            x = pos[b] - pos[a]
        if np.linalg.norm(x) < 1e-9:
            raise RetargetError(f"{rig.where}: {rig.skeleton.names[k]!r} ({part_of[name]}): its bone has no "
                                "length in the rest pose, so it has no direction to map")
        x = _unit(x)
        second = up if part_of[name].split("_")[-1] in _UP_SECONDARY else fwd
        if abs(x @ second) > 0.95:
            second = fwd if second is up else up
        z = _unit(second - (second @ x) * x)
        frame = np.stack([x, np.cross(z, x), z], axis=1)
        out[name] = quat_mul(quat_inv(rot[k]), matrix_to_quat(frame)).astype(np.float64)
    return out


def leg_length(rig: Rig) -> float:
    """Rest length of the left thigh plus shin (file units)."""
    _, pos = _rest_pose(rig)
    at = lambda part: pos[rig.skeleton.index(rig.parts[part])]  # noqa: E731
    return float(np.linalg.norm(at("left_lower_leg") - at("left_upper_leg"))
                 + np.linalg.norm(at("left_foot") - at("left_lower_leg")))


def body_height(rig: Rig) -> float:
    """Extent of the rest pose (joints and End Sites) along the rig's up axis (file units)."""
    rot, pos = _rest_pose(rig)
    ends = [pos[j] + quat_rotate(rot[j], e) for j, e in rig.skeleton.end_sites.items()]
    up = world_axes(rig)[:, 1]
    h = np.concatenate([pos, np.reshape(ends, (-1, 3))]) @ up
    return float(h.max() - h.min())


# --------------------------------------------------------------------------- transfer

def _chain_params(rig: Rig, part: str) -> tuple[list[str], np.ndarray]:
    """A chain with its two fixed ends (hips .. chest top, or chest top .. head) and a parameter in [0, 1]
    for each: 0 and 1 at the ends, and for a joint in between the rest arc length of the middle of the
    bone it turns (from it to the next joint not at the same place), so rigs that put a joint at the
    start of a bone (CMU's LowerBack and Neck sit on their parents) line up with rigs that do not."""
    p = rig.parts
    if part == "spine":
        names = [p["hips"]] + p["spine"]
    else:
        names = ([p["spine"][-1]] if p["spine"] else [p["hips"]]) + p["neck"] + [p["head"]]
    _, pos = _rest_pose(rig)
    idx = [rig.skeleton.index(n) for n in names]
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pos[idx], axis=0), axis=1))])
    arc = arc / arc[-1] if arc[-1] > 0 else np.linspace(0, 1, len(names))
    u = arc.copy()
    for i in range(1, len(names) - 1):
        nxt = next((k for k in range(i + 1, len(names)) if arc[k] > arc[i] + 1e-9), len(names) - 1)
        u[i] = (arc[i] + arc[nxt]) / 2
    return names, u


def _target_sources(source: Rig, target: Rig) -> dict[str, tuple[str, str | None, float]]:
    """target joint name -> (source joint a, source joint b, t): the target joint's canonical frame is the
    slerp of those two source joints' frames at t (a chain joint between two source joints), or a's frame
    where b is None (the same part, or the part it follows)."""
    sp, tp = source.parts, target.parts
    out: dict[str, tuple[str, str | None, float]] = {}
    out[tp["hips"]] = (sp["hips"], None, 0.0)
    out[tp["head"]] = (sp["head"], None, 0.0)
    for part in CHAIN_PARTS:
        s_names, s_u = _chain_params(source, part)
        t_names, t_u = _chain_params(target, part)
        if len(s_names) < 2 or len(t_names) < 2:  # no spine: the arms hang off the hips
            continue
        for name, u in zip(t_names[1:], t_u[1:]):
            i = int(np.clip(np.searchsorted(s_u, u, side="left") - 1, 0, len(s_u) - 2))
            t = np.clip((u - s_u[i]) / max(s_u[i + 1] - s_u[i], 1e-12), 0.0, 1.0)
            out.setdefault(name, (s_names[i], s_names[i + 1], float(t)))
    for s in ("left", "right"):
        for part in ("collar", "upper_arm", "lower_arm", "hand", "upper_leg", "lower_leg", "foot", "toe"):
            t_name = tp[f"{s}_{part}"]
            if t_name is None:
                continue
            s_name = sp[f"{s}_{part}"]
            if s_name is None and part in _FOLLOWS:
                s_name = sp[f"{s}_{_FOLLOWS[part]}"]
            if s_name is not None:
                out[t_name] = (s_name, None, 0.0)
    return out


def _chain_arc(rig: Rig, part: str) -> np.ndarray:
    """Rest arc length (0 .. 1) of each joint of `_chain_params`' chain."""
    names, _ = _chain_params(rig, part)
    _, pos = _rest_pose(rig)
    idx = [rig.skeleton.index(n) for n in names]
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pos[idx], axis=0), axis=1))])
    return arc / arc[-1] if arc[-1] > 0 else np.linspace(0, 1, len(names))


def _chain_length(rig: Rig, part: str) -> float:
    names, _ = _chain_params(rig, part)
    _, pos = _rest_pose(rig)
    idx = [rig.skeleton.index(n) for n in names]
    return float(np.linalg.norm(np.diff(pos[idx], axis=0), axis=1).sum())


def _aim_specs(source: Rig, target: Rig) -> dict[str, tuple[str, int, float, bool]]:
    """Target chain joints between the fixed ends -> (chain, the chain joint its bone ends at, that joint's
    arc length, on_ray). A bone with on_ray False is swung to point where the source chain's curve is at
    that arc length (the source has at least as many bending joints, so its curve says where the bone is);
    with on_ray True the chain ends on its chord (`_chords`): the chain's last bending bone aims there, and
    in a chain whose source has fewer bending joints all of them lie on an arc (`_arc_bones`): a rig that
    bends its spine at one joint says nothing of how another bends between its joints, and its kink is
    where its own bones happen to meet, not where the body bends."""
    specs = {}
    for part in CHAIN_PARTS:
        names, _ = _chain_params(target, part)
        if len(names) < 3 or len(_chain_params(source, part)[0]) < 2:
            continue
        arc = _chain_arc(target, part)
        found = {}
        for i in range(1, len(names) - 1):
            k = next((k for k in range(i + 1, len(names)) if arc[k] > arc[i] + 1e-9), None)
            if k is not None and int(target.skeleton.parents[target.skeleton.index(names[k])]) == \
                    target.skeleton.index(names[i]):
                found[names[i]] = (part, target.skeleton.index(names[k]), float(arc[k]))
        straight = len(_bending(source, part)) < len(found)
        for n, spec in found.items():
            specs[n] = spec + (straight or n == list(found)[-1],)
    return specs


def _bending(rig: Rig, part: str) -> list[str]:
    """The chain's joints between its fixed ends whose bone has a length (they bend the chain)."""
    names, _ = _chain_params(rig, part)
    arc = _chain_arc(rig, part)
    return [n for i, n in enumerate(names[1:-1], 1) if arc[i + 1:].size and arc[i + 1:].max() > arc[i] + 1e-9]


def _chords(plan: "_Plan", q_s: np.ndarray, q_t: dict, p_src: np.ndarray) -> dict:
    """chain -> (F, 3) unit direction of the target chain's chord (its start joint to its end joint) in the
    target's world: the source chord in the source start joint's canonical frame, turned by the fixed
    rotation between the two rigs' rest chords in those frames (`_Plan.chords`). The inverse retarget turns
    it back, so a chord survives a round trip exactly (where the middle rig can reach it)."""
    out = {}
    for part, (row, t_start, first, last, turn) in plan.chords.items():
        chord = p_src[:, last] - p_src[:, first]
        local = quat_rotate(quat_inv(q_s[:, row]), chord.astype(np.float64))
        world = quat_rotate(quat_mul(plan.w_quat, q_t[t_start]), quat_rotate(turn, local))
        out[part] = _unit_rows(world.astype(np.float64))
    return out


def _arc_bones(u, tangent, origin, start, lengths):
    """(n, F, 3) bone vectors of a chain's n bending bones (from `start`) on a circular arc: symmetric about
    the chord direction u and ending along `tangent` (the end joint's bone: a neck bent under a tilted head
    is bent towards it), then swung together so the chain ends on the chord ray from `origin`. The shape of
    a chain whose source bends it at fewer joints: a smooth bend, not a straight line with one kink."""
    tangent, n = _unit_rows(tangent), len(lengths)
    axis = cross(u, tangent)
    alpha = np.arctan2(np.linalg.norm(axis, axis=-1), np.sum(u * tangent, axis=-1))
    axis = _unit_rows(axis)
    bones = []
    for i, length in enumerate(lengths):
        a = alpha * ((2 * i + 1) / n - 1)
        q = np.concatenate([np.cos(a / 2)[:, None], np.sin(a / 2)[:, None] * axis], axis=-1)
        bones.append(length * quat_rotate(q, u).astype(np.float64))
    v = np.sum(bones, axis=0)
    end = _on_ray(origin, u, start, np.linalg.norm(v, axis=-1))
    q = _swing(v, end - start)
    return np.stack([quat_rotate(q, b).astype(np.float64) for b in bones])


def _rest_chord(rig: Rig, names: list[str]) -> np.ndarray:
    """Unit rest direction from the chain's first joint to its last in the first joint's canonical frame."""
    rot, pos = _rest_pose(rig)
    a, e = rig.skeleton.index(names[0]), rig.skeleton.index(names[-1])
    frame = quat_mul(rot[a], canonical_offsets(rig)[names[0]])
    return _unit(quat_rotate(quat_inv(frame), pos[e] - pos[a]).astype(np.float64))


def _on_ray(origin: np.ndarray, u: np.ndarray, start: np.ndarray, length: float) -> np.ndarray:
    """(F, 3) the point of the ray origin + t u (t >= 0) at `length` from `start`, the farther one; where the
    ray passes further away, its point nearest to `start`."""
    w = start - origin
    b = np.sum(u * w, axis=-1)
    disc = b * b - (np.sum(w * w, axis=-1) - length * length)
    t = np.where(disc >= 0, b + np.sqrt(np.maximum(disc, 0.0)), np.maximum(b, 0.0))
    return origin + t[:, None] * u


def _curve_spec(source: Rig, part: str, u: float) -> tuple[np.ndarray, float]:
    """The source chain's polyline at arc length u: (source joints [chain start, segment start, segment end],
    t along the segment); `_curve_point` gives its (F, 3) points."""
    names, _ = _chain_params(source, part)
    arc = _chain_arc(source, part)
    i = int(np.clip(np.searchsorted(arc, u, side="right") - 1, 0, len(arc) - 2))
    t = np.clip((u - arc[i]) / max(arc[i + 1] - arc[i], 1e-12), 0.0, 1.0)
    return np.array([source.skeleton.index(names[k]) for k in (0, i, i + 1)]), float(t)


def _curve_point(spec: tuple[np.ndarray, float], p_src: np.ndarray) -> np.ndarray:
    """(F, 3) point of the source chain's polyline at `_curve_spec`'s arc length, relative to the chain's start."""
    joints, t = spec
    pts = p_src[:, joints].astype(np.float64)
    return pts[:, 1] + t * (pts[:, 2] - pts[:, 1]) - pts[:, 0]


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(F, 4) shortest rotations taking directions a to b (F, 3)."""
    a, b = _unit_rows(a), _unit_rows(b)
    q = np.concatenate([1.0 + np.sum(a * b, axis=-1, keepdims=True), cross(a, b)], axis=-1)
    return q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)


def _hinge_joints(skeleton: Skeleton) -> tuple[str, ...]:
    """Joints that only bend about their local Z: humanoid3d's knees and elbows (DeepMimic's revolute
    joints; a DeepMimic file stores one angle for each)."""
    from motion.deepmimic import JOINT_NAMES, REVOLUTE_JOINTS

    return REVOLUTE_JOINTS if set(JOINT_NAMES) <= set(skeleton.names) else ()


def _bone_vector(skeleton: Skeleton, j: int) -> np.ndarray:
    """Joint j's bone in its own frame: its first child's offset, else its End Site."""
    kids = skeleton.children(j)
    return skeleton.offsets[kids[0]] if kids else skeleton.end_sites.get(j, np.zeros(3, np.float32))


def _onto_hinge(upper: np.ndarray, lower: np.ndarray, upper_bone: np.ndarray, lower_bone: np.ndarray):
    """World rotations (F, 4) of a limb whose lower joint is a hinge about its local Z: the upper bone
    twisted about itself (its direction kept) so the lower bone's direction can be reached by a pure Z
    rotation, and that rotation. Both bones then point exactly as before; only the twists change (a
    source forearm's pronation becomes a turn of the upper arm, as a one-axis elbow has to show it)."""
    upper, lower = upper.astype(np.float64), lower.astype(np.float64)
    b = _unit_rows(quat_rotate(upper, upper_bone).astype(np.float64))
    d = _unit_rows(quat_rotate(lower, lower_bone).astype(np.float64))
    a = quat_rotate(upper, np.array([0.0, 0.0, 1.0])).astype(np.float64)
    n_v = lower_bone / max(float(np.linalg.norm(lower_bone)), 1e-12)
    a_par = np.sum(a * b, -1, keepdims=True) * b
    a_perp = a - a_par
    big_a = np.sum(d * a_perp, -1)
    big_b = np.sum(d * cross(b, a_perp), -1)
    want = n_v[2] - np.sum(d * a_par, -1)  # d . (twisted hinge axis) must equal the bone's own z share
    r = np.hypot(big_a, big_b)
    base = np.arctan2(big_b, big_a)
    off = np.arccos(np.clip(want / np.maximum(r, 1e-12), -1.0, 1.0))
    phi = np.where(np.abs(base - off) <= np.abs(base + off), base - off, base + off)
    phi = np.where(r > 1e-9, (phi + np.pi) % (2 * np.pi) - np.pi, 0.0)
    twist = np.concatenate([np.cos(phi / 2)[:, None], np.sin(phi / 2)[:, None] * b], axis=-1)
    upper = quat_mul(twist, upper).astype(np.float64)
    local_d = quat_rotate(quat_inv(upper), d).astype(np.float64)
    theta = np.arctan2(n_v[0] * local_d[:, 1] - n_v[1] * local_d[:, 0], n_v[0] * local_d[:, 0] + n_v[1] * local_d[:, 1])
    bend = np.stack([np.cos(theta / 2), 0 * theta, 0 * theta, np.sin(theta / 2)], axis=-1)
    return upper, quat_mul(upper, bend).astype(np.float64)


def _unit_rows(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class _Level:
    """One depth level of the target skeleton as `retarget` places it (`_Plan.levels`)."""

    joints: np.ndarray  # the level's joints ...
    parents: np.ndarray | None  # ... and their parents (None: the root)
    framed: np.ndarray  # the joints with a canonical frame ...
    framed_rows: np.ndarray  # ... and their rows in `_Plan.framed`
    plain: np.ndarray  # the others (they keep their rest rotation) ...
    plain_parents: np.ndarray  # ... and their parents
    aims: tuple[int, ...]  # joints swung to aim their bone (`_Plan.aims`)
    hinges: tuple[int, ...]  # hinge joints (`_Plan.hinges`)


@dataclass(frozen=True)
class _Plan:
    """What `retarget` from one rig onto another needs of the two rigs alone; `_plan` caches it per pair."""

    w_quat: np.ndarray  # (4,) the source's world axes onto the target's
    src_joints: np.ndarray  # (S,) the source joints with a canonical frame ...
    src_canon: np.ndarray  # (S, 4) ... and their canonical offsets C
    copies: dict  # target joint name -> row of `src_joints` whose frame it takes
    slerps: tuple  # (target joint names, rows a, rows b, (n,) t): frames slerped between two source frames
    framed: tuple[str, ...]  # the target joints with a canonical frame (joint order) ...
    canon_inv: np.ndarray  # (T, 4) ... and the inverse of their canonical offsets
    chords: dict  # chain -> (row of its source start, target start name, source start joint, end joint, turn)
    aims: dict  # target joint -> (chain, child, on_ray, chain start joint, `_curve_spec` or None, chain scale)
    arcs: dict  # chain -> (its end joint's name, bending joints in order, their bone lengths)
    hinges: dict  # target hinge joint -> its bone vector
    rest: np.ndarray  # (J, 4) target rest rotations
    offsets: np.ndarray  # (J, 3) target rest translations (a clip-posed rig's root comes from its clip)
    hips: int  # target hips joint
    src_hips: int  # source hips joint
    scale: float  # leg length ratio, target over source
    levels: tuple[_Level, ...]


def _plan(source: Rig, target: Rig) -> _Plan:
    """The pair's `_Plan`, cached per content of the two rigs (`_rig_key`)."""
    return _CACHE.get(("plan", _rig_key(source), _rig_key(target)), lambda: _make_plan(source, target))


def _make_plan(source: Rig, target: Rig) -> _Plan:
    w_quat = matrix_to_quat(world_axes(target) @ world_axes(source).T).astype(np.float64)
    c_s = canonical_offsets(source)
    c_t = canonical_offsets(target)
    sk_s, sk = source.skeleton, target.skeleton
    row = {n: i for i, n in enumerate(c_s)}
    sources = _target_sources(source, target)
    copies = {n: row[a] for n, (a, b, _) in sources.items() if b is None}
    blends = [(n, row[a], row[b], t) for n, (a, b, t) in sources.items() if b is not None]
    framed = tuple(n for n in sk.names if n in sources)
    chords = {}
    for part in CHAIN_PARTS:
        s_names, _ = _chain_params(source, part)
        t_names, _ = _chain_params(target, part)
        if len(s_names) < 2 or len(t_names) < 2 or s_names[0] not in c_s or t_names[0] not in sources:
            continue  # e.g. a chest top the target has that a source without a spine gave no frame
        rest = [_rest_chord(rig, names) for rig, names in ((source, s_names), (target, t_names))]
        chords[part] = (row[s_names[0]], t_names[0], sk_s.index(s_names[0]), sk_s.index(s_names[-1]),
                        _swing(rest[0][None], rest[1][None])[0])
    offsets = sk.offsets.astype(np.float64)
    aims, bending = {}, {}
    for name, (part, child, u, on_ray) in _aim_specs(source, target).items():
        on_ray = on_ray and part in chords
        scale = _chain_length(target, part) / max(_chain_length(source, part), 1e-12)
        aims[sk.index(name)] = (part, child, on_ray, sk.index(_chain_params(target, part)[0][0]),
                                None if on_ray else _curve_spec(source, part, u), scale)
        if on_ray:
            bending.setdefault(part, []).append((sk.index(name), child))
    # chains whose bending bones all end on the chord and that have several: laid on an arc (`_arc_bones`)
    arcs = {part: (_chain_params(target, part)[0][-1], [j for j, _ in b],
                   [float(np.linalg.norm(offsets[c])) for _, c in b]) for part, b in bending.items() if len(b) > 1}
    hinges = {sk.index(n): _bone_vector(sk, sk.index(n)) for n in _hinge_joints(sk)}
    framed_row = {sk.index(n): i for i, n in enumerate(framed)}
    levels = []
    for joints, parents in ((np.array([0]), None),) + depth_levels(sk.parents):
        has_frame = np.array([j in framed_row for j in joints], bool)
        rows = np.array([framed_row[j] for j in joints[has_frame]], int)
        levels.append(_Level(joints, parents, joints[has_frame], rows, joints[~has_frame],
                             None if parents is None else parents[~has_frame],
                             tuple(int(j) for j in joints if j in aims), tuple(int(j) for j in joints if j in hinges)))
    plan = _Plan(w_quat=w_quat, src_joints=np.array([sk_s.index(n) for n in c_s]),
                 src_canon=np.stack([c_s[n] for n in c_s]), copies=copies,
                 slerps=(tuple(b[0] for b in blends), np.array([b[1] for b in blends], int),
                         np.array([b[2] for b in blends], int), np.array([b[3] for b in blends])),
                 framed=framed, canon_inv=quat_inv(np.stack([c_t[n] for n in framed])),
                 chords=chords, aims=aims, arcs=arcs, hinges=hinges,
                 rest=target.rest_rotations().astype(np.float64), offsets=offsets,
                 hips=sk.index(target.parts["hips"]), src_hips=sk_s.index(source.parts["hips"]),
                 scale=leg_length(target) / leg_length(source), levels=tuple(levels))
    _read_only(*(v for v in vars(plan).values() if isinstance(v, np.ndarray)))
    return plan


def retarget(motion: Motion, target: Motion, joint_map: JointMap | None = None, map_path=None,
             target_where=None) -> tuple[Motion, JointMap]:
    """`motion` played on `target`'s skeleton (the target clip only gives the skeleton and, for a rig whose
    zero pose is not standing, its rest pose). Returns the new clip (source's fps, frame count and name)
    and the JointMap used (given, or found automatically).

    What depends on the two rigs alone comes from `_plan` (cached); the frames are placed down the target's
    hierarchy one depth level at a time, each step vectorised over the level's joints and the frames; only
    the few aimed chain joints, then the hinges, of a level are placed one by one. Local rotations are taken
    once all world rotations are final (a hinge turns its parent; humanoid3d's hinges have no siblings)."""
    if joint_map is None:
        joint_map = JointMap((make_rig(motion), make_rig(target, target_where)))
    src = joint_map.rig_for(motion.skeleton, map_path)
    dst = joint_map.rig_for(target.skeleton, map_path)
    plan = _plan(src, dst)
    g_src, p_src = global_transforms(motion.skeleton, motion.rotations, motion.translations)
    sk, w_quat = dst.skeleton, plan.w_quat
    q_s = quat_mul(g_src[:, plan.src_joints], plan.src_canon).astype(np.float64)  # (F, S, 4) source frames
    q_t = {n: q_s[:, r] for n, r in plan.copies.items()}
    names, rows_a, rows_b, t = plan.slerps
    if names:
        blended = quat_slerp(q_s[:, rows_a], q_s[:, rows_b], t).astype(np.float64)
        q_t.update((n, blended[:, i]) for i, n in enumerate(names))
    framed = quat_mul(quat_mul(w_quat, np.stack([q_t[n] for n in plan.framed], axis=1)), plan.canon_inv)
    chords = _chords(plan, q_s, q_t, p_src)
    tangents = {part: quat_rotate(quat_mul(w_quat, q_t[end]), np.array([1.0, 0.0, 0.0])).astype(np.float64)
                for part, (end, _, _) in plan.arcs.items()}
    bundle = {}  # chain -> (n, F, 3) its bones on the arc, once its first bending joint is placed

    frames = motion.num_frames
    rest = plan.rest
    rest_trans = plan.offsets.copy()
    if dst.rest is not None and target.num_frames:  # a rig posed by a clip frame keeps that clip's root
        rest_trans[0] = target.translations[0, 0]  # position (Bandai's static joint_Root)
    hips_world = quat_rotate(w_quat, p_src[:, plan.src_hips]).astype(np.float64) * plan.scale

    world = np.empty((frames, sk.num_joints, 4))
    pos = np.empty((frames, sk.num_joints, 3))
    for level in plan.levels:
        joints, parents = level.joints, level.parents
        if parents is None:
            pos[:, joints] = rest_trans[joints]
            world[:, level.plain] = rest[level.plain]
        else:
            pos[:, joints] = pos[:, parents] + quat_rotate(world[:, parents], rest_trans[joints])
            world[:, level.plain] = quat_mul(world[:, level.plain_parents], rest[level.plain])
        if plan.hips in joints:
            pos[:, plan.hips] = hips_world
        world[:, level.framed] = framed[:, level.framed_rows]
        for j in level.aims:
            part, child, on_ray, start, curve, chain_scale = plan.aims[j]
            if on_ray and part in plan.arcs:
                _, bending, lengths = plan.arcs[part]
                if part not in bundle:
                    bundle[part] = _arc_bones(chords[part], tangents[part], pos[:, start], pos[:, j], lengths)
                goal = pos[:, j] + bundle[part][bending.index(j)]
            elif on_ray:
                goal = _on_ray(pos[:, start], chords[part], pos[:, j], float(np.linalg.norm(rest_trans[child])))
            else:
                goal = pos[:, start] + chain_scale * quat_rotate(w_quat, _curve_point(curve, p_src))
            bone = quat_rotate(world[:, j], rest_trans[child])
            world[:, j] = quat_mul(_swing(bone, goal - pos[:, j]), world[:, j])
        for j in level.hinges:  # the twist goes to the parent so the joint bends about its axis only
            parent = int(sk.parents[j])
            world[:, parent], world[:, j] = _onto_hinge(world[:, parent], world[:, j], rest_trans[j], plan.hinges[j])
    local = np.empty_like(world)
    local[:, 0] = world[:, 0]
    local[:, 1:] = quat_mul(quat_inv(world[:, sk.parents[1:]]), world[:, 1:])
    translations = np.broadcast_to(rest_trans, (frames, sk.num_joints, 3)).copy()
    parent = int(sk.parents[plan.hips])
    translations[:, plan.hips] = pos[:, plan.hips] if parent < 0 else \
        quat_rotate(quat_inv(world[:, parent]), pos[:, plan.hips] - pos[:, parent])
    local = quat_make_continuous(local.astype(np.float32), axis=0)
    out = Motion(sk, local, translations, motion.fps, name=motion.name)
    return out, joint_map


def retarget_round_trip_error(motion: Motion, middle: Motion) -> tuple[float, float, Motion]:
    """Retarget `motion` onto `middle`'s skeleton and back with the same map; returns the max world-position
    error over the source's mapped joints (file units), that error over the body height, and the clip
    that came back."""
    there, joint_map = retarget(motion, middle)
    back, _ = retarget(there, motion, joint_map)
    rig = joint_map.rigs[0]
    mapped = [motion.skeleton.index(n) for n in rig.mapped_joints()]
    err = np.linalg.norm(world_positions(back)[:, mapped] - world_positions(motion)[:, mapped], axis=-1).max()
    return float(err), float(err) / body_height(rig), back


def rest_clip(skeleton: Skeleton, name: str) -> Motion:
    """One frame of `skeleton`'s zero pose: a retarget target known only by its skeleton (a model's)."""
    rotations = np.tile(np.float32([1, 0, 0, 0]), (1, skeleton.num_joints, 1))
    return Motion(skeleton, rotations, skeleton.offsets[None].copy(), 30.0, name=name)


def map_summary(joint_map: JointMap, skeleton: Skeleton) -> dict:
    """What a map did to a clip on `skeleton`: the two rigs' names, how many of the clip's joints it maps
    and which it leaves out (they keep their rest pose on the way there)."""
    rig = joint_map.rig_for(skeleton, None)
    other = next(r for r in joint_map.rigs if set(r.skeleton.names) != set(skeleton.names))
    mapped = set(rig.mapped_joints())
    return {"from": rig.where, "to": other.where, "mapped": len(mapped),
            "unmapped": [n for n in skeleton.names if n not in mapped]}
