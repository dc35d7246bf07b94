"""The fused Mojo sampler (mojo/kernels/sampler.mojo via inference/backends/mojo/sampler.py) against the torch
reference, without MAX: one step on the shipped lite weights and on random weights, the warm-up on the context
in one call, a batch whose rows ask for different lengths in one rollout call, and unusable weights or inputs.
Tolerance: 1e-4 absolute (fp32)."""
from __future__ import annotations

import numpy as np
import pytest

from inference.backends.base import get_backend
from parity.compare import network_inputs, random_like
from inference.rsmt.models import load_rsmt
from inference.backends.mojo.sampler import SamplerRunner
from inference.networks.rsmt_config import ROLLOUT_PER_FRAME, STEP_OUTPUTS
from inference.weights import WeightSet, WeightsError

TOL = 1e-4
STATE = ("pos", "vel", "rot", "phase", "h", "c")


@pytest.fixture(scope="module")
def shipped():
    return load_rsmt().sampler


def _inputs(weights, batch, seed=0):
    torch_step = get_backend("torch").load("rsmt_sampler_step", weights)
    x = network_inputs("rsmt_sampler_step", weights, torch_step.inputs, batch, seed=seed)
    x["tta"] = np.linspace(1, 50, batch).astype(np.float32)  # incl. beyond the time-to-arrival table
    return torch_step, x


@pytest.mark.parametrize("which", ["shipped", "random"])
@pytest.mark.parametrize("batch", [1, 5])
def test_step_matches_torch(shipped, which, batch):
    weights = shipped if which == "shipped" else random_like(shipped, 7)
    torch_step, x = _inputs(weights, batch)
    ref, out = torch_step(**x), SamplerRunner("rsmt_sampler_step", weights)(**x)
    worst = {k: float(np.abs(out[k] - ref[k]).max()) for k in STEP_OUTPUTS}
    assert all(out[k].shape == ref[k].shape for k in STEP_OUTPUTS)
    assert max(worst.values()) <= TOL, worst


@pytest.mark.parametrize("which", ["shipped", "random"])
@pytest.mark.parametrize("batch", [1, 5])
def test_warmup_is_the_context_steps(shipped, which, batch):
    """One "rsmt_warmup" call (every frame's LSTM input as one batch, then W_hh h frame by frame) gives the h and
    c of torch's step graph run on each context frame in turn from zeros; on two threads (one transition: the
    large layers' panels shared; several: a share of the transitions per thread) the same bits as on one."""
    weights = shipped if which == "shipped" else random_like(shipped, 11)
    torch_step, x = _inputs(weights, batch, seed=4)
    runs = {}
    for threads in (1, 2):
        runner = SamplerRunner("rsmt_warmup", weights)
        runner.sampler.threads = threads
        frames = runner.inputs["pos"][0]
        rng = np.random.default_rng(8)
        warm = {k: rng.standard_normal((batch, *runner.inputs[k])).astype(np.float32) for k in ("pos", "vel", "rot")}
        warm["tta"] = (np.arange(frames, 0, -1)[None] + np.arange(batch)[:, None] * 7).astype(np.float32)
        runs[threads] = runner(**warm, **{k: x[k] for k in runner.inputs if k not in warm})
    assert all(np.array_equal(runs[1][k], runs[2][k]) for k in ("h", "c"))
    h, c = np.zeros_like(x["h"]), np.zeros_like(x["c"])
    for t in range(frames):
        ref = torch_step(**{**x, "pos": warm["pos"][:, t], "vel": warm["vel"][:, t], "rot": warm["rot"][:, t],
                            "h": h, "c": c, "tta": warm["tta"][:, t]})
        h, c = ref["h"], ref["c"]
    assert np.abs(runs[1]["h"] - h).max() <= TOL and np.abs(runs[1]["c"] - c).max() <= TOL


def test_rollout_rows_of_different_lengths(shipped):
    """Like the MAX graph: every row steps max(length) times; row k of the outputs is generated frame k."""
    torch_step, x = _inputs(shipped, 2, seed=3)
    runner = SamplerRunner("rsmt_rollout", shipped)
    frames = runner.inputs["tta"][0]
    lengths = np.array([6, 9], np.float32)
    tta = np.maximum(lengths[:, None] - np.arange(frames), 0).astype(np.float32)
    fixed = {k: v for k, v in x.items() if k not in STATE + ("tta", "noise")}
    out = runner(**{k: x[k] for k in STATE}, **fixed, tta=tta, noise=np.repeat(x["noise"][:, None], frames, axis=1),
                 length=lengths)
    state = {k: x[k] for k in STATE}
    for k in range(9):
        ref = torch_step(**state, **fixed, tta=tta[:, k], noise=x["noise"])
        for name in ROLLOUT_PER_FRAME:
            assert np.abs(out[name][:, k] - ref[name]).max() <= TOL, (k, name)
        state = {name: ref[name] for name in STATE}
    assert np.abs(out["h"] - state["h"]).max() <= TOL and np.abs(out["c"] - state["c"]).max() <= TOL
    assert all(np.all(out[name][:, 9:] == 0) for name in ROLLOUT_PER_FRAME)


