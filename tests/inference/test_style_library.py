"""The named style library (inference/rsmt/style_library.py, training/style_library.py, `styles build|list`, `transition --style NAME`) on a
random-weight model and the embedded clips (style label = clip name)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import cli
from inference.rsmt.models import load_rsmt, random_rsmt_weights
from inference.rsmt.style_library import (EVALUATION_FILE, LIBRARY_FILE, NAMED_STYLE, StyleLibrary,
                                          StyleRecognition, style_recognition)
from inference.rsmt.styles import style_codes
from inference.rsmt.transition import TransitionError, TransitionGenerator
from motion.bvh import read_bvh


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("styles_model")
    random_rsmt_weights(folder, seed=3)
    assert cli.main(["styles", "build", "--data", "embedded", "--weights", str(folder), "--named-by", "medoid"]) == 0
    return folder


def test_one_style_per_training_label_its_medoid(model_dir):
    """named_by "medoid": each style's window is the one nearest its mean code."""
    lib = StyleLibrary.load(model_dir / LIBRARY_FILE)
    # the default held-out clips stay out of the library: training split only
    assert "humanoid3d_spinkick" not in lib.names and "humanoid3d_walk" in lib.names
    assert lib.names == sorted(set(lib.clip_styles))
    model = load_rsmt(model_dir)
    codes = style_codes(TransitionGenerator(model), [lib.style(n) for n in lib.names])
    for i, name in enumerate(lib.names):
        mine = lib.clip_codes[np.array(lib.clip_styles) == name]
        np.testing.assert_allclose(lib.style_codes[i], mine.mean(axis=0), rtol=1e-5, atol=1e-6)
        # the named style is the window nearest the mean code, and re-encoding it gives that window's code
        nearest = mine[np.argmin(np.linalg.norm(mine - lib.style_codes[i], axis=1))]
        np.testing.assert_allclose(codes[i], nearest, rtol=1e-4, atol=1e-5)
    with pytest.raises(TransitionError, match="no style named 'sleepy'"):
        lib.style("sleepy")


