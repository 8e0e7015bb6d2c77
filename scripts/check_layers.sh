#!/usr/bin/env bash
# Fails when a file includes a header from a layer above its own (ARCHITECTURE.md):
#   core <- kernels <- models <- runtime;  search, envs, memory <- core;
#   agents <- runtime, search, envs, memory;  apps <- all.
# Also: CUDA headers only in kernels/cuda, SQLite only in memory, no "../" includes, and no
# module includes another module's internal/ headers.
set -euo pipefail
cd "$(dirname "$0")/.."

allowed() {  # allowed <layer>: the layers it may include, itself included
  case "$1" in
    core) echo "core" ;;
    kernels) echo "core kernels" ;;
    models) echo "core kernels models" ;;
    runtime) echo "core kernels models runtime" ;;
    search) echo "core search" ;;
    envs) echo "core envs" ;;
    memory) echo "core memory" ;;
    agents) echo "core kernels models runtime search envs memory agents" ;;
    apps|tests|bench|tools|examples) echo "core kernels models runtime search envs memory agents apps" ;;
    *) echo "" ;;
  esac
}

layers="core kernels models runtime search envs memory agents"
fail=0
while IFS= read -r -d '' file; do
  layer=${file%%/*}
  ok=$(allowed "$layer")
  [[ -z "$ok" ]] && continue
  while IFS= read -r line; do
    inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$line")
    if [[ "$inc" == ../* ]]; then
      echo "$file: relative include \"$inc\""; fail=1; continue
    fi
    target=${inc%%/*}
    if [[ " $layers " == *" $target "* && " $ok " != *" $target "* ]]; then
      echo "$file: layer '$layer' includes \"$inc\" from layer '$target' above it"; fail=1
    fi
    if [[ "$inc" == */internal/* && "$target" != "$layer" && "$layer" != tests ]]; then
      echo "$file: includes another module's internal header \"$inc\""; fail=1
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
  if [[ "$file" != kernels/cuda/* ]] && grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(cuda|cublas|curand|cub/|thrust/)' "$file"; then
    echo "$file: CUDA header outside kernels/cuda"; fail=1
  fi
  if [[ "$layer" != memory && "$layer" != tests ]] && grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<sqlite3\.h>' "$file"; then
    echo "$file: SQLite header outside memory/"; fail=1
  fi
done < <(find core kernels models runtime search envs memory agents apps tests bench \
           -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) \
           -print0 2>/dev/null)

if [[ $fail -ne 0 ]]; then
  echo "check_layers: FAILED"; exit 1
fi
echo "check_layers: ok"
