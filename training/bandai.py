"""Bandai Namco Research Motion Dataset 1 (Bandai Namco Research Inc., 2022; CC BY-NC 4.0) as a
`MotionDataset`: 174 BVH clips of 15 styles x 10 contents (plus a few `normal`-only contents), 30 fps,
22 joints in centimetres, named `dataset-1_{content}_{style}_{id}.bvh`.

- Folder: `--data bandai-namco` is the shared copy (`../shared/datasets/bandai-namco-1` beside the
  repository); `--data DIR` any folder holding the clips directly, in `data/`, or zipped in `data.zip`
  (extracted once into the user cache, never into the repository).
- Skeleton: `joint_Root` sits above `Hips` at the origin in most clips (zero channels) and carries the
  forward travel in a few (dash_normal); it is folded into `Hips` (`fold_root`), so the model's skeleton is the 21 joints from `Hips` down, roles
  by name patterns (`motion.joint_roles.generic_roles`: UpperLeg_L/R, Foot_L/R + Toes_L/R).
- Labels: style and content from the file name; the style is what the networks condition on.
- Split (RSMT's rule, applied per style): RSMT gives the last 10% of a long sequence to test
  (Style100Processor.split_from_binary). These clips are short (median 180 frames; 53 are under the
  123 frames one manifold window needs), so 10% of one clip (2-48 frames) holds no 65-frame evaluation
  window. Each style's clips, in file-name order, are taken as that style's one recording: its last 10%
  of frames is held out, cut inside the clip where the 10% line falls. The cut pieces are separate
  sequences, so no window crosses the line, and only `train` feeds the phase, manifold and sampler
  training and the normalisation statistics. With file-name order the held-out part of each style is
  the end of its `walk` takes (walk sorts last), so every style has held-out walking.
- Augmentation as RSMT's: every piece also gets a mirrored copy (`_L`/`_R` names) and a time-scaled copy.
"""
from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motion import features as F
from motion.errors import MotionFileError
from motion.motion import Motion
from motion.skeleton import Skeleton

NAME = "bandai-namco"  # --data NAME: the shared copy
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "bandai-namco-1"
FILE_NAME = re.compile(r"^dataset-1_(?P<content>[^_]+)_(?P<style>[^_]+)_(?P<take>\d+)$")
LICENCE = "CC BY-NC 4.0, non-commercial use only"  # what every network trained on it carries (LICENSE.md beside it)
LICENSE_NOTE = ("Bandai Namco Research Motion Dataset 1, (c) 2022 Bandai Namco Research Inc., "
                "CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/): non-commercial use only")


@dataclass(frozen=True)
class Clip:
    path: Path
    content: str
    style: str
    take: str

    @property
    def name(self) -> str:
        return self.path.stem


def parse_name(path: Path) -> Clip | None:
    """The labels in a clip's file name, None for a file not named `dataset-1_{content}_{style}_{id}`."""
    m = FILE_NAME.match(path.stem)
    return Clip(path, m["content"], m["style"], m["take"]) if m else None


def clip_files(folder: Path) -> list[Path]:
    """The data set's BVH files in `folder`, `folder/data` or extracted from `folder/data.zip`."""
    for where in (folder, folder / "data"):
        files = sorted(p for p in where.glob("dataset-1_*.bvh") if parse_name(p))
        if files:
            return files
    if (folder / "data.zip").is_file():
        return clip_files(extract_zip(folder / "data.zip"))
    return []


def extract_zip(archive: Path) -> Path:
    """Extract the clips of `archive` into the user cache once (a marker file records completion)."""
    from inference.paths import cache_dir

    out = cache_dir("datasets") / f"bandai-namco-1-{archive.stat().st_size}"
    done = out / ".extracted"
    if not done.is_file():
        try:
            with zipfile.ZipFile(archive) as z:
                z.extractall(out)
        except (OSError, zipfile.BadZipFile) as e:
            raise MotionFileError(archive, f"cannot extract ({e})") from None
        done.write_text("ok\n")
    hits = sorted({p.parent for p in out.rglob("dataset-1_*.bvh")})
    return hits[0] if hits else out


def resolve(spec: str) -> Path | None:
    """The clip folder `--data spec` names when it is this data set (the name or a folder holding the
    clips), else None."""
    folder = SHARED if spec == NAME else Path(spec)
    if spec == NAME and not folder.is_dir():
        raise MotionFileError(folder, "the Bandai Namco data set is not there (the shared data folder is absent)")
    return folder if folder.is_dir() and clip_files(folder) else None


