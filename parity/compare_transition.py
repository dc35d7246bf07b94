"""One whole RSMT transition through the torch reference and a candidate backend (the GUI compare view and
``python main.py compare`` call :func:`compare_transition`).

Two modes:

- free-running: each backend generates the transition on its own (its own rollout, so differences can
  grow frame by frame); compared are the world positions the networks produced
  (``TransitionResult.network_positions``, (L, J, 3), file units, the model's feature joint order);
- teacher-forced: the rollout follows the reference, and every network call is also made on the
  candidate with exactly the same inputs; compared are the per-step outputs of the step graph: the
  positions of the position-predicted joints (``pos``, dataset units) and the 6D rotations.

Centimetres: positions in dataset units are file units x ``model.position_scale``; for the shipped
DeepMimic-trained model (metre clips, scale 100) dataset units are centimetres.
Latencies: every network call is timed; ``latency_us[backend]`` lists the step-graph calls of the
generated frames (one per frame) of that backend's free-running transition.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from inference.rsmt.batch import WARMUP
from inference.rsmt.models import RSMTModel
from inference.rsmt.transition import TransitionGenerator, TransitionRequest
from parity.rows import CompareRow, errors

STEP = "rsmt_sampler_step"
FINISH = "rsmt_finish"  # the post-processing (inference.rsmt.finish.finish_frames or a backend's own), not a network
FINISH_OUTPUTS = ("local", "root", "positions")


class _RecordingGenerator(TransitionGenerator):
    """Runs `backend`'s runners, timing every call; with a `shadow` backend it also calls the shadow's
    runner on the same inputs and records both outputs (teacher forcing: the primary's output goes on)."""

    def __init__(self, model: RSMTModel, shadow: str | None = None):
        super().__init__(model)
        self.shadow = shadow
        self.calls: dict[str, list[tuple[dict, dict | None, float]]] = defaultdict(list)

    def runner(self, backend: str, kind: str):
        primary = super().runner(backend, kind)
        shadow = super().runner(self.shadow, kind) if self.shadow else None
        calls = self.calls[kind]

        def call(**inputs):
            t0 = time.perf_counter_ns()
            out = primary(**inputs)
            elapsed = (time.perf_counter_ns() - t0) / 1e3
            calls.append((out, shadow(**inputs) if shadow else None, elapsed))
            return out

        return call

    def _finisher(self, backend: str):
        """The post-processing, recorded as the runners are; with a shadow, the shadow's also run on the same
        sampler outputs."""
        primary = super()._finisher(backend)
        shadow = super()._finisher(self.shadow) if self.shadow else None
        calls = self.calls[FINISH]

        def call(pos, rot, inputs):
            t0 = time.perf_counter_ns()
            out = primary(pos, rot, inputs)
            elapsed = (time.perf_counter_ns() - t0) / 1e3
            calls.append((dict(zip(FINISH_OUTPUTS, out)),
                          dict(zip(FINISH_OUTPUTS, shadow(pos, rot, inputs))) if shadow else None, elapsed))
            return out

        return call

    def has_kind(self, backend: str, kind: str) -> bool:
        """A kind is used only where the shadow has it too (else both take the path without it)."""
        return super().has_kind(backend, kind) and (self.shadow is None or super().has_kind(self.shadow, kind))


@dataclass
class TransitionReport:
    reference: str
    candidate: str
    length: int
    joint_names: tuple[str, ...]
    position_scale: float
    rows: list[CompareRow] = field(default_factory=list)
    free_running: dict = field(default_factory=dict)  # per_frame_/per_joint_ file / cm, positions per backend
    teacher_forced: dict = field(default_factory=dict)  # per_frame_/per_joint_ cm of the predicted joints
    latency_us: dict = field(default_factory=dict)  # backend -> per generated frame step latency
    ms_per_frame: dict = field(default_factory=dict)  # backend -> TransitionResult.ms_per_frame


def compare_transition(request: TransitionRequest, model: RSMTModel, candidate: str = "max",
                       reference: str = "torch") -> TransitionReport:
    """The request's transition on both backends (request.backend is ignored). BackendNotReady when a
    candidate model is not compiled."""
    scale = float(model.position_scale)
    results, latency = {}, {}
    for name in (reference, candidate):
        gen = _RecordingGenerator(model)
        results[name] = gen.generate(replace(request, backend=name, whole_rollout=False))
        latency[name] = [t for _, _, t in gen.calls[STEP][-results[name].length:]]
    ref, cand = results[reference], results[candidate]
    report = TransitionReport(reference, candidate, ref.length, ref.joint_names, scale,
                              latency_us=latency, ms_per_frame={n: r.ms_per_frame for n, r in results.items()})

    dist = np.linalg.norm(cand.network_positions.astype(np.float64) - ref.network_positions, axis=-1)  # (L, J)
    report.free_running = {
        "per_frame_file": dist.max(1).tolist(), "per_joint_file": dist.max(0).tolist(),
        "per_frame_cm": (dist.max(1) * scale).tolist(), "per_joint_cm": (dist.max(0) * scale).tolist(),
        "positions": {reference: ref.network_positions.tolist(), candidate: cand.network_positions.tolist()}}
    max_abs, max_rel = errors(cand.network_positions, ref.network_positions)
    report.rows.append(CompareRow("transition", "positions", "free-running", max_abs, max_rel,
                                  detail={"length": ref.length, "max_cm": float(dist.max() * scale)}))

    forced = _RecordingGenerator(model, shadow=candidate)
    forced.generate(replace(request, backend=reference, whole_rollout=False))
    steps = forced.calls[STEP][-ref.length:]
    for output in ("pos", "rot"):
        a = np.stack([r[output][0] for r, _, _ in steps]).astype(np.float64)
        b = np.stack([c[output][0] for _, c, _ in steps])
        max_abs, max_rel = errors(b, a)
        report.rows.append(CompareRow("transition", output, "teacher-forced", max_abs, max_rel))
        if output == "pos":  # (L, n_pos, 3) dataset units
            d = np.linalg.norm(b - a, axis=-1)
            names = [model.roles.names[j] for j in model.cfg.pos_rep_idx]
            report.teacher_forced = {"joints": names, "per_frame_cm": d.max(1).tolist(), "per_joint_cm": d.max(0).tolist(),
                                     "per_frame_file": (d.max(1) / scale).tolist(),
                                     "per_joint_file": (d.max(0) / scale).tolist()}
    # the warm-up where both have it; the post-processing on the reference's sampler outputs (local rotations and
    # roots after landing and foot locking: max-mojo's runs in Mojo, torch's is the numpy reference)
    for kind in ("rsmt_phase", "rsmt_sampler_style", "rsmt_sampler_target", WARMUP, FINISH):
        for r, c, _ in forced.calls[kind][:1]:
            for output in r:
                max_abs, max_rel = errors(c[output], r[output])
                report.rows.append(CompareRow(kind, output, "teacher-forced", max_abs, max_rel, 1))
    return report
