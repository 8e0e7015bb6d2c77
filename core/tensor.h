// Tensor: a non-owning view of contiguous, row-major memory with a dtype and a shape.
//
// Shapes are written outermost dimension first, as in PyTorch: a batch of hidden states is
// {n_tokens, n_embd}, and element (t, i) lives at data[t * n_embd + i]. Whoever owns the memory
// (a backend buffer, a mapped file, a std::vector) must outlive the view.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/check.h"

namespace arbor {

enum class DType : std::uint8_t { kF32, kF16, kBF16, kI32, kI64 };

std::size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);  // "F32", "F16", "BF16", "I32", "I64" (safetensors names)

// Up to four dimensions, outermost first.
class Shape {
 public:
  static constexpr int kMaxDims = 4;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);

  int rank() const { return rank_; }
  std::int64_t operator[](int i) const {
    ARBOR_CHECK(i >= 0 && i < rank_) << "dim " << i << " of a rank-" << rank_ << " shape";
    return dims_[static_cast<std::size_t>(i)];
  }
  std::int64_t numel() const;
  std::string to_string() const;  // "[3, 4]"

  friend bool operator==(const Shape& a, const Shape& b);

 private:
  std::array<std::int64_t, kMaxDims> dims_{};
  int rank_ = 0;
};

struct Tensor {
  void* data = nullptr;
  DType dtype = DType::kF32;
  Shape shape;

  std::int64_t numel() const { return shape.numel(); }
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype); }

  // Typed access; REQUIRES: the dtype matches T.
  float* f32() const {
    ARBOR_CHECK(dtype == DType::kF32) << "tensor is " << dtype_name(dtype) << ", not F32";
    return static_cast<float*>(data);
  }
};

}  // namespace arbor
