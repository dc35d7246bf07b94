"""BVH reader: one committed fixture per irregularity, each loaded, repaired with a warning, or refused
with a line number as docs/bvh_import.md says."""
from pathlib import Path

import numpy as np
import pytest

from motion.bvh import _parse_plain_decimals, read_bvh, write_bvh
from motion.errors import MotionFileError
from motion.fk import world_positions
from motion.rotations import euler_to_quat, quat_mul

DATA = Path(__file__).parents[1] / "data" / "bvh"
CLEAN_NAMES = ["Hips", "Spine", "Head", "LeftLeg", "LeftFoot"]
ZYX = ("Zrotation", "Yrotation", "Xrotation")


def load(name):
    return read_bvh(DATA / name)


def same_quats(a, b, atol=1e-6):
    """Quaternions equal up to sign."""
    dot = np.abs(np.sum(np.asarray(a, np.float64) * np.asarray(b, np.float64), axis=-1))
    return np.allclose(dot, 1.0, atol=atol)


def test_clean_file_keeps_names_parents_offsets_channels_end_sites():
    m = load("clean.bvh")
    sk = m.skeleton
    assert sk.names == CLEAN_NAMES
    assert sk.parents.tolist() == [-1, 0, 1, 0, 3]
    np.testing.assert_array_equal(sk.offsets, [[0, 0, 0], [0, 10, 0], [0, 8, 0.5], [3, -2, 0], [0, -15, 0]])
    assert sk.channels[0] == ("Xposition", "Yposition", "Zposition") + ZYX
    assert sk.channels[1:] == [ZYX] * 4
    assert sorted(sk.end_sites) == [2, 4]
    np.testing.assert_array_equal(sk.end_sites[4], [0, -1, 5])
    assert m.num_frames == 3 and m.fps == pytest.approx(1 / 0.0333333)
    assert m.warnings == []
    assert m.name == "clean" and m.source == str(DATA / "clean.bvh")
    # root translation comes from its position channels, the others are the offsets
    np.testing.assert_allclose(m.translations[:, 0], [[1, 90, 2], [1.5, 90.5, 2.5], [2, 91, 3]])
    np.testing.assert_array_equal(m.translations[:, 1:], np.broadcast_to(sk.offsets[1:], (3, 4, 3)))
    # frame 1, Spine: Zrotation 15, Yrotation -5, Xrotation 2
    assert same_quats(m.rotations[1, 1], euler_to_quat(np.array([15, -5, 2], np.float32), "ZYX"))


def test_euler_angles_are_intrinsic_in_channel_order():
    # Base: Xrotation 90 then Yrotation 90 (intrinsic), so Tip's offset (1,0,0) -> Rx(90) Ry(90) x = +y
    positions = world_positions(load("intrinsic_order.bvh"))
    np.testing.assert_allclose(positions[0], [[1, 2, 3], [1, 3, 3]], atol=1e-6)


def test_mixed_channel_orders_per_joint_are_kept_and_used():
    m = load("mixed_channel_orders.bvh")
    orders = [m.skeleton.rotation_order(j) for j in range(5)]
    assert orders == ["YXZ", "XYZ", "ZXY", "YZX", "XZY"]
    # frame 2, Head: channels Zrotation Xrotation Yrotation hold 80, -45, 10
    assert same_quats(m.rotations[2, 2], euler_to_quat(np.array([80, -45, 10], np.float32), "ZXY"))


@pytest.mark.parametrize("name", ["clean.bvh", "mixed_channel_orders.bvh", "nonroot_position_channels.bvh"])
def test_world_positions_agree_with_bvhio(name):
    bvhio = pytest.importorskip("bvhio")
    ours = world_positions(load(name))
    root = bvhio.readAsHierarchy(str(DATA / name))
    for frame in range(len(ours)):
        root.loadPose(frame)
        theirs = np.array([list(joint.PositionWorld) for joint, _, _ in root.layout()])
        np.testing.assert_allclose(ours[frame], theirs, atol=1e-4)