def test_list_and_transition_by_name(model_dir, tmp_path, capsys):
    assert cli.main(["styles", "list", "--weights", str(model_dir), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["style"] for r in listed["styles"]][:2] == ["humanoid3d_backflip", "humanoid3d_cartwheel"]
    outs = {}
    for style in ("humanoid3d_crawl", "humanoid3d_backflip"):
        outs[style] = tmp_path / f"{style}.bvh"
        assert cli.main(["transition", "--source", "humanoid3d_walk", "--target", "humanoid3d_run", "--length", "12",
                         "--style", style, "--weights", str(model_dir), "--out", str(outs[style])]) == 0
    a, b = (read_bvh(p).rotations for p in outs.values())
    assert a.shape == b.shape and not np.allclose(a, b)  # the style reaches the frames


def write_evaluation(folder, recognised: dict[str, tuple[int, int]], transitions: int = 10) -> None:
    """An evaluation.json as `evaluate --style-accuracy --json` writes it, with only what the reader needs:
    {style: (hits of the named style, hits of interpolation)}; the clean-up's row with random clips of the style
    (another count, which the reader must not take) beside them."""
    rows = [{"method": method, "style": style, "fraction": hits / transitions, "transitions": transitions}
            for style, (named, baseline) in recognised.items()
            for method, hits in (("interpolation", baseline), (NAMED_STYLE, named), ("rsmt+cleanup", transitions))]
    (folder / EVALUATION_FILE).write_text(json.dumps({"rows": [], "style_accuracy": {
        "classifier": {}, "rows": rows, "chance": 1 / 15}}))


def test_list_shows_how_often_each_style_was_recognised(model_dir, capsys):
    """`styles list` names, per named style, how often the model's evaluation (evaluation.json beside the
    weights) recognised its transitions, beside interpolation's count; a broken file is named (exit 2)."""
    name = "humanoid3d_backflip"
    write_evaluation(model_dir, {name: (3, 1)})
    try:
        assert style_recognition(model_dir)[name] == StyleRecognition(3, 10, 1, 1 / 15)
        assert cli.main(["styles", "list", "--weights", str(model_dir)]) == 0
        out = capsys.readouterr().out
        assert f"{name}" in out and "recognised 3/10 (interpolation 1)" in out and "chance 7%" in out
        assert cli.main(["styles", "list", "--weights", str(model_dir), "--json"]) == 0
        rows = {r["style"]: r["recognised"] for r in json.loads(capsys.readouterr().out)["styles"]}
        assert rows[name] == {"hits": 3, "transitions": 10, "interpolation": 1}
        assert rows["humanoid3d_walk"] is None
        (model_dir / EVALUATION_FILE).write_text('{"style_accuracy": {"rows": [{"method": "named style"}]}}')
        assert cli.main(["styles", "list", "--weights", str(model_dir)]) == 2
        assert f"error: {model_dir / EVALUATION_FILE}: not an evaluation with style accuracy" in \
            capsys.readouterr().err
        # without interpolation's row there is no baseline to show: an error, not a made-up count
        (model_dir / EVALUATION_FILE).write_text('{"style_accuracy": {"chance": 0.1, "rows": [{"method": '
                                                 '"named style", "style": "x", "fraction": 0.5, "transitions": 10}]}}')
        with pytest.raises(TransitionError, match="not an evaluation with style accuracy"):
            style_recognition(model_dir)
        (model_dir / EVALUATION_FILE).write_text('{"rows": []}')  # an evaluation without style accuracy
        assert style_recognition(model_dir) == {}
    finally:
        (model_dir / EVALUATION_FILE).unlink()
    assert style_recognition(model_dir) == {} and style_recognition(None) == {}


def test_bad_library_file_is_named(tmp_path):
    bad = tmp_path / LIBRARY_FILE
    bad.write_bytes(b"not a zip")
    with pytest.raises(TransitionError, match="not a style library"):
        StyleLibrary.load(bad)


def test_build_needs_the_data(model_dir, capsys):
    assert cli.main(["styles", "build", "--weights", str(model_dir)]) == 2
    assert "needs --data" in capsys.readouterr().err


def test_build_by_critic_needs_a_normal_style(model_dir, capsys):
    """The default pick rates transitions between 'normal' windows: data without that label is named as such,
    with the way out."""
    assert cli.main(["styles", "build", "--data", "embedded", "--weights", str(model_dir)]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "no 'normal' style" in err and "medoid" in err


def test_critic_names_the_window_whose_transitions_it_rates_highest(tmp_path, monkeypatch):
    """named_by "critic": every training window is rated (a mean log-probability, finite and <= 0) and each style's
    named window is its best-rated one; the library says so, and save/load keeps the ratings."""
    from dataclasses import replace

    from training import style_critic
    from training.datasets import embedded_dataset
    from training.style_library import build_library

    monkeypatch.setattr(style_critic, "STEPS", 5)  # a real fit, kept short
    model = random_rsmt_weights(tmp_path / "model", seed=5)
    dataset = embedded_dataset(clips=("walk", "run", "dance_a"), held_out=(), augmented=False)
    dataset.train = [replace(s, style="normal") if s.style == "humanoid3d_walk" else s for s in dataset.train]
    generator = TransitionGenerator(model)
    lib = build_library(generator, dataset)
    assert lib.chosen_by.startswith("critic:") and "training 'normal' windows" in lib.chosen_by
    assert lib.names == ["humanoid3d_dance_a", "humanoid3d_run", "normal"]
    scores = np.asarray(lib.window_scores)
    assert scores.shape == (len(lib.clip_codes),) and np.isfinite(scores).all() and (scores <= 0).all()
    codes = style_codes(generator, [lib.style(n) for n in lib.names])
    styles = np.array(lib.clip_styles)
    for i, name in enumerate(lib.names):
        mine = np.nonzero(styles == name)[0]
        assert len(mine) >= 2  # a choice to make
        best = mine[np.argmax(scores[mine])]
        np.testing.assert_allclose(codes[i], lib.clip_codes[best], rtol=1e-4, atol=1e-5)
        assert lib.named_clips[i] == lib.clip_names[best]
    lib.save(tmp_path / LIBRARY_FILE)
    again = StyleLibrary.load(tmp_path / LIBRARY_FILE)
    assert again.chosen_by == lib.chosen_by
    np.testing.assert_array_equal(again.window_scores, scores)


def test_a_library_of_format_1_reads_as_medoids(model_dir, tmp_path):
    """Libraries built before the critic pick (format 1, field "medoids") still load, named as medoids."""
    from inference.rsmt.style_library import FORMAT_1, MEDOID

    lib = StyleLibrary.load(model_dir / LIBRARY_FILE)
    path = tmp_path / LIBRARY_FILE
    np.savez(path, format=FORMAT_1, names=np.array(lib.names), features=lib.features, joints=np.array(lib.joints),
             style_codes=lib.style_codes, clip_names=np.array(lib.clip_names), clip_styles=np.array(lib.clip_styles),
             clip_codes=lib.clip_codes, medoids=np.array(lib.named_clips))
    old = StyleLibrary.load(path)
    assert old.chosen_by == MEDOID and old.named_clips == lib.named_clips and np.isnan(old.window_scores).all()
    np.testing.assert_array_equal(old.features, lib.features)


@pytest.fixture(scope="module")
def normal_model_dir(tmp_path_factory):
    """A random-weight model whose library has a 'normal' style (the walk clip relabelled): a style-strength
    reference; named by medoid, so no critic is fitted."""
    from dataclasses import replace

    from training.datasets import embedded_dataset
    from training.style_library import build_library

    folder = tmp_path_factory.mktemp("normal_model")
    model = random_rsmt_weights(folder, seed=6)
    dataset = embedded_dataset(clips=("walk", "run", "dance_a"), held_out=(), augmented=False)
    dataset.train = [replace(s, style="normal") if s.style == "humanoid3d_walk" else s for s in dataset.train]
    build_library(TransitionGenerator(model), dataset, named_by="medoid").save(folder / LIBRARY_FILE)
    return folder


def test_the_reference_is_the_mean_normal_encoder_output(normal_model_dir, model_dir):
    """The library keeps the style encoder's mean outputs over its 'normal' windows (each output's shape for one
    style); without a 'normal' label it keeps none."""
    from inference.rsmt.style_reference import has_reference
    from inference.rsmt.styles import CODE_FIELDS

    lib = StyleLibrary.load(normal_model_dir / LIBRARY_FILE)
    assert has_reference(normal_model_dir) and not has_reference(model_dir) and not has_reference(None)
    assert StyleLibrary.load(model_dir / LIBRARY_FILE).reference == {}
    outputs = TransitionGenerator(load_rsmt(normal_model_dir)).style_outputs("torch", lib.style("normal"))
    assert set(lib.reference) == set(outputs)
    assert all(lib.reference[k].shape == outputs[k].shape for k in outputs)
    mine = lib.clip_codes[np.array(lib.clip_styles) == "normal"]
    assert len(mine) >= 2
    code = np.concatenate([lib.reference[k].reshape(-1) for k in CODE_FIELDS])
    np.testing.assert_allclose(code, mine.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_strengthened_pushes_from_the_reference():
    from inference.rsmt.style_reference import strengthened

    ref = {"a": np.array([[1.0, 2.0]], np.float32), "b": np.zeros((1, 3, 2), np.float32)}
    out = {"a": np.array([[3.0, 1.0]], np.float32), "b": np.ones((1, 3, 2), np.float32)}
    np.testing.assert_array_equal(strengthened(out, ref, 1.0)["a"], out["a"])
    np.testing.assert_array_equal(strengthened(out, ref, 0.0)["b"], ref["b"])
    np.testing.assert_allclose(strengthened(out, ref, 1.5)["a"], [[4.0, 0.5]])
    with pytest.raises(ValueError, match="rebuild the library"):
        strengthened({"a": out["a"]}, ref, 1.5)


def test_style_strength_moves_the_frames_and_is_checked(normal_model_dir, model_dir, tmp_path, capsys):
    """`transition --style-strength S`: 1 is the transition as before (the cached style code is not changed by an
    earlier request of another strength); another strength moves the frames; out of range, or on a model whose
    library has no reference, an error naming why (exit 2)."""
    from inference.rsmt.transition import TransitionRequest
    from motion.io import resolve_clip

    generator = TransitionGenerator(load_rsmt(normal_model_dir))
    walk, run = resolve_clip("humanoid3d_walk"), resolve_clip("humanoid3d_run")
    frames = [generator.generate(TransitionRequest(walk, run, length=12, style=run, style_strength=s)).motion.rotations
              for s in (1.0, 1.5, 1.0)]
    assert np.array_equal(frames[0], frames[2]) and not np.allclose(frames[0], frames[1])
    assert np.isfinite(frames[1]).all()
    args = ["transition", "--source", "humanoid3d_walk", "--target", "humanoid3d_run", "--length", "12",
            "--style", "humanoid3d_run"]
    bvh = {}
    for strength in ("1", "1.5"):
        bvh[strength] = tmp_path / f"s{strength}.bvh"
        assert cli.main([*args, "--weights", str(normal_model_dir), "--style-strength", strength,
                         "--out", str(bvh[strength])]) == 0
    assert not np.allclose(read_bvh(bvh["1"]).rotations, read_bvh(bvh["1.5"]).rotations)
    assert cli.main([*args, "--weights", str(normal_model_dir), "--style-strength", "3.5",
                     "--out", str(tmp_path / "x.bvh")]) == 2
    assert "style strength must be 0..3, got 3.5" in capsys.readouterr().err
    assert cli.main([*args, "--weights", str(model_dir), "--style-strength", "0.5",
                     "--out", str(tmp_path / "y.bvh")]) == 2
    assert "no 'normal' style to measure a style strength from" in capsys.readouterr().err


def test_model_by_name(model_dir, tmp_path, capsys):
    args = ["transition", "--source", "humanoid3d_walk", "--target", "humanoid3d_run", "--length", "8",
            "--out", str(tmp_path / "t.bvh")]
    assert cli.main([*args, "--model", "humanoid3d", "--weights", str(model_dir)]) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert cli.main(["evaluate", "--model", "humanoid3d", "--sampler", "x.safetensors"]) == 2


def test_the_shipped_bandai_model_names_its_styles_and_skeleton():
    from inference.rsmt.models import MODEL_DIRS
    from inference.rsmt.style_library import model_library

    model = load_rsmt(MODEL_DIRS["bandai"])
    assert model.roles.names[0] == "Hips" and model.roles.num_joints == 21
    assert model.sampler.config["styles"] == model_library(model).names
    assert {"angry", "old", "normal", "tired"} <= set(model_library(model).names)
    assert len(model_library(model).names) == 15
    features = model_library(model).style("angry")
    assert features.features.shape == (model.cfg.style_frames - 1, 21, 12)
    # its evaluation ships beside it: every style but the transitions' own ('normal') with its recognition
    recognised = style_recognition(model.folder)
    assert set(recognised) == set(model_library(model).names) - {"normal"}
    assert all(0 <= r.hits <= r.transitions and 0 <= r.baseline <= r.transitions and r.chance == 1 / 15
               for r in recognised.values())


def test_the_shipped_recognition_is_what_evaluate_measures_for_each_named_style(capsys):
    """The recognition the Styles panel shows for the Bandai model is reproducible: `evaluate --style-accuracy`
    on the shared data scores each named style's own code (the `named style` rows, what `transition --style
    NAME` makes) as the shipped evaluation.json says, within one transition of ten per style (the classifier
    is refitted, and a borderline transition may fall either side on another CPU)."""
    from inference.rsmt.models import MODEL_DIRS
    from training import bandai

    if not bandai.SHARED.is_dir():
        pytest.skip(f"the shared Bandai Namco data set is absent ({bandai.SHARED})")
    assert cli.main(["evaluate", "--model", "bandai", "--lengths", "20", "--style-accuracy", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["style_accuracy"]["rows"]
    measured = {r["style"]: round(r["fraction"] * r["transitions"]) for r in rows if r["method"] == NAMED_STYLE}
    shipped = style_recognition(MODEL_DIRS["bandai"])
    assert set(measured) == set(shipped) and len(measured) == 14
    assert all(abs(measured[s] - shipped[s].hits) <= 1 for s in measured), (measured, shipped)
    assert sum(measured.values()) >= 36  # shipped: 50 of 140 (32 with the medoid windows); interpolation 10, chance 9.3
