"""Timings and memory of the backends side by side: PyTorch eager (the reference), MAX, ONNX Runtime and
any other registered backend (e.g. a Mojo-kernel one) — backends are a list, never hard-coded pairs.

For each case (each network kind at batch 1 and batch 64; the DeepMimic policy step as the controller calls
it; the end-to-end transition, `transition_e2e_<L>f`) the backends run *interleaved* (inference/
timing.py): medians of `runs` calls after `warmup` untimed ones, with `ratio_vs_torch` = median / torch's
median (above 1: slower than PyTorch). The end-to-end rows are also printed as speed-ups over torch and over
ONNX Runtime (`PEER`), with their prepare / networks / post breakdown (`_bench_transition_e2e`). Besides: how long loading each model took (MAX: reading its MEF),
the resident memory of a worker process holding the model on one backend alone (parity/rss_probe.py),
and, opt-in, cold and warm MAX compile times (a fresh MODULAR kernel cache in the spawned compile worker).

`run_bench(config, progress, cancel)` is Qt-free; the GUI benchmark panel drives it from a worker thread.
"""
from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from inference.backends.base import ALL_BACKENDS, MAX_BACKENDS, Backend, BackendNotReady, get_backend
from inference.networks.rsmt_config import TRANSITION_KINDS
from inference.rsmt.transition import TransitionGenerator
from parity.compare import DEEPMIMIC_KINDS, default_weights, network_inputs, not_compiled, require_compiled
from parity.timing import Timing, interleaved

REFERENCE = "torch"
PEER = "onnx"  # the outside peer the end-to-end speed-ups are also given against
POLICY_STEP = "deepmimic_policy_step"
TRANSITION_LENGTHS = (10, 30, 60)
E2E = "transition_e2e"
E2E_PARTS = ("prepare", "networks", "post")  # the breakdown rows: f"{case}_{part}"
RIG_LENGTH = 30  # the variant with a source on another rig: CMU 01_01 from the shared data, when it is there
RIG_SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "bvh" / "cmu_01_01.bvh"
RIG_SOURCE_FRAME = 400  # 120 fps: 3.3 s in, walking
BATCHED_TRANSITIONS = "transitions_batched"  # rows: N transitions' sampler work in one batch (inference/rsmt/batch.py)
BATCHED_LENGTH = 30


@dataclass(frozen=True)
class BenchConfig:
    backends: tuple[str, ...] | None = None  # None: every registered backend that can run here
    kinds: tuple[str, ...] | None = None  # None: every network kind the torch reference has
    batches: tuple[int, ...] = (1, 64)
    runs: int = 30
    warmup: int = 5
    policy: str = "walk"
    preset: str = "lite"  # RSMT network sizes
    model: str | None = None  # a shipped transition model (humanoid3d, bandai): its trained weights and transitions
    memory: bool = True
    compile_times: bool = False  # cold + warm MAX compiles: about a minute per model
    e2e_only: bool = False  # only the end-to-end transition rows

    @staticmethod
    def quick() -> "BenchConfig":
        """A smoke run: the DeepMimic cases only, few repeats (numbers are indicative, not stable)."""
        return BenchConfig(kinds=DEEPMIMIC_KINDS, runs=5, warmup=1)


@dataclass
class BenchRow:
    case: str
    backend: str
    batch: int
    median_us: float
    ratio_vs_torch: float | None
    p10_us: float
    p90_us: float
    runs: int

    @property
    def items_per_s(self) -> float:
        return self.batch * 1e6 / self.median_us


@dataclass(frozen=True)
class BenchProgress:
    done: int
    total: int
    message: str

    def __str__(self) -> str:
        return f"[{self.done}/{self.total}] {self.message}"


