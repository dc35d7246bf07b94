"""Training of the manifold network (StyleVAE) as RSMT's StyleVAENet.shared_forward_single does it
(src/Net/StyleVAENet.py @d060ce2):

- data: canonical 61-frame windows with PAE phases (`training.datasets.manifold_windows` of the
  training sequences annotated by a trained phase network); each step takes a batch of 32 windows
  and one random 25-frame slice (start in [0, 34)) shared by the batch;
- the VAE runs autoregressively over the slice: frames 0 and 1 are ground truth, then for each next
  frame the two-frame encoder sees (last *predicted* state, next ground-truth frame), samples a
  latent, and the MoE decoder, gated by the next frame's phase, predicts the pose deltas; the hip's
  velocity and rotation are taken from the ground truth (`StyleVAE.decode_step`);
- the positions of the rot_rep joints come from forward kinematics of the predicted global rotations
  (the dataset's bone offsets), the other joints' positions are predicted directly;
- loss = MSE(pos / 21) + MSE(6D) + 0.001 KL + 0.1 foot contact (the contact term from the second
  epoch on): contact is RSMT's smooth ground-truth contact (foot speed below 0.5 -> 1, fading to 0
  at 1.0 units per frame, centimetres), penalising the predicted squared foot speed where it is > 0.01;
- Adam(lr 1e-3, betas (0.5, 0.9), amsgrad); the learning rate stays at 1e-3 for the first 1/15 of the
  steps, then falls linearly to 1e-5 (RSMT: epochs 20..300 of 300).

Left out: RSMT projects bones to their lengths and re-orthonormalises the 6D (`regu_pose`) on a
random 10% of training steps; we never do (it only rescales the loss input on those steps).
"""
from __future__ import annotations

import numpy as np
import torch

from inference.networks.rsmt_config import RSMTConfig
from inference.networks.stylevae import StyleVAE
from training.datasets import MANIFOLD_SUBWINDOW, MotionDataset, annotate_phases, manifold_windows
from training.harness import StepContext, Trainer, TrainingError, exporter

BATCH = 32
LEARNING_RATE, FINAL_LR = 1e-3, 1e-5
WARM_FRACTION = 20 / 300
EDGE_MEAN = 21.0  # StyleVAENet.shared_forward_single edge_mean (centimetres)
CONTACT_SLOW, CONTACT_FAST = 0.5, 1.0  # get_gt_contact eps, eps_bound (units per frame)


def sixd_to_matrix(d: torch.Tensor) -> torch.Tensor:
    """(..., 6) first two rows -> (..., 3, 3) rotation by Gram-Schmidt (as motion.rotations)."""
    a, b = d[..., :3], d[..., 3:]
    r0 = torch.nn.functional.normalize(a, dim=-1)
    r1 = torch.nn.functional.normalize(b - (r0 * b).sum(-1, keepdim=True) * r0, dim=-1)
    return torch.stack([r0, r1, torch.cross(r0, r1, dim=-1)], dim=-2)


def positions_from_rotations(rot6d: torch.Tensor, hips: torch.Tensor, offsets: torch.Tensor, parents) -> torch.Tensor:
    """Global positions (..., J, 3) from global 6D rotations (..., J, 6), the hips' position (..., 3)
    and rest offsets (J, 3): p_j = p_parent + R_parent offset_j (RSMT global_rot_to_global_pos)."""
    mats = sixd_to_matrix(rot6d)
    pos = [hips]
    for j in range(1, len(parents)):
        p = parents[j]
        pos.append(pos[p] + (mats[..., p, :, :] @ offsets[j, :, None])[..., 0])
    return torch.stack(pos, dim=-2)


def contact_weights(foot_speed: torch.Tensor) -> torch.Tensor:
    """RSMT get_gt_contact: 1 below CONTACT_SLOW, smoothstep down to 0 at CONTACT_FAST, 0 above."""
    x = ((foot_speed - CONTACT_SLOW) / (CONTACT_FAST - CONTACT_SLOW)).clamp(0.0, 1.0)
    return 2 * x ** 3 - 3 * x ** 2 + 1


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp()) / mu.numel()


def manifold_lr(step: int, steps: int) -> float:
    warm = int(steps * WARM_FRACTION)
    if step < warm:
        return LEARNING_RATE
    progress = (step - warm) / max(steps - warm, 1)
    return (1 - progress) * LEARNING_RATE + progress * FINAL_LR


