"""Same-padded 1-D convolutions with the time axis on the SIMD lanes (mojo/kernels/conv_time.mojo), packed once:
the periodic autoencoder's four convolutions (inference/backends/mojo/networks.py PhaseRunner, which runs them
inside one call into mojo/kernels/pae.mojo).

The output channels run in tiles of r, as many as the kernel's registers hold (14 with AVX-512, 6 with AVX2) split
evenly (with 14: 13 -> one tile of 13, 39 -> three of 13, 66 -> five of 14, the last four channels zero), the
weights packed (tile, in, K, r).
"""
from __future__ import annotations

import numpy as np

from inference.backends.mojo.addresses import address
from inference.backends.mojo.build import extension
from inference.backends.mojo.dense import ACTIVATIONS


class TimeConv:
    """y = act(conv1d(x, W, padding (K - 1) / 2) + b) for a torch Conv1d weight W (out, in, K), K odd, float32."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, act: str = "none"):
        self.kernels = extension()
        self.c_out, self.c_in, taps = (int(s) for s in weight.shape)
        if taps % 2 != 1:
            raise ValueError(f"a same-padded convolution needs an odd number of taps, got {taps}")
        most = int(self.kernels.conv_time_channels())
        groups = -(-self.c_out // most)
        r = -(-self.c_out // groups)
        padded = np.zeros((groups * r, self.c_in, taps), np.float32)
        padded[:self.c_out] = weight
        self._weights = np.ascontiguousarray(padded.reshape(groups, r, self.c_in, taps).transpose(0, 2, 3, 1))
        self._bias = np.zeros(groups * r, np.float32)
        self._bias[:self.c_out] = bias
        self._layer = np.array([self.c_in, self.c_out, taps, taps // 2, r, groups, address(self._weights),
                                address(self._bias), ACTIVATIONS[act]], np.int64)
        self.descriptor_address = address(self._layer)  # what kernels/pae.mojo reads

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(B, in, T) -> (B, out, T) (through a padded copy of x: the kernel alone, for its tests)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[1] != self.c_in:
            raise ValueError(f"input must be (batch, {self.c_in}, frames), got {x.shape}")
        y = np.empty((x.shape[0], self.c_out, x.shape[2]), np.float32)
        self.kernels.conv_time(self.descriptor_address, address(x), x.shape[0], x.shape[2], address(y))
        return y
