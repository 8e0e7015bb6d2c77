#include "kernels/kv_pages.h"

#include <algorithm>
#include <string>

namespace arbor::kernels {

StatusOr<std::unique_ptr<KvPagePool>> KvPagePool::create(Backend& backend, const KvLayout& layout,
                                                         std::int32_t n_tables) {
  ARBOR_CHECK(layout.n_layers > 0 && layout.n_kv_head > 0 && layout.head_dim > 0 &&
              layout.page_size > 0 && layout.n_pages > 0 && n_tables > 0);
  const std::size_t bytes = static_cast<std::size_t>(layout.n_pages) *
                            static_cast<std::size_t>(layout.floats_per_page()) * sizeof(float);
  ARBOR_ASSIGN_OR_RETURN(BufferPtr buffer, backend.alloc(bytes));
  ARBOR_RETURN_IF_ERROR(backend.fill_zero(*buffer, 0, bytes));
  return std::unique_ptr<KvPagePool>(new KvPagePool(backend, std::move(buffer), layout, n_tables));
}

KvPagePool::KvPagePool(Backend& backend, BufferPtr buffer, const KvLayout& layout,
                       std::int32_t n_tables)
    : backend_(backend),
      buffer_(std::move(buffer)),
      layout_(layout),
      refs_(static_cast<std::size_t>(layout.n_pages), 0),
      tables_(static_cast<std::size_t>(n_tables)) {
  for (std::int32_t p = layout.n_pages - 1; p >= 0; --p) free_.push_back(p);
}

KvPagesRef KvPagePool::layer(std::int32_t attn_layer) const {
  ARBOR_CHECK(attn_layer >= 0 && attn_layer < layout_.n_layers);
  const std::int64_t block = std::int64_t{layout_.page_size} * layout_.row_floats();
  KvPagesRef r;
  r.base = static_cast<float*>(buffer_->data());
  r.page_stride = layout_.floats_per_page();
  r.k_offset = 2 * attn_layer * block;
  r.v_offset = (2 * attn_layer + 1) * block;
  r.page_size = layout_.page_size;
  r.row = layout_.row_floats();
  return r;
}

const KvPagePool::Table& KvPagePool::at(std::int32_t table) const {
  ARBOR_CHECK(table >= 0 && table < n_tables()) << "kv table " << table << " of " << n_tables();
  return tables_[static_cast<std::size_t>(table)];
}

KvPagePool::Table& KvPagePool::at(std::int32_t table) {
  ARBOR_CHECK(table >= 0 && table < n_tables()) << "kv table " << table << " of " << n_tables();
  return tables_[static_cast<std::size_t>(table)];
}

void KvPagePool::unref(std::int32_t page) {
  std::int32_t& r = refs_[static_cast<std::size_t>(page)];
  ARBOR_CHECK(r > 0) << "page " << page << " released more often than referenced";
  if (--r == 0) free_.push_back(page);
}

void KvPagePool::clear(std::int32_t table) {
  Table& t = at(table);
  for (std::int32_t p : t.pages) unref(p);
  t.pages.clear();
  t.length = 0;
}

void KvPagePool::share(std::int32_t src, std::int32_t dst) {
  if (src == dst) return;
  if (src == kNoSlot) {
    clear(dst);
    return;
  }
  const Table& s = at(src);
  // Only the pages holding src's tokens (a failed step may have reserved more).
  const std::size_t used =
      static_cast<std::size_t>((s.length + layout_.page_size - 1) / layout_.page_size);
  std::vector<std::int32_t> pages(s.pages.begin(),
                                  s.pages.begin() + static_cast<std::ptrdiff_t>(used));
  for (std::int32_t p : pages) refs_[static_cast<std::size_t>(p)]++;  // before dst drops its own
  Table& d = at(dst);
  std::vector<std::int32_t> old = std::move(d.pages);
  d.pages = std::move(pages);
  d.length = s.length;
  for (std::int32_t p : old) unref(p);
}

std::size_t KvPagePool::rows_offset(std::int32_t page, std::int32_t layer, bool v,
                                    std::int32_t first) const {
  const std::int64_t block = std::int64_t{layout_.page_size} * layout_.row_floats();
  const std::int64_t floats = std::int64_t{page} * layout_.floats_per_page() +
                              (2 * layer + (v ? 1 : 0)) * block + first * layout_.row_floats();
  return static_cast<std::size_t>(floats) * sizeof(float);
}

Status KvPagePool::reserve(std::int32_t table, std::int64_t n) {
  Table& t = at(table);
  if (n <= 0) return Status();
  const std::int64_t ps = layout_.page_size;
  const std::int64_t filled = t.length % ps;  // rows used in the last page (0: full or none)
  // The partly filled page (pages reserved beyond it by a failed step stay private).
  const auto last = static_cast<std::size_t>(t.length / ps);
  const bool cow = filled != 0 && refs_[static_cast<std::size_t>(t.pages[last])] > 1;
  const std::int64_t have = static_cast<std::int64_t>(t.pages.size()) * ps;
  const std::int64_t extra = std::max<std::int64_t>(0, (t.length + n - have + ps - 1) / ps);
  const std::int64_t need = extra + (cow ? 1 : 0);
  if (need > static_cast<std::int64_t>(free_.size())) {
    return Status::resource_exhausted("kv cache: " + std::to_string(need) + " more page(s) of " +
                                      std::to_string(ps) + " tokens needed, " +
                                      std::to_string(free_.size()) + " of " +
                                      std::to_string(layout_.n_pages) + " free");
  }
  if (cow) {
    const std::int32_t old = t.pages[last];
    const std::int32_t fresh = free_.back();
    free_.pop_back();
    refs_[static_cast<std::size_t>(fresh)] = 1;
    const std::size_t bytes =
        static_cast<std::size_t>(filled * layout_.row_floats()) * sizeof(float);
    for (std::int32_t l = 0; l < layout_.n_layers; ++l) {
      for (bool v : {false, true}) {
        ARBOR_RETURN_IF_ERROR(backend_.copy(*buffer_, rows_offset(fresh, l, v, 0), *buffer_,
                                            rows_offset(old, l, v, 0), bytes));
        counters_.cow_bytes += bytes;
      }
    }
    counters_.cow_copies++;
    t.pages[last] = fresh;
    unref(old);
  }
  for (std::int64_t i = 0; i < extra; ++i) {
    const std::int32_t p = free_.back();
    free_.pop_back();
    refs_[static_cast<std::size_t>(p)] = 1;
    t.pages.push_back(p);
  }
  return Status();
}

void KvPagePool::advance(std::int32_t table, std::int64_t n) {
  Table& t = at(table);
  ARBOR_CHECK(t.length + n <= static_cast<std::int64_t>(t.pages.size()) * layout_.page_size)
      << "kv table " << table << ": advance past the reserved pages";
  t.length += n;
}

Status KvPagePool::read_table(std::int32_t table, float* host) const {
  const Table& t = at(table);
  const std::int64_t row = layout_.row_floats();
  for (std::int32_t l = 0; l < layout_.n_layers; ++l) {
    for (bool v : {false, true}) {
      for (std::int64_t j = 0; j < t.length; j += layout_.page_size) {
        const auto n =
            static_cast<std::int32_t>(std::min<std::int64_t>(layout_.page_size, t.length - j));
        const std::int32_t page = t.pages[static_cast<std::size_t>(j / layout_.page_size)];
        ARBOR_RETURN_IF_ERROR(backend_.download(host, *buffer_, rows_offset(page, l, v, 0),
                                                static_cast<std::size_t>(n * row) * sizeof(float)));
        host += n * row;
      }
    }
  }
  return Status();
}

Status KvPagePool::write_table(std::int32_t table, const float* host, std::int64_t length) {
  clear(table);
  ARBOR_RETURN_IF_ERROR(reserve(table, length));
  const Table& t = at(table);
  const std::int64_t row = layout_.row_floats();
  for (std::int32_t l = 0; l < layout_.n_layers; ++l) {
    for (bool v : {false, true}) {
      for (std::int64_t j = 0; j < length; j += layout_.page_size) {
        const auto n =
            static_cast<std::int32_t>(std::min<std::int64_t>(layout_.page_size, length - j));
        const std::int32_t page = t.pages[static_cast<std::size_t>(j / layout_.page_size)];
        ARBOR_RETURN_IF_ERROR(backend_.upload(*buffer_, rows_offset(page, l, v, 0), host,
                                              static_cast<std::size_t>(n * row) * sizeof(float)));
        host += n * row;
      }
    }
  }
  advance(table, length);
  return Status();
}

}  // namespace arbor::kernels
