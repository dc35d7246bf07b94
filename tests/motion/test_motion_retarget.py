"""motion.retarget: parts found for each naming scheme, rotations transferred as world-space bone directions
(across local bone axes, T vs A pose, non-zero rest rotations), exact round trips, root motion scaled by
leg length, unmapped joints at rest, JointMap JSON, and one clear error for non-humanoid skeletons.
Fixtures: tests/data/retarget (written by make_fixtures.py there)."""
import json
from pathlib import Path

import numpy as np
import pytest

from motion.deepmimic import load_embedded
from motion.errors import MotionFileError
from motion.fk import world_positions
from motion.io import load_motion
from motion.joint_map import load_map, save_map
from motion.retarget import (RetargetError, body_height, leg_length, make_rig, retarget, retarget_round_trip_error,
                             world_axes)

DATA = Path(__file__).parents[1] / "data" / "retarget"
SHARED = Path(__file__).parents[2].parent / "shared"
FIXTURES = ("mixamo_65", "rigify", "along_x")


def fixture(name):
    return load_motion(DATA / f"{name}.bvh")


def part_at(positions, rig, part):
    return positions[..., rig.skeleton.index(rig.parts[part]), :]


def test_mixamo_namespace_65_joints_parts():
    m = fixture("mixamo_65")
    assert m.skeleton.num_joints == 65
    parts = make_rig(m).parts
    ns = "mixamorig:"
    assert parts["hips"] == ns + "Hips" and parts["head"] == ns + "Head"
    assert parts["spine"] == [ns + "Spine", ns + "Spine1", ns + "Spine2"] and parts["neck"] == [ns + "Neck"]
    for side, s in (("left", "Left"), ("right", "Right")):
        assert [parts[f"{side}_{p}"] for p in ("collar", "upper_arm", "lower_arm", "hand")] == \
               [ns + s + n for n in ("Shoulder", "Arm", "ForeArm", "Hand")]
        assert [parts[f"{side}_{p}"] for p in ("upper_leg", "lower_leg", "foot", "toe")] == \
               [ns + s + n for n in ("UpLeg", "Leg", "Foot", "ToeBase")]


def test_rigify_dot_suffixes_twist_bones_and_numbered_spine():
    parts = make_rig(fixture("rigify")).parts
    assert parts["hips"] == "DEF-spine"
    assert parts["spine"] == ["DEF-spine.001", "DEF-spine.002", "DEF-spine.003"]
    assert parts["neck"] == ["DEF-spine.004", "DEF-spine.005"] and parts["head"] == "DEF-spine.006"
    assert [parts[f"left_{p}"] for p in ("collar", "upper_arm", "lower_arm", "hand")] == \
           ["DEF-shoulder.L", "DEF-upper_arm.L", "DEF-forearm.L", "DEF-hand.L"]  # twist bones .001 unmapped
    assert [parts[f"right_{p}"] for p in ("upper_leg", "lower_leg", "foot", "toe")] == \
           ["DEF-thigh.R", "DEF-shin.R", "DEF-foot.R", "DEF-toe.R"]


def test_humanoid3d_parts_and_rest_poses():
    rig = make_rig(load_embedded("humanoid3d_walk"))
    assert rig.parts["head"] == "neck" and rig.parts["neck"] == [] and rig.parts["left_hand"] is None
    assert rig.rest is None
    assert make_rig(fixture("mixamo_65")).rest is None
    along_x = fixture("along_x")
    rig = make_rig(along_x)
    # the zero pose folds the bones onto +X; frame 0 (and 2) stand with straight legs
    assert rig.rest_frame == 0
    np.testing.assert_array_equal(rig.rest, along_x.rotations[0])


@pytest.mark.parametrize("name", FIXTURES)
def test_humanoid3d_round_trip_through_each_rig_is_exact(name):
    err, relative, back = retarget_round_trip_error(load_embedded("humanoid3d_walk"), fixture(name))
    assert relative < 1e-5, err
    assert back.skeleton.names == load_embedded("humanoid3d_walk").skeleton.names


@pytest.mark.parametrize("source, target", [("mixamo_65", "rigify"), ("rigify", "along_x"),
                                            ("along_x", "mixamo_65"), ("mixamo_65", "humanoid3d")])
