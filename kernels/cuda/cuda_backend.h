// CudaBackend: the Backend interface on an NVIDIA GPU (kernels/cuda/*.cu). Declared without CUDA
// types so the registry can include it.
//
// Weights for linear() are bf16 by default (cuBLAS GEMMs with fp32 accumulation; activations are
// rounded to bf16 on the way in) or fp32 (cuBLAS SGEMM with TF32 off: the parity path).
// Activations, recurrent states and KV pages are fp32. Every op runs on one CUDA stream in call
// order; host index arrays (token ids, SeqSpans, page tables) are staged to the device, and a
// staged array whose bytes did not change since the previous op is not copied again.
#pragma once

#include <memory>

#include "kernels/backend.h"

namespace arbor::kernels {

// REQUIRES: a CUDA device is present (see cuda_device_count()).
StatusOr<std::unique_ptr<Backend>> make_cuda_backend(const BackendOptions& options);

}  // namespace arbor::kernels
