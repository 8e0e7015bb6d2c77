// Writing safetensors files: used to save random-initialised checkpoints for benchmarks and
// to build (also deliberately broken) files in tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace arbor::models {

struct NamedTensor {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<std::uint8_t> bytes;  // numel * dtype_size bytes, little-endian
};

// An fp32 tensor, or an fp32 tensor rounded to bf16/f16.
NamedTensor make_tensor(std::string name, const Shape& shape, const std::vector<float>& values,
                        DType dtype = DType::kF32);

// The file's bytes: 8-byte header length, JSON header, data (tensors in the given order).
std::string serialize_safetensors(const std::vector<NamedTensor>& tensors);
Status write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors);

}  // namespace arbor::models