def test_position_channels_on_non_root_joints_replace_the_offset():
    m = load("nonroot_position_channels.bvh")
    assert not m.skeleton.has_position_channels(0)
    assert m.skeleton.channels[1] == ZYX + ("Xposition", "Yposition", "Zposition")
    np.testing.assert_allclose(m.translations[:, 1], [[0, 12, 1], [1, 11, 2]])
    np.testing.assert_allclose(m.translations[:, 3], [[3, -2, 0], [4, -3, 1]])
    np.testing.assert_array_equal(m.translations[:, 0], [[0, 0, 0], [0, 0, 0]])  # root: offset, no channels
    assert same_quats(m.rotations[1, 3], euler_to_quat(np.array([10, 20, 30], np.float32), "XYZ"))


def test_fewer_than_three_rotation_channels_rotate_about_the_listed_axes_only():
    m = load("partial_rotation_channels.bvh")
    assert m.skeleton.channels[1] == ("Zrotation",) and m.skeleton.channels[2] == ()
    z30 = euler_to_quat(np.array([30, 0, 0], np.float32), "ZYX")
    assert same_quats(m.rotations[0, 1], z30)
    assert same_quats(m.rotations[:, 2], np.array([1, 0, 0, 0]))  # no channels: identity
    # LeftLeg "Xrotation Yrotation" 10 20 in frame 1: Rx(10) then Ry(20), intrinsic
    rx = euler_to_quat(np.array([10, 0, 0], np.float32), "XYZ")
    ry = euler_to_quat(np.array([0, 20, 0], np.float32), "XYZ")
    assert same_quats(m.rotations[1, 3], quat_mul(rx, ry))
    assert m.warnings == []


@pytest.mark.parametrize("name, frames", [
    ("crlf_line_endings.bvh", 3),
    ("cr_line_endings.bvh", 3),
    ("tabs_spaces_blank_lines.bvh", 3),
    ("end_site_any_case.bvh", 2),
    ("scientific_notation.bvh", 2),
    ("keywords_any_case.bvh", 2),
    ("header_lines_swapped.bvh", 2),
    ("utf8_bom.bvh", 2),
])
def test_layout_variants_load_exactly_like_the_clean_file(name, frames):
    clean, m = load("clean.bvh"), load(name)
    assert m.warnings == []
    assert m.skeleton.names == CLEAN_NAMES
    assert m.skeleton.channels == clean.skeleton.channels
    np.testing.assert_array_equal(m.skeleton.offsets, clean.skeleton.offsets)
    assert sorted(m.skeleton.end_sites) == [2, 4]
    np.testing.assert_array_equal(m.rotations, clean.rotations[:frames])
    np.testing.assert_array_equal(m.translations, clean.translations[:frames])


def test_line_ending_fixtures_really_hold_their_line_endings():
    # tests/data/bvh/.gitattributes keeps git from normalising these
    assert (DATA / "crlf_line_endings.bvh").read_bytes().count(b"\r\n") == 40
    cr = (DATA / "cr_line_endings.bvh").read_bytes()
    assert cr.count(b"\r") == 40 and b"\n" not in cr


def test_missing_end_sites_load_without_warning():
    m = load("no_end_sites.bvh")
    assert m.skeleton.end_sites == {} and m.skeleton.num_joints == 5 and m.warnings == []


def test_frame_time_without_leading_zero():
    m = load("frame_time_no_leading_zero.bvh")
    assert m.fps == pytest.approx(1 / 0.0083333) and m.num_frames == 2 and m.warnings == []


def test_one_frame_and_zero_frame_files():
    one = load("one_frame.bvh")
    assert one.num_frames == 1 and one.warnings == []
    np.testing.assert_array_equal(one.translations[0, 0], [1.5, 90.5, 2.5])
    zero = load("zero_frames.bvh")
    assert zero.num_frames == 0 and zero.warnings == []
    assert zero.rotations.shape == (0, 5, 4) and world_positions(zero).shape == (0, 5, 3)


def test_names_with_colons_and_spaces_are_kept():
    names = load("names_colons_spaces.bvh").skeleton.names
    # whitespace inside a name collapses to one space ("Left  Up Leg" in the file)
    assert names == ["mixamorig:Hips", "mixamorig:Spine", "Head Top", "Left Up Leg", "mixamorig:Left Foot"]


