"""DeepMimic actor/critic in torch from the shipped policies, against a plain numpy implementation of the
same maths, and the policy conversion cache of inference.deepmimic.policies."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from inference.deepmimic import policies
from inference.networks.deepmimic import (EXPLORATION_NOISE, actor_from_weights, critic_from_weights,
                                          exploration_std)
from inference.deepmimic.policies import POLICIES, TF_NAMES, load_policy, policy_checkpoint
from inference.deepmimic.checkpoint import read_checkpoint
from inference.weights import WeightSet, WeightsError


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "policies"


def states_for(weights: WeightSet, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 197)) * weights.tensors["state_norm.std"]
            + weights.tensors["state_norm.mean"]).astype(np.float32)


def numpy_mlp(t: dict, prefix: str, state: np.ndarray) -> np.ndarray:
    """The DeepMimic net straight from the TF variables (kernels [in, out]), float64."""
    x = (state.astype(np.float64) - t["agent/resource/s_norm/mean"]) / t["agent/resource/s_norm/std"]
    x = np.maximum(x @ t[f"agent/main/{prefix}/0/dense/kernel"] + t[f"agent/main/{prefix}/0/dense/bias"], 0)
    x = np.maximum(x @ t[f"agent/main/{prefix}/1/dense/kernel"] + t[f"agent/main/{prefix}/1/dense/bias"], 0)
    return x @ t[f"agent/main/{prefix}/dense/kernel"] + t[f"agent/main/{prefix}/dense/bias"]


@pytest.mark.parametrize("name", POLICIES)
def test_actor_and_critic_match_numpy_maths(name):
    weights = load_policy(name)
    tf = {k: v.astype(np.float64) for k, v in read_checkpoint(policy_checkpoint(name)).items()}
    state = states_for(weights, 32)
    actor, critic = actor_from_weights(weights), critic_from_weights(weights)
    with torch.no_grad():
        action = actor(torch.from_numpy(state)).numpy()
        value = critic(torch.from_numpy(state)).numpy()
    expected_action = numpy_mlp(tf, "actor", state) * tf["agent/resource/a_norm/std"] + tf["agent/resource/a_norm/mean"]
    expected_value = (numpy_mlp(tf, "critic", state)[:, 0] * tf["agent/resource/val_norm/std"][0]
                      + tf["agent/resource/val_norm/mean"][0])
    assert action.shape == (32, 36) and action.dtype == np.float32
    assert value.shape == (32,) and value.dtype == np.float32
    np.testing.assert_allclose(action, expected_action, rtol=0, atol=2e-5)
    np.testing.assert_allclose(value, expected_value, rtol=1e-5, atol=1e-4)
    assert np.abs(action - tf["agent/resource/a_norm/mean"]).max() > 0.1  # the net does something


def test_network_shapes_and_parameter_counts():
    weights = load_policy("walk")
    actor, critic = actor_from_weights(weights), critic_from_weights(weights)
    assert [tuple(layer.weight.shape) for layer in actor.net.layers] == [(1024, 197), (512, 1024), (36, 512)]
    assert [tuple(layer.weight.shape) for layer in critic.net.layers] == [(1024, 197), (512, 1024), (1, 512)]
    assert sum(p.numel() for p in actor.parameters()) == 197 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 36 + 36
    assert sum(p.numel() for p in critic.parameters()) == 197 * 1024 + 1024 + 1024 * 512 + 512 + 512 + 1


def test_exploration_std_is_fixed_fraction_of_action_std():
    weights = load_policy("jump")
    assert weights.config["exploration_noise"] == EXPLORATION_NOISE == 0.05
    np.testing.assert_allclose(exploration_std(weights), 0.05 * weights.tensors["action_norm.std"])


def test_wrong_weights_are_rejected_with_the_tensor_name():
    weights = load_policy("walk")
    broken = WeightSet(dict(weights.config), dict(weights.tensors), weights.path)
    del broken.tensors["actor.1.bias"]
    with pytest.raises(WeightsError, match="'actor.1.bias' is missing"):
        actor_from_weights(broken)
    broken.tensors["actor.1.bias"] = np.zeros(511, np.float32)
    with pytest.raises(WeightsError, match=r"'actor.1.bias' has shape \(511,\)"):
        actor_from_weights(broken)
    with pytest.raises(WeightsError, match="state_size"):
        critic_from_weights(WeightSet({}, weights.tensors))


# -------------------------------------------------------------------------------------- policies
def test_load_policy_converts_once_into_the_cache(cache):
    weights = load_policy("humanoid3d_backflip")
    st, js = cache / "humanoid3d_backflip.safetensors", cache / "humanoid3d_backflip.json"
    assert weights.path == st and st.is_file() and js.is_file()
    cfg = weights.config
    assert (cfg["state_size"], cfg["action_size"], cfg["hidden_sizes"], cfg["goal_size"]) == (197, 36, [1024, 512], 0)
    assert cfg["motion_clip"] == "humanoid3d_backflip" and cfg["motion_file"] == "data/motions/humanoid3d_backflip.txt"
    assert cfg["control_hz"] == 30 and cfg["sim_hz"] == 240
    assert 5 not in cfg["fall_contact_bodies"] and 0 in cfg["fall_contact_bodies"]  # ankles may touch
    assert cfg["source_checkpoint"] == str(policy_checkpoint("backflip"))
    assert set(cfg["source_sha256"]) == {"humanoid3d_backflip.ckpt.index",
                                         "humanoid3d_backflip.ckpt.data-00000-of-00001"}
    assert set(weights.tensors) == set(TF_NAMES)
    stamp = st.stat().st_mtime_ns
    again = load_policy("backflip")  # short name, served from the cache
    assert st.stat().st_mtime_ns == stamp
    for k, v in weights.tensors.items():
        np.testing.assert_array_equal(again.tensors[k], v)


def test_walk_com_enabled_uses_the_walk_motion():
    assert load_policy("walk_COMenabled").config["motion_clip"] == "humanoid3d_walk"


def test_changed_source_is_reconverted(tmp_path, monkeypatch, cache):
    """A fake pybullet_data whose walk checkpoint is replaced by jump's: the cache follows the source."""
    real = policies._pybullet_data()
    fake = tmp_path / "pybullet_data"
    (fake / "data" / "policies" / "humanoid3d").mkdir(parents=True)
    shutil.copytree(real / "args", fake / "args")
    monkeypatch.setattr(policies, "_pybullet_data", lambda: fake)
    src = real / "data" / "policies" / "humanoid3d"
    dst = fake / "data" / "policies" / "humanoid3d"
    for part in (".index", ".data-00000-of-00001"):
        shutil.copy(src / f"humanoid3d_walk.ckpt{part}", dst / f"humanoid3d_walk.ckpt{part}")
    walk = load_policy("walk")
    for part in (".index", ".data-00000-of-00001"):
        shutil.copy(src / f"humanoid3d_jump.ckpt{part}", dst / f"humanoid3d_walk.ckpt{part}")
    swapped = load_policy("walk")
    jump = read_checkpoint(src / "humanoid3d_jump.ckpt")
    np.testing.assert_array_equal(swapped.tensors["actor.2.weight"], jump["agent/main/actor/dense/kernel"].T)
    assert not np.array_equal(swapped.tensors["actor.2.weight"], walk.tensors["actor.2.weight"])


def test_corrupt_cache_is_rebuilt(cache):
    first = load_policy("spinkick")
    st = cache / "humanoid3d_spinkick.safetensors"
    st.write_bytes(st.read_bytes()[:1000])
    rebuilt = load_policy("spinkick")
    np.testing.assert_array_equal(rebuilt.tensors["critic.0.weight"], first.tensors["critic.0.weight"])
    assert st.stat().st_size > 5_000_000


def test_unknown_policy_names_the_choices():
    with pytest.raises(WeightsError, match="unknown DeepMimic policy.*humanoid3d_walk"):
        load_policy("moonwalk")
