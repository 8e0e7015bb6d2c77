// Helper for the scan references: gives a sequence's working state, initialised from its source
// slot (or zeros), in its destination slot when it has one, else in scratch memory.
#pragma once

#include <cstring>
#include <vector>

#include "kernels/ops.h"

namespace arbor::kernels::internal {

inline float* begin_state(const StateRef& state, const SeqSpan& seq, std::int64_t n,
                          std::vector<float>& scratch) {
  float* h;
  if (seq.dst_slot != kNoSlot) {
    h = state.slot(seq.dst_slot);
  } else {
    scratch.resize(static_cast<std::size_t>(n));
    h = scratch.data();
  }
  if (seq.src_slot == kNoSlot) {
    std::memset(h, 0, sizeof(float) * static_cast<std::size_t>(n));
  } else if (seq.src_slot != seq.dst_slot) {
    std::memcpy(h, state.slot(seq.src_slot), sizeof(float) * static_cast<std::size_t>(n));
  }
  return h;
}

}  // namespace arbor::kernels::internal
