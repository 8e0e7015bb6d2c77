// make_backend(): the only place that knows which backends this build contains.
#include <string>

#include "kernels/backend.h"
#include "kernels/cpu/cpu_backend.h"
#ifdef ARBOR_USE_CUDA
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/device.h"
#endif

namespace arbor::kernels {

StatusOr<std::unique_ptr<Backend>> make_backend(DeviceKind kind, const BackendOptions& options) {
  if (kind == DeviceKind::kCpu) {
    if (options.weight_dtype && *options.weight_dtype != DType::kF32) {
      return Status::invalid_argument("cpu backend: weights are fp32 only (asked for " +
                                      std::string(dtype_name(*options.weight_dtype)) + ")");
    }
    return make_cpu_backend();
  }
#ifdef ARBOR_USE_CUDA
  const int n = cuda_device_count();
  if (n <= 0) {
    return Status::unavailable("cuda backend: no CUDA device is present (" +
                               cuda_device_error() + ")");
  }
  return make_cuda_backend(options);
#else
  return Status::unimplemented(
      "cuda backend: this build of Arbor was made without CUDA (configure with ARBOR_CUDA=ON)");
#endif
}

}  // namespace arbor::kernels
