"""BVH writer: round trips reproduce world positions, names, channel orders, fps and End Sites; output is
fixed-point and written atomically."""
import re
from pathlib import Path

import numpy as np
import pytest

from motion.bvh import read_bvh, write_bvh
from motion.deepmimic import load_embedded
from motion.fk import world_positions
from motion.motion import Motion
from motion.rotations import euler_to_quat

DATA = Path(__file__).parents[1] / "data" / "bvh"
SHARED = Path(__file__).parents[3] / "shared" / "bvh"
LOADABLE = ["clean.bvh", "mixed_channel_orders.bvh", "nonroot_position_channels.bvh",
            "partial_rotation_channels.bvh", "intrinsic_order.bvh", "no_end_sites.bvh", "one_frame.bvh",
            "zero_frames.bvh", "names_colons_spaces.bvh", "duplicate_names.bvh", "scientific_notation.bvh",
            "frame_time_no_leading_zero.bvh", "crlf_line_endings.bvh", "two_roots.bvh", "joint_without_name.bvh",
            "keywords_any_case.bvh"]


def assert_round_trip(original: Motion, path: Path, atol: float = 1e-4) -> Motion:
    write_bvh(original, path)
    back = read_bvh(path)
    assert back.warnings == []
    assert back.skeleton.names == original.skeleton.names
    assert back.skeleton.parents.tolist() == original.skeleton.parents.tolist()
    assert back.skeleton.channels == original.skeleton.channels
    assert sorted(back.skeleton.end_sites) == sorted(original.skeleton.end_sites)
    for j, offset in original.skeleton.end_sites.items():
        np.testing.assert_allclose(back.skeleton.end_sites[j], offset, atol=1e-6)
    np.testing.assert_allclose(back.skeleton.offsets, original.skeleton.offsets, atol=1e-6)
    assert back.num_frames == original.num_frames
    assert back.fps == pytest.approx(original.fps, rel=1e-9)
    np.testing.assert_allclose(world_positions(back), world_positions(original), rtol=0, atol=atol)
    return back


@pytest.mark.parametrize("name", LOADABLE)
def test_round_trip_of_every_loadable_fixture(name, tmp_path):
    assert_round_trip(read_bvh(DATA / name), tmp_path / "out.bvh")


@pytest.mark.parametrize("name", ["cmu_01_01.bvh", "100style_aeroplane_fw_excerpt.bvh",
                                  "cmu_pfnn_hierarchy_crlf.bvh"])
def test_round_trip_of_real_files_when_available(name, tmp_path):
    if not (SHARED / name).exists():
        pytest.skip(f"{SHARED / name} is not on this machine")
    assert_round_trip(read_bvh(SHARED / name), tmp_path / "out.bvh")


def test_output_is_fixed_point_with_the_frame_time_to_many_digits(tmp_path):
    m = read_bvh(DATA / "scientific_notation.bvh")
    m.translations[0, 0] = [1e-9, -2.5e-7, 123456.5]
    m.fps = 120.0
    write_bvh(m, tmp_path / "out.bvh")
    text = (tmp_path / "out.bvh").read_text()
    assert not re.search(r"\d[eE][-+]?\d", text)
    assert "\nFrame Time: 0.008333333333\n" in text and "\nFrames: 2\n" in text
    assert "\n0.000000 -0.000000" not in text and "\n0.000000 0.000000 123456.500000 " in text
    assert read_bvh(tmp_path / "out.bvh").fps == pytest.approx(120.0, rel=1e-10)


def test_written_text_keeps_layout(tmp_path):
    write_bvh(read_bvh(DATA / "names_colons_spaces.bvh"), tmp_path / "out.bvh")
    lines = (tmp_path / "out.bvh").read_text().splitlines()
    assert lines[:5] == ["HIERARCHY", "ROOT mixamorig:Hips", "{", "\tOFFSET 0.000000 0.000000 0.000000",
                         "\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation"]
    assert "\t\tJOINT Head Top" in lines and lines.count("\t\t\tEnd Site") == 2


def test_joints_gain_channels_only_where_their_motion_needs_them(tmp_path):
    m = read_bvh(DATA / "partial_rotation_channels.bvh")
    # Spine (Zrotation only) now also bends about X, Head (no channels) turns, LeftFoot is moved
    m.rotations[:, 1] = euler_to_quat(np.array([30, 0, 12], np.float32), "ZYX")
    m.rotations[:, 2] = euler_to_quat(np.array([0, 25, 0], np.float32), "ZYX")
    m.translations[:, 4, 2] += 1.5
    write_bvh(m, tmp_path / "out.bvh")
    back = read_bvh(tmp_path / "out.bvh")
    assert back.skeleton.channels[1] == ("Zrotation", "Yrotation", "Xrotation")
    assert back.skeleton.channels[2] == ("Zrotation", "Yrotation", "Xrotation")
    assert back.skeleton.channels[3] == ("Xrotation", "Yrotation")  # unchanged: representable
    assert back.skeleton.channels[4] == ("Zrotation", "Yrotation", "Xrotation",
                                         "Xposition", "Yposition", "Zposition")
    np.testing.assert_allclose(world_positions(back), world_positions(m), atol=1e-4)


def test_deepmimic_skeleton_writes_depth_first(tmp_path):
    walk = load_embedded("humanoid3d_walk")
    write_bvh(walk, tmp_path / "walk.bvh")
    back = read_bvh(tmp_path / "walk.bvh")
    assert sorted(back.skeleton.names) == sorted(walk.skeleton.names)
    order = [back.skeleton.names.index(n) for n in walk.skeleton.names]
    np.testing.assert_allclose(world_positions(back)[:, order], world_positions(walk), atol=1e-5)
    assert back.fps == pytest.approx(walk.fps, rel=1e-9)


def test_write_replaces_the_file_and_reports_unwritable_paths(tmp_path):
    from motion.errors import MotionFileError

    m = read_bvh(DATA / "clean.bvh")
    target = tmp_path / "out.bvh"
    target.write_text("previous")
    with pytest.raises(MotionFileError, match=r"missing/out.bvh: cannot write: No such file or directory"):
        write_bvh(m, tmp_path / "missing" / "out.bvh")
    write_bvh(m, target)
    assert target.read_text().startswith("HIERARCHY\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bvh"]  # no temp file left behind
