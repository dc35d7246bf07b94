"""Training of the sampler network (TransitionNet_phase) as RSMT's TransitionPhaseNet.shared_forward /
training_step does it ("pretrain" mode, no initial-state predictor), on top of a trained manifold
whose MoE decoder is copied in and frozen:

- data: canonical 61-frame content windows with PAE phases and 120-frame style clips
  (`training.datasets.sampler_windows`). Every batch is of one style, as RSMT's (Style100Dataset_phase
  cuts each style's windows into batches of its own, and StyleVAE_DataModule fetches a batch of style clips
  of that style, get_style_batch_for_train): a style drawn uniformly (keep_equal: every style gives as
  many batches), its windows, and random style clips of the same style (`style_batch`). So a window's
  style code is of its style but, as a rule, of another clip of it: the code must carry the style, and
  cannot name the clip. (Our first trainer drew the batch across styles and permuted the clips over it,
  so most windows got another style's code; the sampler learnt to ignore the code, and transitions asked
  for any style came out alike.) Style features are z-scored with the training clips' statistics, which
  are stored in the sampler's buffers (they ship with the weights);
- a step: 10 context frames, a transition of `length` frames whose last frame is the target
  keyframe (target_id = 10 + length); `TransitionSampler.rollout` with N(0, 0.5^2) target noise;
  the rot_rep joints' positions from FK of the predicted global rotations;
- transition length: drawn uniformly from [MIN_LENGTH, current max]; the max grows from 20 to 40
  over the first 3 epochs (RSMT seq_scheduler from 20 to max_seq 40);
- loss = L1 pos/21 + L1 6D + L1 last pos/21 + 0.5 L1 last 6D + 0.5 (MSE phase + MSE A + MSE slerped
  phase) / s + 0.5 MSE F + 0.01 foot contact (RSMT weights). s = the training windows' mean squared
  phase-vector norm (`phase_scale`): RSMT's weights are for phase vectors of about unit size (the PAE
  amplitudes of 100STYLE, divided by 0.1); another data set's phases can be much larger (Bandai Namco's:
  norm 9, s about 85), and unscaled their terms were 90% of the loss while the pose terms stopped improving
  (assets/rsmt_bandai/evaluation.md). The logged phase, A and slerp_phase are the unscaled MSEs;
- Adam(lr 1e-3, betas (0.5, 0.9), amsgrad), weight decay 1e-4 on the style (film) encoder only;
  the decoder and the initial-state predictor are not trained.
Left out, as in the manifold trainer: the bone-length projection on a random 10% of steps.
"""
from __future__ import annotations

import numpy as np
import torch

from inference.networks.rsmt_config import RSMTConfig
from inference.networks.rsmt_networks import build_network
from inference.networks.transitionnet import StyleCode, TransitionSampler
from motion.features import style_statistics
from training.datasets import MotionDataset, annotate_phases, sampler_windows
from training.harness import StepContext, Trainer, TrainingError, exporter
from training.train_manifold import contact_weights, phase_function, positions_from_rotations

BATCH = 32
STYLE_PROBE_EVERY = 10  # steps between style_move probes (the harness logs every 10th step by default)
LEARNING_RATE = 1e-3
FILM_WEIGHT_DECAY = 1e-4
MIN_LENGTH, START_MAX, RAMP_EPOCHS = 10, 20, 3
EDGE_MEAN = 21.0
WEIGHTS = {"pos": 1.0, "rot": 1.0, "last_pos": 1.0, "last_rot": 0.5, "phase": 0.5, "A": 0.5, "F": 0.5,
           "slerp_phase": 0.5, "contact": 0.01}
PHASE_TERMS = ("phase", "A", "slerp_phase")  # divided by the phase scale in the total
TRAINED = ("film_generator", "target_encoder", "embedding_style", "offset_encoder", "state_encoder", "LSTMCell",
           "phase_predictor")


def wrapped_frequency(shift: torch.Tensor, dt: float) -> torch.Tensor:
    """F[t] = wrap(S[t+1] - S[t]) into [-0.5, 0.5] cycles, per second (PhaseOperator.remove_F_discontiny)."""
    d = shift[:, 1:] - shift[:, :-1]
    d = d - torch.round(d)
    return d / dt


def rollout_joints(model: TransitionSampler, out: dict, offsets, parents) -> torch.Tensor:
    """Every joint's position (N, L, J, 3) of a rollout's output: forward kinematics of its rotations from its
    hips, with the joints the sampler predicts as positions (pos_rep_idx) taken as predicted."""
    joints = positions_from_rotations(out["rot"], out["pos"][:, :, 0], offsets, parents).clone()
    joints[:, :, list(model.cfg.pos_rep_idx)] = out["pos"]
    return joints


