"""PyTorch reference vs another backend (MAX by default): how far apart are their outputs?

Three levels, each a list of :class:`CompareRow` (model, output, mode, max_abs, max_rel, + detail):

- per network (``compare_network``): every output of one model kind on a fixed, seeded batch of inputs,
  at batch 1 and batch 64, with the default weights and with random weights of the same structure;
- per DeepMimic episode (``compare_episode``): states recorded by running the torch policy in pybullet,
  replayed step by step (batch 1) through both backends; per-step differences and latencies;
- per whole transition (``compare_transition``, in parity/compare_transition.py).

``max_rel`` is the largest absolute difference divided by the reference output's largest magnitude
(elementwise relative errors blow up where the reference crosses zero, so they say little).

Nothing here falls back to torch: a candidate model that is not compiled raises BackendNotReady, whose
message tells the user to run ``python main.py compile``.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from inference.backends.base import Backend, BackendNotReady, Runner, get_backend
from inference.networks.rsmt_config import NETWORK_OF_KIND
from inference.weights import WeightSet
from parity.compare_transition import compare_transition
from parity.rows import CompareRow, errors

BATCHES = (1, 64)
DEEPMIMIC_KINDS = ("deepmimic_actor", "deepmimic_critic")
# the RSMT kinds compared one call at a time (the whole rollout is compared within the transition rows)
_RSMT_NETWORK = {k: v for k, v in NETWORK_OF_KIND.items() if k != "rsmt_rollout"}


@dataclass
class CompareReport:
    reference: str
    candidate: str
    rows: list[CompareRow] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"model", "reason"}: kinds the candidate lacks
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"reference": self.reference, "candidate": self.candidate, "seconds": round(self.seconds, 3),
                "rows": [asdict(r) for r in self.rows], "skipped": self.skipped}

    def table(self) -> str:
        head = f"{'model':<24} {'output':<14} {'mode':<15} {'batch':>5} {'weights':<8} {'max_abs':>10} {'max_rel':>10}"
        lines = [f"{self.reference} vs {self.candidate}", head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r.model:<24} {r.output:<14} {r.mode:<15} {'' if r.batch is None else r.batch:>5} "
                         f"{r.weights or '':<8} {r.max_abs:>10.3g} {r.max_rel:>10.3g}")
        for s in self.skipped:
            lines.append(f"{s['model']:<24} skipped: {s['reason']}")
        return "\n".join(lines)


# ---- which kinds, which weights, which inputs ------------------------------------------------------
def comparable_kinds(candidate: str) -> list[str]:
    """Model kinds the torch reference and `candidate` both have a network for (compiled or not)."""
    reference = get_backend("torch").kinds()
    return [k for k in get_backend(candidate).kinds() if k in reference]


def not_compiled(backend: Backend, kinds, preset: str = "lite") -> list[tuple[str, str | None]]:
    """(kind, preset) of each of `kinds` that `backend` runs from a compiled MAX model (MEF) not compiled yet
    (the DeepMimic kinds have one preset, None; RSMT kinds are checked at `preset`)."""
    needed = backend.compiled_kinds(kinds)
    if not needed:
        return []
    from inference.backends.max.store import READY

    wanted = [(k, None if k in DEEPMIMIC_KINDS else preset) for k in needed]
    return [(k, p) for k, p in wanted if backend.store.status(k, p) != READY]


def require_compiled(backend: Backend, kinds, preset: str = "lite") -> None:
    """For a MEF-backed backend: BackendNotReady naming every kind not compiled yet, before any work starts."""
    missing = [k for k, _ in not_compiled(backend, kinds, preset)]
    if missing:
        store = backend.store
        raise BackendNotReady(f"{backend.name} models not compiled yet: {', '.join(missing)} "
                              f"(store {store.mef_dir}): run `python main.py compile`")


def random_like(weights: WeightSet, seed: int) -> WeightSet:
    """Same tensor names and shapes as `weights`, seeded random values: ~N(0, 1/fan_in) matrices,
    positive `*.std` normalisers and BatchNorm `*.running_var`, 0.1 N(0, 1) for everything else."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, t in weights.tensors.items():
        if name.endswith((".std", ".running_var")):
            tensors[name] = rng.uniform(0.2, 2.0, t.shape).astype(np.float32)
        elif t.ndim >= 2:
            tensors[name] = (rng.standard_normal(t.shape) / np.sqrt(np.prod(t.shape[1:]))).astype(np.float32)
        else:
            tensors[name] = rng.standard_normal(t.shape).astype(np.float32) * 0.1
    return WeightSet(dict(weights.config), tensors)


