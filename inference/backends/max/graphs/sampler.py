"""The RSMT sampler (TransitionNet) as MAX graphs; the torch twin is inference/networks/transitionnet.py,
mirrored op by op, with the same kinds, input and output names as its flat entry points:

- ``rsmt_sampler_style``: features (B, 12(J-1), T-1) -> the eight StyleCode tensors (``STYLE_FIELDS``);
- ``rsmt_sampler_target``: target_pos, target_prev_pos (B, n_pos, 3), target_rot (B, J, 6) -> target_latent;
- ``rsmt_sampler_step``: one generated frame (``SamplerStepGraph``: inputs as its ``input_shapes()``,
  outputs ``STEP_OUTPUTS``). ``tta`` is a float (B,) array (runners pass float32); the graph rounds it
  down to an integer and clamps the table index to [0, max_tta] (torch clamps only above: tta < 0 never
  occurs in a transition).

The style code enters the step as explicit inputs (the official code caches it inside the modules).
The attention's weighted sum is a batched matmul, never an elementwise multiply-and-sum (subnormal
softmax scores make the latter very slow on x86).

Derived weights (numpy, at load time, from the same WeightSet): ``derived.film_generator.<conv>.weight``
(1, K, Cin, Cout), the torch Conv1d weight in RSCF layout for ``ops.conv2d`` over NHWC, and its
``derived.film_generator.<conv>.bias`` (a copy of ``film_generator.<conv>.bias``).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from max.dtype import DType
from max.graph import TensorValue, ops

from inference.backends.max.graphs.common import GraphSpec, device_ref, ops_scope, use_mojo_ops
from inference.backends.max.graphs.manifold import (Params, config, decoder, elu, finish, flat, input_type,  # noqa: F401
                                          make_registry, presets, structure)
from inference.backends.max.graphs.pae import rscf
from inference.networks.rsmt_config import STEP_OUTPUTS, RSMTConfig, step_input_shapes
from inference.weights import WeightSet

KINDS = ("rsmt_sampler_style", "rsmt_sampler_target", "rsmt_sampler_step")
STYLE_FIELDS = ("emb_gamma", "emb_beta", "emb_keys", "emb_values",
                "pred_gamma", "pred_beta", "pred_keys", "pred_values")  # == transitionnet.StyleCode._fields
FILM_CONVS = ("conv_pre", "conv_pre2", "conv0", "conv1")
NORM_EPS = 1e-5
FLOAT32_EPS = float(np.finfo(np.float32).eps)


class Style(NamedTuple):
    gamma: TensorValue  # (B, S)
    beta: TensorValue
    keys: TensorValue  # (B, T', S)
    values: TensorValue


# ---- layers ---------------------------------------------------------------------------------------------
def plu(p: Params, x: TensorValue, prefix: str) -> TensorValue:
    w, c = p(f"{prefix}.w", (1,)), p(f"{prefix}.c", (1,))
    return ops.max(w * (x + c) - c, ops.min(w * (x - c) + c, x))


def state_encoder(p: Params, x: TensorValue, prefix: str, n_in: int, cfg: RSMTConfig) -> TensorValue:
    x = plu(p, p.linear(x, f"{prefix}.layers.0", n_in, cfg.state_hidden), f"{prefix}.acts.0")
    return plu(p, p.linear(x, f"{prefix}.layers.1", cfg.state_hidden, cfg.state_out), f"{prefix}.acts.1")


def row_norm(x: TensorValue) -> TensorValue:
    mean = ops.mean(x, axis=-1)
    d = x - mean
    return d / ops.sqrt(ops.mean(d * d, axis=-1) + NORM_EPS)


def sample_norm(x: TensorValue) -> TensorValue:
    """(B, T, C) normalised per sample over T*C."""
    mean = ops.mean(ops.mean(x, axis=2), axis=1)
    d = x - mean
    return d / ops.sqrt(ops.mean(ops.mean(d * d, axis=2), axis=1) + NORM_EPS)


def adain(x: TensorValue, style: Style) -> TensorValue:
    return (1.0 + style.gamma) * row_norm(x) + style.beta


def attention(p: Params, x: TensorValue, style: Style, prefix: str, s: int) -> TensorValue:
    """ATNBlock.forward: softmax_T(keys . f(row_norm(x)) / sqrt(S)) weights the values; k(.) + x."""
    q = ops.unsqueeze(p.linear(row_norm(x), f"{prefix}.f", s, s), -1)  # (B, S, 1)
    scores = ops.softmax(ops.squeeze(style.keys @ q, -1) / math.sqrt(s), axis=-1)  # (B, T)
    mixed = ops.squeeze(ops.unsqueeze(scores, 1) @ style.values, 1)  # (B, S), a batched GEMM
    return p.linear(mixed, f"{prefix}.k", s, s) + x


def lstm_cell(p: Params, x: TensorValue, h: TensorValue, c: TensorValue, n_in: int, r: int):
    """torch.nn.LSTMCell, composed (two GEMMs, split, gates) or the fused Mojo op."""
    if use_mojo_ops():
        from inference.backends.mojo import ops as mojo_ops

        return mojo_ops.lstm_cell(x, h, c, p("LSTMCell.weight_ih", (4 * r, n_in)), p("LSTMCell.weight_hh", (4 * r, r)),
                                  p("LSTMCell.bias_ih", (4 * r,)), p("LSTMCell.bias_hh", (4 * r,)))
    gates = (x @ p("LSTMCell.weight_ih", (4 * r, n_in)).T + p("LSTMCell.bias_ih", (4 * r,))
             + h @ p("LSTMCell.weight_hh", (4 * r, r)).T + p("LSTMCell.bias_hh", (4 * r,)))
    i, f, g, o = ops.split(gates, [r, r, r, r], axis=-1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(c), c


def _norm2(v: TensorValue) -> TensorValue:
    return ops.sqrt(ops.sum(v * v, axis=-1))


def next_phase(last_phase, amp, freq, dt: float) -> TensorValue:
    theta = (2 * math.pi * dt) * freq  # (B, P, 1)
    cos, sin = ops.cos(theta), ops.sin(theta)
    unit = last_phase / ops.max(_norm2(last_phase), FLOAT32_EPS)
    x, y = unit[:, :, 0:1], unit[:, :, 1:2]
    return amp * ops.concat([x * cos - y * sin, x * sin + y * cos], axis=-1)


def _safe_norm(v: TensorValue) -> TensorValue:
    n = _norm2(v)
    small = ops.abs(n) < FLOAT32_EPS
    return ops.where(small, ops.broadcast_to(ops.constant(FLOAT32_EPS, DType.float32, device=device_ref()), n.shape), n)


def slerp_half(p0: TensorValue, p1: TensorValue) -> TensorValue:
    a0, a1 = _safe_norm(p0), _safe_norm(p1)
    mid = 0.5 * (p0 / a0 + p1 / a1)
    return 0.5 * (a0 + a1) * (mid / _safe_norm(mid))


# ---- the sampler pieces ---------------------------------------------------------------------------------
def encode_target(p: Params, cfg: RSMTConfig, target_pos, target_prev_pos, target_rot) -> TensorValue:
    x = ops.concat([flat(target_pos - target_pos[:, 0:1]), flat(target_pos - target_prev_pos), flat(target_rot)],
                   axis=-1)
    return state_encoder(p, x, "target_encoder", cfg.state_size, cfg)


def style_code(p: Params, cfg: RSMTConfig, features: TensorValue) -> list[TensorValue]:
    """FilmGenerator (valid convs + ReLU) -> tokens, then the AdaIN/ATN style params of both FiLM sites."""
    s = cfg.style_dim
    x = ops.unsqueeze(ops.permute(features, [0, 2, 1]), 1)  # (B, 1, T, C) NHWC
    for name, k, c_in in zip(FILM_CONVS, cfg.film_kernels, (cfg.style_channels, s, s, s)):
        x = ops.relu(ops.conv2d(x, p(f"derived.film_generator.{name}.weight", (1, k, c_in, s)),
                                bias=p(f"derived.film_generator.{name}.bias", (s,))))
    tokens = ops.squeeze(x, 1)  # (B, T', S)
    out = []
    for site in ("embedding_style", "phase_predictor"):
        pooled = ops.squeeze(ops.mean(tokens, axis=1), 1)
        g = p.linear(elu(p.linear(pooled, f"{site}.adains.0.affine2", s, s)), f"{site}.adains.0.affine4", s, 2 * s)
        gamma, beta = ops.split(g, [s, s], axis=-1)
        keys = p.linear(sample_norm(tokens), f"{site}.atns.0.g", s, s)
        values = p.linear(tokens, f"{site}.atns.0.h", s, s)
        out += [gamma, beta, keys, values]
    return out


def lstm_input(p: Params, cfg: RSMTConfig, pos, vel, rot, target_pos, target_rot, target_latent, emb: Style,
               tta, noise) -> tuple[TensorValue, TensorValue]:
    """TransitionSampler.lstm_input -> (recurrent input, h_target)."""
    so, s = cfg.state_out, cfg.style_dim
    state = state_encoder(p, ops.concat([flat(pos - pos[:, 0:1]), flat(vel), flat(rot)], axis=-1),
                          "state_encoder", cfg.state_size, cfg)
    offset = state_encoder(p, ops.concat([flat(target_pos - pos), flat(target_rot - rot)], axis=-1),
                           "offset_encoder", cfg.offset_size, cfg)
    state = elu(adain(p.linear(state, "embedding_style.linears.0", so, s), emb))
    state = elu(attention(p, state, emb, "embedding_style.atns.0", s))
    index = ops.cast(ops.min(ops.max(ops.floor(tta), 0.0), float(cfg.max_tta)), DType.int64)
    pe = ops.gather(p("embedding.ttaEncoding", (cfg.max_tta + 1, so)), index, axis=0)
    pe512 = ops.gather(p("embedding512.ttaEncoding", (cfg.max_tta + 1, s)), index, axis=0)
    noise_weight = ops.unsqueeze(ops.min(ops.max((ops.floor(tta) - 5.0) / 25.0, 0.0), 1.0), -1)
    h_target = ops.concat([offset + pe, target_latent + pe], axis=-1) + noise_weight * noise
    return ops.concat([state + pe512, h_target], axis=-1), h_target


def phase_predictor(p: Params, cfg: RSMTConfig, h, last_phase, h_target, pred: Style):
    r, s, n = cfg.rnn_size, cfg.style_dim, cfg.phase_dim
    pre = "phase_predictor"
    x = elu(p.linear(ops.concat([h, flat(last_phase), h_target], axis=-1), f"{pre}.linears.0",
                     r + 2 * n + 2 * cfg.state_out, r))
    x = p.linear(x, f"{pre}.linears.1", r, s)
    x = elu(attention(p, elu(adain(x, pred)), pred, f"{pre}.atns.0", s))
    out = p.linear(elu(p.linear(x, f"{pre}.linears.2", s, s)), f"{pre}.mlp", s, cfg.predictor_out)
    phase, amp, freq, hip_vel, hip_rot_delta, latent = ops.split(out, [2 * n, n, n, 3, 6, cfg.latent_size], axis=-1)
    return (ops.reshape(phase, [-1, n, 2]), ops.unsqueeze(amp, -1), ops.unsqueeze(freq, -1),
            hip_vel, hip_rot_delta, latent)


def step(p: Params, cfg: RSMTConfig, inputs: dict[str, TensorValue]) -> dict[str, TensorValue]:
    """TransitionSampler.step on named tensors (see step_input_shapes) -> named STEP_OUTPUTS."""
    pos, vel, rot, last_phase = inputs["pos"], inputs["vel"], inputs["rot"], inputs["phase"]
    emb, pred = (Style(*(inputs[f"{k}_{f}"] for f in ("gamma", "beta", "keys", "values"))) for k in ("emb", "pred"))
    x, h_target = lstm_input(p, cfg, pos, vel, rot, inputs["target_pos"], inputs["target_rot"],
                             inputs["target_latent"], emb, inputs["tta"], inputs["noise"])
    h, c = lstm_cell(p, x, inputs["h"], inputs["c"], cfg.lstm_input, cfg.rnn_size)
    pred_phase, amp, freq, hip_vel, hip_rot_delta, latent = phase_predictor(p, cfg, h, last_phase, h_target, pred)
    hip_rot = hip_rot_delta + rot[:, 0]
    cond = ops.concat([flat(pos - pos[:, 0:1]), flat(vel), hip_vel, flat(rot), hip_rot], axis=-1)
    phase = slerp_half(next_phase(last_phase, amp, freq, cfg.dt), pred_phase)
    out, _ = decoder(p, cfg, latent, cond, phase)
    n_pos = cfg.n_pos
    d_pos, d_rot = ops.split(out, [3 * n_pos, 6 * cfg.num_joints], axis=-1)
    d_pos, d_rot = ops.reshape(d_pos, [-1, n_pos, 3]), ops.reshape(d_rot, [-1, cfg.num_joints, 6])
    new_vel = ops.concat([ops.unsqueeze(hip_vel, 1), d_pos[:, 1:]], axis=1)
    new_rot = ops.concat([ops.unsqueeze(hip_rot, 1), (d_rot + rot)[:, 1:]], axis=1)
    return {"pos": pos + new_vel, "vel": new_vel, "rot": new_rot, "phase": phase, "h": h, "c": c,
            "pred_phase": pred_phase, "A": amp, "F": freq}


# ---- graphs ---------------------------------------------------------------------------------------------
def build(kind: str, structure: dict, ops_impl: str = "composed") -> GraphSpec:
    if kind not in KINDS:
        raise ValueError(f"{kind} is not built by inference.backends.max.graphs.sampler")
    cfg = config(structure)
    if kind == "rsmt_sampler_style":
        names = {"features": (cfg.style_channels, cfg.style_frames - 1)}
        outputs = STYLE_FIELDS
    elif kind == "rsmt_sampler_target":
        names = {"target_pos": (cfg.n_pos, 3), "target_prev_pos": (cfg.n_pos, 3), "target_rot": (cfg.num_joints, 6)}
        outputs = ("target_latent",)
    else:
        names = step_input_shapes(cfg)
        outputs = STEP_OUTPUTS
    with ops_scope(kind, [input_type(*shape) for shape in names.values()], ops_impl) as graph:
        p = Params(graph)
        args = dict(zip(names, (v.tensor for v in graph.inputs)))
        if kind == "rsmt_sampler_style":
            graph.output(*style_code(p, cfg, args["features"]))
        elif kind == "rsmt_sampler_target":
            graph.output(encode_target(p, cfg, args["target_pos"], args["target_prev_pos"], args["target_rot"]))
        else:
            result = step(p, cfg, args)
            graph.output(*(result[k] for k in STEP_OUTPUTS))
    return finish(kind, structure, graph, p, names, outputs)


def derived_tensors(weights: WeightSet, cfg: RSMTConfig) -> dict[str, np.ndarray]:
    """The film generator's convs in RSCF layout (only the style graph reads them)."""
    out = {}
    s = cfg.style_dim
    for name, k, c_in in zip(FILM_CONVS, cfg.film_kernels, (cfg.style_channels, s, s, s)):
        prefix = f"film_generator.{name}"
        w, b = rscf(weights.expect(f"{prefix}.weight", (s, c_in, k)), weights.expect(f"{prefix}.bias", (s,)))
        out[f"derived.{prefix}.weight"], out[f"derived.{prefix}.bias"] = w, b
    return out


def registry(kind: str, weights: WeightSet, structure: dict) -> dict[str, np.ndarray]:
    derived = derived_tensors if kind == "rsmt_sampler_style" else None
    return make_registry(kind, weights, structure, build, derived)
