#!/usr/bin/env bash
# On a GPU machine, from the repository root, after tools/gpu/bundle.sh filled .device/:
#   tools/gpu/check.sh [OUT_DIR]
# 1. the cuda-labelled tests with ARBOR_REQUIRE_CUDA=1 (a skip is a failure);
# 2. CPU vs CUDA logits through the CLI on the parity fixtures and the embedded model;
# 3. decode and prefill speed of the embedded model, and decode of a random checkpoint with the
#    shapes of Mamba-2 130m, each with CUDA graphs off and on;
# 4. compute-sanitizer memcheck and racecheck on the op tests, memcheck on CUDA-graph decode
#    (the whole reports in OUT_DIR/*.log).
# Everything goes to stdout and OUT_DIR/check.log (default /tmp).
set -uo pipefail
out=${1:-/tmp}
exec > >(tee "$out/check.log") 2>&1
source .device/rt/env.sh
A=.device/arbor
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
export ARBOR_REQUIRE_CUDA=1
for t in kernels_cuda_test models_cuda_test runtime_cuda_test; do
  echo "== $t"
  timeout 150 ".device/$t" --gtest_brief=1 2>&1 | tail -40
done

echo "== logits: CPU fp32 vs CUDA fp32 and bf16 (70 positions)"
for m in assets/arith-mamba2 tests/data/parity/mamba1_a tests/data/parity/mamba1_b \
         tests/data/parity/mamba2_a tests/data/parity/mamba2_b; do
  ids=$(python3 -c "import json, random, sys; random.seed(1); v = json.load(open(sys.argv[1]))['vocab_size']; print(','.join(str(random.randrange(v)) for _ in range(70)))" "$m/config.json")
  for v in cpu "cuda --dtype fp32" "cuda --dtype bf16"; do
    timeout 120 $A logits --model "$m" --ids "$ids" --all-positions --backend $v \
      > "/tmp/logits_${v%% *}${v##* }.json" || echo "$m $v failed"
  done
  python3 - "$m" <<'PY'
import json, sys
def load(p):
    return json.load(open(p))["logits"]
a, b, c = load("/tmp/logits_cpucpu.json"), load("/tmp/logits_cudafp32.json"), load("/tmp/logits_cudabf16.json")
scale = max(1.0, max(abs(x) for row in a for x in row))
def err(u, v):
    return max(abs(x - y) for r1, r2 in zip(u, v) for x, y in zip(r1, r2)) / scale
def top1(u, v):
    return sum(max(range(len(r1)), key=r1.__getitem__) == max(range(len(r2)), key=r2.__getitem__)
               for r1, r2 in zip(u, v)) / len(u)
print(f"{sys.argv[1]}: fp32 max rel err {err(a, b):.2e}, bf16 {err(a, c):.2e}, bf16 top-1 agreement {top1(a, c):.3f}")
PY
done

echo "== speed (embedded model)"
for g in off on; do
  $A bench decode --model assets/arith-mamba2 --backend cuda --batch 1,16,64,256 --tokens 128 \
    --prompt-len 256 --cuda-graphs $g
done
$A bench prefill --model assets/arith-mamba2 --backend cuda --batch 1,8 --prompt-len 2048 \
  --repeats 3

echo "== decode speed, CUDA graphs off and on (random Mamba-2 130m shapes, bf16)"
m2=/tmp/arbor-mamba2-130m
if [ ! -f "$m2/config.json" ]; then
  mkdir -p "$m2"
  cat > /tmp/arbor-mamba2-130m.json <<'JSON'
{"model_type": "mamba2", "architectures": ["Mamba2ForCausalLM"], "vocab_size": 50280,
 "hidden_size": 768, "num_hidden_layers": 24, "num_heads": 24, "head_dim": 64,
 "state_size": 128, "n_groups": 1, "expand": 2, "conv_kernel": 4, "chunk_size": 256,
 "use_bias": false, "use_conv_bias": true, "tie_word_embeddings": true,
 "layer_norm_epsilon": 1e-5, "time_step_min": 0.001, "time_step_max": 0.1,
 "time_step_limit": [0.0, 1e30], "bos_token_id": 0, "eos_token_id": 0}
JSON
  $A random-model --config /tmp/arbor-mamba2-130m.json --out "$m2" --seed 1 > /dev/null
fi
for g in off on; do
  timeout 300 $A bench decode --model "$m2" --backend cuda --batch 1,16,64,256 --tokens 128 \
    --prompt-len 256 --cuda-graphs $g
done

echo "== compute-sanitizer"
for tool in memcheck racecheck; do
  ARBOR_CUDA_SYNC=1 timeout 150 compute-sanitizer --tool $tool --error-exitcode 9 \
    .device/kernels_cuda_test --gtest_brief=1 > "$out/$tool.log" 2>&1
  echo "$tool exit status: $?"
  # Where each reported hazard or error is (kernel names), then the summary.
  grep -E "^=========\s+(at|and|Error|Race|Write|Read)" "$out/$tool.log" | sort | uniq -c | head -20
  tail -3 "$out/$tool.log"
done
# Graph replays (no ARBOR_CUDA_SYNC: it turns graphs off).
graph_tests='Models/CudaGraphsTest.DecodeMatches*/mamba2_b_fp32'
graph_tests+=':Models/CudaGraphsTest.StepWhose*/mamba1_b_bf16'
timeout 150 compute-sanitizer --tool memcheck --error-exitcode 9 .device/models_cuda_test \
  --gtest_filter="$graph_tests" --gtest_brief=1 > "$out/memcheck_graphs.log" 2>&1
echo "memcheck (CUDA graphs) exit status: $?"
tail -3 "$out/memcheck_graphs.log"
