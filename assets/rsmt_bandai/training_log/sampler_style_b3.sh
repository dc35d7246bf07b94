#!/bin/bash
# Issue 18, session 18: fine-tune the shipped Bandai sampler with the swapped-style critic loss (--style-loss).
set -x
cd /work/main
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
date -u
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 0 --batch 32 --steps 800 --threads 2 \
  --checkpoint-every 100 --phase $A/phase.safetensors --manifold $A/manifold.safetensors --init $A/sampler.safetensors \
  --style-loss 0.05 --lr 2e-4 --out /work/wt-train/runs/b3/sampler $( [ -f /work/wt-train/runs/b3/sampler/checkpoint.pt ] && echo --resume )
date -u
