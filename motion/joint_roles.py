"""Which joint plays which part in the RSMT / DeepPhase features, and the joint order the features use.

RSMT (yuyujunjun/RSMT-Realtime-Stylized-Motion-Transition) hard-codes these for the 23-joint 100STYLE
skeleton: hips = 0, left/right hip = 1/5 (they define the facing direction, BatchProcessor.py:47),
feet = 3, 4, 7, 8 (contact loss, TransitionPhaseNet.py:449), rot_rep_idx = 1, 5, 9-13, 15, 19 (joints
whose positions come from forward kinematics of the predicted rotations; all other joints, hips
first, have their positions predicted directly, StyleVAENet.py:118). `JointRoles` names the same
parts for any skeleton, so features and networks never hard-code indices.

All indices in a `JointRoles` are in *feature order*: feature joint j is skeleton joint
``source_index[j]``. Use `reorder_motion` to bring a Motion into feature order.

The rule behind rot_rep_idx (our reading of RSMT's choice, used for every skeleton): a joint's
position comes from FK when its parent is the root or a spine joint (the chain from the root up to,
but excluding, the neck), i.e. the joints rigidly carried by the torso: the hips, the spine segments,
the neck and the collars. Limb joints further out (knees, feet, shoulders-after-collars, elbows,
wrists, head) are predicted as positions. For 100STYLE this reproduces RSMT's list exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from motion.motion import Motion
from motion.skeleton import Skeleton

# 100STYLE joint names in RSMT's reordered order (Style100Processor.py:12-19).
STYLE100_ORDER = (
    "Hips",
    "LeftHip", "LeftKnee", "LeftAnkle", "LeftToe",
    "RightHip", "RightKnee", "RightAnkle", "RightToe",
    "Chest", "Chest2", "Chest3", "Chest4", "Neck", "Head",
    "LeftCollar", "LeftShoulder", "LeftElbow", "LeftWrist",
    "RightCollar", "RightShoulder", "RightElbow", "RightWrist",
)

# Name patterns (case-insensitive regular expressions, tried in order) for a skeleton we have no preset for.
_LEFT_HIP = (r"left_?up_?leg", r"left_?hip", r"left_?thigh", r"^l_?hip$", r"^l_?thigh$", r"^l_?up_?leg$",
             r"^lhip$", r"left_?femur", r"^lfemur$", r"^upper_?leg_l$")
_LEFT_FEET = (r"left_?(foot|ankle)", r"^l_?(foot|ankle)$", r"left_?toe", r"^l_?toe", r"^lfoot$", r"^ltoes?$",
              r"^foot_l$")


def _right(patterns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.replace("left", "right").replace("l_?", "r_?").replace("^l", "^r").replace("_l$", "_r$")
                 for p in patterns)


_RIGHT_HIP, _RIGHT_FEET = _right(_LEFT_HIP), _right(_LEFT_FEET)
_NECK = (r"neck", r"^head$")
# Left/right name swaps (pattern, replacement) used to pair joints for mirroring, both directions.
_SIDE_SWAPS = tuple((a, b) for l, r in (("Left", "Right"), ("left", "right"), ("LEFT", "RIGHT"))
                    for a, b in ((l, r), (r, l))) + (
    (r"^L", "R"), (r"^R", "L"), (r"^l", "r"), (r"^r", "l"), (r"_L$", "_R"), (r"_R$", "_L"),
    (r"_l$", "_r"), (r"_r$", "_l"), (r"\.L$", ".R"), (r"\.R$", ".L"))


class JointRolesError(ValueError):
    """The roles cannot be found on a skeleton (message names the skeleton's source and what is missing)."""


@dataclass(frozen=True)
class JointRoles:
    """Joint roles in feature order.

    names        -- joint names in feature order
    parents      -- (J,) parent of each feature joint (feature indices; -1 for the hips)
    source_index -- feature joint j is joint source_index[j] of the source skeleton
    left_hip, right_hip -- define the facing direction: forward = (left - right) x up
    feet         -- contact joints (RSMT's foot-contact loss and the foot-skate metric)
    rot_rep_idx  -- joints whose positions come from FK of rotations; the others are predicted
    mirror       -- mirror[j] is j's left/right partner (j itself for a centre joint)
    lateral_axis -- the rest-pose axis (0 x, 1 y, 2 z) along which left and right mirror each other
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    source_index: tuple[int, ...]
    left_hip: int
    right_hip: int
    feet: tuple[int, ...]
    rot_rep_idx: tuple[int, ...]
    mirror: tuple[int, ...]
    lateral_axis: int
    hips: int = 0

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def pos_rep_idx(self) -> tuple[int, ...]:
        """Joints whose positions the networks predict directly, hips first (RSMT's pos_rep_idx)."""
        return tuple(j for j in range(self.num_joints) if j not in self.rot_rep_idx)

    def to_dict(self) -> dict:
        """JSON-able form, stored with trained weights so inference uses the same roles."""
        return {"names": list(self.names), "parents": list(self.parents), "source_index": list(self.source_index),
                "left_hip": self.left_hip, "right_hip": self.right_hip, "feet": list(self.feet),
                "rot_rep_idx": list(self.rot_rep_idx), "mirror": list(self.mirror),
                "lateral_axis": self.lateral_axis, "hips": self.hips}

    @staticmethod
    def from_dict(d: dict) -> "JointRoles":
        tup = ("names", "parents", "source_index", "feet", "rot_rep_idx", "mirror")
        return JointRoles(**{k: tuple(v) if k in tup else v for k, v in d.items()})


def _feature_parents(skeleton: Skeleton, order: list[int]) -> tuple[int, ...]:
    position = {src: j for j, src in enumerate(order)}
    parents = []
    for j, src in enumerate(order):
        p = int(skeleton.parents[src])
        if p >= 0 and p not in position:
            raise JointRolesError(f"joint {skeleton.names[src]!r} needs its parent {skeleton.names[p]!r}")
        if p >= 0 and position[p] >= j:
            raise JointRolesError(f"joint order puts {skeleton.names[src]!r} before its parent")
        parents.append(-1 if p < 0 else position[p])
    return tuple(parents)


def _mirror_pairs(names: list[str]) -> tuple[int, ...]:
    index = {n: i for i, n in enumerate(names)}
    mirror = list(range(len(names)))
    for i, name in enumerate(names):
        candidates = [re.sub(a, b, name, count=1) for a, b in _SIDE_SWAPS]
        partner = next((c for c in candidates if c != name and c in index), None)
        if partner is not None:
            mirror[i] = index[partner]
    for i, m in enumerate(mirror):
        if mirror[m] != i:  # keep only symmetric pairs
            mirror[i] = i
    return tuple(mirror)


def _lateral_axis(skeleton: Skeleton, order: list[int], left_hip: int, right_hip: int) -> int:
    """Axis of the rest pose along which the left and right hips lie apart."""
    from motion.fk import global_transforms

    j = skeleton.num_joints
    rest = global_transforms(skeleton, np.tile([1.0, 0, 0, 0], (1, j, 1)), skeleton.offsets[None])[1][0]
    d = rest[order[left_hip]] - rest[order[right_hip]]
    return int(np.argmax(np.abs(d)))


def _rot_rep(parents: tuple[int, ...], names: tuple[str, ...], hips: int) -> tuple[int, ...]:
    """Joints whose parent is the root or on the spine (root .. neck, neck excluded); see module docstring."""
    necks = [j for j, n in enumerate(names) if any(re.search(p, n, re.I) for p in _NECK[:1])]
    if not necks:
        necks = [j for j, n in enumerate(names) if re.search(_NECK[1], n, re.I)]
    spine = {hips}
    if necks:
        j = parents[necks[0]]
        while j > 0:
            spine.add(j)
            j = parents[j]
    return tuple(j for j in range(len(names)) if j != hips and parents[j] in spine)


def _find(names: list[str], patterns: tuple[str, ...]) -> int | None:
    for pattern in patterns:
        for i, n in enumerate(names):
            if re.search(pattern, n, re.I):
                return i
    return None


def _build(skeleton: Skeleton, order: list[int], left_hip: int, right_hip: int, feet: tuple[int, ...]) -> JointRoles:
    names = tuple(skeleton.names[i] for i in order)
    parents = _feature_parents(skeleton, order)
    return JointRoles(names=names, parents=parents, source_index=tuple(order), left_hip=left_hip,
                      right_hip=right_hip, feet=tuple(feet), rot_rep_idx=_rot_rep(parents, names, 0),
                      mirror=_mirror_pairs(list(names)),
                      lateral_axis=_lateral_axis(skeleton, order, left_hip, right_hip))


def style100_roles(skeleton: Skeleton, where: str = "skeleton") -> JointRoles:
    """RSMT's 23-joint 100STYLE layout (reordered as Swap100StyJoints does)."""
    missing = [n for n in STYLE100_ORDER if n not in skeleton.names]
    if missing:
        raise JointRolesError(f"{where}: not a 100STYLE skeleton, missing joints {missing}")
    order = [skeleton.index(n) for n in STYLE100_ORDER]
    return _build(skeleton, order, left_hip=1, right_hip=5, feet=(3, 4, 7, 8))


def humanoid3d_roles(skeleton: Skeleton, where: str = "skeleton") -> JointRoles:
    """DeepMimic humanoid3d (13 joints), kept in file order so outputs need no permutation.

    root 0, chest 1, neck 2, right_hip 3, right_knee 4, right_ankle 5, right_shoulder 6, right_elbow 7,
    left_hip 8, left_knee 9, left_ankle 10, left_shoulder 11, left_elbow 12.
    rot_rep_idx = chest, neck, both hips, both shoulders (1, 2, 3, 6, 8, 11): the joints rigidly carried
    by the root and chest (humanoid3d has no collars, so its shoulders hang directly off the chest and
    take the collars' place). Feet = the ankles (the skeleton has no toe joints; the foot box hangs off
    the ankle, so a planted foot keeps its ankle still)."""
    from motion.deepmimic import JOINT_NAMES

    missing = [n for n in JOINT_NAMES if n not in skeleton.names]
    if missing:
        raise JointRolesError(f"{where}: not a DeepMimic humanoid3d skeleton, missing joints {missing}")
    order = [skeleton.index(n) for n in JOINT_NAMES]
    names = list(JOINT_NAMES)
    return _build(skeleton, order, left_hip=names.index("left_hip"), right_hip=names.index("right_hip"),
                  feet=(names.index("left_ankle"), names.index("right_ankle")))


def generic_roles(skeleton: Skeleton, where: str = "skeleton") -> JointRoles:
    """Roles found by joint-name patterns (Left/Right + UpLeg/Hip/Thigh, Foot/Ankle/Toe, Neck), file order."""
    names = list(skeleton.names)
    found = {"left hip": _find(names, _LEFT_HIP), "right hip": _find(names, _RIGHT_HIP),
             "left foot": _find(names, _LEFT_FEET), "right foot": _find(names, _RIGHT_FEET)}
    missing = [k for k, v in found.items() if v is None]
    if missing:
        raise JointRolesError(
            f"{where}: cannot find the {', '.join(missing)} joint(s) by name (looked for names like LeftUpLeg/"
            f"LeftHip/LeftThigh and LeftFoot/LeftAnkle/LeftToe); joints are {names}")
    if found["left hip"] == found["right hip"]:
        raise JointRolesError(f"{where}: left and right hip are the same joint {names[found['left hip']]!r}")
    feet = []
    for side in ("left foot", "right foot"):
        j = found[side]
        feet.append(j)
        kids = skeleton.children(j)
        if len(kids) == 1:  # the toe below the ankle also touches the ground
            feet.append(kids[0])
    order = list(range(len(names)))
    return _build(skeleton, order, found["left hip"], found["right hip"], tuple(feet))


def roles_for(skeleton: Skeleton, where: str = "skeleton") -> JointRoles:
    """The preset for 100STYLE or humanoid3d skeletons, else roles found by name patterns.

    `where` (usually the file path) prefixes the JointRolesError raised when roles cannot be found."""
    from motion.deepmimic import JOINT_NAMES

    if set(STYLE100_ORDER) <= set(skeleton.names):
        return style100_roles(skeleton, where)
    if set(JOINT_NAMES) <= set(skeleton.names):
        return humanoid3d_roles(skeleton, where)
    return generic_roles(skeleton, where)


def reorder_motion(motion: Motion, roles: JointRoles) -> Motion:
    """The motion with its joints in feature order (local rotations are unchanged: parents are kept)."""
    sk = motion.skeleton
    order = list(roles.source_index)
    if list(sk.names) == list(roles.names):
        return motion
    if [sk.names[i] for i in order] != list(roles.names):
        raise JointRolesError(f"{motion.source or motion.name}: skeleton does not match the joint roles")
    end_sites = {order.index(j): v for j, v in sk.end_sites.items() if j in order}
    skeleton = Skeleton(list(roles.names), np.array(roles.parents), sk.offsets[order],
                        [sk.channels[i] for i in order], end_sites)
    return Motion(skeleton, motion.rotations[:, order], motion.translations[:, order], motion.fps,
                  name=motion.name, source=motion.source, warnings=list(motion.warnings))


# --------------------------------------------------------------------------- humanoid parts (retargeting)

# Parts a retargeting map names on each rig. Chains ("spine": hips' child .. the joint the arms hang off;
# "neck": the joints between that and the head) are lists and may differ in length between rigs; every
# other part is one joint or absent (collar, hand and toe are optional).
SIDE_PARTS = ("collar", "upper_arm", "lower_arm", "hand", "upper_leg", "lower_leg", "foot", "toe")
PARTS = ("hips", "spine", "neck", "head") + tuple(f"{s}_{p}" for s in ("left", "right") for p in SIDE_PARTS)
CHAIN_PARTS = ("spine", "neck")
_OPTIONAL_PARTS = ("neck", "left_collar", "right_collar", "left_hand", "right_hand", "left_toe", "right_toe")

# Patterns on a joint's base name: lower case, without `prefix:` namespaces (mixamorig:), Rigify's
# DEF-/ORG-/MCH- prefixes and the side marker (ops.side_of).
_FOOT = r"foot|ankle"
_HAND = r"hand|wrist"
_UPPER_LEG = r"thigh|up_?leg|upper_?leg|femur|^_*hip_*$"
_LOWER_LEG = r"shin|calf|knee|tibia|leg"
_UPPER_ARM = r"upper_?arm|^_*arm_*$|humerus"
_LOWER_ARM = r"fore_?arm|lower_?arm|elbow"
_ARM = r"arm|shoulder|clavicle|collar|elbow"
_HEAD = r"head"
_NOT_HEAD = r"end|top|nub|site|eye|jaw"
_TOE = r"toe"


def _base_name(name: str) -> tuple[str | None, str]:
    from motion.ops import side_of

    name = re.sub(r"^(DEF|ORG|MCH)-", "", name.rsplit(":", 1)[-1])
    side, base = side_of(name)
    return side, base.lower()


def _ancestors(skeleton: Skeleton, j: int) -> list[int]:
    out = []
    while j >= 0:
        out.append(j)
        j = int(skeleton.parents[j])
    return out


def _topmost(skeleton: Skeleton, joints: list[int]) -> list[int]:
    """The joints of `joints` that have no ancestor in `joints`."""
    chosen = set(joints)
    return [j for j in joints if not any(a in chosen for a in _ancestors(skeleton, j)[1:])]


def _path(skeleton: Skeleton, top: int, bottom: int) -> list[int]:
    """Joints from below `top` down to `bottom` (inclusive), parent first; [] if top is not an ancestor."""
    chain = _ancestors(skeleton, bottom)
    return chain[:chain.index(top)][::-1] if top in chain else []


def _first_match(skeleton: Skeleton, joints: list[int], pattern: str) -> int | None:
    return next((j for j in joints if re.search(pattern, _base_name(skeleton.names[j])[1])), None)


def _leaf(skeleton: Skeleton, j: int) -> int:
    """Follow single children down from j to the end of the chain."""
    while len(kids := skeleton.children(j)) == 1:
        j = kids[0]
    return j


def humanoid_parts(skeleton: Skeleton, where: str = "skeleton") -> dict:
    """Which joints are the hips, spine, neck, head, arms and legs of a humanoid skeleton, found from
    names and hierarchy: feet ("Foot"/"Ankle") and hands ("Hand"/"Wrist") by name and side marker (Left/
    Right words, L/R letters, `_L`/`.L` suffixes, after `prefix:` namespaces and Rigify's DEF- prefixes);
    the hips are where the legs meet, the chest top where the arms meet, the spine the chain between them;
    the upper/lower limb joints by name along the hip-foot and chest-hand chains (thigh/UpLeg/Hip,
    shin/Leg/Knee, UpperArm/Arm, ForeArm/Elbow), else by position in the chain (extra joints, e.g. CMU's
    LHipJoint or twist bones, stay unmapped). A rig without hand joints (humanoid3d) ends its arm at the
    last joint of the chain that starts at a side joint named like an arm or shoulder.

    Returns {part: joint name (or a list for the spine/neck chains, or None for a missing optional
    part)}. JointRolesError names `where` and every part that could not be found, or was ambiguous."""
    names = skeleton.names
    info = [_base_name(n) for n in names]
    problems: list[str] = []

    def by_name(side: str, pattern: str, exclude=()) -> int | None:
        cands = [j for j, (s, b) in enumerate(info) if s == side and re.search(pattern, b) and j not in exclude]
        top = _topmost(skeleton, cands)
        if len(top) > 1:
            problems.append(f"{side} {pattern.split('|')[0]}: ambiguous between "
                            + ", ".join(repr(names[j]) for j in top))
            return None
        return top[0] if top else None

    feet = {s: by_name(s, _FOOT) for s in ("left", "right")}
    hands = {s: by_name(s, _HAND) for s in ("left", "right")}
    arm_ends = dict(hands)
    for s in ("left", "right"):
        if hands[s] is None:
            legs = set() if feet[s] is None else set(_ancestors(skeleton, feet[s]))
            top = by_name(s, _ARM, exclude=legs)
            arm_ends[s] = None if top is None else _leaf(skeleton, top)
    for s in ("left", "right"):
        if feet[s] is None and not any(p.startswith(f"{s} foot") for p in problems):
            problems.append(f"{s} foot (no joint named like {s.title()}Foot/{s.title()}Ankle)")
        if arm_ends[s] is None and not any(p.startswith(f"{s} hand") for p in problems):
            problems.append(f"{s} arm (no joint named like {s.title()}Hand/{s.title()}Arm)")
    if problems:
        raise JointRolesError(f"{where}: not a humanoid skeleton, cannot map: {'; '.join(problems)} "
                              f"(joints: {', '.join(names)})")

    def common(a: int, b: int) -> int:
        up = _ancestors(skeleton, a)
        return next(j for j in _ancestors(skeleton, b) if j in up)

    hips = common(feet["left"], feet["right"])
    chest = common(arm_ends["left"], arm_ends["right"])
    spine = _path(skeleton, hips, chest)
    if chest != hips and not spine:
        raise JointRolesError(f"{where}: not a humanoid skeleton: the arms ({names[chest]!r}) do not hang off "
                              f"the spine above the hips ({names[hips]!r})")
    parts: dict = {"hips": names[hips], "spine": [names[j] for j in spine]}

    for s in ("left", "right"):
        leg = _path(skeleton, hips, feet[s])
        upper = _first_match(skeleton, leg[:-1], _UPPER_LEG)
        lower = _first_match(skeleton, leg[leg.index(upper) + 1:-1] if upper is not None else leg[:-1], _LOWER_LEG)
        upper, lower = _upper_lower(leg[:-1], upper, lower)
        if upper is None:
            problems.append(f"{s} leg (the chain to {names[feet[s]]!r} has no thigh and shin joints)")
            continue
        kids = skeleton.children(feet[s])
        toe = kids[0] if len(kids) == 1 else _first_match(skeleton, kids, _TOE)
        arm = _path(skeleton, chest, arm_ends[s])
        limb = arm[:-1] if hands[s] is not None else arm
        lower_arm = _first_match(skeleton, limb, _LOWER_ARM)
        upper_arm = _first_match(skeleton, limb[:limb.index(lower_arm)] if lower_arm is not None else limb,
                                 _UPPER_ARM)
        upper_arm, lower_arm = _upper_lower(limb, upper_arm, lower_arm)
        if upper_arm is None:
            problems.append(f"{s} arm (the chain to {names[arm_ends[s]]!r} has no upper and lower arm joints)")
            continue
        collar = limb[0] if limb.index(upper_arm) > 0 else None
        found = {"collar": collar, "upper_arm": upper_arm, "lower_arm": lower_arm, "hand": hands[s],
                 "upper_leg": upper, "lower_leg": lower, "foot": feet[s], "toe": toe}
        parts.update({f"{s}_{p}": None if j is None else names[j] for p, j in found.items()})

    arms = {j for s in ("left", "right") for j in _path(skeleton, chest, arm_ends[s])[:1]}
    body = [j for j in range(len(names)) if chest in _ancestors(skeleton, j)[1:]
            and not any(a in arms for a in _ancestors(skeleton, j))]
    heads = _topmost(skeleton, [j for j in body if re.search(_HEAD, info[j][1])
                                and not re.search(_NOT_HEAD, info[j][1])])
    if len(heads) > 1:
        problems.append("head: ambiguous between " + ", ".join(repr(names[j]) for j in heads))
    elif heads:
        head = heads[0]
    else:
        tops = [j for j in skeleton.children(chest) if j not in arms]
        if len(tops) == 1:
            head = _leaf(skeleton, tops[0])
        else:
            problems.append("head (no joint named Head above the chest, and no single neck chain)")
    if problems:
        raise JointRolesError(f"{where}: not a humanoid skeleton, cannot map: {'; '.join(problems)} "
                              f"(joints: {', '.join(names)})")
    parts["neck"] = [names[j] for j in _path(skeleton, chest, head)[:-1]]
    parts["head"] = names[head]
    return {p: parts[p] for p in PARTS}


def _upper_lower(chain: list[int], upper: int | None, lower: int | None) -> tuple[int | None, int | None]:
    """Complete an (upper, lower) limb pair found by name from its position in `chain` (parent first,
    ending just above the hand or foot): a missing lower is the joint after the upper (else the last
    one), a missing upper the joint before the lower. (None, None) when the chain is too short."""
    if lower is None:
        i = chain.index(upper) + 1 if upper is not None else len(chain) - 1
        lower = chain[i] if 0 <= i < len(chain) else None
    if upper is None and lower is not None:
        i = chain.index(lower) - 1
        upper = chain[i] if i >= 0 else None
    if upper is None or lower is None:
        return None, None
    return upper, lower
