"""DeepMimic motion files (`humanoid3d_*.txt`) on the humanoid3d skeleton of pybullet's DeepMimic env.

File format (JSON): ``{"Loop": "wrap"|"none", "Frames": [[...44 numbers...], ...]}``; some files carry
extra keys (``RightJoints``/``LeftJoints``, mirror tables) that we keep but do not use. One frame row is

    duration (s) | root position xyz (3) | root quaternion wxyz (4) |
    chest 4 | neck 4 | right_hip 4 | right_knee 1 | right_ankle 4 | right_shoulder 4 | right_elbow 1 |
    left_hip 4 | left_knee 1 | left_ankle 4 | left_shoulder 4 | left_elbow 1

(the order of `humanoid_pose_interpolator.Slerp` in pybullet_envs/deep_mimic). Quaternions are
(w, x, y, z) and local to the parent joint; the one-number joints (knees, elbows) are revolute hinge
angles in radians about the joint's local +Z axis (URDF ``<axis xyz="0 0 1"/>``; knees bend negative,
elbows positive).

Units: metres, Y up, +X forward. The env loads ``humanoid/humanoid.urdf`` with ``globalScaling=0.25``
and plays these files unscaled, so the skeleton offsets below are the URDF joint origins x 0.25.

In a `Motion`, every joint (revolute ones included) holds a quaternion; a knee or elbow angle a becomes
the rotation of a about local Z, so the skeleton's rotation channels are ``Zrotation Yrotation
Xrotation`` (intrinsic ZYX) and a hinge shows up in a BVH as its Zrotation channel with the other two
at zero. Writing a Motion back projects each hinge joint onto its Z axis (the "twist"), with a warning
when the dropped off-axis part is large.

Quaternions are normalised on reading (several shipped clips hold norms down to 0.85; a warning says
so), so a written file equals the original up to that normalisation. The first frame's duration gives
the fps. Durations that vary (the last frame's is usually 0: it only closes the cycle) are kept in
`Motion.meta` ("loop", "frame_durations", "extra": other top-level JSON keys), and `write_deepmimic`
reuses them, so a read/write round trip reproduces the file.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from motion.errors import MotionFileError
from motion.atomic import atomic_write, require_finite
from motion.files import read_json
from motion.motion import FPS_RANGE, MAX_ABS_VALUE, Motion, out_of_range
from motion.skeleton import Skeleton

DEEPMIMIC_SCALE = 100.0  # metres -> centimetres: the RSMT models' units for the humanoid3d clips

URDF_SCALE = 0.25  # globalScaling the pybullet env loads humanoid.urdf with

# (name, parent name, URDF joint origin xyz (unscaled), kind) in file order.
_JOINTS = (
    ("root", None, (0.0, 0.0, 0.0), "root"),
    ("chest", "root", (0.0, 0.944604, 0.0), "spherical"),
    ("neck", "chest", (0.0, 0.895576, 0.0), "spherical"),
    ("right_hip", "root", (0.0, 0.0, 0.339548), "spherical"),
    ("right_knee", "right_hip", (0.0, -1.686184, 0.0), "revolute"),
    ("right_ankle", "right_knee", (0.0, -1.639480, 0.0), "spherical"),
    ("right_shoulder", "chest", (-0.0962, 0.974, 0.73244), "spherical"),
    ("right_elbow", "right_shoulder", (0.0, -1.099152, 0.0), "revolute"),
    ("left_hip", "root", (0.0, 0.0, -0.339548), "spherical"),
    ("left_knee", "left_hip", (0.0, -1.686184, 0.0), "revolute"),
    ("left_ankle", "left_knee", (0.0, -1.639480, 0.0), "spherical"),
    ("left_shoulder", "chest", (-0.0962, 0.974, -0.73244), "spherical"),
    ("left_elbow", "left_shoulder", (0.0, -1.099152, 0.0), "revolute"),
)
JOINT_NAMES = tuple(j[0] for j in _JOINTS)
_OFFSETS = np.array([o for _, _, o, _ in _JOINTS], dtype=np.float64) * URDF_SCALE  # metres
REVOLUTE_JOINTS = tuple(j[0] for j in _JOINTS if j[3] == "revolute")
FRAME_WIDTH = 1 + 3 + 4 + sum(4 if k == "spherical" else 1 for *_, k in _JOINTS[1:])  # 44

# End sites (unscaled URDF units): top of the head sphere (centre 0.7 above the neck, radius 0.41),
# the front of the sole of the foot box (centre (0.18, -0.09), size 0.708 x 0.22), and the wrist
# (the URDF's fixed `*_wrist` joints).
_END_SITES = {
    "neck": (0.0, 0.7 + 0.41, 0.0),
    "right_ankle": (0.18 + 0.354, -0.09 - 0.11, 0.0),
    "left_ankle": (0.18 + 0.354, -0.09 - 0.11, 0.0),
    "right_elbow": (0.0, -1.035788, 0.0),
    "left_elbow": (0.0, -1.035788, 0.0),
}

_ROTATION_CHANNELS = ("Zrotation", "Yrotation", "Xrotation")
_ROOT_CHANNELS = ("Xposition", "Yposition", "Zposition") + _ROTATION_CHANNELS

# A hinge joint whose off-axis rotation exceeds this gets a warning when written.
HINGE_WARN_DEGREES = 5.0


def humanoid3d_skeleton() -> Skeleton:
    """The 13-joint humanoid3d skeleton in metres (file order = pybullet's URDF order without fixed links)."""
    names = list(JOINT_NAMES)
    parents = [-1 if p is None else names.index(p) for _, p, _, _ in _JOINTS]
    channels = [_ROOT_CHANNELS] + [_ROTATION_CHANNELS] * (len(names) - 1)
    end_sites = {names.index(n): np.array(o, dtype=np.float32) * URDF_SCALE for n, o in _END_SITES.items()}
    return Skeleton(names, parents, _OFFSETS, channels, end_sites)


def humanoid3d_motion(root_positions: np.ndarray, rotations: np.ndarray, fps: float, name: str = "") -> Motion:
    """A Motion on the humanoid3d skeleton from root positions (F, 3) and local rotations (F, 13, 4)."""
    skeleton = humanoid3d_skeleton()
    root_positions = np.asarray(root_positions, dtype=np.float32).reshape(-1, 3)
    translations = np.broadcast_to(skeleton.offsets, (len(root_positions), skeleton.num_joints, 3)).copy()
    translations[:, 0] = root_positions
    return Motion(skeleton, rotations, translations, fps, name=name)


def read_deepmimic(path: str | os.PathLike) -> Motion:
    """Read a DeepMimic motion file; MotionFileError names the file (and frame) on bad input."""
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("Frames"), list):
        raise MotionFileError(path, 'not a DeepMimic motion: no "Frames" list')
    rows = data["Frames"]
    if not rows:
        raise MotionFileError(path, "no frames")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != FRAME_WIDTH:
            got = len(row) if isinstance(row, list) else type(row).__name__
            raise MotionFileError(path, f"frame {i}: expected {FRAME_WIDTH} numbers (humanoid3d), got {got}")
    try:
        frames = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float64 (10**400)
        raise MotionFileError(path, "frames hold something that is not a number") from None
    if out_of_range(frames).any():
        bad = int(np.argwhere(out_of_range(frames))[0, 0])
        raise MotionFileError(path, f"frame {bad}: not a finite number within +-{MAX_ABS_VALUE:g}")
    durations = frames[:, 0]
    if not 1.0 / FPS_RANGE[1] <= durations[0] <= 1.0 / FPS_RANGE[0]:
        raise MotionFileError(path, f"frame 0: duration must be between {1.0 / FPS_RANGE[1]:g} and "
                                    f"{1.0 / FPS_RANGE[0]:g} s, got {durations[0]:g}")

    warnings: list[str] = []
    rotations, translations = _frames_to_pose(frames, path, warnings)
    inner = durations[:-1] if len(durations) > 1 else durations
    if np.abs(inner - durations[0]).max() > 1e-6:
        odd = int(np.argmax(np.abs(inner - durations[0]) > 1e-6))
        warnings.append(f"frame durations vary (frame {odd}: {inner[odd]:g} s); "
                        f"using {1.0 / durations[0]:g} fps from the first frame")
    meta = {"loop": str(data.get("Loop", "wrap")), "frame_durations": durations.copy(),
            "extra": {k: v for k, v in data.items() if k not in ("Loop", "Frames")}}
    return Motion(humanoid3d_skeleton(), rotations, translations, 1.0 / float(durations[0]), name=path.stem,
                  source=str(path), warnings=[f"{path}: {w}" for w in warnings], meta=meta)


