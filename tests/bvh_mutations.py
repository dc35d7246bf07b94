"""Byte-level mutations of BVH files for fuzzing, shared by tests/motion/test_motion_fuzz.py (hypothesis, in
the suite) and scripts/fuzz_info.py (10,000 mutations of the real files, not in the suite).

The tokens are the kinds that broke readers before: Unicode digits (`int('³')`), float32 overflow, denormal
frame times, NUL bytes, stray braces and keywords, a BOM in the middle, huge counts."""
from __future__ import annotations

import numpy as np

HOSTILE = [b"\xc2\xb3", b"\xd9\xa3", b"1e39", b"-1e308", b"1e-310", b"nan", b"inf", b"-", b".", b"+", b"1.2.3",
           b"\x00", b"\r", b"\n", b"\t", b"{", b"}", b"ROOT", b"JOINT", b"End Site", b"CHANNELS", b"OFFSET",
           b"MOTION", b"Frames:", b"Frame Time:", b"99999999999999999999", b"0", b"-0", b"1e15", b"Xposition",
           b"Zrotation", b"\xff\xfe", b"\xef\xbb\xbf", b" ", b"J", b"3", b"CHANNELS 300", b"Frames: 1e9"]
OPERATIONS = ("insert", "replace", "delete", "flip", "duplicate", "truncate", "swap")


def mutate(data: bytes, rng: np.random.Generator, count: int) -> bytes:
    """`data` after `count` random operations: insert a hostile token, replace or delete a span, flip a bit,
    duplicate a span, truncate, swap two lines."""
    out = bytearray(data)
    for _ in range(count):
        at = int(rng.integers(0, len(out) + 1))
        op = OPERATIONS[int(rng.integers(len(OPERATIONS)))]
        token = HOSTILE[int(rng.integers(len(HOSTILE)))]
        if op == "insert":
            out[at:at] = token
        elif op == "replace":
            out[at:at + int(rng.integers(1, 16))] = token
        elif op == "delete":
            del out[at:at + int(rng.integers(1, 200))]
        elif op == "flip" and at < len(out):
            out[at] ^= 1 << int(rng.integers(8))
        elif op == "duplicate":
            out[at:at] = out[at:at + int(rng.integers(1, 400))]
        elif op == "truncate":
            del out[at:]
        elif op == "swap":
            lines = out.split(b"\n")
            i, j = rng.integers(0, len(lines), 2)
            lines[i], lines[j] = lines[j], lines[i]
            out = bytearray(b"\n".join(lines))
    return bytes(out)
