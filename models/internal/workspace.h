// Workspace: scratch buffers for one forward pass, allocated from the backend and reused.
// Each named use gets its own buffer, grown (never shrunk) to the largest size requested.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/backend.h"

namespace arbor::models::internal {

class Workspace {
 public:
  explicit Workspace(kernels::Backend& backend) : backend_(backend) {}

  // A buffer of at least `n_floats` floats for use `id` (a small integer chosen by the caller).
  // Its contents are unspecified. Valid until the next get() with the same id.
  StatusOr<float*> get(std::size_t id, std::int64_t n_floats) {
    if (id >= buffers_.size()) buffers_.resize(id + 1);
    const std::size_t bytes = static_cast<std::size_t>(n_floats) * sizeof(float);
    if (!buffers_[id] || buffers_[id]->bytes() < bytes) {
      ARBOR_ASSIGN_OR_RETURN(buffers_[id], backend_.alloc(bytes + bytes / 2));
    }
    return static_cast<float*>(buffers_[id]->data());
  }

  // The buffer behind use `id`; REQUIRES: get(id, ...) was called.
  const kernels::Buffer& buffer(std::size_t id) const { return *buffers_.at(id); }

 private:
  kernels::Backend& backend_;
  std::vector<kernels::BufferPtr> buffers_;
};

}  // namespace arbor::models::internal
