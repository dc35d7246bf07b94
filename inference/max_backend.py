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


@register
class MaxMojoBackend(MaxBackend):
    """MAX plus fused Mojo kernels where a batch-1 step pays MAX's per-call dispatch (20-30 us) many times:

    - deepmimic_actor, deepmimic_critic: the Mojo GEMV MLP (inference/mojo_mlp.py), one control step per call;
    - rsmt_sampler_step, rsmt_rollout: the fused sampler (inference/mojo_sampler.py), a frame or a whole
      transition per call;
    - every other kind (the once-per-request PAE phase, style and target encoders, the manifold decoder):
      its MAX graph, the same compiled model (MEF) as the max backend.

    `runner_impl(kind)` says which path a kind takes. The Mojo custom ops inside MAX graphs (atan2, ELU, MoE
    blend, LSTM cell, FK, 6D) are the graph builders' ops_impl="mojo" switch, timed against the composed ops
    by benchmarks/mojo_kernels.py. Not built Mojo kernels make a kind BackendNotReady, never torch."""

    name = "max-mojo"
    EXTENSION_KINDS = ("deepmimic_actor", "deepmimic_critic", "rsmt_sampler_step", "rsmt_rollout")

    def runner_impl(self, kind: str) -> str | None:
        if kind in self.EXTENSION_KINDS:
            return "mojo-extension"
        return "max-graph" if kind in BUILDERS else None

    def kinds(self) -> list[str]:
        return list(dict.fromkeys([*BUILDERS, *self.EXTENSION_KINDS]))

    def compiled_kinds(self, kinds) -> list[str]:
        return [k for k in super().compiled_kinds(kinds) if k not in self.EXTENSION_KINDS]

    def load(self, kind: str, weights: WeightSet) -> Runner:
        if kind not in self.EXTENSION_KINDS:
            return super().load(kind, weights)
        from motion.mojo_build import MojoBuildError

        try:
            if kind.startswith("deepmimic"):
                from inference.mojo_mlp import deepmimic_runner

                return deepmimic_runner(kind, weights)
            from inference.mojo_sampler import SamplerRunner

            return SamplerRunner(kind, weights)
        except MojoBuildError as e:
            raise BackendNotReady(f"the Mojo kernels are not built ({e}): run `scripts/build_mojo.sh`") from None

    def ready(self, kind: str) -> bool:
        if kind not in self.EXTENSION_KINDS:
            return super().ready(kind)
        from motion.mojo_build import is_current

        return is_current()
