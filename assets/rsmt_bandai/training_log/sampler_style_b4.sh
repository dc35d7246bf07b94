#!/bin/bash
# Issue 18, session 18: continue b3's fine-tune with a stronger style loss.
set -x
cd /work/main
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
date -u
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 1 --batch 32 --steps 600 --threads 2 \
  --checkpoint-every 100 --phase $A/phase.safetensors --manifold $A/manifold.safetensors \
  --init /work/wt-train/runs/b3/sampler/sampler.safetensors \
  --style-loss 0.3 --lr 5e-4 --out /work/wt-train/runs/b4/sampler $( [ -f /work/wt-train/runs/b4/sampler/checkpoint.pt ] && echo --resume )
date -u
