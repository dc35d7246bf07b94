"""Issue 19's bad weights, style codes and transition requests: each a WeightsError / `error: FILE: ...`
exit 2 naming the file (and the tensor or key), never a traceback, a 640 GB allocation or a file of NaNs."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import cli
from inference.rsmt.models import load_rsmt, random_rsmt_weights
from inference.networks.rsmt_config import MAX_CONFIG_INT, RSMTConfig
from inference.weights import WeightsError, WeightSet
from motion.bvh import read_bvh
from motion.deepmimic import load_embedded


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rsmt_hardening")
    random_rsmt_weights(folder, seed=3)
    return folder


@pytest.fixture
def copy(weights, tmp_path):
    folder = tmp_path / "weights"
    shutil.copytree(weights, folder)
    return folder


def edit_config(path, change) -> None:
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))


def transition(capsys, tmp_path, weights, *extra):
    code = cli.main(["transition", "--source", "humanoid3d_walk", "--target", "humanoid3d_run", "--length", "10",
                     "--out", str(tmp_path / "t.bvh"), "--weights", str(weights), *map(str, extra)])
    out, err = capsys.readouterr()
    return code, err


@pytest.mark.parametrize("fill", [np.nan, np.inf])
def test_non_finite_weights_are_refused_at_load_naming_file_and_tensor(copy, fill):
    tensors = load_file(str(copy / "sampler.safetensors"))
    name = sorted(tensors)[3]
    tensors[name][..., 0] = fill
    save_file(tensors, str(copy / "sampler.safetensors"))
    with pytest.raises(WeightsError, match=rf"sampler\.safetensors: tensor '{name}' holds \d+ NaN or infinite"):
        WeightSet.load(copy / "sampler")


@pytest.mark.parametrize("change, message", [
    (lambda c: c["skeleton"].update(position_scale=float("inf")),
     r"sampler\.json: config value 'skeleton\.position_scale' is not a finite number"),
    (lambda c: c["rsmt"].update(latent_size=16.5), r"RSMT config 'latent_size': expected an integer"),
    (lambda c: c["rsmt"].update(rnn_size=200_000), rf"'rnn_size': expected an integer from 0 to {MAX_CONFIG_INT}"),
    (lambda c: c["rsmt"].update(num_experts=True), r"'num_experts': expected an integer"),
    (lambda c: c["rsmt"].update(fps="30"), r"'fps': expected a finite number"),
    (lambda c: c["rsmt"].update(film_kernels=5), r"'film_kernels': expected a list of integers"),
])
def test_bad_config_values_are_refused_before_any_network_is_built(copy, change, message):
    edit_config(copy / "sampler.json", change)
    with pytest.raises(WeightsError, match=message):
        load_rsmt(copy)


def test_a_config_that_is_not_an_object_is_refused(copy):
    (copy / "sampler.json").write_text("[1, 2]")
    with pytest.raises(WeightsError, match=r"sampler\.json: config must be a JSON object, found a list"):
        load_rsmt(copy)


def test_config_round_trip_still_accepts_every_preset():
    from motion.deepmimic import humanoid3d_skeleton
    from motion.joint_roles import roles_for

    roles = roles_for(humanoid3d_skeleton(), "humanoid3d")
    for preset in ("lite", "paper"):
        cfg = RSMTConfig.for_roles(roles, preset)
        assert RSMTConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_damaged_weights_give_an_error_or_a_finite_file(copy, tmp_path, capsys):
    """2,000 flipped bytes: a NaN/inf tensor is refused at load; finite garbage makes garbage motion, which
    is written only if it is finite (the writer's check): never a traceback, never a file of NaNs."""
    path = copy / "sampler.safetensors"
    data = bytearray(path.read_bytes())
    header = 8 + int.from_bytes(data[:8], "little")
    for k in np.random.default_rng(0).choice(np.arange(header, len(data)), 2000, replace=False):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))
    code, err = transition(capsys, tmp_path, copy)
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert err.startswith("error: ") and not (tmp_path / "t.bvh").exists()
    else:
        assert np.isfinite(read_bvh(tmp_path / "t.bvh").translations).all()


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "--seed must be between 0 and"),
    (["--style", "STYLE.npy"], "STYLE.npy: unreadable style code (header claims a (4194304, 4194304) float32"),
    (["--style", "STYLE.json"], "STYLE.json: unreadable style code (JSON nested too deeply)"),
])
def test_bad_requests_exit_2(weights, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "STYLE.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (1 << 22, 1 << 22)})
    (tmp_path / "STYLE.json").write_text("[" * 100_000 + "]" * 100_000)
    code, err = transition(capsys, tmp_path, weights, *args)
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_one_frame_looping_source_makes_a_transition(weights, tmp_path, capsys):
    walk = load_embedded("humanoid3d_walk")
    rows = json.loads(open(walk.source).read())["Frames"][:1]
    (tmp_path / "one.txt").write_text(json.dumps({"Loop": "wrap", "Frames": rows}))
    code = cli.main(["transition", "--source", str(tmp_path / "one.txt"), "--target", "humanoid3d_run", "--length",
                     "10", "--out", str(tmp_path / "t.bvh"), "--weights", str(weights), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["context_frames"] == 1


def test_backend_not_ready_exits_2(weights, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "empty_cache"))
    code, err = transition(capsys, tmp_path, weights, "--backend", "max")
    assert code == 2 and err.startswith("error: max backend: ") and "not compiled" in err


def test_a_policy_cache_with_nan_is_converted_again(tmp_path, monkeypatch):
    from inference.deepmimic.policies import load_policy

    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path))
    first = load_policy("jump")
    cached = tmp_path / "policies" / "humanoid3d_jump.safetensors"
    tensors = load_file(str(cached))
    tensors["actor.0.weight"][0, 0] = np.nan
    save_file(tensors, str(cached))
    again = load_policy("jump")
    assert np.isfinite(again.tensors["actor.0.weight"]).all()
    np.testing.assert_array_equal(again.tensors["actor.0.weight"], first.tensors["actor.0.weight"])
    assert np.isfinite(load_file(str(cached))["actor.0.weight"]).all()  # and the cache was rewritten


def test_an_unwritable_policy_cache_still_gives_the_policy(tmp_path, monkeypatch, caplog):
    """The cache root is a regular file, so nothing can be created under it (as root, chmod cannot make a
    folder read-only; this fails the same OSError path)."""
    from inference.deepmimic.policies import load_policy

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(blocker))
    weights = load_policy("walk")
    assert weights.tensors["actor.0.weight"].shape == (1024, 197)
    assert "cannot cache the converted policy" in caplog.text
