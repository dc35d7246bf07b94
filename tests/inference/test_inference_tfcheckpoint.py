"""The TF v2 checkpoint reader: synthetic bundles written here (our own minimal writer: SSTable + BundleEntryProto
+ masked CRC32C), corrupt and foreign files, and the five checkpoints shipped with pybullet."""
from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

from inference.deepmimic.policies import POLICIES, TF_NAMES, policy_checkpoint
from inference.deepmimic.checkpoint import (CheckpointReader, crc32c, mask_crc, read_checkpoint, shard_path,
                                    unmask_crc)
from inference.weights import WeightsError

# ------------------------------------------------------------------------ a minimal TF v2 bundle writer
DT = {np.dtype("float32"): 1, np.dtype("float64"): 2, np.dtype("int32"): 3, np.dtype("int64"): 9}


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_varint(field: int, value: int) -> bytes:
    return varint(field << 3) + varint(value) if value else b""  # proto3 omits zero scalars


def pb_bytes(field: int, value: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(value)) + value


def pb_fixed32(field: int, value: int) -> bytes:
    return varint(field << 3 | 5) + struct.pack("<I", value)


def entry_proto(dtype: int, shape, shard: int, offset: int, size: int, crc: int) -> bytes:
    shape_msg = b"".join(pb_bytes(2, pb_varint(1, d)) for d in shape)
    return (pb_varint(1, dtype) + pb_bytes(2, shape_msg) + pb_varint(3, shard) + pb_varint(4, offset)
            + pb_varint(5, size) + pb_fixed32(6, mask_crc(crc)))


def header_proto(num_shards: int) -> bytes:
    return pb_varint(1, num_shards) + pb_bytes(3, pb_varint(1, 1))  # version { producer: 1 }


def block(entries: list[tuple[bytes, bytes]], restart_interval: int) -> bytes:
    out = bytearray()
    restarts = []
    previous = b""
    for i, (key, value) in enumerate(entries):
        shared = 0
        if i % restart_interval == 0:
            restarts.append(len(out))
        else:
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
        out += varint(shared) + varint(len(key) - shared) + varint(len(value)) + key[shared:] + value
        previous = key
    restarts = restarts or [0]
    out += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def sstable(entries: list[tuple[bytes, bytes]], per_block: int = 3, restart_interval: int = 2) -> bytes:
    out = bytearray()

    def put(contents: bytes) -> bytes:
        handle = varint(len(out)) + varint(len(contents))
        out.extend(contents + b"\x00" + struct.pack("<I", mask_crc(crc32c(contents + b"\x00"))))
        return handle

    index = []
    for start in range(0, len(entries), per_block):
        chunk = entries[start:start + per_block]
        index.append((chunk[-1][0], put(block(chunk, restart_interval))))
    meta = put(block([], 1))
    idx = put(block(index, 1))
    footer = (meta + idx).ljust(40, b"\x00") + struct.pack("<Q", 0xDB4775248B80FB57)
    return bytes(out + footer)


def write_bundle(prefix: Path, tensors: dict[str, np.ndarray], shards: int = 1, bad: dict | None = None) -> None:
    """Write `tensors` as a TF v2 checkpoint; tensor i goes to shard i % shards. `bad` overrides entry
    fields by tensor name, e.g. {"w": {"dtype": 7}}."""
    data = [bytearray() for _ in range(shards)]
    entries = [(b"", header_proto(shards))]
    for i, name in enumerate(sorted(tensors)):
        a = np.asarray(tensors[name])
        shard = i % shards
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        fields = {"dtype": DT[a.dtype], "shape": a.shape, "shard": shard, "offset": len(data[shard]),
                  "size": len(raw), "crc": crc32c(raw)}
        fields.update((bad or {}).get(name, {}))
        data[shard] += raw
        entries.append((name.encode(), entry_proto(**fields)))
    prefix.with_name(prefix.name + ".index").write_bytes(sstable(entries))
    for s in range(shards):
        shard_path(prefix, s, shards).write_bytes(bytes(data[s]))