@dataclass
class BenchReport:
    backends: list[str]
    rows: list[BenchRow] = field(default_factory=list)
    load: list[dict] = field(default_factory=list)  # {"case", "backend", "load_ms"}
    memory: list[dict] = field(default_factory=list)  # rss_probe reports
    compile: list[dict] = field(default_factory=list)  # {"kind", "mode": cold|warm, "compile_s", "wall_s"}
    skipped: list[dict] = field(default_factory=list)  # {"case", "backend", "reason"}
    cancelled: bool = False
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        rows = [dict(asdict(r), items_per_s=r.items_per_s) for r in self.rows]
        return {"backends": self.backends, "rows": rows, "load": self.load, "memory": self.memory,
                "compile": self.compile, "skipped": self.skipped, "cancelled": self.cancelled,
                "seconds": round(self.seconds, 3), "meta": self.meta}

    def table(self) -> str:
        lines = []
        width = max([26] + [len(r.case) for r in self.rows])
        head = f"{'case':<{width}} {'batch':>5} " + " ".join(f"{b + ' us':>12} {'x':>6}" for b in self.backends)
        lines += ["median time per call (x = ratio to torch; above 1 is slower)", head, "-" * len(head)]
        keyed = {(r.case, r.batch, r.backend): r for r in self.rows}
        for case, batch in dict.fromkeys((r.case, r.batch) for r in self.rows):
            cells = []
            for b in self.backends:
                r = keyed.get((case, batch, b))
                cells.append(f"{r.median_us:>12.1f} {_ratio(r.ratio_vs_torch):>6}" if r else f"{'-':>12} {'':>6}")
            lines.append(f"{case:<{width}} {batch:>5} " + " ".join(cells))
        lines += self._e2e_table()
        for case, paths in self.meta.get("transition_path", {}).items():
            lines.append(f"{case}: " + ", ".join(f"{name} {path}" for name, path in paths.items()))
        if "onnx_session" in self.meta:
            lines.append(f"onnx session: {self.meta['onnx_session']}; max-mojo GEMM threads: {self.meta['mojo_threads']}")
        if self.load:
            lines += ["", "model load (ms): " + ", ".join(f"{d['case']}/{d['backend']} {d['load_ms']:.1f}"
                                                         for d in self.load)]
        for m in self.memory:
            lines.append(f"RSS {m['backend']}-only worker holding {m['kind']}: {m['called_mb']:.0f} MB "
                         f"(after imports {m['imported_mb']:.0f} MB, peak {m['peak_mb']:.0f} MB)")
        for c in self.compile:
            lines.append(f"MAX compile {c['kind']} {c['mode']}: {c['compile_s']:.1f} s in the worker, "
                         f"{c['wall_s']:.1f} s wall")
        for s in self.skipped:
            lines.append(f"skipped {s['case']} on {s['backend']}: {s['reason']}")
        if self.cancelled:
            lines.append("cancelled: the report is partial")
        return "\n".join(lines)


    def _e2e_table(self) -> list[str]:
        """The end-to-end transition rows in ms, with speed-ups over torch and over ONNX Runtime side by side
        (above 1: faster) and the breakdown of each backend's median request."""
        keyed = {(r.case, r.backend): r for r in self.rows}
        cases = [c for c in dict.fromkeys(r.case for r in self.rows)
                 if c.startswith(E2E) and not c.endswith(tuple(f"_{p}" for p in E2E_PARTS))]
        if not cases:
            return []
        head = f"{'case':<26} " + " ".join(f"{b + ' ms':>12} {'/torch':>6} {'/' + PEER:>6}" for b in self.backends)
        lines = ["", "end-to-end transition, batch 1: request to finished Motion, style code cached (ms; /torch and "
                 f"/{PEER}: speed-up over them, above 1 is faster)", head, "-" * len(head)]
        for case in cases:
            ref, peer = keyed.get((case, REFERENCE)), keyed.get((case, PEER))
            cells = []
            for b in self.backends:
                r = keyed.get((case, b))
                if r is None:
                    cells.append(f"{'-':>12} {'':>6} {'':>6}")
                    continue
                up = lambda other: f"{other.median_us / r.median_us:.2f}" if other else ""  # noqa: E731
                cells.append(f"{r.median_us / 1e3:>12.2f} {up(ref):>6} {up(peer):>6}")
            lines.append(f"{case:<26} " + " ".join(cells))
            for part in E2E_PARTS:
                parts = [keyed.get((f"{case}_{part}", b)) for b in self.backends]
                lines.append(f"{'  ' + part:<26} " + " ".join(
                    f"{r.median_us / 1e3:>12.2f} {'':>6} {'':>6}" if r else f"{'-':>12} {'':>6} {'':>6}" for r in parts))
        return lines


def _ratio(r: float | None) -> str:
    return "" if r is None else f"{r:.2f}"


