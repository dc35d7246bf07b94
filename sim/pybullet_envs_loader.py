"""Import pybullet's DeepMimic env code without executing `pybullet_envs/__init__.py`.

Why: `pybullet_envs/__init__.py` does `import gym` and registers gym environments; gym is not a
dependency of ours (and the old gym API it expects no longer installs cleanly). The DeepMimic env
modules themselves (`pybullet_envs/deep_mimic/env/*.py`) only need pybullet, pybullet_utils,
pybullet_data and numpy, and import each other by absolute name (`pybullet_envs.deep_mimic.env...`).

How: we register a bare package module called `pybullet_envs` in `sys.modules` whose `__path__` is the
real installed folder. Python then finds the subpackages (`deep_mimic`, `deep_mimic.env`, whose
`__init__.py` files are empty) and modules in that folder as usual, but never runs the top-level
`__init__.py`. If the real package was already imported (someone has gym), that one is used.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def _ensure_package_stub() -> None:
    if "pybullet_envs" in sys.modules:
        return
    spec = importlib.util.find_spec("pybullet_envs")  # locates the folder; does not execute __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pybullet_envs is not installed (it ships with the pybullet package)")
    stub = types.ModuleType("pybullet_envs", "stub package: see sim/pybullet_envs_loader.py")
    stub.__path__ = list(spec.submodule_search_locations)
    stub.__package__ = "pybullet_envs"
    sys.modules["pybullet_envs"] = stub


def deepmimic_env_module(name: str) -> types.ModuleType:
    """`pybullet_envs.deep_mimic.env.<name>`, e.g. "pybullet_deep_mimic_env" or "humanoid_stable_pd"."""
    _ensure_package_stub()
    return importlib.import_module(f"pybullet_envs.deep_mimic.env.{name}")
