"""Issue 19's bad inputs for the Qt-free readers and writers: special files, sizes, Unicode digits, float32
overflow, absurd frame rates, deep JSON, huge integers, lying .npy headers, quadratic name repair, and
the writers' last check (no NaN/inf written), atomic writes over symlinks and after killed writers."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from motion.bvh import read_bvh, write_bvh
from motion.deepmimic import load_embedded, read_deepmimic, write_deepmimic
from motion.errors import MotionFileError
from motion.files import read_bytes, read_json, read_npy
from motion.atomic import atomic_write
from motion.io import load_motion
from motion.motion import Motion
from motion.ops import resample

DATA = Path(__file__).parents[1] / "data" / "bvh"
CLEAN = (DATA / "clean.bvh").read_text()


def bvh_with(tmp_path, old: str, new: str, name="x.bvh") -> Path:
    assert old in CLEAN
    path = tmp_path / name
    path.write_text(CLEAN.replace(old, new, 1))
    return path


def deepmimic_file(tmp_path, text: str) -> Path:
    path = tmp_path / "clip.txt"
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------- special files

def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "x.bvh"
    os.mkfifo(fifo)
    with pytest.raises(MotionFileError, match=r"x\.bvh: is a FIFO, not a regular file"):
        load_motion(fifo)


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.bvh"
    link.symlink_to("/dev/zero")
    with pytest.raises(MotionFileError, match=r"zero\.bvh: is a device, not a regular file"):
        load_motion(link)


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 101)
    assert read_bytes(path, limit=101) == b"x" * 101
    with pytest.raises(MotionFileError, match="larger than the 100 bytes"):
        read_bytes(path, limit=100)


def test_a_symlink_to_a_regular_file_is_read(tmp_path):
    link = tmp_path / "link.bvh"
    link.symlink_to(DATA / "clean.bvh")
    assert read_bvh(link).num_frames == read_bvh(DATA / "clean.bvh").num_frames


# ---------------------------------------------------------------------------------------- BVH numbers

@pytest.mark.parametrize("channels", ["³", "٣", "3.0", "-3"])
def test_a_channel_count_that_is_not_ascii_digits_is_an_error_at_its_line(tmp_path, channels):
    path = bvh_with(tmp_path, "CHANNELS 3 Zrotation", f"CHANNELS {channels} Zrotation")
    with pytest.raises(MotionFileError, match=r"x\.bvh:\d+: CHANNELS must be followed by a channel count"):
        read_bvh(path)


@pytest.mark.parametrize("value", ["1e39", "1e308", "-3.5e38", "1e16"])
def test_frame_values_beyond_the_limit_are_errors_at_their_line(tmp_path, value):
    lines = CLEAN.splitlines()
    last = len(lines)
    row = lines[-1].split()
    row[-1] = value
    path = tmp_path / "x.bvh"
    path.write_text("\n".join(lines[:-1] + [" ".join(row)]) + "\n")
    with pytest.raises(MotionFileError, match=rf"x\.bvh:{last}: '{value}' in the frame data is not a finite number "
                                              r"within \+-1e\+15"):
        read_bvh(path)


def test_an_offset_beyond_the_limit_is_an_error(tmp_path):
    line = next(l for l in CLEAN.splitlines() if "OFFSET" in l).strip()
    path = bvh_with(tmp_path, line, "OFFSET 0 1e39 0")
    with pytest.raises(MotionFileError, match="OFFSET needs 3 finite numbers within"):
        read_bvh(path)


@pytest.mark.parametrize("frame_time", ["1e-310", "1e-5", "1000", "inf"])
def test_a_frame_time_outside_the_fps_range_is_repaired_to_30_fps(tmp_path, frame_time):
    old = next(l for l in CLEAN.splitlines() if l.startswith("Frame Time"))
    m = read_bvh(bvh_with(tmp_path, old, f"Frame Time: {frame_time}"))
    assert m.fps == 30 and "is not a duration between 0.0001 and 100 s; using 30 fps" in m.warnings[-1]
    assert np.isfinite(m.duration)


def test_ten_thousand_joints_with_one_name_get_the_first_free_suffixes(tmp_path):
    """The repair is linear in the joint count (it was quadratic: 10,000 joints took 14 s); the names stay
    those of the documented rule: first free suffix, a suffix a real joint uses is skipped."""
    joints = "".join("JOINT J\n{\nOFFSET 0 1 0\n}\n" for _ in range(9_998))
    text = ("HIERARCHY\nROOT J\n{\nOFFSET 0 0 0\nCHANNELS 3 Zrotation Xrotation Yrotation\nJOINT J_3\n{\nOFFSET 0 1 0\n}\n"
            + joints + "}\nMOTION\nFrames: 1\nFrame Time: 0.0333333\n0 0 0\n")
    path = tmp_path / "ten_thousand.bvh"
    path.write_text(text)
    names = read_bvh(path).skeleton.names
    assert len(names) == len(set(names)) == 10_000
    assert names[:5] == ["J", "J_3", "J_2", "J_4", "J_5"] and names[-1] == "J_10000"


# ---------------------------------------------------------------------------------------- DeepMimic and JSON

def walk_rows(n=3, duration=1 / 30):
    rows = json.loads(Path(load_embedded("humanoid3d_walk").source).read_text())["Frames"][:n]
    for r in rows:
        r[0] = duration
    return rows


@pytest.mark.parametrize("duration, message", [
    (1e-320, "duration must be between 0.0001 and 100 s"),
    (1e-300, "duration must be between 0.0001 and 100 s"),
    (1e3, "duration must be between 0.0001 and 100 s"),
])
def test_deepmimic_frame_rates_outside_the_range_are_refused(tmp_path, duration, message):
    path = deepmimic_file(tmp_path, json.dumps({"Frames": walk_rows(3, duration)}))
    with pytest.raises(MotionFileError, match=message):
        read_deepmimic(path)


def test_a_huge_integer_in_a_deepmimic_file_is_refused(tmp_path):
    rows = walk_rows()
    text = json.dumps({"Frames": rows}).replace(json.dumps(rows[1][1]), "1" + "0" * 400, 1)
    with pytest.raises(MotionFileError, match="frames hold something that is not a number"):
        read_deepmimic(deepmimic_file(tmp_path, text))


@pytest.mark.parametrize("digits, message", [(17, "frame 1: not a finite number within"),
                                             (5000, "not valid JSON")])
def test_numbers_too_large_for_the_reader_are_refused(tmp_path, digits, message):
    rows = walk_rows()
    text = json.dumps({"Frames": rows}).replace(json.dumps(rows[1][1]), "1" + "0" * digits, 1)
    with pytest.raises(MotionFileError, match=message):
        read_deepmimic(deepmimic_file(tmp_path, text))


def test_json_nested_100000_deep_is_refused(tmp_path):
    path = deepmimic_file(tmp_path, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(MotionFileError, match=r"clip\.txt: JSON nested too deeply"):
        read_deepmimic(path)
    with pytest.raises(MotionFileError, match="JSON nested too deeply"):
        read_json(path)


def test_npy_header_must_account_for_the_file_size(tmp_path):
    good = tmp_path / "good.npy"
    np.save(good, np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(read_npy(good), np.arange(6, dtype=np.float32).reshape(2, 3))
    huge = tmp_path / "huge.npy"
    with open(huge, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (1 << 22, 1 << 22)})
        f.write(b"\0" * 64)
    with pytest.raises(MotionFileError, match=r"huge\.npy: header claims a \(4194304, 4194304\) float32 array"):
        read_npy(huge)
    (tmp_path / "text.npy").write_text("hello")
    with pytest.raises(MotionFileError, match="not a .npy file"):
        read_npy(tmp_path / "text.npy")


def test_resampling_refuses_to_make_more_than_max_frames():
    walk = load_embedded("humanoid3d_walk")
    with pytest.raises(ValueError, match="would make .* frames, more than 1,000,000"):
        resample(walk, 10_000.0 * 1000)
    assert resample(walk, 120).num_frames > walk.num_frames


# ---------------------------------------------------------------------------------------- writers

def broken(motion: Motion, value: float) -> Motion:
    translations = motion.translations.copy()
    translations[1, 0, 1] = value
    return Motion(motion.skeleton, motion.rotations, translations, motion.fps, name=motion.name)


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("suffix", [".bvh", ".txt"])
def test_writers_refuse_non_finite_numbers_and_write_nothing(tmp_path, value, suffix):
    path = tmp_path / f"out{suffix}"
    motion = broken(load_embedded("humanoid3d_walk"), value)
    write = write_bvh if suffix == ".bvh" else write_deepmimic
    with pytest.raises(MotionFileError, match=rf"out\{suffix}: not written: 1 of the numbers of its \w+ are NaN"):
        write(motion, path)
    assert list(tmp_path.iterdir()) == []


def test_writing_through_a_symlink_keeps_the_link_and_the_target_mode(tmp_path):
    target = tmp_path / "target.bvh"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "link.bvh"
    link.symlink_to(target.name)
    write_bvh(read_bvh(DATA / "clean.bvh"), link)
    assert link.is_symlink() and os.readlink(link) == target.name
    assert target.stat().st_mode & 0o777 == 0o600
    assert read_bvh(link).num_frames == read_bvh(DATA / "clean.bvh").num_frames


def test_a_symlink_to_a_device_is_not_replaced(tmp_path):
    link = tmp_path / "null.bvh"
    link.symlink_to("/dev/null")
    with pytest.raises(MotionFileError, match=r"null\.bvh: cannot write: not a regular file"):
        write_bvh(read_bvh(DATA / "clean.bvh"), link)
    assert link.is_symlink()


def test_temp_files_of_killed_writers_are_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "out.bvh"
    dead = tmp_path / ".out.bvh.4194999.abc123.tmp"  # above Linux's largest pid: no such process
    live = tmp_path / f".out.bvh.{os.getppid()}.def456.tmp"
    other = tmp_path / ".other.bvh.4194999.abc123.tmp"
    for p in (dead, live, other):
        p.write_text("half a file")
    with atomic_write(out) as f:
        f.write("whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, live.name, other.name])
