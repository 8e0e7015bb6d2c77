#include "memory/internal/vector_cache.h"

#include <cmath>
#include <cstring>

#include "core/check.h"
#include "core/float16.h"
#include "memory/internal/dot_f16.h"

namespace arbor::memory::internal {
namespace {

// Row `r` of `m` as unit-length fp16 from `values` (any length-`dim` vector).
void store_row(std::vector<std::uint16_t>& data, std::size_t r, std::size_t dim,
               std::span<const float> values) {
  std::vector<float> unit(values.begin(), values.end());
  normalize(unit);
  for (std::size_t j = 0; j < dim; ++j) data[r * dim + j] = f32_to_f16(unit[j]);
}

}  // namespace

void VectorChanges::append(VectorChanges&& other) {
  for (auto& u : other.upserts) upserts.push_back(std::move(u));
  erased.insert(erased.end(), other.erased.begin(), other.erased.end());
}

void normalize(std::span<float> v) {
  double norm = 0;
  for (const float x : v) norm += static_cast<double>(x) * x;
  if (norm <= 0) return;
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= inv;
}

StatusOr<std::optional<int>> VectorCache::sync(Connection& conn, const std::string& model) {
  // Set before this snapshot is taken, so every commit after it is queued for us (commits
  // before it are in the snapshot).
  loaded_any_ = true;
  ARBOR_ASSIGN_OR_RETURN(Stmt epoch_stmt,
                         conn.prepare("SELECT value FROM meta WHERE key = 'vector_epoch'"));
  ARBOR_ASSIGN_OR_RETURN(const bool has_epoch, epoch_stmt.step());
  const std::int64_t db_epoch = has_epoch ? epoch_stmt.col_int(0) : 0;

  const auto fresh = [&] {
    return epoch_ >= db_epoch || db_epoch == in_flight_.load() || db_epoch == last_queued_.load();
  };
  if (has_queued_.load()) {
    std::unique_lock lock(mu_);
    apply_queued_locked();
  }
  {
    std::shared_lock lock(mu_);
    if (fresh()) {
      auto it = models_.find(model);
      if (it != models_.end()) return std::optional<int>(it->second.dim);
    }
  }
  std::unique_lock lock(mu_);
  apply_queued_locked();
  if (!fresh() || (models_.count(model) == 0 && epoch_ != db_epoch)) {
    // Changed by another process, or loading a model at a snapshot older than the others:
    // start over from this snapshot.
    models_.clear();
    epoch_ = db_epoch;
  }
  if (models_.count(model) == 0) ARBOR_RETURN_IF_ERROR(load_locked(conn, model));
  auto it = models_.find(model);
  if (it == models_.end()) return std::optional<int>();
  return std::optional<int>(it->second.dim);
}

Status VectorCache::load_locked(Connection& conn, const std::string& model) {
  ARBOR_ASSIGN_OR_RETURN(Stmt dim_stmt,
                         conn.prepare("SELECT dim FROM vector_models WHERE name = ?1"));
  dim_stmt.bind(1, model);
  ARBOR_ASSIGN_OR_RETURN(const bool known, dim_stmt.step());
  if (!known) return Status();  // no vectors of this model yet: nothing to cache
  Matrix m;
  m.dim = static_cast<int>(dim_stmt.col_int(0));
  ARBOR_ASSIGN_OR_RETURN(Stmt rows,
                         conn.prepare("SELECT memory_id, data FROM vectors WHERE model = ?1"));
  rows.bind(1, model);
  const std::size_t bytes = static_cast<std::size_t>(m.dim) * sizeof(float);
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const bool has_row, rows.step());
    if (!has_row) break;
    const auto blob = rows.col_blob(1);
    if (blob.size() != bytes) {
      return Status::data_loss(conn.path() + ": vector of memory " +
                               std::to_string(rows.col_int(0)) + " has " +
                               std::to_string(blob.size()) + " bytes, model '" + model +
                               "' has dimension " + std::to_string(m.dim));
    }
    std::vector<float> values(static_cast<std::size_t>(m.dim));
    std::memcpy(values.data(), blob.data(), bytes);
    const std::size_t row = m.ids.size();
    m.data.resize((row + 1) * static_cast<std::size_t>(m.dim));
    store_row(m.data, row, static_cast<std::size_t>(m.dim), values);
    m.row_of[rows.col_int(0)] = m.ids.size();
    m.ids.push_back(rows.col_int(0));
  }
  models_[model] = std::move(m);
  return Status();
}

