"""Shipped MAX models (assets/max): MEFs compiled for x86-64-v3 by scripts/ship_mefs.py, which a store copies
in, checked against their SHA-256, instead of compiling. Fails while a shipped model is missing or stale (a
changed builder: run the script again)."""
from __future__ import annotations

import json
import lzma
import shutil

import numpy as np
import pytest

from inference.backends.max import store as store_module
from inference.backends.max.store import (MISSING, PORTABLE_CPU, READY, SHIPPED_ROOT, MefStore, cpu_target,
                                          max_version)

SHIPPED = SHIPPED_ROOT / "mef" / f"max-{max_version()}" / PORTABLE_CPU
on_portable_cpu = pytest.mark.skipif(cpu_target() != PORTABLE_CPU,
                                     reason=f"this CPU compiles for {cpu_target()}, not {PORTABLE_CPU}")


def test_every_model_compile_builds_is_shipped_and_nothing_else(tmp_path):
    store = MefStore(tmp_path / "max", shipped=None)
    wanted = {store.mef_path(k, p).stem for k, p in store.plan()}  # kind-<hash of the graph's IR>
    shipped = {p.name.removesuffix(".mef.xz") for p in SHIPPED.glob("*.mef.xz")}
    assert wanted - shipped == set(), "stale shipped MEFs: run `python scripts/ship_mefs.py`"
    assert shipped - wanted == set(), "shipped MEFs no builder makes: run `python scripts/ship_mefs.py`"
    for stem in wanted:
        meta = json.loads((SHIPPED / f"{stem}.json").read_text())
        assert meta["target"] == PORTABLE_CPU and meta["max_version"] == max_version()
        assert stem == f"{meta['kind']}-{meta['hash'][:16]}"


@on_portable_cpu
def test_a_store_takes_a_shipped_model_instead_of_compiling_and_runs_it(tmp_path):
    from inference.backends.base import get_backend
    from inference.deepmimic.policies import load_policy

    store = MefStore(tmp_path / "max", shipped=SHIPPED_ROOT)
    assert store.status("deepmimic_actor") == READY  # copied in: no worker started, no `.compiling` marker
    info = store.info("deepmimic_actor")
    assert info["shipped"].endswith(".mef.xz") and info["target"] == PORTABLE_CPU
    assert not list(store.mef_dir.glob("*.compiling")) and not list(store.mef_dir.glob("*.failed"))

    walk = load_policy("walk")
    mean, std = walk.tensors["state_norm.mean"], walk.tensors["state_norm.std"]
    states = (mean + std * np.random.default_rng(0).standard_normal((8, mean.shape[0]))).astype(np.float32)
    action = store.load("deepmimic_actor", walk)(state=states)["action"]
    expected = get_backend("torch").load("deepmimic_actor", walk)(state=states)["action"]
    assert np.abs(action - expected).max() <= 1e-4 and np.abs(expected).max() > 0.1


def _shipped_copy(tmp_path, damage):
    """A shipped folder holding the DeepMimic actor, its MEF bytes passed through `damage`."""
    probe = MefStore(tmp_path / "probe", shipped=None)
    stem = probe.mef_path("deepmimic_actor").stem
    root = tmp_path / "shipped"
    folder = root / probe.mef_dir.relative_to(probe.root)
    folder.mkdir(parents=True)
    shutil.copy2(SHIPPED / f"{stem}.json", folder)
    (folder / f"{stem}.mef.xz").write_bytes(damage((SHIPPED / f"{stem}.mef.xz").read_bytes()))
    return root


def _flip_a_byte(packed: bytes) -> bytes:
    data = bytearray(lzma.decompress(packed))
    data[len(data) // 2] ^= 0xFF
    return lzma.compress(bytes(data))


@on_portable_cpu
@pytest.mark.parametrize("damage", [_flip_a_byte, lambda packed: packed[: len(packed) // 2]],
                         ids=["flipped-byte", "truncated"])
def test_a_damaged_shipped_model_is_never_installed(tmp_path, caplog, damage):
    store = MefStore(tmp_path / "max", shipped=_shipped_copy(tmp_path, damage))
    assert store.status("deepmimic_actor") == MISSING  # so `ensure` compiles it
    assert not store.mef_path("deepmimic_actor").exists()
    assert "shipped compiled model" in caplog.text and ".mef.xz" in caplog.text
    caplog.clear()
    assert store.status("deepmimic_actor") == MISSING and caplog.text == ""  # refused once, not re-read or re-warned


def test_the_cpu_target_is_portable_where_the_cpu_has_it_and_the_host_when_asked(monkeypatch):
    flags = set(store_module._PORTABLE_FLAGS)
    cpus = {"portable": ("AMD EPYC", flags | {"sha_ni"}), "avx512": ("Intel Xeon", flags | {"avx512f"}),
            "old": ("Intel Xeon", flags - {"avx2", "fma"})}

    def target(cpu: str, env: str | None = None) -> str:
        monkeypatch.setattr(store_module, "_host_cpu", lambda: cpus[cpu])
        monkeypatch.setattr(store_module.platform, "machine", lambda: "x86_64")
        if env is None:
            monkeypatch.delenv(store_module.CPU_TARGET_ENV, raising=False)
        else:
            monkeypatch.setenv(store_module.CPU_TARGET_ENV, env)
        cpu_target.cache_clear()
        return cpu_target()

    try:
        assert target("portable") == target("avx512") == PORTABLE_CPU
        old, host = target("old"), target("avx512", "host")
        assert old.startswith("x86_64-") and host.startswith("x86_64-") and old != host  # the model and flags count
        assert target("portable", "host") not in (old, host)
        assert store_module.virtual_cpu() == ""  # host code, for the host's own folder
    finally:
        monkeypatch.undo()
        cpu_target.cache_clear()


@on_portable_cpu
def test_compile_from_an_empty_cache_takes_the_shipped_models_and_says_so(tmp_path, monkeypatch, capsys):
    import cli

    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MOTION_STUDIO_SHIPPED_MEFS")  # as the app runs
    assert cli.main(["compile", "--kinds", "deepmimic_actor", "rsmt_sampler_target", "--presets", "humanoid3d",
                     "lite"]) == 0
    out = capsys.readouterr().out
    assert "deepmimic_actor (humanoid3d): ready, shipped with the project (compiled in " in out
    assert "rsmt_sampler_target (lite): ready, shipped with the project (compiled in " in out
    assert "2/2 ready; compiled 0 in " in out
