"""The compiled-model store: MAX models compiled once, in a spawned process, and kept as MEF files.

Compiling a MAX graph costs 40 s (a DeepMimic MLP) to over 4 minutes (rsmt_phase) of one CPU core and
1-2 GB of memory, growing with the graph's size; MAX's kernel cache (``modular/``) makes compiling the same
graph again a matter of seconds but does not speed up a new graph. Loading a MEF takes milliseconds. So the app never compiles in its own process: `MefStore.ensure` runs
``python -m inference.backends.max.compile_worker`` (a fresh interpreter: MAX is not fork-safe) and relays its progress;
`MefStore.load` only reads MEFs and binds weights to them. A compile uses one core, so `ensure` runs one
worker per core (`compile_jobs`), smallest graph first, and reports overall progress (models done / total,
an estimate of the time left). Each model is written the moment it is done: a cancelled or killed run (the
app quit) keeps the finished ones, and the next run compiles only the rest.

Layout under the cache root (``$MOTION_STUDIO_CACHE/max``, default ``~/.cache/motion-studio/max``,
see inference/paths.py)::

    modular/                                MODULAR_CACHE_DIR of the compile worker (MAX's kernel cache)
    mef/max-<version>/<device target>/    ``x86-64-v3`` (portable), the host CPU (``x86_64-<hash of its model
                                            and flags>``) or ``gpu-<arch>``
        <kind>-<hash>.mef                   the compiled model
        <kind>-<hash>.json                  what it is: kind, structure, I/O names, compile time, and the
                                            SHA-256 and size of the .mef (written at compile time)
        <kind>-<hash>.compiling             pid and start time of the worker compiling it right now
        <kind>-<hash>.failed                the error of the last failed compile

Integrity: MAX crashes the process (SIGSEGV) on some damaged MEFs, so a MEF is handed to MAX only as the
bytes whose SHA-256 matched its sidecar, read once (`engine.read` of those bytes, not of the path). A model
whose MEF fails that check, or has no checksum (compiled by an older version), is deleted and compiled
again before it is loaded. A model counts as ready only with a readable sidecar whose size matches its MEF.

``<hash>`` hashes the graph's textual IR (never the weight values: those are external Weights), so one MEF
serves every WeightSet of the same structure, and a changed builder gets a new file.

Shipped models: a MEF holds machine code, so on an x86-64 CPU with AVX2 and FMA every model is compiled for the
x86-64-v3 level (`cpu_target`, `virtual_cpu`), whose code runs on every such CPU; the project ships all that
`compile` builds in assets/max (xz-compressed, with their sidecars; scripts/ship_mefs.py makes them). A model
missing from the store is copied from there, after its SHA-256 matched, instead of compiled (`_install_shipped`).
Other CPUs, or MOTION_STUDIO_CPU_TARGET=host, compile host code into a folder named after the CPU.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import lzma
import os
import platform
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from inference import threads
from inference.backends.base import BackendNotReady
from inference.backends.max import device as devices
from inference.backends.max.graphs import builder, kinds as known_kinds
from inference.paths import cache_dir
from inference.weights import WeightSet
from motion.atomic import atomic_path
from motion.processes import process_token, token_alive

MISSING, COMPILING, READY, FAILED = "missing", "compiling", "ready", "failed"
_log = logging.getLogger(__name__)


class StoreNotWritable(OSError):
    """The store's folder cannot be created or written (read-only, deleted parent, full disk)."""
EVENT_PREFIX = "@@compile-event "  # marks the worker's progress lines among anything else it prints
WORKER_MODULE = "inference.backends.max.compile_worker"  # run as `python -m`; only its processes hold `.compiling` markers
PROJECT_ROOT = Path(__file__).resolve().parents[3]
SHIPPED_ROOT = PROJECT_ROOT / "assets" / "max"  # MEFs shipped with the project, laid out as the store's mef/
SHIPPED_ENV = "MOTION_STUDIO_SHIPPED_MEFS"  # another folder of shipped MEFs, or empty: none (compile everything)


def shipped_root() -> Path | None:
    """Where stores find shipped MEFs: $MOTION_STUDIO_SHIPPED_MEFS when set (empty: nowhere), else SHIPPED_ROOT."""
    env = os.environ.get(SHIPPED_ENV)
    if env is None:
        return SHIPPED_ROOT
    return Path(env) if env.strip() else None


