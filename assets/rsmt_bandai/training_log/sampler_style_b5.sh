#!/bin/bash
# Issue 18, session 18: consolidate b4: a lower learning rate and style weight.
set -x
cd /work/main
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
date -u
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 2 --batch 32 --steps 500 --threads 2 \
  --checkpoint-every 100 --phase $A/phase.safetensors --manifold $A/manifold.safetensors \
  --init /work/wt-train/runs/b4/sampler/sampler.safetensors \
  --style-loss 0.1 --lr 1e-4 --out /work/wt-train/runs/b5/sampler $( [ -f /work/wt-train/runs/b5/sampler/checkpoint.pt ] && echo --resume )
date -u
