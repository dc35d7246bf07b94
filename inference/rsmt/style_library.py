"""A model's named styles (Qt-free): one style per style label of its training data, plus one code per
training clip, kept beside the weights as `styles.npz` (`python main.py styles build`, which makes it with
`training.style_library.build_library`).

A transition takes a style as `StyleFeatures` (what the sampler's style encoder reads), not as a code, so
the MAX graphs, blending and saved style files stay as they are. The named style of a label is therefore
a real stretch of that label's motion: one of the label's 120-frame style windows in the *training split*
(held-out frames never enter), the one a style critic rates its transitions most as the label, or the one
whose code is nearest to the label's mean code (`chosen_by` says which; `training.style_library`). The file
also holds every window's code with its clip and label (`clip_codes`), each label's mean code (`style_codes`),
for the style map, the critic's rating of each window (`window_scores`), and the style encoder's mean outputs over
the `normal` windows (`reference`), from which a style strength other than 1 pushes a style
(`inference.rsmt.style_reference`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.rsmt.style_reference import LIBRARY_FILE, REFERENCE_PREFIX, library_path, reference_entries
from inference.rsmt.transition import StyleFeatures, TransitionError

FORMAT = "motion-studio-style-library/2"
FORMAT_1 = "motion-studio-style-library/1"  # before chosen_by and window_scores: every named style a medoid
MEDOID = "medoid: the window nearest the style's mean code"
EVALUATION_FILE = "evaluation.json"  # the model's `evaluate --style-accuracy --json`, kept beside its weights
NAMED_STYLE = "named style"  # the evaluation's method that makes transitions as `transition --style NAME` does


@dataclass
class StyleLibrary:
    names: list[str]  # style labels, sorted
    features: np.ndarray  # (S, T, J, 12) each label's named window (StyleFeatures layout)
    joints: tuple[str, ...]
    style_codes: np.ndarray  # (S, D) each label's mean code
    clip_names: list[str]  # one per training style window
    clip_styles: list[str]
    clip_codes: np.ndarray  # (N, D)
    named_clips: list[str]  # the clip each named style's window comes from
    chosen_by: str  # how the named windows were chosen, in words
    window_scores: np.ndarray  # (N,) the critic's rating of each window (mean log-probability), NaN if unrated
    # the style encoder's mean outputs (each (1, ...)) over the windows of the reference style, `normal`: what a
    # style strength other than 1 pushes a style's outputs away from (`style_reference`); empty without that label
    reference: dict[str, np.ndarray] = field(default_factory=dict)

    def style(self, name: str) -> StyleFeatures:
        """The named style; TransitionError listing the names for an unknown one."""
        if name not in self.names:
            raise TransitionError(f"no style named {name!r} (styles: {', '.join(self.names)})")
        return StyleFeatures(self.features[self.names.index(name)], self.joints, name)

    def provenance(self, name: str) -> str:
        """Where a named style's motion comes from and why that window, in a sentence (the Styles panel's tooltip)."""
        return (f"Its motion: a {len(self.features[0]) + 1}-frame training window of "
                f"{self.named_clips[self.names.index(name)]}, chosen by {self.chosen_by}.")

    def save(self, path: str | Path) -> None:
        from motion.atomic import atomic_write

        with atomic_write(Path(path), "wb") as f:
            np.savez(f, format=FORMAT, names=np.array(self.names), features=self.features.astype(np.float32),
                     joints=np.array(self.joints), style_codes=self.style_codes, clip_names=np.array(self.clip_names),
                     clip_styles=np.array(self.clip_styles), clip_codes=self.clip_codes,
                     named_clips=np.array(self.named_clips), chosen_by=self.chosen_by,
                     window_scores=np.asarray(self.window_scores, np.float32),
                     **{REFERENCE_PREFIX + k: np.asarray(v, np.float32) for k, v in self.reference.items()})

    @staticmethod
    def load(path: str | Path) -> "StyleLibrary":
        """TransitionError naming the file when it is not a style library."""
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["format"]) not in (FORMAT, FORMAT_1):
                    raise ValueError(f"format {str(z['format'])!r}, expected {FORMAT!r}")
                old = str(z["format"]) == FORMAT_1
                lib = StyleLibrary([str(n) for n in z["names"]], z["features"], tuple(str(j) for j in z["joints"]),
                                   z["style_codes"], [str(n) for n in z["clip_names"]],
                                   [str(s) for s in z["clip_styles"]], z["clip_codes"],
                                   [str(m) for m in z["medoids" if old else "named_clips"]],
                                   MEDOID if old else str(z["chosen_by"]),
                                   np.full(len(z["clip_names"]), np.nan, np.float32) if old else z["window_scores"],
                                   reference_entries(z))
        except (OSError, KeyError, ValueError) as e:
            raise TransitionError(f"{path}: not a style library ({e})") from None
        if not np.isfinite(lib.features).all():
            raise TransitionError(f"{path}: style library holds non-finite numbers")
        return lib


def model_library(model) -> StyleLibrary | None:
    """The style library beside a model's weights (`RSMTModel.folder`), None when it has none."""
    path = library_path(model.folder)
    return StyleLibrary.load(path) if path is not None else None


