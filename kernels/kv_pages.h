// KvPagePool: the K/V cache of a hybrid model's attention layers in fixed-size pages.
//
// One backend buffer holds `n_pages` pages; a page holds `page_size` consecutive tokens of one
// sequence for every attention layer (layout per page: for each layer, its K rows then its V
// rows, each {page_size, n_kv_head, head_dim}). Every table (one per state slot) lists the pages
// of one sequence in token order and its length in tokens. Pages carry reference counts:
//   - share(src, dst) makes dst's table a copy of src's list and adds a reference to every page:
//     forking shares the whole cache and copies nothing;
//   - reserve(table, n) makes room for n more tokens. When the last page is partly filled and
//     shared, it is first copied into a fresh page (copy-on-write: only that page, only its
//     filled rows, through the backend's counted copy); new pages come from the free list;
//   - clear(table) drops the table's references; a page whose count reaches zero is free again.
// Full pages are never written again, so they stay shared for as long as anyone holds them.
//
// Thread safety: as the backend (one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "kernels/backend.h"
#include "kernels/ops.h"

namespace arbor::kernels {

struct KvLayout {
  std::int32_t n_layers = 0;  // attention layers
  std::int32_t n_kv_head = 0;
  std::int32_t head_dim = 0;
  std::int32_t page_size = 16;  // tokens per page
  std::int32_t n_pages = 0;

  std::int64_t row_floats() const { return std::int64_t{n_kv_head} * head_dim; }
  // K and V of one token in every attention layer.
  std::int64_t floats_per_token() const { return 2 * n_layers * row_floats(); }
  std::int64_t floats_per_page() const { return floats_per_token() * page_size; }
};

struct KvCounters {
  std::uint64_t cow_copies = 0;  // pages copied on write
  std::uint64_t cow_bytes = 0;   // bytes those copies moved
};

class KvPagePool {
 public:
  // REQUIRES: every layout field positive, n_tables > 0. Pages start zeroed and free.
  static StatusOr<std::unique_ptr<KvPagePool>> create(Backend& backend, const KvLayout& layout,
                                                      std::int32_t n_tables);

  const KvLayout& layout() const { return layout_; }
  std::int32_t n_tables() const { return static_cast<std::int32_t>(tables_.size()); }
  // One attention layer's rows inside every page.
  KvPagesRef layer(std::int32_t attn_layer) const;

  std::int64_t length(std::int32_t table) const { return at(table).length; }
  const std::vector<std::int32_t>& pages(std::int32_t table) const { return at(table).pages; }

  // dst := src (src == kNoSlot: dst := empty). No-op when src == dst.
  void share(std::int32_t src, std::int32_t dst);
  void clear(std::int32_t table);
  // Room for n more tokens (see above). ResourceExhausted, naming the pool size, when pages run
  // out; the table keeps what it had (its length is unchanged either way).
  Status reserve(std::int32_t table, std::int64_t n);
  // The n tokens reserve() made room for have been written. REQUIRES: room for them.
  void advance(std::int32_t table, std::int64_t n);

  std::int32_t refcount(std::int32_t page) const {
    return refs_.at(static_cast<std::size_t>(page));
  }
  std::int32_t free_pages() const { return static_cast<std::int32_t>(free_.size()); }
  std::int32_t pages_in_use() const { return layout_.n_pages - free_pages(); }
  const KvCounters& counters() const { return counters_; }
  std::size_t bytes_per_page() const {
    return static_cast<std::size_t>(layout_.floats_per_page()) * sizeof(float);
  }

  // Host form of a table (for spilling): for each layer, K rows then V rows of its `length`
  // tokens. host_floats() is its size.
  std::int64_t host_floats(std::int32_t table) const {
    return length(table) * layout_.floats_per_token();
  }
  Status read_table(std::int32_t table, float* host) const;
  // Replaces the table's contents with `length` tokens in host form (fresh pages).
  Status write_table(std::int32_t table, const float* host, std::int64_t length);

 private:
  struct Table {
    std::vector<std::int32_t> pages;
    std::int64_t length = 0;
  };
  KvPagePool(Backend& backend, BufferPtr buffer, const KvLayout& layout, std::int32_t n_tables);
  const Table& at(std::int32_t table) const;
  Table& at(std::int32_t table);
  void unref(std::int32_t page);
  // Host transfer of rows [first, first + n) of one layer's K or V of a page.
  std::size_t rows_offset(std::int32_t page, std::int32_t layer, bool v, std::int32_t first) const;

  Backend& backend_;
  BufferPtr buffer_;
  KvLayout layout_;
  std::vector<std::int32_t> refs_;  // per page
  std::vector<std::int32_t> free_;
  std::vector<Table> tables_;
  KvCounters counters_;
};

}  // namespace arbor::kernels
