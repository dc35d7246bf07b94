"""The training loop the three RSMT trainers (phase, manifold, sampler) share.

`train_loop(model, optimizer, step_fn, ...)` runs `step_fn(ctx) -> {loss name: value}` for a number of
optimizer steps and takes care of everything around it:
- seeding (python `random`, numpy's global RNG, torch) and a numpy Generator `ctx.rng` for the step's
  own sampling;
- the device: CUDA when available, else CPU (`default_device`);
- a progress bar with ETA on stderr (`training.progress`) and an optional `on_progress` callback;
- a JSON-lines log (`log.jsonl`, one line per logged step) and the loss curves as `loss.png`
  (matplotlib's Agg canvas, no pyplot and no Qt), drawn at the end and at checkpoints at most once a
  minute;
- periodic checkpoints `checkpoint.pt` (model, optimizer, step, every RNG state, caller metadata),
  written atomically (temporary file + rename), and `resume=True`, which continues from the
  checkpoint so that an interrupted-and-resumed run gives bit-identical results to an uninterrupted
  one on the same device (every random draw is replayed from the saved RNG states; the log is cut
  back to the checkpoint's step);
- cancellation: `should_stop()` is polled after every step; a stop writes a checkpoint and returns.

Unusable input (no checkpoint to resume, a checkpoint of another model, a corrupt file) raises
`TrainingError` naming the file; the CLI turns it into `cli.UserError`.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from motion.atomic import atomic_write
import torch

from training.progress import ProgressBar

CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"
LOG_INDEX = ("step", "time")  # the log columns that are not losses
CURVE = "loss.png"
FORMAT = 1
CURVE_INTERVAL_S = 60.0  # re-render loss.png at a checkpoint at most this often (it costs ~0.2 s)


class TrainingError(ValueError):
    """Training cannot start or continue because of the user's data, options or files."""


def exporter(model: torch.nn.Module, device, dataset) -> Callable[[], object]:
    """`Trainer.export` of the RSMT trainers: the network's WeightSet (taken on the CPU, the model put back
    on `device`) with the dataset's skeleton and joint roles in its config."""
    def export():
        from inference.networks.rsmt_networks import network_weights

        weights = network_weights(model.cpu().eval())
        model.to(device)
        weights.config["skeleton"] = dataset.skeleton_config()
        weights.config["styles"] = dataset.styles
        return weights

    return export


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class StepContext:
    """What a step function gets: the step number (0-based), the numpy RNG for its sampling, the device."""

    step: int
    rng: np.random.Generator
    device: torch.device


@dataclass
class Trainer:
    """One network's training, as a trainer module builds it: what `train_loop` needs (model on its
    device, optimizer, step function, checkpoint metadata) plus `export()` -> the trained WeightSet."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    step_fn: Callable[[StepContext], dict]
    meta: dict
    export: Callable[[], object]


@dataclass
class TrainResult:
    steps_done: int  # optimizer steps completed in total (including a resumed run's earlier ones)
    stopped: bool  # True when should_stop() ended the run early
    last_losses: dict[str, float] = field(default_factory=dict)
    checkpoint: Path | None = None


# --------------------------------------------------------------------------- files

# --------------------------------------------------------------------------- RNG state

def _rng_state(rng: np.random.Generator) -> dict:
    legacy = np.random.get_state()
    return {
        "python": json.dumps(random.getstate()),
        "numpy_global": json.dumps([legacy[0], legacy[1].tolist(), *legacy[2:]]),
        "numpy_step": json.dumps(rng.bit_generator.state),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def _restore_rng(state: dict, rng: np.random.Generator) -> None:
    version, internal, gauss = json.loads(state["python"])
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = json.loads(state["numpy_global"])
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    rng.bit_generator.state = json.loads(state["numpy_step"])
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# --------------------------------------------------------------------------- checkpoints

def save_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, step: int,
                    rng: np.random.Generator, meta: dict | None = None) -> None:
    """Atomic write: a temporary file in the same folder, then rename over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
               "rng": _rng_state(rng), "meta": meta or {}}
    with atomic_write(path, "wb") as f:
        torch.save(payload, f)


