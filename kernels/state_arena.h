// StateArena: a fixed number of equally sized state slots in one backend buffer.
//
// A slot holds one sequence's whole recurrent state (conv + ssm for every layer; the layout
// comes from the model). Ops address slots by index through StateRef, so the arena itself never
// moves state except through copy_slot(), which goes through the backend's counted copy.
//
// For a hybrid model the arena also owns a KvPagePool (kv_pages.h) with one page table per
// slot: a slot's state is then its Mamba floats plus the pages of its attention layers' K/V.
// copy_slot() shares the pages (no K/V is copied), zero_slot() and release_slot() drop them,
// and the host form of a slot (spill) carries both.
//
// Thread safety: as the backend (one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "kernels/backend.h"
#include "kernels/kv_pages.h"

namespace arbor::kernels {

class StateArena {
 public:
  // REQUIRES: n_slots > 0, floats_per_slot > 0. Slots start zeroed.
  // With `kv` (a hybrid model): also a page pool of that layout with one table per slot.
  static StatusOr<std::unique_ptr<StateArena>> create(Backend& backend, std::int32_t n_slots,
                                                      std::int64_t floats_per_slot,
                                                      const KvLayout* kv = nullptr);

  std::int32_t n_slots() const { return n_slots_; }
  std::int64_t floats_per_slot() const { return floats_per_slot_; }
  std::size_t bytes_per_slot() const {
    return static_cast<std::size_t>(floats_per_slot_) * sizeof(float);
  }

  // A view of one layer's state at `offset` floats into every slot.
  StateRef ref(std::int64_t offset) const;

  // The KV page pool (null for models without attention layers).
  KvPagePool* kv() const { return kv_.get(); }

  Status copy_slot(std::int32_t src, std::int32_t dst);
  Status zero_slot(std::int32_t slot);
  // Drops what the slot references outside its floats (its KV pages); called when a slot is
  // freed. A no-op without a page pool.
  void release_slot(std::int32_t slot);
  // Host transfers of a slot's floats (floats_per_slot()).
  Status read_slot(std::int32_t slot, float* host) const;
  Status write_slot(std::int32_t slot, const float* host);
  // Host transfers of a slot's whole state, KV included (used to spill idle states to host
  // memory and back): its floats followed by the page pool's host form of its table.
  std::int64_t host_floats(std::int32_t slot) const;  // the size of that host form
  Status read_slot(std::int32_t slot, std::vector<float>* host) const;
  Status write_slot(std::int32_t slot, const std::vector<float>& host);

 private:
  StateArena(Backend& backend, BufferPtr buffer, std::int32_t n_slots,
             std::int64_t floats_per_slot, std::unique_ptr<KvPagePool> kv)
      : backend_(backend),
        buffer_(std::move(buffer)),
        n_slots_(n_slots),
        floats_per_slot_(floats_per_slot),
        kv_(std::move(kv)) {}
  void check_slot(std::int32_t slot) const;

  Backend& backend_;
  BufferPtr buffer_;
  std::int32_t n_slots_;
  std::int64_t floats_per_slot_;
  std::unique_ptr<KvPagePool> kv_;
};

}  // namespace arbor::kernels