def default_weights(kind: str, policy: str = "walk", preset: str = "lite", seed: int = 0,
                    model: str | None = None) -> WeightSet:
    """The weights a kind is compared with: the shipped DeepMimic policy, for RSMT networks the trained
    weights of the shipped `model` (humanoid3d, bandai) when one is named, else a freshly initialised
    network of `preset` (torch's own init, seeded)."""
    if kind in DEEPMIMIC_KINDS:
        from inference.deepmimic.policies import load_policy

        return load_policy(policy)
    if kind in _RSMT_NETWORK and model is not None:
        from inference.rsmt.models import model_weights

        return model_weights(model, _RSMT_NETWORK[kind].removeprefix("rsmt_"))
    if kind in _RSMT_NETWORK:
        import torch

        from inference.networks.rsmt_config import RSMTConfig
        from inference.networks.rsmt_networks import network_class, network_weights

        torch.manual_seed(seed)
        return network_weights(network_class(_RSMT_NETWORK[kind])(RSMTConfig.preset_named(preset)).eval())
    raise ValueError(f"no default weights for model kind {kind!r}")


def network_inputs(kind: str, weights: WeightSet, shapes: dict[str, tuple[int, ...]], batch: int,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """A fixed, seeded input batch: DeepMimic states drawn around the policy's state normaliser, a
    time-to-arrival as whole frames, everything else N(0, 1)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, tail in shapes.items():
        if kind in DEEPMIMIC_KINDS and name == "state":
            mean, std = weights.tensors["state_norm.mean"], weights.tensors["state_norm.std"]
            out[name] = (mean + std * rng.standard_normal((batch, *tail))).astype(np.float32)
        elif name == "tta":
            top = int(weights.config.get("rsmt", {}).get("max_transition", 40))
            out[name] = rng.integers(1, top, (batch, *tail)).astype(np.float32)
        else:
            out[name] = rng.standard_normal((batch, *tail)).astype(np.float32)
    return out


# ---- per network ----------------------------------------------------------------------------------
def compare_network(kind: str, weights: WeightSet, reference: Runner, candidate: Runner, *,
                    batches=BATCHES, seed: int = 0, label: str = "default") -> list[CompareRow]:
    """One row per output and batch size; `reference` must be a torch ModuleRunner (it knows the shapes)."""
    rows = []
    for batch in batches:
        inputs = network_inputs(kind, weights, reference.inputs, batch, seed)
        ref, got = reference(**inputs), candidate(**inputs)
        for name in reference.outputs:
            if name not in got:
                raise ValueError(f"{kind}: the candidate returned no output {name!r} (it gave {sorted(got)})")
            max_abs, max_rel = errors(got[name], ref[name])
            rows.append(CompareRow(kind, name, "single-step", max_abs, max_rel, batch, label))
    return rows


# ---- DeepMimic episode ----------------------------------------------------------------------------
@dataclass
class Episode:
    """Policy inputs recorded in the simulation, one per control step."""

    policy: str
    states: np.ndarray  # (steps, 197)
    actions: np.ndarray  # (steps, 36) the torch policy's actions as applied in the run
    fell: bool


def record_episode(policy: str = "walk", seconds: float = 3.0) -> Episode:
    """Run the shipped `policy` with the torch backend in pybullet and keep each step's state and action."""
    from sim.runner import DeepMimicRun

    states, actions = [], []
    with DeepMimicRun(policy, "torch") as run:
        summary = run.run(seconds, on_step=lambda s: (states.append(s.state), actions.append(s.action)))
    return Episode(policy, np.stack(states).astype(np.float32), np.stack(actions).astype(np.float32), summary.fell)


def compare_episode(episode: Episode, weights: WeightSet, reference: Runner, candidate: Runner,
                    reference_name: str = "torch", candidate_name: str = "max") -> CompareRow:
    """Replay the episode's states one by one (batch 1, as the controller calls the policy) through both
    backends; detail holds the per-step max abs action difference and each backend's per-step latency."""
    per_step, lat = [], {reference_name: [], candidate_name: []}
    worst_ref = 0.0
    for state in episode.states:
        x = {"state": state[None]}
        a, ta = _timed(lambda: reference(**x)["action"])
        b, tb = _timed(lambda: candidate(**x)["action"])
        lat[reference_name].append(ta)
        lat[candidate_name].append(tb)
        per_step.append(float(np.max(np.abs(a.astype(np.float64) - b))))
        worst_ref = max(worst_ref, float(np.max(np.abs(a))))
    max_abs = max(per_step)
    detail = {"policy": episode.policy, "steps": len(per_step), "fell": episode.fell,
              "per_step_max_abs": per_step, "latency_us": lat,
              "median_latency_us": {k: float(np.median(v)) for k, v in lat.items()}}
    return CompareRow("deepmimic_actor", "action", "episode", max_abs, max_abs / worst_ref if worst_ref else 0.0,
                      1, "default", detail)


def _timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter_ns()
    out = fn()
    return out, (time.perf_counter_ns() - t0) / 1e3


# ---- the whole report -----------------------------------------------------------------------------
def run_compare(models: list[str] | None = None, *, candidate: str = "max", preset: str = "lite",
                policy: str = "walk", episode_seconds: float = 3.0, seed: int = 0,
                progress: Callable[[str], None] | None = None, model: str | None = None) -> CompareReport:
    """Every comparable network (or just `models`), plus the DeepMimic episode when the actor is among them.
    model: a shipped RSMT model (humanoid3d, bandai): its RSMT networks (every comparable one unless `models`
    names some) with its trained weights (rows labelled with its name) at its sizes, and the transition with it.

    Raises BackendNotReady when a candidate model is not compiled, ValueError for an unknown model."""
    say = progress or (lambda message: None)
    t0 = time.monotonic()
    reference, other = get_backend("torch"), get_backend(candidate)
    known = comparable_kinds(candidate)
    report = CompareReport("torch", candidate)
    if model is not None:
        from inference.rsmt.models import model_preset

        preset = model_preset(model)
        known = [k for k in known if k in _RSMT_NETWORK]
    wanted = models or known
    for kind in wanted:
        if kind not in known:
            raise ValueError(f"{candidate} has no model {kind!r} to compare (comparable: {', '.join(known)})")
    require_compiled(other, wanted, preset)
    for kind in wanted:
        say(f"comparing {kind}")
        base = default_weights(kind, policy, preset, seed, model)
        for label, weights in ((model or "default", base), ("random", random_like(base, seed + 1))):
            ref_runner, cand_runner = reference.load(kind, weights), other.load(kind, weights)
            report.rows += compare_network(kind, weights, ref_runner, cand_runner, seed=seed, label=label)
            if kind == "deepmimic_actor" and label == "default" and episode_seconds > 0:
                say(f"recording a {episode_seconds:g} s {policy} episode with the torch policy")
                episode = record_episode(policy, episode_seconds)
                report.rows.append(compare_episode(episode, weights, ref_runner, cand_runner, "torch", candidate))
    if "rsmt_sampler_step" in wanted:
        say("comparing a whole transition (free-running and teacher-forced)")
        report.rows += transition_rows(candidate, preset, seed, model=model)
    for kind in _RSMT_NETWORK:
        if models is None and kind not in known:
            report.skipped.append({"model": kind, "reason": f"no {candidate} graph for it yet"})
    report.seconds = time.monotonic() - t0
    return report


def transition_model(preset: str = "lite", seed: int = 0, model: str | None = None):
    """The shipped `model` when one is named (label: its name); else the default RSMT model (assets/rsmt_lite)
    when it is there, else untrained weights of `preset` written to a temporary folder: (model, "default" |
    "random")."""
    import tempfile

    from inference.rsmt.models import DEFAULT_RSMT_DIR, MODEL_DIRS, load_rsmt, missing_rsmt_files, random_rsmt_weights

    if model is not None:
        return load_rsmt(MODEL_DIRS[model]), model
    if preset == "lite" and not missing_rsmt_files(DEFAULT_RSMT_DIR):
        return load_rsmt(), "default"
    with tempfile.TemporaryDirectory(prefix="motion-studio-rsmt-") as tmp:
        return random_rsmt_weights(tmp, preset, seed), "random"


def transition_request(length: int = 20, seed: int = 0):
    """The fixed transition of the reports: embedded walk (frame 30) -> run (frame 4) in the jump's style."""
    from inference.rsmt.transition import TransitionRequest
    from motion.deepmimic import load_embedded

    clips = {n: load_embedded(f"humanoid3d_{n}") for n in ("walk", "run", "jump")}
    return TransitionRequest(clips["walk"], clips["run"], length=length, source_frame=30, target_frame=4,
                             style=clips["jump"], seed=seed)


def transition_rows(candidate: str, preset: str = "lite", seed: int = 0, length: int = 20,
                    model: str | None = None) -> list[CompareRow]:
    rsmt, label = transition_model(preset, seed, model)
    report = compare_transition(transition_request(length, seed), rsmt, candidate)
    rows = report.rows
    for r in rows:
        r.weights = label
    rows[0].detail.update(free_running=report.free_running, teacher_forced=report.teacher_forced,
                          latency_us=report.latency_us, ms_per_frame=report.ms_per_frame,
                          joint_names=list(report.joint_names))
    return rows
