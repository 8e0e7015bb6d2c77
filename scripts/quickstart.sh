#!/usr/bin/env bash
# The README's first command: installs the Debian packages, builds Arbor (Release) and runs
# the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DARBOR_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
arbor=build/release/apps/arbor
"$arbor" --version

model=tests/data/parity/mamba2_a
echo
echo "# greedy continuation of 12 tokens on a small random-initialised Mamba-2 checkpoint"
"$arbor" generate --model "$model" --ids 5,17,42,7,99 --max-tokens 12 --ignore-eos --json

echo
echo "# CPU decode and prefill speed of a 3.5M-parameter Mamba-2 (random weights)"
bench_model=build/release/bench-mamba2-3m
[[ -f $bench_model/model.safetensors ]] ||
  "$arbor" random-model --config configs/models/bench_mamba2_3m.json --out "$bench_model" --seed 1
"$arbor" bench decode --model "$bench_model" --batch 1,4
"$arbor" bench prefill --model "$bench_model" --batch 1
