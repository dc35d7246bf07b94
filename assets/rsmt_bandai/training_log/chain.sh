#!/bin/bash
# The Bandai Namco training chain (issue 18): phase (already started), manifold, sampler; each resumable.
set -x
cd /work/wt-styles
export MODULAR_TELEMETRY_ENABLED=0
PY=.venv/bin/python
while [ ! -f runs/bandai/phase/phase.safetensors ]; do sleep 10; done
date -u
[ -f runs/bandai/manifold/manifold.safetensors ] || $PY main.py train manifold --data bandai-namco --preset lite --seed 0 --steps 3000 --threads 1 \
  --phase runs/bandai/phase/phase.safetensors --out runs/bandai/manifold $( [ -f runs/bandai/manifold/checkpoint.pt ] && echo --resume )
date -u
$PY main.py train sampler --data bandai-namco --preset lite --seed 0 --batch 32 --steps 4000 --threads 1 --checkpoint-every 250 \
  --phase runs/bandai/phase/phase.safetensors --manifold runs/bandai/manifold/manifold.safetensors --out runs/bandai/sampler \
  $( [ -f runs/bandai/sampler/checkpoint.pt ] && echo --resume )
date -u
