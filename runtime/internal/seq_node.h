// SeqNode: one node of the sequence tree (see runtime/sequence.h). The token fields are
// immutable after construction; the state fields are guarded by the engine's StatePool mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/ops.h"

namespace arbor::runtime::internal {

class StatePool;

// Where a node's state (after its first length - 1 tokens) is.
enum class StateKind : std::uint8_t {
  kNone,     // not computed, or dropped: recompute from an ancestor
  kZero,     // the initial state (a node of length 1): read as kNoSlot
  kSlot,     // resident in `slot`
  kSpilled,  // in `spilled` (host memory)
};

struct SeqNode : std::enable_shared_from_this<SeqNode> {
  SeqNode(std::shared_ptr<SeqNode> parent, std::vector<std::int32_t> delta,
          std::shared_ptr<StatePool> pool);
  ~SeqNode();
  SeqNode(const SeqNode&) = delete;
  SeqNode& operator=(const SeqNode&) = delete;

  // Immutable (parent is only released by the destructor, to unlink long chains iteratively).
  std::shared_ptr<SeqNode> parent;
  const std::vector<std::int32_t> delta;  // tokens after the parent's
  const std::int64_t length;              // tokens in the whole history
  const std::uint64_t id;
  const std::shared_ptr<StatePool> pool;  // frees the slot when the node dies

  // Guarded by pool->mutex().
  StateKind state = StateKind::kNone;
  std::int32_t slot = kernels::kNoSlot;
  std::vector<float> spilled;
  std::uint64_t last_used = 0;    // step counter, for LRU eviction
  bool materializing = false;     // a job is computing this node's state
  bool computed_before = false;   // its state existed once (a new computation is a recompute)
  int pins = 0;                   // > 0 while a step reads or writes the slot

  // History token at position `pos` (0-based). REQUIRES: 0 <= pos < length. O(depth).
  std::int32_t token_at(std::int64_t pos) const;
  // History tokens [begin, end). O(end - begin + depth).
  std::vector<std::int32_t> tokens(std::int64_t begin, std::int64_t end) const;
};

}  // namespace arbor::runtime::internal
