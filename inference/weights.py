"""Weights live once, as a safetensors file plus a JSON config beside it (``NAME.safetensors`` +
``NAME.json``). The torch networks and the MAX graphs both load from this pair."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from motion.atomic import atomic_path


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
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        st = Path(path).with_suffix(".safetensors")
        cfg = Path(path).with_suffix(".json")
        for p in (st, cfg):
            if not p.is_file():
                raise WeightsError(f"{p}: file not found")
        try:
            config = json.loads(cfg.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise WeightsError(f"{cfg}: not valid JSON ({e})") from None
        try:
            tensors = load_file(str(st))
        except (SafetensorError, OSError, ValueError) as e:
            raise WeightsError(f"{st}: not a readable safetensors file ({e})") from None
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