@pytest.mark.parametrize("batch", [1, 3, 21])
def test_two_threads_give_the_rows_of_one_thread(shipped, batch):
    """On two threads one row's rollout is computed by a team (the dense layers' work items shared,
    kernels.sampler.Span) and a batch is split into one share of rows per thread, each running whole steps on its own (sampler_steps/
    sampler_rollout's _threads_over_rows: 3 rows as 2 + 1, 21 as 11 + 10): every output is bit-identical to the
    one-thread call, which matches torch."""
    torch_step, x = _inputs(shipped, batch, seed=5)
    frames = SamplerRunner("rsmt_rollout", shipped).inputs["tta"][0]
    lengths = np.linspace(4, 12, batch).round().astype(np.float32)
    rollout_x = {**x, "tta": np.maximum(lengths[:, None] - np.arange(frames), 0).astype(np.float32),
                 "noise": np.repeat(x["noise"][:, None], frames, axis=1), "length": lengths}
    for kind, inputs in (("rsmt_sampler_step", x), ("rsmt_rollout", rollout_x)):
        runs = {}
        for threads in (1, 2):
            runner = SamplerRunner(kind, shipped)
            runner.sampler.threads = threads
            runs[threads] = runner(**inputs)
        assert all(np.array_equal(runs[1][k], runs[2][k]) for k in runs[1]), kind
    ref = torch_step(**x)
    step = SamplerRunner("rsmt_sampler_step", shipped)
    step.sampler.threads = 2
    out = step(**x)
    assert max(float(np.abs(out[k] - ref[k]).max()) for k in STEP_OUTPUTS) <= TOL


def test_teams_of_concurrent_callers_all_finish_with_the_same_rows(shipped):
    """A service runs transitions from several threads at once: each one-row rollout is a team of two on MAX's
    shared pool, whose leader never waits for its follower to start. Four callers, 15 rollouts each: none
    deadlocks (the 600 s join is a hang detector, not a speed bound) and every output is the one-thread one."""
    import threading

    _, x = _inputs(shipped, 1, seed=6)
    frames = SamplerRunner("rsmt_rollout", shipped).inputs["tta"][0]
    lengths = np.array([20], np.float32)
    rollout_x = {**x, "tta": np.maximum(lengths[:, None] - np.arange(frames), 0).astype(np.float32),
                 "noise": np.repeat(x["noise"][:, None], frames, axis=1), "length": lengths}
    one = SamplerRunner("rsmt_rollout", shipped)
    one.sampler.threads = 1
    ref = one(**rollout_x)
    results = []

    def caller():
        runner = SamplerRunner("rsmt_rollout", shipped)
        runner.sampler.threads = 2
        results.extend(runner(**rollout_x) for _ in range(15))

    callers = [threading.Thread(target=caller, daemon=True) for _ in range(4)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(600)
    assert not any(t.is_alive() for t in callers), "a team rollout deadlocked"
    assert len(results) == 60 and all(np.array_equal(r[k], ref[k]) for r in results for k in ref)


def test_unusable_weights_and_inputs_are_refused(shipped):
    bad = dict(shipped.tensors)
    bad["phase_predictor.mlp.weight"] = bad["phase_predictor.mlp.weight"][:-1]
    with pytest.raises(WeightsError, match="broken.safetensors: tensor 'phase_predictor.mlp.bias' has shape"):
        SamplerRunner("rsmt_sampler_step", WeightSet(shipped.config, bad, path="broken.safetensors"))
    bad["phase_predictor.mlp.bias"] = bad["phase_predictor.mlp.bias"][:-1]  # consistent, but not this network
    with pytest.raises(WeightsError, match="broken.safetensors: .*dense layer 14 has 44 outputs, the network needs 45"):
        SamplerRunner("rsmt_sampler_step", WeightSet(shipped.config, bad, path="broken.safetensors"))
    with pytest.raises(WeightsError, match="broken.safetensors: no 3-D tensor 'decoder.mlp.weight'"):
        SamplerRunner("rsmt_sampler_step", WeightSet(shipped.config, {k: v for k, v in shipped.tensors.items()
                                                                      if k != "decoder.mlp.weight"},
                                                     path="broken.safetensors"))
    with pytest.raises(WeightsError, match="not an RSMT sampler"):
        SamplerRunner("rsmt_sampler_step", load_rsmt().phase)
    runner = SamplerRunner("rsmt_sampler_step", shipped)
    _, x = _inputs(shipped, 1)
    with pytest.raises(ValueError, match="'h' has shape"):
        runner(**{**x, "h": x["h"][:, :-1]})
    with pytest.raises(ValueError, match="takes inputs"):
        runner(**{k: v for k, v in x.items() if k != "noise"})