def cache_root() -> Path:
    """The app-owned MAX cache: ``$MOTION_STUDIO_CACHE/max``, else ``~/.cache/motion-studio/max``
    (``$XDG_CACHE_HOME`` honoured)."""
    return cache_dir("max")


@lru_cache(maxsize=1)
def max_version() -> str:
    from importlib.metadata import version

    return version("max")


PORTABLE_CPU = "x86-64-v3"  # LLVM's name for x86-64 with AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE (Haswell, Zen 1 on)
_PORTABLE_FLAGS = frozenset(  # /proc/cpuinfo names of what x86-64-v3 needs (v2's and v3's features)
    "cx16 lahf_lm popcnt pni ssse3 sse4_1 sse4_2 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave".split())
CPU_TARGET_ENV = "MOTION_STUDIO_CPU_TARGET"  # "portable" (default) or "host"


def _host_cpu() -> tuple[str, set[str]]:
    """(model name, ISA flags) of this machine's first CPU, from /proc/cpuinfo ("", {} elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            first = f.read().split("\n\n")[0]  # "key\t: value" lines (keys padded with tabs)
    except OSError:
        return platform.processor() or "", set()
    info = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in first.splitlines())}
    return info.get("model name", ""), set(info.get("flags", "").split())


@lru_cache(maxsize=1)
def cpu_target() -> str:
    """What CPU MEFs are compiled for, and the name of their folder.

    "x86-64-v3" on an x86-64 CPU that has its features (every x86-64 CPU since 2015), unless
    $MOTION_STUDIO_CPU_TARGET is "host": code for that level runs on every such CPU, so its MEFs can be shipped
    (assets/max) and a new machine needs no compile. Otherwise the host CPU itself, named by a hash of its model
    and flags: host code may use what only this CPU has (AVX-512 on some), which other CPUs cannot run."""
    model, flags = _host_cpu()
    host = os.environ.get(CPU_TARGET_ENV, "portable").strip().lower() == "host"
    if not host and platform.machine() in ("x86_64", "AMD64") and _PORTABLE_FLAGS <= flags:
        return PORTABLE_CPU
    ident = model + "|" + " ".join(sorted(flags))
    return f"{platform.machine()}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def virtual_cpu() -> str:
    """What a compile worker hands `max.driver.set_virtual_cpu_target`: the portable level, or "" (the host)."""
    return PORTABLE_CPU if cpu_target() == PORTABLE_CPU else ""


@lru_cache(maxsize=None)
def device_target(device: str) -> str:
    """Names what a MEF for `device` is compiled for: the host CPU (`cpu_target`) or the GPU's architecture."""
    if device == "cpu":
        return cpu_target()
    from max.driver import accelerator_architecture_name

    return "gpu-" + re.sub(r"[^A-Za-z0-9_.-]", "_", accelerator_architecture_name())


COMPILE_JOBS_ENV = "MOTION_STUDIO_COMPILE_JOBS"
COMPILE_PEAK_BYTES = 2_200_000_000  # a cold compile's peak resident memory (rsmt_phase: 2.1 GB here)


