#!/bin/bash
# Issue 18, session 28: the sampler from scratch without the style term, 2,000 steps (the recipe of chain.sh's
# sampler, seed 0, the shipped phase and manifold). 0.1 of it is in the shipped sampler (sampler_shipped.sh); from
# session 28 to 30 the shipped sampler was 0.05 of it and 0.95 of b5 (sampler_style_b5.sh).
set -x
cd "$(dirname "$0")/../../.."
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
date -u
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 0 --batch 32 --steps 2000 --threads 1 \
  --checkpoint-every 250 --phase $A/phase.safetensors --manifold $A/manifold.safetensors --out runs/s28_plain/sampler \
  $( [ -f runs/s28_plain/sampler/checkpoint.pt ] && echo --resume )
date -u
