"""One backend interface for every network: the transition API, the DeepMimic runner and the GUI use it.

A backend turns (model kind, WeightSet) into a Runner: a callable from named float32 arrays (leading batch
axis) to named float32 arrays. A backend that cannot run yet raises BackendNotReady; nothing falls back to
another backend behind the caller's back.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np

from inference.weights import WeightSet


class BackendNotReady(RuntimeError):
    """The backend exists but cannot run this model yet (e.g. MAX models still compiling)."""


class Runner(Protocol):
    def __call__(self, **inputs: np.ndarray) -> dict[str, np.ndarray]: ...


class Backend(ABC):
    name: str  # "torch", "max", "max-mojo"

    @abstractmethod
    def load(self, kind: str, weights: WeightSet) -> Runner:
        """A runner for network `kind` (e.g. "deepmimic_actor") with these weights."""

    def ready(self, kind: str) -> bool:
        """Whether load(kind, ...) would succeed without waiting."""
        return True

    @abstractmethod
    def kinds(self) -> list[str]:
        """Every network kind this backend has (ready or not)."""

    def compiled_kinds(self, kinds) -> list[str]:
        """Those of `kinds` that need a compiled model (a MAX MEF) before load() can succeed."""
        return []


_BACKENDS: dict[str, type[Backend]] = {}


def register(cls: type[Backend]) -> type[Backend]:
    _BACKENDS[cls.name] = cls
    return cls


def get_backend(name: str) -> Backend:
    """The backend called `name`; importing the module that registers it on demand."""
    import importlib

    if name not in _BACKENDS:
        module = {"torch": "inference.torch_backend", "max": "inference.max_backend",
                  "max-mojo": "inference.max_backend", "onnx": "inference.onnx_backend"}.get(name)
        if module is None:
            raise ValueError(f"unknown backend {name!r} (choose torch, max, max-mojo or onnx)")
        importlib.import_module(module)
    return _BACKENDS[name]()
