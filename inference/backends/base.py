"""One backend interface for every network: the transition API, the DeepMimic runner and the GUI use it.

A backend turns (model kind, WeightSet) into a Runner: a callable from named float32 arrays (leading batch
axis) to named float32 arrays. A backend that cannot run yet raises BackendNotReady; nothing falls back to
another backend behind the caller's back.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from inference.weights import WeightSet


@dataclass(frozen=True)
class BackendName:
    name: str  # what the CLI, the JSON reports and the settings say
    label: str  # what the GUI shows
    module: str  # the module that registers it
    peer: bool = False  # an outside peer for bench/compare only, not offered for transitions or policies


# The one table of backend names: everything that lists, offers or labels backends reads it.
BACKEND_NAMES = (
    BackendName("torch", "PyTorch", "inference.backends.torch_backend"),
    BackendName("max", "MAX", "inference.backends.max.backend"),
    BackendName("max-mojo", "MAX + Mojo", "inference.backends.mojo.backend"),
    BackendName("onnx", "ONNX Runtime", "inference.backends.onnx_backend", peer=True),
)
ALL_BACKENDS = tuple(b.name for b in BACKEND_NAMES)
APP_BACKENDS = tuple(b.name for b in BACKEND_NAMES if not b.peer)  # transitions, policies, the GUI panels
MAX_BACKENDS = ("max-mojo", "max")  # the MAX-side backends, fastest first (what the GUI switches to when ready)
LABELS = {b.name: b.label for b in BACKEND_NAMES}


class BackendNotReady(RuntimeError):
    """The backend exists but cannot run this model yet (e.g. MAX models still compiling)."""


class Runner(Protocol):
    def __call__(self, **inputs: np.ndarray) -> dict[str, np.ndarray]: ...


class Backend(ABC):
    name: str  # one of BACKEND_NAMES

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

    def transition_finish(self):
        """This backend's own implementation of a transition's post-processing (the contract of
        `inference.rsmt.finish.finish_frames`), or None: the numpy reference runs it."""
        return None


_BACKENDS: dict[str, type[Backend]] = {}


def register(cls: type[Backend]) -> type[Backend]:
    _BACKENDS[cls.name] = cls
    return cls


def get_backend(name: str) -> Backend:
    """The backend called `name`; importing the module that registers it on demand."""
    import importlib

    if name not in _BACKENDS:
        module = {b.name: b.module for b in BACKEND_NAMES}.get(name)
        if module is None:
            raise ValueError(f"unknown backend {name!r} (choose {', '.join(ALL_BACKENDS)})")
        importlib.import_module(module)
    return _BACKENDS[name]()