def _frames_to_pose(frames: np.ndarray, path: Path, warnings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(F, 44) rows -> local rotations (F, 13, 4) and translations (F, 13, 3)."""
    n = frames.shape[0]
    translations = np.broadcast_to(_OFFSETS, (n, len(_JOINTS), 3)).copy()
    translations[:, 0] = frames[:, 1:4]
    rotations = np.zeros((n, len(_JOINTS), 4))
    rotations[:, 0] = frames[:, 4:8]
    col = 8
    for j, (name, _, _, kind) in enumerate(_JOINTS[1:], start=1):
        if kind == "spherical":
            rotations[:, j] = frames[:, col:col + 4]
            col += 4
        else:
            half = frames[:, col] / 2.0
            rotations[:, j, 0] = np.cos(half)
            rotations[:, j, 3] = np.sin(half)
            col += 1
    norms = np.linalg.norm(rotations, axis=-1)
    if (norms < 1e-6).any():
        f, j = np.argwhere(norms < 1e-6)[0]
        raise MotionFileError(path, f"frame {f}: joint {JOINT_NAMES[j]!r} has a zero quaternion")
    off = np.abs(norms - 1.0) > 1e-3
    if off.any():
        f, j = np.argwhere(off)[0]
        warnings.append(f"{int(off.sum())} quaternions were not unit length (first: frame {f}, "
                        f"joint {JOINT_NAMES[j]}, norm {norms[f, j]:.4f}); normalised")
    return rotations / norms[..., None], translations


def write_deepmimic(motion: Motion, path: str | os.PathLike, *, loop: str | None = None,
                    durations: np.ndarray | None = None, extra: dict | None = None) -> list[str]:
    """Write `motion` (on the humanoid3d skeleton, joints matched by name) as a DeepMimic file, atomically.

    loop, durations and extra default to what `motion.meta` kept from a DeepMimic source file (durations
    only while the frame count still matches), else "wrap", 1/fps per frame with 0 for the last frame
    (DeepMimic's convention: the last frame closes the cycle) and nothing. Returns warnings, e.g. hinge
    joints with a large off-axis rotation.
    """
    path = Path(path)
    frames, warnings = motion_to_frames(motion, path)
    n = frames.shape[0]
    loop = loop or motion.meta.get("loop", "wrap")
    extra = motion.meta.get("extra", {}) if extra is None else extra
    kept = motion.meta.get("frame_durations")
    if durations is None and kept is not None and len(kept) == n:
        durations = kept
    if durations is None:
        durations = np.full(n, 1.0 / motion.fps)
        if n > 1:
            durations[-1] = 0.0
    durations = np.asarray(durations, dtype=np.float64)
    if durations.shape != (n,):
        raise ValueError(f"durations must have one entry per frame ({n}), got {durations.shape}")
    frames[:, 0] = durations
    require_finite(path, "frames", frames)
    doc = {"Loop": loop, **(extra or {})}
    lines = ",\n".join("[" + ", ".join(f"{v:.10f}" for v in row) + "]" for row in frames)
    head = ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items())
    with atomic_write(path) as f:
        f.write("{\n" + head + ',\n"Frames":\n[\n' + lines + "\n]\n}\n")
    return [f"{path}: {w}" for w in warnings]


def motion_to_frames(motion: Motion, where: str | os.PathLike = "") -> tuple[np.ndarray, list[str]]:
    """(F, 44) DeepMimic rows (duration column left 0) and warnings; joints are matched by name."""
    names = motion.skeleton.names
    missing = [n for n in JOINT_NAMES if n not in names]
    if missing:
        raise MotionFileError(where, "the skeleton is not humanoid3d: missing joint(s) " + ", ".join(missing))
    idx = [names.index(n) for n in JOINT_NAMES]
    rot = motion.rotations[:, idx].astype(np.float64)
    n = motion.num_frames
    frames = np.zeros((n, FRAME_WIDTH))
    frames[:, 1:4] = motion.translations[:, idx[0]]
    frames[:, 4:8] = rot[:, 0]
    warnings: list[str] = []
    ours = np.linalg.norm(motion.skeleton.offsets[idx[1:]], axis=1)
    theirs = np.linalg.norm(_OFFSETS[1:], axis=1)
    scale = float(np.median(ours / theirs))
    if abs(scale - 1.0) > 0.05:
        warnings.append(f"bone lengths are {scale:.3g} x humanoid3d's (metres): root positions are "
                        f"written as they are; convert with --scale {1 / scale:.3g} to get metres")
    col = 8
    for j, (name, _, _, kind) in enumerate(_JOINTS[1:], start=1):
        if kind == "spherical":
            frames[:, col:col + 4] = rot[:, j]
            col += 4
            continue
        angle, off_axis = hinge_angle(rot[:, j])
        worst = float(np.degrees(off_axis.max()))
        if worst > HINGE_WARN_DEGREES:
            f = int(off_axis.argmax())
            warnings.append(f"{name}: rotation off its hinge (Z) axis by up to {worst:.1f} deg "
                            f"(frame {f}); kept only the part about Z")
        frames[:, col] = angle
        col += 1
    return frames, warnings


def hinge_angle(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project quaternions (..., 4) onto a rotation about local Z (swing-twist split).

    Returns (angle about Z in (-pi, pi], angle of the dropped off-axis rotation), both radians.
    """
    w, z = q[..., 0], q[..., 3]
    twist = np.hypot(w, z)
    angle = 2.0 * np.arctan2(z, w)
    angle = np.where(angle > math.pi, angle - 2 * math.pi, angle)
    angle = np.where(angle <= -math.pi, angle + 2 * math.pi, angle)
    norm = np.linalg.norm(q, axis=-1)
    off_axis = 2.0 * np.arccos(np.clip(twist / np.maximum(norm, 1e-12), 0.0, 1.0))
    return angle, off_axis


def embedded_clips() -> dict[str, Path]:
    """Clip name (e.g. "humanoid3d_walk") -> motion file shipped in pybullet_data/data/motions/."""
    import pybullet_data

    folder = Path(pybullet_data.getDataPath()) / "data" / "motions"
    return {p.stem: p for p in sorted(folder.glob("humanoid3d_*.txt"))}


def load_embedded(name: str) -> Motion:
    clips = embedded_clips()
    if name not in clips:
        raise MotionFileError(name, "not an embedded clip (choose from " + ", ".join(clips) + ")")
    return read_deepmimic(clips[name])
