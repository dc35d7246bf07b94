"""The max-mojo backend: registered under its own name, DeepMimic control on the Mojo extension, parity with torch."""
import numpy as np
import pytest

from inference.backends.base import BackendNotReady, get_backend
from inference.rsmt.models import load_rsmt
from inference.deepmimic.policies import load_policy

pytestmark = pytest.mark.slow  # compiles MAX graphs (~50 s each with an empty MAX cache)


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("MOTION_STUDIO_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield load_policy("walk")
    mp.undo()


def test_max_mojo_is_its_own_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "empty-cache"))
    backend = get_backend("max-mojo")
    assert backend.name == "max-mojo" and get_backend("max").name == "max"
    # every kind runs on the Mojo extension: ready in an empty store, nothing to compile
    for kind in backend.kinds():
        assert backend.runner_impl(kind) == "mojo-extension" and backend.ready(kind)
    assert backend.compiled_kinds(backend.kinds()) == []
    assert backend.load("rsmt_phase", load_rsmt().phase).outputs == ("y", "p", "a", "f", "b")


@pytest.mark.parametrize("kind,output", [("deepmimic_actor", "action"), ("deepmimic_critic", "value")])
def test_deepmimic_parity_with_torch(walk, kind, output):
    mean, std = walk.tensors["state_norm.mean"], walk.tensors["state_norm.std"]
    states = (np.random.default_rng(1).normal(size=(17, 197)) * std + mean).astype(np.float32)
    ours = get_backend("max-mojo").load(kind, walk)(state=states)[output]
    ref = get_backend("torch").load(kind, walk)(state=states)[output]
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= 1e-4
    assert get_backend("max-mojo").ready(kind)
