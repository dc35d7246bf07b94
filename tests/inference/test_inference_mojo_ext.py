"""The Mojo Python extension (build/mojo/motion_kernels.so): its FK (inference/backends/mojo/fk.py) against motion.fk and
its MLP kernel (inference/backends/mojo/mlp.py) against the torch DeepMimic actor and critic."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inference.backends.mojo.mlp import MojoMlp, deepmimic_runner
from inference.networks.deepmimic import actor_from_weights, critic_from_weights
from inference.deepmimic.policies import load_policy
from inference.weights import WeightSet, WeightsError
from motion import fk
from inference.backends.mojo import fk as fk_mojo
from inference.backends.mojo import build as mojo_build
from inference.backends.mojo import addresses
from motion.deepmimic import load_embedded
from motion.skeleton import Skeleton


def test_build_is_current_and_loads_the_extension():
    module = mojo_build.extension()
    assert mojo_build.is_current()
    assert module.__file__ == str(mojo_build.EXTENSION)
    assert mojo_build.EXTENSION.parent == mojo_build.PROJECT_ROOT / "build" / "mojo"


def test_array_addresses_are_read_from_numpy_header():
    """The extension's callers pass data addresses read from the array header (the fast path, not ctypes.data's
    fallback): the same address ctypes reports, views and slices included."""
    assert addresses.address is addresses._from_header
    base = np.arange(60, dtype=np.float32).reshape(6, 10)
    for a in (base, base[2:], base[:, 3:], base.T, np.empty(0, np.float32), np.zeros(3, np.int64),
              np.ascontiguousarray(base[1:4])):
        assert addresses.address(a) == a.ctypes.data


def _random_pose(seed: int, frames: int, joints: int):
    rng = np.random.default_rng(seed)
    parents = [-1] + [int(rng.integers(0, j)) for j in range(1, joints)]
    skeleton = Skeleton([f"j{i}" for i in range(joints)], parents, rng.normal(size=(joints, 3)), [()] * joints)
    quats = rng.normal(size=(frames, joints, 4)).astype(np.float32)
    quats /= np.linalg.norm(quats, axis=-1, keepdims=True)
    return skeleton, quats, (rng.normal(size=(frames, joints, 3)) * 10).astype(np.float32)


@pytest.mark.parametrize("frames,joints", [(1, 1), (257, 23), (3, 64)])
def test_fk_matches_numpy_fk_on_random_trees(frames, joints):
    skeleton, quats, trans = _random_pose(frames + joints, frames, joints)
    expected_rot, expected_pos = fk.global_transforms(skeleton, quats, trans)
    world_rot, world_pos = fk_mojo.global_transforms(skeleton, quats, trans)
    assert world_rot.dtype == world_pos.dtype == np.float32
    np.testing.assert_allclose(world_rot, expected_rot, rtol=0, atol=1e-6)
    np.testing.assert_allclose(world_pos, expected_pos, rtol=0, atol=1e-5 * np.abs(expected_pos).max())


def test_fk_matches_numpy_fk_on_a_real_clip():
    clip = load_embedded("humanoid3d_walk")
    np.testing.assert_allclose(fk_mojo.world_positions(clip), fk.world_positions(clip), rtol=0, atol=1e-5)


def test_fk_accepts_non_contiguous_float64_input():
    skeleton, quats, trans = _random_pose(5, 20, 7)
    strided = np.asarray(quats, np.float64)[::2]
    expected = fk.global_transforms(skeleton, strided, trans[::2])[1]
    np.testing.assert_allclose(fk_mojo.global_transforms(skeleton, strided, trans[::2])[1], expected, atol=1e-4)


def test_fk_rejects_wrong_shapes():
    skeleton, quats, trans = _random_pose(6, 4, 5)
    with pytest.raises(ValueError, match=r"rotations must be \(frames, 5, 4\)"):
        fk_mojo.global_transforms(skeleton, quats[:, :4], trans)
    with pytest.raises(ValueError, match="translations must be"):
        fk_mojo.global_transforms(skeleton, quats, trans[:3])
    skeleton.parents[2] = 4  # corrupted after construction: the kernel checks rather than read out of order
    with pytest.raises(Exception, match="joint 2 has parent 4"):
        fk_mojo.global_transforms(skeleton, quats, trans)


@pytest.fixture(scope="module")
def walk_policy(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MOTION_STUDIO_CACHE", str(tmp_path_factory.mktemp("cache")))
    try:
        yield load_policy("walk")
    finally:
        mp.undo()


def _states(weights: WeightSet, batch: int) -> np.ndarray:
    """Plausible states: the normaliser's mean plus a few standard deviations of noise."""
    rng = np.random.default_rng(batch)
    mean, std = weights.tensors["state_norm.mean"], weights.tensors["state_norm.std"]
    return (mean + std * rng.normal(size=(batch, mean.shape[0])) * 2).astype(np.float32)


@pytest.mark.parametrize("batch", [1, 5])
def test_actor_matches_torch(walk_policy, batch):
    states = _states(walk_policy, batch)
    with torch.no_grad():
        expected = actor_from_weights(walk_policy)(torch.from_numpy(states)).numpy()
    actor = MojoMlp.from_weights(walk_policy, "actor", "state_norm", "action_norm")
    out = actor(states)
    assert out.shape == (batch, 36)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-4)
    again = np.zeros_like(out)
    assert actor(states, out=again) is again
    np.testing.assert_array_equal(again, out)


def test_deepmimic_runners_match_torch(walk_policy):
    states = _states(walk_policy, 3)
    with torch.no_grad():
        action = actor_from_weights(walk_policy)(torch.from_numpy(states)).numpy()
        value = critic_from_weights(walk_policy)(torch.from_numpy(states)).numpy()
    out = deepmimic_runner("deepmimic_critic", walk_policy)(state=states)
    assert list(out) == ["value"] and out["value"].shape == (3,)
    np.testing.assert_allclose(out["value"], value, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(deepmimic_runner("deepmimic_actor", walk_policy)(state=states)["action"], action,
                               rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match="not a DeepMimic network"):
        deepmimic_runner("stylevae", walk_policy)


def test_mlp_rejects_bad_inputs_and_weights(walk_policy):
    actor = MojoMlp.from_weights(walk_policy, "actor", "state_norm", "action_norm")
    with pytest.raises(ValueError, match=r"input must be \(batch, 197\)"):
        actor(np.zeros((1, 196), np.float32))
    with pytest.raises(ValueError, match="out must be"):
        actor(np.zeros((2, 197), np.float32), out=np.zeros((1, 36), np.float32))
    broken = dict(walk_policy.tensors)
    broken["actor.1.weight"] = broken["actor.1.weight"][:, :100]
    with pytest.raises(WeightsError, match="actor.1.weight has shape"):
        MojoMlp.from_weights(WeightSet(walk_policy.config, broken), "actor", "state_norm", "action_norm")
    with pytest.raises(WeightsError, match="no policy.0.weight"):
        MojoMlp.from_weights(walk_policy, "policy", "state_norm", "action_norm")