class Cancelled(Exception):
    pass


def available_backends() -> list[str]:
    """The registered backends, in ALL_BACKENDS order (a backend whose module registers nothing under
    that name, e.g. max-mojo before it exists, is left out)."""
    names = []
    for name in ALL_BACKENDS:
        try:
            get_backend(name)
        except (KeyError, ValueError, ImportError):
            continue
        names.append(name)
    return names


def _supports(backend: Backend, kind: str) -> bool:
    """Whether `backend` has a network for `kind` at all (compiled or not: not compiled is an error)."""
    return kind in backend.kinds()


def _selection(config: BenchConfig) -> tuple[list[str], list[str]]:
    """(backend names, torch first; network kinds) a run of `config` covers."""
    from inference.backends.torch_backend import BUILDERS

    names = list(config.backends) if config.backends else available_backends()
    if REFERENCE not in names:
        names.insert(0, REFERENCE)
    kinds = list(config.kinds) if config.kinds is not None else list(BUILDERS)
    if config.e2e_only:  # no network rows, no policy step, no memory probes
        kinds = [k for k in kinds if k in TRANSITION_KINDS]
    return names, kinds


def missing_models(config: BenchConfig) -> list[tuple[str, str | None]]:
    """(kind, preset) of every MAX model a run of `config` needs that is not compiled yet: the networks it
    times (run_bench refuses to start without them) and, when it times the whole transition, that
    transition's (else skipped). The benchmark panel offers to compile them (gui.max_models)."""
    names, kinds = _selection(config)
    missing = []
    for name in names:
        backend = get_backend(name)
        needed = [k for k in kinds if _supports(backend, k)]
        if TRANSITION_KINDS[-1] in kinds and all(_supports(backend, k) for k in TRANSITION_KINDS):
            whole = [k for k in ("rsmt_rollout",) if _supports(backend, k)]
            needed += [k for k in (*TRANSITION_KINDS, *whole) if k not in needed]
        missing += not_compiled(backend, needed, config.preset)
    return list(dict.fromkeys(missing))


def run_bench(config: BenchConfig = BenchConfig(), progress: Callable[[BenchProgress], None] | None = None,
              cancel: threading.Event | None = None) -> BenchReport:
    """Run every case on every backend. BackendNotReady propagates (a MAX model that is not compiled);
    a set `cancel` stops between steps and returns the partial report with `cancelled` set."""
    t_start = time.monotonic()
    names, kinds = _selection(config)
    backends = {n: get_backend(n) for n in names}
    for backend in backends.values():
        require_compiled(backend, [k for k in kinds if _supports(backend, k)], config.preset)
    steps: list[tuple[str, Callable[[], None]]] = []
    report = BenchReport(names, meta=_meta(config))
    weights_of: dict[str, object] = {}

    for kind in [] if config.e2e_only else kinds:
        steps.append((f"{kind}: batch {', '.join(map(str, config.batches))}",
                      lambda kind=kind: _bench_kind(kind, backends, config, report, weights_of)))
    if TRANSITION_KINDS[-1] in kinds:
        generators: dict[str, _TimedGenerator] = {}  # one per backend, its caches kept across the cases
        for length in TRANSITION_LENGTHS:
            steps.append((f"end-to-end transition, {length} frames", lambda length=length: _bench_transition_e2e(
                length, backends, config, report, generators)))
        steps.append((f"end-to-end transition, {RIG_LENGTH} frames, source on another rig",
                      lambda: _bench_transition_e2e(RIG_LENGTH, backends, config, report, generators, rig=True)))
        if not config.e2e_only:
            steps.append((f"batched transitions, batch {', '.join(map(str, BATCHED_SIZES))}",
                          lambda: _bench_batched_transitions(backends, config, report)))
    if "deepmimic_actor" in kinds:
        steps.append((f"{POLICY_STEP} ({config.policy})", lambda: _bench_policy_step(backends, config, report)))
    held = next((k for k in DEEPMIMIC_KINDS if k in kinds), None)  # a model with weights files on disk
    if config.memory and held is not None:
        for n in names:
            steps.append((f"memory of a {n}-only worker", lambda n=n: _probe_memory(n, held, config, report)))
    if config.compile_times:
        from inference.backends.max.graphs import kinds as max_kinds

        for kind in [k for k in kinds if k in max_kinds()]:
            steps.append((f"cold + warm MAX compile of {kind}", lambda kind=kind: _compile_times(kind, report)))

    say = progress or (lambda p: None)
    for i, (message, step) in enumerate(steps):
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        say(BenchProgress(i, len(steps), message))
        step()
    else:
        say(BenchProgress(len(steps), len(steps), "done"))
    report.seconds = time.monotonic() - t_start
    return report


