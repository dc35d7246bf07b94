"""DeepMimic (2018 release, as shipped with pybullet) actor and critic in PyTorch.

Actor:  state -> (s - s_mean) / s_std -> Linear S->1024, ReLU -> Linear 1024->512, ReLU -> Linear 512->A
        -> x * a_std + a_mean.  The result is the mean of a Gaussian policy; in test mode (what we run) the
        action *is* that mean. While training, DeepMimic's PPO agent adds noise N(0, 0.05) in normalised
        action units, i.e. a fixed per-dimension std of ``EXPLORATION_NOISE * action_norm.std``
        (pybullet_envs/deep_mimic/learning/pg_agent.py `_eval_actor`/`_calc_action_logp`, "Noise": 0.05 in
        both ExpParams of data/agents/ct_agent_humanoid_ppo.txt). See :func:`exploration_std`.
Critic: the same trunk on its own weights -> Linear 512->1 -> x * v_std + v_mean, the state value V(s).
No clipping in the normalisers (TFNormalizer clip=inf); there is no goal input for humanoid3d (g_norm is
empty).

Tensor names in our safetensors file (torch layout, ``Linear.weight`` is [out, in]); the MAX graphs load
the same file:

===========================================  ============================
``state_norm.mean``, ``state_norm.std``      (S,)
``actor.0.weight``, ``actor.0.bias``         (1024, S), (1024,)
``actor.1.weight``, ``actor.1.bias``         (512, 1024), (512,)
``actor.2.weight``, ``actor.2.bias``         (A, 512), (A,)
``action_norm.mean``, ``action_norm.std``    (A,)
``critic.{0,1,2}.weight/.bias``              as the actor, last layer (1, 512), (1,)
``value_norm.mean``, ``value_norm.std``      (1,)
===========================================  ============================

Config keys used here: ``state_size`` (S, 197), ``action_size`` (A, 36), ``hidden_sizes`` ([1024, 512]),
``exploration_noise`` (0.05).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from inference.weights import WeightSet, WeightsError

STATE_SIZE = 197
ACTION_SIZE = 36
HIDDEN_SIZES = (1024, 512)
EXPLORATION_NOISE = 0.05


class Normalizer(nn.Module):
    """Fixed z-score statistics: normalize(x) = (x - mean) / std, unnormalize(y) = y * std + mean."""

    def __init__(self, size: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(size))
        self.register_buffer("std", torch.ones(size))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def unnormalize(self, y: torch.Tensor) -> torch.Tensor:
        return y * self.std + self.mean


class _Mlp(nn.Module):
    """Linear layers with ReLU between them (none after the last)."""

    def __init__(self, sizes: list[int]):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


class DeepMimicActor(nn.Module):
    def __init__(self, state_size: int = STATE_SIZE, action_size: int = ACTION_SIZE,
                 hidden_sizes: tuple[int, ...] = HIDDEN_SIZES):
        super().__init__()
        self.state_norm = Normalizer(state_size)
        self.net = _Mlp([state_size, *hidden_sizes, action_size])
        self.action_norm = Normalizer(action_size)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return self.action_norm.unnormalize(self.net(self.state_norm.normalize(state)))


class DeepMimicCritic(nn.Module):
    def __init__(self, state_size: int = STATE_SIZE, hidden_sizes: tuple[int, ...] = HIDDEN_SIZES):
        super().__init__()
        self.state_norm = Normalizer(state_size)
        self.net = _Mlp([state_size, *hidden_sizes, 1])
        self.value_norm = Normalizer(1)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        """V(s), shape (batch,)."""
        return self.value_norm.unnormalize(self.net(self.state_norm.normalize(state)))[..., 0]


def _sizes(weights: WeightSet) -> tuple[int, int, tuple[int, ...]]:
    cfg = weights.config
    try:
        return int(cfg["state_size"]), int(cfg["action_size"]), tuple(int(h) for h in cfg["hidden_sizes"])
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{weights.path or 'weights'}: config lacks a valid {e} for a DeepMimic policy") from None


def _load_norm(norm: Normalizer, weights: WeightSet, prefix: str, size: int) -> None:
    norm.mean.copy_(torch.from_numpy(np.asarray(weights.expect(f"{prefix}.mean", (size,)), np.float32)))
    norm.std.copy_(torch.from_numpy(np.asarray(weights.expect(f"{prefix}.std", (size,)), np.float32)))


def _load_mlp(mlp: _Mlp, weights: WeightSet, prefix: str) -> None:
    for i, layer in enumerate(mlp.layers):
        w = weights.expect(f"{prefix}.{i}.weight", (layer.out_features, layer.in_features))
        b = weights.expect(f"{prefix}.{i}.bias", (layer.out_features,))
        layer.weight.copy_(torch.from_numpy(np.asarray(w, np.float32)))
        layer.bias.copy_(torch.from_numpy(np.asarray(b, np.float32)))


@torch.no_grad()
def actor_from_weights(weights: WeightSet) -> DeepMimicActor:
    state_size, action_size, hidden = _sizes(weights)
    actor = DeepMimicActor(state_size, action_size, hidden)
    _load_norm(actor.state_norm, weights, "state_norm", state_size)
    _load_mlp(actor.net, weights, "actor")
    _load_norm(actor.action_norm, weights, "action_norm", action_size)
    return actor.eval()


@torch.no_grad()
def critic_from_weights(weights: WeightSet) -> DeepMimicCritic:
    state_size, _, hidden = _sizes(weights)
    critic = DeepMimicCritic(state_size, hidden)
    _load_norm(critic.state_norm, weights, "state_norm", state_size)
    _load_mlp(critic.net, weights, "critic")
    _load_norm(critic.value_norm, weights, "value_norm", 1)
    return critic.eval()


def exploration_std(weights: WeightSet) -> np.ndarray:
    """Per-dimension std of the training-time Gaussian policy (actions units): noise * a_norm.std."""
    _, action_size, _ = _sizes(weights)
    noise = float(weights.config.get("exploration_noise", EXPLORATION_NOISE))
    return (noise * weights.expect("action_norm.std", (action_size,))).astype(np.float32)
