"""--device cpu|gpu|auto for the MAX backends (inference/backends/max/device.py), the compile order and the
number of compile workers, without compiling anything. The GPU cases are checked as this machine has them:
without a GPU, `gpu` is a clear error and `auto` is the CPU; with one, `auto` is the GPU."""
from __future__ import annotations

import pytest

import cli
from inference.backends.max import device
from inference.backends.max.store import CompileProgress, MefStore, compile_jobs, cpu_target, device_target

HAS_GPU = device.gpu_count() > 0
no_gpu_only = pytest.mark.skipif(HAS_GPU, reason="checks the machine without a GPU")


@pytest.fixture(autouse=True)
def _fresh_device(monkeypatch):
    monkeypatch.setenv(device.ENV, "cpu")  # recorded, so what a test selects is undone after it
    monkeypatch.delenv(device.ENV)  # each test starts on the default device


def test_cpu_is_the_default_and_auto_takes_a_gpu_only_when_there_is_one():
    assert device.current() == "cpu"
    assert device.resolve("cpu") == "cpu"
    assert device.resolve("auto") == ("gpu" if HAS_GPU else "cpu")
    assert device.select("auto") == device.current() == ("gpu" if HAS_GPU else "cpu")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        device.resolve("tpu")


@no_gpu_only
def test_gpu_without_one_is_an_error_not_a_cpu_run():
    with pytest.raises(device.NoGpu, match="no GPU"):
        device.resolve("gpu")
    assert device.current() == "cpu"


@no_gpu_only
@pytest.mark.parametrize("command", [
    ["transition", "--source", "humanoid3d_walk", "--target", "humanoid3d_run", "--out", "OUT.bvh"],
    ["compare", "--model", "deepmimic_actor"],
    ["bench", "--quick"],
    ["deepmimic", "--backend", "max", "--seconds", "1"],
    ["sequence", "PROJECT.json", "--out", "OUT.bvh"],
    ["compile", "--kinds", "deepmimic_actor"],
])
def test_every_max_command_says_no_gpu_and_exits_2(command, capsys, tmp_path):
    command = [str(tmp_path / a) if a.isupper() else a for a in command]  # files it never gets to write
    assert cli.main([*command, "--device", "gpu"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --device gpu: no GPU (MAX finds no accelerator on this machine)\n"
    assert not list(tmp_path.iterdir())


def test_compiled_models_are_kept_per_device(tmp_path):
    cpu = MefStore(tmp_path / "max", device="cpu")
    assert cpu.device == "cpu" and cpu.mef_dir.name == device_target("cpu") == cpu_target()
    assert cpu._entry("deepmimic_actor", None).job()["device"] == "cpu"
    auto = MefStore(tmp_path / "max", device="auto")
    if HAS_GPU:
        assert auto.mef_dir.name.startswith("gpu-") and auto.mef_dir != cpu.mef_dir
    else:
        assert auto.mef_dir == cpu.mef_dir


def test_the_mojo_custom_ops_are_refused_on_a_gpu(tmp_path):
    if not HAS_GPU:
        pytest.skip("needs a GPU to build a GPU store")
    with pytest.raises(ValueError, match="CPU only"):
        MefStore(tmp_path / "max", ops_impl="mojo", device="gpu")


def test_compile_order_is_the_smallest_graph_first(tmp_path):
    store = MefStore(tmp_path / "max")
    plan = store.plan(["rsmt_phase", "rsmt_sampler_style", "rsmt_sampler_target", "rsmt_sampler_step",
                       "deepmimic_actor"], presets=["lite", "humanoid3d"])
    # the compile costs follow the sizes: actor 68, target encoder 81, style encoder 159, PAE 264, step 275 CPU-s
    assert plan == [("deepmimic_actor", "humanoid3d"), ("rsmt_sampler_target", "lite"), ("rsmt_sampler_style", "lite"),
                    ("rsmt_phase", "lite"), ("rsmt_sampler_step", "lite")]


def test_one_compile_worker_per_core_unless_told(monkeypatch):
    import os

    monkeypatch.delenv("MOTION_STUDIO_COMPILE_JOBS", raising=False)
    assert 1 <= compile_jobs() <= len(os.sched_getaffinity(0))
    monkeypatch.setenv("MOTION_STUDIO_COMPILE_JOBS", "3")
    assert compile_jobs() == 3


def test_overall_progress_reads_models_done_and_time_left():
    p = CompileProgress("rsmt_phase", "lite", 3, 5, "ready", 48.2, done=2, eta_s=80.4)
    assert str(p) == "compiled rsmt_phase (3/5) in 48.2 s"
    assert p.overall() == "2/5 models done, about 1 min 20 s left"
    assert CompileProgress("x", "p", 1, 5, "compiling", 3.0).overall() == "0/5 models done"
    assert CompileProgress("x", "p", 5, 5, "ready", 3.0, done=5, eta_s=0.0).overall() == "5/5 models done"


def test_every_graph_builds_for_a_gpu_with_its_inputs_there_except_the_cpu_only_rollout():
    """Building needs no GPU (compiling and running do): the device switch reaches every builder."""
    from max._mlir_context import ensure_default_mlir_context
    from max.graph import DeviceRef

    from inference.backends.max.graphs import builder, kinds
    from inference.backends.max.store import build_spec

    with ensure_default_mlir_context():
        for kind in kinds():
            structure = next(iter(builder(kind).presets(kind).values()))
            if kind == "rsmt_rollout":
                with pytest.raises(ValueError, match="CPU only"):
                    build_spec(kind, structure, "composed", "gpu")
                continue
            gpu, cpu = (build_spec(kind, structure, "composed", d) for d in ("gpu", "cpu"))
            assert all(v.type.device == DeviceRef.GPU() for v in gpu.graph.inputs), kind
            assert all(v.type.device == DeviceRef.CPU() for v in cpu.graph.inputs), kind
            assert gpu.structure_hash() != cpu.structure_hash()
