"""The DeepMimic PPO actor and critic as MAX graphs (the torch twin is inference/networks/deepmimic.py).

    state (batch, S) -> (s - s_mean) / s_std -> [linear + ReLU] x hidden -> linear -> y * out_std + out_mean

The actor's output is the action (the policy mean; test mode adds no noise), the critic's the state value
V(s) with shape (batch,), as the torch critic returns it.
Weights are fed by name from the policy's WeightSet, so the five shipped policies share one compiled model.
"""
from __future__ import annotations

import numpy as np
from max.graph import Graph, ops

from inference.backends.max.graphs.common import GraphSpec, batched_input, check_ops_impl, linear, weight
from inference.weights import WeightSet, WeightsError

KINDS = ("deepmimic_actor", "deepmimic_critic")

# WeightSet tensor names: the torch network's (table in inference/networks/deepmimic.py)
STATE_NORM = "state_norm"
_NET = {  # kind -> (layer prefix, output normaliser, output name)
    "deepmimic_actor": ("actor", "action_norm", "action"),
    "deepmimic_critic": ("critic", "value_norm", "value"),
}
_HUMANOID3D = {"state": 197, "hidden": [1024, 512]}


def presets(kind: str) -> dict[str, dict]:
    """The humanoid3d policies shipped with pybullet: 197 state values, 36 action values, 1 value."""
    _check_kind(kind)
    return {"humanoid3d": {**_HUMANOID3D, "out": 36 if kind == "deepmimic_actor" else 1}}


def structure(kind: str, weights: WeightSet) -> dict:
    """Sizes read from the tensor shapes: {"state": S, "hidden": [H1, ...], "out": O}."""
    prefix = _NET[_check_kind(kind)][0]
    n_layers = 0
    while f"{prefix}.{n_layers}.weight" in weights.tensors:
        n_layers += 1
    if n_layers < 1:
        raise WeightsError(f"{weights.path or 'weights'}: no {prefix}.0.weight tensor (not a DeepMimic policy?)")
    sizes = [weights.tensors[f"{prefix}.{i}.weight"].shape for i in range(n_layers)]
    if any(len(s) != 2 for s in sizes):
        raise WeightsError(f"{weights.path or 'weights'}: {prefix} layer weights must be 2-D, got {sizes}")
    return {"state": int(sizes[0][1]), "hidden": [int(s[0]) for s in sizes[:-1]], "out": int(sizes[-1][0])}


def build(kind: str, structure: dict, ops_impl: str = "composed") -> GraphSpec:
    prefix, out_norm, out_name = _NET[_check_kind(kind)]
    check_ops_impl(ops_impl)  # nothing here needs a replacement op: matmul, add, ReLU are MAX primitives

    widths = [structure["state"], *structure["hidden"], structure["out"]]
    with Graph(kind, input_types=[batched_input(widths[0])]) as g:
        s = g.inputs[0].tensor
        h = (s - weight(g, f"{STATE_NORM}.mean", (widths[0],))) / weight(g, f"{STATE_NORM}.std", (widths[0],))
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            h = linear(g, h, f"{prefix}.{i}", n_in, n_out)
            if i < len(widths) - 2:
                h = ops.relu(h)
        y = h * weight(g, f"{out_norm}.std", (widths[-1],)) + weight(g, f"{out_norm}.mean", (widths[-1],))
        g.output(ops.squeeze(y, 1) if kind == "deepmimic_critic" else y)
    return GraphSpec(kind, g, inputs=("state",), outputs=(out_name,))


def registry(kind: str, weights: WeightSet, structure: dict) -> dict[str, np.ndarray]:
    """The tensors the graph's Weights are fed from, shape-checked (WeightsError naming the file)."""
    prefix, out_norm, _ = _NET[_check_kind(kind)]
    widths = [structure["state"], *structure["hidden"], structure["out"]]
    shapes = {f"{STATE_NORM}.mean": (widths[0],), f"{STATE_NORM}.std": (widths[0],),
              f"{out_norm}.mean": (widths[-1],), f"{out_norm}.std": (widths[-1],)}
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        shapes[f"{prefix}.{i}.weight"] = (n_out, n_in)
        shapes[f"{prefix}.{i}.bias"] = (n_out,)
    return {name: np.ascontiguousarray(weights.expect(name, shape), dtype=np.float32)
            for name, shape in shapes.items()}


def _check_kind(kind: str) -> str:
    if kind not in _NET:
        raise ValueError(f"{kind!r} is not a DeepMimic network (choose {', '.join(KINDS)})")
    return kind