def sample_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "agent/main/actor/0/dense/kernel": rng.standard_normal((5, 7)).astype(np.float32),
        "agent/main/actor/0/dense/bias": rng.standard_normal(7).astype(np.float32),
        "agent/main/actor/dense/kernel": rng.standard_normal((7, 3)).astype(np.float64),
        "agent/resource/s_norm/count": np.array([1000196], dtype=np.int32),
        "agent/resource/g_norm/mean": np.zeros(0, dtype=np.float32),
        "global_step": np.array(2**40 + 3, dtype=np.int64),
        "big": rng.standard_normal((64, 300)).astype(np.float32),  # > 16 KiB: chunked CRC path
        "neg": np.array([[-1, -(2**31)], [2**31 - 1, 0]], dtype=np.int32),
    }


# ------------------------------------------------------------------------------------------- CRC32C
@pytest.mark.parametrize("data, expected", [
    (b"", 0x0), (b"123456789", 0xE3069283),  # the CRC-32C check value
    (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),  # RFC 3720 B.4 test vectors
    (bytes(range(32)), 0x46DD794E), (bytes(range(31, -1, -1)), 0x113FDB5C),
])
def test_crc32c_known_vectors(data, expected):
    assert crc32c(data) == expected


def bitwise_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


@pytest.mark.parametrize("n", [1, 16383, 16384, 16385, 40000, 99991])
def test_crc32c_chunked_path_matches_bitwise_definition(n):
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    assert crc32c(data) == bitwise_crc32c(data)


def test_mask_round_trip_and_changes_value():
    for crc in (0, 1, 0xE3069283, 0xFFFFFFFF):
        assert unmask_crc(mask_crc(crc)) == crc
        assert mask_crc(crc) != crc


# ---------------------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("shards", [1, 2])
def test_round_trip_synthetic_bundle(tmp_path, shards):
    tensors = sample_tensors()
    prefix = tmp_path / "model.ckpt"
    write_bundle(prefix, tensors, shards=shards)
    reader = CheckpointReader(prefix)
    assert reader.header.num_shards == shards and reader.header.little_endian
    assert list(reader.entries) == sorted(tensors)
    for path in (prefix, prefix.with_name("model.ckpt.index"), shard_path(prefix, 0, shards)):
        out = read_checkpoint(path)
        assert set(out) == set(tensors)
        for name, a in tensors.items():
            assert out[name].dtype == a.dtype, name
            assert out[name].shape == a.shape, name
            np.testing.assert_array_equal(out[name], a)


def test_round_trip_many_keys_with_shared_prefixes(tmp_path):
    tensors = {f"layer/{i:03d}/w": np.full((2,), i, np.float32) for i in range(40)}
    write_bundle(tmp_path / "m", tensors)
    out = read_checkpoint(tmp_path / "m")
    assert list(out) == sorted(tensors)
    assert all(out[k][0] == float(k.split("/")[1]) for k in out)


# ------------------------------------------------------------------------------------ corrupt files
@pytest.fixture
def bundle(tmp_path) -> Path:
    prefix = tmp_path / "model.ckpt"
    write_bundle(prefix, sample_tensors())
    return prefix


def index_of(prefix: Path) -> Path:
    return prefix.with_name(prefix.name + ".index")


def data_of(prefix: Path) -> Path:
    return shard_path(prefix, 0, 1)


def test_truncated_data_shard(bundle):
    data = data_of(bundle)
    data.write_bytes(data.read_bytes()[:-100])
    with pytest.raises(WeightsError, match="past the end") as e:
        read_checkpoint(bundle)
    assert str(data) in str(e.value)


def test_flipped_data_byte_fails_crc(bundle):
    data = data_of(bundle)
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0x10
    data.write_bytes(bytes(raw))
    with pytest.raises(WeightsError, match="CRC32C") as e:
        read_checkpoint(bundle)
    assert str(data) in str(e.value)


def test_other_tensors_still_readable_after_one_is_corrupt(bundle):
    data = data_of(bundle)
    reader = CheckpointReader(bundle)
    entry = reader.entries["big"]
    raw = bytearray(data.read_bytes())
    raw[entry.offset] ^= 1
    data.write_bytes(bytes(raw))
    reader = CheckpointReader(bundle)
    with pytest.raises(WeightsError, match="'big' fails its CRC32C"):
        reader.tensor("big")
    np.testing.assert_array_equal(reader.tensor("neg"), sample_tensors()["neg"])


def test_bad_magic(bundle):
    index = index_of(bundle)
    raw = bytearray(index.read_bytes())
    raw[-1] ^= 0xFF
    index.write_bytes(bytes(raw))
    with pytest.raises(WeightsError, match="bad magic") as e:
        read_checkpoint(bundle)
    assert str(index) in str(e.value)


