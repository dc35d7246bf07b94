"""ONNX Runtime as an outside peer for the benchmark and the parity report (backend name "onnx").

The torch reference module of a kind (the torch backend's ModuleRunner) is exported once with
``torch.onnx.export`` (the torch.export-based exporter, which needs ``onnxscript``) into
``cache_dir("onnx")``, with a symbolic batch axis on every input and output, and run by one
``onnxruntime.InferenceSession`` on the CPU execution provider with the settings of ``session_settings``.

ONNX files embed the weight values, so a file is keyed by the kind, a digest of the weights (names, shapes
and bytes), and the torch / onnxscript versions. Exports are written to a temp file and renamed into place.
An export that fails raises BackendNotReady with the exporter's message: nothing falls back to torch.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np

from inference.backends.base import Backend, BackendNotReady, Runner, register
from inference.paths import cache_dir
from inference.weights import WeightSet

EXAMPLE_BATCH = 2  # torch.export specialises sizes 0 and 1, so trace with 2 to keep the batch symbolic
OUT_SUFFIX = ".out"  # ONNX forbids an output named like an input (a step's "h" in and "h" out): renamed in the file


def weights_digest(kind: str, weights: WeightSet) -> str:
    h = hashlib.sha256(f"{kind}|torch {version('torch')}|onnxscript {version('onnxscript')}".encode())
    for name in sorted(weights.tensors):
        t = np.ascontiguousarray(weights.tensors[name])
        h.update(f"|{name}{t.shape}{t.dtype}".encode())
        h.update(t.tobytes())
    return h.hexdigest()


def session_settings() -> dict:
    """ONNX Runtime's own best CPU settings, stated (the bench records them): full graph optimisation and an
    intra-op thread per CPU this process may run on (2 on this project's machine)."""
    return {"graph_optimization_level": "ORT_ENABLE_ALL", "intra_op_num_threads": len(os.sched_getaffinity(0))}


class OnnxRunner:
    """Calls an onnxruntime session by name, like every other Runner."""

    def __init__(self, kind: str, path: Path):
        """Input names and shapes come from the file itself, so a cached export loads without torch."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only
        for name, value in session_settings().items():
            setattr(options, name, getattr(ort.GraphOptimizationLevel, value) if name == "graph_optimization_level"
                    else value)
        self.kind, self.path = kind, path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name: tuple(int(d) for d in i.shape[1:]) for i in self.session.get_inputs()}
        self._file_outputs = [o.name for o in self.session.get_outputs()]
        self.outputs = tuple(name.removesuffix(OUT_SUFFIX) for name in self._file_outputs)

    def __call__(self, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        if set(arrays) != set(self.inputs):
            raise ValueError(f"{self.kind} takes inputs {list(self.inputs)}, got {sorted(arrays)}")
        feed = {}
        for name in self.inputs:
            a = np.ascontiguousarray(arrays[name], dtype=np.float32)
            tail = self.inputs[name]
            if a.ndim != len(tail) + 1 or a.shape[1:] != tail:
                raise ValueError(f"{self.kind}: input {name!r} has shape {a.shape}, expected (batch, {tail})")
            feed[name] = a
        results = self.session.run(self._file_outputs, feed)
        return {name: np.asarray(r, dtype=np.float32) for name, r in zip(self.outputs, results)}


@register
class OnnxBackend(Backend):
    name = "onnx"

    def __init__(self, cache: str | os.PathLike | None = None):
        self.cache = Path(cache) if cache is not None else cache_dir("onnx")

    def load(self, kind: str, weights: WeightSet) -> Runner:
        path = self.cache / f"{kind}-{weights_digest(kind, weights)[:16]}.onnx"
        if not path.is_file():
            from inference.backends.torch_backend import BUILDERS

            if kind not in BUILDERS:
                raise ValueError(f"onnx backend has no model kind {kind!r} (known: {', '.join(sorted(BUILDERS))})")
            self._export(kind, BUILDERS[kind](weights), path)  # a ModuleRunner: module + I/O names and shapes
        return OnnxRunner(kind, path)

    def ready(self, kind: str) -> bool:
        from inference.backends.torch_backend import BUILDERS

        return kind in BUILDERS

    def kinds(self) -> list[str]:
        from inference.backends.torch_backend import BUILDERS

        return list(BUILDERS)

    @staticmethod
    def _export(kind: str, reference, path: Path) -> None:
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        examples = tuple(torch.from_numpy(rng.standard_normal((EXAMPLE_BATCH, *tail)).astype(np.float32))
                         for tail in reference.inputs.values())
        batch = torch.export.Dim("batch")
        dynamic = {name: {0: batch} for name in reference.inputs}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with _quiet_exporter():
                torch.onnx.export(reference.module.eval(), examples, str(tmp), input_names=list(reference.inputs),
                                  output_names=[f"{n}{OUT_SUFFIX}" if n in reference.inputs else n
                                                for n in reference.outputs], dynamic_shapes=dynamic, dynamo=True,
                                  external_data=False, verbose=False)
            os.replace(tmp, path)
        except Exception as e:  # the exporter raises many types; say which model could not be exported
            first_line = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip().split("\n")[0]  # drop terminal colours
            raise BackendNotReady(f"ONNX export of {kind} failed: {type(e).__name__}: {first_line}") from None
        finally:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter logs registry chatter (missing torchvision ops) and progress lines; keep our output clean."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
