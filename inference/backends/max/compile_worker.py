"""Compiles MAX graphs into MEF files; run by `inference.backends.max.store.MefStore.ensure` as
``python -m inference.backends.max.compile_worker`` in a fresh interpreter (MAX is not fork-safe, and a compile's
1+ GB of memory is returned to the system when the worker exits). The store runs several at once, one model
each at a time, and hands each worker its next job when it reports the last one done.

Reads one job per line on stdin, ``{"kind", "preset", "structure", "ops_impl", "device", "hash", "stem"}`` as
JSON, until stdin closes, and prints one ``@@compile-event {json}`` line per state change (compiling / ready /
failed / busy) on stdout. For each job it claims ``<stem>.compiling`` (its pid and start time), compiles,
writes ``<stem>.json`` (with the MEF's SHA-256) and ``<stem>.mef`` atomically, and records errors in
``<stem>.failed``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from motion.atomic import atomic_path

from inference.backends.max.store import (COMPILING, EVENT_PREFIX, FAILED, READY, atomic_text, build_spec,
                                          claim_alive, claim_token, device_target, max_version, new_session,
                                          record_failure, virtual_cpu)


def main() -> int:
    sessions: dict[str, object] = {}  # device -> InferenceSession
    for line in sys.stdin:
        if line.strip():
            _run(json.loads(line), sessions)
    return 0


def _run(job: dict, sessions: dict) -> None:
    stem = Path(job["stem"])
    claim = stem.with_name(stem.name + ".compiling")
    try:
        claimed = _claim(claim)
    except OSError as e:  # a read-only or deleted store
        _event(job, FAILED, 0.0, f"cannot write {claim.parent}: {e.strerror or e}")
        return
    if not claimed:
        _event(job, "busy", 0.0, f"pid {_read(claim)}")
        return
    t0 = time.monotonic()
    _event(job, COMPILING, 0.0)
    try:
        if job["device"] not in sessions:
            sessions[job["device"]] = _session(job["device"])
        done = (READY, _compile(sessions[job["device"]], job, stem), "")
        with contextlib.suppress(OSError):
            stem.with_name(stem.name + ".failed").unlink(missing_ok=True)
    except Exception as e:  # record it and go on with the next model
        message = f"{type(e).__name__}: {e}"
        record_failure(stem.with_name(stem.name + ".failed"), message + "\n\n" + traceback.format_exc())
        done = (FAILED, time.monotonic() - t0, message)
    finally:
        with contextlib.suppress(OSError):
            claim.unlink(missing_ok=True)  # before the event, so the caller sees the final status
    _event(job, *done)


def _session(device: str):
    """A session to compile with; on the CPU, one whose kernels are built for `virtual_cpu()` (set before the
    first kernel compiles), so that the MEFs of a portable target run on every CPU of that level."""
    if device == "cpu":
        from max.driver import set_virtual_cpu_target

        set_virtual_cpu_target(virtual_cpu())
    return new_session(device)


def _compile(session, job: dict, stem: Path) -> float:
    spec = build_spec(job["kind"], job["structure"], job["ops_impl"], job["device"])
    if spec.structure_hash() != job["hash"]:
        raise RuntimeError(f"the {job['kind']} graph built here differs from the one the store asked for "
                           "(is the builder's IR deterministic?)")
    t0 = time.monotonic()
    compiled = session.compile(spec.graph)
    compile_s = time.monotonic() - t0
    mef = stem.with_name(stem.name + ".mef")  # renamed into place last: with its sidecar, it means ready
    with atomic_path(mef) as tmp:
        compiled.export_mef(str(tmp))
        data = tmp.read_bytes()  # the checksum of exactly what is renamed into place
        meta = {"kind": job["kind"], "preset": job["preset"], "structure": job["structure"],
                "ops_impl": job["ops_impl"], "device": job["device"], "hash": job["hash"],
                "inputs": list(spec.inputs), "outputs": list(spec.outputs), "max_version": max_version(),
                "target": device_target(job["device"]), "compile_s": round(compile_s, 3),
                "compiled_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "mef_sha256": hashlib.sha256(data).hexdigest(), "mef_bytes": len(data)}
        atomic_text(stem.with_name(stem.name + ".json"), json.dumps(meta, indent=1))
    return compile_s


def _claim(marker: Path) -> bool:
    """Write our pid into `marker` unless a live process holds it already."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if claim_alive(marker):
                return False
            marker.unlink(missing_ok=True)  # stale: its worker died
            continue
        with os.fdopen(fd, "w") as f:
            f.write(claim_token() + "\n")
        return True
    return False


def _read(marker: Path) -> str:
    try:
        return marker.read_text().strip()
    except OSError:
        return "?"


def _event(job: dict, state: str, elapsed_s: float, message: str = "") -> None:
    ev = {"kind": job["kind"], "preset": job["preset"], "stem": job["stem"], "state": state,
          "elapsed_s": round(elapsed_s, 3), "message": message}
    print(EVENT_PREFIX + json.dumps(ev), flush=True)


if __name__ == "__main__":
    sys.exit(main())
