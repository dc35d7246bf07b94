"""`train phase|manifold|sampler --data DIR|embedded [--held-out CLIP ...] [--limb-mix K] --preset lite|paper
[--steps N] [--seed S] [--resume] [--out DIR]`: train one RSMT network with the shared loop (`training.harness`):
progress with ETA on stderr; OUT gets checkpoint.pt (every --checkpoint-every steps and at the end),
log.jsonl, loss.png and the trained weights NAME.safetensors + NAME.json (NAME = phase | manifold |
sampler; the JSON records the training settings, with the embedded clips held out). Ctrl+C saves a
checkpoint; `--resume` continues it exactly."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from cli import UserError, print_json

MODELS = ("phase", "manifold", "sampler")
DEFAULT_STEPS = {"phase": 3000, "manifold": 3000, "sampler": 3000}


def add_arguments(parser) -> None:
    parser.add_argument("model", choices=MODELS, help="which network to train")
    parser.add_argument("--data", default="embedded",
                        help="'embedded' (the DeepMimic clips, default), 'bandai-namco' (the shared Bandai Namco Research "
                             "Motion Dataset 1), a Bandai Namco folder (dataset-1_*.bvh, data/ or data.zip) or a "
                             "100STYLE folder (Frame_Cuts.csv + style folders)")
    parser.add_argument("--held-out", nargs="+", default=None, metavar="CLIP",
                        help="embedded clips to leave out of training, e.g. to validate on them with evaluate "
                             "--held-out, or 'none' to train on every clip (default: dance_b getup_faceup "
                             "spinkick, the evaluation's held-out clips)")
    parser.add_argument("--limb-mix", type=int, default=0, metavar="K",
                        help="add K body-part mixes per training clip: one clip's root and spine with each limb "
                             "from a random training clip (training.limb_mix; default 0 = none)")
    parser.add_argument("--sim", action="store_true",
                        help="also train on long simulated performances of the training clips (the shipped "
                             "DeepMimic policies, 120 s each), less their last 12 s, which evaluate --split sim "
                             "scores (training.simulated; embedded data only)")
    parser.add_argument("--init", default=None, metavar="WEIGHTS",
                        help="start from these trained weights of the same network, preset and skeleton instead "
                             "of random ones (fine-tuning; the optimizer starts afresh)")
    parser.add_argument("--preset", choices=("lite", "paper"), default="lite", help="network size (default lite)")
    parser.add_argument("--steps", type=int, default=None, help="total optimizer steps (default 3000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--out", default=None, help="output folder (default runs/MODEL)")
    parser.add_argument("--checkpoint-every", type=int, default=500, metavar="N",
                        help="write a checkpoint every N steps (default 500)")
    parser.add_argument("--phase", default=str(Path("runs") / "phase" / "phase.safetensors"), metavar="WEIGHTS",
                        help="trained phase network for manifold/sampler training (default runs/phase/phase.safetensors)")
    parser.add_argument("--manifold", default=str(Path("runs") / "manifold" / "manifold.safetensors"),
                        metavar="WEIGHTS", help="trained manifold network for sampler training "
                                                "(default runs/manifold/manifold.safetensors)")
    parser.add_argument("--batch", type=int, default=None, metavar="N",
                        help="windows per optimizer step (default 32, the official batch size)")
    parser.add_argument("--style-loss", type=float, default=0.0, metavar="W",
                        help="sampler only: also generate every batch with another style's code and add W x a "
                             "style critic's cross-entropy plus landing on the target (training/style_critic.py; "
                             "not in RSMT; default 0: off)")
    parser.add_argument("--swap-from", default=None, metavar="STYLE",
                        help="sampler with --style-loss: run the other-style transitions between windows of STYLE "
                             "(e.g. normal: styling neutral keyframes, as an artist does) instead of the batch's own")
    parser.add_argument("--critics", type=int, default=1, metavar="N",
                        help="sampler with --style-loss: score the other-style transitions with N critics fitted "
                             "with seeds 0..N-1, their mean log-probabilities (default 1)")
    parser.add_argument("--lr", type=float, default=None, metavar="RATE",
                        help="sampler only: Adam's learning rate (default 1e-3, RSMT's; lower to fine-tune --init "
                             "weights)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="CPU threads for torch (default: torch's choice; 1 is fastest on a busy machine)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object at the end")


def load_dataset(spec: str, seed: int, held_out: tuple[str, ...] | None = None, limb_mix: int = 0,
                 simulated: bool = False):
    """The training data named by --data, less the --held-out clips, with --limb-mix mixes and with --sim the
    simulated performances (UserError for unusable data)."""
    from motion.joint_roles import JointRolesError
    from training.bandai import bandai_dataset, resolve
    from training.datasets import embedded_dataset
    from training.style100 import style100_dataset

    try:
        if spec == "embedded":
            from training.simulated import simulated_training

            return embedded_dataset(seed=seed, held_out=held_out, limb_mix=limb_mix,
                                    extra_train=simulated_training if simulated else None)
        if simulated:
            raise UserError("--sim adds performances of the embedded clips: use it with --data embedded")
        if held_out is not None:
            raise UserError("--held-out names embedded clips; a data set folder keeps its own split")
        bandai = resolve(spec)
        if bandai is not None:
            if limb_mix:
                raise UserError("--limb-mix is for the embedded clips and 100STYLE")
            return bandai_dataset(bandai, seed=seed)
        if not Path(spec).is_dir():
            raise UserError(f"{spec}: not a folder (give a 100STYLE or Bandai Namco folder, 'bandai-namco' or "
                            f"'embedded')")
        return style100_dataset(spec, seed=seed, limb_mix=limb_mix)
    except JointRolesError as e:
        raise UserError(str(e)) from None


def load_weights(path: str, what: str):
    from inference.weights import WeightsError, WeightSet

    try:
        return WeightSet.load(path)
    except WeightsError as e:
        raise UserError(f"{e} (the {what} network's weights: train it first, or pass --{what} PATH)") from None


def build_trainer(args, dataset, steps: int, device):
    batch = {} if args.batch is None else {"batch": args.batch}
    if args.model == "phase":
        from training.train_phase import phase_trainer

        return phase_trainer(dataset, args.preset, device, **batch)
    if args.model == "manifold":
        from training.train_manifold import manifold_trainer

        return manifold_trainer(dataset, args.preset, device, load_weights(args.phase, "phase"), steps, **batch)
    from training.train_sampler import sampler_trainer

    return sampler_trainer(dataset, args.preset, device, load_weights(args.phase, "phase"),
                           load_weights(args.manifold, "manifold"), steps, style_loss=args.style_loss,
                           swap_from=args.swap_from, critics=args.critics, **batch,
                           **({} if args.lr is None else {"learning_rate": args.lr}))


def start_from(model, weights, name: str) -> None:
    """Load --init weights into the network about to be trained: the same kind, sizes and skeleton (UserError
    otherwise). A sampler keeps its frozen decoder, which must be the --manifold's it was trained on."""
    import torch

    from inference.networks.rsmt_networks import build_network

    where = weights.path
    init = build_network(weights, f"rsmt_{name}")
    if init.cfg.to_dict() != model.cfg.to_dict():
        raise UserError(f"{where}: trained with another preset or skeleton than this run's")
    state = init.state_dict()
    if name == "sampler":
        decoder = model.decoder.state_dict()
        if any(not torch.equal(state[f"decoder.{k}"], v.cpu()) for k, v in decoder.items()):
            raise UserError(f"{where}: this sampler was trained on another manifold than --manifold")
    with torch.no_grad():
        model.load_state_dict(state)


