"""The torch backend's Runner contract, on the DeepMimic kinds."""
from __future__ import annotations

import numpy as np
import pytest

from inference.backends.base import get_backend
from inference.deepmimic.policies import load_policy
from inference.backends.torch_backend import BUILDERS, TorchBackend


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MOTION_STUDIO_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield load_policy("walk")
    mp.undo()


def test_get_backend_torch():
    backend = get_backend("torch")
    assert isinstance(backend, TorchBackend) and backend.name == "torch"
    assert {"deepmimic_actor", "deepmimic_critic"} <= set(BUILDERS)
    assert backend.ready("deepmimic_actor") and not backend.ready("no_such_model")


def test_actor_runner_batches_agree_with_single_calls(walk):
    runner = get_backend("torch").load("deepmimic_actor", walk)
    rng = np.random.default_rng(1)
    states = (rng.standard_normal((7, 197)) * walk.tensors["state_norm.std"] + walk.tensors["state_norm.mean"])
    out = runner(state=states)  # float64 input is accepted and computed in float32
    assert set(out) == {"action"} and out["action"].shape == (7, 36) and out["action"].dtype == np.float32
    singles = np.concatenate([runner(state=states[i:i + 1])["action"] for i in range(7)])
    np.testing.assert_allclose(out["action"], singles, rtol=0, atol=1e-5)


def test_critic_runner(walk):
    out = get_backend("torch").load("deepmimic_critic", walk)(state=np.tile(walk.tensors["state_norm.mean"], (3, 1)))
    assert set(out) == {"value"} and out["value"].shape == (3,)
    assert np.all(np.isfinite(out["value"])) and np.ptp(out["value"]) == 0


def test_runner_rejects_wrong_inputs(walk):
    runner = get_backend("torch").load("deepmimic_actor", walk)
    with pytest.raises(ValueError, match="expected"):
        runner(obs=np.zeros((1, 197), np.float32))
    with pytest.raises(ValueError, match=r"'state' has shape \(197,\), expected \(batch, 197\)"):
        runner(state=np.zeros(197, np.float32))
    with pytest.raises(ValueError, match=r"'state' has shape \(2, 196\)"):
        runner(state=np.zeros((2, 196), np.float32))


def test_unknown_kind(walk):
    with pytest.raises(ValueError, match="no model kind 'nope'.*deepmimic_actor"):
        get_backend("torch").load("nope", walk)
