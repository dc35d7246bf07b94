"""Read TensorFlow "V2" checkpoints (tensor bundles) without TensorFlow or protobuf.

A checkpoint ``PREFIX`` is two kinds of file:

``PREFIX.index``
    An immutable sorted table (the LevelDB SSTable layout TensorFlow copied): data blocks of
    prefix-compressed ``key -> value`` entries with a restart array, an (empty) metaindex block, an index
    block mapping the last key of each data block to its ``BlockHandle`` (varint offset, varint size), and a
    48-byte footer (two block handles padded to 40 bytes, then the magic 0xdb4775248b80fb57 little-endian).
    Each block is followed by a 5-byte trailer: compression type (0 = none) and the masked CRC32C of the
    block contents plus that type byte.
    Keys are tensor names; the empty key holds a ``BundleHeaderProto`` (num_shards, endianness, version)
    and every other value is a ``BundleEntryProto``: dtype (1), shape (2), shard_id (3), offset (4),
    size (5), crc32c (6, masked CRC32C of the tensor bytes), slices (7).
``PREFIX.data-SSSSS-of-NNNNN``
    The shards: raw tensor bytes at ``offset``, ``size`` bytes long, in the header's byte order.

Every problem (truncated, corrupt or foreign file, missing shard, checksum mismatch, unsupported dtype)
raises :class:`inference.weights.WeightsError` naming the offending file.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.weights import WeightsError

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER_SIZE = 5

# tensorflow/core/framework/types.proto DataType values -> numpy dtypes (little-endian).
DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),   # DT_FLOAT
    2: np.dtype("<f8"),   # DT_DOUBLE
    3: np.dtype("<i4"),   # DT_INT32
    4: np.dtype("u1"),    # DT_UINT8
    5: np.dtype("<i2"),   # DT_INT16
    6: np.dtype("i1"),    # DT_INT8
    9: np.dtype("<i8"),   # DT_INT64
    10: np.dtype("?"),    # DT_BOOL
    17: np.dtype("<u2"),  # DT_UINT16
    19: np.dtype("<f2"),  # DT_HALF
    22: np.dtype("<u4"),  # DT_UINT32
    23: np.dtype("<u8"),  # DT_UINT64
}
DTYPE_NAMES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
               8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16", 17: "uint16", 18: "complex128",
               19: "float16", 20: "resource", 21: "variant", 22: "uint32", 23: "uint64"}


# --------------------------------------------------------------------------------------------- CRC32C
# CRC-32C (Castagnoli, reflected polynomial 0x82F63B78). The byte-at-a-time update is linear over GF(2),
# so a long buffer is split into many equal chunks whose raw CRCs advance together as one numpy vector,
# and the chunk CRCs are then merged pairwise with "append n zero bytes" operators (as zlib's
# crc32_combine does). That keeps a 6 MB checkpoint check in the tens of milliseconds.

_POLY = 0x82F63B78


def _byte_table() -> np.ndarray:
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ np.uint32(_POLY), t >> 1).astype(np.uint32)
    return t


_TABLE = _byte_table()
_TABLE_LIST = [int(v) for v in _TABLE]


def _apply(op: np.ndarray, v):
    """Apply a GF(2)-linear map on 32-bit words (op[i] = image of bit i) to a scalar or array v."""
    v = np.asarray(v, dtype=np.uint32)
    out = np.zeros_like(v)
    for i in range(32):
        out ^= ((v >> np.uint32(i)) & np.uint32(1)) * op[i]
    return out


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The map x -> a(b(x))."""
    return _apply(a, b)


def _zeros_operator(n: int) -> np.ndarray:
    """The map taking a raw CRC state to the state after feeding n zero bytes."""
    bits = np.uint32(1) << np.arange(32, dtype=np.uint32)
    power = (_TABLE[bits & np.uint32(0xFF)] ^ (bits >> np.uint32(8))).astype(np.uint32)  # one zero byte
    result = bits.copy()  # identity
    while n:
        if n & 1:
            result = _compose(power, result)
        n >>= 1
        if n:
            power = _compose(power, power)
    return result


