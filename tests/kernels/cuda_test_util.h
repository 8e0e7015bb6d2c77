// Test helper for the suites labelled `cuda`: whether a CUDA backend can be made here, and the
// skip rule. Without CUDA in the build (Unimplemented) or without a device (Unavailable) the
// tests skip; with ARBOR_REQUIRE_CUDA=1 in the environment they fail instead, so a GPU machine
// whose driver is broken cannot pass by skipping. Any other error of make_backend fails.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "kernels/backend.h"

namespace arbor::testing {

inline bool cuda_required() {
  const char* v = std::getenv("ARBOR_REQUIRE_CUDA");
  return v != nullptr && std::string(v) == "1";
}

// ARBOR_CUDA_SYNC=1 (sync after every op) turns CUDA graphs off.
inline bool cuda_sync_forced() {
  const char* v = std::getenv("ARBOR_CUDA_SYNC");
  return v != nullptr && std::string(v) == "1";
}

// Ok when a CUDA backend (fp32 weights) can be made in this process; else make_backend's status.
// Probed once per process.
inline Status cuda_probe() {
  static const Status status = [] {
    auto b = kernels::make_backend(kernels::DeviceKind::kCuda, {DType::kF32});
    return b.ok() ? Status() : b.status();
  }();
  return status;
}

// Statuses that mean "no CUDA here" rather than "the CUDA backend is broken".
inline bool means_no_cuda(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kUnimplemented;
}

}  // namespace arbor::testing

// In a test body or SetUp(): returns with a skip unless a CUDA backend is available (a failure
// instead when ARBOR_REQUIRE_CUDA=1, or when make_backend fails for another reason).
#define ARBOR_SKIP_WITHOUT_CUDA()                                                       \
  do {                                                                                  \
    const ::arbor::Status arbor_cuda_status_ = ::arbor::testing::cuda_probe();          \
    if (!arbor_cuda_status_.ok()) {                                                     \
      if (!::arbor::testing::means_no_cuda(arbor_cuda_status_)) {                       \
        GTEST_FAIL() << "make_backend(cuda): " << arbor_cuda_status_.to_string();       \
      }                                                                                 \
      if (::arbor::testing::cuda_required()) {                                          \
        GTEST_FAIL() << "ARBOR_REQUIRE_CUDA=1 but " << arbor_cuda_status_.to_string();  \
      }                                                                                 \
      GTEST_SKIP() << arbor_cuda_status_.to_string();                                   \
    }                                                                                   \
  } while (0)
