"""Helpers shared by the MAX graph builders: the graph description the store compiles, weights declared as
external ``Weight``s, and the ``ops_impl`` switch point.

``ops_impl`` selects how ops that MAX lacks, or that pay to fuse, are made: ``"composed"`` builds them from
MAX primitives, ``"mojo"`` swaps in the Mojo custom ops of inference/backends/mojo/ops.py op by op (atan2 in the PAE,
ELU, the mixture-of-experts blend, the LSTM cell), without touching the builders' layer structure. A builder
opens `ops_scope(ops_impl)` around its graph (which also gives the Graph the kernel package it then needs);
the shared layer helpers ask `use_mojo_ops()` instead of taking the switch as one more argument each.

The device a graph runs on (``--device``, inference/backends/max/device.py) is the same kind of switch:
`device_scope(device)` around a build, and every input, weight and constant asks `device_ref()`.
"""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from max.dtype import DType
from max.graph import DeviceRef, Graph, TensorType, TensorValue, Weight

OPS_IMPLS = ("composed", "mojo")  # "mojo": Mojo custom ops from inference/backends/mojo/ops.py, see graph_kwargs
BATCH = "batch"  # the symbolic leading dimension of every input and output


_PRINT_COUNTER = re.compile(r"\{counter = \d+ : i64\}")


@dataclass(frozen=True)
class GraphSpec:
    """A built graph plus what the runner needs to call it by name.

    inputs/outputs -- runner keyword names in the graph's argument/result order
    """

    kind: str
    graph: Graph
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def structure_hash(self) -> str:
        """Hash of the graph's textual IR, its I/O names and the bytes of any custom-kernel libraries it
        uses (the IR names them by path only): changes whenever the compiled code would, never with weight
        values (those are external)."""
        # printing a Graph bumps a "{counter = N : i64}" attribute of its module each time: not structure
        text = _PRINT_COUNTER.sub("", str(self.graph))
        h = hashlib.sha256(f"{self.kind}\n{self.inputs}\n{self.outputs}\n{text}".encode())
        for library in self.graph.kernel_libraries_paths:
            root = Path(library)
            for f in sorted(root.rglob("*")) if root.is_dir() else [root]:
                if f.is_file():
                    h.update(f.name.encode() + f.read_bytes())
        return h.hexdigest()


def check_ops_impl(ops_impl: str) -> None:
    if ops_impl not in OPS_IMPLS:
        raise ValueError(f"unknown ops_impl {ops_impl!r} (choose {', '.join(OPS_IMPLS)})")


_OPS_IMPL: ContextVar[str] = ContextVar("ops_impl", default="composed")
_DEVICE: ContextVar[str] = ContextVar("device", default="cpu")


@contextmanager
def device_scope(device: str):
    """``with device_scope("gpu"):`` graphs built inside run on the first GPU ("cpu": the default)."""
    if device not in ("cpu", "gpu"):
        raise ValueError(f"unknown device {device!r} (choose cpu, gpu)")
    token = _DEVICE.set(device)
    try:
        yield
    finally:
        _DEVICE.reset(token)


def device_name() -> str:
    """"cpu" or "gpu": where the graph being built runs (see device_scope)."""
    return _DEVICE.get()


def device_ref() -> DeviceRef:
    """Where the graph being built runs (see device_scope)."""
    return DeviceRef.GPU() if _DEVICE.get() == "gpu" else DeviceRef.CPU()


@contextmanager
def ops_scope(kind: str, input_types, ops_impl: str):
    """``with ops_scope(kind, input_types, ops_impl) as graph:`` a Graph whose layer helpers use `ops_impl`."""
    token = _OPS_IMPL.set(ops_impl)
    try:
        with Graph(kind, input_types=input_types, **graph_kwargs(ops_impl)) as graph:
            yield graph
    finally:
        _OPS_IMPL.reset(token)


def use_mojo_ops() -> bool:
    """Whether the graph being built takes the Mojo custom ops (see the module docstring)."""
    return _OPS_IMPL.get() == "mojo"


def graph_kwargs(ops_impl: str) -> dict:
    """Extra ``Graph(...)`` keyword arguments an ops_impl needs: with "mojo", the compiled Mojo kernel
    package (``custom_extensions``), without which a graph calling inference.backends.mojo.ops fails to compile."""
    check_ops_impl(ops_impl)
    if ops_impl == "mojo":
        if device_name() != "cpu":
            raise ValueError("the Mojo custom ops (ops_impl mojo) run on the CPU only; use ops_impl composed")
        from inference.backends.mojo.ops import custom_extensions

        return {"custom_extensions": custom_extensions()}
    return {}


def batched_input(width: int) -> TensorType:
    """A float32 (batch, width) input on the graph's device, batch symbolic."""
    return TensorType(DType.float32, (BATCH, width), device=device_ref())


def weight(graph: Graph, name: str, shape: tuple[int, ...]) -> TensorValue:
    """A float32 external weight `name`, supplied at load time from the WeightSet tensor of the same name."""
    return graph.add_weight(Weight(name, DType.float32, shape, device_ref()))


def linear(graph: Graph, x: TensorValue, prefix: str, n_in: int, n_out: int) -> TensorValue:
    """x @ W.T + b with torch's Linear layout: `{prefix}.weight` (n_out, n_in) and `{prefix}.bias` (n_out,)."""
    w = weight(graph, f"{prefix}.weight", (n_out, n_in))
    b = weight(graph, f"{prefix}.bias", (n_out,))
    return x @ w.T + b