def test_limb_bones_point_the_same_way_in_world_space(source, target):
    """T-pose -> A-pose, bones along local axes vs along X with rest rotations: every frame's thigh, shin,
    upper arm and forearm directions (after the rigs' axis change) are the source's."""
    src = fixture(source)
    dst = load_embedded("humanoid3d_walk") if target == "humanoid3d" else fixture(target)
    out, jm = retarget(src, dst)
    assert out.skeleton.names == dst.skeleton.names and out.num_frames == src.num_frames and out.fps == src.fps
    w = world_axes(jm.rigs[1]) @ world_axes(jm.rigs[0]).T
    ps, pt = world_positions(src), world_positions(out)
    for a, b in (("upper_leg", "lower_leg"), ("lower_leg", "foot"), ("upper_arm", "lower_arm")):
        for side in ("left", "right"):
            u = (part_at(ps, jm.rigs[0], f"{side}_{b}") - part_at(ps, jm.rigs[0], f"{side}_{a}")) @ w.T
            v = part_at(pt, jm.rigs[1], f"{side}_{b}") - part_at(pt, jm.rigs[1], f"{side}_{a}")
            cos = np.sum(u * v, -1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
            assert np.all(cos > np.cos(np.radians(0.1))), (side, a, np.degrees(np.arccos(np.clip(cos, -1, 1))))


def test_knee_bend_and_arm_swing_arrive_as_the_same_motion():
    """Frame 1 of the fixtures bends the left knee 60 degrees (shin back) and swings the left upper arm 45
    degrees forward; on humanoid3d (forward +X, up +Y) the shin points down-back and the arm forward."""
    out, jm = retarget(fixture("along_x"), load_embedded("humanoid3d_walk"))
    p = world_positions(out)[1]
    rig = jm.rigs[1]
    shin = _unit(part_at(p, rig, "left_foot") - part_at(p, rig, "left_lower_leg"))
    thigh = _unit(part_at(p, rig, "left_lower_leg") - part_at(p, rig, "left_upper_leg"))
    assert np.degrees(np.arccos(shin @ thigh)) == pytest.approx(60, abs=0.1)
    assert shin[0] < -0.5  # behind (humanoid3d faces +X)
    arm = _unit(part_at(p, rig, "left_lower_arm") - part_at(p, rig, "left_upper_arm"))
    assert arm[0] > 0.5


def _unit(v):
    return v / np.linalg.norm(v)


def test_humanoid3d_elbows_and_knees_stay_hinges():
    """A forearm twisted 40 degrees about itself and bent 60 degrees: on humanoid3d, whose elbow bends about
    its local Z only, the twist moves to the upper arm: the elbow's rotation is about Z alone and both arm
    bones still point as in the source."""
    from motion.fk import global_transforms
    from motion.motion import Motion
    from motion.rotations import quat_from_axis_angle, quat_mul, quat_rotate

    mixamo = fixture("mixamo_65")
    rotations = mixamo.rotations.copy()
    forearm = mixamo.skeleton.index("mixamorig:LeftForeArm")
    rotations[1, forearm] = quat_mul(quat_from_axis_angle(np.float32([0, 1, 0]), np.radians(-60)),
                                     quat_from_axis_angle(np.float32([1, 0, 0]), np.radians(40)))
    src = Motion(mixamo.skeleton, rotations, mixamo.translations, mixamo.fps, source=mixamo.source)
    out, jm = retarget(src, load_embedded("humanoid3d_walk"))
    for hinge in ("left_elbow", "right_elbow", "left_knee", "right_knee"):
        np.testing.assert_allclose(out.rotations[:, out.skeleton.index(hinge), 1:3], 0.0, atol=1e-5)
    w = world_axes(jm.rigs[1]) @ world_axes(jm.rigs[0]).T
    ps, pt = world_positions(src), world_positions(out)
    upper_src = part_at(ps, jm.rigs[0], "left_lower_arm") - part_at(ps, jm.rigs[0], "left_upper_arm")
    fore_src = part_at(ps, jm.rigs[0], "left_hand") - part_at(ps, jm.rigs[0], "left_lower_arm")
    upper_out = part_at(pt, jm.rigs[1], "left_lower_arm") - part_at(pt, jm.rigs[1], "left_upper_arm")
    elbow = out.skeleton.index("left_elbow")  # humanoid3d's forearm ends at the elbow's End Site (the wrist)
    fore_out = quat_rotate(global_transforms(out.skeleton, out.rotations, out.translations)[0][:, elbow],
                           out.skeleton.end_sites[elbow])
    for u, v in ((upper_src @ w.T, upper_out), (fore_src @ w.T, fore_out)):
        cos = np.sum(u * v, -1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
        assert np.all(cos > np.cos(np.radians(0.1)))


def test_root_motion_scaled_by_leg_length():
    src, dst = fixture("mixamo_65"), fixture("rigify")
    out, jm = retarget(src, dst)
    ratio = leg_length(jm.rigs[1]) / leg_length(jm.rigs[0])
    hips_src = world_positions(src)[:, 0]
    hips_out = world_positions(out)[:, out.skeleton.index(jm.rigs[1].parts["hips"])]
    np.testing.assert_allclose(hips_out, hips_src * ratio, atol=1e-5)
    assert ratio == pytest.approx(0.84 / 83, rel=1e-3)  # thigh + shin: 0.44 + 0.40 m vs 42 + 41 cm


def test_unmapped_joints_keep_their_rest_rotation():
    out, _ = retarget(load_embedded("humanoid3d_walk"), fixture("mixamo_65"))
    fingers = [j for j, n in enumerate(out.skeleton.names) if "Hand" in n and n[-1].isdigit()]
    assert len(fingers) == 40
    np.testing.assert_allclose(np.abs(out.rotations[:, fingers, 0]), 1.0, atol=1e-6)


def test_joint_map_json_saves_edits_and_loads(tmp_path):
    src, dst = fixture("mixamo_65"), fixture("along_x")
    out, jm = retarget(src, dst)
    path = tmp_path / "map.json"
    save_map(jm, path)
    loaded = load_map(path)
    again, _ = retarget(src, dst, loaded, map_path=path)
    np.testing.assert_allclose(world_positions(again), world_positions(out), atol=1e-4)
    # the map works backwards too (and carries along_x's rest pose, so the way back is exact)
    back, _ = retarget(out, src, loaded, map_path=path)
    assert back.skeleton.names == src.skeleton.names
    # an edit: the user says the left upper arm is the collar's child they meant (swap arm parts)
    data = json.loads(path.read_text())
    data["rigs"][1]["parts"]["left_upper_arm"], data["rigs"][1]["parts"]["right_upper_arm"] = "UpperArm_R", "UpperArm_L"
    path.write_text(json.dumps(data))
    swapped, _ = retarget(src, dst, load_map(path), map_path=path)
    assert not np.allclose(world_positions(swapped), world_positions(out), atol=1e-2)


def test_a_map_edited_in_place_keeps_the_rest_pose_and_checks_the_parts():
    """JointMap.with_parts (the GUI editor's OK): one rig's parts replaced, the other rig and the rest pose
    kept, the same checks as a loaded file; pairs lists each part's joints on both rigs."""
    src, dst = fixture("mixamo_65"), fixture("along_x")
    _, jm = retarget(src, dst)
    pairs = jm.pairs(dst.skeleton)
    assert [p for p, _, _ in pairs][:4] == ["hips", "spine", "neck", "head"]
    parts = {p: (mine if p in ("spine", "neck") else (mine[0] if mine else None)) for p, mine, _ in pairs}
    edited = jm.with_parts(dst.skeleton, dict(parts, left_hand=None), "along_x")
    assert edited.rig_for(dst.skeleton, None).parts["left_hand"] is None
    np.testing.assert_array_equal(edited.rig_for(dst.skeleton, None).rest, jm.rig_for(dst.skeleton, None).rest)
    assert edited.rig_for(src.skeleton, None).parts == jm.rig_for(src.skeleton, None).parts
    with pytest.raises(MotionFileError, match=r"along_x: edited map: required part\(s\) not given: \['left_foot'\]"):
        jm.with_parts(dst.skeleton, dict(parts, left_foot=None), "along_x")


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(version=9), "unsupported joint map version 9"),
    (lambda d: d["rigs"][0]["parts"].update(tail="Hips"), "rig 1: unknown part(s) ['tail']"),
    (lambda d: d["rigs"][1]["parts"].update(head="Nope"), "rig 2: part 'head': 'Nope' is not one of the rig's joints"),
    (lambda d: d["rigs"][1]["parts"].update(spine="Spine"), "rig 2: part 'spine' must be a list of joint names"),
    (lambda d: d["rigs"][0]["parts"].update(left_foot=None), "rig 1: required part(s) not given: ['left_foot']"),
    (lambda d: d["rigs"][1]["rest"].update(Hips=[0, 0, 0, 0]), "rig 2: \"rest\" must give a finite, non-zero"),
])
def test_bad_map_files_name_the_file_and_the_problem(tmp_path, edit, message):
    path = tmp_path / "map.json"
    save_map(retarget(fixture("mixamo_65"), fixture("along_x"))[1], path)
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(MotionFileError) as e:
        load_map(path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)


