"""Making a model's named style library (`inference.rsmt.style_library`) from the training split of the data
it was trained on: per style label, one of the label's 120-frame training windows is its named style.

Which window (`named_by`):
- "critic" (the default): the window whose transitions read most as the style. Each window of the label makes a
  40-frame transition between each of up to 48 training `normal` windows (the app's clean-up included, as
  `evaluate --style-accuracy` makes them), and a style critic (`training.style_critic`, fitted on the training
  split with a seed the sampler's training never used) rates them; the window with the highest mean
  log-probability of its label wins. Why: the window nearest the mean code carries the style into a
  transition no better than chance for most labels. On the Bandai model, picked this way, 10 of 14 styles were
  recognised in held-out transitions instead of 5 (session 32, assets/rsmt_bandai/evaluation.md). It needs a
  `normal` label: transitions start and end there, as the evaluation's do.
- "medoid": the window whose code is nearest to the label's mean code; for data without a `normal` label.
"""
from __future__ import annotations

import numpy as np

from inference.rsmt.style_library import MEDOID, StyleLibrary
from inference.rsmt.transition import StyleFeatures, TransitionError

NAMED_BY = ("critic", "medoid")
REFERENCE_STYLE = "normal"  # the critic's transitions start and end in windows of this label, and a style strength
# pushes away from its mean encoder outputs (StyleLibrary.reference)
CRITIC_WINDOWS = 48  # at most this many training windows of the reference style make each window's transitions


def build_library(generator, dataset, backend: str = "torch", named_by: str = "critic") -> StyleLibrary:
    """The library of a model (`TransitionGenerator`) from the training split of the MotionDataset it was
    trained on (originals only: no mirrored or time-scaled copies). TransitionError when the split has no
    style window, or (named_by "critic") no `normal` window."""
    from inference.rsmt.styles import encoder_outputs, style_codes
    from training.datasets import STYLE_STRIDE, style_clips

    if named_by not in NAMED_BY:
        raise ValueError(f"named_by must be one of {NAMED_BY}, got {named_by!r}")
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
    reference = {}
    if REFERENCE_STYLE in labels:
        outputs = encoder_outputs(generator, [f for f, label in zip(feats, labels) if label == REFERENCE_STYLE],
                                  backend)
        reference = {k: v.mean(axis=0, keepdims=True) for k, v in outputs.items()}
    names = sorted(set(labels))
    labels_arr = np.array(labels)
    if named_by == "critic":
        scores, chosen_by = critic_scores(model, dataset, feats, labels)
    else:
        scores, chosen_by = np.full(len(feats), np.nan, np.float32), MEDOID
    means, chosen, named_clips = [], [], []
    for name in names:
        idx = np.nonzero(labels_arr == name)[0]
        mean = codes[idx].mean(axis=0)
        best = idx[np.argmax(scores[idx])] if named_by == "critic" else \
            idx[np.argmin(np.linalg.norm(codes[idx] - mean, axis=1))]
        means.append(mean)
        chosen.append(feats[best].features)
        named_clips.append(clips[best])
    return StyleLibrary(names, np.stack(chosen), tuple(model.roles.names), np.stack(means).astype(np.float32),
                        clips, labels, codes, named_clips, chosen_by, scores, reference)


def critic_scores(model, dataset, feats: list[StyleFeatures], labels: list[str]) -> tuple[np.ndarray, str]:
    """(N,) each window's mean log-probability of its own label, by a style critic, over the transitions it makes
    between training `normal` windows (see the module docstring), and a line saying how they were rated."""
    import torch

    from inference.networks.rsmt_networks import build_network
    from training.benchmark import PAST, dataset_benchmark, sampler_method, style_windows
    from training.style_classifier import LENGTH  # the evaluation's style-accuracy transitions
    from training.style_critic import fit_critic, style_log_probability, unused_seed
    from training.train_manifold import phase_function

    if REFERENCE_STYLE not in labels:
        raise TransitionError(f"the training split has no {REFERENCE_STYLE!r} style to rate transitions between; "
                              "name the styles by their medoid instead")
    sampler = build_network(model.sampler, "rsmt_sampler")
    data = dataset_benchmark(dataset, dataset.train, phase_function(model.phase, torch.device("cpu")),
                             style_from_training=True)
    try:
        sub = style_windows(data, REFERENCE_STYLE, at_most=CRITIC_WINDOWS)
    except ValueError as e:
        raise TransitionError(f"the training split: {e}; name the styles by their medoid instead") from None
    seed = unused_seed(model.sampler.config.get("training", {}))
    critic, report = fit_critic(dataset, seed=seed)
    scores = np.empty(len(feats), np.float32)
    for i, (f, label) in enumerate(zip(feats, labels)):
        pos, _ = sampler_method(sampler, sub, pipeline="app", style_features=f.features)(sub.windows, PAST, LENGTH)
        scores[i] = float(style_log_probability(critic, pos, label).mean())
    held = report["heldout_accuracy"]
    return scores, (f"critic: the window whose {LENGTH}-frame transitions between {sub.num_windows} "
                    f"training '{REFERENCE_STYLE}' windows a style critic (seed {seed}"
                    + (f", held-out accuracy {held:.3f}" if held is not None else "")
                    + ") rates most as the style")
