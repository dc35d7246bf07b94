#!/bin/bash
# Issue 18, session 20: consolidate b5 longer at a lower learning rate (same style weight), to win L2P back.
set -x
cd /work/wt-train
export MODULAR_TELEMETRY_ENABLED=0
A=assets/rsmt_bandai
date -u
.venv/bin/python main.py train sampler --data bandai-namco --preset lite --seed 7 --batch 32 --steps ${STEPS:-1500} --threads 2 \
  --checkpoint-every 100 --phase $A/phase.safetensors --manifold $A/manifold.safetensors \
  --init $A/sampler.safetensors \
  --style-loss 0.1 --lr 5e-5 --out /work/wt-train/runs/b7/sampler $( [ -f /work/wt-train/runs/b7/sampler/checkpoint.pt ] && echo --resume )
date -u
