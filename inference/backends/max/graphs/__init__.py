"""MAX graph builders: the torch reference networks rebuilt as `max.graph` graphs, one module per network
family (``deepmimic``; later ``deephase``, ...).

Every builder module exposes the same small protocol, which the MEF store and the MAX backend rely on:

- ``KINDS``: the model kinds it builds (the names the torch backend uses, e.g. ``"deepmimic_actor"``);
- ``presets(kind) -> {preset name: structure}``: the structural configs worth precompiling (sizes only,
  JSON-serialisable; the first one is the default);
- ``structure(kind, weights) -> structure``: the structural config a WeightSet needs (a WeightsError when
  the tensors do not fit the network);
- ``build(kind, structure, ops_impl) -> GraphSpec``: the graph, with a symbolic batch dim and every
  parameter a ``Weight`` named like the WeightSet tensor it is fed from;
- ``registry(kind, weights, structure) -> {weight name: float32 array}``: the arrays fed to those Weights.

Graphs never contain weight values, so a compiled model serves every WeightSet of the same structure.
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

# Before anything imports max: even loading a MEF would otherwise contact Modular's telemetry server.
os.environ["MODULAR_TELEMETRY_ENABLED"] = "0"

# model kind -> builder module; each network owner adds their kinds here
BUILDERS: dict[str, str] = {
    "deepmimic_actor": "inference.backends.max.graphs.deepmimic",
    "deepmimic_critic": "inference.backends.max.graphs.deepmimic",
    "rsmt_phase": "inference.backends.max.graphs.pae",
    "rsmt_manifold_decoder": "inference.backends.max.graphs.manifold",
    "rsmt_sampler_style": "inference.backends.max.graphs.sampler",
    "rsmt_sampler_target": "inference.backends.max.graphs.sampler",
    "rsmt_sampler_step": "inference.backends.max.graphs.sampler",
    "rsmt_rollout": "inference.backends.max.graphs.rollout",
}


def builder(kind: str) -> ModuleType:
    """The builder module for `kind`; ValueError for a kind no MAX graph exists for."""
    if kind not in BUILDERS:
        raise ValueError(f"no MAX graph for model kind {kind!r} (known: {', '.join(sorted(BUILDERS))})")
    return importlib.import_module(BUILDERS[kind])


def kinds() -> list[str]:
    return list(BUILDERS)
