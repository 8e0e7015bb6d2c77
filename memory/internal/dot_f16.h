// dot_f16: the dot product of an fp16 vector with an fp32 vector, accumulated in fp32.
//
// The VectorCache keeps its vectors in fp16 because scanning them is bound by memory
// bandwidth: 10^5 x 384 dims is 77 MB in fp16, half of fp32, and the scan takes about 5 ms
// instead of 13 ms on a 2-core AMD EPYC VM. On x86-64 CPUs with AVX2, FMA and F16C the
// conversion is one instruction per 8 values; elsewhere a 64K-entry table converts.
// fp16 keeps 11 significant bits: for unit vectors the result is within about 1e-3 of the
// fp32 dot product, which is why the Store only ranks candidates with it and computes the
// cosines it reports from the stored fp32 vectors.
#pragma once

#include <cstddef>
#include <cstdint>

namespace arbor::memory::internal {

float dot_f16(const std::uint16_t* a, const float* b, std::size_t n);

}  // namespace arbor::memory::internal
