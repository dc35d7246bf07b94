"""Chains of dense layers in one call of the Mojo GEMM kernel (the DeepMimic actor and critic, RSMT's target encoder),
from batch-1 control to batches.

At batch 1 an MLP step is a chain of matrix-vector products: it reads every weight once and does two flops
per weight, so it is bound by how fast the ~3 MB of weights stream in. The kernel (mojo/kernels/gemm.mojo
`gemm_panels`, called through the `motion_kernels` extension) therefore reads weights re-laid out once,
here, into panels of 16 to 64 outputs stored input-major: a strictly sequential stream with a panel of
accumulators per row held in registers, each weight vector serving four rows of a batch. The normalisers
stay explicit ((s - mean) / std, then y * std + mean) so the result matches torch to float32 rounding.
"""
from __future__ import annotations

import numpy as np

from inference.backends.mojo.addresses import address
from inference.weights import WeightSet, WeightsError
from inference.backends.mojo.build import extension
from inference.backends.mojo.dense import PackedDense, default_threads


class MojoMlp:
    """y = layers((x - in_mean) / in_std) * out_std + out_mean: a chain of PackedDense layers, each with its own
    activation (the DeepMimic MLPs: ReLU between layers; RSMT's target encoder: PLU, no normalisers); called
    with (batch, in).

    One call into the extension per batch; every layer is one GEMM over the batch (mojo/kernels/gemm.mojo),
    a batch worth both cores split into one share of rows per thread, each running every layer."""

    def __init__(self, layers: list[PackedDense], in_norm: tuple[np.ndarray, np.ndarray] | None = None,
                 out_norm: tuple[np.ndarray, np.ndarray] | None = None, threads: int | None = None):
        self._kernels = extension()
        self.in_size, self.out_size = layers[0].n_in, layers[-1].n_out
        if any(a.n_out != b.n_in for a, b in zip(layers, layers[1:])):
            raise ValueError(f"layers of sizes {[(l.n_in, l.n_out) for l in layers]} do not chain")
        norms = [np.ascontiguousarray(a, dtype=np.float32)
                 for a in (*(in_norm or _identity(self.in_size)), *(out_norm or _identity(self.out_size)))]
        self._arrays = [*layers, *norms]  # everything the kernel reads by address: kept alive here
        self._widest = max(self.in_size, *(layer.n_out for layer in layers))
        self._spec = np.array([len(layers), self.in_size, self.out_size, *(address(a) for a in norms), self._widest,
                               default_threads() if threads is None else threads,
                               *(layer.descriptor_address for layer in layers)], np.int64)
        self._spec_addr = address(self._spec)
        self._scratch = np.empty(0, np.float32)  # 2 * rows * widest, grown on demand

    def set_threads(self, threads: int) -> None:
        """At most `threads` threads per layer from now on (1: the calling thread only)."""
        self._spec[8] = max(1, int(threads))

    @classmethod
    def from_weights(cls, weights: WeightSet, prefix: str, in_norm: str, out_norm: str) -> "MojoMlp":
        """From WeightSet tensors ``{prefix}.{i}.weight`` (out, in) / ``.bias`` and ``{norm}.mean/.std``
        (the DeepMimic names: prefix "actor", in_norm "state_norm", out_norm "action_norm")."""
        layers = []
        while f"{prefix}.{len(layers)}.weight" in weights.tensors:
            i = len(layers)
            w = np.asarray(weights.tensors[f"{prefix}.{i}.weight"])
            if w.ndim != 2 or (layers and w.shape[1] != layers[-1][0].shape[0]):
                raise WeightsError(f"{weights.path or 'weights'}: {prefix}.{i}.weight has shape {w.shape}, which "
                                   "does not chain with the previous layer")
            layers.append((w, weights.expect(f"{prefix}.{i}.bias", (w.shape[0],))))
        if not layers:
            raise WeightsError(f"{weights.path or 'weights'}: no {prefix}.0.weight tensor")
        n_in, n_out = layers[0][0].shape[1], layers[-1][0].shape[0]
        packed = [PackedDense(w, b, "relu" if i < len(layers) - 1 else "none") for i, (w, b) in enumerate(layers)]
        return cls(packed, tuple(weights.expect(f"{in_norm}.{s}", (n_in,)) for s in ("mean", "std")),
                   tuple(weights.expect(f"{out_norm}.{s}", (n_out,)) for s in ("mean", "std")))

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(batch, in) -> (batch, out) float32; `out` (preallocated, C-contiguous float32) avoids an allocation."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.in_size:
            raise ValueError(f"input must be (batch, {self.in_size}), got {x.shape}")
        if out is None:
            out = np.empty((x.shape[0], self.out_size), np.float32)
        elif out.shape != (x.shape[0], self.out_size) or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous float32 array of shape {(x.shape[0], self.out_size)}")
        rows = x.shape[0]
        if self._scratch.size < 2 * rows * self._widest:
            self._scratch = np.empty(2 * rows * self._widest, np.float32)
        self._kernels.mlp_forward(self._spec_addr, address(x), address(out), rows, address(self._scratch))
        return out


def _identity(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A normaliser that changes nothing: (x - 0) / 1 and y * 1 + 0 are exact."""
    return np.zeros(n, np.float32), np.ones(n, np.float32)


_DEEPMIMIC = {  # kind -> (layer prefix, output normaliser, output name), as inference/backends/max/graphs/deepmimic.py
    "deepmimic_actor": ("actor", "action_norm", "action"),
    "deepmimic_critic": ("critic", "value_norm", "value"),
}


def deepmimic_runner(kind: str, weights: WeightSet):
    """A backend Runner for a DeepMimic network on the Mojo kernel: runner(state=(B, S)) -> {"action": (B, A)}
    for the actor, {"value": (B,)} for the critic (the names and shapes the torch and MAX runners use)."""
    if kind not in _DEEPMIMIC:
        raise ValueError(f"{kind!r} is not a DeepMimic network (choose {', '.join(_DEEPMIMIC)})")
    prefix, out_norm, out_name = _DEEPMIMIC[kind]
    mlp = MojoMlp.from_weights(weights, prefix, "state_norm", out_norm)
    critic = kind == "deepmimic_critic"

    def run(state: np.ndarray) -> dict[str, np.ndarray]:
        y = mlp(state)
        return {out_name: y[:, 0] if critic else y}

    return run
