// Shared by the CUDA model tests: where each test model lives, and the error measure.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>

#include "tests/models/hybrid_test_util.h"

namespace arbor::testing {

// The random hybrid checkpoint (layers "MAMA", seed 21), written once per process and removed
// at exit.
inline const std::string& random_hybrid_dir() {
  struct Dir {
    Dir() : path(make_hybrid_checkpoint(hybrid_config("MAMA"), 21)) {}
    ~Dir() {
      if (!path.empty()) std::filesystem::remove_all(path);
    }
    std::string path;
  };
  static const Dir dir;
  return dir.path;
}

// "arith_mamba2" (the embedded model), "hybrid" (the random hybrid) or a parity fixture's name.
inline std::string cuda_test_model_dir(const std::string& name) {
  if (name == "arith_mamba2") return std::string(ARBOR_SOURCE_DIR) + "/assets/arith-mamba2";
  if (name == "hybrid") return random_hybrid_dir();
  return std::string(ARBOR_SOURCE_DIR) + "/tests/data/parity/" + name;
}

// max |a - b| / max(1, max |b|) over n values; infinite when a difference is NaN.
inline double norm_err(const float* a, const float* b, std::size_t n) {
  double diff = 0, ref = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    if (std::isnan(d)) return INFINITY;
    diff = std::max(diff, d);
    ref = std::max(ref, std::fabs(static_cast<double>(b[i])));
  }
  return diff / ref;
}

}  // namespace arbor::testing
