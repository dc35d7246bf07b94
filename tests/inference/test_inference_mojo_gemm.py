"""The Mojo GEMM (mojo/kernels/gemm.mojo via inference/backends/mojo/dense.py) and the once-per-request RSMT
networks on it (inference/backends/mojo/networks.py): real kernels against torch, float32 tolerances."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inference.backends.base import get_backend
from inference.backends.mojo.build import extension
from inference.backends.mojo.dense import PackedDense, default_threads, panel_for
from inference.backends.mojo.networks import KINDS
from parity.compare import default_weights, network_inputs, random_like

TOL = 1e-4  # float32, absolute, as parity's compare
ACTS = {"none": lambda t: t, "relu": torch.relu, "elu": torch.nn.functional.elu, "tanh": torch.tanh}


@pytest.mark.parametrize("n_out", [1, 13, 32, 64, 100, 512])
@pytest.mark.parametrize("rows", [1, 5, 64])
def test_dense_matches_torch_linear_for_every_panel_width_and_activation(n_out, rows):
    rng = np.random.default_rng(n_out * 100 + rows)
    w = (rng.standard_normal((n_out, 197)) * 0.1).astype(np.float32)
    b = rng.standard_normal(n_out).astype(np.float32)
    x = rng.standard_normal((rows, 197)).astype(np.float32)
    for act, fn in ACTS.items():
        ref = fn(torch.nn.functional.linear(*(torch.from_numpy(a) for a in (x, w, b)))).numpy()
        got = PackedDense(w, b, act)(x)
        assert got.shape == (rows, n_out) and np.abs(got - ref).max() <= TOL, act


def test_every_row_count_gives_each_row_the_bits_of_that_row_alone():
    """Full tiles, the narrower tile of the rows left over and the single-row pass, with the inputs in several
    L1 blocks (600 > the block of every panel width), sum each output in the same order."""
    rng = np.random.default_rng(7)
    w, b = (rng.standard_normal((100, 600)) * 0.05).astype(np.float32), rng.standard_normal(100).astype(np.float32)
    x = rng.standard_normal((13, 600)).astype(np.float32)
    dense = PackedDense(w, b, "elu", threads=1)
    alone = np.concatenate([dense(x[r:r + 1]) for r in range(len(x))])
    for rows in range(1, len(x) + 1):
        assert np.array_equal(dense(x[:rows]), alone[:rows]), rows


def test_panel_widths_are_the_narrowest_that_hold_the_layer_up_to_the_kernels_widest():
    widest = int(extension().panel_width())
    assert widest in (16, 64)  # AVX2's tile width, or AVX-512's
    assert [panel_for(n) for n in (1, 16, 17, 32, 33, 64, 65, 1024)] == [min(p, widest) for p in
                                                                           (16, 16, 32, 32, 64, 64, 64, 64)]


def test_threads_split_the_work_without_changing_a_bit():
    rng = np.random.default_rng(3)
    w, b = rng.standard_normal((300, 256)).astype(np.float32), rng.standard_normal(300).astype(np.float32)
    x = rng.standard_normal((200, 256)).astype(np.float32)  # big enough for the parallel path
    one, two = PackedDense(w, b, "elu", threads=1), PackedDense(w, b, "elu", threads=2)
    assert np.array_equal(one(x), two(x))
    two.set_threads(1)
    assert two.threads == 1 and np.array_equal(one(x), two(x))
    assert default_threads() >= 1


def test_batch_commands_use_every_cpu_and_the_gui_keeps_one_free(monkeypatch):
    from inference.backends.mojo import dense

    monkeypatch.delenv("MOTION_MOJO_THREADS", raising=False)
    monkeypatch.setattr(dense.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(dense, "_CORES_KEPT_FREE", 0)  # restored after the test: the GUI's choice is global
    assert default_threads() == 4
    dense.keep_a_core_free()
    assert default_threads() == 3
    monkeypatch.setenv("MOTION_MOJO_THREADS", "2")
    assert default_threads() == 2


@pytest.mark.parametrize("k,pad", [(1, 0), (5, 0), (61, 30)])
def test_conv1d_over_channels_last_frames_matches_torch(k, pad):
    rng = np.random.default_rng(k)
    w = (rng.standard_normal((13, 39, k)) * 0.05).astype(np.float32)
    b = rng.standard_normal(13).astype(np.float32)
    x = rng.standard_normal((3, 39, 61)).astype(np.float32)
    ref = torch.nn.functional.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=pad)
    frames = np.pad(x.transpose(0, 2, 1), ((0, 0), (pad, pad), (0, 0)))
    got = PackedDense.conv1d(w, b).frames(frames, 39, ref.shape[-1]).transpose(0, 2, 1)
    assert np.abs(got - ref.numpy()).max() <= TOL
    with pytest.raises(ValueError, match="frames must be"):
        PackedDense.conv1d(w, b).frames(frames[:, :k - 2], 39, ref.shape[-1])


def test_dense_refuses_a_wrong_input_width():
    with pytest.raises(ValueError, match=r"input must be \(rows, 8\)"):
        PackedDense(np.zeros((4, 8), np.float32), np.zeros(4, np.float32))(np.zeros((2, 7), np.float32))


@pytest.mark.parametrize("kind", KINDS)
def test_rsmt_networks_on_the_gemm_match_torch(kind):
    """Every output at batch 1 and 5, on the seeded initial weights and a second random draw of them (not for
    the PAE: its frequency is a ratio of spectral sums, and on a random redraw the latent's power is so small
    that float32 rounding in the convolutions alone moves it by ~2e-4, on MAX as here)."""
    weights = default_weights(kind)
    for w in (weights, random_like(weights, 5)) if kind != "rsmt_phase" else (weights,):
        ref, ours = get_backend("torch").load(kind, w), get_backend("max-mojo").load(kind, w)
        assert get_backend("max-mojo").runner_impl(kind) == "mojo-extension"
        for batch in (1, 5):
            inputs = network_inputs(kind, w, ref.inputs, batch, seed=batch)
            want, got = ref(**inputs), ours(**inputs)
            assert set(got) == set(want)
            for name in want:
                assert got[name].shape == want[name].shape, name
                assert np.abs(got[name] - want[name]).max() <= TOL, (kind, name, batch)


def test_the_pae_kernel_refuses_a_spec_it_cannot_run():
    """mojo/kernels/pae.mojo checks the layers chain and the spectrum's padding before it reads any array."""
    from inference.backends.mojo.addresses import address

    runner = get_backend("max-mojo").load("rsmt_phase", default_weights("rsmt_phase"))
    swapped, short = runner._spec.copy(), runner._spec.copy()
    swapped[[4, 5]] = swapped[[5, 4]]  # conv2's descriptor first: 13 inputs, then conv1's 39 after its 5 outputs
    short[3] = 31  # the spectrum's 31 frequencies unpadded
    for spec, message in ((swapped, "does not follow the one before"), (short, "31 padded frequencies")):
        with pytest.raises(Exception, match=message):
            extension().phase_scratch_floats(address(spec), 1)