@pytest.mark.parametrize("line", ["ROOT Hips{", "ROOT Hips {{", "ROOT Hips{ {{", "ROOT Hips {{{"])
def test_braces_ending_the_name_line_are_not_part_of_the_name(line, tmp_path):
    """Found by the fuzz test: "Hips {" as a name wrote back as "ROOT Hips {" and that read back as "Hips"
    and a stray '{'."""
    text = (DATA / "clean.bvh").read_text().replace("ROOT Hips", line, 1).replace(f"{line}\n{{", line, 1)
    (tmp_path / "a.bvh").write_text(text)
    motion = read_bvh(tmp_path / "a.bvh")
    assert motion.skeleton.names == CLEAN_NAMES
    write_bvh(motion, tmp_path / "b.bvh")
    assert read_bvh(tmp_path / "b.bvh").skeleton.names == CLEAN_NAMES


def test_duplicate_names_get_the_first_free_numbered_suffix_with_a_warning():
    m = load("duplicate_names.bvh")
    # Bone (line 6), Bone (10), Bone_2 (20, a real name in the file), Bone (24)
    assert m.skeleton.names == ["Hips", "Bone", "Bone_3", "Bone_2", "Bone_4"]
    path = str(DATA / "duplicate_names.bvh")
    assert m.warnings == [
        f"{path}:10: duplicate joint name 'Bone' (first at line 6); renamed to 'Bone_3'",
        f"{path}:24: duplicate joint name 'Bone' (first at line 6); renamed to 'Bone_4'",
    ]


@pytest.mark.parametrize("name, declared", [("frame_count_too_high.bvh", 5), ("frame_count_too_low.bvh", 2)])
def test_frame_count_that_disagrees_with_the_data_uses_the_data(name, declared):
    m = load(name)
    assert m.num_frames == 3
    np.testing.assert_array_equal(m.rotations, load("clean.bvh").rotations)
    assert m.warnings == [f"{DATA / name}:36: 'Frames: {declared}' but the file holds 3 frames of data; using 3"]


def test_truncated_last_frame_is_dropped_with_a_warning():
    m = load("truncated_last_frame.bvh")
    assert m.num_frames == 2
    path = DATA / "truncated_last_frame.bvh"
    assert m.warnings == [f"{path}:40: last frame has 7 of 18 values (file cut off?); dropped it",
                          f"{path}:36: 'Frames: 3' but the file holds 2 frames of data; using 2"]


def test_second_root_is_ignored_with_a_warning_and_its_columns_skipped():
    m, clean = load("two_roots.bvh"), load("clean.bvh")
    assert m.skeleton.names == CLEAN_NAMES
    np.testing.assert_array_equal(m.rotations, clean.rotations[:2])
    np.testing.assert_array_equal(m.translations, clean.translations[:2])
    assert m.warnings == [f"{DATA / 'two_roots.bvh'}:35: second ROOT 'Prop' (5 joints) ignored: "
                          "only the first skeleton is loaded"]


def test_missing_motion_section_and_zero_frame_time_are_repaired():
    m = load("no_motion_section.bvh")
    assert m.num_frames == 0 and m.fps == 30 and "no MOTION section" in m.warnings[0]
    m = load("frame_time_zero.bvh")
    assert m.num_frames == 1 and m.fps == 30
    assert m.warnings == [f"{DATA / 'frame_time_zero.bvh'}:37: Frame Time 0 is not a duration between 0.0001 and 100 s; using 30 fps"]


@pytest.mark.parametrize("name, warnings", [
    ("joint_without_name.bvh", [":10: joint without a name; named it 'joint2'"]),
    ("joint_without_offset.bvh", [":6: joint 'Spine' has no OFFSET; using 0 0 0"]),
    ("no_frames_line.bvh", [":35: no 'Frames:' line; using the 2 frames of data"]),
    ("end_site_odd.bvh", [":14: End Site of joint 'Head' has no OFFSET; using 0 0 0",
                          ":17: joint 'Head' has a second End Site; kept the first"]),
])
def test_small_repairs_warn_at_their_line(name, warnings):
    m = load(name)
    assert m.warnings == [f"{DATA / name}{w}" for w in warnings]
    assert m.skeleton.num_joints == 5 and m.num_frames >= 1


