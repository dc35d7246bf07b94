"""The once-per-request RSMT networks on the Mojo GEMM (inference/backends/mojo/dense.py), for max-mojo:

- ``rsmt_sampler_target``: the target encoder (two dense layers, PLU in the GEMM's epilogue);
- ``rsmt_manifold_decoder``: the mixture-of-experts gate decoder (gate MLP, softmax, three expert layers,
  each one GEMM over the experts stacked along the outputs, blended as the torch reference), all in one call
  (mojo/kernels/moe.mojo);
- ``rsmt_phase``: the periodic autoencoder in one call (mojo/kernels/pae.mojo): its four 61-tap convolutions
  with time on the SIMD lanes (mojo/kernels/conv_time.mojo, BatchNorm folded in, tanh in the kernel), the
  spectrum, phase and periodic signal between them;
- ``rsmt_sampler_style``: the FiLM generator's valid convolutions (ReLU in the kernel), the token statistics and
  the style code's dense layers in one call (mojo/kernels/style.mojo): one sequence on a team of two threads, a
  batch split into a share of sequences per thread.

Why: at batch 1 MAX pays ~25 us per `execute` plus its per-op dispatch, more than these small networks
compute; at batch 64 every dense layer here is one multi-threaded GEMM (the PAE: its items split between
threads). Input and output names and shapes are the torch runners' (inference/backends/torch_backend.py); the
maths follows the torch modules (inference/networks/deephase.py, stylevae.py, transitionnet.py), float32 throughout.
"""
from __future__ import annotations

import numpy as np

from inference.backends.mojo.addresses import address
from inference.backends.mojo.build import extension
from inference.backends.mojo.conv_time import TimeConv
from inference.backends.mojo.dense import PackedDense, default_threads
from inference.backends.mojo.mlp import MojoMlp
from inference.networks.rsmt_config import RSMTConfig
from inference.weights import WeightSet, WeightsError

KINDS = ("rsmt_phase", "rsmt_manifold_decoder", "rsmt_sampler_style", "rsmt_sampler_target")
NORM_EPS = np.float32(1e-5)


def _config(weights: WeightSet, network: str) -> RSMTConfig:
    where = weights.path or "weights"
    if weights.config.get("network") != network:
        raise WeightsError(f"{where}: holds a {weights.config.get('network')!r} network, expected {network!r}")
    try:
        return RSMTConfig.from_dict(weights.config["rsmt"])
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{where}: bad RSMT config ({e})") from None


def _linear(weights: WeightSet, prefix: str, n_in: int, n_out: int, act: str = "none",
            plu: tuple[float, float] = (1.0, 0.0)) -> PackedDense:
    return PackedDense(weights.expect(f"{prefix}.weight", (n_out, n_in)), weights.expect(f"{prefix}.bias", (n_out,)),
                       act, plu=plu)


def _check(inputs: dict[str, tuple[int, ...]], arrays: dict[str, np.ndarray], kind: str) -> list[np.ndarray]:
    if set(arrays) != set(inputs):
        raise ValueError(f"{kind} takes inputs {list(inputs)}, got {sorted(arrays)}")
    out = []
    for name, tail in inputs.items():
        a = np.ascontiguousarray(arrays[name], dtype=np.float32)
        if a.shape[1:] != tail or a.ndim != len(tail) + 1:
            raise ValueError(f"{kind}: input {name!r} has shape {a.shape}, expected (batch, {tail})")
        out.append(a)
    return out


