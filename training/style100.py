"""A user's 100STYLE folder (Mason, Starke, Komura 2022; CC BY 4.0) as a `MotionDataset`, the way the
official RSMT code prepares it (src/Datasets/Style100Processor.py bvh_to_binary and split_from_binary):

- `Frame_Cuts.csv` has one row per style (STYLE_NAME) and, for each content BR, BW, FR, FW, ID, SR, SW,
  TR1, TR2, TR3, the columns <content>_START and <content>_STOP (source frames at 60 fps; empty or
  N/A when the style has no such clip). The clip is `<folder>/<style>/<style>_<content>.bvh`, cut to
  frames START..STOP-1 and taken down to 30 fps by keeping every second frame.
- Joints are reordered to RSMT's 23-joint order (`motion.joint_roles.STYLE100_ORDER`); units stay the
  file's (centimetres).
- Split: the last 10 styles in CSV order go entirely to test; of the other styles, a sequence longer
  than 2000 frames (30 fps) gives its last tenth to test, the rest to train.
- Every train and test sequence also gets a mirrored and a time-scaled copy (RSMT augment_dataset).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from motion.errors import MotionFileError
from motion.joint_roles import JointRolesError, style100_roles
from motion.motion import Motion
from training.datasets import (TEST_FRACTION, MotionDataset, add_limb_mixes, augment, check_length, make_sequence,
                               tail_split, to_30fps)

CONTENTS = ("BR", "BW", "FR", "FW", "ID", "SR", "SW", "TR1", "TR2", "TR3")
TEST_STYLES = 10  # the last 10 styles are held out entirely
LONG_SEQUENCE = 2000  # frames at 30 fps; longer sequences give their last 10% to test


def read_frame_cuts(folder: str | Path) -> list[tuple[str, dict[str, tuple[int, int]]]]:
    """[(style, {content: (start, stop)})] in CSV order; MotionFileError naming the CSV when it is
    missing or malformed."""
    path = Path(folder) / "Frame_Cuts.csv"
    if not path.is_file():
        raise MotionFileError(path, "file not found (a 100STYLE folder holds Frame_Cuts.csv and one folder per style)")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise MotionFileError(path, f"cannot read ({e})") from None
    if not rows:
        raise MotionFileError(path, "empty file")
    header = [h.strip() for h in rows[0]]
    if "STYLE_NAME" not in header:
        raise MotionFileError(path, "no STYLE_NAME column", 1)
    col = {h: i for i, h in enumerate(header)}
    cuts = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        style = row[col["STYLE_NAME"]].strip()
        ranges = {}
        for content in CONTENTS:
            start_col, stop_col = col.get(f"{content}_START"), col.get(f"{content}_STOP")
            if start_col is None or stop_col is None:
                continue
            start = row[start_col].strip() if start_col < len(row) else ""
            stop = row[stop_col].strip() if stop_col < len(row) else ""
            if start.upper() in ("", "N/A", "NA", "NAN") or stop.upper() in ("", "N/A", "NA", "NAN"):
                continue
            try:
                a, b = int(float(start)), int(float(stop))
            except ValueError:
                raise MotionFileError(path, f"{style} {content}: frame numbers {start!r}, {stop!r} are not integers",
                                      line) from None
            if not 0 <= a < b:
                raise MotionFileError(path, f"{style} {content}: start {a} must be below stop {b}", line)
            ranges[content] = (a, b)
        cuts.append((style, ranges))
    if not cuts:
        raise MotionFileError(path, "no styles listed")
    return cuts


def _load_clip(file: Path, start: int, stop: int) -> Motion:
    from motion.bvh import read_bvh

    if not file.is_file():
        raise MotionFileError(file, "file not found (listed in Frame_Cuts.csv)")
    m = read_bvh(file)
    if stop > m.num_frames:
        raise MotionFileError(file, f"Frame_Cuts.csv cuts frames {start}..{stop} but the file has {m.num_frames}")
    m = Motion(m.skeleton, m.rotations[start:stop], m.translations[start:stop], m.fps, name=m.name,
               source=m.source, warnings=list(m.warnings))
    return to_30fps(m)


def style100_dataset(folder: str | Path, augmented: bool = True, seed: int = 0,
                     styles: list[str] | None = None, limb_mix: int = 0) -> MotionDataset:
    """Parse, cut, resample, split and augment a 100STYLE folder (see module docstring).
    `styles` limits loading to those style names (the split still uses the full CSV order); `limb_mix` K
    adds K body-part mixes per training piece (`training.datasets.add_limb_mixes`)."""
    folder = Path(folder)
    cuts = read_frame_cuts(folder)
    test_styles = {s for s, _ in cuts[-TEST_STYLES:]}
    rng = np.random.default_rng(seed)
    data, sources = None, []
    for style, ranges in cuts:
        if styles is not None and style not in styles:
            continue
        for content, (start, stop) in ranges.items():
            file = folder / style / f"{style}_{content}.bvh"
            m = _load_clip(file, start, stop)
            if data is None:
                try:
                    roles = style100_roles(m.skeleton, str(file))
                except JointRolesError as e:
                    raise MotionFileError(file, str(e).split(": ", 1)[-1]) from None
                data = MotionDataset(roles, m.skeleton.offsets[list(roles.source_index)], 1.0)
            try:
                seq = make_sequence(m, data.roles, 1.0, style, f"{style}_{content}")
            except JointRolesError as e:
                raise MotionFileError(file, str(e).split(": ", 1)[-1]) from None
            check_length(seq, str(file))
            pieces = [(seq, m, style in test_styles)]
            if style not in test_styles and seq.num_frames > LONG_SEQUENCE:
                pieces = tail_split(seq, m, int(seq.num_frames * TEST_FRACTION))
            for piece, motion, is_test in pieces:
                seqs = augment(piece, data.roles, motion, 1.0, rng) if augmented else [piece]
                (data.test if is_test else data.train).extend(seqs)
                if not is_test:
                    sources.append((motion, style))
    if data is None:
        raise MotionFileError(folder / "Frame_Cuts.csv", "lists no clip to load")
    add_limb_mixes(data, sources, limb_mix, rng, augmented)
    return data