def _bench_kind(kind: str, backends: dict[str, Backend], config: BenchConfig, report: BenchReport,
                weights_of: dict) -> None:
    weights = weights_of.setdefault(kind, default_weights(kind, config.policy, config.preset, model=config.model))
    runners = {}
    for name, backend in backends.items():
        if not _supports(backend, kind):
            report.skipped.append({"case": kind, "backend": name, "reason": f"no {name} network for {kind}"})
            continue
        if name in MAX_BACKENDS:
            backend.store.session()  # created once per process; not part of a model's load time
        t0 = time.perf_counter()
        try:
            runners[name] = backend.load(kind, weights)
        except BackendNotReady as e:  # e.g. a module torch.export cannot trace: listed, never replaced
            if name == REFERENCE:
                raise
            report.skipped.append({"case": kind, "backend": name, "reason": str(e)})
            continue
        report.load.append({"case": kind, "backend": name, "load_ms": (time.perf_counter() - t0) * 1e3})
    shapes = runners[REFERENCE].inputs
    for batch in config.batches:
        inputs = network_inputs(kind, weights, shapes, batch)
        cases = {name: (lambda r=r: r(**inputs)) for name, r in runners.items()}
        _add_rows(report, kind, batch, interleaved(cases, runs=config.runs, warmup=config.warmup))


class _TimedGenerator(TransitionGenerator):
    """A generator that adds up the time spent inside backend calls (`network_s`): the breakdown's networks."""

    def __init__(self, model):
        super().__init__(model)
        self.network_s = 0.0

    def runner(self, backend: str, kind: str):
        run = super().runner(backend, kind)

        def timed(**inputs):
            t0 = time.perf_counter()
            try:
                return run(**inputs)
            finally:
                self.network_s += time.perf_counter() - t0

        return timed


def _bench_transition_e2e(length: int, backends: dict[str, Backend], config: BenchConfig, report: BenchReport,
                          generators: dict, rig: bool = False) -> None:
    """The headline case: generate() of the fixed compare transition (parity.compare.transition_request: walk ->
    run in the jump's style), request to finished Motion: clip preparation, placement, phase, target code,
    rollout, post-processing with landing and foot locking. As the GUI and the service run it: one generator
    per backend kept across requests, so what depends on a clip alone (its 30 fps pose, the style code) is
    computed once (`inference.rsmt.clip_cache`), and each backend on its faster rollout path for this case
    (`_fastest_path`).
    With `rig`, the source is CMU 01_01 (31 joints, 120 fps): retargeted onto the model's skeleton (cached) and
    the result back onto the CMU skeleton (every request). Rows: f"transition_e2e_{length}f[_rig]" (wall time of
    generate(), interleaved), and its breakdown f"..._{part}" for E2E_PARTS: networks (inside backend calls),
    post (post-processing, retargeting back included), prepare (the rest: clips, windows, rollout loop)."""
    from parity.compare import transition_model, transition_request

    model, _ = transition_model(config.preset, model=config.model)
    request = transition_request(length)
    case = f"{E2E}_{length}f" + ("_rig" if rig else "")
    if rig:
        if not RIG_SOURCE.is_file():
            report.skipped.append({"case": case, "backend": "all", "reason": f"{RIG_SOURCE} is not there"})
            return
        from motion.bvh import read_bvh

        request = replace(request, source=read_bvh(RIG_SOURCE), source_frame=RIG_SOURCE_FRAME)
    cases, parts, last = {}, {}, {}
    for name, backend in backends.items():
        if name not in generators:
            gen = _TimedGenerator(model)
            if not _load_transition(gen, name, backend, case, report):
                continue
            generators[name] = gen
        gen = generators[name]
        # chosen for each case: at 10 frames max-mojo's two paths are within noise of each other (8.6-11.5 ms
        # either way), at 30 the whole rollout wins (11.7-12.1 vs 14.7-15.8 ms); chosen once at 10 frames, it
        # had put the 30- and 60-frame rows on the slower path in two of three runs
        whole = _fastest_path(gen, replace(request, backend=name), "rsmt_rollout" in backend.kinds(),
                              runs=min(10, config.runs))  # no more than the rows themselves get
        report.meta.setdefault("transition_path", {}).setdefault(case, {})[name] = (
            "whole rollout" if whole else "one step call per frame")
        parts[name], last[name] = {p: [] for p in E2E_PARTS}, {}
        cases[name] = lambda gen=gen, r=replace(request, backend=name, whole_rollout=whole), out=last[name]: \
            _generate_timed(gen, r, out)

    def keep_parts(name: str) -> None:  # the breakdown of the timed calls only (not warm-up or priming)
        for p in E2E_PARTS:
            parts[name][p].append(last[name][p])

    _add_rows(report, case, 1, interleaved(cases, runs=config.runs, warmup=config.warmup, after_sample=keep_parts))
    for part in E2E_PARTS:
        _add_rows(report, f"{case}_{part}", 1, {name: Timing(name, tuple(p[part])) for name, p in parts.items()})


