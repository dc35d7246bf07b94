"""The compiled-model store under faults (issue 19, items 1 and 6): a damaged MEF is never handed to MAX
(detected by the SHA-256 recorded at compile time, replaced by the shipped one or compiled again, and the
transition still succeeds), a
corrupt or old sidecar makes the model "missing" instead of raising, a stale `.compiling` marker whose pid
now belongs to another process does not block compiling, a compile waits for another process compiling
the same model instead of failing, and an unwritable store is `error: ...` exit 2."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

import cli
from inference.backends.max.store import COMPILING, MISSING, READY, WORKER_MODULE, MefStore
from inference.rsmt.models import load_rsmt
from motion.deepmimic import load_embedded
from motion.processes import process_started, process_token

TRANSITION_KINDS = ("rsmt_phase", "rsmt_sampler_style", "rsmt_sampler_target", "rsmt_sampler_step")


@pytest.fixture
def store(tmp_path):
    return MefStore(tmp_path / "max")


def fake_ready(store: MefStore, kind: str, meta: dict | str) -> None:
    mef = store.mef_path(kind)
    mef.parent.mkdir(parents=True, exist_ok=True)
    mef.write_bytes(b"not a real model")
    mef.with_suffix(".json").write_text(meta if isinstance(meta, str) else json.dumps(meta))


@pytest.mark.parametrize("sidecar", ["{not json", "[1, 2]", json.dumps({"kind": "deepmimic_actor"}),
                                     json.dumps({"mef_sha256": "0" * 64, "mef_bytes": 3})])
def test_a_corrupt_old_or_mismatched_sidecar_means_missing_not_an_exception(store, sidecar):
    fake_ready(store, "deepmimic_actor", sidecar)
    assert store.status("deepmimic_actor") == MISSING
    info = store.info("deepmimic_actor")
    assert info is None or "mef_sha256" not in info or info["mef_bytes"] != 16


def test_a_sidecar_with_checksum_and_size_is_ready(store):
    fake_ready(store, "deepmimic_actor", {"mef_sha256": "0" * 64, "mef_bytes": len(b"not a real model")})
    assert store.status("deepmimic_actor") == READY


def test_a_stale_marker_whose_pid_was_reused_does_not_block(store, worker_like):
    marker = store.mef_path("deepmimic_actor").with_suffix(".compiling")
    marker.parent.mkdir(parents=True)
    marker.write_text(process_token(worker_like.pid) + "\n")  # a live worker
    assert store.status("deepmimic_actor") == COMPILING
    started = process_started(worker_like.pid)
    marker.write_text(f"{worker_like.pid} {int(started) + 12345}\n")  # its pid, another process's start time
    assert store.status("deepmimic_actor") == MISSING
    marker.write_text("1\n")  # an older version's marker (pid only) naming a live process that is no worker
    assert store.status("deepmimic_actor") == MISSING


def test_compile_on_an_unwritable_store_exits_2(tmp_path, monkeypatch, capsys):
    """The cache root is a regular file, so the store cannot be made (as root, chmod cannot make a folder
    read-only; a read-only store fails the same writability probe)."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(blocker))
    for extra in ([], ["--force"]):
        assert cli.main(["compile", "--kinds", "deepmimic_actor", *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "cannot write the compiled-model store" in err
        assert "Traceback" not in err


# ------------------------------------------------------------------------------------------ with real MEFs

@pytest.mark.slow
def test_a_compile_waits_for_another_process_compiling_the_same_model(compiled_max_cache, tmp_path):
    """Another process holds the claim and then puts a finished model in place: `ensure` waits for it and
    reports ready (it used to report the model as not ready and `compile` exited 1)."""
    done = MefStore(compiled_max_cache(("deepmimic_actor",)) / "max")
    store = MefStore(tmp_path / "max")
    mef = store.mef_path("deepmimic_actor")
    mef.parent.mkdir(parents=True)
    marker = mef.with_suffix(".compiling")
    other = subprocess.Popen([sys.executable, "-c", f"""
import os, shutil, sys, time
sys.path.insert(0, {os.getcwd()!r})
from motion.processes import process_token
open({str(marker)!r}, "w").write(process_token() + "\\n")
time.sleep(3)
shutil.copy({str(done.mef_path("deepmimic_actor").with_suffix(".json"))!r}, {str(mef.with_suffix(".json"))!r})
shutil.copy({str(done.mef_path("deepmimic_actor"))!r}, {str(mef)!r})
os.unlink({str(marker)!r})
""", WORKER_MODULE])  # named on its command line, as a real worker's is
    try:
        while not marker.exists() or not marker.read_text().strip():
            assert other.poll() is None
        seen = []
        result = store.ensure(["deepmimic_actor"], seen.append, tick_s=0.2)
    finally:
        other.wait(60)
    assert result == {("deepmimic_actor", "humanoid3d"): READY}
    assert [p.state for p in seen] == ["busy"]  # waited, compiled nothing itself


def flip_bytes(mef) -> bytes:
    """Flip 20 bytes of `mef` in place (same size: only the checksum can tell); returns the damaged bytes."""
    data = bytearray(mef.read_bytes())
    for k in np.random.default_rng(0).integers(len(data) // 4, len(data), 20):
        data[k] ^= 0xFF
    mef.write_bytes(bytes(data))
    return bytes(data)


@pytest.mark.slow
def test_a_mef_with_flipped_bytes_is_detected_replaced_by_the_shipped_one_and_the_transition_succeeds(
        compiled_max_cache, monkeypatch, caplog):
    from inference.rsmt.transition import TransitionGenerator, TransitionRequest

    cache = compiled_max_cache(TRANSITION_KINDS, "lite")
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(cache))
    monkeypatch.delenv("MOTION_STUDIO_SHIPPED_MEFS")  # as the app runs
    store = MefStore()
    mef = store.mef_path("rsmt_phase", "lite")
    data = flip_bytes(mef)
    assert store.status("rsmt_phase", "lite") == READY  # same size: only the checksum can tell

    walk, run = load_embedded("humanoid3d_walk"), load_embedded("humanoid3d_run")
    with caplog.at_level(logging.WARNING):
        result = TransitionGenerator(load_rsmt()).generate(TransitionRequest(walk, run, length=20, backend="max"))
    assert "does not match the SHA-256 recorded when it was compiled; taking the shipped one" in caplog.text
    assert result.backend == "max" and np.isfinite(result.motion.translations).all()
    info = store.info("rsmt_phase", "lite")
    assert info["shipped"] and hashlib.sha256(mef.read_bytes()).hexdigest() == info["mef_sha256"]
    assert info["mef_sha256"] != hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_a_mef_with_flipped_bytes_and_none_shipped_is_compiled_again(compiled_max_cache, caplog):
    from inference.backends.max.backend import MaxBackend
    from inference.deepmimic.policies import load_policy

    cache = compiled_max_cache(("deepmimic_actor",))
    store = MefStore(cache / "max", kernel_cache=compiled_max_cache.kernel_cache)  # a warm compile: seconds
    mef = store.mef_path("deepmimic_actor")
    data = flip_bytes(mef)
    walk = load_policy("walk")
    with caplog.at_level(logging.WARNING):
        action = MaxBackend(store).load("deepmimic_actor", walk)(state=walk.tensors["state_norm.mean"][None])
    assert "does not match the SHA-256 recorded when it was compiled; compiling it again" in caplog.text
    assert np.isfinite(action["action"]).all()
    fresh = store.info("deepmimic_actor")
    assert "shipped" not in fresh and hashlib.sha256(mef.read_bytes()).hexdigest() == fresh["mef_sha256"]
    assert fresh["mef_sha256"] != hashlib.sha256(data).hexdigest()
