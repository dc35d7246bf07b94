"""`train phase|manifold|sampler --data DIR|embedded --preset lite|paper [--steps N] [--seed S] [--resume]
[--out DIR]`: train one RSMT network."""
from __future__ import annotations

from cli import UserError

MODELS = ("phase", "manifold", "sampler")


def add_arguments(parser) -> None:
    parser.add_argument("model", choices=MODELS, help="which network to train")
    parser.add_argument("--data", default="embedded", help="'embedded' (the DeepMimic clips) or a 100STYLE folder")
    parser.add_argument("--preset", choices=("lite", "paper"), default="lite", help="network size (default lite)")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the trainer's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    parser.add_argument("--out", default=None, help="output folder (default runs/<model>)")


def run(args) -> int:
    raise UserError(f"train {args.model}: the {args.model} trainer is not available yet")
