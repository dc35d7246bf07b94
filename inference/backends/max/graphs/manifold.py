"""The RSMT manifold decoder (mixture-of-experts gate decoder) as a MAX graph, and the pieces every RSMT
builder module shares (pae, manifold, sampler, rollout): presets, structure, the weight registry, the
composed activations. The torch twin is inference/networks/stylevae.py (``MoEGateDecoder``).

    gate:    [phase 2P | z] -> Linear, ELU, Linear, ELU, Linear -> softmax over the E experts (alpha)
    experts: [cond | z] -> ELU(sum_e alpha_e (W_e x + b_e)) -> [h | z] -> same -> same without ELU -> out

Each expert layer is one GEMM over all experts (weight (E, O, I) viewed as (E*O, I)) followed by a
batched matmul (B, 1, E) @ (B, E, O) that blends them: the blend is a GEMM rather than an elementwise
multiply-and-sum, since softmax coefficients far from the maximum can be subnormal floats, which make
elementwise products on x86 very slow (the torch engineer's finding).

Structure of every RSMT kind = the network's ``RSMTConfig.to_dict()`` (from the WeightSet's config
``"rsmt"``); presets are ``lite`` (the default, first), ``paper`` and the shipped models with sizes of their
own (``bandai``).

Weights: every graph ``Weight`` is named like the WeightSet tensor it is fed from, except the *derived*
ones, computed on the numpy side at load time from the same WeightSet and named ``derived.<module>.<what>``
(see ``derived_tensors`` in inference/backends/max/graphs/pae.py and sampler.py).
"""
from __future__ import annotations

import json
from typing import Callable

import numpy as np
from max.dtype import DType
from max.graph import Graph, TensorType, TensorValue, Weight, ops

from inference.backends.max.graphs.common import BATCH, GraphSpec, device_ref, ops_scope, use_mojo_ops
from inference.networks.rsmt_config import NETWORK_OF_KIND, RSMTConfig
from inference.weights import WeightSet, WeightsError

KINDS = ("rsmt_manifold_decoder",)


# ---- the builder protocol, shared by the RSMT builder modules ---------------------------------------------
def presets(kind: str) -> dict[str, dict]:
    """lite, paper, and the sizes of each shipped model that has sizes of its own, under its name (bandai:
    the lite networks on its 21 joints; `inference.rsmt.models.model_sizes`)."""
    from inference.rsmt.models import model_sizes

    _check_kind(kind)
    return {"lite": RSMTConfig.lite().to_dict(), "paper": RSMTConfig.paper().to_dict(), **model_sizes()}


def structure(kind: str, weights: WeightSet) -> dict:
    """The RSMTConfig dict stored in the WeightSet, after checking it holds the right network."""
    network = NETWORK_OF_KIND[_check_kind(kind)]
    where = weights.path or "weights"
    stored = weights.config.get("network")
    if stored != network:
        raise WeightsError(f"{where}: holds a {stored!r} network, the MAX {kind} graph needs {network!r}")
    if not isinstance(weights.config.get("rsmt"), dict):
        raise WeightsError(f"{where}: config has no 'rsmt' section with the network sizes")
    try:
        return RSMTConfig.from_dict(weights.config["rsmt"]).to_dict()
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{where}: bad RSMT config ({e})") from None


class Params:
    """Declares the graph's external Weights by name on first use and remembers their shapes, so that
    `registry` can feed (and shape-check) exactly the tensors the graph reads."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.shapes: dict[str, tuple[int, ...]] = {}
        self._values: dict[str, TensorValue] = {}

    def __call__(self, name: str, shape: tuple[int, ...]) -> TensorValue:
        shape = tuple(int(s) for s in shape)
        if name not in self._values:
            self._values[name] = self.graph.add_weight(Weight(name, DType.float32, shape, device_ref()))
            self.shapes[name] = shape
        elif self.shapes[name] != shape:
            raise ValueError(f"weight {name} declared with shapes {self.shapes[name]} and {shape}")
        return self._values[name]

    def linear(self, x: TensorValue, prefix: str, n_in: int, n_out: int) -> TensorValue:
        """torch ``nn.Linear``: x @ W.T + b with `{prefix}.weight` (n_out, n_in), `{prefix}.bias` (n_out,)."""
        return x @ self(f"{prefix}.weight", (n_out, n_in)).T + self(f"{prefix}.bias", (n_out,))


_DECLARED: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {}


def finish(kind: str, cfg_dict: dict, graph: Graph, params: Params, inputs, outputs) -> GraphSpec:
    """Record the Weights `graph` declared (for `registry`) and wrap it as a GraphSpec."""
    _DECLARED[(kind, _freeze(cfg_dict))] = dict(params.shapes)
    return GraphSpec(kind, graph, inputs=tuple(inputs), outputs=tuple(outputs))


def declared_weights(kind: str, cfg_dict: dict, build: Callable[[str, dict], GraphSpec]) -> dict:
    """{weight name: shape} of the graph `build(kind, cfg_dict)` makes (built once if not yet)."""
    key = (kind, _freeze(cfg_dict))
    if key not in _DECLARED:
        build(kind, cfg_dict)
    return _DECLARED[key]


def make_registry(kind: str, weights: WeightSet, cfg_dict: dict, build, derived: Callable | None = None):
    """{weight name: float32 array} for every Weight the graph declares: WeightSet tensors by name (a
    WeightsError naming the file and tensor for a missing or misshaped one) plus `derived(weights, cfg)`."""
    extra = derived(weights, RSMTConfig.from_dict(cfg_dict)) if derived is not None else {}
    out = {}
    for name, shape in declared_weights(kind, cfg_dict, build).items():
        if name in extra:
            if tuple(extra[name].shape) != shape:  # derived from tensors checked just before: a bug, not input
                raise AssertionError(f"derived {name} has shape {extra[name].shape}, graph wants {shape}")
            array = extra[name]
        else:
            array = weights.expect(name, shape)
        out[name] = np.ascontiguousarray(array, dtype=np.float32)
    return out


def registry(kind: str, weights: WeightSet, structure: dict) -> dict[str, np.ndarray]:
    return make_registry(kind, weights, structure, build)


def input_type(*shape) -> TensorType:
    """A float32 input (batch, *shape) on the graph's device, batch symbolic."""
    return TensorType(DType.float32, (BATCH, *shape), device=device_ref())


