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

import numpy as np

from motion.lru import LruCache, checksum
from motion.motion import Motion

DEFAULT_SIZE = 64  # entries, not clips: a clip has a few (its pose, its style features, a code per backend)


def clip_key(motion: Motion) -> tuple:
    """The clip's identity and everything of it a transition reads: skeleton (names, parents, offsets),
    rotations, translations, frame rate and whether it loops. Its name, source path and warnings are not."""
    sk = motion.skeleton
    return (id(motion), tuple(sk.names), float(motion.fps), motion.meta.get("loop"),
            checksum(np.asarray(sk.parents), np.asarray(sk.offsets), motion.rotations, motion.translations))


class ClipCache(LruCache):
    """An LRU map from (what, key...) to a value computed once (`motion.lru.LruCache.get`). A clip's entries
    hold the clip, so its identity stays its own while they are kept."""

    def __init__(self, size: int = DEFAULT_SIZE):
        super().__init__(size)
