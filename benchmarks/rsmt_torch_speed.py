"""Time RSMT transition generation in PyTorch (random weights; the sizes are what matter).

For each preset (lite, paper) and batch size (1, 64): a transition of LENGTH frames after 10 context
frames, i.e. target encoding + 8 warm-up steps + LENGTH generated steps (``TransitionSampler.rollout``),
and separately the once-per-clip style encoding of a 120-frame style clip. Reported: median and
10th/90th percentile wall time per generated frame (rollout time / LENGTH) and per style encoding.
Cases are interleaved (parity.timing) so load from other processes hits all alike.

    python benchmarks/rsmt_torch_speed.py [--length 20] [--runs 7] [--threads N] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.networks.rsmt_config import RSMTConfig  # noqa: E402
from inference.networks.transitionnet import TransitionSampler  # noqa: E402
from parity.timing import interleaved  # noqa: E402


def make_case(cfg: RSMTConfig, batch: int, length: int):
    torch.manual_seed(0)
    net = TransitionSampler(cfg).eval()
    j, p, ctx = cfg.num_joints, cfg.phase_dim, cfg.past_frames
    g = torch.Generator().manual_seed(1)
    pos = torch.cumsum(0.05 * torch.randn(batch, ctx, j, 3, generator=g), dim=1)
    rot = torch.randn(batch, ctx, j, 6, generator=g)
    phase = torch.randn(batch, ctx, p, 2, generator=g)
    tpos = torch.randn(batch, 2, j, 3, generator=g)
    trot = torch.randn(batch, j, 6, generator=g)
    clip = [torch.randn(batch, cfg.style_frames - 1, j, d, generator=g) for d in (3, 3, 6)]
    with torch.inference_mode():
        style = net.encode_style(net.style_input(*clip))

    def encode_style():
        with torch.inference_mode():
            return net.encode_style(net.style_input(*clip))

    def transition():
        with torch.inference_mode():
            return net.rollout(pos, rot, phase, tpos, trot, style, length, noise=torch.zeros(batch, 2 * cfg.state_out))

    return encode_style, transition


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=20)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    ap.add_argument("--presets", default="lite,paper")
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for preset in args.presets.split(","):
        cfg = RSMTConfig.preset_named(preset)
        for batch in (int(b) for b in args.batches.split(",")):
            encode_style, transition = make_case(cfg, batch, args.length)
            t = interleaved({"style": encode_style, "transition": transition}, runs=args.runs, warmup=1)
            tr, st = t["transition"], t["style"]
            lo, hi = tr.spread_us
            rows.append({"preset": preset, "batch": batch, "length": args.length,
                         "ms_per_frame": tr.median_us / 1e3 / args.length,
                         "ms_per_frame_p10": lo / 1e3 / args.length, "ms_per_frame_p90": hi / 1e3 / args.length,
                         "ms_per_frame_per_sequence": tr.median_us / 1e3 / args.length / batch,
                         "style_encode_ms": st.median_us / 1e3})
    meta = {"torch": torch.__version__, "threads": torch.get_num_threads(), "runs": args.runs, "device": "cpu"}
    if args.json:
        print(json.dumps({"rows": rows, **meta}))
    else:
        print(f"torch {meta['torch']}, {meta['threads']} threads, median of {args.runs} runs, "
              f"{args.length} generated frames after {RSMTConfig().past_frames} context frames")
        print(f"{'preset':<7}{'batch':>6}{'ms/frame':>10}{'p10-p90':>16}{'ms/frame/seq':>14}{'style ms':>10}")
        for r in rows:
            print(f"{r['preset']:<7}{r['batch']:>6}{r['ms_per_frame']:>10.3f}"
                  f"{r['ms_per_frame_p10']:>8.3f}-{r['ms_per_frame_p90']:<7.3f}{r['ms_per_frame_per_sequence']:>14.4f}"
                  f"{r['style_encode_ms']:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
