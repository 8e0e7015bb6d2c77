#!/usr/bin/env bash
# Installs the Debian packages Arbor builds and tests with. Idempotent: packages already
# present are left alone. Runs as root, or through sudo when it is available.
#
#   scripts/install_deps.sh            install everything (build, tests, benchmarks, envs)
#   scripts/install_deps.sh --print    only list the packages it would install
set -euo pipefail

# Each package and why the project needs it.
packages=(
  build-essential        # C++20 toolchain (g++ 12)
  cmake                  # build system (3.24 or newer)
  ninja-build            # fast parallel builds
  pkg-config             # locates PCRE2 and utf8proc
  libboost1.81-dev       # Boost.Asio coroutines for the runtime
  nlohmann-json3-dev     # JSON: configs, safetensors headers, tokenizer.json, CLI output
  libsqlite3-dev         # long-term memory and run store (FTS5)
  libgtest-dev           # unit tests
  libgmock-dev           # test matchers
  libbenchmark-dev       # micro-benchmarks
  libopenblas-dev        # fp32 GEMM for the CPU reference backend
  libpcre2-dev           # Unicode classes in the tokenizer's pre-tokenizer regexes
  libutf8proc-dev        # NFC normalisation in the tokenizer
  frotz                  # dfrotz, the Z-machine interpreter for text-adventure environments
  python3                # the reference external environment in examples/ (standard library only)
)

if [[ "${1:-}" == "--print" ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "install_deps: not root and no sudo; install these packages: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install_deps: done"
