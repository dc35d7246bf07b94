"""DeepMimic motion files: humanoid3d skeleton vs pybullet's URDF, read/write round trips, BVH round trip
with hinge projection, and bad input."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from motion.bvh import read_bvh, write_bvh
from motion.deepmimic import (FRAME_WIDTH, JOINT_NAMES, REVOLUTE_JOINTS, URDF_SCALE, embedded_clips,
                              humanoid3d_skeleton, load_embedded, read_deepmimic, write_deepmimic)
from motion.errors import MotionFileError
from motion.fk import global_transforms
from motion.rotations import quat_from_axis_angle, quat_mul, quat_rotate

# quaternion columns of a frame row (w first): root, then the spherical joints in file order
_QUAT_COLUMNS = [4, 8, 12, 16, 21, 25, 30, 35, 39]


def _normalised_rows(path: Path) -> np.ndarray:
    rows = np.array(json.loads(path.read_text())["Frames"], dtype=np.float64)
    for c in _QUAT_COLUMNS:
        rows[:, c:c + 4] /= np.linalg.norm(rows[:, c:c + 4], axis=1, keepdims=True)
    return rows


def test_embedded_clips_are_the_shipped_humanoid3d_files():
    clips = embedded_clips()
    assert len(clips) >= 15 and "humanoid3d_walk" in clips and "humanoid3d_backflip" in clips
    assert all(p.is_file() and p.suffix == ".txt" for p in clips.values())


@pytest.mark.parametrize("name", sorted(embedded_clips()))
def test_round_trip_every_embedded_clip(name, tmp_path):
    src = embedded_clips()[name]
    clip = read_deepmimic(src)
    out = tmp_path / f"{name}.txt"
    write_deepmimic(clip, out)
    original = json.loads(src.read_text())
    written = json.loads(out.read_text())
    # lossless up to the quaternion normalisation done on reading
    assert np.abs(np.array(written["Frames"]) - _normalised_rows(src)).max() < 1e-6
    assert written["Loop"] == original["Loop"]
    assert {k: v for k, v in written.items() if k != "Frames"} == \
        {k: v for k, v in original.items() if k != "Frames"}
    # and a Motion survives write + read exactly
    again = read_deepmimic(out)
    assert np.abs(again.rotations - clip.rotations).max() < 1e-6
    assert np.abs(again.translations - clip.translations).max() < 1e-6
    assert again.fps == pytest.approx(clip.fps, rel=1e-9)


def test_fps_from_frame_duration_and_warnings():
    walk = read_deepmimic(embedded_clips()["humanoid3d_walk"])
    assert walk.fps == pytest.approx(1 / 0.033332)
    assert walk.num_frames == 39 and walk.meta["loop"] == "wrap" and walk.warnings == []
    assert walk.meta["frame_durations"][-1] == 0.0  # DeepMimic closes the cycle with a zero-duration frame
    roll = read_deepmimic(embedded_clips()["humanoid3d_roll"])
    assert any("durations vary" in w for w in roll.warnings)
    assert any("not unit length" in w for w in roll.warnings)
    assert np.allclose(np.linalg.norm(roll.rotations, axis=-1), 1.0, atol=1e-6)


def _urdf_joints():
    import pybullet_data

    raw = (Path(pybullet_data.getDataPath()) / "humanoid" / "humanoid.urdf").read_bytes()
    root = ET.fromstring(raw.replace(b"\x00", b""))  # the shipped file ends with a NUL byte
    return {j.get("name"): j for j in root.iter("joint")}


def test_skeleton_matches_pybullet_urdf():
    sk = humanoid3d_skeleton()
    urdf = _urdf_joints()
    assert sk.names == list(JOINT_NAMES) and len(sk.names) == 13
    for j, name in enumerate(sk.names[1:], start=1):
        joint = urdf[name]
        xyz = [float(v) for v in joint.find("origin").get("xyz").split()]
        assert np.allclose(sk.offsets[j], np.array(xyz) * URDF_SCALE, atol=1e-6), name
        assert joint.find("parent").get("link") == sk.names[sk.parents[j]], name
        kind = joint.get("type")
        assert kind == ("revolute" if name in REVOLUTE_JOINTS else "spherical"), name
        if kind == "revolute":
            assert joint.find("axis").get("xyz").split() == ["0.000000", "0.000000", "1.000000"]
    assert sk.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    assert all(c == ("Zrotation", "Yrotation", "Xrotation") for c in sk.channels[1:])


def test_first_walk_frame_is_a_standing_human_in_metres():
    m = load_embedded("humanoid3d_walk")
    sk = m.skeleton
    world_q, world_p = global_transforms(sk, m.rotations[:1], m.translations[:1])
    sites = {sk.names[j]: world_p[0, j] + quat_rotate(world_q[0, j], off) for j, off in sk.end_sites.items()}
    head, feet = sites["neck"], (sites["left_ankle"], sites["right_ankle"])
    assert head[1] > max(f[1] for f in feet) + 1.4
    assert 1.5 < head[1] - min(f[1] for f in feet) < 1.8
    assert abs(min(f[1] for f in feet)) < 0.1  # soles near the ground plane y = 0
    assert world_p[0, sk.index("chest"), 1] > world_p[0, sk.index("right_knee"), 1]
    # Z separates left and right, hands below the shoulders
    assert world_p[0, sk.index("left_hip"), 2] < 0 < world_p[0, sk.index("right_hip"), 2]
    assert sites["right_elbow"][1] < world_p[0, sk.index("right_shoulder"), 1]


def test_bvh_round_trip_keeps_hinge_angles(tmp_path):
    src = embedded_clips()["humanoid3d_jump"]
    write_bvh(load_embedded("humanoid3d_jump"), tmp_path / "jump.bvh")
    via_bvh = read_bvh(tmp_path / "jump.bvh")  # joints come back in BVH depth-first order
    assert sorted(via_bvh.skeleton.names) == sorted(JOINT_NAMES)
    warnings = write_deepmimic(via_bvh, tmp_path / "jump.txt")
    assert warnings == []
    back = np.array(json.loads((tmp_path / "jump.txt").read_text())["Frames"])
    original = _normalised_rows(src)
    assert back.shape == original.shape == (107, FRAME_WIDTH)
    # quaternions may come back with the opposite sign from Euler angles: compare rotations
    for c in _QUAT_COLUMNS:
        dots = np.abs(np.sum(back[:, c:c + 4] * original[:, c:c + 4], axis=1))
        assert dots.min() > 1 - 1e-6, c
    knee_elbow = [20, 29, 34, 43]
    assert np.abs(back[:, knee_elbow] - original[:, knee_elbow]).max() < 1e-5
    assert np.abs(back[:, 1:4] - original[:, 1:4]).max() < 1e-5


def test_off_axis_knee_rotation_is_projected_with_a_warning(tmp_path):
    m = load_embedded("humanoid3d_walk")
    knee = m.skeleton.index("right_knee")
    bend = m.rotations[:, knee].copy()
    tilt = quat_from_axis_angle(np.array([1.0, 0.0, 0.0]), np.float32(np.radians(20.0)))
    m.rotations[:, knee] = quat_mul(tilt, bend)
    warnings = write_deepmimic(m, tmp_path / "tilted.txt")
    assert len(warnings) == 1 and "right_knee" in warnings[0] and "20.0 deg" in warnings[0]
    # swing-twist: the hinge angle of tilt(x) * twist(z) is the twist angle
    rows = np.array(json.loads((tmp_path / "tilted.txt").read_text())["Frames"])
    expected = np.array(json.loads(embedded_clips()["humanoid3d_walk"].read_text())["Frames"])[:, 20]
    assert np.abs(rows[:, 20] - expected).max() < 1e-5


def test_writer_defaults_and_skeleton_check(tmp_path):
    m = load_embedded("humanoid3d_walk")
    write_deepmimic(m, tmp_path / "w.txt")
    doc = json.loads((tmp_path / "w.txt").read_text())
    durations = [r[0] for r in doc["Frames"]]
    assert doc["Loop"] == "wrap" and durations[-1] == 0.0
    assert np.allclose(durations[:-1], 0.033332, atol=1e-9)
    other = humanoid3d_skeleton()
    other.names = ["pelvis" if n == "root" else n for n in other.names]
    m.skeleton = other
    with pytest.raises(MotionFileError, match=r"bad\.txt: the skeleton is not humanoid3d: missing joint\(s\) root"):
        write_deepmimic(m, tmp_path / "bad.txt")
    assert not (tmp_path / "bad.txt").exists()


def test_writer_warns_when_the_skeleton_is_in_other_units(tmp_path):
    m = load_embedded("humanoid3d_walk")
    m.skeleton.offsets = m.skeleton.offsets * 100.0  # e.g. a BVH in centimetres
    warnings = write_deepmimic(m, tmp_path / "cm.txt")
    assert len(warnings) == 1 and "100 x humanoid3d" in warnings[0] and "--scale 0.01" in warnings[0]


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"Loop": "wrap"}', 'no "Frames" list'),
    ('{"Frames": []}', "no frames"),
    ('{"Frames": [[0.03, 1, 2]]}', "frame 0: expected 44 numbers"),
    ('{"Frames": [[0.03' + ", 0" * 43 + "]]}", "zero quaternion"),
    ('{"Frames": [["a"' + ", 0" * 43 + "]]}", "not a number"),
    ('{"Frames": [[0' + ", 1" * 43 + "]]}", "duration must be between 0.0001 and 100 s, got 0"),
])
def test_bad_files_name_the_file_and_problem(tmp_path, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_text(content)
    with pytest.raises(MotionFileError, match=message) as info:
        read_deepmimic(bad)
    assert str(info.value).startswith(str(bad))


def test_missing_file_and_unknown_clip(tmp_path):
    with pytest.raises(MotionFileError, match="no such file"):
        read_deepmimic(tmp_path / "nope.txt")
    with pytest.raises(MotionFileError, match="not an embedded clip"):
        load_embedded("humanoid3d_moonwalk")
