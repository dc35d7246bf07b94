"""A differentiable style critic for the sampler's optional style loss (`train sampler --style-loss W`).

Why: RSMT trains the sampler only to reconstruct windows whose context, target and style code are all of
one style, so it can read the style from the context and the target keyframe and leave the code unused.
Issue 18's first Bandai sampler did: swapping the style code moved the joints 1.5 cm on average against
12 cm for swapping the target keyframe, and every transition between `normal` keyframes was classified
alike whatever style was asked for. With --style-loss every training batch is also generated with the code
of *another* style, from the same context to the same target; there is no ground truth for that motion, so
it is scored by this critic (cross-entropy against the requested style) and by landing on the target
keyframe (`train_sampler.swapped_style_losses`). This is our addition to RSMT's objective, off by default.

The critic is deliberately not the instrument that measures style accuracy (`training.style_classifier`,
logistic regression on whole-stretch posture and speed statistics): it is a small temporal convolution
network over per-frame features (each joint's position relative to the hips in the hips' facing frame, and
its speed), mean-pooled over time so that it takes any length, fitted on the training split's stretches of
10 to 40 frames only (with label smoothing) and then frozen. Its held-out accuracy is reported when it is fitted.

One critic can be fooled: on issue 18's Bandai sampler, fine-tuned against the seed-0 critic, that critic called 8
of 10 `active` transitions active where the classifier called them feminine. `train sampler --critics N` scores
the swapped-style transitions with N critics fitted with seeds 0..N-1 (`fit_critics`, `CriticEnsemble`): a motion
must read as the style to all of them, and four kept more style than one in session 29's fine-tunes.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from motion.joint_roles import JointRoles

MIN_FRAMES, MAX_FRAMES = 10, 40  # the sampler's transition lengths
HIDDEN, KERNEL = 128, 5
STEPS, BATCH, LEARNING_RATE, WEIGHT_DECAY = 600, 256, 2e-3, 1e-4
LABEL_SMOOTHING = 0.1  # keeps the logits moderate: unsmoothed, the critic's cross-entropy on the sampler's first
# swapped-style transitions was 24-42 (near-certain and wrong), and its gradient swamped the reconstruction


def frame_features(pos: torch.Tensor, left_hip: int, right_hip: int) -> torch.Tensor:
    """(N, T, J, 3) world positions -> (N, T - 1, 4 J): each joint relative to the hips in the hips' facing
    frame (facing = (left - right hip) x up, onto +X) and each joint's speed, for frames 1..T-1."""
    d = pos[..., left_hip, :] - pos[..., right_hip, :]
    fwd = torch.stack([-d[..., 2], d[..., 0]], -1)
    fwd = fwd / fwd.norm(dim=-1, keepdim=True).clamp_min(1e-6)
    fx, fz = fwd[..., :1], fwd[..., 1:]  # (N, T, 1)
    rel = pos - pos[..., :1, :]
    local = torch.stack([fx * rel[..., 0] + fz * rel[..., 2], rel[..., 1], -fz * rel[..., 0] + fx * rel[..., 2]], -1)
    speed = (pos[:, 1:] - pos[:, :-1]).norm(dim=-1)
    return torch.cat([local[:, 1:].flatten(2), speed], -1)


