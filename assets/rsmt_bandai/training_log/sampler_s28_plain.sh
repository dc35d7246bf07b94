#!/bin/bash
# Issue 18, session 28: the sampler from scratch without the style term, 2,000 steps (the recipe of chain.sh's
# sampler, seed 0, the shipped phase and manifold). 0.05 of it mixed into b5 (0.95 b5) is the shipped sampler:
#   python scripts/mix_weights.py runs/s28_plain/sampler/sampler.safetensors b5/sampler.safetensors --share 0.95 \
#       --out assets/rsmt_bandai/sampler.safetensors
set -x
cd "$(dirname "$0")/../../.."
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
date -u
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 0 --batch 32 --steps 2000 --threads 1 \
  --checkpoint-every 250 --phase $A/phase.safetensors --manifold $A/manifold.safetensors --out runs/s28_plain/sampler \
  $( [ -f runs/s28_plain/sampler/checkpoint.pt ] && echo --resume )
date -u
