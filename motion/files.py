"""Reading files a user hands us, with bounded resources: the one way the readers of motion files, weights
configs and style codes open their input.

- Only regular files are read: a FIFO would block forever, a device (`/dev/zero`) never ends; both are
  refused by what `stat` says (symlinks are followed first), and the file is opened non-blocking, so one
  swapped in after the check cannot hang the read either.
- At most `limit` bytes are read (MAX_INPUT_BYTES unless the caller states a smaller limit): a larger file
  is refused before anything is allocated.
- JSON nested too deeply for the parser, or an integer too long to convert, is a clear error, not a
  RecursionError or ValueError from deep inside the standard library.
- A .npy file's header must agree with its size: a header claiming a 67 TiB array is refused before numpy
  tries to allocate it.

Every failure is a MotionFileError naming the file (`FILE[:LINE]: what is wrong`)."""
from __future__ import annotations

import io
import json
import math
import os
import stat

import numpy as np

from motion.errors import MotionFileError

MAX_INPUT_BYTES = 1 << 30  # 1 GiB: ten times the largest mocap file we know of, far below memory


def read_bytes(path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The whole content of the regular file `path`, refused if it is over `limit` bytes."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise MotionFileError(path, "no such file") from None
    except OSError as e:
        raise MotionFileError(path, f"cannot read: {e.strerror or e}") from None
    _check_regular(path, info.st_mode)
    _check_size(path, info.st_size, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise MotionFileError(path, f"cannot read: {e.strerror or e}") from None
    try:
        _check_regular(path, os.fstat(fd).st_mode)  # the file we opened, not the one we looked at
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise MotionFileError(path, f"cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)
    _check_size(path, len(data), limit)
    return data


def _check_regular(path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise MotionFileError(path, "is a directory, not a motion file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
            else "a socket" if stat.S_ISSOCK(mode) else "a special file"
        raise MotionFileError(path, f"is {kind}, not a regular file; only regular files are read")


def _check_size(path, size: int, limit: int) -> None:
    if size > limit:
        raise MotionFileError(path, f"file is larger than the {limit:,} bytes this reader accepts")


def read_text(path, limit: int = MAX_INPUT_BYTES) -> str:
    """`read_bytes` decoded as UTF-8 (a BOM is dropped); MotionFileError at the first undecodable line."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise MotionFileError(path, "not UTF-8 text", line) from None


def read_json(path, limit: int = MAX_INPUT_BYTES):
    """The JSON document in `path`. `NaN`/`Infinity` are accepted here (Python's json does); the caller checks
    that its numbers are finite where it needs them to be."""
    text = read_text(path, limit)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise MotionFileError(path, f"not valid JSON ({e.msg})", e.lineno) from None
    except RecursionError:
        raise MotionFileError(path, "JSON nested too deeply") from None
    except ValueError as e:  # an integer of more than 4300 digits
        raise MotionFileError(path, f"not valid JSON ({e})") from None


def read_npy(path, limit: int = MAX_INPUT_BYTES) -> np.ndarray:
    """The array in the .npy file `path` (no pickles); its header's shape and dtype must account for exactly
    the bytes that follow it."""
    data = read_bytes(path, limit)
    f = io.BytesIO(data)
    fmt = np.lib.format
    try:
        read_header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(fmt.read_magic(f))
        if read_header is None:
            raise ValueError("unsupported .npy format version")
        shape, _, dtype = read_header(f)
    except (ValueError, SyntaxError, TypeError) as e:
        raise MotionFileError(path, f"not a .npy file ({e})") from None
    if dtype.hasobject:
        raise MotionFileError(path, "holds Python objects, not numbers")
    expected = math.prod(shape) * dtype.itemsize
    if expected != len(data) - f.tell():
        raise MotionFileError(path, f"header claims a {shape} {dtype} array ({expected:,} bytes) but the file "
                                    f"holds {len(data) - f.tell():,} bytes after it")
    f.seek(0)
    return np.load(f, allow_pickle=False)
