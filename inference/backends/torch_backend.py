"""The PyTorch reference backend.

``BUILDERS`` maps a model kind to a builder ``WeightSet -> Runner``; each network owner adds its kinds.
:class:`ModuleRunner` adapts a torch module to the Runner calling convention (named float32 numpy arrays
with a leading batch axis in, a dict of float32 numpy arrays out).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from inference.backends.base import Backend, Runner, register
from inference.networks import deepmimic
from inference.networks.rsmt_config import STEP_OUTPUTS
from inference.networks.rsmt_networks import build_network
from inference.networks.transitionnet import (STYLE_FIELDS, SamplerStepGraph, SamplerStyleGraph, SamplerTargetGraph,
                                             SamplerWarmupGraph)
from inference.weights import WeightSet


class ModuleRunner:
    """Calls `module(*inputs in input order)` under inference mode.

    inputs -- input name -> expected shape after the batch axis (checked, ValueError naming the input)
    outputs -- names for the module's output tensor(s), in order
    """

    def __init__(self, module: torch.nn.Module, inputs: dict[str, tuple[int, ...]], outputs: Sequence[str]):
        self.module = module.eval()
        self.inputs = dict(inputs)
        self.outputs = tuple(outputs)

    def __call__(self, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        if set(arrays) != set(self.inputs):
            raise ValueError(f"inputs {sorted(arrays)} do not match the expected {sorted(self.inputs)}")
        tensors = []
        for name, tail in self.inputs.items():
            a = np.asarray(arrays[name], dtype=np.float32)
            if a.ndim != len(tail) + 1 or a.shape[1:] != tail:
                raise ValueError(f"input {name!r} has shape {a.shape}, expected (batch, {', '.join(map(str, tail))})")
            tensors.append(torch.from_numpy(a))
        with torch.inference_mode():
            out = self.module(*tensors)
        if isinstance(out, torch.Tensor):
            out = (out,)
        return {name: t.numpy() for name, t in zip(self.outputs, out, strict=True)}


def _deepmimic_actor(weights: WeightSet) -> Runner:
    actor = deepmimic.actor_from_weights(weights)
    return ModuleRunner(actor, {"state": (actor.state_norm.mean.numel(),)}, ["action"])


def _deepmimic_critic(weights: WeightSet) -> Runner:
    critic = deepmimic.critic_from_weights(weights)
    return ModuleRunner(critic, {"state": (critic.state_norm.mean.numel(),)}, ["value"])


def _phase_runner(weights):
    net = build_network(weights, "rsmt_phase")
    return ModuleRunner(net, {"x": (3 * net.cfg.num_joints, net.cfg.pae_window)}, ("y", "p", "a", "f", "b"))


def _manifold_decoder_runner(weights):
    net = build_network(weights, "rsmt_manifold")
    c = net.cfg
    return ModuleRunner(net.decoder, {"latent": (c.latent_size,), "condition": (c.condition_size,),
                                      "phase": (c.phase_dim, 2)}, ("pose_delta", "coefficients"))


def _sampler_style_runner(weights):
    net = build_network(weights, "rsmt_sampler")
    return ModuleRunner(SamplerStyleGraph(net), {"features": (net.cfg.style_channels, net.cfg.style_frames - 1)},
                        STYLE_FIELDS)


def _sampler_target_runner(weights):
    net = build_network(weights, "rsmt_sampler")
    c = net.cfg
    return ModuleRunner(SamplerTargetGraph(net), {"target_pos": (c.n_pos, 3), "target_prev_pos": (c.n_pos, 3),
                                                  "target_rot": (c.num_joints, 6)}, ("target_latent",))


def _sampler_warmup_runner(weights):
    graph = SamplerWarmupGraph(build_network(weights, "rsmt_sampler"))
    return ModuleRunner(graph, graph.input_shapes(), ("h", "c"))


def _sampler_step_runner(weights):
    graph = SamplerStepGraph(build_network(weights, "rsmt_sampler"))
    return ModuleRunner(graph, graph.input_shapes(), STEP_OUTPUTS)


BUILDERS: dict[str, Callable[[WeightSet], Runner]] = {
    "deepmimic_actor": _deepmimic_actor,  # state (B, 197) -> action (B, 36)
    "deepmimic_critic": _deepmimic_critic,  # state (B, 197) -> value (B,)
    "rsmt_phase": _phase_runner,  # x (B, 3J, 61) -> y, p, a, f, b
    "rsmt_manifold_decoder": _manifold_decoder_runner,  # latent, condition, phase -> pose_delta, coefficients
    "rsmt_sampler_style": _sampler_style_runner,  # features (B, 12(J-1), 119) -> 8 style tensors
    "rsmt_sampler_target": _sampler_target_runner,  # target pos/prev pos/rot -> target_latent
    "rsmt_warmup": _sampler_warmup_runner,  # the context frames -> the LSTM state h, c, see SamplerWarmupGraph
    "rsmt_sampler_step": _sampler_step_runner,  # one generated frame, see SamplerStepGraph
}


@register
class TorchBackend(Backend):
    name = "torch"

    def load(self, kind: str, weights: WeightSet) -> Runner:
        builder = BUILDERS.get(kind)
        if builder is None:
            raise ValueError(f"torch backend has no model kind {kind!r} (known: {', '.join(sorted(BUILDERS))})")
        return builder(weights)

    def ready(self, kind: str) -> bool:
        return kind in BUILDERS

    def kinds(self) -> list[str]:
        return list(BUILDERS)
