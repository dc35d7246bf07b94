"""Resident memory of a process that holds one model on one backend and nothing else.

``python -m parity.rss_probe BACKEND KIND WEIGHTS`` (WEIGHTS: a safetensors + JSON pair, read without
torch) imports only that backend, loads the model, runs it once on a zero batch and prints one JSON line:
resident set size (MB) after the imports, after loading, after the first call, the peak (VmHWM), and
which of torch / max / onnxruntime ended up imported. :func:`probe` runs it in a fresh interpreter
(spawned, never forked: MAX is not fork-safe), so each backend is measured alone.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"/proc/self/status has no {field}")


def main(argv: list[str]) -> int:
    backend_name, kind, weights_path = argv
    os.environ["MODULAR_TELEMETRY_ENABLED"] = "0"
    start = _status_mb("VmRSS")
    import numpy as np

    from inference.backends.base import get_backend
    from inference.weights import WeightSet

    weights = WeightSet.load(weights_path)
    backend = get_backend(backend_name)
    if backend.compiled_kinds([kind]):  # a MAX graph: its session is the runtime
        backend.store.session()  # the runtime itself belongs to "imported", the model to "loaded"
    imported = _status_mb("VmRSS")
    runner = backend.load(kind, weights)
    loaded = _status_mb("VmRSS")
    shapes = getattr(runner, "inputs", None) or ("state",)  # the Mojo DeepMimic runner is a plain function
    if not isinstance(shapes, dict):  # MAX runners know names only; the DeepMimic kinds take one state
        shapes = {name: (weights.tensors["state_norm.mean"].shape[0],) for name in shapes}
    runner(**{name: np.zeros((1, *tail), np.float32) for name, tail in shapes.items()})
    called = _status_mb("VmRSS")
    print(json.dumps({"backend": backend_name, "kind": kind, "start_mb": start, "imported_mb": imported,
                      "loaded_mb": loaded, "called_mb": called, "peak_mb": _status_mb("VmHWM"),
                      "modules": {m: m in sys.modules for m in ("torch", "max", "onnxruntime")}}))
    return 0


def probe(backend: str, kind: str, weights_path: str | os.PathLike, timeout: float = 180.0) -> dict:
    """Run the probe in a fresh interpreter with this process's environment; its JSON report as a dict."""
    env = dict(os.environ, MODULAR_TELEMETRY_ENABLED="0",
               PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "parity.rss_probe", backend, kind, str(weights_path)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise RuntimeError(f"memory probe for {backend}/{kind} failed: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
