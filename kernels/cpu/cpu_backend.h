// CpuBackend: the fp32 reference backend. Buffers are 64-byte-aligned host memory; every op
// forwards to its *_ref function in kernels/cpu/ops_ref.h.
#pragma once

#include <memory>

#include "kernels/backend.h"

namespace arbor::kernels {

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace arbor::kernels