def config(cfg_dict: dict) -> RSMTConfig:
    return RSMTConfig.from_dict(cfg_dict)


def _freeze(d: dict) -> str:
    return json.dumps(d, sort_keys=True)


def _check_kind(kind: str) -> str:
    if kind not in NETWORK_OF_KIND:
        raise ValueError(f"{kind!r} is not an RSMT network kind (choose {', '.join(NETWORK_OF_KIND)})")
    return kind


# ---- activations composed from MAX primitives ------------------------------------------------------------
def elu(x: TensorValue) -> TensorValue:
    """ELU(alpha=1): MAX has no elu/expm1 op (research: 6e-8 vs torch); composed, or the Mojo op."""
    if use_mojo_ops():
        from inference.backends.mojo import ops as mojo_ops

        return mojo_ops.elu(x)
    return ops.where(x > 0, x, ops.exp(ops.min(x, 0.0)) - 1.0)


def flat(x: TensorValue) -> TensorValue:
    """(batch, a, b, ...) -> (batch, a*b*...)."""
    n = 1
    for d in x.shape[1:]:
        n *= int(d)
    return ops.reshape(x, [-1, n])


# ---- the decoder ----------------------------------------------------------------------------------------
def experts_linear(p: Params, x: TensorValue, gate: tuple[TensorValue, TensorValue], prefix: str,
                   n_in: int, n_out: int, n_experts: int) -> TensorValue:
    """sum_e alpha_e (W_e x + b_e) for `{prefix}.weight` (E, O, I) and `{prefix}.bias` (E, O); gate = (logits,
    alpha = softmax(logits)). Composed (every expert as one GEMM, then the blend), or the fused Mojo op."""
    logits, coefficients = gate
    if use_mojo_ops():
        from inference.backends.mojo import ops as mojo_ops

        return mojo_ops.moe_blend(logits, x, p(f"{prefix}.weight", (n_experts, n_out, n_in)),
                                  p(f"{prefix}.bias", (n_experts, n_out)))
    w = ops.reshape(p(f"{prefix}.weight", (n_experts, n_out, n_in)), [n_experts * n_out, n_in])
    per_expert = ops.reshape(x @ w.T, [-1, n_experts, n_out]) + p(f"{prefix}.bias", (n_experts, n_out))
    return ops.reshape(ops.unsqueeze(coefficients, 1) @ per_expert, [-1, n_out])


def decoder(p: Params, cfg: RSMTConfig, latent: TensorValue, condition: TensorValue, phase: TensorValue,
            prefix: str = "decoder") -> tuple[TensorValue, TensorValue]:
    """MoEGateDecoder.forward: latent (B, Z), condition (B, C), phase (B, P, 2) -> (pose delta, coefficients)."""
    z, e, h, g = cfg.latent_size, cfg.num_experts, cfg.vae_hidden, cfg.gate_hidden
    x = ops.concat([flat(phase), latent], axis=-1)
    x = elu(p.linear(x, f"{prefix}.gate.0", 2 * cfg.phase_dim + z, g))
    x = elu(p.linear(x, f"{prefix}.gate.2", g, g))
    logits = p.linear(x, f"{prefix}.gate.4", g, e)
    gate = (logits, ops.softmax(logits, axis=-1))
    x = ops.concat([condition, latent], axis=-1)
    x = elu(experts_linear(p, x, gate, f"{prefix}.linears.0", cfg.condition_size + z, h, e))
    x = elu(experts_linear(p, ops.concat([x, latent], axis=-1), gate, f"{prefix}.linears.1", h + z, h, e))
    return experts_linear(p, x, gate, f"{prefix}.mlp", h, cfg.pose_delta_size, e), gate[1]


def build(kind: str, structure: dict, ops_impl: str = "composed") -> GraphSpec:
    _check_kind(kind)
    if kind != "rsmt_manifold_decoder":
        raise ValueError(f"{kind} is not built by inference.backends.max.graphs.manifold")
    cfg = config(structure)
    types = [input_type(cfg.latent_size), input_type(cfg.condition_size), input_type(cfg.phase_dim, 2)]
    with ops_scope(kind, types, ops_impl) as graph:
        p = Params(graph)
        latent, condition, phase = (v.tensor for v in graph.inputs)
        graph.output(*decoder(p, cfg, latent, condition, phase))
    return finish(kind, structure, graph, p, ("latent", "condition", "phase"), ("pose_delta", "coefficients"))
