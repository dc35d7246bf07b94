"""A bake: every item's transition written to `OUT/<item.out_name()>`, run on local worker processes or as
Ray tasks on a Ray cluster, with `OUT/manifest.json` saying what became of each item.

- Resume: an item whose output exists and reads back complete (no reader warnings) is skipped, so a
  re-run after a crash or Ctrl-C does only what is missing; outputs and the manifest are written
  atomically (`motion.atomic.atomic_write`), so a killed run never leaves a half-written file.
- A failing item is recorded (`ok: false`, `error`) and the rest go on.
- Same outputs everywhere: the workers (`bake.worker`) compute, the driver writes; local and Ray workers
  run the same function with the same seeds, single-threaded, so their files are identical bit for bit.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable, Iterator

from bake.items import BakeItem
from bake.worker import bake_items
from inference.networks.rsmt_config import TRANSITION_KINDS
from motion.errors import MotionFileError
from motion.atomic import atomic_write

MANIFEST = "manifest.json"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_EVERY_S = 2.0  # the manifest is rewritten at most this often while a bake runs (and at its end)


class BakeError(ValueError):
    """The bake cannot start: a Ray cluster that cannot be reached, a backend that is not ready."""


def is_complete(path: Path) -> bool:
    """An output that reads back whole: a BVH with frames and no reader warnings (a truncated copy warns)."""
    from motion.bvh import read_bvh

    if not path.is_file():
        return False
    try:
        motion = read_bvh(path)
    except MotionFileError:
        return False
    return motion.num_frames > 0 and not motion.warnings


def run_bake(items: list[BakeItem], out_dir, backend: str = "torch", weights: str | None = None, workers: int = 1,
             ray_address: str | None = None, progress: Callable[[int, int], None] | None = None,
             batch: int = 1) -> dict:
    """Bake `items` into `out_dir`; returns the summary {items, done, skipped, failed, seconds}.
    ray_address None: `workers` local processes; else Ray tasks on that cluster ("auto": the one
    RAY_ADDRESS or a local `ray start` names), at most `workers` at a time. Each process or task bakes
    `batch` items at once, their sampler work in one batch (`bake.worker.bake_items`)."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MotionFileError(out_dir, f"cannot create the output folder: {e.strerror or e}") from None
    _check_backend(backend)
    names = {item.out_name() for item in items}
    for stale in out_dir.glob(".*.tmp"):  # `atomic_path` temporaries of a run killed mid-write (SIGKILL)
        if stale.name[1:].split(".bvh.", 1)[0] + ".bvh" in names or stale.name.startswith(f".{MANIFEST}."):
            stale.unlink(missing_ok=True)
    earlier = _earlier_records(out_dir / MANIFEST)
    records: dict[str, dict] = {}
    todo = []
    for item in items:
        if is_complete(out_dir / item.out_name()):
            records[item.out_name()] = _record(item, True, None, earlier.get(item.out_name(), {}).get("ms"))
        else:
            todo.append(item)
    skipped, done, failed = len(records), 0, 0
    last_write = time.monotonic()
    batches = [todo[i:i + batch] for i in range(0, len(todo), batch)]
    run = _run_local(batches, backend, weights, workers) if ray_address is None else \
        _run_ray(batches, backend, weights, workers, ray_address)
    try:
        for n, (item, outcome) in enumerate(run, start=1):
            ok, error = outcome["ok"], outcome["error"]
            if ok:
                try:
                    with atomic_write(out_dir / item.out_name()) as f:
                        f.write(outcome["bvh"])
                except MotionFileError as e:
                    ok, error = False, str(e)
            done, failed = done + ok, failed + (not ok)
            records[item.out_name()] = _record(item, ok, error, outcome["ms"])
            if progress is not None:
                progress(n, len(todo))
            if time.monotonic() - last_write >= MANIFEST_EVERY_S:
                _write_manifest(out_dir, items, records)
                last_write = time.monotonic()
    finally:
        run.close()
        _write_manifest(out_dir, items, records)
    return {"items": len(items), "done": done, "skipped": skipped, "failed": failed,
            "seconds": round(time.perf_counter() - t0, 3)}