@dataclass(frozen=True)
class StyleRecognition:
    """How often the model's transitions asked for a style came out as that style, from its evaluation: 40-frame
    transitions between held-out `normal` windows, judged by a style classifier fitted on the training split
    (`training.style_classifier.style_accuracy`); `baseline` is how often interpolation, which has no style,
    is called that style on the same windows."""
    hits: int
    transitions: int
    baseline: int
    chance: float  # 1 / number of styles

    def text(self) -> str:
        return f"recognised {self.hits}/{self.transitions}"

    def explanation(self, style: str) -> str:
        return (f"In this model's evaluation ({EVALUATION_FILE}), of {self.transitions} transitions between "
                f"held-out 'normal' keyframes asked for '{style}', a style classifier called {self.hits} "
                f"'{style}' (interpolation, which has no style: {self.baseline}; chance: {self.chance:.0%}).")


def style_recognition(folder: str | Path | None) -> dict[str, StyleRecognition]:
    """{style: StyleRecognition} of the named styles (the evaluation's NAMED_STYLE rows) from the evaluation beside
    a model's weights; {} when the folder holds none or it measured no style accuracy of named styles.
    TransitionError naming the file when it is unreadable."""
    path = Path(folder) / EVALUATION_FILE if folder is not None else None
    if path is None or not path.is_file():
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            measured = json.load(f).get("style_accuracy")
        if measured is None:
            return {}
        hits = {(r["method"], r["style"]): (round(float(r["fraction"]) * int(r["transitions"])), int(r["transitions"]))
                for r in measured["rows"]}
        return {style: StyleRecognition(n_hits, n, hits[("interpolation", style)][0], float(measured["chance"]))
                for (method, style), (n_hits, n) in hits.items() if method == NAMED_STYLE}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
        raise TransitionError(f"{path}: not an evaluation with style accuracy ({type(e).__name__}: {e})") from None


def library_styles(generator, backend: str = "torch") -> tuple[list, StyleLibrary | None]:
    """The named styles of the generator's model as `inference.rsmt.styles.Style`s (origin "style"; each code is
    the encoder's for the named style's window, as for any other style, so blends place alike), and the
    library itself (for its per-window codes); ([], None) for a model without one."""
    from inference.rsmt.styles import Style, style_codes

    library = model_library(generator.model)
    if library is None:
        return [], None
    feats = [library.style(n) for n in library.names]
    codes = style_codes(generator, feats, backend)
    return [Style(n, f, c, "style") for n, f, c in zip(library.names, feats, codes)], library


def resolve_style(spec: str | None, model=None):
    """A STYLE argument as a TransitionRequest takes it: a saved style code (.npy/.json path), a named style of
    `model`'s library (when given and the name is not a file), else a clip (embedded clip name or motion file,
    `motion.io.resolve_clip`); None stays None (the source clip's own style)."""
    if spec is None:
        return None
    if Path(spec).suffix.lower() in (".npy", ".json"):
        return Path(spec)
    from motion.io import resolve_clip

    library = model_library(model) if model is not None and not Path(spec).exists() else None
    if library is not None and spec in library.names:
        return library.style(spec)
    return resolve_clip(spec)
