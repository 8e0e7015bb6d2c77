// CUDA device discovery. Declared without CUDA types so the registry can include it.
#pragma once

#include <string>

namespace arbor::kernels {

// Number of CUDA devices visible to this process; 0 when there is none or the driver is missing.
int cuda_device_count();
// Why cuda_device_count() returned 0 ("no CUDA-capable device is detected"), or "".
std::string cuda_device_error();
// "NVIDIA H200 (sm_90, 139 GiB)" for device `index`, or "" when it does not exist.
std::string cuda_device_name(int index);

}  // namespace arbor::kernels
