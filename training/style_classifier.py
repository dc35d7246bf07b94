"""A style classifier of our own, to measure whether a generated transition carries the style it was asked
for (issue 18's style accuracy; RSMT itself reports none).

Input: a stretch of motion as world (or canonical) joint positions (N, T, J, 3). Features, all invariant to
where the character stands and which way it faces (`window_features`): each joint's position relative to
the hips in the hips' own facing frame of every frame (mean and standard deviation over the stretch: the
posture and how much it moves), each joint's speed (mean and standard deviation: tempo and energy), the
hips' height and horizontal speed (mean). Model: multinomial logistic regression on the z-scored features,
fitted on the training split's stretches only (full-batch Adam, weight decay), so the held-out split scores
it honestly. Deliberately simple: it is a measuring instrument, trained in seconds each time it is used.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motion import features as F
from motion.joint_roles import JointRoles

LENGTH = 40  # frames per stretch: the longest benchmark transition
STRIDE = 10
STEPS, LEARNING_RATE, WEIGHT_DECAY = 600, 0.05, 1e-3


def window_features(pos: np.ndarray, roles: JointRoles) -> np.ndarray:
    """(N, T, J, 3) positions -> (N, D) facing- and place-invariant features (see the module docstring)."""
    pos = np.asarray(pos, np.float64)
    facing = F.yaw_to_x(F.facing_directions(pos, roles))  # (N, T, 3, 3)
    local = np.einsum("ntab,ntjb->ntja", facing, pos - pos[:, :, :1])
    speed = np.linalg.norm(np.diff(pos, axis=1), axis=-1)  # (N, T-1, J)
    hip_speed = np.linalg.norm(np.diff(pos[:, :, 0, [0, 2]], axis=1), axis=-1)
    n = len(pos)
    return np.concatenate([local.mean(1).reshape(n, -1), local.std(1).reshape(n, -1), speed.mean(1), speed.std(1),
                           pos[:, :, 0, 1].mean(1)[:, None], hip_speed.mean(1)[:, None]], axis=1).astype(np.float32)


def stretches(sequences, roles: JointRoles, styles: list[str], length: int = LENGTH,
              stride: int = STRIDE) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, D), style index (N,)) of every `length`-frame stretch (every `stride` frames)."""
    feats, labels = [], []
    for s in sequences:
        w = F.cut_windows(s.pos, length, stride)
        if len(w):
            feats.append(window_features(w, roles))
            labels.append(np.full(len(w), styles.index(s.style), np.int64))
    if not feats:
        raise ValueError(f"no sequence is {length} frames long")
    return np.concatenate(feats), np.concatenate(labels)


@dataclass
class StyleClassifier:
    styles: list[str]
    mean: np.ndarray
    std: np.ndarray
    weight: np.ndarray  # (D, S)
    bias: np.ndarray  # (S,)

    def predict_features(self, feats: np.ndarray) -> np.ndarray:
        z = (feats - self.mean) / self.std
        return np.argmax(z @ self.weight + self.bias, axis=1)

    def predict(self, pos: np.ndarray, roles: JointRoles) -> np.ndarray:
        """Style index of each (T, J, 3) stretch of `pos` (N, T, J, 3)."""
        return self.predict_features(window_features(pos, roles))


def fit(feats: np.ndarray, labels: np.ndarray, styles: list[str], seed: int = 0) -> StyleClassifier:
    """Logistic regression on z-scored features (full batch, seeded)."""
    import torch

    mean = feats.mean(0)
    std = feats.std(0) + 1e-6
    x = torch.from_numpy((feats - mean) / std)
    y = torch.from_numpy(labels)
    torch.manual_seed(seed)
    layer = torch.nn.Linear(x.shape[1], len(styles))
    optimizer = torch.optim.Adam(layer.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    for _ in range(STEPS):
        loss = torch.nn.functional.cross_entropy(layer(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return StyleClassifier(list(styles), mean, std, layer.weight.detach().numpy().T.copy(),
                           layer.bias.detach().numpy().copy())


def train_classifier(dataset, seed: int = 0) -> tuple[StyleClassifier, dict]:
    """The classifier fitted on the training sequences of a MotionDataset, and its accuracy report:
    {"train_accuracy", "heldout_accuracy", "heldout_stretches", "per_style": {style: held-out accuracy}}."""
    styles = dataset.styles
    clf = fit(*stretches(dataset.train, dataset.roles, styles), styles, seed)
    train_x, train_y = stretches(dataset.train, dataset.roles, styles)
    test_x, test_y = stretches(dataset.test, dataset.roles, styles)
    pred = clf.predict_features(test_x)
    per_style = {styles[s]: float(np.mean(pred[test_y == s] == s)) for s in np.unique(test_y)}
    return clf, {"train_accuracy": float(np.mean(clf.predict_features(train_x) == train_y)),
                 "heldout_accuracy": float(np.mean(pred == test_y)), "heldout_stretches": int(len(test_y)),
                 "per_style": per_style}


def style_accuracy(data, classifier: StyleClassifier, methods: dict, source_style: str = "normal",
                   length: int = LENGTH) -> list[dict]:
    """Issue 18's style accuracy: transitions of `length` frames between the `source_style` windows of a
    `training.benchmark.BenchmarkData` (source context and target keyframe both of that style), asked for
    each other style; rows {"method", "style", "fraction", "transitions"}: the fraction the classifier
    calls the requested style. methods: {name: make(sub_data, style index) -> benchmark Method}, e.g. the
    interpolation (which ignores the style) and `training.benchmark.sampler_method` with style=."""
    from training.benchmark import PAST, style_windows

    names = list(data.style_names)
    sub = style_windows(data, source_style)
    rows = []
    for style, name in enumerate(names):
        if name == source_style:
            continue
        for method, make in methods.items():
            pos, _ = make(sub, style)(sub.windows, PAST, length)
            hits = classifier.predict(pos, data.roles) == classifier.styles.index(name)
            rows.append({"method": method, "style": name, "fraction": float(np.mean(hits)),
                         "transitions": sub.num_windows})
    return rows