@pytest.mark.parametrize("name, line, problem", [
    ("bad_number.bvh", 39, "'2O.0' in the frame data is not a finite number"),
    ("ragged_frame_line.bvh", 39, "frame line has 19 values, expected 18"),
    ("unclosed_joint.bvh", 34, "joint 'Hips' (line 2) is not closed with '}' before MOTION"),
    ("unknown_channel.bvh", 13, "CHANNELS 3 lists 2 channel names then 'Wrotation'"),
    ("channel_count_mismatch.bvh", 23, "CHANNELS 3 lists 2 channel names then 'JOINT'"),
    ("not_a_bvh.bvh", 1, "expected HIERARCHY, found 'Frames': not a BVH file"),
    ("binary_garbage.bvh", None, "binary data, not a BVH text file"),
    ("empty.bvh", None, "empty file"),
])
def test_unreadable_files_raise_with_file_and_line(name, line, problem):
    with pytest.raises(MotionFileError) as info:
        load(name)
    err = info.value
    assert err.path == str(DATA / name) and err.line == line and problem in err.problem
    assert str(err).startswith(f"{DATA / name}:{line}: " if line else f"{DATA / name}: ")
    assert "\n" not in str(err)


def test_missing_file_directory_and_non_utf8_text(tmp_path):
    with pytest.raises(MotionFileError, match="no such file"):
        read_bvh(tmp_path / "missing.bvh")
    with pytest.raises(MotionFileError, match="is a directory"):
        read_bvh(tmp_path)
    latin = tmp_path / "latin.bvh"
    latin.write_bytes((DATA / "clean.bvh").read_bytes().replace(b"ROOT Hips", b"ROOT H\xfcfte"))
    with pytest.raises(MotionFileError) as info:
        read_bvh(latin)
    assert info.value.line == 2 and "not UTF-8" in info.value.problem


def test_values_outside_the_fast_path_use_the_general_parser(tmp_path):
    text = (DATA / "one_frame.bvh").read_text()
    exponent = tmp_path / "exponent.bvh"
    exponent.write_text(text.replace("90.5", "9.05E1"))
    np.testing.assert_array_equal(read_bvh(exponent).translations, load("one_frame.bvh").translations)
    bad = tmp_path / "nan.bvh"
    bad.write_text(text.replace("90.5", "nan"))
    with pytest.raises(MotionFileError, match=r"nan.bvh:38: 'nan' in the frame data is not a finite number"):
        read_bvh(bad)


@pytest.mark.parametrize("text, expected", [
    ("", []),
    ("1 -2.5 +3. .5 -.25 0007.10\n\t12345.678901", [1, -2.5, 3, 0.5, -0.25, 7.1, 12345.678901]),
    ("-0.000001 999999.999999 5. -0.0", [-1e-6, 999999.999999, 5, -0.0]),
])
def test_plain_decimal_fast_path_matches_float(text, expected):
    np.testing.assert_array_equal(_parse_plain_decimals(text), [float(t) for t in text.split()])
    np.testing.assert_array_equal(_parse_plain_decimals(text), expected)


@pytest.mark.parametrize("text", ["1e5", "1-2", "-", ".", "1.2.3", "nan", "inf", "1,5", "- 1", "½",
                                  "123456789012345678"])
def test_plain_decimal_fast_path_declines_anything_else(text):
    assert _parse_plain_decimals(text) is None


def test_fast_path_on_random_decimals_is_exactly_float():
    rng = np.random.default_rng(0)
    values = rng.normal(scale=100, size=5000)
    text = " ".join(f"{v:.{d}f}" for v, d in zip(values, rng.integers(0, 12, size=5000)))
    np.testing.assert_array_equal(_parse_plain_decimals(text), [float(t) for t in text.split()])


def test_frame_data_parsed_in_chunks_equals_one_pass(monkeypatch):
    import motion.bvh

    whole = load("mixed_channel_orders.bvh")
    monkeypatch.setattr(motion.bvh, "_CHUNK_CHARS", 100)  # one frame line per chunk
    chunked = load("mixed_channel_orders.bvh")
    np.testing.assert_array_equal(chunked.rotations, whole.rotations)
    np.testing.assert_array_equal(chunked.translations, whole.translations)
