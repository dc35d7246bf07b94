"""Periodic Autoencoder (DeepPhase), RSMT's variant ``PAE_AI4Animation`` (RSMT src/Net/DeepPhaseNet.py
@f3d7b8f, lines 326-455), rewritten with the same parameter names so an official state_dict loads with
``strict=True`` (a Lightning ``DeepPhaseNet`` checkpoint prefixes every key with ``model.``).

Input: (B, 3J, T) local joint velocities, channel ``j*3 + xyz`` (joint-major), T = cfg.pae_window frames.
Output: ``(y, p, a, f, b)``: reconstruction (B, 3J, T) and per-channel phase p (cycles, in [-0.5, 0.5]),
amplitude a, frequency f (Hz over the window) and offset b, each (B, M, 1).

Differences from the official module, all numerically neutral except the first:
- phase uses ``torch.atan2``; the official hand-written atan2 (:373-378) returns NaN at (0, 0), here 0.
- the spectrum is an explicit real DFT (two matmuls with fixed cos/sin tables) instead of
  ``torch.fft.rfft``, so the MAX graph can mirror it op by op; ``tests`` check it against rfft.
- ``parallel_fc{0,1}(y).diagonal()`` (a (B,M,M) product of which only the diagonal is kept) is computed
  as the row-wise dot product it equals: sx[b,i] = sum_t W[i,t] y[b,i,t] + bias[i].
- the per-channel ``fc[i]`` Linear(T, 2) modules are unused in the official forward (:427-433, the
  "original code" comment) but are kept so the state_dict matches.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from inference.networks.rsmt_config import RSMTConfig


def real_dft_tables(length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin) tables of shape (T, T//2+1): rfft(x)[k] = x @ cos[:, k] - i * (x @ sin[:, k])."""
    t = torch.arange(length, dtype=torch.float64)[:, None]
    k = torch.arange(length // 2 + 1, dtype=torch.float64)[None, :]
    angle = 2.0 * math.pi * t * k / length
    return torch.cos(angle).float(), torch.sin(angle).float()


class PAE(nn.Module):
    def __init__(self, cfg: RSMTConfig):
        super().__init__()
        self.cfg = cfg
        joints, m, t = cfg.num_joints, cfg.phase_dim, cfg.pae_window
        self.input_channels = 3 * joints
        self.embedding_channels = m
        self.time_range = t
        self.window = cfg.pae_window_seconds
        self.time_scale = cfg.pae_key_range / t
        # Official code stores these three as frozen nn.Parameters; buffers keep the same state_dict keys.
        self.register_buffer("tpi", torch.tensor([2.0 * np.pi], dtype=torch.float32))
        self.register_buffer("args", torch.from_numpy(
            np.linspace(-self.window / 2, self.window / 2, t, dtype=np.float32)))
        self.register_buffer("freqs", torch.fft.rfftfreq(t)[1:] * (t * self.time_scale) / self.window)
        cos, sin = real_dft_tables(t)
        self.register_buffer("dft_cos", cos, persistent=False)
        self.register_buffer("dft_sin", sin, persistent=False)

        hidden = joints  # int(input_channels / 3) in the official code
        pad = (t - 1) // 2
        self.conv1 = nn.Conv1d(self.input_channels, hidden, t, padding=pad)
        self.bn_conv1 = nn.BatchNorm1d(hidden)
        self.conv2 = nn.Conv1d(hidden, m, t, padding=pad)
        self.bn_conv2 = nn.BatchNorm1d(m)
        self.fc = nn.ModuleList([nn.Linear(t, 2) for _ in range(m)])  # unused, kept for the state_dict
        self.bn = nn.ModuleList([nn.BatchNorm1d(2) for _ in range(m)])
        self.parallel_fc0 = nn.Linear(t, m)
        self.parallel_fc1 = nn.Linear(t, m)
        self.deconv1 = nn.Conv1d(m, hidden, t, padding=pad)
        self.bn_deconv1 = nn.BatchNorm1d(hidden)
        self.deconv2 = nn.Conv1d(hidden, self.input_channels, t, padding=pad)

    def spectrum(self, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Frequency, amplitude and offset of each latent channel (B, M) from its real DFT.

        power_k = re_k^2 + im_k^2 for k >= 1 (DC dropped); f = sum(freqs*power)/sum(power)/time_scale;
        a = 2*sqrt(sum(power))/T; b = re_0/T (DeepPhaseNet.py:381-397)."""
        re = latent @ self.dft_cos
        im = latent @ self.dft_sin  # sign irrelevant: only squared
        power = re[..., 1:] ** 2 + im[..., 1:] ** 2
        total = power.sum(-1)
        freq = (self.freqs * power).sum(-1) / total / self.time_scale
        amp = 2.0 * torch.sqrt(total) / self.time_range
        offset = re[..., 0] / self.time_range
        return freq, amp, offset

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Latent curves (B, M, T) and the phase parameters p, a, f, b (each (B, M, 1))."""
        y = x.reshape(x.shape[0], self.input_channels, self.time_range)
        y = torch.tanh(self.bn_conv1(self.conv1(y)))
        latent = torch.tanh(self.bn_conv2(self.conv2(y)))
        f, a, b = self.spectrum(latent)
        sx = (latent * self.parallel_fc0.weight).sum(-1) + self.parallel_fc0.bias
        sy = (latent * self.parallel_fc1.weight).sum(-1) + self.parallel_fc1.bias
        v = torch.stack([sx, sy], dim=-1)  # (B, M, 2)
        v = torch.stack([self.bn[i](v[:, i, :]) for i in range(self.embedding_channels)], dim=1)
        p = torch.atan2(v[..., 1], v[..., 0]) / self.tpi
        return latent, p.unsqueeze(2), a.unsqueeze(2), f.unsqueeze(2), b.unsqueeze(2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        _, p, a, f, b = self.encode(x)
        y = a * torch.sin(self.tpi * (f * self.args + p)) + b  # parametric latent (B, M, T)
        y = torch.tanh(self.bn_deconv1(self.deconv1(y)))
        y = self.deconv2(y)
        return y, p, a, f, b


def phase_manifold(amplitude: torch.Tensor, shift: torch.Tensor, scale: float) -> torch.Tensor:
    """(..., M, 1) amplitude and phase shift -> (..., M, 2) = (A/scale)(cos 2 pi S, sin 2 pi S)
    (PhaseModule.py:22-27 with the A/0.1 of StyleVAE_DataModule.py:193)."""
    a = amplitude / scale
    return torch.cat([a * torch.cos(2 * math.pi * shift), a * torch.sin(2 * math.pi * shift)], dim=-1)
