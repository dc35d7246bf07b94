"""`bench`: every backend timed on the DeepMimic cases with real MAX models, real ONNX Runtime sessions
(exported from the torch modules) and real worker processes for the memory probe. Timings are noisy on a
shared machine, so only their consistency is asserted, never their values."""
from __future__ import annotations

import json
import threading

import pytest

import cli
from parity.bench import (BATCHED_TRANSITIONS, E2E, E2E_PARTS, POLICY_STEP, RIG_LENGTH, RIG_SOURCE,
                          TRANSITION_LENGTHS, BenchConfig, run_bench)
from parity.compare import DEEPMIMIC_KINDS as KINDS

BACKENDS = ("torch", "max", "onnx")


def test_quick_bench_command_end_to_end(cache, tmp_path, capsys):
    out_file = tmp_path / "bench.json"
    assert cli.main(["bench", "--quick", "--runs", "3", "--backends", *BACKENDS, "--json", str(out_file)]) == 0
    captured = capsys.readouterr()
    assert "median time per call" in captured.out and "[6/6] done" in captured.err
    report = json.loads(out_file.read_text())
    assert report["backends"] == list(BACKENDS) and not report["cancelled"]
    rows = report["rows"]
    cases = {(r["case"], r["batch"]) for r in rows}
    assert cases == {(k, b) for k in KINDS for b in (1, 64)} | {(POLICY_STEP, 1)}
    by_key = {(r["case"], r["batch"], r["backend"]): r for r in rows}
    assert len(by_key) == len(rows) == len(cases) * len(BACKENDS)  # every backend on every case, once
    for r in rows:
        assert r["runs"] == 3
        assert 0 < r["p10_us"] <= r["median_us"] <= r["p90_us"]
        torch_median = by_key[(r["case"], r["batch"], "torch")]["median_us"]
        assert r["ratio_vs_torch"] == pytest.approx(r["median_us"] / torch_median, rel=1e-9)
        assert r["items_per_s"] == pytest.approx(r["batch"] * 1e6 / r["median_us"])
    assert {(d["case"], d["backend"]) for d in report["load"]} == {(k, b) for k in KINDS for b in BACKENDS}
    assert all(d["load_ms"] > 0 for d in report["load"])
    memory = {m["backend"]: m for m in report["memory"]}
    assert set(memory) == set(BACKENDS)
    for name, m in memory.items():
        assert 0 < m["start_mb"] < m["imported_mb"] <= m["peak_mb"] and m["called_mb"] <= m["peak_mb"]
        assert m["modules"] == {"torch": name == "torch", "max": name == "max", "onnxruntime": name == "onnx"}
    assert report["compile"] == []  # opt-in only


def test_progress_and_cancel(cache):
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append((p.done, p.total, p.message))
        cancel.set()  # during the first step: it finishes, nothing after it starts

    config = BenchConfig(backends=("torch", "max"), kinds=("deepmimic_critic",), batches=(1,), runs=2, warmup=0,
                         memory=True)
    report = run_bench(config, progress, cancel)
    # steps: the critic, then one memory probe per backend
    assert seen == [(0, 3, "deepmimic_critic: batch 1")]
    assert report.cancelled and report.memory == []
    assert [(r.case, r.backend) for r in report.rows] == [("deepmimic_critic", "torch"), ("deepmimic_critic", "max")]
    assert "cancelled" in report.table()


def test_uncompiled_max_model_is_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path))
    assert cli.main(["bench", "--quick", "--backends", "torch", "max", "--no-memory"]) == 2
    assert "python main.py compile" in capsys.readouterr().err
    assert cli.main(["bench", "--backends", "tensorflow"]) == 2
    assert "unknown backend tensorflow" in capsys.readouterr().err


def test_missing_models_lists_what_a_run_needs_compiled(tmp_path, monkeypatch):
    """What the benchmark panel offers to compile: each MAX model (kind, preset) the ticked cases need once,
    the whole transition's networks with the sampler step, none that a Mojo kernel or torch runs."""
    from parity.bench import missing_models

    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(tmp_path))  # an empty store
    assert missing_models(BenchConfig(backends=("torch", "onnx"), kinds=KINDS)) == []
    assert missing_models(BenchConfig(backends=("torch", "max"), kinds=KINDS)) == [(k, None) for k in KINDS]
    assert missing_models(BenchConfig(backends=("max-mojo",), kinds=KINDS)) == []  # the Mojo MLP
    transition = missing_models(BenchConfig(backends=("max", "max-mojo"), kinds=("rsmt_sampler_step",)))
    assert transition == [("rsmt_sampler_step", "lite"), ("rsmt_phase", "lite"), ("rsmt_sampler_style", "lite"),
                          ("rsmt_sampler_target", "lite"), ("rsmt_rollout", "lite")]


def test_bench_a_shipped_model(compiled_max_cache, monkeypatch, capsys):
    """`bench --model bandai`: the Bandai Namco model's networks with its trained weights, and whole
    transitions with it, on torch and MAX (its own 21-joint graphs), every case on both but the warm-up kind,
    which MAX has no graph for (skipped, with the reason)."""
    from test_parity_compare import BANDAI_KINDS

    monkeypatch.setenv("MOTION_STUDIO_CACHE", str(compiled_max_cache(BANDAI_KINDS, "bandai")))
    assert cli.main(["bench", "--model", "bandai", "--backends", "torch", "max", "--runs", "2", "--no-memory",
                     "--json", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["meta"]["config"]["model"] == "bandai" and report["meta"]["config"]["preset"] == "bandai"
    rig = f"{E2E}_{RIG_LENGTH}f_rig"  # its CMU source is shared data: skipped, with the reason, without it
    rig_runs = RIG_SOURCE.is_file()
    no_warmup = {"case": "rsmt_warmup", "backend": "max", "reason": "no max network for rsmt_warmup"}
    assert report["skipped"] == [no_warmup] + ([] if rig_runs else [{"case": rig, "backend": "all",
                                                                     "reason": f"{RIG_SOURCE} is not there"}])
    networks = set(BANDAI_KINDS) - {"rsmt_rollout"}
    e2e = {f"{E2E}_{n}f" for n in TRANSITION_LENGTHS} | ({rig} if rig_runs else set())
    transitions = e2e | {f"{case}_{part}" for case in e2e for part in E2E_PARTS}
    assert {(r["case"], r["backend"]) for r in report["rows"]} == {
        (c, b) for c in networks | transitions | {BATCHED_TRANSITIONS} for b in ("torch", "max")} | {
        ("rsmt_warmup", "torch")}  # the MAX graphs have no warm-up kind (inference.rsmt.batch)
    paths = report["meta"]["transition_path"]  # each backend on its faster rollout path per case (bench._fastest_path)
    assert set(paths) == e2e
    for by_backend in paths.values():
        assert set(by_backend) == {"torch", "max"}
        assert set(by_backend.values()) <= {"one step call per frame", "whole rollout"}
