"""Issue 19 through the command line: every bad input is `error: ...` on stderr and exit 2, no traceback,
no file written; what is printed as JSON is strict JSON (no NaN/Infinity)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cli

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "bvh"


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fps", ["1000", "inf", "nan", "0"])
def test_deepmimic_fps_above_the_physics_rate_or_not_positive_exits_2(capsys, tmp_path, fps):
    code, _, err = run(capsys, "deepmimic", "--seconds", "1", "--fps", fps, "--out", tmp_path / "x.bvh")
    assert code == 2 and err.startswith("error: --fps must be between 0.01 and 240, got ")
    assert list(tmp_path.iterdir()) == []


def test_the_recorder_refuses_more_frames_than_physics_steps():
    from sim.recorder import MotionRecorder

    assert MotionRecorder(240.0).fps == 240.0
    with pytest.raises(ValueError, match="at most the physics rate 240"):
        MotionRecorder(241.0)


def test_info_json_of_a_tiny_frame_time_is_strict_json(capsys, tmp_path):
    text = (DATA / "clean.bvh").read_text()
    line = next(l for l in text.splitlines() if l.startswith("Frame Time"))
    path = tmp_path / "tiny.bvh"
    path.write_text(text.replace(line, "Frame Time: 1e-310"))
    code, out, err = run(capsys, "info", path, "--json")
    info = strict_json(out)
    assert code == 0 and info["fps"] == 30.0 and "not a duration between" in err


def test_convert_with_an_overflowing_scale_writes_nothing(capsys, tmp_path):
    code, _, err = run(capsys, "convert", DATA / "clean.bvh", tmp_path / "out.bvh", "--scale", "1e308")
    assert code == 2 and err.startswith(f"error: {tmp_path / 'out.bvh'}: not written: ")
    assert err.count("\n") == 1 and list(tmp_path.iterdir()) == []


def test_evaluate_refuses_a_training_section_that_is_not_an_object(capsys, tmp_path):
    folder = tmp_path / "w"
    shutil.copytree(ROOT / "assets" / "rsmt_lite", folder)
    config = json.loads((folder / "sampler.json").read_text())
    config["training"] = "oops"
    (folder / "sampler.json").write_text(json.dumps(config))
    code, _, err = run(capsys, "evaluate", "--sampler", folder / "sampler", "--lengths", "10")
    assert code == 2 and "config 'training' must be an object" in err and "'oops'" in err


def test_special_files_exit_2_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "x.bvh")
    (tmp_path / "zero.bvh").symlink_to("/dev/zero")
    for name, kind in (("x.bvh", "a FIFO"), ("zero.bvh", "a device")):
        proc = subprocess.run([sys.executable, "main.py", "info", str(tmp_path / name)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and proc.stderr == f"error: {tmp_path / name}: is {kind}, not a regular " \
                                                      f"file; only regular files are read\n"