def _raw_crc_python(data: bytes, state: int = 0) -> int:
    table = _TABLE_LIST
    for b in data:
        state = table[(state ^ b) & 0xFF] ^ (state >> 8)
    return state


def _raw_crc_numpy(data: bytes) -> int:
    """Raw CRC from state 0 (no pre/post inversion), chunk-parallel."""
    n = len(data)
    chunks = 1 << min(13, max(0, (n // 512).bit_length() - 1))
    length = -(-n // chunks)
    padded = np.zeros(chunks * length, dtype=np.uint8)
    padded[chunks * length - n:] = np.frombuffer(data, dtype=np.uint8)  # leading zeros keep state 0
    columns = np.ascontiguousarray(padded.reshape(chunks, length).T).astype(np.uint32)
    state = np.zeros(chunks, dtype=np.uint32)
    mask = np.uint32(0xFF)
    eight = np.uint32(8)
    for row in columns:
        state = _TABLE[(state ^ row) & mask] ^ (state >> eight)
    shift = _zeros_operator(length)
    while state.size > 1:
        state = _apply(shift, state[0::2]) ^ state[1::2]
        shift = _compose(shift, shift)
    return int(state[0])


def crc32c(data: bytes | bytearray | memoryview) -> int:
    """The standard CRC-32C of `data` (crc32c(b"123456789") == 0xE3069283)."""
    data = bytes(data)
    if len(data) < 16384:
        return _raw_crc_python(data, 0xFFFFFFFF) ^ 0xFFFFFFFF
    ones_shifted = int(_apply(_zeros_operator(len(data)), 0xFFFFFFFF))
    return ones_shifted ^ _raw_crc_numpy(data) ^ 0xFFFFFFFF


_MASK_DELTA = 0xA282EAD8


def mask_crc(crc: int) -> int:
    """LevelDB/TensorFlow's masked CRC (rotate right 15, add a constant), stored in files."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# ------------------------------------------------------------------------------------ protobuf wire
class _Malformed(Exception):
    """Internal: bytes that do not decode; turned into a WeightsError naming the file."""


def _varint(buf: bytes, pos: int, end: int | None = None) -> tuple[int, int]:
    end = len(buf) if end is None else end
    result = shift = 0
    while True:
        if pos >= end:
            raise _Malformed("varint runs past the end")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise _Malformed("varint longer than 10 bytes")


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """Decode one protobuf message into (field number, wire type, value) triples, in order."""
    out = []
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise _Malformed("field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise _Malformed("fixed64 runs past the end")
            value = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise _Malformed("length-delimited field runs past the end")
            value = buf[pos:pos + size]
            pos += size
        elif wire == 5:
            if pos + 4 > len(buf):
                raise _Malformed("fixed32 runs past the end")
            value = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        else:
            raise _Malformed(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


@dataclass(frozen=True)
class BundleEntry:
    """Where one tensor lives: a decoded BundleEntryProto."""

    dtype: int
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int
    crc32c: int  # masked, as stored
    sliced: bool

    @property
    def dtype_name(self) -> str:
        return DTYPE_NAMES.get(self.dtype, f"DataType {self.dtype}")


def _shape(buf: bytes) -> tuple[int, ...]:
    dims = []
    for number, wire, value in _fields(buf):
        if number == 2 and wire == 2:
            size = 0
            for n, w, v in _fields(value):
                if n == 1 and w == 0:
                    size = _int64(v)
            if size < 0:
                raise _Malformed("tensor shape has an unknown dimension")
            dims.append(size)
        elif number == 3 and wire == 0 and value:
            raise _Malformed("tensor shape has unknown rank")
    return tuple(dims)


def _entry(buf: bytes) -> BundleEntry:
    values = {"dtype": 0, "shape": (), "shard_id": 0, "offset": 0, "size": 0, "crc32c": 0, "sliced": False}
    for number, wire, value in _fields(buf):
        if number == 1 and wire == 0:
            values["dtype"] = value
        elif number == 2 and wire == 2:
            values["shape"] = _shape(value)
        elif number == 3 and wire == 0:
            values["shard_id"] = _int64(value)
        elif number == 4 and wire == 0:
            values["offset"] = _int64(value)
        elif number == 5 and wire == 0:
            values["size"] = _int64(value)
        elif number == 6 and wire == 5:
            values["crc32c"] = value
        elif number == 7 and wire == 2:
            values["sliced"] = True
    return BundleEntry(**values)


@dataclass(frozen=True)
class BundleHeader:
    num_shards: int
    little_endian: bool
    producer: int
    min_consumer: int


def _header(buf: bytes) -> BundleHeader:
    num_shards, endianness, producer, min_consumer = 0, 0, 0, 0
    for number, wire, value in _fields(buf):
        if number == 1 and wire == 0:
            num_shards = _int64(value)
        elif number == 2 and wire == 0:
            endianness = value
        elif number == 3 and wire == 2:
            for n, w, v in _fields(value):
                if n == 1 and w == 0:
                    producer = v
                elif n == 2 and w == 0:
                    min_consumer = v
    return BundleHeader(num_shards, endianness == 0, producer, min_consumer)


# ---------------------------------------------------------------------------------------- SSTable
def _block(data: bytes, offset: int, size: int) -> bytes:
    end = offset + size
    if offset < 0 or size < 0 or end + BLOCK_TRAILER_SIZE > len(data):
        raise _Malformed(f"block at {offset} (+{size} bytes) runs past the end of the file ({len(data)} bytes)")
    kind = data[end]
    stored = struct.unpack_from("<I", data, end + 1)[0]
    if unmask_crc(stored) != crc32c(data[offset:end + 1]):
        raise _Malformed(f"block at {offset} fails its CRC32C check")
    if kind != 0:
        raise _Malformed(f"block at {offset} is compressed (type {kind}); only uncompressed tables are supported")
    return data[offset:end]


def _block_entries(block: bytes) -> list[tuple[bytes, bytes]]:
    if len(block) < 4:
        raise _Malformed("block too short for its restart count")
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * restarts
    if limit < 0:
        raise _Malformed("block restart array larger than the block")
    entries = []
    key = b""
    pos = 0
    while pos < limit:
        shared, pos = _varint(block, pos, limit)
        unshared, pos = _varint(block, pos, limit)
        value_len, pos = _varint(block, pos, limit)
        if shared > len(key) or pos + unshared + value_len > limit:
            raise _Malformed("block entry runs past the end of its block")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        entries.append((key, block[pos:pos + value_len]))
        pos += value_len
    return entries


def _handle(buf: bytes, pos: int = 0) -> tuple[int, int, int]:
    offset, pos = _varint(buf, pos)
    size, pos = _varint(buf, pos)
    return offset, size, pos


def read_table(data: bytes) -> list[tuple[bytes, bytes]]:
    """All (key, value) pairs of an SSTable held in `data`, in key order (raises _Malformed)."""
    if len(data) < FOOTER_SIZE:
        raise _Malformed(f"{len(data)} bytes is too short for a checkpoint index (footer is {FOOTER_SIZE})")
    footer = data[-FOOTER_SIZE:]
    if struct.unpack_from("<Q", footer, 40)[0] != TABLE_MAGIC:
        raise _Malformed("bad magic number: not a TensorFlow checkpoint index")
    _, _, pos = _handle(footer)  # metaindex: TensorFlow writes it empty, nothing to read
    index_offset, index_size, _ = _handle(footer, pos)
    entries = []
    for _, handle in _block_entries(_block(data, index_offset, index_size)):
        offset, size, _ = _handle(handle)
        entries.extend(_block_entries(_block(data, offset, size)))
    keys = [k for k, _ in entries]
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise _Malformed("table keys are not in strictly increasing order")
    return entries


# ------------------------------------------------------------------------------------- checkpoints
def checkpoint_prefix(path: str | os.PathLike) -> Path:
    """Accept PREFIX, PREFIX.index or PREFIX.data-*; return PREFIX."""
    p = Path(path)
    if p.suffix == ".index":
        return p.with_suffix("")
    if ".data-" in p.name:
        return p.with_name(p.name.split(".data-")[0])
    return p


def shard_path(prefix: Path, shard: int, num_shards: int) -> Path:
    return prefix.with_name(f"{prefix.name}.data-{shard:05d}-of-{num_shards:05d}")


class CheckpointReader:
    """The entries of one checkpoint; tensors are read (and CRC-checked) on demand."""

    def __init__(self, path: str | os.PathLike):
        self.prefix = checkpoint_prefix(path)
        self.index_path = self.prefix.with_name(self.prefix.name + ".index")
        if not self.index_path.is_file():
            raise WeightsError(f"{self.index_path}: checkpoint index not found")
        raw = self.index_path.read_bytes()
        try:
            pairs = read_table(raw)
            if not pairs or pairs[0][0] != b"":
                raise _Malformed("no bundle header (empty key)")
            self.header = _header(pairs[0][1])
            self.entries: dict[str, BundleEntry] = {}
            for key, value in pairs[1:]:
                self.entries[key.decode("utf-8")] = _entry(value)
        except (_Malformed, UnicodeDecodeError) as e:
            raise WeightsError(f"{self.index_path}: {e}") from None
        if not self.header.little_endian:
            raise WeightsError(f"{self.index_path}: big-endian checkpoints are not supported")
        if self.header.num_shards < 1:
            raise WeightsError(f"{self.index_path}: header says {self.header.num_shards} data shards")
        for name, entry in self.entries.items():
            if not 0 <= entry.shard_id < self.header.num_shards:
                raise WeightsError(f"{self.index_path}: tensor {name!r} is in shard {entry.shard_id}, "
                                   f"but there are {self.header.num_shards}")
        self._shards: dict[int, bytes] = {}

    def _shard(self, shard: int) -> tuple[Path, bytes]:
        path = shard_path(self.prefix, shard, self.header.num_shards)
        if shard not in self._shards:
            if not path.is_file():
                raise WeightsError(f"{path}: checkpoint data shard not found")
            self._shards[shard] = path.read_bytes()
        return path, self._shards[shard]

    def tensor(self, name: str) -> np.ndarray:
        """The tensor `name` as a numpy array (a copy, in the file's dtype)."""
        entry = self.entries.get(name)
        if entry is None:
            raise WeightsError(f"{self.index_path}: no tensor named {name!r}")
        if entry.sliced:
            raise WeightsError(f"{self.index_path}: tensor {name!r} is partitioned into slices (unsupported)")
        dtype = DTYPES.get(entry.dtype)
        if dtype is None:
            raise WeightsError(f"{self.index_path}: tensor {name!r} has unsupported dtype {entry.dtype_name}")
        count = int(np.prod(entry.shape, dtype=np.int64))
        if entry.size != count * dtype.itemsize:
            raise WeightsError(f"{self.index_path}: tensor {name!r} has size {entry.size} bytes, but "
                               f"{entry.dtype_name}{list(entry.shape)} needs {count * dtype.itemsize}")
        path, data = self._shard(entry.shard_id)
        if entry.offset < 0 or entry.offset + entry.size > len(data):
            raise WeightsError(f"{path}: tensor {name!r} at bytes {entry.offset}..{entry.offset + entry.size} "
                               f"runs past the end of the file ({len(data)} bytes)")
        blob = data[entry.offset:entry.offset + entry.size]
        if crc32c(blob) != unmask_crc(entry.crc32c):
            raise WeightsError(f"{path}: tensor {name!r} fails its CRC32C check (corrupt data)")
        return np.frombuffer(blob, dtype=dtype).reshape(entry.shape).astype(dtype.newbyteorder("="))

    def read_all(self) -> dict[str, np.ndarray]:
        return {name: self.tensor(name) for name in self.entries}


def read_checkpoint(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every tensor of the checkpoint at PREFIX (or PREFIX.index), by name."""
    return CheckpointReader(path).read_all()
