"""Weights live once, as a safetensors file plus a JSON config beside it (``NAME.safetensors`` +
``NAME.json``). The torch networks and the MAX graphs both load from this pair."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motion.atomic import atomic_path
from motion.errors import MotionFileError
from motion.files import read_json


class WeightsError(ValueError):
    """A weights file is missing, unreadable, or does not fit the network (message names the file)."""


@dataclass
class WeightSet:
    """config -- architecture sizes, skeleton, normalisation statistics (JSON-serialisable)
    tensors -- parameter name -> float32 numpy array"""

    config: dict
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None

    @staticmethod
    def load(path: str | os.PathLike) -> "WeightSet":
        """Both files, checked: the config is a JSON object whose numbers are finite, every tensor holds
        only finite numbers (a NaN weight would make every output NaN); WeightsError naming the file (and
        the key or tensor) otherwise."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        st = Path(path).with_suffix(".safetensors")
        cfg = Path(path).with_suffix(".json")
        for p in (st, cfg):
            if not p.is_file():
                raise WeightsError(f"{p}: file not found")
        try:
            config = read_json(cfg)
        except MotionFileError as e:
            raise WeightsError(str(e)) from None
        if not isinstance(config, dict):
            raise WeightsError(f"{cfg}: config must be a JSON object, found a {type(config).__name__}")
        bad_key = _non_finite_key(config)
        if bad_key is not None:
            raise WeightsError(f"{cfg}: config value {bad_key!r} is not a finite number")
        try:
            tensors = load_file(str(st))
        except (SafetensorError, OSError, ValueError) as e:
            raise WeightsError(f"{st}: not a readable safetensors file ({e})") from None
        for name, t in tensors.items():
            if t.dtype.kind == "f" and not np.isfinite(t).all():
                raise WeightsError(f"{st}: tensor {name!r} holds {int((~np.isfinite(t)).sum())} NaN or infinite "
                                   f"numbers (a damaged file?)")
        return WeightSet(config, dict(tensors), st)

    def save(self, path: str | os.PathLike) -> None:
        """Write both files atomically (temp file in the same folder, then rename)."""
        from safetensors.numpy import save_file

        st = Path(path).with_suffix(".safetensors")
        cfg = Path(path).with_suffix(".json")
        st.parent.mkdir(parents=True, exist_ok=True)
        tensors = {k: np.ascontiguousarray(v) for k, v in self.tensors.items()}
        with atomic_path(st) as tmp:
            save_file(tensors, str(tmp))
        with atomic_path(cfg) as tmp:
            tmp.write_text(json.dumps(self.config, indent=1, sort_keys=True))
        self.path = st

    def expect(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The tensor `name`, checked to have `shape`; a WeightsError naming the file otherwise."""
        where = self.path or "weights"
        if name not in self.tensors:
            raise WeightsError(f"{where}: tensor {name!r} is missing")
        t = self.tensors[name]
        if tuple(t.shape) != tuple(shape):
            raise WeightsError(f"{where}: tensor {name!r} has shape {tuple(t.shape)}, expected {tuple(shape)}")
        return t


def _non_finite_key(config: dict) -> str | None:
    """The dotted key of the first NaN or infinite number in a JSON config, None if all are finite."""
    stack: list[tuple[str, object]] = [("", config)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return key
        if isinstance(value, dict):
            stack.extend((f"{key}.{k}" if key else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{key}[{i}]", v) for i, v in enumerate(value))
    return None
