"""Compiles, in the background of a test session, the MAX models that the suite's tests of compiling compile
again, into the app's MAX kernel cache (MODULAR_CACHE_DIR), one model at a time in the store's own compile worker;
then exports the ONNX models the suite's ONNX Runtime tests load (the default transition model's networks, the
DeepMimic walk policy) into the app's ONNX cache.

Why: those tests (the Benchmark, Compare and DeepMimic panels' "Compile" buttons) each compile a model that the
shipped MEFs would otherwise provide, in a store whose kernel cache is the app's. From a fresh clone that cache is
empty, and each compile is cold: 45-50 s of one core, one after another, while the suite's other core idles.
Started when the session begins (tests/conftest.py), this compiles them beside the rest of the suite, so the
tests' own compiles (still the real worker, the real MAX compile) are kernel-cache hits of a few seconds. The
first test to load the default model on ONNX Runtime exported it itself (25 s from a fresh clone); a test that
gets there before the warm-up still does, into the same cache (each export is written atomically).

    python tests/kernel_cache_warmup.py SCRATCH_DIR
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (kind, preset) in the order the tests reach them: test_gui_bench_panel, test_gui_compare_panel,
# test_gui_deepmimic_panel (tests/inference/test_inference_max_deepmimic.py compiles the actor and critic too)
WARMED = (("deepmimic_critic", "humanoid3d"), ("rsmt_sampler_target", "lite"), ("deepmimic_actor", "humanoid3d"))


def main(scratch: str) -> int:
    sys.path.insert(0, str(ROOT))
    from inference.backends.max.store import READY, MefStore, cache_root

    store = MefStore(Path(scratch) / "max", kernel_cache=cache_root() / "modular", shipped=None)
    status = {}
    for kind, preset in WARMED:  # one worker: the suite keeps the other core
        status |= store.ensure([kind], presets=[preset], jobs=1)

    import torch

    from inference.backends.onnx_backend import OnnxBackend
    from inference.deepmimic.policies import load_policy
    from inference.rsmt.models import load_rsmt
    from inference.rsmt.transition import TransitionGenerator

    torch.set_num_threads(1)
    TransitionGenerator(load_rsmt()).load("onnx")
    for kind in ("deepmimic_actor", "deepmimic_critic"):
        OnnxBackend().load(kind, load_policy("walk"))
    return 0 if all(s == READY for s in status.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
