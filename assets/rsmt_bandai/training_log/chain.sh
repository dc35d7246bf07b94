#!/bin/bash
# Bandai retrain (issue 18, session 17): the shipped phase network; manifold trained longer from scratch;
# sampler from scratch with both training fixes (one style per batch, phase terms scaled). Each step resumable.
set -x
cd /work/wt-train
export MODULAR_TELEMETRY_ENABLED=0
PY=.venv/bin/python
PHASE=assets/rsmt_bandai/phase.safetensors
date -u
[ -f runs/b2/manifold/manifold.safetensors ] || $PY main.py train manifold --data bandai-namco --preset lite --seed 0 --steps 8000 --threads 1 \
  --checkpoint-every 500 --phase $PHASE --out runs/b2/manifold $( [ -f runs/b2/manifold/checkpoint.pt ] && echo --resume )
date -u
$PY main.py train sampler --data bandai-namco --preset lite --seed 0 --batch 32 --steps 10000 --threads 1 --checkpoint-every 250 \
  --phase $PHASE --manifold runs/b2/manifold/manifold.safetensors --out runs/b2/sampler \
  $( [ -f runs/b2/sampler/checkpoint.pt ] && echo --resume )
date -u
