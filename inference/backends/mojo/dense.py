"""Dense layers and 1-D convolutions on the multi-threaded Mojo GEMM (mojo/kernels/gemm.mojo), for any batch.

`PackedDense` packs a torch (out, in) weight once into panels (`pack_panels`) and applies act(x W^T + b) to
(rows, in) arrays with one call into the `motion_kernels` extension. `PackedDense.conv1d` packs a torch
Conv1d (out, in, K) so that the same kernel computes the convolution over channels-last (B, T, in) frames:
row t of a batch item reads the K * in floats from frame t on, exactly the im2col row, without a copy.
"""
from __future__ import annotations

import os

import numpy as np

from inference.backends.mojo.addresses import address
from inference.backends.mojo.build import extension

ACTIVATIONS = {"none": 0, "relu": 1, "elu": 2, "tanh": 3, "plu": 4}  # kernels.dense / kernels.gemm ACT_* codes
PANELS = (16, 32, 64)  # the panel widths kernels.gemm has micro-kernels for


_CORES_KEPT_FREE = 0  # see keep_a_core_free


def keep_a_core_free() -> None:
    """From now on large layers leave one CPU to the caller's own threads: the GUI calls this at start-up.
    Why: a GEMM's parallel section waits for its slowest thread, and a helper thread woken while the GUI or
    the simulation holds the other core waits for it (measured on this project's 2-core machine at load 11:
    a 64 x 197 -> 1024 -> 512 -> 36 MLP took 0.9 ms on one thread, 2.5 ms on two). Batch commands (bake,
    evaluate, bench) keep every CPU."""
    global _CORES_KEPT_FREE
    _CORES_KEPT_FREE = 1


def default_threads() -> int:
    """Threads a large layer may use: MOTION_MOJO_THREADS if set, else the CPUs this process may run on,
    less one after keep_a_core_free() (at least 1)."""
    value = os.environ.get("MOTION_MOJO_THREADS", "")
    return max(1, int(value)) if value.isdigit() else max(1, len(os.sched_getaffinity(0)) - _CORES_KEPT_FREE)


def panel_for(n_out: int) -> int:
    """The narrowest panel width holding n_out outputs, at most the kernels' widest (16 on AVX2, whose register
    tile is 16 wide); wider layers use several panels."""
    return min(next((p for p in PANELS if n_out <= p), PANELS[-1]), int(extension().panel_width()))


def pack_panels(weight: np.ndarray, bias: np.ndarray, panel: int) -> tuple[np.ndarray, np.ndarray]:
    """(out, in) weight and (out,) bias -> panels (n_panels, in, panel) and the bias padded with zeros."""
    n_out, n_in = weight.shape
    n_panels = -(-n_out // panel)
    padded = np.zeros((n_panels * panel, n_in), np.float32)
    padded[:n_out] = weight
    bias_padded = np.zeros(n_panels * panel, np.float32)
    bias_padded[:n_out] = bias
    return np.ascontiguousarray(padded.reshape(n_panels, panel, n_in).transpose(0, 2, 1)), bias_padded


class PackedDense:
    """y = act(x W^T + b): W (out, in) and b (out,) float32, packed once. act "plu" is
    max(w (v + c) - c, min(w (v - c) + c, v)) with plu = (w, c) (RSMT's StateEncoder activation)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, act: str = "none", threads: int | None = None,
                 plu: tuple[float, float] = (1.0, 0.0)):
        self.kernels = extension()
        self.n_out, self.n_in = (int(s) for s in weight.shape)
        panel = panel_for(self.n_out)
        self._panels, self._bias = pack_panels(np.asarray(weight, np.float32), np.asarray(bias, np.float32), panel)
        self.threads = default_threads() if threads is None else threads
        self._act_params = np.array(plu, np.float32)
        self._layer = np.array([self.n_in, self.n_out, panel, self._panels.shape[0], address(self._panels),
                                address(self._bias), ACTIVATIONS[act], self.threads, address(self._act_params)],
                               np.int64)
        self.descriptor_address = address(self._layer)  # what kernels that chain layers read (kernels/moe.mojo)
        self._run = self.kernels.dense

    @classmethod
    def conv1d(cls, weight: np.ndarray, bias: np.ndarray, act: str = "none") -> "PackedDense":
        """A torch Conv1d weight (out, in, K): its im2col matrix, inputs ordered (k, in) as channels-last
        frames lay them out."""
        c_out, c_in, k = weight.shape
        return cls(np.ascontiguousarray(np.asarray(weight).transpose(0, 2, 1).reshape(c_out, k * c_in)), bias, act)

    def set_threads(self, threads: int) -> None:
        """At most `threads` threads per call from now on (1: the calling thread only)."""
        self.threads = self._layer[7] = max(1, int(threads))

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(rows, in) -> (rows, out); x is made C-contiguous float32 if it is not."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        rows = x.shape[0]
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"input must be (rows, {self.n_in}), got {x.shape}")
        if out is None:
            out = np.empty((rows, self.n_out), np.float32)
        self._run(self.descriptor_address, address(x), rows, self.n_in, rows, 0, address(out), self.n_out)
        return out

    def frames(self, x: np.ndarray, c_in: int, t_out: int) -> np.ndarray:
        """The convolution over channels-last frames x (B, T, c_in) (already padded, T >= t_out + K - 1)
        -> (B, t_out, out): output frame t reads input frames t .. t+K-1."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        b, t, c = x.shape
        if c != c_in or self.n_in % c_in or t < t_out + self.n_in // c_in - 1:
            raise ValueError(f"frames must be (batch, >= {t_out + self.n_in // c_in - 1}, {c_in}), got {x.shape}")
        out = np.empty((b, t_out, self.n_out), np.float32)
        self._run(self.descriptor_address, address(x), b * t_out, c_in, t_out, t * c_in, address(out), self.n_out)
        return out