def test_flipped_index_byte_fails_block_crc(bundle):
    index = index_of(bundle)
    raw = bytearray(index.read_bytes())
    raw[3] ^= 0x01
    index.write_bytes(bytes(raw))
    with pytest.raises(WeightsError, match="CRC32C") as e:
        read_checkpoint(bundle)
    assert str(index) in str(e.value)


def test_truncated_index(bundle):
    index = index_of(bundle)
    index.write_bytes(index.read_bytes()[:30])
    with pytest.raises(WeightsError, match="too short") as e:
        read_checkpoint(bundle)
    assert str(index) in str(e.value)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint\n" * 20, os.urandom(4096)])
def test_foreign_file(tmp_path, content):
    (tmp_path / "x.index").write_bytes(content)
    with pytest.raises(WeightsError, match=r"x\.index"):
        read_checkpoint(tmp_path / "x.index")


def test_foreign_file_with_the_magic_number(tmp_path):
    """Right magic, nonsense handles: still a clear error, not an IndexError."""
    raw = b"\xff" * 40 + struct.pack("<Q", 0xDB4775248B80FB57)
    (tmp_path / "x.index").write_bytes(raw)
    with pytest.raises(WeightsError, match=r"x\.index"):
        read_checkpoint(tmp_path / "x")


def test_missing_files(bundle):
    data_of(bundle).unlink()
    with pytest.raises(WeightsError, match="data shard not found") as e:
        read_checkpoint(bundle)
    assert str(data_of(bundle)) in str(e.value)
    with pytest.raises(WeightsError, match="index not found"):
        read_checkpoint(bundle.with_name("absent.ckpt"))


def test_offset_past_end_of_shard(tmp_path):
    write_bundle(tmp_path / "m", {"w": np.ones(4, np.float32)}, bad={"w": {"offset": 1000}})
    with pytest.raises(WeightsError, match="past the end"):
        read_checkpoint(tmp_path / "m")


def test_unsupported_dtype_and_size_mismatch(tmp_path):
    write_bundle(tmp_path / "m", {"s": np.ones(4, np.float32), "w": np.ones(4, np.float32)},
                 bad={"s": {"dtype": 7}, "w": {"size": 12}})
    reader = CheckpointReader(tmp_path / "m")
    with pytest.raises(WeightsError, match="unsupported dtype string"):
        reader.tensor("s")
    with pytest.raises(WeightsError, match="size 12 bytes"):
        reader.tensor("w")
    with pytest.raises(WeightsError, match="no tensor named 'q'"):
        reader.tensor("q")


# ------------------------------------------------------------------------------ shipped checkpoints
@pytest.mark.parametrize("name", POLICIES)
def test_shipped_checkpoint_contents(name):
    out = read_checkpoint(policy_checkpoint(name))
    assert len(out) == 36
    expected = {
        "agent/main/actor/0/dense/kernel": (197, 1024), "agent/main/actor/1/dense/kernel": (1024, 512),
        "agent/main/actor/dense/kernel": (512, 36), "agent/main/actor/dense/bias": (36,),
        "agent/main/critic/0/dense/kernel": (197, 1024), "agent/main/critic/dense/kernel": (512, 1),
        "agent/resource/s_norm/mean": (197,), "agent/resource/s_norm/std": (197,),
        "agent/resource/a_norm/mean": (36,), "agent/resource/a_norm/std": (36,),
        "agent/resource/val_norm/mean": (1,), "agent/resource/g_norm/mean": (0,),
    }
    for tf_name, shape in expected.items():
        assert out[tf_name].shape == shape and out[tf_name].dtype == np.float32, tf_name
    for tf_name, _ in TF_NAMES.values():
        assert out[tf_name].dtype == np.float32 and np.all(np.isfinite(out[tf_name])), tf_name
    counts = [k for k in out if k.endswith("/count") or k.endswith("/count_ph")]
    assert len(counts) == 8 and all(out[k].dtype == np.int32 and out[k].shape == (1,) for k in counts)
    assert out["agent/resource/s_norm/count"][0] > 0  # the state normaliser was fitted
    assert np.all(out["agent/resource/s_norm/std"] > 0) and np.all(out["agent/resource/a_norm/std"] > 0)
