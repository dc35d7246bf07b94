"""Policies for the DeepMimic runner: callables from the 197-float env state to the 36-float action."""
from __future__ import annotations

from typing import Callable

import numpy as np

from sim.env import ACTION_SIZE, POLICIES, STATE_SIZE

Policy = Callable[[np.ndarray], np.ndarray]


class ActorPolicy:
    """A shipped DeepMimic actor (`inference.deepmimic.policies.load_policy(name)`) run by an inference backend.

    The backend's "deepmimic_actor" runner includes the state and action normalisers, so its output
    is the env action itself (test mode: the Gaussian mean, no exploration noise).
    """

    def __init__(self, name: str, backend: str = "torch"):
        from inference.backends.base import get_backend
        from inference.deepmimic.policies import load_policy

        if name not in POLICIES:
            raise ValueError(f"unknown DeepMimic policy {name!r} (choose from {', '.join(POLICIES)})")
        self.name, self.backend = name, backend
        self._runner = get_backend(backend).load("deepmimic_actor", load_policy(name))

    def __call__(self, state: np.ndarray) -> np.ndarray:
        batch = np.asarray(state, dtype=np.float32).reshape(1, STATE_SIZE)
        return np.asarray(self._runner(state=batch)["action"], dtype=np.float32).reshape(ACTION_SIZE)


def zero_policy(state: np.ndarray) -> np.ndarray:
    """All-zero actions (every joint target at angle 0): the humanoid collapses in about a second."""
    return np.zeros(ACTION_SIZE, dtype=np.float32)
