"""`compare`: torch vs MAX parity on the DeepMimic networks (real MAX models, real pybullet episode).

The MEF store lives in a temporary MOTION_STUDIO_CACHE (the `cache` fixture of tests/parity/conftest.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import cli
from inference.backends.base import BackendNotReady, get_backend
from parity.compare import (DEEPMIMIC_KINDS as KINDS, compare_network, default_weights, errors, random_like,
                            record_episode, compare_episode, run_compare)

TOL = 1e-4  # float32, absolute, single step


def test_errors_are_absolute_and_relative_to_the_reference_range():
    ref = np.array([[1.0, -4.0], [0.0, 2.0]], np.float32)
    assert errors(ref + np.float32(0.5), ref) == (0.5, 0.125)
    assert errors(ref, ref) == (0.0, 0.0)
    with pytest.raises(ValueError, match="shapes differ"):
        errors(ref[:1], ref)


@pytest.mark.parametrize("kind", KINDS)
def test_single_step_parity_on_shipped_and_random_weights(cache, kind):
    walk = default_weights(kind, "walk")
    for label, weights in (("default", walk), ("random", random_like(walk, 7))):
        ref, cand = get_backend("torch").load(kind, weights), get_backend("max").load(kind, weights)
        rows = compare_network(kind, weights, ref, cand, seed=3, label=label)
        assert [(r.batch, r.weights, r.mode) for r in rows] == [(1, label, "single-step"), (64, label, "single-step")]
        for r in rows:
            assert 0 <= r.max_abs <= TOL, r
            assert r.max_rel <= 1e-5
        x = {"state": np.tile(walk.tensors["state_norm.mean"], (2, 1))}
        assert np.abs(next(iter(ref(**x).values()))).max() > 0.05  # the outputs carry a real signal


def test_episode_replay_records_per_step_differences_and_latencies(cache):
    weights = default_weights("deepmimic_actor", "walk")
    episode = record_episode("walk", 1.0)
    assert episode.states.shape[1] == 197 and 20 <= len(episode.states) <= 40  # ~27 Hz control
    assert not episode.fell
    ref = get_backend("torch").load("deepmimic_actor", weights)
    row = compare_episode(episode, weights, ref, get_backend("max").load("deepmimic_actor", weights))
    # the recorded actions are what the torch runner gives for those states
    np.testing.assert_allclose(ref(state=episode.states)["action"], episode.actions, atol=1e-5)
    steps = row.detail["steps"]
    assert steps == len(episode.states) and len(row.detail["per_step_max_abs"]) == steps
    assert row.max_abs == max(row.detail["per_step_max_abs"]) <= TOL
    for backend in ("torch", "max"):
        lat = row.detail["latency_us"][backend]
        assert len(lat) == steps and min(lat) > 0
        assert row.detail["median_latency_us"][backend] == pytest.approx(float(np.median(lat)))


def test_compare_command_json(cache, capsys):
    assert cli.main(["compare", "--model", *KINDS, "--episode-seconds", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reference"] == "torch" and out["candidate"] == "max"
    rows = out["rows"]
    assert {(r["model"], r["mode"]) for r in rows} == {
        ("deepmimic_actor", "single-step"), ("deepmimic_actor", "episode"), ("deepmimic_critic", "single-step")}
    assert {r["output"] for r in rows} == {"action", "value"}
    for r in rows:
        assert set(r) >= {"model", "output", "mode", "max_abs", "max_rel"}
        assert 0 <= r["max_abs"] <= TOL


def test_compare_table(cache, capsys):
    assert cli.main(["compare", "--model", "deepmimic_critic"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("torch vs max\nmodel")
    assert out.count("deepmimic_critic") == 4  # two batch sizes x default/random weights


def test_uncompiled_models_are_an_error_not_a_torch_fallback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path))
    with pytest.raises(BackendNotReady, match="deepmimic_critic.*python main.py compile"):
        run_compare(["deepmimic_critic"])
    assert cli.main(["compare", "--model", "deepmimic_actor"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: max models not compiled yet: deepmimic_actor") and "python main.py compile" in err
    assert cli.main(["compare", "--model", "no_such_model"]) == 2
    assert "no model 'no_such_model'" in capsys.readouterr().err



BANDAI_KINDS = ("rsmt_phase", "rsmt_manifold_decoder", "rsmt_sampler_style", "rsmt_sampler_target",
                "rsmt_sampler_step", "rsmt_rollout")


def test_compare_a_shipped_model(compiled_max_cache, monkeypatch, capsys):
    """`compare --model bandai`: the Bandai Namco model's networks (21 joints: its own MAX graphs) with its
    trained weights and with random ones, and a whole transition with it, MAX within tolerance of torch."""
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(compiled_max_cache(BANDAI_KINDS, "bandai")))
    assert cli.main(["compare", "--model", "bandai", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    single = [r for r in rows if r["mode"] == "single-step"]
    assert {r["model"] for r in single} == set(BANDAI_KINDS) - {"rsmt_rollout"}
    assert {(r["weights"], r["batch"]) for r in single} == {(w, b) for w in ("bandai", "random") for b in (1, 64)}
    for r in single:
        assert r["max_rel"] <= 1e-4, r
    transition = [r for r in rows if r["mode"] != "single-step"]
    assert {r["weights"] for r in transition} == {"bandai"} and {"free-running", "teacher-forced"} <= {
        r["mode"] for r in transition}
    for r in transition:
        assert r["max_rel"] <= 1e-4, r
    assert cli.main(["compare", "--model", "bandai", "humanoid3d"]) == 2
    assert "one shipped model at a time" in capsys.readouterr().err
