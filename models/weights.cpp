#include "models/internal/weights.h"

#include "core/float16.h"

namespace arbor::models::internal {

StatusOr<Tensor> WeightLoader::upload(const std::vector<float>& values, const Shape& shape,
                                      DType dtype) {
  ARBOR_CHECK(dtype == DType::kF32 || dtype == DType::kBF16 || dtype == DType::kF16);
  const std::size_t bytes = values.size() * dtype_size(dtype);
  ARBOR_ASSIGN_OR_RETURN(kernels::BufferPtr buf, backend_.alloc(bytes));
  if (dtype == DType::kF32) {
    ARBOR_RETURN_IF_ERROR(backend_.upload(*buf, 0, values.data(), bytes));
  } else {
    std::vector<std::uint16_t> half(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      half[i] = dtype == DType::kBF16 ? f32_to_bf16(values[i]) : f32_to_f16(values[i]);
    }
    ARBOR_RETURN_IF_ERROR(backend_.upload(*buf, 0, half.data(), bytes));
  }
  Tensor t{buf->data(), dtype, shape};
  buffers_.push_back(std::move(buf));
  return t;
}

StatusOr<Tensor> WeightLoader::matrix(const std::string& name, const Shape& shape) {
  ARBOR_ASSIGN_OR_RETURN(std::vector<float> values, ckpt_.read_f32(name, shape));
  return upload(values, shape, backend_.weight_dtype());
}

StatusOr<Tensor> WeightLoader::f32(const std::string& name, const Shape& shape,
                                   const std::function<float(float)>& transform) {
  ARBOR_ASSIGN_OR_RETURN(std::vector<float> values, ckpt_.read_f32(name, shape));
  if (transform) {
    for (float& v : values) v = transform(v);
  }
  return upload(values, shape, DType::kF32);
}

}  // namespace arbor::models::internal
