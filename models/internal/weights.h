// WeightLoader: reads tensors from a checkpoint, checks their shapes, converts them to the
// backend's weight dtype and uploads them into buffers it keeps alive.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/backend.h"
#include "models/safetensors.h"

namespace arbor::models::internal {

class WeightLoader {
 public:
  WeightLoader(const Checkpoint& ckpt, kernels::Backend& backend)
      : ckpt_(ckpt), backend_(backend) {}

  // A matrix or vector used by linear(); stored in the backend's weight dtype.
  StatusOr<Tensor> matrix(const std::string& name, const Shape& shape);
  // A small fp32 parameter (norm weights, biases, A, D); `transform` maps each value on load.
  StatusOr<Tensor> f32(const std::string& name, const Shape& shape,
                       const std::function<float(float)>& transform = nullptr);
  bool has(const std::string& name) const { return ckpt_.find(name) != nullptr; }

  // Buffers holding every loaded weight; the model keeps them for its lifetime.
  std::vector<kernels::BufferPtr> take_buffers() { return std::move(buffers_); }

 private:
  StatusOr<Tensor> upload(const std::vector<float>& values, const Shape& shape, DType dtype);

  const Checkpoint& ckpt_;
  kernels::Backend& backend_;
  std::vector<kernels::BufferPtr> buffers_;
};

}  // namespace arbor::models::internal
