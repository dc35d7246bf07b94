"""The style library helpers (inference.rsmt.styles) on a random-weight lite RSMT model: codes from the sampler's
style encoder, the PCA map, blends, and custom styles saved to / loaded from the user's data folder."""
from __future__ import annotations

import numpy as np
import pytest

from inference.rsmt.models import random_rsmt_weights
from inference.rsmt.styles import (StyleMap, blend, clip_styles, load_custom_styles, save_style, style_codes,
                              style_dir)
from inference.rsmt.transition import TransitionError, TransitionGenerator
from motion.deepmimic import load_embedded


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    return TransitionGenerator(random_rsmt_weights(tmp_path_factory.mktemp("rsmt_lite"), seed=5))


@pytest.fixture(scope="module")
def library(generator):
    clips = {n: load_embedded(f"humanoid3d_{n}") for n in ("walk", "run", "jump", "cartwheel")}
    return clip_styles(generator, clips)


def test_one_code_per_clip_from_the_encoder(generator, library):
    styles, problems = library
    assert [s.name for s in styles] == ["walk", "run", "jump", "cartwheel"] and not problems
    style_dim = generator.model.cfg.style_dim
    codes = np.stack([s.code for s in styles])
    assert codes.shape == (4, 4 * style_dim) and np.all(np.isfinite(codes))
    # batched encoding equals one style at a time, and different clips give different codes
    np.testing.assert_allclose(style_codes(generator, [styles[2].features])[0], codes[2], rtol=1e-5, atol=1e-5)
    assert np.abs(codes[0] - codes[1]).max() > 1e-3


def test_map_is_the_pca_of_the_codes(library):
    styles, _ = library
    codes = np.stack([s.code for s in styles]).astype(np.float64)
    m = StyleMap(codes)
    assert m.points.shape == (4, 2)
    centred = codes - codes.mean(0)
    # the 2-D map keeps the variance of the two leading principal components
    sv = np.linalg.svd(centred, compute_uv=False)
    np.testing.assert_allclose(np.sum(m.points.astype(np.float64) ** 2), sv[0] ** 2 + sv[1] ** 2, rtol=1e-3)
    assert m.nearest(m.points[3] + 1e-3) == 3
    assert m.nearest(m.points[3] + 1e9, within=1.0) is None


def test_blend_mixes_features_and_checks_models(library):
    styles, _ = library
    a, b = styles[0].features, styles[1].features
    half = blend(a, b, 0.5)
    np.testing.assert_allclose(half.features, (a.features + b.features) / 2, atol=1e-6)
    np.testing.assert_array_equal(blend(a, b, 0.0).features, a.features)
    with pytest.raises(TransitionError, match=r"\[0, 1\]"):
        blend(a, b, 1.5)
    with pytest.raises(TransitionError, match="different models"):
        blend(a, type(b)(b.features[:5], b.joints, "short"), 0.5)


def test_custom_styles_round_trip_in_the_data_folder(generator, library, tmp_path, monkeypatch):
    monkeypatch.setenv("MOTION_STUDIO_DATA", str(tmp_path))
    assert style_dir() == tmp_path / "styles"
    styles, _ = library
    path = save_style(blend(styles[0].features, styles[2].features, 0.25), "walk / jump mix")
    assert path == tmp_path / "styles" / "walk_jump_mix.json"
    assert sorted(p.name for p in path.parent.iterdir()) == ["walk_jump_mix.json"]  # atomic: no temp left
    (path.parent / "broken.json").write_text("{nope")
    loaded, problems = load_custom_styles(generator)
    assert [s.name for s in loaded] == ["walk / jump mix"] and loaded[0].origin == "custom"
    assert len(problems) == 1 and "broken.json" in problems[0]
    np.testing.assert_allclose(loaded[0].features.features, 0.75 * styles[0].features.features
                               + 0.25 * styles[2].features.features, atol=1e-5)
