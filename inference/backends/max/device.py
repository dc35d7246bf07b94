"""Where the MAX backends compile for and run: ``--device cpu|gpu|auto``, chosen at run time.

The choice is process-wide and inherited by the processes a run starts (compile workers, bake workers): it
lives in the environment variable MOTION_STUDIO_DEVICE, resolved to "cpu" or "gpu" when it is set. "cpu" is
the default and never touches MAX's accelerator API; "auto" takes a GPU when MAX sees one
(``max.driver.accelerator_count()``), else the CPU; "gpu" without one is a `NoGpu` error, never a silent
CPU run. Compiled models are kept per device (inference.backends.max.store: the device is part of the key).

The PyTorch and ONNX Runtime backends and the Mojo Python extensions of max-mojo (the fused GEMV and sampler
kernels) always run on the CPU; the device applies to the networks run as MAX graphs.
"""
from __future__ import annotations

import os

DEVICES = ("cpu", "gpu", "auto")
ENV = "MOTION_STUDIO_DEVICE"


class NoGpu(RuntimeError):
    """--device gpu on a machine where MAX finds no accelerator."""


def gpu_count() -> int:
    """How many accelerators MAX can run on here."""
    os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")
    from max.driver import accelerator_count

    return accelerator_count()


def resolve(choice: str) -> str:
    """"cpu" or "gpu" for a --device choice; NoGpu for "gpu" without an accelerator."""
    if choice not in DEVICES:
        raise ValueError(f"unknown device {choice!r} (choose {', '.join(DEVICES)})")
    if choice == "cpu":
        return "cpu"
    if gpu_count() > 0:
        return "gpu"
    if choice == "gpu":
        raise NoGpu("no GPU (MAX finds no accelerator on this machine)")
    return "cpu"


def select(choice: str) -> str:
    """Make `choice` this process's MAX device (and its child processes'); returns "cpu" or "gpu"."""
    device = resolve(choice)
    os.environ[ENV] = device
    return device


def current() -> str:
    """This process's MAX device: what `select` chose, else "cpu"."""
    device = os.environ.get(ENV, "cpu").strip().lower() or "cpu"
    return resolve(device) if device != "cpu" else "cpu"
