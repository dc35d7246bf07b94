"""The per-clip cache of the transition generator (inference/rsmt/clip_cache.py): a request served from the cache
gives exactly what a fresh generator gives, and editing a clip (in place or as a new copy) or a style code file
invalidates what was derived from it."""
from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest

from inference.rsmt.clip_cache import ClipCache, clip_key
from inference.rsmt.models import random_rsmt_weights
from inference.rsmt.transition import TransitionGenerator, TransitionRequest
from motion.deepmimic import load_embedded
from motion.rotations import quat_from_axis_angle, quat_mul


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return random_rsmt_weights(tmp_path_factory.mktemp("rsmt_cache"), seed=6)


def clips():
    return {name: load_embedded(f"humanoid3d_{name}") for name in ("walk", "run", "jump")}


def request(c, **kw) -> TransitionRequest:
    args = dict(source=c["walk"], target=c["run"], length=15, source_frame=30, target_frame=4, style=c["jump"], seed=2)
    return TransitionRequest(**(args | kw))


def assert_same(a, b):
    np.testing.assert_array_equal(a.motion.rotations, b.motion.rotations)
    np.testing.assert_array_equal(a.motion.translations, b.motion.translations)
    np.testing.assert_array_equal(a.network_positions, b.network_positions)


def turned(motion, degrees: float):
    """The clip with its root turned about the vertical (a copy)."""
    q = quat_from_axis_angle(np.array([0.0, 1.0, 0.0]), np.radians(degrees))
    rotations = motion.rotations.copy()
    rotations[:, 0] = quat_mul(np.broadcast_to(q, rotations[:, 0].shape), rotations[:, 0])
    return replace(motion, rotations=rotations)


def test_cached_requests_equal_a_fresh_generator(model):
    c = clips()
    gen = TransitionGenerator(model)
    first = gen.generate(request(c))
    misses = gen.clips.misses
    again = gen.generate(request(c))
    assert gen.clips.misses == misses and gen.clips.hits > 0  # everything came from the cache
    assert_same(first, again)
    assert_same(again, TransitionGenerator(model).generate(request(c)))
    # other frames and lengths of the same clips: served from the cache, equal to a fresh generator's
    other = request(c, source_frame=-1, target_frame=-2, length=40)
    assert_same(gen.generate(other), TransitionGenerator(model).generate(other))
    assert gen.clips.misses == misses


def test_a_clip_edited_in_place_is_read_again(model):
    c = clips()
    gen = TransitionGenerator(model)
    before = gen.generate(request(c))
    for role in ("walk", "jump"):  # the source, and the style (its features and its code)
        c[role].rotations[:] = turned(c[role], 30.0).rotations  # same objects, new content
        edited = gen.generate(request(c))
        assert not np.allclose(edited.motion.rotations, before.motion.rotations, atol=1e-4)
        assert_same(edited, TransitionGenerator(model).generate(request(c)))
        before = edited


def test_an_edited_copy_is_a_new_entry_and_the_original_stays(model):
    c = clips()
    gen = TransitionGenerator(model)
    original = gen.generate(request(c))
    c2 = dict(c, walk=turned(c["walk"], -45.0), jump=turned(c["jump"], 10.0))
    assert clip_key(c2["walk"]) != clip_key(c["walk"])
    assert_same(gen.generate(request(c2)), TransitionGenerator(model).generate(request(c2)))
    assert_same(gen.generate(request(c)), original)


def test_a_rewritten_style_file_is_read_again(model, tmp_path):
    c = clips()
    gen = TransitionGenerator(model)
    path = tmp_path / "style.npy"
    gen.style_features(c["jump"]).save(path)
    first = gen.generate(replace(request(c), style=path))
    gen.style_features(c["walk"]).save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a coarse clock still sees it
    second = gen.generate(replace(request(c), style=path))
    assert not np.allclose(second.motion.rotations, first.motion.rotations, atol=1e-4)
    assert_same(second, TransitionGenerator(model).generate(replace(request(c), style=path)))


def test_the_cache_keeps_the_most_recently_used_entries():
    cache = ClipCache(size=2)
    built = []

    def build(x):
        built.append(x)
        return x * 10

    assert [cache.get(k, lambda k=k: build(k)) for k in (1, 2, 1, 3, 1, 2)] == [10, 20, 10, 30, 10, 20]
    assert built == [1, 2, 3, 2] and len(cache) == 2  # 2 went when 3 came (1 was used more recently)
    with pytest.raises(ZeroDivisionError):
        cache.get(4, lambda: 1 / 0)
    assert len(cache) == 2 and cache.get(4, lambda: 40) == 40  # a failed build is not kept
