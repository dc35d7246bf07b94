"""The RSMT Periodic Autoencoder (DeepPhase, kind "rsmt_phase") as a MAX graph; the torch twin is
inference/networks/deephase.py (``PAE``), mirrored op by op:

    x (B, 3J, T) -> conv1+BN, tanh -> conv2+BN, tanh = latent (B, M, T)
    spectrum: real DFT as two matmuls with fixed cos/sin tables -> f, a, b;  p = atan2(BN(fc0, fc1)) / 2 pi
    y = a sin(2 pi (f args + p)) + b -> deconv1+BN, tanh -> deconv2 -> (y, p, a, f, b)

Convolutions are ``ops.conv2d`` over NHWC (B, 1, T, C) with RSCF filters (MAX's CPU conv does not compile
NCHW). BatchNorm (eval mode) is folded into the preceding convolution on the numpy side at load time, so
the graph reads *derived* weights (``derived_tensors``), all computed from the same WeightSet:

    derived.<conv>.weight  (1, K, Cin, Cout)  torch (Cout, Cin, K) * s[:, None, None], RSCF layout
    derived.<conv>.bias    (Cout,)           (bias - running_mean) * s + bn.bias
        with s = bn.weight / sqrt(bn.running_var + 1e-5), for conv1/bn_conv1, conv2/bn_conv2,
        deconv1/bn_deconv1, and deconv2 (no BN: layout only)
    derived.bn.scale, derived.bn.shift  (M, 2)  the per-channel BatchNorm1d(2) ``bn.{i}`` as an affine map

atan2 does not exist in MAX: ``ops_impl="composed"`` builds it from a range-reduced odd polynomial and
``where``; ``ops_impl="mojo"`` uses the Mojo custom op of inference/backends/mojo/ops.py instead (``atan2``).
"""
from __future__ import annotations

import math

import numpy as np
from max.dtype import DType
from max.graph import TensorValue, ops

from inference.backends.max.graphs.common import GraphSpec, device_ref, ops_scope, use_mojo_ops
from inference.backends.max.graphs.manifold import (Params, config, finish, input_type, make_registry, presets,  # noqa: F401
                                          structure)
from inference.networks.rsmt_config import RSMTConfig
from inference.weights import WeightSet

KINDS = ("rsmt_phase",)
BN_EPS = 1e-5  # torch BatchNorm1d default
_CONVS = (("conv1", "bn_conv1"), ("conv2", "bn_conv2"), ("deconv1", "bn_deconv1"), ("deconv2", None))


