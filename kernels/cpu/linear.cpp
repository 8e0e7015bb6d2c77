// Linear layer y = alpha * x W^T + b through OpenBLAS (sgemv for one row, sgemm otherwise).
// fp32 throughout; BLAS accumulation order differs from PyTorch's, within 1e-6 relative.
#include <cblas.h>

#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {

void linear_ref(const LinearArgs& args) {
  const float* w = args.weight.f32();
  ARBOR_CHECK(args.weight.shape[0] == args.n_out && args.weight.shape[1] == args.n_in)
      << "weight " << args.weight.shape.to_string() << " for " << args.n_in << " -> "
      << args.n_out;
  if (args.n_rows == 0) return;
  if (args.n_rows == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, args.n_out, args.n_in, args.alpha, w, args.n_in,
                args.x, 1, 0.0f, args.y, 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, args.n_rows, args.n_out, args.n_in,
                args.alpha, args.x, static_cast<int>(args.ld_x), w, args.n_in, 0.0f, args.y,
                static_cast<int>(args.ld_y));
  }
  if (args.bias != nullptr) {
    for (std::int32_t r = 0; r < args.n_rows; ++r) {
      float* y = args.y + r * args.ld_y;
      for (std::int32_t o = 0; o < args.n_out; ++o) y[o] += args.bias[o];
    }
  }
}

}  // namespace arbor::kernels
