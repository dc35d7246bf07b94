"""The MAX backend: the networks of inference/maxgraphs/, run from MEFs compiled ahead of time.

It only ever loads compiled models (milliseconds); compiling is `python main.py compile` or
`MefStore.ensure` (a spawned process, 40-80 s per graph). A model that is not compiled raises
BackendNotReady saying so: this backend never falls back to torch.
"""
from __future__ import annotations

from inference.backend import Backend, Runner, register
from inference.maxgraphs import BUILDERS
from inference.mef_store import READY, MefStore
from inference.weights import WeightSet


@register
class MaxBackend(Backend):
    name = "max"
    ops_impl = "composed"  # a Mojo custom-op backend ("max-mojo") subclasses with its own ops_impl

    def __init__(self, store: MefStore | None = None):
        self.store = store if store is not None else MefStore(ops_impl=self.ops_impl)

    def load(self, kind: str, weights: WeightSet) -> Runner:
        if kind not in BUILDERS:
            raise ValueError(f"max backend has no model kind {kind!r} (known: {', '.join(sorted(BUILDERS))})")
        return self.store.load(kind, weights)

    def ready(self, kind: str) -> bool:
        """Whether the default preset of `kind` is compiled (weights of other sizes may still need a compile)."""
        return kind in BUILDERS and self.store.status(kind) == READY
