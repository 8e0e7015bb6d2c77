#!/usr/bin/env bash
# The README's first command: installs the Debian packages, builds Arbor (Release) and runs the
# main job, configs/demo.json: the embedded default model (assets/arith-mamba2) on the CPU
# solves 100 held-out arithmetic problems with greedy decoding, self-consistency, PRM beam
# search and MCTSr, then prints the comparison table (docs/experiments.md). A few minutes on a
# 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DARBOR_BUILD_TESTS=OFF \
  -DARBOR_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
arbor=build/release/apps/arbor
"$arbor" --version

run_dir="runs/demo-$(date -u +%Y%m%d-%H%M%S)"
echo
echo "# configs/demo.json -> $run_dir"
"$arbor" run configs/demo.json --out "$run_dir" >/dev/null
echo
echo "# comparison (also $run_dir/report.html)"
"$arbor" report "$run_dir"
