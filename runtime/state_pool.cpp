#include "runtime/internal/state_pool.h"

#include <algorithm>
#include <atomic>

namespace arbor::runtime::internal {

namespace {
std::atomic<std::uint64_t> next_node_id{1};
}  // namespace

SeqNode::SeqNode(std::shared_ptr<SeqNode> parent_node, std::vector<std::int32_t> tokens,
                 std::shared_ptr<StatePool> state_pool)
    : parent(std::move(parent_node)),
      delta(std::move(tokens)),
      length((parent ? parent->length : 0) + static_cast<std::int64_t>(delta.size())),
      id(next_node_id.fetch_add(1, std::memory_order_relaxed)),
      pool(std::move(state_pool)) {}

SeqNode::~SeqNode() {
  if (pool) {
    std::lock_guard<std::mutex> lock(pool->mutex());
    pool->forget(this);
  }
  // Unlink a long chain of ancestors iteratively rather than by recursive destructors.
  std::shared_ptr<SeqNode> p = std::move(parent);
  while (p && p.use_count() == 1) {
    std::shared_ptr<SeqNode> next = std::move(p->parent);
    p.reset();
    p = std::move(next);
  }
}

std::int32_t SeqNode::token_at(std::int64_t pos) const {
  const SeqNode* n = this;
  while (pos < n->length - static_cast<std::int64_t>(n->delta.size())) n = n->parent.get();
  return n->delta[static_cast<std::size_t>(pos - (n->length - static_cast<std::int64_t>(n->delta.size())))];
}

std::vector<std::int32_t> SeqNode::tokens(std::int64_t begin, std::int64_t end) const {
  std::vector<std::int32_t> out(static_cast<std::size_t>(std::max<std::int64_t>(0, end - begin)));
  // Walk up once, copying each node's overlap with [begin, end).
  for (const SeqNode* n = this; n != nullptr && end > begin; n = n->parent.get()) {
    const std::int64_t start = n->length - static_cast<std::int64_t>(n->delta.size());
    const std::int64_t lo = std::max(begin, start);
    const std::int64_t hi = std::min(end, n->length);
    for (std::int64_t p = lo; p < hi; ++p) {
      out[static_cast<std::size_t>(p - begin)] = n->delta[static_cast<std::size_t>(p - start)];
    }
    if (start <= begin) break;
  }
  return out;
}

StatePool::StatePool(std::unique_ptr<kernels::StateArena> arena, std::size_t host_budget_bytes)
    : arena_(std::move(arena)),
      host_budget_bytes_(host_budget_bytes),
      owner_(static_cast<std::size_t>(arena_->n_slots()), nullptr) {
  for (std::int32_t s = arena_->n_slots() - 1; s >= 0; --s) free_.push_back(s);
}

std::int32_t StatePool::resident_nodes() const {
  return static_cast<std::int32_t>(
      std::count_if(owner_.begin(), owner_.end(), [](const SeqNode* n) { return n != nullptr; }));
}

Status StatePool::evict(SeqNode* node) {
  const std::int32_t slot = node->slot;
  // A hybrid's slot state includes its KV pages, so its host size varies with its length.
  const std::size_t bytes = static_cast<std::size_t>(arena_->host_floats(slot)) * sizeof(float);
  if (host_bytes_ + bytes <= host_budget_bytes_) {
    ARBOR_RETURN_IF_ERROR(arena_->read_slot(slot, &node->spilled));
    node->state = StateKind::kSpilled;
    host_bytes_ += bytes;
    counters_.spills++;
    counters_.spill_bytes += bytes;
  } else {
    node->state = StateKind::kNone;
    counters_.drops++;
  }
  node->slot = kernels::kNoSlot;
  owner_[static_cast<std::size_t>(slot)] = nullptr;
  arena_->release_slot(slot);
  free_.push_back(slot);
  return Status();
}

void StatePool::flush_releases() {
  for (std::int32_t slot : pending_release_) {
    arena_->release_slot(slot);
    free_.push_back(slot);
  }
  pending_release_.clear();
}

StatusOr<std::optional<std::int32_t>> StatePool::acquire() {
  flush_releases();
  if (free_.empty()) {
    SeqNode* victim = nullptr;
    for (SeqNode* n : owner_) {
      if (n != nullptr && n->pins == 0 && (victim == nullptr || n->last_used < victim->last_used)) {
        victim = n;
      }
    }
    if (victim == nullptr) return std::optional<std::int32_t>();
    ARBOR_RETURN_IF_ERROR(evict(victim));
  }
  const std::int32_t slot = free_.back();
  free_.pop_back();
  return std::optional<std::int32_t>(slot);
}

void StatePool::release(std::int32_t slot) {
  ARBOR_CHECK(owner_[static_cast<std::size_t>(slot)] == nullptr) << "releasing an owned slot";
  arena_->release_slot(slot);
  free_.push_back(slot);
}

void StatePool::attach(SeqNode* node, std::int32_t slot) {
  ARBOR_CHECK(owner_[static_cast<std::size_t>(slot)] == nullptr);
  owner_[static_cast<std::size_t>(slot)] = node;
  node->slot = slot;
  node->state = StateKind::kSlot;
  node->computed_before = true;
}

StatusOr<bool> StatePool::restore(SeqNode* node) {
  ARBOR_CHECK(node->state == StateKind::kSpilled);
  ARBOR_ASSIGN_OR_RETURN(std::optional<std::int32_t> slot, acquire());
  if (!slot) return false;
  Status written = arena_->write_slot(*slot, node->spilled);
  if (!written.ok()) {
    release(*slot);
    return written;
  }
  host_bytes_ -= node->spilled.size() * sizeof(float);
  node->spilled = {};
  attach(node, *slot);
  counters_.restores++;
  return true;
}

void StatePool::forget(SeqNode* node) {
  if (node->state == StateKind::kSlot) {
    owner_[static_cast<std::size_t>(node->slot)] = nullptr;
    if (arena_->kv() != nullptr) {
      pending_release_.push_back(node->slot);  // a step may be using the page pool right now
    } else {
      free_.push_back(node->slot);
    }
  } else if (node->state == StateKind::kSpilled) {
    host_bytes_ -= node->spilled.size() * sizeof(float);
    node->spilled = {};
  }
  node->state = StateKind::kNone;
  node->slot = kernels::kNoSlot;
}

}  // namespace arbor::runtime::internal
