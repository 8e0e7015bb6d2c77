// Sequence: a ref-counted handle to a token history whose recurrent state the Engine keeps.
//
// Sequences form a tree: fork() and every append make a child node that points at its parent
// and stores only the tokens it adds, so creating one is O(1) and copies no state. The state
// of a node (after all its tokens but the last, which the next step feeds) lives in one slot
// of the engine's state pool, in host memory after a spill, or nowhere (then it is recomputed
// from the nearest ancestor that has one). Dropping the last handle to a node frees its slot.
//
// Thread safety: a Sequence is a value; copies may be used and dropped from any thread. The
// token history is immutable.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace arbor::runtime {

namespace internal {
struct SeqNode;
class Scheduler;
}

class Sequence {
 public:
  Sequence() = default;  // an empty handle; valid() is false

  bool valid() const { return node_ != nullptr; }
  // Number of tokens in the whole history. REQUIRES: valid().
  std::int64_t length() const;
  // The whole token history (walks up the tree: O(length)).
  std::vector<std::int32_t> tokens() const;
  // The tokens this sequence added to its parent (empty for a plain fork).
  const std::vector<std::int32_t>& delta() const;
  std::int32_t last_token() const;
  // Unique per node, for logs and exported trees.
  std::uint64_t id() const;
  // The parent this sequence was forked or extended from (invalid for a root).
  Sequence parent() const;

  friend bool operator==(const Sequence& a, const Sequence& b) { return a.node_ == b.node_; }

 private:
  friend class Engine;
  friend class internal::Scheduler;
  explicit Sequence(std::shared_ptr<internal::SeqNode> node) : node_(std::move(node)) {}
  std::shared_ptr<internal::SeqNode> node_;
};

}  // namespace arbor::runtime
