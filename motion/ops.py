"""Clip operations that return new Motions: resample, mirror, slice and concatenate."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

from motion.motion import MAX_FRAMES, Motion
from motion.rotations import quat_slerp
from motion.skeleton import Skeleton

_AXES = {"x": 0, "y": 1, "z": 2}

# Name patterns that mark a joint as left or right, tried in this order; the first one that turns a name
# into another joint's name pairs the two.
_SIDE_WORDS = [(re.compile("Left|Right"), {"Left": "Right", "Right": "Left"}),
               (re.compile("left|right"), {"left": "right", "right": "left"}),
               (re.compile("LEFT|RIGHT"), {"LEFT": "RIGHT", "RIGHT": "LEFT"})]
_SIDE_LETTERS = [
    re.compile(r"(?:^|(?<=[\s_.:\-]))[LlRr](?=$|[\s_.:\-])"),  # l_hip, hand_R, Hand.L, "Bip01 L Thigh"
    re.compile(r"^[LlRr](?=[A-Z])"),  # LHipJoint, RThumb, lShldr
    re.compile(r"(?<=[a-z])[LR]$"),  # ThighL
]
_LETTER_SWAP = {"L": "R", "R": "L", "l": "r", "r": "l"}


def _derive(motion: Motion, rotations, translations, fps=None, skeleton=None) -> Motion:
    return Motion(motion.skeleton if skeleton is None else skeleton, rotations, translations,
                  motion.fps if fps is None else fps, name=motion.name,
                  source=motion.source, warnings=list(motion.warnings))


# --------------------------------------------------------------------------- resample

def resample(motion: Motion, fps: float) -> Motion:
    """The clip at a new frame rate: rotations slerped, translations linearly interpolated.

    Keeps the duration: the new clip has round((F - 1) * fps / old_fps) + 1 frames, sampled every
    1 / fps seconds from the first frame (kept exactly), so its last frame lies within half a new frame
    of the original last one (a sample past the end holds the last pose). Frames that fall on an
    original frame (same fps, integer downsampling) are copied exactly.
    """
    fps = float(fps)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps}")
    if fps == motion.fps:
        return _derive(motion, motion.rotations.copy(), motion.translations.copy())
    frames = motion.num_frames
    count = int(round((frames - 1) * fps / motion.fps)) + 1
    if count > MAX_FRAMES:
        raise ValueError(f"resampling to {fps:g} fps would make {count:,} frames, more than {MAX_FRAMES:,}")
    where = np.minimum(np.arange(count) * (motion.fps / fps), frames - 1)  # in source frames
    i0 = np.floor(where).astype(np.int64)
    i1 = np.minimum(i0 + 1, frames - 1)
    t = (where - i0).astype(np.float32)[:, None]  # (count, 1) broadcasts over joints
    rot0, tr0 = motion.rotations[i0], motion.translations[i0]
    on_frame = (t == 0.0)[..., None]
    rotations = np.where(on_frame, rot0, quat_slerp(rot0, motion.rotations[i1], t))
    translations = np.where(on_frame, tr0, tr0 + (motion.translations[i1] - tr0) * t[..., None])
    return _derive(motion, rotations, translations, fps=fps)


# --------------------------------------------------------------------------- mirror

def _side_swapped_names(name: str) -> Iterable[str]:
    for pattern, swap in _SIDE_WORDS:
        yield pattern.sub(lambda m: swap[m.group()], name)
    for pattern in _SIDE_LETTERS:
        yield pattern.sub(lambda m: _LETTER_SWAP[m.group()], name)


def side_of(name: str) -> tuple[str | None, str]:
    """("left" | "right" | None, the name without its side marker), by the patterns find_mirror_pairs
    uses: "LeftUpLeg" -> ("left", "UpLeg"), "Hand.R" -> ("right", "Hand"), "LHipJoint" -> ("left", "HipJoint")."""
    for pattern, _ in _SIDE_WORDS:
        m = pattern.search(name)
        if m:
            return m.group().lower(), name[:m.start()] + name[m.end():]
    for pattern in _SIDE_LETTERS:
        m = pattern.search(name)
        if m:
            return ("left" if m.group() in "Ll" else "right"), name[:m.start()] + name[m.end():]
    return None, name


def find_mirror_pairs(skeleton: Skeleton) -> list[tuple[str, str]]:
    """Left/right joint pairs found by name: Left/Right, left/right, L/R or l/r as a prefix
    (LHipJoint, lShldr, l_hip), a suffix (hand_r, Hand.R, ThighR) or a separate word (Bip01 L Thigh)."""
    names = skeleton.names
    index = {n: j for j, n in enumerate(names)}
    partner: dict[str, str] = {}
    for name in names:
        for other in _side_swapped_names(name):
            if other != name and other in index:
                partner[name] = other
                break
    for name, other in partner.items():
        if partner.get(other) != name:
            raise ValueError(f"ambiguous left/right pairing: {name!r} -> {other!r} -> {partner.get(other)!r}; "
                             "pass the pairs explicitly")
    return [(a, b) for a, b in partner.items() if index[a] < index[b]]


def _mirror_permutation(skeleton: Skeleton, pairs) -> np.ndarray:
    """perm[j] = the joint whose data joint j takes (its mirror partner, or itself)."""
    if pairs is None:
        pairs = find_mirror_pairs(skeleton)
    perm = np.arange(skeleton.num_joints)
    seen: set[int] = set()

    def joint(ref) -> int:
        if isinstance(ref, (int, np.integer)):
            if not 0 <= ref < skeleton.num_joints:
                raise ValueError(f"mirror pair: joint index {ref} out of range")
            return int(ref)
        if ref not in skeleton.names:
            raise ValueError(f"mirror pair: no joint named {ref!r}")
        return skeleton.index(ref)

    for a, b in pairs:
        ia, ib = joint(a), joint(b)
        if ia == ib or ia in seen or ib in seen:
            raise ValueError(f"mirror pairs: joint {skeleton.names[ia]!r} or {skeleton.names[ib]!r} is paired twice")
        seen.update((ia, ib))
        perm[ia], perm[ib] = ib, ia
    parents = skeleton.parents
    for j in range(skeleton.num_joints):
        p = parents[j]
        if parents[perm[j]] != (perm[p] if p >= 0 else -1):
            raise ValueError(f"cannot mirror: {skeleton.names[j]!r} and {skeleton.names[perm[j]]!r} "
                             "have parents that are not mirror partners")
    return perm


def mirror(motion: Motion, pairs: Sequence[tuple] | None = None, axis: str = "x") -> Motion:
    """The clip reflected across the plane through the origin normal to `axis` (default X: x -> -x,
    the left/right axis of Y-up BVH skeletons; DeepMimic's humanoid is mirrored with axis="z"), with the
    data of left/right partner joints swapped.

    pairs -- (name or index, name or index) partners; None finds them by name (see find_mirror_pairs).

    The skeleton's offsets, end sites and channel layouts are mirrored and swapped too, so the result is
    exactly the mirror image in world space (joint j of the result sits at the reflection of its partner),
    even for a slightly asymmetric skeleton; for a symmetric one the offsets come out unchanged.
    Mirroring twice gives back the original clip exactly.
    """
    try:
        a = _AXES[axis.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"mirror axis must be 'x', 'y' or 'z', got {axis!r}") from None
    skeleton = motion.skeleton
    perm = _mirror_permutation(skeleton, pairs)
    flip = np.ones(3, dtype=np.float32)
    flip[a] = -1.0
    # reflecting a rotation keeps w and the vector part along the normal, negates the other two components
    qflip = np.concatenate([[1.0], -flip]).astype(np.float32)
    inverse = np.argsort(perm)
    mirrored = Skeleton(
        names=list(skeleton.names),
        parents=skeleton.parents.copy(),
        offsets=skeleton.offsets[perm] * flip,
        channels=[skeleton.channels[p] for p in perm],
        end_sites={int(inverse[j]): np.asarray(e, np.float32) * flip for j, e in skeleton.end_sites.items()},
    )
    return _derive(motion, motion.rotations[:, perm] * qflip, motion.translations[:, perm] * flip,
                   skeleton=mirrored)


# --------------------------------------------------------------------------- slice and concatenate

def slice_frames(motion: Motion, start: int | None, stop: int | None = None) -> Motion:
    """Frames start..stop-1 with Python slice rules (negative counts from the end, None = open end)."""
    frames = range(motion.num_frames)[start:stop]
    if len(frames) == 0:
        raise ValueError(f"frames {start}:{stop} select nothing from a {motion.num_frames}-frame clip")
    sel = slice(frames.start, frames.stop)
    return _derive(motion, motion.rotations[sel].copy(), motion.translations[sel].copy())


def concatenate(motions: Sequence[Motion], atol: float = 1e-4) -> Motion:
    """Clips one after another on the first clip's skeleton. The clips must share the frame rate and the
    skeleton (names and parents equal, offsets within atol). Root positions are not re-aligned."""
    if not motions:
        raise ValueError("concatenate needs at least one clip")
    first = motions[0]
    for other in motions[1:]:
        if not math.isclose(other.fps, first.fps, rel_tol=1e-6):
            raise ValueError(f"clip {other.name!r} runs at {other.fps} fps, {first.name!r} at {first.fps}: "
                             "resample first")
        a, b = first.skeleton, other.skeleton
        if (a.names != b.names or not np.array_equal(a.parents, b.parents)
                or not np.allclose(a.offsets, b.offsets, atol=atol)):
            raise ValueError(f"clip {other.name!r} is on a different skeleton from {first.name!r}")
    return Motion(first.skeleton,
                  np.concatenate([m.rotations for m in motions]),
                  np.concatenate([m.translations for m in motions]),
                  first.fps,
                  name="+".join(m.name for m in motions),
                  warnings=[w for m in motions for w in m.warnings])
