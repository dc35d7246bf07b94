"""The style classifier (training/style_classifier.py) and the style accuracy it measures, on two made-up
styles of the Bandai Namco fixture walk: as recorded, and crouched (every height x 0.8)."""
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import cli
from training import bandai as B
from training import style_classifier as S
from training.benchmark import dataset_benchmark
from training.datasets import MotionDataset

DATA = Path(__file__).resolve().parents[1] / "data" / "bandai"


def _two_styles() -> MotionDataset:
    data = B.bandai_dataset(DATA)
    crouch = np.array([1.0, 0.8, 1.0], np.float32)

    def styled(seqs, style):
        return [replace(s, style=style, name=f"{s.name}/{style}") for s in seqs]

    low = [replace(s, pos=s.pos * crouch) for s in data.train]
    return MotionDataset(data.roles, data.offsets, 1.0,
                         train=styled(data.train[::2], "upright") + styled(low[::2], "crouched"),
                         test=styled(data.train[1::2], "upright") + styled(low[1::2], "crouched"))


def test_features_ignore_place_and_facing():
    data = B.bandai_dataset(DATA, augmented=False)
    pos = data.train[0].pos[None, :40].astype(np.float64)
    turn = np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]])  # 90 degrees about Y
    moved = pos @ turn.T + np.array([300.0, 0, -50])
    np.testing.assert_allclose(S.window_features(moved, data.roles), S.window_features(pos, data.roles),
                               rtol=1e-4, atol=1e-3)


def test_held_out_accuracy_and_style_accuracy():
    data = _two_styles()
    clf, report = S.train_classifier(data)
    assert report["heldout_accuracy"] == 1.0 and report["per_style"] == {"crouched": 1.0, "upright": 1.0}
    bench = dataset_benchmark(data, data.test)  # 65-frame windows of the held-out sequences, canonical
    styles = bench.window_styles
    assert set(styles) == {0, 1}

    def truth_of(sub, style):  # a "method" that returns held-out motion of the requested style
        pool = bench.windows["pos"][styles == style]
        return lambda w, past, length: (pool[np.arange(len(w["pos"])) % len(pool), past:past + length], None)

    rows = S.style_accuracy(bench, clf, {"oracle": truth_of}, source_style="upright")
    assert rows == [{"method": "oracle", "style": "crouched", "fraction": 1.0,
                     "transitions": int((styles == data.styles.index("upright")).sum())}]
    with pytest.raises(ValueError, match="no 'normal' style"):
        S.style_accuracy(bench, clf, {"oracle": truth_of})


def test_evaluate_on_the_shared_data(capsys):
    if not B.SHARED.is_dir():
        pytest.skip(f"the shared Bandai Namco data set is absent ({B.SHARED})")
    assert cli.main(["evaluate", "--data", "bandai-namco", "--no-model", "--lengths", "20", "--style-accuracy"]) == 0
    out = capsys.readouterr().out
    assert "held-out windows of bandai-namco" in out and "style classifier" in out
    assert "interpolation" in out and "angry" in out


def test_a_style_strength_without_named_styles_to_score_is_refused(capsys):
    """`evaluate --style-strength S` scores a sampler's named styles: without --style-accuracy, or with --no-model,
    it is refused before any work (exit 2), not silently ignored; out of range likewise."""
    for extra in ([], ["--style-accuracy", "--no-model"]):
        assert cli.main(["evaluate", "--data", "bandai-namco", "--style-strength", "1.5", *extra]) == 2
        assert "--style-strength scores a sampler's named styles" in capsys.readouterr().err
    assert cli.main(["evaluate", "--style-strength", "4"]) == 2
    assert "--style-strength must be between 0 and 3, got 4" in capsys.readouterr().err
