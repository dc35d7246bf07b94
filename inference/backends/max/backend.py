"""The MAX backend: the networks of inference/backends/max/graphs/, run from MEFs compiled ahead of time.

It only ever loads compiled models (milliseconds); compiling is `python main.py compile` or
`MefStore.ensure` (a spawned process, 40-80 s per graph). A model that is not compiled raises
BackendNotReady saying so: this backend never falls back to torch.
"""
from __future__ import annotations

from inference.backends.base import Backend, Runner, register
from inference.backends.max.graphs import BUILDERS
from inference.backends.max.store import READY, MefStore
from inference.weights import WeightSet


@register
class MaxBackend(Backend):
    name = "max"

    def __init__(self, store: MefStore | None = None):
        self.store = store if store is not None else MefStore()

    def load(self, kind: str, weights: WeightSet) -> Runner:
        if kind not in BUILDERS:
            raise ValueError(f"max backend has no model kind {kind!r} (known: {', '.join(sorted(BUILDERS))})")
        return self.store.load(kind, weights)

    def ready(self, kind: str) -> bool:
        """Whether the default preset of `kind` is compiled (weights of other sizes may still need a compile)."""
        return kind in BUILDERS and self.store.status(kind) == READY

    def kinds(self) -> list[str]:
        """Every network kind this backend runs (compiled or not)."""
        return list(BUILDERS)

    def compiled_kinds(self, kinds) -> list[str]:
        """Those of `kinds` that this backend runs from compiled MAX models (MEFs)."""
        return [k for k in kinds if k in BUILDERS]