def run(args) -> int:
    from inference.weights import WeightsError
    from training.harness import TrainingError, default_device, seed_everything, train_loop

    steps = args.steps if args.steps is not None else DEFAULT_STEPS[args.model]
    if steps < 1:
        raise UserError(f"--steps must be at least 1, got {steps}")
    if args.batch is not None and args.batch < 1:
        raise UserError(f"--batch must be at least 1, got {args.batch}")
    if args.style_loss < 0 or (args.style_loss > 0 and args.model != "sampler"):
        raise UserError(f"--style-loss is a non-negative weight for the sampler, got {args.style_loss} for {args.model}")
    if args.swap_from is not None and args.style_loss <= 0:
        raise UserError("--swap-from needs --style-loss W with W > 0")
    if args.critics < 1 or (args.critics > 1 and args.style_loss <= 0):
        raise UserError(f"--critics is at least 1, and more than 1 needs --style-loss W with W > 0; got {args.critics}")
    if args.lr is not None and (args.lr <= 0 or args.model != "sampler"):
        raise UserError(f"--lr is a positive learning rate for the sampler, got {args.lr} for {args.model}")
    if args.limb_mix < 0:
        raise UserError(f"--limb-mix must be 0 or more, got {args.limb_mix}")
    if args.checkpoint_every < 1:
        raise UserError(f"--checkpoint-every must be at least 1, got {args.checkpoint_every}")
    out = Path(args.out) if args.out else Path("runs") / args.model
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if args.threads is not None:
        if args.threads < 1:
            raise UserError(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    device = default_device()
    from training.datasets import held_out_option

    dataset = load_dataset(args.data, args.seed, held_out_option(args.held_out), args.limb_mix, args.sim)
    held_out = sorted({s.style for s in dataset.test}) if args.data == "embedded" else None
    stop = threading.Event()
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:  # Ctrl+C: checkpoint, then stop (signals can only be caught on the main thread)
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        seed_everything(args.seed)  # network initialisation depends on the seed too
        trainer = build_trainer(args, dataset, steps, device)
        if args.init:
            start_from(trainer.model, load_weights(args.init, args.model), args.model)
        meta = {**trainer.meta, "data": args.data, "seed": args.seed, "held_out": held_out,
                "limb_mix": args.limb_mix, "sim": args.sim, "init": args.init}
        result = train_loop(trainer.model, trainer.optimizer, trainer.step_fn, steps=steps, out_dir=out,
                            seed=args.seed, resume=args.resume, checkpoint_every=args.checkpoint_every,
                            meta=meta, device=device, label=f"train {args.model}", should_stop=stop.is_set)
    except (TrainingError, WeightsError) as e:
        raise UserError(str(e)) from None
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    if result.stopped:
        print(f"stopped at step {result.steps_done}; checkpoint {result.checkpoint} "
              f"(continue with the same command and --resume)", file=sys.stderr)
        return 130
    weights = trainer.export()
    weights.config["training"] = {"steps": result.steps_done, "seed": args.seed, "data": args.data,
                                  "held_out": held_out, "limb_mix": args.limb_mix, "sim": args.sim,
                                  "init": args.init, "preset": args.preset, "batch": args.batch,
                                  "style_loss": args.style_loss, "swap_from": args.swap_from, "critics": args.critics,
                                  "lr": args.lr, "losses": result.last_losses}
    weights.save(out / args.model)
    if dataset.licence:
        from inference.rsmt.models import LICENCE_FILE, write_licence

        kept = "" if write_licence(out, dataset.licence, dataset.attribution or args.data) else " (kept)"
        print(f"note: trained on data under {dataset.licence}: {out / LICENCE_FILE}{kept} says so", file=sys.stderr)
    summary = {"model": args.model, "steps": result.steps_done, "losses": result.last_losses,
               "weights": str(out / f"{args.model}.safetensors"), "out": str(out), "device": str(device)}
    if args.json:
        print_json(summary)
    else:
        losses = "  ".join(f"{k} {v:.5g}" for k, v in result.last_losses.items())
        print(f"trained {args.model} for {result.steps_done} steps on {device}: {losses}")
        print(f"weights  {summary['weights']}")
    return 0
