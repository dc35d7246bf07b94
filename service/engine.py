"""The service's model and the one thread that runs it.

The RSMT model is loaded once per process; requests are computed one at a time on a worker thread (off
the event loop, which keeps answering /healthz, /metrics and 429s meanwhile). At most `queue_limit`
requests may be computing or waiting; one more is refused with QueueFull (HTTP 429) instead of piling up.

Clips are named from the embedded clips or the `library` folder, or sent as BVH text; the service never
opens a path a client names."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from inference.backends.base import APP_BACKENDS
from inference.networks.rsmt_config import TRANSITION_KINDS
from motion.errors import MotionFileError
from motion.io import MOTION_SUFFIXES, load_motion
from motion.motion import Motion
from service.metrics import Metrics
from service.schemas import BvhClip, CompareBody, StyleCode, TransitionBody



class QueueFull(Exception):
    """More requests than the queue holds: answered 429."""


class UnknownName(ValueError):
    """A clip or style name that is neither embedded, in the library nor a custom style: answered 400."""


class Engine:
    def __init__(self, weights: str | None = None, queue_limit: int = 32, library: str | None = None,
                 metrics: Metrics | None = None, preload: tuple[str, ...] = ("torch",)):
        from inference.rsmt.models import load_rsmt
        from inference.rsmt.transition import TransitionGenerator

        self.model = load_rsmt(weights)
        self.generator = TransitionGenerator(self.model)
        self.queue_limit = queue_limit
        self.library = _library(library)
        self.metrics = metrics or Metrics()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self._lock = threading.Lock()
        self._queued = 0
        for backend in preload:  # so the first request does not wait for them
            self.generator.load(backend)
        self._count_models()

    # ---- the queue ---------------------------------------------------------------------------------
    async def run(self, fn, *args):
        """fn(*args) on the model thread; QueueFull when `queue_limit` requests are already queued."""
        with self._lock:
            if self._queued >= self.queue_limit:
                raise QueueFull(f"{self._queued} requests are queued (the limit is {self.queue_limit}); retry later")
            self._queued += 1
            self.metrics.queue_depth.set(self._queued)
        try:
            return await asyncio.wrap_future(self._pool.submit(fn, *args))
        finally:
            with self._lock:
                self._queued -= 1
                self.metrics.queue_depth.set(self._queued)

    def close(self) -> None:
        """Finish what is queued, then stop the model thread."""
        self._pool.shutdown(wait=True)

    # ---- work (on the model thread) ---------------------------------------------------------------
    def transition(self, body: TransitionBody) -> dict:
        from motion.bvh import bvh_text

        t0 = time.perf_counter()
        result = self.generator.generate(self._request(body))
        motion = result.motion
        if not (np.isfinite(motion.rotations).all() and np.isfinite(motion.translations).all()):
            raise RuntimeError("the transition holds non-finite numbers")
        self.metrics.inference_seconds.labels(body.backend, "transitions").observe(time.perf_counter() - t0)
        self._count_models()
        return {"bvh": bvh_text(motion), "frames": motion.num_frames,
                "generated": [result.generated.start, result.generated.stop], "fps": motion.fps,
                "backend": result.backend, "seed": result.seed,
                "timings_ms": {k: round(v, 3) for k, v in result.timings.items()}}

    def compare(self, body: CompareBody) -> dict:
        from parity.compare_transition import compare_transition

        t0 = time.perf_counter()
        report = compare_transition(self._request(body), self.model, candidate=body.candidate)
        self.metrics.inference_seconds.labels(body.candidate, "compare").observe(time.perf_counter() - t0)
        return {"reference": report.reference, "candidate": report.candidate, "length": report.length,
                "rows": [{"model": r.model, "output": r.output, "mode": r.mode, "max_abs": r.max_abs,
                          "max_rel": r.max_rel} for r in report.rows],
                "max_cm_free_running": max(report.free_running["per_frame_cm"]),
                "max_cm_teacher_forced": max(report.teacher_forced["per_frame_cm"]),
                "ms_per_frame": report.ms_per_frame}

    def models(self) -> dict:
        from inference.backends.base import get_backend

        loaded = self._count_models()
        return {"weights": str(self.model.folder), "kinds": list(TRANSITION_KINDS),
                "backends": {b: {"ready": all(get_backend(b).ready(k) for k in TRANSITION_KINDS),
                                 "loaded": loaded[b]} for b in APP_BACKENDS}}

    def styles(self) -> dict:
        from inference.rsmt.styles import style_dir

        return {"clips": sorted(self._clip_names()), "custom": sorted(p.stem for p in style_dir().glob("*.json"))}

    # ---- requests ----------------------------------------------------------------------------------
    def _request(self, body: TransitionBody):
        from inference.rsmt.transition import TransitionRequest

        source, target = self._clip(body.source, "source"), self._clip(body.target, "target")
        return TransitionRequest(source, target, length=body.length, source_frame=body.source_frame,
                                 target_frame=body.target_frame, style=self._style(body.style), seed=body.seed,
                                 style_strength=body.style_strength,
                                 backend=body.backend if not isinstance(body, CompareBody) else "torch")

    def _clip_names(self) -> dict[str, object]:
        from motion.deepmimic import embedded_clips

        return {**embedded_clips(), **self.library}

    def _clip(self, clip: str | BvhClip, field: str) -> Motion:
        from motion.bvh import parse_bvh

        if isinstance(clip, BvhClip):
            return parse_bvh(clip.bvh, f"{field}.bvh")
        path = self._clip_names().get(clip)
        if path is None:
            raise UnknownName(f"{field}: no clip named {clip!r} (GET /v1/styles lists the clip names)")
        return load_motion(path)

    def _style(self, style):
        from inference.rsmt.styles import style_dir
        from inference.rsmt.transition import StyleFeatures

        if style is None or isinstance(style, BvhClip):
            return None if style is None else self._clip(style, "style")
        if isinstance(style, StyleCode):
            try:
                features = np.asarray(style.code, np.float32)
            except ValueError:
                raise UnknownName("style.code: rows of unequal length") from None
            return StyleFeatures(features, tuple(self.model.roles.names), style.name)
        if style in self._clip_names():
            return self._clip(style, "style")
        custom = style_dir() / f"{style}.json"
        if custom.is_file():
            return custom
        raise UnknownName(f"style: no clip or custom style named {style!r} (GET /v1/styles lists them)")

    def _count_models(self) -> dict[str, int]:
        runners = self.generator._runners  # noqa: SLF001 -- the generator's cache of loaded networks
        loaded = {b: sum(1 for backend, _ in list(runners) if backend == b) for b in APP_BACKENDS}
        for b, n in loaded.items():
            self.metrics.models_loaded.labels(b).set(n)
        return loaded


def _library(folder: str | None) -> dict[str, Path]:
    """Clip name (file stem) -> motion file of a library folder."""
    if folder is None:
        return {}
    folder = Path(folder)
    if not folder.is_dir():
        raise MotionFileError(folder, "not a folder of motion files")
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in MOTION_SUFFIXES and p.is_file()}
