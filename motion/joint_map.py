"""Joint maps: which joints of two humanoid skeletons are which body parts (and the rest pose of a rig that
is not measured from its zero pose), saved, edited and loaded as JSON. One map serves both directions of
a retarget (`JointMap.rig_for` picks a side by joint names). The format:

    {"format": "motion-studio joint map", "version": 1,
     "rigs": [{"joints": [every joint name], "parts": {part: joint | [joints] | null, ...},
               "rest": {joint: [w, x, y, z], ...}   (only for a rig posed by a clip frame)}, {...}]}

parts are joint_roles.PARTS; "spine" and "neck" are lists (any length, "neck" may be empty); "collar",
"hand" and "toe" may be null.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from motion.errors import MotionFileError
from motion.files import read_text
from motion.joint_roles import CHAIN_PARTS, PARTS
from motion.skeleton import Skeleton

MAP_FORMAT = "motion-studio joint map"
MAP_VERSION = 1


@dataclass
class Rig:
    """One skeleton's side of a joint map: its parts and rest pose.

    parts -- {part: joint name | [names] for chains | None}, see joint_roles.PARTS
    rest  -- (J, 4) local rotations of the rest pose; None for the zero pose
    rest_frame -- the clip frame the rest pose was taken from (None for the zero pose or a loaded map)
    where -- the file errors name
    """

    skeleton: Skeleton
    parts: dict
    rest: np.ndarray | None = None
    rest_frame: int | None = None
    where: str = "skeleton"

    def rest_rotations(self) -> np.ndarray:
        j = self.skeleton.num_joints
        return np.tile(np.float32([1, 0, 0, 0]), (j, 1)) if self.rest is None else self.rest

    def mapped_joints(self) -> list[str]:
        """The joints some part names, in part order."""
        return [n for v in self.parts.values() for n in (v if isinstance(v, list) else [v]) if n]

    def to_dict(self) -> dict:
        d = {"joints": list(self.skeleton.names), "parts": self.parts}
        if self.rest is not None:
            d["rest"] = {n: [round(float(v), 7) for v in q] for n, q in zip(self.skeleton.names, self.rest)}
        return d


@dataclass
class JointMap:
    """The two rigs of a retarget; works in both directions (`rig_for` picks a side by joint names)."""

    rigs: tuple[Rig, Rig]

    def to_json(self) -> str:
        return json.dumps({"format": MAP_FORMAT, "version": MAP_VERSION,
                           "rigs": [r.to_dict() for r in self.rigs]}, indent=1)

    def with_parts(self, skeleton: Skeleton, parts: dict, where: str) -> "JointMap":
        """This map with the parts of `skeleton`'s rig replaced (a user's edit), checked as a loaded map's
        are: MotionFileError naming `where` and the part that is wrong. The rest pose is kept."""
        rig = self.rig_for(skeleton, None)
        checked = _rig_from_dict({"joints": list(skeleton.names), "parts": parts}, f"{where}: edited map")
        edited = Rig(skeleton, checked.parts, rig.rest, rig.rest_frame, where=rig.where)
        return JointMap(tuple(edited if set(r.skeleton.names) == set(skeleton.names) else r for r in self.rigs))

    def pairs(self, skeleton: Skeleton) -> list[tuple[str, list[str], list[str]]]:
        """(part, `skeleton`'s joints, the other rig's joints) for every part, in joint_roles.PARTS order."""
        rig = self.rig_for(skeleton, None)
        other = next(r for r in self.rigs if set(r.skeleton.names) != set(skeleton.names))
        as_list = lambda v: [n for n in (v if isinstance(v, list) else [v]) if n]  # noqa: E731
        return [(p, as_list(rig.parts.get(p)), as_list(other.parts.get(p))) for p in PARTS]

    def rig_for(self, skeleton: Skeleton, path) -> Rig:
        for rig in self.rigs:
            if set(rig.skeleton.names) == set(skeleton.names):
                return Rig(skeleton, rig.parts, None if rig.rest is None else
                           rig.rest[[rig.skeleton.index(n) for n in skeleton.names]],
                           where=str(path) if path else rig.where)
        raise MotionFileError(path, "no rig in this map has the joints of the skeleton given "
                                    f"({', '.join(skeleton.names[:6])}, ...)")


def save_map(joint_map: JointMap, path) -> None:
    from motion.atomic import atomic_write

    with atomic_write(path) as f:
        f.write(joint_map.to_json() + "\n")


def load_map(path) -> JointMap:
    """Read and validate a JointMap JSON file; MotionFileError names the file and what is wrong."""
    text = read_text(path)  # a regular file within the input size limit, UTF-8 (MotionFileError otherwise)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise MotionFileError(path, f"not JSON: {e.msg}", line=e.lineno) from None
    except RecursionError:
        raise MotionFileError(path, "JSON nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != MAP_FORMAT:
        raise MotionFileError(path, f"not a joint map (expected \"format\": \"{MAP_FORMAT}\")")
    if data.get("version") != MAP_VERSION:
        raise MotionFileError(path, f"unsupported joint map version {data.get('version')!r} (expected {MAP_VERSION})")
    rigs = data.get("rigs")
    if not isinstance(rigs, list) or len(rigs) != 2:
        raise MotionFileError(path, "\"rigs\" must be a list of two rigs")
    return JointMap(tuple(_rig_from_dict(r, f"{path}: rig {i + 1}") for i, r in enumerate(rigs)))


def _rig_from_dict(d, where: str) -> Rig:
    def bad(problem: str):
        raise MotionFileError(where.split(": ")[0], f"{where.split(': ', 1)[1]}: {problem}")

    if not isinstance(d, dict) or not isinstance(d.get("joints"), list) or not isinstance(d.get("parts"), dict):
        bad("needs \"joints\" (a list of names) and \"parts\" (an object)")
    joints = d["joints"]
    if not joints or not all(isinstance(n, str) for n in joints) or len(set(joints)) != len(joints):
        bad("\"joints\" must be distinct joint names")
    parts = d["parts"]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        bad(f"unknown part(s) {unknown}; parts are {list(PARTS)}")
    for part in PARTS:
        value = parts.get(part)
        names = value if part in CHAIN_PARTS else [value]
        if part in CHAIN_PARTS and not isinstance(value, list):
            bad(f"part {part!r} must be a list of joint names")
        for n in names:
            if n is None and part not in CHAIN_PARTS:
                continue
            if not isinstance(n, str) or n not in joints:
                bad(f"part {part!r}: {n!r} is not one of the rig's joints")
    rest = d.get("rest")
    if rest is not None:
        try:
            q = np.array([rest[n] for n in joints], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            bad("\"rest\" must give a quaternion [w, x, y, z] for every joint")
        if q.shape != (len(joints), 4) or not np.all(np.isfinite(q)) or np.any(np.linalg.norm(q, axis=1) < 1e-6):
            bad("\"rest\" must give a finite, non-zero quaternion [w, x, y, z] for every joint")
        rest = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
    placeholder = Skeleton(list(joints), [-1] + [0] * (len(joints) - 1), np.zeros((len(joints), 3)),
                           [()] * len(joints))
    missing = [p for p in ("hips", "head") + tuple(f"{s}_{p}" for s in ("left", "right")
               for p in ("upper_arm", "lower_arm", "upper_leg", "lower_leg", "foot")) if parts.get(p) is None]
    if missing:
        bad(f"required part(s) not given: {missing}")
    return Rig(placeholder, {p: parts.get(p, [] if p in CHAIN_PARTS else None) for p in PARTS}, rest)
