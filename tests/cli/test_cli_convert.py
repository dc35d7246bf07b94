"""`convert IN OUT [--fps F] [--scale S]`: BVH <-> BVH / DeepMimic by extension."""
from pathlib import Path

import numpy as np
import pytest

from cli import main
from motion.bvh import read_bvh
from motion.deepmimic import load_embedded
from motion.fk import world_positions
from motion.io import load_motion

DATA = Path(__file__).parents[2] / "tests" / "data" / "bvh"


def test_bvh_to_bvh_with_scale(tmp_path, capsys):
    out = tmp_path / "out.bvh"
    assert main(["convert", str(DATA / "mixed_channel_orders.bvh"), str(out), "--scale", "0.01"]) == 0
    original, converted = read_bvh(DATA / "mixed_channel_orders.bvh"), read_bvh(out)
    assert converted.skeleton.channels == original.skeleton.channels
    np.testing.assert_allclose(converted.skeleton.end_sites[4], original.skeleton.end_sites[4] * 0.01, atol=1e-6)
    np.testing.assert_allclose(world_positions(converted), world_positions(original) * 0.01, atol=1e-5)
    assert f"wrote {out}: 3 frames at 30 fps" in capsys.readouterr().out


def test_bvh_to_bvh_with_fps_keeps_the_duration(tmp_path):
    out = tmp_path / "out.bvh"
    assert main(["convert", str(DATA / "clean.bvh"), str(out), "--fps", "60"]) == 0
    converted = read_bvh(out)
    assert converted.fps == pytest.approx(60) and converted.num_frames == 5
    original = world_positions(read_bvh(DATA / "clean.bvh"))
    np.testing.assert_allclose(world_positions(converted)[::2], original, atol=1e-4)  # original frames kept


def test_deepmimic_to_bvh_and_back(tmp_path):
    bvh, txt = tmp_path / "walk.bvh", tmp_path / "walk.txt"
    assert main(["convert", "humanoid3d_walk", str(bvh)]) == 0
    assert main(["convert", str(bvh), str(txt)]) == 0
    walk, back = load_embedded("humanoid3d_walk"), load_motion(txt)
    np.testing.assert_allclose(world_positions(back), world_positions(walk), atol=1e-5)


@pytest.mark.parametrize("argv, message", [
    (["clean.bvh", "out.fbx"], "out.fbx: unknown motion file type '.fbx'"),
    (["clean.bvh", "out.txt"], "out.txt: the skeleton is not humanoid3d"),
    (["clean.bvh", "out.bvh", "--scale", "0"], "--scale must be a positive number, got 0"),
    (["clean.bvh", "out.bvh", "--fps", "nan"], "--fps must be between 0.01 and 10000, got nan"),
    (["clean.bvh", "out.bvh", "--fps", "1e9"], "--fps must be between 0.01 and 10000, got 1e+09"),
    (["bad_number.bvh", "out.bvh"], "bad_number.bvh:39: '2O.0' in the frame data is not a finite number"),
])
def test_bad_conversions_exit_2_and_write_nothing(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [str(DATA / argv[0]), *argv[1:]]
    assert main(["convert", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
