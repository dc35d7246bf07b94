"""`retarget` and `info --roles`: output on the target's skeleton, maps saved and reused both ways, and one
`error: FILE: ...` line with exit 2 for a non-humanoid skeleton or a bad map."""
import json
from pathlib import Path

import numpy as np

from cli import main
from motion.fk import world_positions
from motion.io import load_motion
from motion.deepmimic import load_embedded

DATA = Path(__file__).parents[1] / "data" / "retarget"


def test_retarget_onto_a_bvh_skeleton_and_back_with_the_saved_map(tmp_path, capsys):
    there, back, map_path = tmp_path / "on_mixamo.bvh", tmp_path / "back.bvh", tmp_path / "map.json"
    assert main(["retarget", "humanoid3d_walk", str(there), "--to", str(DATA / "mixamo_65.bvh"),
                 "--save-map", str(map_path)]) == 0
    out = load_motion(there)
    walk = load_embedded("humanoid3d_walk")
    assert out.skeleton.names == load_motion(DATA / "mixamo_65.bvh").skeleton.names
    assert out.num_frames == walk.num_frames and abs(out.fps - walk.fps) < 1e-3
    assert json.loads(map_path.read_text())["format"] == "motion-studio joint map"
    assert main(["retarget", str(there), str(back), "--to", "humanoid3d", "--map", str(map_path)]) == 0
    back = load_motion(back)  # the BVH writer lists joints depth-first: compare by name
    order = [back.skeleton.index(n) for n in walk.skeleton.names]
    err = np.abs(world_positions(back)[:, order] - world_positions(walk)).max()
    assert err < 1e-4  # metres, through a BVH text file with 6 decimals
    assert capsys.readouterr().err == ""


def test_retarget_writes_deepmimic_text_for_humanoid3d(tmp_path, capsys):
    out = tmp_path / "on_h3.txt"
    assert main(["retarget", str(DATA / "rigify.bvh"), str(out), "--to", "humanoid3d"]) == 0
    assert load_motion(out).skeleton.names == load_embedded("humanoid3d_walk").skeleton.names


def test_non_humanoid_target_is_one_error_line(tmp_path, capsys):
    path = str(DATA / "quadruped.bvh")
    assert main(["retarget", "humanoid3d_walk", str(tmp_path / "x.bvh"), "--to", path]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {path}: not a humanoid skeleton, cannot map: left foot: ambiguous")
    assert not (tmp_path / "x.bvh").exists()


def test_bad_map_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "map.json"
    bad.write_text('{"format": "motion-studio joint map", "version": 1, "rigs": []}')
    assert main(["retarget", "humanoid3d_walk", str(tmp_path / "x.bvh"), "--to", "humanoid3d",
                 "--map", str(bad)]) == 2
    assert capsys.readouterr().err == f"error: {bad}: \"rigs\" must be a list of two rigs\n"


def test_info_roles_table_and_json(capsys):
    path = str(DATA / "along_x.bvh")
    assert main(["info", path, "--roles", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["parts"]["left_upper_leg"] == "UpperLeg_L" and info["parts"]["spine"] == ["Spine", "Chest"]
    assert info["missing"] == [] and info["unmapped"] == [] and info["rest"] == "frame 0"
    assert main(["info", "humanoid3d_walk", "--roles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["hips", "root"]
    assert "missing   neck, left_collar, left_hand, left_toe, right_collar, right_hand, right_toe" in lines
    assert main(["info", str(DATA / "chain4.bvh"), "--roles"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {DATA / 'chain4.bvh'}: not a humanoid skeleton")
