// StateArena: a fixed number of equally sized state slots in one backend buffer.
//
// A slot holds one sequence's whole recurrent state (conv + ssm for every layer; the layout
// comes from the model). Ops address slots by index through StateRef, so the arena itself never
// moves state except through copy_slot(), which goes through the backend's counted copy.
//
// Thread safety: as the backend (one thread at a time).
#pragma once

#include <cstdint>
#include <memory>

#include "core/status.h"
#include "kernels/backend.h"

namespace arbor::kernels {

class StateArena {
 public:
  // REQUIRES: n_slots > 0, floats_per_slot > 0. Slots start zeroed.
  static StatusOr<std::unique_ptr<StateArena>> create(Backend& backend, std::int32_t n_slots,
                                                      std::int64_t floats_per_slot);

  std::int32_t n_slots() const { return n_slots_; }
  std::int64_t floats_per_slot() const { return floats_per_slot_; }
  std::size_t bytes_per_slot() const {
    return static_cast<std::size_t>(floats_per_slot_) * sizeof(float);
  }

  // A view of one layer's state at `offset` floats into every slot.
  StateRef ref(std::int64_t offset) const;

  Status copy_slot(std::int32_t src, std::int32_t dst);
  Status zero_slot(std::int32_t slot);
  // Host transfers of a whole slot (used to spill idle states to host memory and back).
  Status read_slot(std::int32_t slot, float* host) const;
  Status write_slot(std::int32_t slot, const float* host);

 private:
  StateArena(Backend& backend, BufferPtr buffer, std::int32_t n_slots,
             std::int64_t floats_per_slot)
      : backend_(backend),
        buffer_(std::move(buffer)),
        n_slots_(n_slots),
        floats_per_slot_(floats_per_slot) {}
  void check_slot(std::int32_t slot) const;

  Backend& backend_;
  BufferPtr buffer_;
  std::int32_t n_slots_;
  std::int64_t floats_per_slot_;
};

}  // namespace arbor::kernels