def test_map_file_not_json_names_the_line(tmp_path):
    path = tmp_path / "map.json"
    path.write_text('{\n "format": \n')
    with pytest.raises(MotionFileError, match=rf"^{path}:3: not JSON"):
        load_map(path)


def test_map_for_other_skeletons_is_refused(tmp_path):
    path = tmp_path / "map.json"
    save_map(retarget(fixture("mixamo_65"), fixture("along_x"))[1], path)
    with pytest.raises(MotionFileError, match="no rig in this map has the joints"):
        retarget(fixture("rigify"), fixture("along_x"), load_map(path), map_path=path)


@pytest.mark.parametrize("name, parts", [
    ("chain4", ["left foot", "left arm", "right foot", "right arm"]),
    ("quadruped", ["left foot: ambiguous between 'LeftFrontFoot', 'LeftHindFoot'",
                   "right foot: ambiguous between 'RightFrontFoot', 'RightHindFoot'"]),
])
def test_non_humanoid_skeletons_give_one_error_naming_file_and_parts(name, parts):
    path = str(DATA / f"{name}.bvh")
    with pytest.raises(RetargetError) as e:
        retarget(load_embedded("humanoid3d_walk"), load_motion(path), target_where=path)
    message = str(e.value)
    assert message.startswith(f"{path}: not a humanoid skeleton, cannot map: ") and "\n" not in message
    assert all(p in message for p in parts)


