"""`positions FILE --out P.npy`: float32 (frames, joints, 3) world positions in file units and order."""
from pathlib import Path

import numpy as np

from cli import main
from motion.bvh import read_bvh
from motion.fk import world_positions

DATA = Path(__file__).parents[2] / "tests" / "data" / "bvh"


def test_positions_match_forward_kinematics(tmp_path, capsys):
    out = tmp_path / "p.npy"
    assert main(["positions", str(DATA / "mixed_channel_orders.bvh"), "--out", str(out)]) == 0
    positions = np.load(out)
    assert positions.dtype == np.float32 and positions.shape == (3, 5, 3)
    np.testing.assert_array_equal(positions, world_positions(read_bvh(DATA / "mixed_channel_orders.bvh")))
    assert f"wrote {out}: 3 frames x 5 joints x 3" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["p.npy"]


def test_positions_known_values_and_warnings(tmp_path, capsys):
    out = tmp_path / "p.npy"
    assert main(["positions", str(DATA / "intrinsic_order.bvh"), "--out", str(out)]) == 0
    np.testing.assert_allclose(np.load(out), [[[1, 2, 3], [1, 3, 3]]], atol=1e-6)
    assert main(["positions", str(DATA / "truncated_last_frame.bvh"), "--out", str(out)]) == 0
    assert np.load(out).shape == (2, 5, 3)
    assert "warning: " + str(DATA / "truncated_last_frame.bvh") + ":40: last frame" in capsys.readouterr().err


def test_zero_frame_file_gives_an_empty_array(tmp_path):
    out = tmp_path / "p.npy"
    assert main(["positions", str(DATA / "zero_frames.bvh"), "--out", str(out)]) == 0
    assert np.load(out).shape == (0, 5, 3)


def test_bad_output_paths_exit_2_and_leave_nothing(tmp_path, capsys):
    assert main(["positions", str(DATA / "clean.bvh"), "--out", str(tmp_path / "p.txt")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'p.txt'}: --out must name a .npy file\n"
    assert main(["positions", str(DATA / "clean.bvh"), "--out", str(tmp_path / "no" / "p.npy")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'no' / 'p.npy'}: cannot write")
    assert list(tmp_path.iterdir()) == []
