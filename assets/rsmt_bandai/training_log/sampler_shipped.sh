#!/bin/bash
# The shipped Bandai Namco sampler (issue 18, session 31): 0.9 of the four-critic run from scratch
# (sampler_s30_scratch_four_critics.sh, 5,000 steps) and 0.1 of the plain run from scratch (sampler_s28_plain.sh,
# 2,000 steps); both start from the same seed-0 initialisation. The share was chosen on the training windows
# (`evaluate --split train --style-accuracy`: the most named style with L2P at 20 and 40 frames no worse than the
# sampler shipped before; assets/rsmt_bandai/evaluation.md). Each run resumes from its checkpoint.
set -ex
cd "$(dirname "$0")/../../.."
L=assets/rsmt_bandai/training_log
[ -f runs/s28_plain/sampler/sampler.safetensors ] || $L/sampler_s28_plain.sh
[ -f runs/s30_scratch4/sampler/sampler.safetensors ] || OUT=runs/s30_scratch4/sampler $L/sampler_s30_scratch_four_critics.sh
.venv/bin/python scripts/mix_weights.py runs/s28_plain/sampler/sampler.safetensors \
  runs/s30_scratch4/sampler/sampler.safetensors --share 0.9 --out assets/rsmt_bandai/sampler.safetensors
.venv/bin/python main.py styles build --data bandai-namco --weights assets/rsmt_bandai
