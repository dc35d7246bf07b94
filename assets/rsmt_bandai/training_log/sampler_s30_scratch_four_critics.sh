#!/bin/bash
# Issue 18, session 30: the sampler from scratch with the style term from the first step, scored by four critics
# (--critics 4; seeds 0-3), otherwise the recipe of sampler_s28_plain.sh (seed 0, the shipped phase and manifold)
# and of session 28's one-critic run from scratch (--style-loss 0.1). Resumes from its checkpoint when run again.
# OUT: its folder (default runs/s30_scratch4/sampler); STEPS: where it stops (default 5000).
set -x
cd "$(dirname "$0")/../../.."
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
OUT=${OUT:-runs/s30_scratch4/sampler}
date -u
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 0 --batch 32 --steps "${STEPS:-5000}" \
  --threads 2 --checkpoint-every 100 --phase $A/phase.safetensors --manifold $A/manifold.safetensors \
  --style-loss 0.1 --critics 4 --out "$OUT" $( [ -f "$OUT/checkpoint.pt" ] && echo --resume )
date -u