def load_checkpoint(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"{path}: no checkpoint to resume from (train without --resume first)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a damaged file
        raise TrainingError(f"{path}: not a readable checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise TrainingError(f"{path}: not a Motion Studio training checkpoint (format {FORMAT})")
    return payload


def _apply_checkpoint(path: Path, payload: dict, model, optimizer, rng, meta: dict | None) -> int:
    saved = payload.get("meta", {})
    for key, value in (meta or {}).items():
        if key in saved and saved[key] != value:
            raise TrainingError(f"{path}: checkpoint was made with {key}={saved[key]!r}, this run has {value!r}")
    try:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
    except (RuntimeError, ValueError, KeyError) as e:
        raise TrainingError(f"{path}: checkpoint does not fit this model ({str(e).splitlines()[0]})") from None
    _restore_rng(payload["rng"], rng)
    return int(payload["step"])


# --------------------------------------------------------------------------- log and curves

def read_log(path: Path) -> list[dict]:
    """The log's rows; a line cut short by a crash mid-write is skipped."""
    path = Path(path)
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "step" in row:
            rows.append(row)
    return rows


def _rewrite_log(path: Path, rows: list[dict]) -> None:
    with atomic_write(path) as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)


def render_loss_curves(rows: list[dict], path: Path, title: str = "") -> None:
    """Every numeric column of the log against "step", one line each, log-scaled y when all positive;
    written atomically as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = sorted({k for r in rows for k, v in r.items() if k not in LOG_INDEX and isinstance(v, (int, float))})
    fig = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    positive = True
    for key in keys:
        pts = [(r["step"], r[key]) for r in rows if key in r and np.isfinite(r[key])]
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, label=key, linewidth=1.0)
            positive = positive and min(y) > 0
    if keys and positive:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if keys:
        ax.legend(loc="upper right", fontsize="small")
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.13, top=0.9)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png")


# --------------------------------------------------------------------------- the loop

def _as_float(v) -> float:
    return float(v.detach().item()) if isinstance(v, torch.Tensor) else float(v)


def train_loop(model: torch.nn.Module, optimizer: torch.optim.Optimizer, step_fn: Callable[[StepContext], dict],
               *, steps: int, out_dir, seed: int = 0, resume: bool = False, checkpoint_every: int = 500,
               log_every: int = 10, meta: dict | None = None, device: torch.device | None = None,
               should_stop: Callable[[], bool] | None = None,
               on_progress: Callable[[int, int, dict], None] | None = None,
               progress: bool = True, label: str = "", stream=None) -> TrainResult:
    """Run optimizer steps `start..steps-1` of `step_fn` (see the module docstring).

    The model must already be on `device` (default `default_device()`); step_fn does its own forward,
    backward and `optimizer.step()` and returns its losses. `meta` (JSON-able) is stored in every
    checkpoint; on resume, keys present in both must agree (e.g. the model kind and preset)."""
    if steps < 1:
        raise TrainingError(f"--steps must be at least 1, got {steps}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt, log_path = out / CHECKPOINT, out / LOG
    device = device or default_device()
    # Subnormal floats (e.g. far-from-max attention scores) make x86 float maths many times slower;
    # flushing them to zero changes nothing measurable in the losses.
    torch.set_flush_denormal(True)
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    start = 0
    last_row: dict = {}  # the log's last row kept on resume
    if resume:
        start = _apply_checkpoint(ckpt, load_checkpoint(ckpt), model, optimizer, rng, meta)
        if start > steps:
            raise TrainingError(f"{ckpt}: checkpoint is at step {start}, beyond --steps {steps}")
        kept = [r for r in read_log(log_path) if r.get("step", 0) <= start]
        _rewrite_log(log_path, kept)
        last_row = kept[-1] if kept else {}
    else:
        log_path.unlink(missing_ok=True)

    bar = ProgressBar(steps, label=label, stream=stream, start=start) if progress else None
    # a resume that has no step left to run (e.g. to export a stopped run) reports the last logged losses
    losses: dict[str, float] = {k: v for k, v in last_row.items() if k not in LOG_INDEX}
    stopped = False
    step = start
    # the log's "time" column counts training time over all runs of a resumed training
    t0 = time.monotonic() - float(last_row.get("time", 0.0))
    last_curve = time.monotonic()
    with open(log_path, "a", encoding="utf-8") as log:
        while step < steps:
            model.train()
            losses = {k: _as_float(v) for k, v in step_fn(StepContext(step, rng, device)).items()}
            step += 1
            bad = [k for k, v in losses.items() if not np.isfinite(v)]
            if bad:
                save_checkpoint(out / "diverged.pt", model, optimizer, step, rng, meta)
                raise TrainingError(f"{out}: loss {bad[0]} became {losses[bad[0]]} at step {step} "
                                    f"(state saved as diverged.pt; try a smaller learning rate or another seed)")
            if step % log_every == 0 or step == steps:
                log.write(json.dumps({"step": step, "time": round(time.monotonic() - t0, 3), **losses}) + "\n")
                log.flush()
            if bar:
                bar.update(step, losses)
            if on_progress:
                on_progress(step, steps, losses)
            stopped = bool(should_stop and should_stop()) and step < steps
            if step % checkpoint_every == 0 or step == steps or stopped:
                save_checkpoint(ckpt, model, optimizer, step, rng, meta)
                if step == steps or stopped or time.monotonic() - last_curve > CURVE_INTERVAL_S:
                    render_loss_curves(read_log(log_path), out / CURVE, label)
                    last_curve = time.monotonic()
            if stopped:
                break
    if bar:
        bar.close()
    return TrainResult(steps_done=step, stopped=stopped, last_losses=losses, checkpoint=ckpt)
