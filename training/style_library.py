"""Making a model's named style library (`inference.rsmt.style_library`) from the training split of the data
it was trained on: per style label, the medoid by style code of the label's 120-frame windows."""
from __future__ import annotations

import numpy as np

from inference.rsmt.style_library import StyleLibrary
from inference.rsmt.transition import StyleFeatures, TransitionError


def build_library(generator, dataset, backend: str = "torch") -> StyleLibrary:
    """The library of a model (`TransitionGenerator`) from the training split of the MotionDataset it was
    trained on (originals only: no mirrored or time-scaled copies)."""
    from inference.rsmt.styles import style_codes
    from training.datasets import STYLE_STRIDE, style_clips

    model = generator.model
    frames = model.cfg.style_frames
    originals = [s for s in dataset.train if s.variant == "original"]
    feats, clips, labels = [], [], []
    for seq in originals:
        w = style_clips([seq], dataset.roles, dataset.styles, frames, STYLE_STRIDE)
        for i in range(len(w["pos"])):
            code = np.concatenate([w["pos"][i], w["vel"][i], w["rot"][i]], axis=-1).astype(np.float32)
            feats.append(StyleFeatures(code, tuple(model.roles.names), seq.name))
            clips.append(seq.name.split("/")[0])
            labels.append(seq.style)
    if not feats:
        raise TransitionError(f"the training split has no {frames}-frame style window")
    codes = style_codes(generator, feats, backend)
    names = sorted(set(labels))
    labels_arr = np.array(labels)
    means, chosen, medoids = [], [], []
    for name in names:
        idx = np.nonzero(labels_arr == name)[0]
        mean = codes[idx].mean(axis=0)
        best = idx[np.argmin(np.linalg.norm(codes[idx] - mean, axis=1))]
        means.append(mean)
        chosen.append(feats[best].features)
        medoids.append(clips[best])
    return StyleLibrary(names, np.stack(chosen), tuple(model.roles.names), np.stack(means).astype(np.float32),
                        clips, labels, codes, medoids)
