"""scripts/mix_weights.py, which made the shipped Bandai Namco sampler (a parameter-by-parameter mix of two trained
samplers), and the shipped sampler's frozen decoder, which must stay the shipped manifold's bit for bit so that
`train sampler --init` can fine-tune it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "mix_weights.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT)


def test_a_mix_keeps_the_tensors_equal_in_both_bit_for_bit(tmp_path):
    from inference.weights import WeightSet

    rng = np.random.default_rng(0)
    frozen = rng.standard_normal((3, 5)).astype(np.float32)  # e.g. a sampler's frozen decoder
    a = WeightSet({"network": "n", "training": {"steps": 1}},
                  {"frozen": frozen, "trained": rng.standard_normal(4).astype(np.float32),
                   "index": np.arange(3, dtype=np.int64)})
    b = WeightSet({"network": "n", "training": {"steps": 2}},
                  {"frozen": frozen.copy(), "trained": rng.standard_normal(4).astype(np.float32),
                   "index": np.arange(3, dtype=np.int64)})
    a.save(tmp_path / "a.safetensors")
    b.save(tmp_path / "b.safetensors")
    done = _run(str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"), "--share", "0.95",
                "--out", str(tmp_path / "m.safetensors"))
    assert done.returncode == 0, done.stderr
    m = WeightSet.load(tmp_path / "m.safetensors")
    # 0.05 x + 0.95 x in float64 is not always x again in float32: an equal tensor is copied, not summed
    assert np.array_equal(m.tensors["frozen"], frozen)
    assert np.array_equal(m.tensors["index"], a.tensors["index"])
    want = (0.05 * a.tensors["trained"].astype(np.float64) + 0.95 * b.tensors["trained"]).astype(np.float32)
    assert np.array_equal(m.tensors["trained"], want)
    assert m.config["training"]["steps"] == 2 and m.config["training"]["mixed"]["share_of_b"] == 0.95

    b.tensors["index"] = np.arange(1, 4, dtype=np.int64)
    b.save(tmp_path / "b.safetensors")
    bad = _run(str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"), "--share", "0.5",
               "--out", str(tmp_path / "x.safetensors"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: integer tensor 'index' differs")
    assert _run("a", "b", "--share", "1.5", "--out", str(tmp_path / "y")).returncode == 2
    assert not (tmp_path / "x.safetensors").exists() and not (tmp_path / "y.safetensors").exists()


@pytest.mark.parametrize("model", ["rsmt_bandai", "rsmt_lite"])
def test_a_shipped_sampler_can_be_fine_tuned_on_its_shipped_manifold(model):
    """`train sampler --init assets/MODEL/sampler.safetensors --manifold assets/MODEL/manifold.safetensors` loads:
    the sampler's decoder is the manifold's, bit for bit (start_from checks it). The Bandai sampler is a mix, whose
    decoder was once 1 ulp off."""
    from cli.train import start_from
    from inference.networks.rsmt_networks import build_network
    from inference.networks.transitionnet import TransitionSampler
    from inference.weights import WeightSet

    folder = ROOT / "assets" / model
    manifold = build_network(WeightSet.load(folder / "manifold.safetensors"), "rsmt_manifold")
    shipped = WeightSet.load(folder / "sampler.safetensors")
    sampler = TransitionSampler(manifold.cfg)
    sampler.decoder.load_state_dict(manifold.decoder.state_dict())
    start_from(sampler, shipped, "sampler")
    assert all(np.array_equal(shipped.tensors[f"decoder.{k}"], v.numpy())
               for k, v in manifold.decoder.state_dict().items())