def read_clips(folder: Path) -> list[Clip]:
    files = clip_files(folder)
    if not files:
        raise MotionFileError(folder, "no dataset-1_{content}_{style}_{id}.bvh files found")
    return [parse_name(p) for p in files]


def fold_root(motion: Motion) -> Motion:
    """The motion without its first joint, folded into its one child (the child's local transform becomes
    the root's composed with its own), so the child is the root and every joint stays where it was in the
    world. MotionFileError naming the file when the first joint has more than one child."""
    from motion.rotations import quat_mul, quat_rotate

    sk = motion.skeleton
    if len(sk.children(0)) != 1:
        raise MotionFileError(motion.source or motion.name,
                              f"expected the root joint {sk.names[0]!r} to have one child (the hips)")
    keep = list(range(1, sk.num_joints))
    rot, trans = motion.rotations[:, keep].copy(), motion.translations[:, keep].copy()
    root_q = motion.rotations[:, 0]
    rot[:, 0] = quat_mul(root_q, rot[:, 0])
    trans[:, 0] = quat_rotate(root_q, trans[:, 0]) + motion.translations[:, 0]
    skeleton = Skeleton([sk.names[i] for i in keep], np.array([-1] + [int(sk.parents[i]) - 1 for i in keep[1:]]),
                        sk.offsets[keep], [sk.channels[i] for i in keep],
                        {j - 1: v for j, v in sk.end_sites.items() if j > 0})
    return Motion(skeleton, rot, trans, motion.fps, name=motion.name, source=motion.source,
                  warnings=list(motion.warnings))


def read_clip(clip: Clip) -> Motion:
    from motion.bvh import read_bvh
    from motion.resample import to_30fps

    return to_30fps(fold_root(read_bvh(clip.path)))


def style_cuts(clips: list[Clip], frames: dict[Path, int], fraction: float) -> dict[Path, int]:
    """{clip path: first held-out frame} per the module docstring's split: each style's clips in file-name
    order, the last `fraction` of the style's frames held out (a clip wholly after the line: 0; wholly
    before it: its frame count)."""
    cuts = {}
    for style in sorted({c.style for c in clips}):
        mine = sorted((c for c in clips if c.style == style), key=lambda c: c.name)
        total = sum(frames[c.path] for c in mine)
        line, start = total - math.ceil(total * fraction), 0
        for c in mine:
            cuts[c.path] = int(np.clip(line - start, 0, frames[c.path]))
            start += frames[c.path]
    return cuts


def bandai_dataset(folder: Path, augmented: bool = True, seed: int = 0, clips: list[str] | None = None):
    """The data set as a MotionDataset (see the module docstring); `clips` limits it to those file stems
    (tests), the split still taken over the clips loaded."""
    from motion.joint_roles import JointRolesError, roles_for
    from training.datasets import TEST_FRACTION, MotionDataset, augment, make_sequence, tail_split

    chosen = [c for c in read_clips(folder) if clips is None or c.name in clips]
    motions = {c.path: read_clip(c) for c in chosen}
    cuts = style_cuts(chosen, {p: m.num_frames for p, m in motions.items()}, TEST_FRACTION)
    rng = np.random.default_rng(seed)
    data = None
    for c in chosen:
        m = motions[c.path]
        try:
            if data is None:
                roles = roles_for(m.skeleton, str(c.path))
                data = MotionDataset(roles, m.skeleton.offsets[list(roles.source_index)], 1.0, licence=LICENCE,
                                     attribution=LICENSE_NOTE)
            seq = make_sequence(m, data.roles, 1.0, c.style, c.name)
        except JointRolesError as e:
            raise MotionFileError(c.path, str(e).split(": ", 1)[-1]) from None
        cut = cuts[c.path]
        if cut == m.num_frames:
            pieces = [(seq, m, False)]
        elif cut == 0:
            pieces = [(seq, m, True)]
        else:
            pieces = tail_split(seq, m, m.num_frames - cut)
        for piece, motion, is_test in pieces:
            if motion.num_frames <= F.PAE_WINDOW:  # too short for any window
                continue
            seqs = augment(piece, data.roles, motion, 1.0, rng) if augmented else [piece]
            (data.test if is_test else data.train).extend(seqs)
    return data


def content_of(sequence_name: str) -> str:
    """The content label of a sequence built from a clip ("dataset-1_walk_angry_001/test/mirror" -> "walk")."""
    m = FILE_NAME.match(sequence_name.split("/")[0])
    return m["content"] if m else ""