def compile_jobs() -> int:
    """How many models `ensure` compiles at once: $MOTION_STUDIO_COMPILE_JOBS, else one per CPU core this
    process may use (a compile is mostly single-threaded), as many as the available memory holds."""
    env = os.environ.get(COMPILE_JOBS_ENV, "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        with open("/proc/meminfo") as f:
            meminfo = dict(line.split(":", 1) for line in f if ":" in line)
        available = int(meminfo["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError, IndexError):
        return max(1, cores)
    return max(1, min(cores, available // COMPILE_PEAK_BYTES))


def _duration(seconds: float) -> str:
    """"45 s", "2 min 5 s"."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


@dataclass(frozen=True)
class CompileProgress:
    """One progress report from `MefStore.ensure`.

    kind, preset -- the model it is about; index -- its place in the compile order (smallest first)
    total  -- how many models this `ensure` compiles
    state  -- "compiling" (sent when a compile starts and then every `tick_s` while it runs), "ready",
              "failed", or "busy" (another process is compiling this model)
    elapsed_s -- how long this model has compiled (its compile time, once ready)
    done   -- models finished (ready or failed) so far; eta_s -- estimated seconds until all are, None until
              the first one has finished (the estimate assumes the rest take as long as the slowest so far)
    """

    kind: str
    preset: str
    index: int
    total: int
    state: str
    elapsed_s: float
    message: str = ""
    done: int = 0
    eta_s: float | None = None

    def overall(self) -> str:
        """"2/5 models done, about 1 min 20 s left"."""
        left = f", about {_duration(self.eta_s)} left" if self.eta_s is not None and self.done < self.total else ""
        return f"{self.done}/{self.total} models done{left}"

    def __str__(self) -> str:
        where = f"{self.kind} ({self.index}/{self.total})"
        if self.state == COMPILING:
            return f"compiling {where} ... {self.elapsed_s:.1f} s"
        if self.state == READY:
            return f"compiled {where} in {self.elapsed_s:.1f} s"
        if self.state == "busy":
            return f"{where} is being compiled by another process ({self.message})"
        return f"failed to compile {where} after {self.elapsed_s:.1f} s: {self.message}"


class MaxRunner:
    """Calls a loaded MAX model by name: runner(state=array) -> {"action": array}.

    Keeps the weight arrays alive: MAX references them zero-copy. On a GPU the inputs are copied to the
    device and the outputs back to host memory."""

    def __init__(self, kind: str, model, inputs: tuple[str, ...], outputs: tuple[str, ...],
                 registry: dict[str, np.ndarray], device=None):
        self.kind, self._model, self.inputs, self.outputs = kind, model, inputs, outputs
        self._registry = registry
        self._device = device  # a max.driver Accelerator, or None: the host CPU

    def __call__(self, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        if set(arrays) != set(self.inputs):
            raise ValueError(f"{self.kind} takes inputs {list(self.inputs)}, got {sorted(arrays)}")
        args = [np.ascontiguousarray(arrays[name], dtype=np.float32) for name in self.inputs]
        if self._device is not None:
            from max.driver import Buffer

            args = [Buffer.from_numpy(a).to(self._device) for a in args]
        try:
            results = _first_call_tamed(self._model.execute, args) if self._device is None else \
                self._model.execute(*args)
        except ValueError as e:  # MAX names the mismatching shape; say which model and input
            shapes = {name: tuple(a.shape) for name, a in zip(self.inputs, args)}
            raise ValueError(f"{self.kind}: inputs {shapes} do not fit the model ({e})") from None
        if self._device is not None:
            from max.driver import CPU

            results = [r.to(CPU()) for r in results]
        return {name: r.to_numpy() for name, r in zip(self.outputs, results)}


_first_call_lock = threading.Lock()
_first_call_done = False


def _first_call_tamed(execute, args):
    """execute(*args); the first call in the process also lowers the thread MAX's runtime starts during it (its
    always-awake timer, `inference.threads`) to SCHED_IDLE. Only new threads that carry the process's own name
    are lowered: libmax.so leaves its threads unnamed, Qt and Mojo name theirs. Threads torch or Python started
    elsewhere in the process during that very call would be lowered too (they carry the process's name); a
    thread at SCHED_IDLE still runs, on whatever core is free."""
    global _first_call_done
    if _first_call_done:
        return execute(*args)
    with _first_call_lock:
        if _first_call_done:
            return execute(*args)
        before = threads.thread_ids()
        try:
            return execute(*args)
        finally:
            _first_call_done = True
            own = threads.thread_name(os.getpid())  # the main thread's id is the process id
            threads.to_idle_class({t for t in threads.thread_ids() - before if threads.thread_name(t) == own})


@dataclass(frozen=True)
class _Entry:
    """One compilable model: a kind at one structure on one device, and where its files live."""

    kind: str
    preset: str
    structure: dict
    ops_impl: str
    device: str
    digest: str
    stem: Path

    def file(self, suffix: str) -> Path:
        return self.stem.with_name(self.stem.name + suffix)

    def job(self) -> dict:
        return {"kind": self.kind, "preset": self.preset, "structure": self.structure, "ops_impl": self.ops_impl,
                "device": self.device, "hash": self.digest, "stem": str(self.stem)}


class MefStore:
    """Status, compilation (in worker processes) and loading of compiled MAX models."""

    def __init__(self, root: str | os.PathLike | None = None, ops_impl: str = "composed",
                 kernel_cache: str | os.PathLike | None = None, device: str | None = None,
                 shipped: str | os.PathLike | None = "from-env"):
        """root -- the store's folder (default: cache_root())
        kernel_cache -- MODULAR_CACHE_DIR for compiles (default: root/modular); MAX reuses compiled
                        kernels from it, so compiling a graph it has seen before takes seconds, not a minute
        device -- "cpu" or "gpu" (default: this process's choice, inference.backends.max.device.current());
                  part of every model's key: the MEFs of each device live in a folder of their own
        shipped -- a folder of precompiled MEFs laid out as the store's own (default: `shipped_root()`; None:
                   none): a model missing from the store is copied from there (checked) instead of compiled
        """
        self.root = Path(root) if root is not None else cache_root()
        self.kernel_cache = Path(kernel_cache) if kernel_cache is not None else self.root / "modular"
        self.ops_impl = ops_impl
        self.device = devices.resolve(device) if device is not None else devices.current()
        if self.device == "gpu" and ops_impl != "composed":
            raise ValueError(f"ops_impl {ops_impl!r} runs on the CPU only (the Mojo custom ops); use composed")
        self.mef_dir = self.root / "mef" / f"max-{max_version()}" / device_target(self.device)
        shipped = shipped_root() if shipped == "from-env" else shipped
        self.shipped_dir = Path(shipped) / self.mef_dir.relative_to(self.root) if shipped is not None else None
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._session = None
        self._refused: set[Path] = set()  # shipped files found damaged: not read (and warned about) again

    # -- what exists -------------------------------------------------------------------------------------
    def presets(self, kind: str) -> dict[str, dict]:
        return builder(kind).presets(kind)

    def status(self, kind: str, preset: str | None = None) -> str:
        """missing / compiling / ready / failed for `kind` at `preset` (default: its first preset)."""
        return self._status(self._entry(kind, preset))

    def failure(self, kind: str, preset: str | None = None) -> str | None:
        """The error of the last failed compile, or None."""
        try:
            return self._entry(kind, preset).file(".failed").read_text(errors="replace")
        except OSError:
            return None

    def mef_path(self, kind: str, preset: str | None = None) -> Path:
        return self._entry(kind, preset).file(".mef")

    def info(self, kind: str, preset: str | None = None) -> dict | None:
        """The metadata written beside a ready MEF (structure, compile_s, ...), or None."""
        return _sidecar(self._entry(kind, preset))

    # -- compiling ---------------------------------------------------------------------------------------
    def ensure(self, kinds: Iterable[str] | None = None, progress: Callable[[CompileProgress], None] | None = None,
               *, presets: Iterable[str] | None = None, force: bool = False,
               cancel: threading.Event | None = None, tick_s: float = 1.0, jobs: int | None = None
               ) -> dict[tuple[str, str], str]:
        """Compile every preset of `kinds` (default: all kinds) that is not ready, in spawned workers.

        progress -- called in this thread with each CompileProgress
        presets  -- only these preset names (default: every preset of each kind)
        force    -- recompile ready ones too (MAX's own kernel cache makes that a warm compile)
        cancel   -- set it to stop: the workers are killed; models finished by then stay, the others missing
        jobs     -- how many compile at once (default: `compile_jobs()`)
        Returns {(kind, preset): status} for every preset asked for.
        """
        return self._ensure(self._entries_for(kinds, presets), progress, force, cancel, tick_s, jobs)

    def ensure_models(self, models: Iterable[tuple[str, str | None]],
                      progress: Callable[[CompileProgress], None] | None = None, *,
                      cancel: threading.Event | None = None) -> dict[tuple[str, str], str]:
        """`ensure` for exact (kind, preset) pairs (preset None: the kind's only one), as the GUI asks for them."""
        return self._ensure([self._entry(k, p) for k, p in models], progress, False, cancel, 1.0, None)

    def _ensure(self, entries: list[_Entry], progress, force: bool, cancel, tick_s: float, jobs
                ) -> dict[tuple[str, str], str]:
        todo = [e for e in self._order(entries) if force or self._status(e) != READY]
        tally = _Tally(todo, jobs or compile_jobs(), progress or (lambda p: None))
        for _ in range(3):  # a model another process was compiling is waited for, then compiled if it is not ready
            if not todo or (cancel is not None and cancel.is_set()):
                break
            self._run_workers(todo, tally, cancel, tick_s)
            self._wait_for_other_compiles(todo, cancel, tick_s)
            todo = [e for e in todo if self._status(e) == MISSING]
        return {(e.kind, e.preset): self._status(e) for e in entries}

    def plan(self, kinds: Iterable[str] | None = None, *, presets: Iterable[str] | None = None
             ) -> list[tuple[str, str]]:
        """(kind, preset) of every model `ensure` would consider, in the order it compiles them."""
        return [(e.kind, e.preset) for e in self._order(self._entries_for(kinds, presets))]

    def _entries_for(self, kinds, presets) -> list[_Entry]:
        wanted = set(presets) if presets is not None else None
        return [self._entry(k, p) for k in (list(kinds) if kinds is not None else known_kinds())
                for p in self.presets(k) if wanted is None or p in wanted]

    def _order(self, entries: list[_Entry]) -> list[_Entry]:
        """Smallest graph first (the quickest compile); one entry per model (two presets of the same structure
        are one model)."""
        order, seen = [], set()
        for e in sorted(entries, key=self._size):
            if e.stem not in seen:
                order.append(e)
                seen.add(e.stem)
        return order

    def _size(self, e: _Entry) -> int:
        """How big `e`'s graph is (lines of IR): compile time grows with it, so it orders the compiles."""
        return str(self._specs(e.kind, _freeze(e.structure)).graph).count("\n")

    def _wait_for_other_compiles(self, entries: list[_Entry], cancel, tick_s: float) -> None:
        """Until no entry is claimed by a live process any more (another `compile`, the app at start)."""
        while any(self._status(e) == COMPILING for e in entries):
            if cancel is not None and cancel.wait(tick_s):
                return
            if cancel is None:
                time.sleep(tick_s)

    def _run_workers(self, todo: list[_Entry], tally: "_Tally", cancel, tick_s: float) -> None:
        """Compile `todo` on up to `tally.jobs` worker processes, each given its next model when it is done."""
        self.check_writable()
        env = dict(os.environ, MODULAR_TELEMETRY_ENABLED="0", MODULAR_CACHE_DIR=str(self.kernel_cache),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
        pending = deque(todo)
        events: queue.Queue[tuple[_Worker, str | None]] = queue.Queue()
        workers: list[_Worker] = []
        cancelled = lambda: cancel is not None and cancel.is_set()  # noqa: E731

        def feed(w: _Worker) -> None:
            if pending and not cancelled():
                w.give(pending.popleft())
            else:
                w.close()

        for _ in range(min(tally.jobs, len(pending))):
            workers.append(_Worker(env, events))
            feed(workers[-1])
        live = len(workers)
        try:
            while live:
                if cancelled():
                    break
                try:
                    w, line = events.get(timeout=tick_s)
                except queue.Empty:
                    for w in workers:
                        if w.compiling:
                            tally.report(w.entry, COMPILING, time.monotonic() - w.started)
                    continue
                if line is None:  # the worker exited
                    live -= 1
                    w.proc.wait()
                    if w.entry is not None and not cancelled():  # it died in the middle of a model
                        tail = "\n".join(w.other[-20:]) or f"exit code {w.proc.returncode}"
                        record_failure(w.entry.file(".failed"),
                                       f"compile worker died (exit code {w.proc.returncode}):\n{tail}")
                        tally.report(w.entry, FAILED, time.monotonic() - w.started, "compile worker died")
                        w.entry = None
                        if pending:  # the rest go to a new worker
                            workers.append(_Worker(env, events))
                            feed(workers[-1])
                            live += 1
                    continue
                if not line.startswith(EVENT_PREFIX):
                    w.other.append(line.rstrip())
                    continue
                ev = json.loads(line[len(EVENT_PREFIX):])
                if ev["state"] == COMPILING:
                    w.compiling, w.started = True, time.monotonic()
                    tally.report(w.entry, COMPILING, 0.0)
                    continue
                entry, w.entry, w.compiling = w.entry, None, False
                tally.report(entry, ev["state"], ev.get("elapsed_s", 0.0), ev.get("message", ""))
                feed(w)
        finally:  # cancelled, or the progress callback failed, or Ctrl-C: leave no compile running
            for w in workers:
                w.stop()
                for e in todo:  # a killed or crashed worker leaves its claim behind
                    _release_claim(e.file(".compiling"), w.proc.pid)

    def check_writable(self) -> None:
        """StoreNotWritable unless files can be created in the store's folder (made if missing)."""
        try:
            self.mef_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.mef_dir):
                pass
        except OSError as e:
            raise StoreNotWritable(f"{self.mef_dir}: cannot write the compiled-model store "
                                   f"({e.strerror or e})") from None

    # -- loading -----------------------------------------------------------------------------------------
    def load(self, kind: str, weights: WeightSet) -> MaxRunner:
        """A runner for `kind` with these weights, from its MEF (never compiles).

        BackendNotReady when the MEF is not there yet; WeightsError when the weights do not fit."""
        b = builder(kind)
        structure = b.structure(kind, weights)
        preset = next((name for name, s in b.presets(kind).items() if s == structure), None)
        entry = self._entry(kind, preset, structure)
        mef = entry.file(".mef")
        if not mef.is_file() and not self._install_shipped(entry):
            raise BackendNotReady(self._not_ready_message(entry))
        data = self._verified_mef(entry)
        if data is None:  # damaged, or without a checksum: never handed to MAX; shipped or compiled again instead
            _log.warning(f"warning: {mef}: the compiled model does not match the SHA-256 recorded when it was "
                         f"compiled; " + ("taking the shipped one" if self._shipped(entry) else "compiling it again"))
            for suffix in (".mef", ".json"):
                with contextlib.suppress(OSError):
                    entry.file(suffix).unlink()
            try:
                if self._status(entry) != READY:  # the shipped copy is checked as it is copied in
                    self.ensure_entry(entry)
            except StoreNotWritable as e:
                raise BackendNotReady(f"MAX model {kind}: {mef} is damaged and cannot be recompiled: {e}") from None
            data = self._verified_mef(entry)
            if data is None:
                raise BackendNotReady(self._not_ready_message(entry))
        registry = b.registry(kind, weights, structure)
        from max import engine

        try:
            model = self.session().init(engine.read(io.BytesIO(data)), weights_registry=registry)
        except Exception as e:  # a truncated or foreign file: MAX raises various types
            raise BackendNotReady(f"MAX model {kind}: {mef} could not be loaded ({e}); "
                                  f"recompile it with `python main.py compile --force`") from None
        spec = self._specs(kind, _freeze(structure))
        on = _accelerator() if self.device == "gpu" else None
        return MaxRunner(kind, model, spec.inputs, spec.outputs, registry, on)

    def ensure_entry(self, entry: _Entry) -> str:
        """Compile one model (any structure, not only a preset's) in a worker; its status afterwards."""
        self._run_workers([entry], _Tally([entry], 1, lambda p: None), None, 1.0)
        self._wait_for_other_compiles([entry], None, 1.0)
        return self._status(entry)

    def _verified_mef(self, e: _Entry) -> bytes | None:
        """The MEF's bytes if their SHA-256 is the one its sidecar recorded at compile time, else None."""
        meta = _sidecar(e)
        if meta is None or not isinstance(meta.get("mef_sha256"), str):
            return None
        try:
            data = e.file(".mef").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == meta["mef_sha256"] else None

    def session(self):
        """The process-wide MAX InferenceSession this store loads into (created on first use)."""
        if self._session is None:
            self._session = _shared_session(self.device)
        return self._session

    # -- internals ---------------------------------------------------------------------------------------
    def _entry(self, kind: str, preset: str | None, structure: dict | None = None) -> _Entry:
        if structure is None:
            presets = self.presets(kind)
            preset = next(iter(presets)) if preset is None else preset
            if preset not in presets:
                raise ValueError(f"{kind} has no preset {preset!r} (choose {', '.join(presets)})")
            structure = presets[preset]
        key = (kind, json.dumps(structure, sort_keys=True))
        if key not in self._entries:
            spec = self._specs(kind, _freeze(structure))
            digest = spec.structure_hash()
            self._entries[key] = _Entry(kind, preset or "custom", structure, self.ops_impl, self.device, digest,
                                        self.mef_dir / f"{kind}-{digest[:16]}")
        return self._entries[key]

    def _specs(self, kind: str, frozen: str):
        return _build_spec(kind, frozen, self.ops_impl, self.device)

    def _status(self, e: _Entry) -> str:
        if claim_alive(e.file(".compiling")):
            return COMPILING
        if _complete(e) or self._install_shipped(e):
            return READY
        return FAILED if e.file(".failed").is_file() else MISSING

    def _shipped(self, e: _Entry) -> Path | None:
        """The shipped (xz-compressed) MEF of `e`, if there is one that has not been found damaged."""
        packed = self.shipped_dir / (e.stem.name + ".mef.xz") if self.shipped_dir is not None else None
        return packed if packed is not None and packed not in self._refused and packed.is_file() else None

    def _install_shipped(self, e: _Entry) -> bool:
        """Copy `e` into the store from the shipped MEFs (xz-compressed, SHA-256 in the sidecar), if they have it.

        False when they do not, or the shipped copy does not match its checksum (then it is compiled as usual),
        or the store cannot be written."""
        packed = self._shipped(e)
        if packed is None:
            return False
        try:
            meta = json.loads((self.shipped_dir / (e.stem.name + ".json")).read_text())
            data = lzma.decompress(packed.read_bytes())
        except (OSError, ValueError, lzma.LZMAError) as err:
            self._refused.add(packed)
            _log.warning(f"warning: {packed}: the shipped compiled model cannot be read ({err}); compiling it")
            return False
        if not isinstance(meta, dict) or hashlib.sha256(data).hexdigest() != meta.get("mef_sha256"):
            self._refused.add(packed)
            _log.warning(f"warning: {packed}: the shipped compiled model does not match its SHA-256; compiling it")
            return False
        try:
            self.mef_dir.mkdir(parents=True, exist_ok=True)
            with atomic_path(e.file(".mef")) as tmp:  # renamed into place last: with its sidecar, it means ready
                tmp.write_bytes(data)
                atomic_text(e.file(".json"), json.dumps({**meta, "shipped": str(packed)}, indent=1))
        except OSError:
            return False
        return True

    def _not_ready_message(self, e: _Entry) -> str:
        state = self._status(e)
        if e.preset == "custom":
            return (f"MAX model {e.kind} has no compiled variant for these weights' sizes {e.structure} "
                    f"(precompiled presets: {', '.join(self.presets(e.kind))})")
        if state == COMPILING:
            return f"MAX model {e.kind} is still compiling; try again when `python main.py compile` is done"
        if state == FAILED:
            return (f"MAX model {e.kind} failed to compile: {self.failure(e.kind, e.preset)}; "
                    f"retry with `python main.py compile`")
        return f"MAX model {e.kind} is not compiled yet: run `python main.py compile`"


def build_spec(kind: str, structure: dict, ops_impl: str, device: str):
    """The GraphSpec of `kind` at `structure`, built for `device` ("cpu" or "gpu")."""
    from inference.backends.max.graphs.common import device_scope

    with device_scope(device):
        return builder(kind).build(kind, structure, ops_impl)


@lru_cache(maxsize=None)
def _build_spec(kind: str, frozen_structure: str, ops_impl: str, device: str):
    # MLIR's current context is per thread; MAX enters its default one only in the thread that first imports
    # it. A graph built on another thread (the GUI checks models off its own thread) needs it entered there.
    from max._mlir_context import ensure_default_mlir_context

    with ensure_default_mlir_context():
        return build_spec(kind, json.loads(frozen_structure), ops_impl, device)


def new_session(device: str):
    """A MAX InferenceSession that runs on `device` ("cpu", or "gpu": the first accelerator, plus the host)."""
    from max import engine

    return engine.InferenceSession(devices=[_accelerator()]) if device == "gpu" else engine.InferenceSession()


@lru_cache(maxsize=1)
def _accelerator():
    from max.driver import Accelerator

    return Accelerator()


@lru_cache(maxsize=None)
def _shared_session(device: str):
    return new_session(device)


def _freeze(structure: dict) -> str:
    return json.dumps(structure, sort_keys=True)


class _Worker:
    """One compile worker process, given one model at a time (see compile_worker); its output lines go to
    `events` as (worker, line), then (worker, None) when it exits."""

    def __init__(self, env: dict, events: queue.Queue):
        self.proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE], cwd=PROJECT_ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.entry: _Entry | None = None  # the model it is working on
        self.compiling, self.started = False, 0.0
        self.other: list[str] = []  # anything else it printed, for the error message if it dies
        threading.Thread(target=_pump, args=(self, events), daemon=True).start()

    def give(self, entry: _Entry) -> None:
        self.entry = entry
        try:
            self.proc.stdin.write(json.dumps(entry.job()) + "\n")
            self.proc.stdin.flush()
        except OSError:  # it died already: its exit is reported through `events`
            pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.close()


def _pump(worker: _Worker, events: queue.Queue) -> None:
    for line in worker.proc.stdout:
        events.put((worker, line))
    events.put((worker, None))


class _Tally:
    """Overall progress of one `ensure`: numbers each model in compile order, counts the finished ones and
    estimates the time left (the remaining models at the slowest compile time seen so far, over the number
    of workers)."""

    def __init__(self, todo: list[_Entry], jobs: int, progress: Callable[[CompileProgress], None]):
        self.index = {e.stem: i for i, e in enumerate(todo, start=1)}
        self.total, self.jobs, self.progress = len(todo), max(1, jobs), progress
        self.finished: dict[Path, float] = {}
        self.running: dict[Path, tuple[float, float]] = {}  # stem -> (elapsed, when reported)

    def report(self, e: _Entry, state: str, elapsed_s: float, message: str = "") -> None:
        if state == COMPILING:
            self.running[e.stem] = (elapsed_s, time.monotonic())
        else:
            self.running.pop(e.stem, None)
            if state in (READY, FAILED):
                self.finished[e.stem] = elapsed_s
        self.progress(CompileProgress(e.kind, e.preset, self.index.get(e.stem, 1), self.total, state, elapsed_s,
                                      message, len(self.finished), self._eta()))

    def _eta(self) -> float | None:
        if not self.finished:
            return None
        per_model = max(self.finished.values())
        now = time.monotonic()
        running = [max(per_model - (elapsed + now - at), 0.0) for elapsed, at in self.running.values()]
        waiting = self.total - len(self.finished) - len(running)
        return (sum(running) + max(waiting, 0) * per_model) / min(self.jobs, max(self.total - len(self.finished), 1))


def _sidecar(e: _Entry) -> dict | None:
    """The metadata beside a MEF, or None when it is missing or unreadable (a damaged sidecar is not ready)."""
    try:
        meta = json.loads(e.file(".json").read_text())
    except (OSError, ValueError, RecursionError):
        return None
    return meta if isinstance(meta, dict) else None


def _complete(e: _Entry) -> bool:
    """A MEF with a sidecar that records its checksum and its size (cheap; `load` checks the checksum)."""
    meta = _sidecar(e)
    try:
        return meta is not None and isinstance(meta.get("mef_sha256"), str) and \
            e.file(".mef").stat().st_size == meta.get("mef_bytes")
    except OSError:
        return False


def claim_alive(marker: Path) -> bool:
    """Whether `marker` names a live compile worker: its pid runs, started when the marker says, and runs
    the worker module (a worker that died leaves a stale marker, and its pid may since belong to another
    process)."""
    try:
        return token_alive(marker.read_text(), command=WORKER_MODULE)
    except OSError:
        return False


def claim_token() -> str:
    """What a worker writes into the `.compiling` marker it holds."""
    return process_token()


def _release_claim(marker: Path, pid: int) -> None:
    try:
        if int(marker.read_text().split()[0]) == pid:
            marker.unlink()
    except (OSError, ValueError, IndexError):
        pass


def atomic_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text)


def record_failure(target: Path, text: str) -> None:
    """Write a `.failed` note if the store still takes writes (a deleted or read-only store does not, and
    the failure is reported anyway)."""
    with contextlib.suppress(OSError):
        atomic_text(target, text)