def _record(item: BakeItem, ok: bool, error: str | None, ms: float | None) -> dict:
    return {**item.to_json(), "out": item.out_name(), "ok": ok, "error": error, "ms": ms}


def _earlier_records(path: Path) -> dict[str, dict]:
    """out name -> record of an earlier run's manifest ({} when there is none or it is unreadable)."""
    try:
        return {r["out"]: r for r in json.loads(path.read_text(encoding="utf-8"))["items"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_manifest(out_dir: Path, items: list[BakeItem], records: dict[str, dict]) -> None:
    """The records of the items handled so far, in item order."""
    with atomic_write(out_dir / MANIFEST) as f:
        json.dump({"items": [records[i.out_name()] for i in items if i.out_name() in records]}, f, indent=1)
        f.write("\n")


def _check_backend(backend: str) -> None:
    """A MAX backend whose models are not compiled would fail every item: say so before starting."""
    from inference.backends.base import get_backend

    b = get_backend(backend)
    missing = [k for k in TRANSITION_KINDS if not b.ready(k)]
    if missing:
        raise BakeError(f"{backend} backend: models not compiled yet: {', '.join(missing)} "
                        f"(run `python main.py compile` first)")


def _run_local(batches: list[list[BakeItem]], backend: str, weights: str | None, workers: int
               ) -> Iterator[tuple[BakeItem, dict]]:
    """(item, outcome) as their batches finish, from `workers` spawned processes (MAX is not fork-safe)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if not batches:
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(bake_items, items, backend, weights): items for items in batches}
        for future in as_completed(futures):
            yield from zip(futures[future], _outcomes(future.result, len(futures[future])))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_ray(batches: list[list[BakeItem]], backend: str, weights: str | None, workers: int, address: str
             ) -> Iterator[tuple[BakeItem, dict]]:
    """(item, outcome) as their batches finish, from Ray tasks (one per batch, at most `workers` in flight) on
    the cluster at `address`. The workers import this project from PROJECT_ROOT (the same path on every node)."""
    import ray

    _check_reachable(address)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
           "MODULAR_TELEMETRY_ENABLED": "0"}
    try:
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False, logging_level="warning")
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise BakeError(f"cannot connect to the Ray cluster at {address}: {e}") from None
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(bake_items)
        queue, pending = iter(batches), {}
        while True:
            for items in queue:
                pending[task.remote(items, backend, weights)] = items
                if len(pending) >= workers:
                    break
            if not pending:
                return
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                items = pending.pop(ref)
                yield from zip(items, _outcomes(lambda: ray.get(ref), len(items)))
    finally:
        ray.shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A HOST:PORT that nothing answers on is a BakeError now (ray.init would retry for minutes)."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", "ray://...": left to ray.init
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise BakeError(f"cannot connect to the Ray cluster at {address}: {e.strerror or e}") from None


def _outcomes(get: Callable[[], list[dict]], n: int) -> list[dict]:
    """A worker's outcomes for a batch of `n` items; a worker that died (crash, killed) is each item's failure."""
    try:
        return get()
    except Exception as e:  # noqa: BLE001 -- recorded; the other batches go on
        return [{"ok": False, "error": f"worker failed: {type(e).__name__}: {e}", "ms": None, "bvh": None}] * n


def progress_bar(label: str = "bake") -> Callable[[int, int], None]:
    """A `progress` callback drawing `training.progress.ProgressBar` (done/total, rate, ETA) on stderr: in
    place on a terminal, a line every 10 s in a log."""
    from training.progress import ProgressBar

    bar: dict[str, ProgressBar] = {}

    def progress(n: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = ProgressBar(total, label)
        bar["bar"].update(n)
        if n == total:
            bar["bar"].close()

    return progress