std::vector<std::pair<MemoryId, float>> VectorCache::score_all(
    const std::string& model, std::span<const float> query_unit) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<MemoryId, float>> out;
  auto it = models_.find(model);
  if (it == models_.end()) return out;
  const Matrix& m = it->second;
  const auto dim = static_cast<std::size_t>(m.dim);
  ARBOR_CHECK_EQ(query_unit.size(), dim);
  out.resize(m.ids.size());
  for (std::size_t r = 0; r < m.ids.size(); ++r) {
    out[r] = {m.ids[r], dot_f16(m.data.data() + r * dim, query_unit.data(), dim)};
  }
  return out;
}

void VectorCache::will_commit(std::int64_t epoch) {
  in_flight_ = epoch;
}

void VectorCache::commit_failed() {
  in_flight_ = kUnknown;
}

void VectorCache::committed(std::int64_t previous_epoch, std::int64_t epoch,
                            VectorChanges changes) {
  {
    std::lock_guard lock(queue_mu_);
    if (loaded_any_.load() || !queue_.empty()) {
      queued_vectors_ += changes.upserts.size() + changes.erased.size();
      if (queued_vectors_ > kMaxQueued) {
        queue_.clear();
        queued_vectors_ = 0;
        overflowed_ = true;
      } else {
        queue_.push_back({previous_epoch, epoch, std::move(changes)});
      }
      has_queued_ = true;
    }
    last_queued_ = epoch;
  }
  in_flight_ = kUnknown;
}

void VectorCache::apply_queued_locked() {
  std::vector<Queued> queued;
  bool overflowed = false;
  {
    std::lock_guard lock(queue_mu_);
    queued.swap(queue_);
    queued_vectors_ = 0;
    overflowed = overflowed_;
    overflowed_ = false;
    has_queued_ = false;
  }
  if (overflowed) {
    models_.clear();
    epoch_ = kUnknown;
  }
  for (Queued& q : queued) {
    if (q.epoch <= epoch_) continue;  // a reload already saw this commit
    if (q.previous_epoch != epoch_) {
      // Another process committed in between: what it changed is unknown, reload.
      models_.clear();
      epoch_ = kUnknown;
      continue;
    }
    for (const MemoryId id : q.changes.erased) {
      for (auto& [name, m] : models_) erase(m, id);
    }
    for (auto& u : q.changes.upserts) {
      auto it = models_.find(u.model);
      if (it == models_.end()) continue;  // loaded from the database when first needed
      if (u.values.size() != static_cast<std::size_t>(it->second.dim)) continue;
      upsert(it->second, u.id, u.values);
    }
    epoch_ = q.epoch;
  }
}

void VectorCache::upsert(Matrix& m, MemoryId id, std::span<const float> values) {
  const auto dim = static_cast<std::size_t>(m.dim);
  auto it = m.row_of.find(id);
  std::size_t row;
  if (it != m.row_of.end()) {
    row = it->second;
  } else {
    row = m.ids.size();
    m.ids.push_back(id);
    m.data.resize(m.data.size() + dim);
    m.row_of[id] = row;
  }
  store_row(m.data, row, dim, values);
}

void VectorCache::erase(Matrix& m, MemoryId id) {
  auto it = m.row_of.find(id);
  if (it == m.row_of.end()) return;
  const std::size_t row = it->second;
  const std::size_t last = m.ids.size() - 1;
  const auto dim = static_cast<std::size_t>(m.dim);
  if (row != last) {
    std::memcpy(m.data.data() + row * dim, m.data.data() + last * dim, dim * sizeof(std::uint16_t));
    m.ids[row] = m.ids[last];
    m.row_of[m.ids[row]] = row;
  }
  m.ids.pop_back();
  m.data.resize(last * dim);
  m.row_of.erase(id);
}

}  // namespace arbor::memory::internal
