#!/bin/bash
# Issue 18, session 29: fine-tune the shipped sampler (0.95 b5 + 0.05 plain) with the swapped-style term run
# between `normal` windows (--swap-from normal), the artist's case the style accuracy scores.
set -x
cd /work/main
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
OUT=/work/wt-train/runs/s29_swap_normal
date -u
R=/work/wt-train/runs
# the shipped mix again, with the tensors equal in both kept bit for bit (the decoder must equal --manifold's)
[ -f $R/m95x.safetensors ] || .venv/bin/python scripts/mix_weights.py $R/s28_plain/sampler/sampler.safetensors \
  $R/b5_sampler.safetensors --share 0.95 --out $R/m95x.safetensors
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 3 --batch 32 --steps 500 --threads 2 \
  --checkpoint-every 100 --phase $A/phase.safetensors --manifold $A/manifold.safetensors \
  --init $R/m95x.safetensors \
  --style-loss 0.1 --swap-from normal --lr 1e-4 --out $OUT $( [ -f $OUT/checkpoint.pt ] && echo --resume )
date -u
