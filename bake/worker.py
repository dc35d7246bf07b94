"""One bake item, in whatever process runs it (a local pool process or a Ray worker): the models are loaded
with the first item and kept for the life of the process; each item's outcome comes back as a plain dict
(the BVH text when it worked, the error when not), and the driver alone writes files.

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


def bake_item(item: BakeItem, backend: str = "torch", weights: str | None = None) -> dict:
    """{"ok", "error", "ms", "bvh"}: the transition of `item` as BVH text, or why there is none. Any
    failure is returned, never raised, so one bad item never stops the others."""
    from inference.rsmt.transition import TransitionRequest
    from motion.bvh import bvh_text

    t0 = time.perf_counter()
    try:
        generator = _generator(backend, weights)
        t0 = time.perf_counter()  # ms: this item's work, not the process's one-time model load
        source, source_frame = _clip(item.source, -1)
        target, target_frame = _clip(item.target, 0)
        request = TransitionRequest(source, target, length=item.length, source_frame=source_frame,
                                    target_frame=target_frame, style=_style(item.style, backend, weights) if item.style else None,
                                    seed=item.seed, backend=backend)
        text, error = bvh_text(generator.generate(request).motion), None  # bvh_text refuses NaN/inf
    except Exception as e:  # noqa: BLE001 -- recorded in the manifest; the bake goes on with the rest
        text, error = None, str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"
    return {"ok": error is None, "error": error, "ms": round(1e3 * (time.perf_counter() - t0), 3), "bvh": text}
