"""The time-on-lanes convolution (mojo/kernels/conv_time.mojo via inference/backends/mojo/conv_time.py), the
periodic autoencoder's, against torch's conv1d: float32 tolerances."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inference.backends.mojo.conv_time import TimeConv

TOL = 1e-4  # float32, absolute, as parity's compare
ACTS = {"none": lambda t: t, "tanh": torch.tanh}


@pytest.mark.parametrize("c_in, c_out", [(39, 13), (13, 5), (5, 13), (13, 39), (21, 63), (69, 23), (3, 1)])
@pytest.mark.parametrize("batch", [1, 3, 64])
def test_time_conv_matches_torch_conv1d_for_the_pae_shapes(c_in, c_out, batch):
    """61 taps over 61 frames padded by 30 (one tile of channels, several, the last part empty); the tiles' vectors
    are items at the same frames, and at the batch's end or for one item frame windows of one item."""
    rng = np.random.default_rng(c_in * 1000 + c_out * 10 + batch)
    w = (rng.standard_normal((c_out, c_in, 61)) / np.sqrt(61 * c_in)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    x = rng.standard_normal((batch, c_in, 61)).astype(np.float32)
    for act, fn in ACTS.items():
        ref = fn(torch.nn.functional.conv1d(*(torch.from_numpy(a) for a in (x, w, b)), padding=30)).numpy()
        got = TimeConv(w, b, act)(x)
        assert got.shape == ref.shape and np.abs(got - ref).max() <= TOL, act


@pytest.mark.parametrize("taps, frames", [(1, 61), (5, 61), (61, 17), (3, 40), (61, 5)])
def test_time_conv_matches_torch_for_other_taps_and_lengths(taps, frames):
    """Sequences shorter or longer than the taps, and lengths that leave a frame window part empty."""
    rng = np.random.default_rng(taps * 100 + frames)
    w = (rng.standard_normal((7, 9, taps)) / np.sqrt(9 * taps)).astype(np.float32)
    b = rng.standard_normal(7).astype(np.float32)
    x = rng.standard_normal((5, 9, frames)).astype(np.float32)
    ref = torch.nn.functional.conv1d(*(torch.from_numpy(a) for a in (x, w, b)), padding=taps // 2).numpy()
    assert np.abs(TimeConv(w, b)(x) - ref).max() <= TOL


def test_time_conv_refuses_even_taps_and_a_wrong_input():
    with pytest.raises(ValueError, match="odd number of taps"):
        TimeConv(np.zeros((2, 3, 4), np.float32), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"input must be \(batch, 3, frames\)"):
        TimeConv(np.zeros((2, 3, 5), np.float32), np.zeros(2, np.float32))(np.zeros((1, 4, 9), np.float32))
