"""Batched transitions (inference/rsmt/batch.py): N transitions' sampler work in one batch gives each the
frames it gets alone (the batch of one `TransitionGenerator.generate` runs), on every backend path that has no
MAX compile; rows of different lengths keep their own. The warm-up in one "rsmt_warmup" call gives the frames of
the warm-up by step calls (what the MAX graphs, which have no such kind, run)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from inference.rsmt.batch import NETWORK_OUTPUTS, WARMUP, rollout_batch
from inference.rsmt.transition import TransitionGenerator
from parity.bench import rollout_inputs
from parity.compare import transition_model

TOL = 1e-4


@pytest.fixture(scope="module")
def gen():
    return TransitionGenerator(transition_model("lite")[0])


@pytest.mark.parametrize("backend,whole", [("torch", False), ("onnx", False), ("max-mojo", False),
                                           ("max-mojo", True)])
def test_a_batch_gives_each_transition_its_single_rollout(gen, backend, whole):
    items = [replace(item, length=length) for item, length in zip(rollout_inputs(gen, 3, 8, seed=2), (8, 3, 6))]
    gen.load(backend, whole)
    batched = rollout_batch(gen, backend, items, whole)
    assert len(batched) == len(items)
    for item, got in zip(items, batched):
        steps = []
        alone = rollout_batch(gen, backend, [item], whole, steps.append)[0]
        assert steps[-1] == gen.model.cfg.past_frames - 2 + item.length  # progress: every step, warm-up first
        for name in NETWORK_OUTPUTS:
            assert got[name].shape == alone[name].shape and got[name].shape[0] == item.length
            assert np.isfinite(got[name]).all()
            assert np.abs(got[name] - alone[name]).max() <= TOL, (backend, name)
    assert rollout_batch(gen, backend, [], whole) == []


@pytest.mark.parametrize("backend", ["torch", "onnx", "max-mojo"])
def test_the_warm_up_call_gives_the_frames_of_a_warm_up_by_steps(gen, backend, monkeypatch):
    items = [replace(item, length=length) for item, length in zip(rollout_inputs(gen, 2, 8, seed=4), (8, 5))]
    gen.load(backend)
    assert gen.has_kind(backend, WARMUP)
    one_call = rollout_batch(gen, backend, items)
    monkeypatch.setattr(gen, "has_kind", lambda backend, kind: False)
    by_steps = rollout_batch(gen, backend, items)
    for got, ref in zip(one_call, by_steps):
        for name in NETWORK_OUTPUTS:
            assert np.abs(got[name] - ref[name]).max() <= TOL, (backend, name)
