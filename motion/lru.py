"""A small thread-safe LRU map of values computed once per key (`LruCache.get`), and content keys of arrays.

Shared by what caches work that depends on content alone: the transition generator's per-clip cache
(`inference.rsmt.clip_cache`) and the retarget's per-rig analysis (`motion.retarget`).
"""
from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

import numpy as np

T = TypeVar("T")


def checksum(*arrays: np.ndarray) -> tuple:
    """Shapes, dtypes and a CRC-32 of the bytes of the arrays (for large arrays: frames of a clip)."""
    crc, shapes = 0, []
    for a in arrays:
        a = np.ascontiguousarray(a)
        shapes.append((a.dtype.str, a.shape))
        crc = zlib.crc32(memoryview(a).cast("B"), crc)
    return tuple(shapes), crc


def content(a) -> tuple:
    """Dtype, shape and the bytes themselves of a small array: a key no other content can share."""
    a = np.ascontiguousarray(a)
    return a.dtype.str, a.shape, a.tobytes()


class LruCache:
    """An LRU map from keys to values computed once (`get`). Safe to share between threads (the GUI's
    workers, the service's): two threads missing the same key at once both build it, and the second result
    is kept. Values are shared by every caller: treat them as read-only."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value cached under `key`, else build() (cached unless it raises)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