@pytest.mark.parametrize("kind, batch", [("deepmimic_actor", 64), ("rsmt_manifold_decoder", 64),
                                         ("rsmt_sampler_target", 64), ("rsmt_sampler_style", 64),
                                         ("rsmt_sampler_style", 1), ("rsmt_phase", 64)])
def test_a_batch_split_into_row_shares_gives_the_bits_of_one_thread(kind, batch, monkeypatch):
    """At batch 64 two threads each run every layer on half of the rows (kernels.gemm.row_shares); the style
    encoder's one sequence runs on a team of two threads sharing each large layer's work items
    (mojo/kernels/style.mojo); the PAE's threads each run a share of the items through the whole network
    (mojo/kernels/pae.mojo). A row's arithmetic depends on neither."""
    weights = default_weights(kind)
    inputs = network_inputs(kind, weights, get_backend("torch").load(kind, weights).inputs, batch, seed=2)
    outputs = []
    for threads in ("1", "2"):
        monkeypatch.setenv("MOTION_MOJO_THREADS", threads)
        outputs.append(get_backend("max-mojo").load(kind, weights)(**inputs))
    assert set(outputs[0]) == set(outputs[1])
    for name in outputs[0]:
        assert np.array_equal(outputs[0][name], outputs[1][name]), name