def _moved(motion, joint_offsets):
    """The clip with some joints' rest offsets replaced ({name: (3,)}), translations to match."""
    from motion.motion import Motion
    from motion.skeleton import Skeleton

    sk = motion.skeleton
    offsets = sk.offsets.copy()
    for name, offset in joint_offsets.items():
        offsets[sk.index(name)] = offset
    skeleton = Skeleton(list(sk.names), sk.parents, offsets, sk.channels, sk.end_sites)
    translations = np.broadcast_to(offsets, motion.translations.shape).copy()
    translations[:, 0] = motion.translations[:, 0]
    return Motion(skeleton, motion.rotations, translations, motion.fps, source=motion.source)


def test_a_joint_on_top_of_its_parent_is_stepped_over():
    """A forearm joint at the elbow's place (zero offset, as CMU's LowerBack on the hips): the upper arm aims
    at the next joint that is apart; the result is finite and the round trip still exact."""
    rigify = _moved(fixture("rigify"), {"DEF-upper_arm.L.001": (0, 0, 0)})
    out, _ = retarget(load_embedded("humanoid3d_walk"), rigify)
    assert np.all(np.isfinite(out.rotations)) and np.all(np.isfinite(out.translations))
    assert retarget_round_trip_error(load_embedded("humanoid3d_walk"), rigify)[1] < 1e-5


def test_a_limb_without_length_is_one_error_naming_the_file():
    mixamo = _moved(fixture("mixamo_65"), {f"mixamorig:Left{n}": (0, 0, 0) for n in ("Leg", "Foot", "ToeBase")})
    with pytest.raises(RetargetError, match=r"mixamo_65.bvh: 'mixamorig:LeftUpLeg' \(left_upper_leg\): its bone has no "
                                            r"length in the rest pose"):
        retarget(load_embedded("humanoid3d_walk"), mixamo)


def test_body_height_of_humanoid3d():
    assert body_height(make_rig(load_embedded("humanoid3d_walk"))) == pytest.approx(1.62, abs=0.01)


@pytest.mark.skipif(not (SHARED / "bvh" / "cmu_01_01.bvh").exists(), reason="needs ../shared/bvh/cmu_01_01.bvh")
def test_real_clips_round_trip_humanoid3d_through_cmu():
    cmu = load_motion(SHARED / "bvh" / "cmu_01_01.bvh")
    _, relative, _ = retarget_round_trip_error(load_embedded("humanoid3d_run"), cmu)
    assert relative < 1e-5


