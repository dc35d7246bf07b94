"""The MEF store without compiling anything: missing models, failed and stale compiles, the CLI's checks,
and the timing helper. (Compiling for real is in test_inference_max_deepmimic.py.)"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import cli
from inference.backends.base import BackendNotReady
from inference.backends.max.backend import MaxBackend
from inference.backends.max.store import EVENT_PREFIX, MefStore, cache_root
from inference.deepmimic.policies import load_policy
from parity.timing import interleaved, settle

pytestmark = pytest.mark.slow  # compiles MAX graphs (~50 s each with an empty MAX cache)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path):
    return MefStore(tmp_path / "max")


def test_missing_mef_raises_backend_not_ready(store):
    backend = MaxBackend(store)
    assert store.status("deepmimic_actor") == "missing"
    assert not backend.ready("deepmimic_actor")
    with pytest.raises(BackendNotReady, match=r"deepmimic_actor is not compiled yet: run `python main.py compile`"):
        backend.load("deepmimic_actor", load_policy("walk"))


def test_store_paths_are_per_graph_and_deterministic(store, tmp_path):
    actor, critic = store.mef_path("deepmimic_actor"), store.mef_path("deepmimic_critic")
    assert actor != critic
    assert actor.parent == store.mef_dir and "max-" in str(actor.parent)
    assert MefStore(tmp_path / "max").mef_path("deepmimic_actor") == actor  # deterministic IR hash


def test_failed_compile_is_recorded_and_reported(store):
    """Worker jobs (one JSON line each) whose graph hash does not match fail fast (before any MAX compile),
    and the worker goes on with the next line."""
    jobs = [dict(store._entry(kind, None).job(), hash="0" * 64) for kind in ("deepmimic_critic", "deepmimic_actor")]
    done = subprocess.run([sys.executable, "-m", "inference.backends.max.compile_worker"],
                          input="".join(json.dumps(job) + "\n" for job in jobs),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line[len(EVENT_PREFIX):]) for line in done.stdout.splitlines()
              if line.startswith(EVENT_PREFIX)]
    assert [(e["kind"], e["state"]) for e in events] == [
        ("deepmimic_critic", "compiling"), ("deepmimic_critic", "failed"),
        ("deepmimic_actor", "compiling"), ("deepmimic_actor", "failed")]
    assert store.status("deepmimic_critic") == store.status("deepmimic_actor") == "failed"
    assert "differs" in store.failure("deepmimic_critic")
    with pytest.raises(BackendNotReady, match="deepmimic_critic failed to compile"):
        MaxBackend(store).load("deepmimic_critic", load_policy("walk"))


def test_cancel_kills_the_worker_and_leaves_the_model_missing(store):
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append((p.kind, p.state, store.status(p.kind)))
        cancel.set()  # as soon as the compile has started

    result = store.ensure(["deepmimic_actor"], progress, cancel=cancel, tick_s=0.2)
    assert seen[0] == ("deepmimic_actor", "compiling", "compiling")
    assert result == {("deepmimic_actor", "humanoid3d"): "missing"}
    assert not store.mef_path("deepmimic_actor").with_suffix(".compiling").exists()
    assert not store.mef_path("deepmimic_actor").exists()  # killed, not compiled to the end


def test_a_cancelled_compile_keeps_the_finished_models_and_the_next_run_compiles_only_the_rest(tmp_path):
    """As when the app quits while compiling: what was finished stays, and the next run resumes."""
    store = MefStore(tmp_path / "max", kernel_cache=cache_root() / "modular")  # warm kernel cache: seconds each
    kinds = ["deepmimic_critic", "deepmimic_actor"]
    assert store.plan(kinds) == [("deepmimic_actor", "humanoid3d"), ("deepmimic_critic", "humanoid3d")]
    cancel, seen = threading.Event(), []

    def progress(p):
        seen.append(p)
        if p.state == "ready":
            cancel.set()  # quit as soon as one model is done

    first = store.ensure(kinds, progress, cancel=cancel, jobs=1, tick_s=0.2)
    assert first == {("deepmimic_critic", "humanoid3d"): "missing", ("deepmimic_actor", "humanoid3d"): "ready"}
    assert (seen[-1].kind, seen[-1].state, seen[-1].done, seen[-1].total) == ("deepmimic_actor", "ready", 1, 2)
    assert not list(store.mef_dir.glob("*.compiling"))
    again = []
    assert store.ensure(kinds, again.append, jobs=1, tick_s=0.2) == {(k, "humanoid3d"): "ready" for k in kinds}
    assert {(p.kind, p.index, p.total) for p in again} == {("deepmimic_critic", 1, 1)}


def test_stale_compiling_marker_is_ignored(store, worker_like):
    marker = store.mef_path("deepmimic_actor").with_suffix(".compiling")
    marker.parent.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    marker.write_text(dead.stdout)
    assert store.status("deepmimic_actor") == "missing"
    marker.write_text(f"{worker_like.pid}\n")  # a live process running the worker module
    assert store.status("deepmimic_actor") == "compiling"


def test_compile_command_rejects_unknown_kinds_and_presets(capsys):
    assert cli.main(["compile", "--kinds", "deepmimic_actor", "no_such_net"]) == 2
    assert "no MAX graph for no_such_net" in capsys.readouterr().err
    assert cli.main(["compile", "--kinds", "deepmimic_actor", "--presets", "no_such_preset"]) == 2
    assert "deepmimic_actor has a preset no_such_preset" in capsys.readouterr().err


def _counted_cases() -> tuple[dict, dict[str, int]]:
    """Two cases "a", "b" that only count their calls, and the counts."""
    calls = {"a": 0, "b": 0}

    def case(name):
        def run():
            calls[name] += 1
        return run

    return {name: case(name) for name in calls}, calls


def test_interleaved_timing_runs_every_case_alike():
    cases, calls = _counted_cases()
    result = interleaved(cases, runs=5, warmup=2, calls_per_run=3, prime_s=0)
    assert calls == {"a": 2 + 15, "b": 2 + 15}
    assert all(len(t.samples_us) == 5 and t.median_us > 0 for t in result.values())


def test_interleaved_timing_primes_each_block_with_untimed_calls_of_the_same_case():
    cases, calls = _counted_cases()
    sampled = []
    result = interleaved(cases, runs=7, warmup=1, prime_s=1e-4, block=3,
                         after_sample=sampled.append)
    assert all(len(t.samples_us) == 7 for t in result.values())
    assert sampled.count("a") == sampled.count("b") == 7  # only the timed calls are reported
    assert calls["a"] >= 1 + 7 + 3 and calls["b"] >= 1 + 7 + 3  # at least one priming call per block (3 blocks)


def test_settle_finds_the_process_idle_once_its_spinning_worker_has_stopped():
    """A worker that spun (as MAX's runtime does after a graph call) and stopped leaves the process idle: settle
    returns True (it waits while the process's other threads use CPU; how long is not a unit test's business)."""
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    worker = threading.Thread(target=spin)
    worker.start()
    stop.set()
    worker.join()
    assert settle(max_s=5.0)


def test_shipped_models_with_their_own_sizes_are_presets(store):
    """The Bandai Namco model (lite networks on 21 joints) is a preset of every RSMT graph under its name, so
    `compile` builds its graphs and its weights load on MAX; humanoid3d's sizes are lite's."""
    from inference.backends.max.graphs import BUILDERS
    from inference.networks.rsmt_config import NETWORK_OF_KIND
    from inference.rsmt.models import model_preset, model_weights

    sampler = model_weights("bandai", "sampler")
    for kind in [k for k in NETWORK_OF_KIND if k in BUILDERS]:  # every RSMT kind with a MAX graph
        presets = store.presets(kind)
        assert list(presets)[:2] == ["lite", "paper"] and presets["bandai"] == sampler.config["rsmt"]
        assert presets["bandai"]["num_joints"] == 21
    assert (model_preset("bandai"), model_preset("humanoid3d")) == ("bandai", "lite")
    with pytest.raises(BackendNotReady, match="rsmt_sampler_step is not compiled yet"):
        MaxBackend(store).load("rsmt_sampler_step", sampler)
