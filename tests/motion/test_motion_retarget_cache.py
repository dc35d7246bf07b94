"""motion.retarget's cache of what depends on the rigs alone (rest poses per skeleton, a plan per pair of rigs;
motion/lru.py): a cached retarget equals a fresh uncached one bitwise, and a skeleton, map or rest pose changed
in place or as a copy is analysed again, never served from the cache. Fixtures: tests/data/retarget."""
import copy
import threading
from pathlib import Path

import numpy as np
import pytest

from motion.deepmimic import load_embedded
from motion.io import load_motion
from motion.motion import Motion
from motion.retarget import _CACHE, retarget

DATA = Path(__file__).parents[1] / "data" / "retarget"
PAIRS = [("mixamo_65", "rigify"), ("rigify", "humanoid3d"), ("humanoid3d", "along_x"), ("along_x", "mixamo_65")]


def clip(name):
    return load_embedded("humanoid3d_walk") if name == "humanoid3d" else load_motion(DATA / f"{name}.bvh")


def fresh(source, target, joint_map=None):
    """retarget with nothing cached: every rig analysed from scratch."""
    _CACHE.clear()
    return retarget(source, target, joint_map)


def assert_same(a: Motion, b: Motion):
    assert a.skeleton.names == b.skeleton.names
    np.testing.assert_array_equal(a.rotations, b.rotations)
    np.testing.assert_array_equal(a.translations, b.translations)


@pytest.mark.parametrize("source, target", PAIRS)
def test_a_cached_retarget_equals_a_fresh_one_both_ways(source, target):
    src, dst = clip(source), clip(target)
    there, jm = fresh(src, dst)
    back, _ = retarget(there, src, jm)
    hits = _CACHE.hits
    assert_same(retarget(src, dst, jm)[0], there)  # served from the cache ...
    assert_same(retarget(there, src, jm)[0], back)
    assert _CACHE.hits > hits  # ... really
    assert_same(fresh(there, src, jm)[0], back)


def test_a_skeleton_edited_in_place_is_analysed_again():
    src, dst = clip("mixamo_65"), clip("rigify")
    before, jm = retarget(src, dst)
    dst.skeleton.offsets[1:] *= np.float32(1.5)  # longer bones, same names, same object
    after, _ = retarget(src, dst, jm)
    assert not np.allclose(after.translations, before.translations)
    assert_same(after, fresh(src, dst, jm)[0])


def test_an_edited_copy_of_a_skeleton_is_analysed_again():
    src, dst = clip("mixamo_65"), clip("along_x")
    before, jm = retarget(src, dst)
    sk = copy.deepcopy(dst.skeleton)
    sk.offsets[2] += np.float32([0.0, 3.0, 0.0])
    sk.end_sites = {j: e * 2 for j, e in sk.end_sites.items()}
    edited = Motion(sk, dst.rotations, dst.translations, dst.fps)
    after, _ = retarget(src, edited, jm)
    assert not np.array_equal(after.rotations, before.rotations)
    assert_same(after, fresh(src, edited, jm)[0])


def test_an_edited_map_is_analysed_again():
    """Parts swapped (JointMap.with_parts, the GUI editor's OK) and a rest pose changed in place."""
    src, dst = clip("mixamo_65"), clip("along_x")
    before, jm = retarget(src, dst)
    rig = jm.rig_for(dst.skeleton, None)
    parts = dict(rig.parts, left_upper_arm=rig.parts["right_upper_arm"], right_upper_arm=rig.parts["left_upper_arm"])
    edited = jm.with_parts(dst.skeleton, parts, "along_x")
    swapped, _ = retarget(src, dst, edited)
    assert not np.allclose(swapped.rotations, before.rotations, atol=1e-3)
    assert_same(swapped, fresh(src, dst, edited)[0])

    _, jm = retarget(src, dst)
    stored = next(r for r in jm.rigs if r.skeleton.names == dst.skeleton.names)
    assert stored.rest is not None  # along_x is posed by a clip frame
    stored.rest[0] = np.float32([np.cos(0.2), 0.0, np.sin(0.2), 0.0])  # the root turned, in place
    turned, _ = retarget(src, dst, jm)
    assert not np.allclose(turned.rotations, before.rotations, atol=1e-3)
    assert_same(turned, fresh(src, dst, jm)[0])


def test_the_cache_is_bounded():
    src, dst = clip("rigify"), clip("mixamo_65")
    _, jm = retarget(src, dst)
    for k in range(_CACHE.size + 5):
        sk = copy.deepcopy(dst.skeleton)
        sk.offsets[1:] *= np.float32(1.0 + 0.01 * (k + 1))
        retarget(src, Motion(sk, dst.rotations, dst.translations, dst.fps), jm)
    assert len(_CACHE) == _CACHE.size


def test_threads_sharing_the_cache_get_the_same_clips():
    src, dst = clip("mixamo_65"), clip("humanoid3d")
    want, jm = fresh(src, dst)
    _CACHE.clear()
    got, errors = [], []

    def work():
        try:
            got.append(retarget(src, dst, jm)[0])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 6
    for g in got:
        assert_same(g, want)


def test_cached_rest_poses_are_read_only():
    """Every caller shares them: a write would change every later retarget of that skeleton."""
    from motion.retarget import _rest_pose, make_rig

    rot, pos = _rest_pose(make_rig(clip("rigify")))
    with pytest.raises(ValueError):
        pos[0, 0] = 1.0
    with pytest.raises(ValueError):
        rot[0, 0] = 1.0
