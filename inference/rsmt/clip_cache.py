"""What a transition request derives from a clip alone, kept between requests.

A transition re-reads the same few clips over and over (the GUI regenerates on every change of length, frame
or seed; the service keeps its clips), and most of the numpy work of a request depends on the clip only: the
retarget onto the model's skeleton, the 30 fps resampling, the world pose, the PAE's facing-space positions,
the style features and the style encoder's output. `ClipCache` keeps those per clip, keyed by the clip's
identity and a checksum of its content (`clip_key`: skeleton, frames, frame rate, loop flag), so a clip
edited in place or replaced by an edited copy gets a fresh entry. The generator owns one
(`TransitionGenerator.clips`); whoever keeps the generator (the GUI, the service) keeps the cache. Least
recently used entries go first.

The checksum is CRC-32 (zlib): it detects edits, it is not meant to withstand a crafted collision, and at
about 2.5 GB/s even a 2,752-frame, 31-joint CMU clip costs about a millisecond per request.
"""
from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

import numpy as np

from motion.motion import Motion

T = TypeVar("T")
DEFAULT_SIZE = 64  # entries, not clips: a clip has a few (its pose, its style features, a code per backend)


def checksum(*arrays: np.ndarray) -> tuple:
    """Shapes, dtypes and a CRC-32 of the bytes of the arrays."""
    crc, shapes = 0, []
    for a in arrays:
        a = np.ascontiguousarray(a)
        shapes.append((a.dtype.str, a.shape))
        crc = zlib.crc32(memoryview(a).cast("B"), crc)
    return tuple(shapes), crc


def clip_key(motion: Motion) -> tuple:
    """The clip's identity and everything of it a transition reads: skeleton (names, parents, offsets),
    rotations, translations, frame rate and whether it loops. Its name, source path and warnings are not."""
    sk = motion.skeleton
    return (id(motion), tuple(sk.names), float(motion.fps), motion.meta.get("loop"),
            checksum(np.asarray(sk.parents), np.asarray(sk.offsets), motion.rotations, motion.translations))


class ClipCache:
    """An LRU map from (what, key...) to a value computed once (`get`). A clip's entries hold the clip, so
    its identity stays its own while they are kept. Safe to share between threads (the GUI's workers): two
    threads missing the same key at once both build it, and the second result is kept."""

    def __init__(self, size: int = DEFAULT_SIZE):
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
