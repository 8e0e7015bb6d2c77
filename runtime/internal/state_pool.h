// StatePool: the engine's slots of recurrent state and the policy that shares them.
//
// A slot is free, owned by a sequence node (its materialized state), or a working slot of a
// running request. When no slot is free, acquire() evicts the least recently used node that no
// step is using: its state is spilled to host memory while the spill budget allows, otherwise
// dropped (it will be recomputed from an ancestor). Every field of every SeqNode's state and
// all of the pool are guarded by mutex().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "kernels/state_arena.h"
#include "runtime/internal/seq_node.h"

namespace arbor::runtime::internal {

struct PoolCounters {
  std::uint64_t spills = 0;
  std::uint64_t restores = 0;
  std::uint64_t drops = 0;
  std::uint64_t spill_bytes = 0;  // host bytes written by spills
};

class StatePool {
 public:
  StatePool(std::unique_ptr<kernels::StateArena> arena, std::size_t host_budget_bytes);

  std::mutex& mutex() { return mutex_; }
  kernels::StateArena& arena() { return *arena_; }
  std::int32_t n_slots() const { return arena_->n_slots(); }

  // ---- REQUIRE: mutex() held -------------------------------------------------------------------
  // A slot for a new owner, evicting an idle node when none is free; nullopt when every slot
  // is pinned or working. Errors come from the backend (a failed spill copy).
  StatusOr<std::optional<std::int32_t>> acquire();
  // Returns a working slot to the free list.
  void release(std::int32_t slot);
  // `node` now owns `slot` (its state is resident there).
  void attach(SeqNode* node, std::int32_t slot);
  // Brings a spilled node's state back into a slot; false when no slot could be found.
  StatusOr<bool> restore(SeqNode* node);
  // Called by ~SeqNode (on any thread, possibly while a step runs): frees whatever the node
  // holds. A slot with KV pages is only queued: its pages are released by flush_releases().
  void forget(SeqNode* node);
  // Releases the KV pages of the slots forget() queued and frees those slots. REQUIRES: no step
  // is running (the page pool is not thread-safe; steps run with the mutex released).
  void flush_releases();
  std::int32_t free_slots() const {
    return static_cast<std::int32_t>(free_.size() + pending_release_.size());
  }
  std::int32_t resident_nodes() const;
  const PoolCounters& counters() const { return counters_; }

 private:
  Status evict(SeqNode* node);

  std::mutex mutex_;
  std::unique_ptr<kernels::StateArena> arena_;
  std::size_t host_budget_bytes_;
  std::size_t host_bytes_ = 0;
  std::vector<std::int32_t> free_;
  std::vector<std::int32_t> pending_release_;  // freed slots whose KV pages are still held
  std::vector<SeqNode*> owner_;  // per slot: the owning node, or null (free or working)
  PoolCounters counters_;
};

}  // namespace arbor::runtime::internal
