"""Training of the phase network (DeepPhase PAE) as RSMT's train_deephase.py / DeepPhaseNet does it:
reconstruction MSE of (3J, 61) local-velocity windows (`training.datasets.pae_windows`), batch 32,
AdamW with learning rate 1e-4 and weight decay 1e-4 under cosine annealing with warm restarts
(first period 10 epochs, doubling; CyclicLRWithRestarts). The learning rate is a pure function of
the step (`cosine_restarts`), so resuming needs no scheduler state. (The official scheduler also
scales the weight decay along the cosine; we keep it constant.)"""
from __future__ import annotations

import math
import torch

from inference.networks.deephase import PAE
from inference.networks.rsmt_config import RSMTConfig
from training.datasets import MotionDataset, pae_windows
from training.harness import StepContext, Trainer, TrainingError, exporter

BATCH = 32
LEARNING_RATE = 1e-4
WEIGHT_DECAY = 1e-4
RESTART_EPOCHS = 10  # CyclicLRWithRestarts(restart_period=10, t_mult=2, policy="cosine")
MIN_LR = 1e-7


def cosine_restarts(step: int, period: int, t_mult: float = 2.0) -> float:
    """Cosine factor in [0, 1] at `step` for warm restarts every period, period*t_mult, ... steps."""
    period = max(int(period), 1)
    while step >= period:
        step -= period
        period = max(int(math.ceil(period * t_mult)), 1)
    return 0.5 * (1.0 + math.cos(math.pi * step / period))


def phase_trainer(dataset: MotionDataset, preset: str, device: torch.device, batch: int = BATCH) -> Trainer:
    windows = pae_windows(dataset.train, dataset.roles)
    if len(windows) < 2:
        raise TrainingError(f"the training clips give {len(windows)} PAE window(s) of 62 frames at 30 fps; "
                            f"at least 2 are needed (BatchNorm)")
    cfg = RSMTConfig.for_roles(dataset.roles, preset)
    model = PAE(cfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    data = torch.from_numpy(windows).to(device)
    batch = min(batch, len(windows))
    period = RESTART_EPOCHS * max(len(windows) // batch, 1)

    def step(ctx: StepContext) -> dict:
        for group in optimizer.param_groups:
            group["lr"] = MIN_LR + (LEARNING_RATE - MIN_LR) * cosine_restarts(ctx.step, period)
        x = data[torch.from_numpy(ctx.rng.choice(len(windows), size=batch, replace=False)).to(device)]
        y = model(x)[0]
        loss = torch.nn.functional.mse_loss(y, x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"mse": loss}

    return Trainer(model, optimizer, step, {"network": "rsmt_phase", "preset": preset, "windows": int(len(windows))},
                   exporter(model, device, dataset))
