#!/usr/bin/env bash
# Builds what a GPU machine without a package registry needs to run Arbor's CUDA checks and
# benchmarks, into .device/ (git-ignored) at the repository root:
#   .device/arbor, .device/*_cuda_test   stripped binaries (CUDA on, sm_90; tests read their data
#                                        relative to the repository root)
#   .device/rt/*.deb, .device/rt/env.sh  the runtime libraries they load (OpenBLAS, PCRE2,
#                                        utf8proc, SQLite, gfortran, benchmark)
# Then, on the GPU machine, from a copy of the repository with .device/ beside it:
#   tools/gpu/check.sh        CUDA tests, CLI parity, compute-sanitizer, speed
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=build/gpu-bundle
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DARBOR_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="${ARBOR_CUDA_ARCHS:-90}" -DARBOR_TEST_SOURCE_DIR=. >/dev/null
cmake --build "$dir" -j "$(nproc)" --target arbor kernels_cuda_test models_cuda_test \
  runtime_cuda_test
mkdir -p .device/rt
cp "$dir/apps/arbor" "$dir"/tests/*/*_cuda_test .device/
strip .device/arbor .device/*_cuda_test
(cd .device/rt && apt-get download libopenblas0 libopenblas0-pthread libgfortran5 libpcre2-8-0 \
   libutf8proc2 libsqlite3-0 libbenchmark1debian >/dev/null)
cat > .device/rt/env.sh <<'ENV'
# source .device/rt/env.sh: unpacks the runtime .debs under /opt/arbor-rt and sets LD_LIBRARY_PATH.
_rt=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p /opt/arbor-rt
for _d in "$_rt"/*.deb; do dpkg -x "$_d" /opt/arbor-rt; done
_lib=/opt/arbor-rt/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$_lib:$_lib/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
ENV
du -sh .device
