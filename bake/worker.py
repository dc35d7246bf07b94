"""A batch of bake items, in whatever process runs it (a local pool process or a Ray worker): the models are
loaded with the first batch and kept for the life of the process; each item's outcome comes back as a plain
dict (the BVH text when it worked, the error when not), and the driver alone writes files.

Every process runs torch single-threaded: one item per core is the parallelism, and a fixed thread count
keeps the float reductions in one order, so a local run and a Ray run give the same bits."""
from __future__ import annotations

import functools
import time

from bake.items import BakeItem


@functools.lru_cache(maxsize=None)
def _generator(backend: str, weights: str | None):
    import torch

    from inference.rsmt.models import load_rsmt
    from inference.rsmt.transition import TransitionGenerator

    torch.set_num_threads(1)
    generator = TransitionGenerator(load_rsmt(weights))
    generator.load(backend)
    return generator


@functools.lru_cache(maxsize=64)
def _clip(spec: str, default_frame: int):
    from motion.io import resolve_clip_frame

    return resolve_clip_frame(spec, default_frame)


@functools.lru_cache(maxsize=64)
def _style(spec: str, backend: str, weights: str | None):
    """The item's style: a named style of the model's library (e.g. `angry`), a style code file or a clip."""
    from inference.rsmt.style_library import resolve_style

    return resolve_style(spec, _generator(backend, weights).model)


def bake_items(items: list[BakeItem], backend: str = "torch", weights: str | None = None) -> list[dict]:
    """Per item of `items`, in order, {"ok", "error", "ms", "bvh"}: its transition as BVH text, or why there is
    none. The items' sampler work runs as one batch (`TransitionGenerator.generate_batch`); "ms" is each
    item's own work plus its share of the batch's. Any failure is returned, never raised, so one bad item
    never stops the others."""
    from inference.rsmt.transition import TransitionRequest
    from motion.bvh import bvh_text

    try:
        generator = _generator(backend, weights)
    except Exception as e:  # noqa: BLE001 -- recorded in the manifest for every item of the batch
        return [_failed(e, 0.0) for _ in items]
    outcomes: list[dict | None] = [None] * len(items)
    requests, at, t0 = [], [], time.perf_counter()
    for i, item in enumerate(items):
        t = time.perf_counter()
        try:
            source, source_frame = _clip(item.source, -1)
            target, target_frame = _clip(item.target, 0)
            style = _style(item.style, backend, weights) if item.style else None
            requests.append(TransitionRequest(source, target, length=item.length, source_frame=source_frame,
                                              target_frame=target_frame, style=style, seed=item.seed, backend=backend))
            at.append(i)
        except Exception as e:  # noqa: BLE001 -- recorded; the batch goes on with the rest
            outcomes[i] = _failed(e, time.perf_counter() - t)
    try:
        results = generator.generate_batch(requests)
    except Exception as e:  # noqa: BLE001 -- the batch's failure is each of its items'
        results = [e] * len(requests)
    share = (time.perf_counter() - t0) / max(len(requests), 1)
    for i, result in zip(at, results):
        t = time.perf_counter()
        try:
            if isinstance(result, Exception):
                raise result
            outcomes[i] = {"ok": True, "error": None, "bvh": bvh_text(result.motion),  # refuses NaN/inf
                           "ms": round(1e3 * (share + time.perf_counter() - t), 3)}
        except Exception as e:  # noqa: BLE001
            outcomes[i] = _failed(e, share + time.perf_counter() - t)
    return outcomes


def _failed(e: Exception, seconds: float) -> dict:
    error = str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"
    return {"ok": False, "error": error, "ms": round(1e3 * seconds, 3), "bvh": None}