def rollout_to_target(model: TransitionSampler, pos, rot, phase, style, past: int, length: int, noise) -> dict:
    """The transition of `length` frames from the first `past` frames of windows pos (N, T, J, 3), rot
    (N, T, J, 6), phase (N, T, P, 2) to their frame past + length - 1 (the target keyframe), in `style`."""
    target = past + length - 1
    return model.rollout(pos[:, :past], rot[:, :past], phase[:, :past], pos[:, target - 1:target + 1], rot[:, target],
                         style, length, noise=noise)


def sampler_loss(model: TransitionSampler, pos, rot, phase, amp, shift, style, offsets, parents, feet, past: int,
                 length: int, noise, phase_scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Losses of one batch: content windows pos (N, T, J, 3), rot (N, T, J, 6), phase (N, T, P, 2),
    amp/shift (N, T, P, 1); style: the StyleCode of the paired clips; noise (N, 2*state_out); phase_scale:
    what the phase, A and slerped-phase terms are divided by in the total (`phase_scale`)."""
    target = past + length - 1
    out = rollout_to_target(model, pos, rot, phase, style, past, length, noise)
    pred_rot = out["rot"]
    pred_pos = rollout_joints(model, out, offsets, parents)
    gt_pos, gt_rot = pos[:, past:target + 1], rot[:, past:target + 1]
    l1, mse = torch.nn.functional.l1_loss, torch.nn.functional.mse_loss
    freq = wrapped_frequency(shift, model.cfg.dt)
    losses = {"pos": l1(pred_pos / EDGE_MEAN, gt_pos / EDGE_MEAN), "rot": l1(pred_rot, gt_rot),
              "last_pos": l1(pred_pos[:, -1] / EDGE_MEAN, gt_pos[:, -1] / EDGE_MEAN),
              "last_rot": l1(pred_rot[:, -1], gt_rot[:, -1]),
              "phase": mse(out["pred_phase"], phase[:, past:target + 1]),
              "A": mse(out["A"], amp[:, past:target + 1]),
              "F": mse(out["F"], freq[:, past - 1:target]),
              "slerp_phase": mse(out["phase"], phase[:, past:target + 1])}
    feet = list(feet)
    contact = contact_weights((gt_pos[:, 1:, feet] - gt_pos[:, :-1, feet]).norm(dim=-1)).detach()
    contact = torch.where(contact < 0.01, torch.zeros_like(contact), contact)
    speed2 = ((pred_pos[:, 1:, feet] - pred_pos[:, :-1, feet]) ** 2).sum(-1) + 1e-6
    losses["contact"] = (speed2 * contact).sum() / max(int(torch.count_nonzero(contact)), 1)
    losses["loss"] = sum(WEIGHTS[k] * v / (phase_scale if k in PHASE_TERMS else 1.0) for k, v in losses.items())
    return losses


def swapped_style_losses(model: TransitionSampler, critic, pos, rot, phase, other_style, other_index: int, offsets,
                         parents, past: int, length: int, noise) -> dict[str, torch.Tensor]:
    """The --style-loss terms (training.style_critic): the batch's transitions generated with another style's
    code; "style_ce": the critic's cross-entropy against that style; "swap_last_pos"/"swap_last_rot": how far
    the last frame misses the target keyframe, which the transition must still reach."""
    target = past + length - 1
    out = rollout_to_target(model, pos, rot, phase, other_style, past, length, noise)
    joints = rollout_joints(model, out, offsets, parents)
    wanted = torch.full((len(joints),), other_index, dtype=torch.long, device=joints.device)
    l1 = torch.nn.functional.l1_loss
    return {"style_ce": torch.nn.functional.cross_entropy(critic(torch.cat([pos[:, past - 1:past], joints], 1)),
                                                          wanted),
            "swap_last_pos": l1(joints[:, -1] / EDGE_MEAN, pos[:, target] / EDGE_MEAN),
            "swap_last_rot": l1(out["rot"][:, -1], rot[:, target])}


def style_move(model: TransitionSampler, pos, rot, phase, style, other_style, offsets, parents, past: int,
               length: int, noise) -> float:
    """How far the generated joints move when the style code is swapped for another style's, same windows,
    target and noise: the mean joint distance over the transition, in units of EDGE_MEAN (no gradients).
    A sampler that ignores its style code scores near 0; issue 18's first Bandai sampler scored 1.5 cm
    against 12 cm for swapping the target keyframe, and every style was classified alike."""
    with torch.no_grad():
        gen = [rollout_joints(model, rollout_to_target(model, pos, rot, phase, code, past, length, noise), offsets,
                              parents) for code in (style, other_style)]
        return float((gen[0] - gen[1]).norm(dim=-1).mean() / EDGE_MEAN)


def phase_scale(phase: np.ndarray) -> float:
    """The mean squared norm of the phase vectors (..., P, 2) of the training windows (see the module docstring)."""
    return max(float(np.mean(np.sum(np.square(phase, dtype=np.float64), axis=-1))), 1e-6)


def style_batch(rng: np.random.Generator, by_style: dict, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """(content window rows, style clip indices) of one training batch, all of one style (see the module
    docstring). by_style: {style: (its window rows, its style clips)}. A style with fewer windows or clips
    than the batch repeats some."""
    style = list(by_style)[int(rng.integers(len(by_style)))]
    rows, clips = by_style[style]
    return (rng.choice(rows, size=batch, replace=len(rows) < batch),
            rng.choice(clips, size=batch, replace=len(clips) < batch))


def _set_statistics(model: TransitionSampler, stats: dict, device) -> None:
    for key in ("pos", "vel", "rot"):
        getattr(model, f"{key}_mean").copy_(torch.tensor(stats[f"{key}_mean"], dtype=torch.float32, device=device))
        getattr(model, f"{key}_std").fill_(float(stats[f"{key}_std"]))


def sampler_trainer(dataset: MotionDataset, preset: str, device: torch.device, phase_weights, manifold_weights,
                    steps: int, batch: int = BATCH, style_loss: float = 0.0,
                    learning_rate: float = LEARNING_RATE, swap_from: str | None = None,
                    critics: int = 1) -> Trainer:
    """style_loss: the weight of the swapped-style critic term (training.style_critic); 0: RSMT's objective.
    critics: how many critics (seeds 0..critics-1) score that term together.
    swap_from: a style (e.g. "normal") whose windows the swapped-style transitions run between, each asked for
    another style: the artist's case of styling neutral keyframes; None: the batch's own windows.
    learning_rate: Adam's (RSMT's 1e-3 from scratch; lower to fine-tune trained weights given with --init)."""
    cfg = RSMTConfig.for_roles(dataset.roles, preset)
    manifold = build_network(manifold_weights, "rsmt_manifold")
    if manifold.cfg.to_dict() != cfg.to_dict():
        raise TrainingError(f"{manifold_weights.path}: manifold was trained with another preset or skeleton "
                            f"(train manifold with --preset {preset} on the same data)")
    annotated = annotate_phases(dataset.train, dataset.roles, phase_function(phase_weights, device))
    data = sampler_windows(annotated, dataset.roles, dataset.styles)
    content, clips = data["content"], data["style_clips"]
    if len(content["pos"]) < 1 or len(clips["pos"]) < 1:
        raise TrainingError("the training clips give no 61-frame content window or 120-frame style clip after "
                            "the phase trim (each clip needs at least 181 frames at 30 fps)")
    model = TransitionSampler(cfg).to(device)
    model.decoder.load_state_dict(manifold.decoder.state_dict())
    model.requires_grad_(False)
    film = model.film_generator
    groups = [{"params": [p for n, p in film.named_parameters() if n.endswith("weight")],
               "weight_decay": FILM_WEIGHT_DECAY},
              {"params": [p for n, p in film.named_parameters() if not n.endswith("weight")], "weight_decay": 0.0},
              {"params": [p for name in TRAINED[1:] for p in getattr(model, name).parameters()], "weight_decay": 0.0}]
    for g in groups:
        for p in g["params"]:
            p.requires_grad_(True)
    optimizer = torch.optim.Adam(groups, lr=learning_rate, betas=(0.5, 0.9), amsgrad=True)
    with torch.no_grad():
        _set_statistics(model, style_statistics(clips), device)

    t = {k: torch.from_numpy(np.ascontiguousarray(content[k])).to(device) for k in ("pos", "rot", "phase", "A", "S")}
    scale = phase_scale(content["phase"])
    clip_features = {k: torch.from_numpy(clips[k]).to(device) for k in ("pos", "vel", "rot")}
    # each style's windows and clips; a style without a 120-frame clip borrows from all clips
    every_clip = np.arange(len(clips["pos"]))
    by_style = {s: (np.nonzero(content["style"] == s)[0], np.nonzero(clips["style"] == s)[0])
                for s in np.unique(content["style"])}
    by_style = {s: (w, c if len(c) else every_clip) for s, (w, c) in by_style.items()}
    critic, critic_report = None, None
    if style_loss > 0:
        if len(by_style) < 2:
            raise TrainingError("--style-loss needs training windows of at least two styles")
        from training.style_critic import fit_critics

        critic, critic_report = fit_critics(dataset, critics)
        critic.to(device)
    swap_index = None
    if swap_from is not None:
        if critic is None:
            raise TrainingError("--swap-from needs --style-loss")
        if swap_from not in dataset.styles or dataset.styles.index(swap_from) not in by_style:
            raise TrainingError(f"--swap-from {swap_from}: no training window of that style "
                                f"(styles: {', '.join(dataset.styles)})")
        swap_index = dataset.styles.index(swap_from)
    offsets = torch.from_numpy(np.asarray(dataset.offsets, np.float32)).to(device)
    parents, feet = dataset.roles.parents, dataset.roles.feet
    n = len(t["pos"])
    batch = min(batch, n)
    ramp = RAMP_EPOCHS * max(n // batch, 1)
    past = cfg.past_frames
    longest = min(cfg.max_transition, t["pos"].shape[1] - past)

    def code_of(clips) -> StyleCode:
        """The StyleCode of style clips (indices)."""
        c = torch.from_numpy(np.asarray(clips)).to(device)
        return model.encode_style(model.style_input(*(clip_features[k][c] for k in ("pos", "vel", "rot"))))

    def another_style(rng: np.random.Generator, rows: np.ndarray) -> tuple[int, np.ndarray]:
        """A style other than the batch's (drawn uniformly) and len(rows) of its style clips."""
        others = [s for s in by_style if s != content["style"][rows[0]]]
        other = others[int(rng.integers(len(others)))]
        return int(other), rng.choice(by_style[other][1], size=len(rows))

    def step(ctx: StepContext) -> dict:
        rows, pick = style_batch(ctx.rng, by_style, batch)
        current_max = min(longest, int(round(START_MAX + (cfg.max_transition - START_MAX) * min(ctx.step / ramp, 1.0))))
        length = int(ctx.rng.integers(MIN_LENGTH, current_max + 1))
        noise = torch.from_numpy((0.5 * ctx.rng.standard_normal((batch, 2 * cfg.state_out))).astype(np.float32))
        noise = noise.to(device)
        r = torch.from_numpy(rows).to(device)
        windows = t["pos"][r], t["rot"][r], t["phase"][r]
        style = code_of(pick)
        losses = sampler_loss(model, *windows, t["A"][r], t["S"][r], style, offsets, parents, feet, past, length,
                              noise, scale)
        if critic is not None:
            swap_rows, swap_windows = rows, windows
            if swap_index is not None:
                swap_rows = ctx.rng.choice(by_style[swap_index][0], size=batch)
                swap_windows = tuple(t[k][torch.from_numpy(swap_rows).to(device)] for k in ("pos", "rot", "phase"))
            other, other_clips = another_style(ctx.rng, swap_rows)
            swapped = swapped_style_losses(model, critic, *swap_windows, code_of(other_clips), other, offsets,
                                           parents, past, length, noise)
            losses["loss"] = losses["loss"] + style_loss * swapped["style_ce"] + swapped["swap_last_pos"] + \
                0.5 * swapped["swap_last_rot"]
            losses.update(swapped)
        optimizer.zero_grad()
        losses["loss"].backward()
        optimizer.step()
        if (ctx.step + 1) % STYLE_PROBE_EVERY == 0 and len(by_style) > 1:  # the steps the harness logs
            # another style drawn from the probe's own seeded generator: the training's draws stay as they were
            _, probe_clips = another_style(np.random.default_rng(ctx.step), rows)
            with torch.no_grad():
                probe_code = code_of(probe_clips)
            losses["style_move"] = style_move(model, *windows, style, probe_code, offsets, parents, past, length,
                                              noise)
        return losses

    meta = {"network": "rsmt_sampler", "preset": preset, "windows": int(n), "phase_scale": round(scale, 3),
            "learning_rate": learning_rate}
    if critic is not None:
        meta |= {"style_loss": style_loss, "style_critic": critic_report, "swap_from": swap_from}
    return Trainer(model, optimizer, step, meta, exporter(model, device, dataset))
