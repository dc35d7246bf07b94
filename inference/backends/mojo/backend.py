"""The max-mojo backend: the MAX backend plus the fused Mojo kernels of this package (see MaxMojoBackend)."""
from __future__ import annotations

from inference.backends.base import BackendNotReady, Runner, register
from inference.backends.max.backend import MaxBackend
from inference.backends.max.graphs import BUILDERS
from inference.weights import WeightSet


@register
class MaxMojoBackend(MaxBackend):
    """MAX plus fused Mojo kernels where a batch-1 step pays MAX's per-call dispatch (20-30 us) many times:

    - deepmimic_actor, deepmimic_critic: the Mojo GEMV MLP (inference/backends/mojo/mlp.py), one control step per call;
    - rsmt_warmup, rsmt_sampler_step, rsmt_rollout: the fused sampler (inference/backends/mojo/sampler.py), the
      warm-up on the context, a frame or a whole transition per call;
    - the once-per-request networks (PAE phase, style and target encoders, manifold decoder): their layers
      and convolutions on the multi-threaded Mojo GEMM (inference/backends/mojo/networks.py), which beats
      both a MAX graph's per-call dispatch at batch 1 and its kernels at batch 64.

    `runner_impl(kind)` says which path a kind takes. The Mojo custom ops inside MAX graphs (atan2, ELU, MoE
    blend, LSTM cell, FK, 6D) are the graph builders' ops_impl="mojo" switch, timed against the composed ops
    by benchmarks/mojo_kernels.py. Not built Mojo kernels make a kind BackendNotReady, never torch."""

    name = "max-mojo"
    EXTENSION_KINDS = ("deepmimic_actor", "deepmimic_critic", "rsmt_warmup", "rsmt_sampler_step", "rsmt_rollout",
                       "rsmt_phase", "rsmt_manifold_decoder", "rsmt_sampler_style", "rsmt_sampler_target")

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
        from inference.backends.mojo.build import MojoBuildError

        try:
            if kind.startswith("deepmimic"):
                from inference.backends.mojo.mlp import deepmimic_runner

                return deepmimic_runner(kind, weights)
            from inference.backends.mojo.networks import RUNNERS

            if kind in RUNNERS:
                return RUNNERS[kind](weights)
            from inference.backends.mojo.sampler import SamplerRunner

            return SamplerRunner(kind, weights)
        except MojoBuildError as e:
            raise _not_built(e) from None

    def transition_finish(self):
        """A transition's post-processing in one Mojo call (inference/backends/mojo/finish.py); BackendNotReady
        when the kernels are not built."""
        from inference.backends.mojo.build import MojoBuildError, extension
        from inference.backends.mojo.finish import finish_frames

        try:
            extension()
        except MojoBuildError as e:
            raise _not_built(e) from None
        return finish_frames

    def ready(self, kind: str) -> bool:
        if kind not in self.EXTENSION_KINDS:
            return super().ready(kind)
        from inference.backends.mojo.build import is_current

        return is_current()


def _not_built(e: Exception) -> BackendNotReady:
    return BackendNotReady(f"the Mojo kernels are not built ({e}): run `scripts/build_mojo.sh`")