BANDAI = SHARED / "datasets" / "bandai-namco-1" / "data" / "dataset-1_walk_active_001.bvh"


@pytest.mark.skipif(not BANDAI.exists() or not (SHARED / "bvh" / "cmu_01_01.bvh").exists(),
                    reason="needs ../shared (CMU 01_01 and the Bandai Namco set)")
def test_real_clips_cmu_through_bandai_namco():
    """Bandai Namco's zero pose is not standing (bones along local X): a frame of the clip is the rest pose.
    Bandai -> CMU -> Bandai is exact (CMU has every part). CMU -> Bandai -> CMU: Bandai's first spine bone
    is rigid with the hips and its chest bone runs up to the neck's base, where CMU bends (LowerBack at
    the hips, Neck at the chest top); the chains' chords come back exactly and CMU's extra bending joints
    lie on an arc, so every mapped joint is back within 1% of the height (4.4% when the chains followed
    Bandai's kinked polyline), hips and legs exactly."""
    cmu, bandai = load_motion(SHARED / "bvh" / "cmu_01_01.bvh"), load_motion(BANDAI)
    assert make_rig(bandai).rest is not None
    _, relative, _ = retarget_round_trip_error(bandai, cmu)
    assert relative < 1e-4  # float32 at 4 m from the origin
    there, jm = retarget(cmu, bandai)
    back, _ = retarget(there, cmu, jm)
    err = np.linalg.norm(world_positions(back) - world_positions(cmu), axis=-1).max(axis=0)
    legs = [cmu.skeleton.index(n) for n in ("Hips", "LeftUpLeg", "LeftFoot", "RightToeBase")]
    assert err[legs].max() < 1e-3
    mapped = [cmu.skeleton.index(n) for n in jm.rigs[0].mapped_joints()]
    assert err[mapped].max() / body_height(jm.rigs[0]) < 0.01


@pytest.mark.parametrize("name", ["mixamo_65", "rigify"])
def test_a_rig_that_bends_at_more_spine_joints_comes_back_through_bandai(name):
    """The Mixamo and Rigify fixtures bend their spines at two and three joints, the Bandai Namco rig at one
    (its first spine bone is rigid with the hips): their chests and heads come back on their chords and the
    spine joints between on an arc (2.3% and 0.6% of the height when they followed Bandai's kink)."""
    bandai = load_motion(Path(__file__).parents[1] / "data" / "bandai" / "dataset-1_walk_angry_001.bvh")
    assert retarget_round_trip_error(fixture(name), bandai)[1] < 0.005
    assert retarget_round_trip_error(bandai, fixture(name))[1] < 1e-5


def test_z_up_rig():
    """A rig modelled Z-up (Blender's axes): heights land on its Z axis, and the round trip is exact."""
    from motion.motion import Motion
    from motion.skeleton import Skeleton

    src = fixture("mixamo_65")
    to_z_up = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], np.float32)  # y -> z, z -> -y
    sk = src.skeleton
    z_up = Skeleton(list(sk.names), sk.parents, sk.offsets @ to_z_up.T, sk.channels,
                    {j: e @ to_z_up.T for j, e in sk.end_sites.items()})
    rig = Motion(z_up, np.tile(np.float32([1, 0, 0, 0]), (1, sk.num_joints, 1)),
                 (sk.offsets @ to_z_up.T)[None], 30.0, source="z_up.bvh")
    walk = load_embedded("humanoid3d_walk")
    out, _ = retarget(walk, rig)
    hips = world_positions(out)[:, 0]
    assert np.all((hips[:, 2] > 80) & (hips[:, 2] < 90))  # humanoid3d's hips 0.85 m up -> ~85 cm up Z
    assert hips[-1, 1] < -100 and np.all(np.abs(hips[:, 0]) < 10)  # walks forward: the rig faces -Y
    assert retarget_round_trip_error(walk, rig)[1] < 1e-5


def test_map_that_is_not_a_regular_file_is_refused_without_reading(tmp_path):
    import os

    path = tmp_path / "map.json"
    os.mkfifo(path)  # reading it would block forever
    with pytest.raises(MotionFileError, match=r"map\.json: is a FIFO, not a regular file"):
        load_map(path)