def _load_transition(gen: TransitionGenerator, name: str, backend: Backend, case: str, report: BenchReport) -> bool:
    """Load `name`'s transition networks into `gen` (its whole-rollout graph where it has one); False, with the
    reason in `report.skipped` for `case`, when the backend cannot run them (the reference must)."""
    if not all(_supports(backend, k) for k in TRANSITION_KINDS):
        report.skipped.append({"case": case, "backend": name, "reason": f"no {name} networks for a transition"})
        return False
    try:
        gen.load(name, "rsmt_rollout" in backend.kinds())
    except BackendNotReady as e:
        if name == REFERENCE:
            raise
        report.skipped.append({"case": case, "backend": name, "reason": str(e)})
        return False
    return True


def _generate_timed(gen: _TimedGenerator, request, parts: dict[str, float]) -> None:
    """One generate(); its breakdown (us, like every row) into `parts`."""
    gen.network_s = 0.0
    timings = gen.generate(request).timings
    networks = gen.network_s * 1e3
    parts["networks"] = networks * 1e3
    parts["post"] = timings["postprocess"] * 1e3
    parts["prepare"] = (timings["total"] - networks - timings["postprocess"]) * 1e3


def _fastest_path(gen: TransitionGenerator, request, has_whole: bool, runs: int = 10) -> bool:
    """Whether the whole-rollout graph beats one step call per frame for this backend (medians of `runs`
    interleaved calls after one warm-up each: two primed blocks per path, as 3 calls in one block each let a
    noisy moment pick max-mojo's slower path); False when the backend has no "rsmt_rollout"."""
    if not has_whole:
        return False
    paths = {whole: (lambda whole=whole: gen.generate(replace(request, whole_rollout=whole))) for whole in (False, True)}
    t = interleaved(paths, runs=max(runs, 2), warmup=1)
    return t[True].median_us < t[False].median_us


BATCHED_SIZES = (1, 8, 64)


def rollout_inputs(gen, n: int, length: int, seed: int = 0) -> list:
    """`n` seeded transitions' sampler inputs (inference.rsmt.batch.RolloutInputs) of `length` frames: random
    canonical context and target frames, phase, noise, and the style code of random film features (torch)."""
    from inference.rsmt.batch import RolloutInputs

    cfg = gen.model.cfg
    rng = np.random.default_rng(seed)
    style = gen.runner(REFERENCE, "rsmt_sampler_style")
    items = []
    for _ in range(n):
        frames = cfg.past_frames + 2
        code = style(features=rng.standard_normal((1, cfg.style_channels, cfg.style_frames - 1)).astype(np.float32))
        items.append(RolloutInputs(0.3 * rng.standard_normal((frames, cfg.num_joints, 3)),
                                   rng.standard_normal((frames, cfg.num_joints, 6)),
                                   rng.standard_normal((cfg.phase_dim, 2)), {k: v.copy() for k, v in code.items()},
                                   0.5 * rng.standard_normal(2 * cfg.state_out), length))
    return items


