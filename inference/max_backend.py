"""The MAX backend: the networks of inference/maxgraphs/, run from MEFs compiled ahead of time.

It only ever loads compiled models (milliseconds); compiling is `python main.py compile` or
`MefStore.ensure` (a spawned process, 40-80 s per graph). A model that is not compiled raises
BackendNotReady saying so: this backend never falls back to torch.
"""
from __future__ import annotations

from inference.backend import Backend, BackendNotReady, Runner, register
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


@register
class MaxMojoBackend(MaxBackend):
    """MAX with the Mojo kernels of mojo/. Today only the DeepMimic networks have a Mojo path: the batch-1
    control step runs on the Mojo GEMV extension (inference/mojo_mlp.py), because one MAX ``execute``
    dispatch (20-30 us) costs more than the whole 3 MB weight stream. The RSMT graphs do not use the Mojo
    custom ops yet, so for them this backend says it is not available instead of running the plain MAX
    graphs under the "max-mojo" name. `runner_impl(kind)` says which path a kind takes."""

    name = "max-mojo"
    ops_impl = "mojo"
    EXTENSION_KINDS = ("deepmimic_actor", "deepmimic_critic")

    def runner_impl(self, kind: str) -> str | None:
        return "mojo-extension" if kind in self.EXTENSION_KINDS else None

    def load(self, kind: str, weights: WeightSet) -> Runner:
        if kind not in self.EXTENSION_KINDS:
            raise BackendNotReady(f"max-mojo has no Mojo implementation of {kind} yet (use the max backend); "
                                  f"it has: {', '.join(self.EXTENSION_KINDS)}")
        from inference.mojo_mlp import deepmimic_runner
        from motion.mojo_build import MojoBuildError

        try:
            return deepmimic_runner(kind, weights)
        except MojoBuildError as e:
            raise BackendNotReady(f"the Mojo kernels are not built ({e}): run `scripts/build_mojo.sh`") from None

    def ready(self, kind: str) -> bool:
        if kind not in self.EXTENSION_KINDS:
            return False
        from motion.mojo_build import is_current

        return is_current()
