#include "kernels/cuda/cuda_backend.h"

namespace arbor::kernels {

StatusOr<std::unique_ptr<Backend>> make_cuda_backend(const BackendOptions&) {
  return Status::unimplemented("cuda backend: kernels not built yet; use --backend cpu");
}

}  // namespace arbor::kernels
