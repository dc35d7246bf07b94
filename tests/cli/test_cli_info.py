"""`info`: table and --json, reader warnings on stderr, `error: FILE:LINE: ...` and exit 2 on bad input."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli import main

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data" / "bvh"


def test_info_json_has_the_skeleton_frames_fps_and_warnings(capsys):
    path = str(DATA / "duplicate_names.bvh")
    assert main(["info", path, "--json"]) == 0
    out, err = capsys.readouterr()
    info = json.loads(out)
    assert info["joints"] == ["Hips", "Bone", "Bone_3", "Bone_2", "Bone_4"]
    assert info["parents"] == [-1, 0, 1, 0, 3]
    assert info["channels"][0] == ["Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation"]
    assert info["end_sites"] == ["Bone_3", "Bone_4"]
    assert info["frames"] == 2 and info["fps"] == pytest.approx(1 / 0.0333333)
    assert info["warnings"] == [f"{path}:10: duplicate joint name 'Bone' (first at line 6); renamed to 'Bone_3'",
                                f"{path}:24: duplicate joint name 'Bone' (first at line 6); renamed to 'Bone_4'"]
    assert err.splitlines() == [f"warning: {w}" for w in info["warnings"]]


def test_info_table_lists_joints_with_parents_and_channel_orders(capsys):
    assert main(["info", str(DATA / "mixed_channel_orders.bvh")]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "frames    3" in out and "fps       30" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("    ")]
    assert rows[1] == ["0", "Hips", "-", "Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation"]
    assert rows[3] == ["2", "Head", "Spine", "Zrotation", "Xrotation", "Yrotation"]


def test_info_accepts_an_embedded_clip_name(capsys):
    assert main(["info", "humanoid3d_walk", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["frames"] == 39 and info["joints"][0] == "root"


@pytest.mark.parametrize("name, message", [
    ("ragged_frame_line.bvh", ":39: frame line has 19 values, expected 18"),
    ("binary_garbage.bvh", ": binary data, not a BVH text file"),
    ("empty.bvh", ": empty file, not a BVH file"),
    ("not_a_bvh.bvh", ":1: expected HIERARCHY"),
])
def test_bad_files_exit_2_with_one_error_line(name, message, capsys):
    assert main(["info", str(DATA / name)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"error: {DATA / name}{message}") and err.count("\n") == 1


@pytest.mark.parametrize("arg, message", [
    ("missing.bvh", "missing.bvh: no such file"),
    ("folder", "folder: is a directory, not a motion file"),
    ("clip.fbx", "clip.fbx: no such file or embedded clip"),
])
def test_missing_directory_and_unknown_names_exit_2(arg, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    assert main(["info", arg]) == 2
    assert capsys.readouterr().err.startswith(f"error: {message}")


def test_subprocess_error_has_no_traceback():
    proc = subprocess.run([sys.executable, "main.py", "info", str(DATA / "unclosed_joint.bvh")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (f"error: {DATA / 'unclosed_joint.bvh'}:34: joint 'Hips' (line 2) is not closed "
                           "with '}' before MOTION\n")