class StyleCritic(nn.Module):
    """Per-frame features (z-scored with the training stretches' statistics) -> two convolutions -> mean over
    time -> style logits."""

    def __init__(self, roles: JointRoles, styles: list[str], mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.left_hip, self.right_hip, self.styles = roles.left_hip, roles.right_hip, list(styles)
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        d = mean.shape[-1]
        self.convs = nn.Sequential(nn.Conv1d(d, HIDDEN, KERNEL, padding=KERNEL // 2), nn.ReLU(),
                                   nn.Conv1d(HIDDEN, HIDDEN, KERNEL, padding=KERNEL // 2), nn.ReLU())
        self.out = nn.Linear(HIDDEN, len(styles))

    def forward(self, pos: torch.Tensor) -> torch.Tensor:
        """(N, T, J, 3) positions, T >= 2 -> (N, S) logits."""
        x = (frame_features(pos, self.left_hip, self.right_hip) - self.mean) / self.std
        return self.out(self.convs(x.transpose(1, 2)).mean(-1))


def _stretches(sequences, rng: np.random.Generator, styles: list[str], n: int, frames: int):
    """n random `frames`-frame stretches of the sequences at least that long, with their style indices."""
    long = [s for s in sequences if len(s.pos) >= frames]
    pick = rng.integers(len(long), size=n)
    pos = np.stack([long[i].pos[(start := int(rng.integers(len(long[i].pos) - frames + 1))):start + frames]
                    for i in pick]).astype(np.float32)
    return torch.from_numpy(pos), torch.tensor([styles.index(long[i].style) for i in pick])


def fit_critic(dataset, seed: int = 0, steps: int | None = None) -> tuple[StyleCritic, dict]:
    """The critic fitted on `dataset.train` (a MotionDataset) and frozen, and its report: {"heldout_accuracy",
    "heldout_stretches"} on 40-frame stretches of `dataset.test` (None without test sequences that long)."""
    rng = np.random.default_rng(seed)
    styles = dataset.styles
    sample, _ = _stretches(dataset.train, rng, styles, 512, MAX_FRAMES)
    feats = frame_features(sample, dataset.roles.left_hip, dataset.roles.right_hip).flatten(0, 1)
    torch.manual_seed(seed)
    critic = StyleCritic(dataset.roles, styles, feats.mean(0), feats.std(0) + 1e-3)
    optimizer = torch.optim.Adam(critic.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    for _ in range(STEPS if steps is None else steps):
        pos, label = _stretches(dataset.train, rng, styles, BATCH, int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1)))
        loss = nn.functional.cross_entropy(critic(pos), label, label_smoothing=LABEL_SMOOTHING)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    critic.requires_grad_(False).eval()
    report = {"heldout_accuracy": None, "heldout_stretches": 0}
    if any(len(s.pos) >= MAX_FRAMES for s in dataset.test):
        pos, label = _stretches(dataset.test, np.random.default_rng(seed + 1), styles, 512, MAX_FRAMES)
        with torch.no_grad():
            report = {"heldout_accuracy": float((critic(pos).argmax(-1) == label).float().mean()),
                      "heldout_stretches": len(label)}
    return critic, report


def style_log_probability(critic: nn.Module, pos: np.ndarray, style: str) -> np.ndarray:
    """(N,) the critic's log-probability of `style` for each of N motions (N, T, J, 3)."""
    with torch.no_grad():
        logits = critic(torch.from_numpy(np.asarray(pos, np.float32)))
    return torch.log_softmax(logits, -1)[:, critic.styles.index(style)].numpy()


def unused_seed(training: dict) -> int:
    """The first seed >= 1 that `train sampler` fitted no critic with, from the "training" entry of the sampler's
    JSON: its critics use seeds 0..N-1 (`--critics N`; one critic when it records style_loss without a count).
    A critic that judges the sampler's output (the style library's pick, `scripts/style_levers.py`) must be one
    the sampler never learnt to please."""
    used = training.get("critics", 1) if training.get("style_loss") else 0
    return max(1, used)


class CriticEnsemble(nn.Module):
    """Critics fitted with different seeds; forward gives the mean of their log-probabilities (log of the
    geometric mean of their probabilities, up to a constant), which cross-entropy then renormalises."""

    def __init__(self, critics: list[StyleCritic]):
        super().__init__()
        self.critics = nn.ModuleList(critics)
        self.styles = critics[0].styles

    def forward(self, pos: torch.Tensor) -> torch.Tensor:
        return torch.stack([c(pos).log_softmax(-1) for c in self.critics]).mean(0)


def fit_critics(dataset, count: int, steps: int | None = None) -> tuple[nn.Module, dict]:
    """`count` critics fitted with seeds 0..count-1. One: `fit_critic(dataset)` unchanged. More: their
    CriticEnsemble, with the first critic's report plus "critics" (count) and "member_heldout_accuracy"."""
    fitted = [fit_critic(dataset, seed=seed, steps=steps) for seed in range(count)]
    if count == 1:
        return fitted[0]
    report = {**fitted[0][1], "critics": count, "member_heldout_accuracy": [r["heldout_accuracy"] for _, r in fitted]}
    return CriticEnsemble([c for c, _ in fitted]), report
