"""Style strength (Qt-free): how far a style's code is pushed from a model's `normal` motion.

A model's style library (`inference.rsmt.style_library`, `styles.npz` beside the weights) keeps the style encoder's
mean outputs over the training windows of its `normal` label, its *reference*. A transition at style strength S
(`TransitionRequest.style_strength`) uses reference + S (outputs - reference) in place of its style's encoder
outputs: 1 is the style as it is, 0 the reference's, above 1 an exaggeration of what sets the style apart from
normal. Measured on the Bandai model (assets/rsmt_bandai/evaluation.md, session 32): at 1.5 the named styles were
recognised in 44% of held-out transitions against 36% at 1, at 2 in 34%; on the training windows it rose up to 2,
so 1 stays the default and the strength is the animator's call.

This module reads only the reference from the file, so that the transition generator can apply a strength without
importing the library module, which builds on the generator.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

LIBRARY_FILE = "styles.npz"
REFERENCE_PREFIX = "reference."  # the file's keys of the reference outputs


def strengthened(outputs: dict, reference: dict, strength: float) -> dict:
    """reference + strength (outputs - reference) per output, for numpy arrays (the app) or torch tensors
    (`training.benchmark.sampler_method`), each reference (1, ...) against outputs (N, ...); ValueError when they
    name different outputs (a library built for another network)."""
    if set(outputs) != set(reference):
        raise ValueError(f"the style library's reference has outputs {sorted(reference)}, the style encoder "
                         f"{sorted(outputs)}: rebuild the library (`styles build`)")
    return {k: reference[k] + strength * (v - reference[k]) for k, v in outputs.items()}


def library_path(folder: str | Path | None) -> Path | None:
    """The style library file beside a model's weights, None when there is none."""
    path = Path(folder) / LIBRARY_FILE if folder is not None else None
    return path if path is not None and path.is_file() else None


def reference_entries(npz) -> dict[str, np.ndarray]:
    """The reference outputs in an open style library file (np.load's NpzFile); {} for one without them."""
    return {k[len(REFERENCE_PREFIX):]: npz[k] for k in npz.files if k.startswith(REFERENCE_PREFIX)}


def read_reference(path: Path) -> dict[str, np.ndarray]:
    """The reference outputs a style library file holds ({} for one without a `normal` label); ValueError naming
    the file when it is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return reference_entries(z)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a style library ({e})") from None


def has_reference(folder: str | Path | None) -> bool:
    """Whether the style library beside a model's weights holds a reference (a look at the file's entries only: the
    GUI asks this when a model is picked)."""
    path = library_path(folder)
    if path is None:
        return False
    try:
        with np.load(path, allow_pickle=False) as z:
            return any(k.startswith(REFERENCE_PREFIX) for k in z.files)
    except (OSError, ValueError):
        return False