def manifold_loss(model: StyleVAE, pos: torch.Tensor, rot: torch.Tensor, phase: torch.Tensor,
                  offsets: torch.Tensor, parents, feet, with_contact: bool,
                  from_ground_truth: bool = False) -> dict[str, torch.Tensor]:
    """Losses of one batch of slices: pos (N, T, J, 3), rot (N, T, J, 6), phase (N, T, P, 2).
    Training rolls out from the predictions; from_ground_truth (a diagnostic) starts every frame from
    the true previous frame instead, so each loss term is one decoder step's error."""
    cfg = model.cfg
    idx = list(cfg.pos_rep_idx)
    gpos = pos[:, :, idx]
    last_pos, last_vel, last_rot = gpos[:, 1], gpos[:, 1] - gpos[:, 0], rot[:, 1]
    out_pos, out_rot, kl = [], [], 0.0
    for t in range(1, pos.shape[1] - 1):
        nxt_pos, nxt_rot = gpos[:, t + 1], rot[:, t + 1]
        nxt_vel = nxt_pos - last_pos
        enc_in = torch.cat(((last_pos - last_pos[:, :1]).flatten(1), (nxt_pos - nxt_pos[:, :1]).flatten(1),
                            last_vel.flatten(1), nxt_vel.flatten(1), last_rot.flatten(1), nxt_rot.flatten(1)), -1)
        latent, mu, logvar = model.embedding_encoder(enc_in)
        kl = kl + kl_divergence(mu, logvar)
        made = model.decode_step(last_pos, last_vel, last_rot, nxt_vel[:, 0], nxt_rot[:, 0], phase[:, t + 1], latent)
        out_pos.append(made[0])
        out_rot.append(made[2])
        last_pos, last_vel, last_rot = (nxt_pos, nxt_vel, nxt_rot) if from_ground_truth else made
    steps = len(out_pos)
    pred_rot = torch.stack(out_rot, 1)  # (N, T-2, J, 6)
    pred_pos = positions_from_rotations(pred_rot, torch.stack(out_pos, 1)[:, :, 0], offsets, parents)
    pred_pos = pred_pos.clone()
    pred_pos[:, :, idx] = torch.stack(out_pos, 1)
    gt_pos, gt_rot = pos[:, 2:], rot[:, 2:]
    losses = {"pos": torch.nn.functional.mse_loss(pred_pos / EDGE_MEAN, gt_pos / EDGE_MEAN),
              "rot": torch.nn.functional.mse_loss(pred_rot, gt_rot), "kl": kl / steps}
    feet = list(feet)
    gt_speed = (gt_pos[:, 1:, feet] - gt_pos[:, :-1, feet]).norm(dim=-1)
    contact = contact_weights(gt_speed).detach()
    contact = torch.where(contact < 0.01, torch.zeros_like(contact), contact)
    pred_speed2 = ((pred_pos[:, 1:, feet] - pred_pos[:, :-1, feet]) ** 2).sum(-1) + 1e-6
    losses["contact"] = (pred_speed2 * contact).sum() / max(int(torch.count_nonzero(contact)), 1)
    total = losses["pos"] + losses["rot"] + 0.001 * losses["kl"]
    if with_contact:
        total = total + 0.1 * losses["contact"]
    losses["loss"] = total
    return losses


def phase_function(weights, device: torch.device):
    """(N, 3J, 61) PAE input -> (amplitude (N, P), shift (N, P)) numpy, from trained phase weights."""
    from inference.networks.rsmt_networks import build_network

    net = build_network(weights, "rsmt_phase").to(device)

    def run(x: np.ndarray):
        with torch.no_grad():
            _, p, a, _, _ = net(torch.from_numpy(x).to(device))
        return a[..., 0].cpu().numpy(), p[..., 0].cpu().numpy()
    return run


def manifold_trainer(dataset: MotionDataset, preset: str, device: torch.device, phase_weights,
                     steps: int, batch: int = BATCH) -> Trainer:
    cfg = RSMTConfig.for_roles(dataset.roles, preset)
    if phase_weights.config.get("rsmt", {}).get("phase_dim") != cfg.phase_dim:
        raise TrainingError(f"{phase_weights.path}: phase network has phase_dim "
                            f"{phase_weights.config.get('rsmt', {}).get('phase_dim')}, the {preset} preset needs "
                            f"{cfg.phase_dim} (train phase with the same --preset)")
    annotated = annotate_phases(dataset.train, dataset.roles, phase_function(phase_weights, device))
    windows = manifold_windows(annotated, dataset.roles, dataset.styles)
    if len(windows["pos"]) < 1:
        raise TrainingError("the training clips give no 61-frame manifold window after the phase trim "
                            "(each clip needs at least 123 frames at 30 fps)")
    model = StyleVAE(cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(0.5, 0.9), amsgrad=True)
    pos = torch.from_numpy(windows["pos"]).to(device)
    rot = torch.from_numpy(windows["rot"]).to(device)
    phase = torch.from_numpy(windows["phase"]).to(device)
    offsets = torch.from_numpy(np.asarray(dataset.offsets, np.float32)).to(device)
    parents, feet = dataset.roles.parents, dataset.roles.feet
    n = len(pos)
    batch = min(batch, n)
    steps_per_epoch = max(n // batch, 1)
    span = pos.shape[1] - 1 - MANIFOLD_SUBWINDOW  # start in [0, 60 - 25 - 1) as the official randint

    def step(ctx: StepContext) -> dict:
        for group in optimizer.param_groups:
            group["lr"] = manifold_lr(ctx.step, steps)
        rows = torch.from_numpy(ctx.rng.choice(n, size=batch, replace=False)).to(device)
        start = int(ctx.rng.integers(0, span))
        sl = slice(start, start + MANIFOLD_SUBWINDOW)
        losses = manifold_loss(model, pos[rows, sl], rot[rows, sl], phase[rows, sl], offsets, parents, feet,
                               with_contact=ctx.step >= steps_per_epoch)
        optimizer.zero_grad()
        losses["loss"].backward()
        optimizer.step()
        return losses

    return Trainer(model, optimizer, step, {"network": "rsmt_manifold", "preset": preset, "windows": int(n)}, exporter(model, device, dataset))