class TargetEncoderRunner:
    """target_pos, target_prev_pos (B, n_pos, 3), target_rot (B, J, 6) -> {"target_latent": (B, state_out)}."""

    def __init__(self, weights: WeightSet):
        cfg = _config(weights, "rsmt_sampler")
        self.inputs = {"target_pos": (cfg.n_pos, 3), "target_prev_pos": (cfg.n_pos, 3),
                       "target_rot": (cfg.num_joints, 6)}
        self.outputs = ("target_latent",)
        sizes = (cfg.state_size, cfg.state_hidden, cfg.state_out)
        # both layers in one call (MojoMlp): a batch worth both cores is split into row shares, one hand-off
        self._mlp = MojoMlp([_linear(weights, f"target_encoder.layers.{i}", sizes[i], sizes[i + 1], "plu",
                                     (float(weights.expect(f"target_encoder.acts.{i}.w", (1,))[0]),
                                      float(weights.expect(f"target_encoder.acts.{i}.c", (1,))[0]))) for i in (0, 1)])

    def __call__(self, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        pos, prev, rot = _check(self.inputs, arrays, "rsmt_sampler_target")
        b = pos.shape[0]
        x = np.concatenate([(pos - pos[:, 0:1]).reshape(b, -1), (pos - prev).reshape(b, -1), rot.reshape(b, -1)], -1)
        return {"target_latent": self._mlp(x)}


class ManifoldDecoderRunner:
    """latent (B, Z), condition (B, C), phase (B, P, 2) -> {"pose_delta": (B, out), "coefficients": (B, E)}:
    the whole decoder is one call into mojo/kernels/moe.mojo, its six layers packed here."""

    def __init__(self, weights: WeightSet, prefix: str = "decoder"):
        cfg = _config(weights, "rsmt_manifold")
        g, h, e, z = cfg.gate_hidden, cfg.vae_hidden, cfg.num_experts, cfg.latent_size
        self.inputs = {"latent": (z,), "condition": (cfg.condition_size,), "phase": (cfg.phase_dim, 2)}
        self.outputs = ("pose_delta", "coefficients")
        self._e, self._out = e, cfg.pose_delta_size
        layers = [_linear(weights, f"{prefix}.gate.0", 2 * cfg.phase_dim + z, g),
                  _linear(weights, f"{prefix}.gate.2", g, g), _linear(weights, f"{prefix}.gate.4", g, e)]
        for name, n_in, n_out in (("linears.0", cfg.condition_size + z, h), ("linears.1", h + z, h),
                                  ("mlp", h, cfg.pose_delta_size)):
            w = weights.expect(f"{prefix}.{name}.weight", (e, n_out, n_in))
            b = weights.expect(f"{prefix}.{name}.bias", (e, n_out))
            layers.append(PackedDense(w.reshape(e * n_out, n_in), b.reshape(-1)))  # experts along the outputs
        self._layers = layers  # kept alive: the spec holds their descriptors' addresses
        self._kernels = layers[0].kernels
        self._spec = np.array([layers[0].threads, 2 * cfg.phase_dim, z, cfg.condition_size, e, h, cfg.pose_delta_size,
                               g] + [layer.descriptor_address for layer in layers], np.int64)

    def __call__(self, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        latent, condition, phase = _check(self.inputs, arrays, "rsmt_manifold_decoder")
        rows = latent.shape[0]
        pose_delta = np.empty((rows, self._out), np.float32)
        coefficients = np.empty((rows, self._e), np.float32)
        scratch = np.empty(int(self._kernels.manifold_scratch_floats(address(self._spec), rows)), np.float32)
        io = np.array([address(a) for a in (latent, condition, phase, pose_delta, coefficients, scratch)], np.int64)
        self._kernels.manifold_decoder(address(self._spec), address(io), rows)
        return {"pose_delta": pose_delta, "coefficients": coefficients}


class PhaseRunner:
    """x (B, 3J, T) -> {"y": (B, 3J, T), "p", "a", "f", "b": (B, M, 1)} (deephase.PAE.forward), in one call into
    mojo/kernels/pae.mojo."""

    def __init__(self, weights: WeightSet):
        from inference.backends.max.graphs.pae import derived_tensors, dft_tables

        cfg = _config(weights, "rsmt_phase")
        self.c_in, self.m, self.t = 3 * cfg.num_joints, cfg.phase_dim, cfg.pae_window
        self.inputs = {"x": (self.c_in, self.t)}
        self.outputs = ("y", "p", "a", "f", "b")
        derived = derived_tensors(weights, cfg)  # BatchNorm folded into each convolution, RSCF (1, K, Cin, Cout)
        layers = (("conv1", "tanh"), ("conv2", "tanh"), ("deconv1", "tanh"), ("deconv2", "none"))
        self._convs = [TimeConv(np.ascontiguousarray(derived[f"derived.{name}.weight"][0].transpose(2, 1, 0)),
                                derived[f"derived.{name}.bias"], act) for name, act in layers]
        k = self.t // 2 + 1
        kp = -(-k // 32) * 32  # the frequencies padded to whole passes of the kernel (4 x 8 float64 lanes)
        dft = np.zeros((self.t, 2, kp), np.float32)  # (T, cos | sin, KP), zero past the K frequencies
        dft[:, 0, :k], dft[:, 1, :k] = dft_tables(self.t)
        freqs = np.zeros(kp, np.float32)  # frequency k's weight at k: none for the offset (k = 0)
        freqs[1:k] = weights.expect("freqs", (self.t // 2,))
        tensors = [dft, freqs, weights.expect("args", (self.t,))]
        for i in (0, 1):
            tensors += [weights.expect(f"parallel_fc{i}.weight", (self.m, self.t)),
                        weights.expect(f"parallel_fc{i}.bias", (self.m,))]
        tensors += [derived["derived.bn.scale"], derived["derived.bn.shift"],
                    np.array([weights.expect("tpi", (1,))[0], cfg.pae_key_range / self.t])]
        self._tensors = [np.ascontiguousarray(a, np.float32) for a in tensors]  # read by address: kept alive here
        self._spec = np.array([default_threads(), self.t, self.m, kp, *(c.descriptor_address for c in self._convs),
                               *(address(a) for a in self._tensors)], np.int64)
        self._kernels = extension()

    def __call__(self, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        (x,) = _check(self.inputs, arrays, "rsmt_phase")
        rows = x.shape[0]
        y = np.empty_like(x)
        pafb = np.empty((4, rows, self.m), np.float32)  # phase, amplitude, frequency, offset
        scratch = np.empty(int(self._kernels.phase_scratch_floats(address(self._spec), rows)), np.float32)
        self._kernels.phase_forward(address(self._spec), address(x), address(y), address(pafb), rows,
                                    address(scratch))
        out = {"y": y}
        out.update((name, q[..., None]) for name, q in zip("pafb", pafb))
        return out


class StyleRunner:
    """features (B, 12(J-1), style_frames - 1) -> the eight StyleCode tensors (transitionnet.encode_style), in one
    call (mojo/kernels/style.mojo)."""

    SITES = ("embedding_style", "phase_predictor")

    def __init__(self, weights: WeightSet):
        from inference.networks.transitionnet import STYLE_FIELDS

        cfg = _config(weights, "rsmt_sampler")
        s = self.style = cfg.style_dim
        self.inputs = {"features": (cfg.style_channels, cfg.style_frames - 1)}
        self.outputs = STYLE_FIELDS
        self._layers = []
        for name, k, c_in in zip(("conv_pre", "conv_pre2", "conv0", "conv1"), cfg.film_kernels,
                                 (cfg.style_channels, s, s, s)):
            w = weights.expect(f"film_generator.{name}.weight", (s, c_in, k))
            self._layers.append(PackedDense.conv1d(w, weights.expect(f"film_generator.{name}.bias", (s,)), "relu"))
        for site in self.SITES:
            self._layers += [_linear(weights, f"{site}.adains.0.affine2", s, s, "elu"),
                             _linear(weights, f"{site}.adains.0.affine4", s, 2 * s),
                             _linear(weights, f"{site}.atns.0.g", s, s), _linear(weights, f"{site}.atns.0.h", s, s)]
        self.tokens = cfg.style_frames - 1 - sum(k - 1 for k in cfg.film_kernels)
        self._spec = np.array([default_threads(), cfg.style_channels, cfg.style_frames - 1, s,
                               *(layer.descriptor_address for layer in self._layers)], np.int64)
        self._kernels = extension()
        self._scratch = np.empty(int(self._kernels.style_scratch(address(self._spec))), np.float32)

    def __call__(self, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        (features,) = _check(self.inputs, arrays, "rsmt_sampler_style")
        x = np.ascontiguousarray(features.transpose(0, 2, 1))  # (B, T, C) channels-last frames
        b, s, t = len(x), self.style, self.tokens
        out = {}
        for prefix in ("emb", "pred"):
            out[f"{prefix}_gamma"], out[f"{prefix}_beta"] = np.empty((b, s), np.float32), np.empty((b, s), np.float32)
            out[f"{prefix}_keys"], out[f"{prefix}_values"] = (np.empty((b, t, s), np.float32),
                                                              np.empty((b, t, s), np.float32))
        order = [out[f"{p}_{f}"] for p in ("emb", "pred") for f in ("gamma", "beta", "keys", "values")]
        addresses = np.array([address(a) for a in order], np.int64)
        self._kernels.style_encoder(address(self._spec), address(x), address(addresses), b,
                                    address(self._scratch), float(NORM_EPS))
        return {name: out[name] for name in self.outputs}


RUNNERS = {"rsmt_phase": PhaseRunner, "rsmt_manifold_decoder": ManifoldDecoderRunner,
           "rsmt_sampler_style": StyleRunner, "rsmt_sampler_target": TargetEncoderRunner}
