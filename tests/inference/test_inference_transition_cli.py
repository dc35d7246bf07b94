"""`python main.py transition ...` (cli/transition.py) with random-weight lite RSMT weights."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cli
from inference.rsmt.models import random_rsmt_weights
from motion.bvh import read_bvh

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rsmt_cli")
    random_rsmt_weights(folder, seed=5)
    return folder


def run_cli(capsys, *args):
    code = cli.main(["transition", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_summary_and_output_file(weights, tmp_path, capsys):
    out = tmp_path / "t.bvh"
    code, stdout, err = run_cli(capsys, "--source", "humanoid3d_walk:30", "--target", "humanoid3d_run:2",
                                "--length", 12, "--style", "humanoid3d_jump", "--seed", 3, "--backend", "torch",
                                "--out", out, "--weights", weights, "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    for key in ("frames", "transition_frames", "backend", "ms_per_frame"):
        assert key in summary
    assert summary["transition_frames"] == 12 and summary["backend"] == "torch"
    assert summary["ms_per_frame"] > 0
    # walk frames 0..30, 12 generated, run frames 3..24
    assert summary["frames"] == 31 + 12 + 22
    assert summary["generated"] == [31, 43]
    back = read_bvh(out)
    assert back.num_frames == summary["frames"]
    assert np.all(np.isfinite(back.rotations))


def test_output_at_the_source_clip_s_own_frame_rate(weights, tmp_path, capsys):
    """--fps source on a 60 fps clip: the context frames are the clip's own 60 fps frames, the rest twice as many
    frames as at 30 fps, and the file says 60 fps."""
    out = tmp_path / "t.bvh"
    code, stdout, err = run_cli(capsys, "--source", "humanoid3d_dance_a:60", "--target", "humanoid3d_run:2",
                                "--length", 12, "--backend", "torch", "--fps", "source", "--out", out,
                                "--weights", weights, "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["fps"] == pytest.approx(60.0, rel=1e-3) and summary["transition_frames"] == 24
    assert summary["generated"] == [61, 85]  # source frames 0..60, then 2 x 12 generated
    back = read_bvh(out)
    assert back.num_frames == summary["frames"] and back.fps == pytest.approx(60.0, rel=1e-3)


def test_saved_style_code_and_defaults(weights, tmp_path, capsys):
    from inference.rsmt.models import load_rsmt
    from inference.rsmt.transition import TransitionGenerator
    from motion.deepmimic import load_embedded

    code_path = tmp_path / "jump.json"
    TransitionGenerator(load_rsmt(weights)).style_features(load_embedded("humanoid3d_jump")).save(code_path)
    code, stdout, err = run_cli(capsys, "--source", "humanoid3d_walk", "--target", "humanoid3d_run",
                                "--length", 10, "--style", code_path, "--context", 10, "--out", tmp_path / "t.bvh",
                                "--weights", weights, "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    # default frames: the source's last (38) and the target's first (0)
    assert summary["context_frames"] == 10 and summary["target_frames"] == 24


def test_missing_weights_exit_2_naming_the_files(tmp_path):
    empty = tmp_path / "weights"
    empty.mkdir()
    proc = subprocess.run([sys.executable, "main.py", "transition", "--source", "humanoid3d_walk", "--target",
                           "humanoid3d_run", "--out", str(tmp_path / "t.bvh"), "--weights", str(empty)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {empty}: RSMT weights missing: needs phase.safetensors, phase.json, "
                                  f"sampler.safetensors, sampler.json")
    assert not (tmp_path / "t.bvh").exists()


@pytest.mark.parametrize("args, message", [
    (["--length", "70"], "transition length must be 10..60"),
    (["--source", "humanoid3d_walk:99"], "frame 99 is out of range"),
    (["--out", "t.fbx"], "unknown motion file type"),
    (["--style", "no_such_clip"], "no such file or embedded clip"),
    (["--fps", "fast"], "--fps must be 'source' or a number"),
    (["--fps", "0"], "output fps must be"),
])
def test_bad_input_exit_2(weights, tmp_path, capsys, args, message):
    base = {"--source": "humanoid3d_walk", "--target": "humanoid3d_run", "--out": str(tmp_path / "t.bvh"),
            "--weights": str(weights)}
    extra = dict(zip(args[::2], args[1::2]))
    flat = [x for k, v in (base | extra).items() for x in (k, v)]
    code, _, err = run_cli(capsys, *flat)
    assert code == 2
    assert err.startswith("error: ") and message in err


def test_a_weights_folder_that_names_a_licence_is_announced(weights, tmp_path, capsys):
    """A model folder whose LICENSE.md names a licence (`models.model_licence`; the shipped Bandai Namco model's:
    CC BY-NC 4.0) is announced on stderr by the commands that make motion with it; other folders are not."""
    import shutil

    from inference.rsmt.models import MODEL_DIRS, model_licence

    assert model_licence(MODEL_DIRS["bandai"]) == "CC BY-NC 4.0, non-commercial use only"
    assert model_licence(MODEL_DIRS["humanoid3d"]) is None
    licensed = tmp_path / "licensed"
    shutil.copytree(weights, licensed)
    (licensed / "LICENSE.md").write_text("# Terms\n\nLicence: CC BY-NC 4.0, non-commercial use only\n")
    request = ["--source", "humanoid3d_walk:30", "--target", "humanoid3d_run:2", "--length", 10, "--backend", "torch"]
    code, _, err = run_cli(capsys, *request, "--out", tmp_path / "a.bvh", "--weights", licensed)
    assert code == 0, err
    assert f"note: {licensed}: CC BY-NC 4.0, non-commercial use only" in err
    code, _, err = run_cli(capsys, *request, "--out", tmp_path / "b.bvh", "--weights", weights)
    assert code == 0 and "licence" not in err
    (licensed / "LICENSE.md").write_text("no licence line here\n")
    assert model_licence(licensed) is None
