#!/usr/bin/env bash
# The README's first command: installs the Debian packages, builds Arbor (Release) and runs the
# main job on the embedded default model (assets/arith-mamba2): one problem solved greedily,
# then the same problem through self-consistency and MCTSr search on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DARBOR_BUILD_TESTS=OFF \
  -DARBOR_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
arbor=build/release/apps/arbor
model=assets/arith-mamba2
"$arbor" --version

question="Maya has 24 apples. She buys 13 more. How many apples does Maya have now?"
echo
echo "# greedy solution by the embedded model"
"$arbor" generate --model "$model" --prompt "Problem: $question
Solution:
" --max-tokens 120

for algorithm in self_consistency mctsr; do
  echo
  echo "# $algorithm (512 generated tokens at most)"
  "$arbor" search --model "$model" --question "$question" --algorithm "$algorithm" \
    --max-tokens 512 --no-tree |
    python3 -c 'import json, sys; r = json.load(sys.stdin); print(json.dumps({k: r[k] for k in ("answer", "usage") if k in r}))'
done