# ---- atan2 ----------------------------------------------------------------------------------------------
def atan2_composed(y: TensorValue, x: TensorValue) -> TensorValue:
    """atan2(y, x) in (-pi, pi], atan2(0, 0) = 0 as torch.

    t = min(|x|,|y|) / max(|x|,|y|) in [0, 1]; t > tan(pi/8) is mapped to (t-1)/(t+1) (+ pi/4) so the
    Cephes ``atanf`` polynomial on |u| <= tan(pi/8) applies; then the octant/quadrant are restored with
    ``where``. Error vs torch about 2e-7 rad."""
    ax, ay = ops.abs(x), ops.abs(y)
    hi, lo = ops.max(ax, ay), ops.min(ax, ay)
    t = lo / ops.max(hi, 1e-30)
    big = t > 0.41421356237309503
    u = ops.where(big, (t - 1.0) / (t + 1.0), t)
    z = u * u
    poly = (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * u + u
    r = ops.where(big, poly + math.pi / 4, poly)
    r = ops.where(ay > ax, math.pi / 2 - r, r)
    r = ops.where(x < 0, math.pi - r, r)
    return ops.where(y < 0, -r, r)


def atan2(y: TensorValue, x: TensorValue) -> TensorValue:
    """Composed, or the Mojo custom op ``motion_atan2`` (std.math.atan2) in a graph built with ops_impl "mojo"."""
    if use_mojo_ops():
        from inference.backends.mojo import ops as mojo_ops

        return mojo_ops.atan2(y, x)
    return atan2_composed(y, x)


# ---- graph ----------------------------------------------------------------------------------------------
def conv1d_same(p: Params, x: TensorValue, name: str, c_in: int, c_out: int, k: int) -> TensorValue:
    """Conv1d with 'same' padding (k odd) over NHWC x (B, 1, T, c_in) with the derived RSCF weight.

    The zeros are concatenated explicitly: ``ops.conv2d(padding=(0, 0, 30, 30))`` with this 61-tap filter
    gave wrong values on CPU in MAX 26.7 (max error 4.6 vs torch on random data; the explicit padding
    matches to 8e-6), checked by hand with a one-conv graph."""
    pad = ops.broadcast_to(ops.constant(0.0, DType.float32, device=device_ref()), [x.shape[0], 1, (k - 1) // 2, c_in])
    return ops.conv2d(ops.concat([pad, x, pad], axis=2), p(f"derived.{name}.weight", (1, k, c_in, c_out)),
                      bias=p(f"derived.{name}.bias", (c_out,)))


def dft_tables(length: int) -> tuple[np.ndarray, np.ndarray]:
    """(cos, sin) (T, T//2+1), computed in float64 like deephase.real_dft_tables."""
    angle = 2.0 * math.pi * np.arange(length)[:, None] * np.arange(length // 2 + 1)[None, :] / length
    return np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)


def build(kind: str, structure: dict, ops_impl: str = "composed") -> GraphSpec:
    if kind not in KINDS:
        raise ValueError(f"{kind} is not built by inference.backends.max.graphs.pae")
    cfg = config(structure)
    c_in, hidden, m, t = 3 * cfg.num_joints, cfg.num_joints, cfg.phase_dim, cfg.pae_window
    time_scale = cfg.pae_key_range / t
    with ops_scope(kind, [input_type(c_in, t)], ops_impl) as graph:
        p = Params(graph)
        x = ops.unsqueeze(ops.permute(graph.inputs[0].tensor, [0, 2, 1]), 1)  # (B, 1, T, 3J)
        y = ops.tanh(conv1d_same(p, x, "conv1", c_in, hidden, t))
        y = ops.tanh(conv1d_same(p, y, "conv2", hidden, m, t))
        latent = ops.permute(ops.squeeze(y, 1), [0, 2, 1])  # (B, M, T)

        cos, sin = dft_tables(t)
        re = latent @ ops.constant(cos, DType.float32, device=device_ref())  # (B, M, K)
        im = latent @ ops.constant(sin, DType.float32, device=device_ref())
        power = re[:, :, 1:] * re[:, :, 1:] + im[:, :, 1:] * im[:, :, 1:]
        total = ops.sum(power, axis=-1)  # (B, M, 1)
        freq = ops.sum(p("freqs", (t // 2,)) * power, axis=-1) / total / time_scale
        amp = 2.0 * ops.sqrt(total) / t
        offset = re[:, :, 0:1] / t

        def diagonal_fc(name: str) -> TensorValue:  # parallel_fc(latent).diagonal() as a row-wise dot
            return ops.sum(latent * p(f"{name}.weight", (m, t)), axis=-1) + ops.unsqueeze(p(f"{name}.bias", (m,)), 1)

        v = ops.concat([diagonal_fc("parallel_fc0"), diagonal_fc("parallel_fc1")], axis=-1)  # (B, M, 2)
        v = v * p("derived.bn.scale", (m, 2)) + p("derived.bn.shift", (m, 2))
        tpi = p("tpi", (1,))
        phase = atan2(v[:, :, 1:2], v[:, :, 0:1]) / tpi  # (B, M, 1)

        y = amp * ops.sin(tpi * (freq * p("args", (t,)) + phase)) + offset  # (B, M, T)
        y = ops.unsqueeze(ops.permute(y, [0, 2, 1]), 1)
        y = ops.tanh(conv1d_same(p, y, "deconv1", m, hidden, t))
        y = conv1d_same(p, y, "deconv2", hidden, c_in, t)
        y = ops.permute(ops.squeeze(y, 1), [0, 2, 1])  # (B, 3J, T)
        graph.output(y, phase, amp, freq, offset)
    return finish(kind, structure, graph, p, ("x",), ("y", "p", "a", "f", "b"))


# ---- weights --------------------------------------------------------------------------------------------
def rscf(weight: np.ndarray, bias: np.ndarray, scale: np.ndarray | None = None,
         shift: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """torch Conv1d (Cout, Cin, K) + bias, optionally followed by the affine y*scale + shift (a folded
    BatchNorm), as an RSCF (1, K, Cin, Cout) filter and its bias."""
    w, b = weight.astype(np.float64), bias.astype(np.float64)
    if scale is not None:
        w = w * scale[:, None, None]
        b = b * scale + shift
    return np.ascontiguousarray(w.transpose(2, 1, 0)[None]).astype(np.float32), b.astype(np.float32)


def bn_affine(weights: WeightSet, prefix: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Eval-mode BatchNorm `prefix` as y = x * scale + shift (float64)."""
    gamma, beta, mean, var = (weights.expect(f"{prefix}.{k}", (n,)).astype(np.float64)
                              for k in ("weight", "bias", "running_mean", "running_var"))
    scale = gamma / np.sqrt(var + BN_EPS)
    return scale, beta - mean * scale


def derived_tensors(weights: WeightSet, cfg: RSMTConfig) -> dict[str, np.ndarray]:
    c_in, hidden, m, t = 3 * cfg.num_joints, cfg.num_joints, cfg.phase_dim, cfg.pae_window
    sizes = {"conv1": (hidden, c_in), "conv2": (m, hidden), "deconv1": (hidden, m), "deconv2": (c_in, hidden)}
    out = {}
    for conv, bn in _CONVS:
        c_out, cin = sizes[conv]
        w, b = weights.expect(f"{conv}.weight", (c_out, cin, t)), weights.expect(f"{conv}.bias", (c_out,))
        affine = bn_affine(weights, bn, c_out) if bn else (None, None)
        out[f"derived.{conv}.weight"], out[f"derived.{conv}.bias"] = rscf(w, b, *affine)
    per_channel = [bn_affine(weights, f"bn.{i}", 2) for i in range(m)]
    out["derived.bn.scale"] = np.stack([s for s, _ in per_channel]).astype(np.float32)
    out["derived.bn.shift"] = np.stack([b for _, b in per_channel]).astype(np.float32)
    return out


def registry(kind: str, weights: WeightSet, structure: dict) -> dict[str, np.ndarray]:
    return make_registry(kind, weights, structure, build, derived_tensors)
