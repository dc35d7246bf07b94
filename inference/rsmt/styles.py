"""The style library (Qt-free): one style per style clip, a 2-D map of the styles, blends, custom styles on disk.

A style is what a transition request takes as its style: `inference.rsmt.transition.StyleFeatures`, the
un-normalised per-frame features the sampler's style encoder reads. Its *code* (the point on the map) is
the encoder's output for it ("rsmt_sampler_style"): the AdaIN scale and shift of the two FiLM sites
(emb_gamma, emb_beta, pred_gamma, pred_beta), the part of the style encoding that summarises the whole
clip. The map is the 2-D PCA of the codes of the library.

A blend of two styles mixes their features linearly (6D rotations are re-orthonormalised by the
networks' Gram-Schmidt); its code is the encoder's output for the mixed features, so a blend sits where
the encoder puts it, not necessarily on the line between its parents.

Custom styles are `StyleFeatures` JSON files in `style_dir()`: ``$MOTION_STUDIO_DATA/styles``, else
``$XDG_DATA_HOME/motion-studio/styles``, else ``~/.local/share/motion-studio/styles``; written atomically.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.rsmt.transition import StyleFeatures, TransitionError, TransitionGenerator
from motion.motion import Motion

CODE_FIELDS = ("emb_gamma", "emb_beta", "pred_gamma", "pred_beta")


def data_dir() -> Path:
    root = os.environ.get("MOTION_STUDIO_DATA")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "motion-studio"


def style_dir() -> Path:
    return data_dir() / "styles"


@dataclass
class Style:
    """name -- shown in the library; origin -- "clip", "custom" (a file) or "blend"; path -- the file of a
    custom style; code -- (D,) the encoder's summary of it (see the module docstring)."""

    name: str
    features: StyleFeatures
    code: np.ndarray
    origin: str
    path: Path | None = None


def encoder_outputs(generator: TransitionGenerator, features: list[StyleFeatures],
                    backend: str = "torch") -> dict[str, np.ndarray]:
    """The style encoder's outputs ("rsmt_sampler_style", each (N, ...)) for N >= 1 styles in one batched call."""
    x = np.concatenate([generator._style_input(f) for f in features])  # noqa: SLF001 -- the sampler's own layout
    return {k: np.array(v, np.float32) for k, v in generator.runner(backend, "rsmt_sampler_style")(features=x).items()}


def style_codes(generator: TransitionGenerator, features: list[StyleFeatures], backend: str = "torch") -> np.ndarray:
    """(N, D) codes of N styles in one batched call of the sampler's style encoder."""
    if not features:
        return np.zeros((0, 0), np.float32)
    out = encoder_outputs(generator, features, backend)
    return np.concatenate([out[k].reshape(len(features), -1) for k in CODE_FIELDS], axis=1)


def clip_styles(generator: TransitionGenerator, clips: dict[str, Motion], backend: str = "torch") -> tuple[list[Style], list[str]]:
    """A style per clip; clips the model cannot read (another skeleton) are skipped with a message each."""
    feats, problems = [], []
    for name, motion in clips.items():
        try:
            feats.append(generator.style_features(motion, name))
        except TransitionError as e:
            problems.append(f"{name}: {e}")
    codes = style_codes(generator, feats, backend)
    return [Style(f.name, f, c, "clip") for f, c in zip(feats, codes)], problems


def load_custom_styles(generator: TransitionGenerator, folder: Path | None = None,
                       backend: str = "torch") -> tuple[list[Style], list[str]]:
    """Every style file in `folder` (default `style_dir()`) that fits the model; a message per bad file."""
    folder = Path(folder) if folder is not None else style_dir()
    model = generator.model
    feats, paths, problems = [], [], []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            feats.append(StyleFeatures.load(path, model.roles, model.cfg.style_frames - 1))
            paths.append(path)
        except TransitionError as e:
            problems.append(str(e))
    codes = style_codes(generator, feats, backend)
    return [Style(f.name, f, c, "custom", p) for f, p, c in zip(feats, paths, codes)], problems


def blend(a: StyleFeatures, b: StyleFeatures, t: float, name: str = "") -> StyleFeatures:
    """(1 - t) a + t b of two styles of the same model (t in [0, 1])."""
    if a.features.shape != b.features.shape or a.joints != b.joints:
        raise TransitionError(f"styles {a.name!r} and {b.name!r} are for different models and cannot be blended")
    if not 0.0 <= t <= 1.0:
        raise TransitionError(f"blend weight must be in [0, 1], got {t}")
    mixed = ((1.0 - t) * a.features.astype(np.float64) + t * b.features).astype(np.float32)
    return StyleFeatures(mixed, a.joints, name or f"{a.name} {1 - t:.0%} + {b.name} {t:.0%}")


def save_style(features: StyleFeatures, name: str, folder: Path | None = None) -> Path:
    """Write `features` under `name` as ``<folder>/<slug>.json`` (atomically); returns the path."""
    folder = Path(folder) if folder is not None else style_dir()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("._") or "style"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.json"
    StyleFeatures(features.features, features.joints, name.strip() or slug).save(path)
    return path


class StyleMap:
    """2-D PCA of style codes: fitted on the library, then any code (a blend) can be placed on it."""

    def __init__(self, codes: np.ndarray):
        """codes (N, D), N >= 1; with one style the map is that single point at the origin."""
        codes = np.asarray(codes, np.float64)
        self.mean = codes.mean(axis=0)
        _, _, vt = np.linalg.svd(codes - self.mean, full_matrices=False)
        self.basis = np.zeros((2, codes.shape[1]))
        k = min(2, len(codes) - 1)  # N points span at most N - 1 directions
        self.basis[:k] = vt[:k]
        for row in self.basis[:k]:  # a deterministic sign: the largest loading positive
            if row[np.argmax(np.abs(row))] < 0:
                row *= -1
        self.points = self.project(codes)

    def project(self, codes: np.ndarray) -> np.ndarray:
        """(N, D) -> (N, 2) float64: the style map plots these, and pyqtgraph compares a view range with its
        +-1e307 default limits, which a float32 range overflows ("overflow encountered in cast" on stderr)."""
        return (np.asarray(codes, np.float64) - self.mean) @ self.basis.T

    def nearest(self, xy, within: float | None = None) -> int | None:
        """Index of the library point nearest to xy (None if none within `within`)."""
        if not len(self.points):
            return None
        d = np.linalg.norm(self.points - np.asarray(xy, np.float32), axis=1)
        i = int(np.argmin(d))
        return i if within is None or d[i] <= within else None
