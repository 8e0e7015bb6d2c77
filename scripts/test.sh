#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. installs the Debian packages (scripts/install_deps.sh; idempotent);
#   2. builds Release (CUDA code compiled whenever nvcc is present) and runs every test labelled cpu;
#   3. builds with AddressSanitizer + UndefinedBehaviorSanitizer (CUDA off) and runs them again;
#   4. builds the concurrent modules' tests with ThreadSanitizer and runs them;
#   5. checks that no file includes a layer above its own.
# Prints each stage's duration. Build folders: build/release and build/asan.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
total_start=$(date +%s)
declare -a summary

stage() {  # stage NAME COMMAND...
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "=== $name"
  "$@"
  local dt=$(( $(date +%s) - t0 ))
  summary+=("$(printf '%-34s %5ds' "$name" "$dt")")
  echo "=== $name: ${dt}s"
}

build_and_test() {  # build_and_test DIR CMAKE_ARGS...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" -L cpu -j "$jobs" --output-on-failure --timeout 900
  # Tests labelled cuda skip without a device (ARBOR_REQUIRE_CUDA=1 makes a skip a failure).
  if ctest --test-dir "$dir" -L cuda -N | grep -q "Total Tests: [1-9]"; then
    ctest --test-dir "$dir" -L cuda --output-on-failure --timeout 900
  fi
}

stage "install dependencies" scripts/install_deps.sh
stage "release build + cpu tests" build_and_test build/release -DCMAKE_BUILD_TYPE=Release \
  -DARBOR_CUDA=AUTO -DARBOR_FATAL_WARNINGS=ON
# The sanitizer builds use -O1 with line tables only: they compile much faster than -O2 -g and
# still give file:line stack traces.
sanitizer_flags=(-DCMAKE_BUILD_TYPE=None "-DCMAKE_CXX_FLAGS=-O1 -g1" -DARBOR_CUDA=OFF
                 -DARBOR_BUILD_BENCHMARKS=OFF)
stage "asan+ubsan build + cpu tests" build_and_test build/asan "${sanitizer_flags[@]}" \
  -DARBOR_SANITIZE=address
# ThreadSanitizer: the tests of the modules with threads of their own. OpenBLAS's worker threads
# synchronise in uninstrumented code, so the BLAS runs single-threaded here.
tsan_tests="runtime_test memory_test agents_test"
tsan() {
  cmake -S . -B build/tsan -G Ninja "${sanitizer_flags[@]}" -DARBOR_SANITIZE=thread >/dev/null
  cmake --build build/tsan -j "$jobs" --target $tsan_tests
  OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir build/tsan -L cpu -R "^($(tr ' ' '|' <<<"$tsan_tests"))\$" \
    --output-on-failure --timeout 900
}
stage "tsan build + concurrent tests" tsan
stage "layering check" scripts/check_layers.sh

echo
echo "stage durations:"
printf '  %s\n' "${summary[@]}"
echo "  total                              $(( $(date +%s) - total_start ))s"