def _bench_batched_transitions(backends: dict[str, Backend], config: BenchConfig, report: BenchReport) -> None:
    """The sampler work of N transitions of BATCHED_LENGTH frames in one batch (target encoder, warm-up,
    generated frames; inference.rsmt.batch.rollout_batch), each backend on its fastest path (whole rollouts
    where it has "rsmt_rollout"): one row per batch size; items_per_s is transitions per second."""
    from inference.rsmt.batch import rollout_batch
    from parity.compare import transition_model

    model, _ = transition_model(config.preset, model=config.model)
    gen = TransitionGenerator(model)
    usable = {name: "rsmt_rollout" in backend.kinds() for name, backend in backends.items()
              if _load_transition(gen, name, backend, BATCHED_TRANSITIONS, report)}
    for n in BATCHED_SIZES:
        items = rollout_inputs(gen, n, BATCHED_LENGTH)
        cases = {name: (lambda name=name, whole=whole: rollout_batch(gen, name, items, whole))
                 for name, whole in usable.items()}
        runs = max(3, config.runs // (4 if n > 8 else 1))  # a batch of 64 transitions takes about a second
        _add_rows(report, BATCHED_TRANSITIONS, n, interleaved(cases, runs=runs, warmup=min(config.warmup, 2)))


def _bench_policy_step(backends: dict[str, Backend], config: BenchConfig, report: BenchReport) -> None:
    """ActorPolicy.__call__ on a real env state: what the simulation loop pays per control step."""
    from sim.env import DeepMimicEnv
    from sim.policy import ActorPolicy

    with DeepMimicEnv(config.policy) as env:
        env.reset()
        state = env.state()
    policies = {name: ActorPolicy(config.policy, name) for name, b in backends.items()
                if _supports(b, "deepmimic_actor")}
    cases = {name: (lambda p=p: p(state)) for name, p in policies.items()}
    _add_rows(report, POLICY_STEP, 1, interleaved(cases, runs=config.runs, warmup=config.warmup))


def _add_rows(report: BenchReport, case: str, batch: int, timings) -> None:
    ref = timings.get(REFERENCE)
    for name, t in timings.items():
        p10, p90 = t.spread_us
        report.rows.append(BenchRow(case, name, batch, t.median_us,
                                    t.median_us / ref.median_us if ref is not None else None,
                                    p10, p90, len(t.samples_us)))


def _probe_memory(backend: str, kind: str, config: BenchConfig, report: BenchReport) -> None:
    from inference.deepmimic.policies import load_policy
    from parity.rss_probe import probe

    report.memory.append(probe(backend, kind, load_policy(config.policy).path))


def _compile_times(kind: str, report: BenchReport) -> None:
    """Cold: a fresh store whose worker gets an empty MODULAR kernel cache. Warm: the same model recompiled
    (--force) with that cache now filled, as `python main.py compile --force` does."""
    from inference.backends.max.store import READY, MefStore

    with tempfile.TemporaryDirectory(prefix="motion-studio-compile-") as tmp:
        store = MefStore(Path(tmp) / "max", kernel_cache=Path(tmp) / "modular")
        for mode, force in (("cold", False), ("warm", True)):
            t0 = time.monotonic()
            result = store.ensure([kind], force=force)
            wall = time.monotonic() - t0
            if any(state != READY for state in result.values()):
                raise RuntimeError(f"{mode} compile of {kind} failed: {store.failure(kind)}")
            report.compile.append({"kind": kind, "mode": mode, "compile_s": store.info(kind)["compile_s"],
                                   "wall_s": wall})


def _meta(config: BenchConfig) -> dict:
    import os
    import platform
    from importlib.metadata import version

    versions = {}
    for pkg in ("torch", "max", "onnxruntime"):
        try:
            versions[pkg] = version(pkg)
        except Exception:  # not installed: that backend is not in the list either
            versions[pkg] = None
    import torch

    from inference.backends.max.device import current as max_device
    from inference.backends.mojo.dense import default_threads
    from inference.backends.onnx_backend import session_settings

    return {"config": asdict(config), "versions": versions, "cpu_count": os.cpu_count(),
            "onnx_session": session_settings(), "mojo_threads": default_threads(),
            "torch_threads": torch.get_num_threads(), "machine": platform.machine(),
            "python": platform.python_version(), "max_device": max_device()}
