// The KV page pool (sharing, copy-on-write of the last page, reference counts, host form) and
// the paged attention ops against a direct dense computation on random inputs.
#include "kernels/kv_pages.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/random.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/ops_ref.h"
#include "kernels/state_arena.h"

namespace arbor::kernels {
namespace {

KvLayout layout(std::int32_t n_pages, std::int32_t page_size = 4) {
  KvLayout l;
  l.n_layers = 2;
  l.n_kv_head = 2;
  l.head_dim = 3;
  l.page_size = page_size;
  l.n_pages = n_pages;
  return l;
}

// Fills token rows [from, to) of a table with values identifying (table tag, layer, k/v, token).
void write_rows(KvPagePool& pool, std::int32_t table, std::int64_t from, std::int64_t to,
                float tag) {
  for (std::int32_t l = 0; l < pool.layout().n_layers; ++l) {
    const KvPagesRef r = pool.layer(l);
    for (std::int64_t j = from; j < to; ++j) {
      const std::int32_t page = pool.pages(table)[static_cast<std::size_t>(j / r.page_size)];
      const auto row = static_cast<std::int32_t>(j % r.page_size);
      for (std::int64_t d = 0; d < r.row; ++d) {
        r.k(page, row)[d] = tag + 1000.0f * l + static_cast<float>(j) + 0.01f * d;
        r.v(page, row)[d] = -(tag + 1000.0f * l + static_cast<float>(j) + 0.01f * d);
      }
    }
  }
}

TEST(KvPagePoolTest, ShareCopyOnWriteAndReferenceCounts) {
  auto backend = make_cpu_backend();
  auto pool = KvPagePool::create(*backend, layout(8), 3);
  ASSERT_TRUE(pool.ok());
  KvPagePool& kv = **pool;
  ASSERT_TRUE(kv.reserve(0, 6).ok());  // 2 pages, the second half filled
  write_rows(kv, 0, 0, 6, 0.0f);
  kv.advance(0, 6);
  EXPECT_EQ(kv.pages_in_use(), 2);
  kv.share(0, 1);
  EXPECT_EQ(kv.pages(1), kv.pages(0));
  EXPECT_EQ(kv.refcount(kv.pages(0)[1]), 2);
  const std::uint64_t before = backend->bytes_copied();
  ASSERT_TRUE(kv.reserve(1, 3).ok());  // writes into the shared half page: copy it
  const std::size_t row_bytes = 2 * 3 * sizeof(float);
  EXPECT_EQ(backend->bytes_copied() - before, 2u * 2u * 2u * row_bytes);  // 2 rows x K,V x 2 layers
  EXPECT_EQ(kv.counters().cow_copies, 1u);
  EXPECT_EQ(kv.pages(1)[0], kv.pages(0)[0]);
  EXPECT_NE(kv.pages(1)[1], kv.pages(0)[1]);
  EXPECT_EQ(kv.pages(1).size(), 3u);  // 6 + 3 tokens
  // The copy holds the parent's rows.
  for (std::int32_t l = 0; l < 2; ++l) {
    const KvPagesRef r = kv.layer(l);
    for (std::int32_t i = 0; i < 2; ++i) {
      EXPECT_EQ(r.k(kv.pages(1)[1], i)[2], r.k(kv.pages(0)[1], i)[2]);
      EXPECT_EQ(r.v(kv.pages(1)[1], i)[0], r.v(kv.pages(0)[1], i)[0]);
    }
  }
  // The parent's half page is its own again: no copy when it grows.
  const std::uint64_t b2 = backend->bytes_copied();
  ASSERT_TRUE(kv.reserve(0, 1).ok());
  EXPECT_EQ(backend->bytes_copied(), b2);
  // Running out of pages: an error naming the pool, the table unchanged.
  const std::vector<std::int32_t> had = kv.pages(2);
  const Status s = kv.reserve(2, 100);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(kv.pages(2), had);
  kv.clear(0);
  kv.clear(1);
  EXPECT_EQ(kv.pages_in_use(), 0);
  for (std::int32_t p = 0; p < 8; ++p) EXPECT_EQ(kv.refcount(p), 0);
}

// A step that failed after reserving leaves private pages beyond the partly filled one; sharing
// and copy-on-write must still act on the partly filled page.
TEST(KvPagePoolTest, PagesReservedByAFailedStepDoNotConfuseCopyOnWrite) {
  auto backend = make_cpu_backend();
  auto pool = KvPagePool::create(*backend, layout(8), 2);
  ASSERT_TRUE(pool.ok());
  KvPagePool& kv = **pool;
  ASSERT_TRUE(kv.reserve(0, 6).ok());
  kv.advance(0, 6);
  ASSERT_TRUE(kv.reserve(0, 4).ok());  // never advanced
  ASSERT_EQ(kv.pages(0).size(), 3u);
  kv.share(0, 1);
  EXPECT_EQ(kv.pages(1).size(), 2u);  // only the pages holding tokens
  EXPECT_EQ(kv.refcount(kv.pages(0)[2]), 1);
  ASSERT_TRUE(kv.reserve(1, 1).ok());
  EXPECT_NE(kv.pages(1)[1], kv.pages(0)[1]);  // the shared half page was copied
  EXPECT_EQ(kv.refcount(kv.pages(0)[1]), 1);
  ASSERT_TRUE(kv.reserve(0, 1).ok());  // the parent's pages are its own: no copy
  EXPECT_EQ(kv.counters().cow_copies, 1u);
  kv.clear(0);
  kv.clear(1);
  EXPECT_EQ(kv.pages_in_use(), 0);
}

TEST(KvPagePoolTest, HostFormRoundTripsThroughFreshPages) {
  auto backend = make_cpu_backend();
  const KvLayout lay = layout(10, 3);
  auto arena = StateArena::create(*backend, 3, 5, &lay);
  ASSERT_TRUE(arena.ok());
  KvPagePool& kv = *(*arena)->kv();
  ASSERT_TRUE(kv.reserve(0, 7).ok());
  write_rows(kv, 0, 0, 7, 7.0f);
  kv.advance(0, 7);
  std::vector<float> host;
  ASSERT_TRUE((*arena)->read_slot(0, &host).ok());
  EXPECT_EQ(static_cast<std::int64_t>(host.size()), 5 + 7 * kv.layout().floats_per_token());
  ASSERT_TRUE((*arena)->write_slot(2, host).ok());
  EXPECT_EQ(kv.length(2), 7);
  for (std::int32_t l = 0; l < 2; ++l) {
    const KvPagesRef r = kv.layer(l);
    for (std::int32_t j = 0; j < 7; ++j) {
      const float* a = r.k(kv.pages(0)[static_cast<std::size_t>(j / 3)], j % 3);
      const float* b = r.k(kv.pages(2)[static_cast<std::size_t>(j / 3)], j % 3);
      const float* va = r.v(kv.pages(0)[static_cast<std::size_t>(j / 3)], j % 3);
      const float* vb = r.v(kv.pages(2)[static_cast<std::size_t>(j / 3)], j % 3);
      for (std::int64_t d = 0; d < r.row; ++d) {
        EXPECT_EQ(a[d], b[d]);
        EXPECT_EQ(va[d], vb[d]);
      }
    }
  }
  ASSERT_TRUE((*arena)->copy_slot(2, 1).ok());  // shares
  EXPECT_EQ(kv.refcount(kv.pages(2)[0]), 2);
  ASSERT_TRUE((*arena)->zero_slot(1).ok());
  EXPECT_EQ(kv.refcount(kv.pages(2)[0]), 1);
  (*arena)->release_slot(0);
  (*arena)->release_slot(2);
  EXPECT_EQ(kv.pages_in_use(), 0);
}

// Dense causal GQA attention written directly from the definition.
std::vector<float> dense_attention(const std::vector<std::vector<float>>& k,
                                   const std::vector<std::vector<float>>& v,
                                   const std::vector<float>& q, std::int32_t past,
                                   std::int32_t n_new, std::int32_t n_head, std::int32_t n_kv,
                                   std::int32_t hd, float scale) {
  std::vector<float> out(static_cast<std::size_t>(n_new * n_head * hd));
  for (std::int32_t t = 0; t < n_new; ++t) {
    for (std::int32_t h = 0; h < n_head; ++h) {
      const std::int32_t g = h / (n_head / n_kv);
      std::vector<double> w;
      for (std::int32_t j = 0; j <= past + t; ++j) {
        double dot = 0;
        for (std::int32_t d = 0; d < hd; ++d) {
          dot += q[static_cast<std::size_t>((t * n_head + h) * hd + d)] *
                 k[static_cast<std::size_t>(j)][static_cast<std::size_t>(g * hd + d)];
        }
        w.push_back(dot * scale);
      }
      const double mx = *std::max_element(w.begin(), w.end());
      double sum = 0;
      for (double& x : w) sum += (x = std::exp(x - mx));
      for (std::int32_t d = 0; d < hd; ++d) {
        double acc = 0;
        for (std::size_t j = 0; j < w.size(); ++j) {
          acc += w[j] / sum * v[j][static_cast<std::size_t>(g * hd + d)];
        }
        out[static_cast<std::size_t>((t * n_head + h) * hd + d)] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

TEST(PagedAttentionTest, MatchesDenseAttentionForPackedSequencesOverScatteredPages) {
  Rng rng(4);
  auto backend = make_cpu_backend();
  const std::int32_t n_head = 6, n_kv = 2, hd = 5;
  KvLayout l;
  l.n_layers = 1;
  l.n_kv_head = n_kv;
  l.head_dim = hd;
  l.page_size = 3;
  l.n_pages = 16;
  auto pool = KvPagePool::create(*backend, l, 3);
  ASSERT_TRUE(pool.ok());
  KvPagePool& kv = **pool;
  const KvPagesRef cache = kv.layer(0);
  const std::int32_t row = n_kv * hd;
  // Three sequences: pasts of 7, 0 and 3 tokens; 4, 2 and 1 new tokens. Occupy some pages
  // first so the tables are not contiguous.
  const std::int32_t pasts[] = {7, 0, 3}, news[] = {4, 2, 1};
  std::vector<std::vector<std::vector<float>>> K(3), V(3);
  for (std::int32_t s = 0; s < 3; ++s) {
    ASSERT_TRUE(kv.reserve(s, pasts[s]).ok());
    for (std::int32_t j = 0; j < pasts[s]; ++j) {
      std::vector<float> kr(static_cast<std::size_t>(row)), vr(static_cast<std::size_t>(row));
      for (auto& x : kr) x = static_cast<float>(rng.normal());
      for (auto& x : vr) x = static_cast<float>(rng.normal());
      const std::int32_t page = kv.pages(s)[static_cast<std::size_t>(j / 3)];
      std::copy(kr.begin(), kr.end(), cache.k(page, j % 3));
      std::copy(vr.begin(), vr.end(), cache.v(page, j % 3));
      K[static_cast<std::size_t>(s)].push_back(kr);
      V[static_cast<std::size_t>(s)].push_back(vr);
    }
    kv.advance(s, pasts[s]);
    ASSERT_TRUE(kv.reserve(s, news[s]).ok());
  }
  std::vector<SeqSpan> spans;
  std::int32_t T = 0;
  for (std::int32_t s = 0; s < 3; ++s) {
    spans.push_back({T, news[s], s, s});
    T += news[s];
  }
  std::vector<float> q(static_cast<std::size_t>(T * n_head * hd)),
      k(static_cast<std::size_t>(T * row)), v(static_cast<std::size_t>(T * row));
  for (auto& x : q) x = static_cast<float>(rng.normal());
  for (auto& x : k) x = static_cast<float>(rng.normal());
  for (auto& x : v) x = static_cast<float>(rng.normal());
  std::int32_t ld_table = 0;
  for (std::int32_t s = 0; s < 3; ++s) {
    ld_table = std::max(ld_table, static_cast<std::int32_t>(kv.pages(s).size()));
  }
  std::vector<std::int32_t> table(static_cast<std::size_t>(3 * ld_table), -1);
  for (std::int32_t s = 0; s < 3; ++s) {
    std::copy(kv.pages(s).begin(), kv.pages(s).end(), table.begin() + s * ld_table);
  }
  std::vector<std::int32_t> past(pasts, pasts + 3);
  std::vector<float> out(static_cast<std::size_t>(T * n_head * hd));
  const float scale = 0.37f;
  PagedAttentionArgs a;
  a.q = q.data();
  a.ld_q = n_head * hd;
  a.k = k.data();
  a.v = v.data();
  a.ld_kv = row;
  a.out = out.data();
  a.n_head = n_head;
  a.n_kv_head = n_kv;
  a.head_dim = hd;
  a.scale = scale;
  a.seqs = spans.data();
  a.n_seqs = 3;
  a.page_table = table.data();
  a.ld_page_table = ld_table;
  a.past_len = past.data();
  a.cache = cache;
  paged_attention_ref(a);
  for (std::int32_t s = 0; s < 3; ++s) {
    auto Ks = K[static_cast<std::size_t>(s)];
    auto Vs = V[static_cast<std::size_t>(s)];
    for (std::int32_t i = 0; i < news[s]; ++i) {
      const auto r = static_cast<std::size_t>((spans[static_cast<std::size_t>(s)].start + i) * row);
      Ks.emplace_back(k.begin() + static_cast<std::ptrdiff_t>(r),
                      k.begin() + static_cast<std::ptrdiff_t>(r + row));
      Vs.emplace_back(v.begin() + static_cast<std::ptrdiff_t>(r),
                      v.begin() + static_cast<std::ptrdiff_t>(r + row));
    }
    const auto start = static_cast<std::size_t>(spans[static_cast<std::size_t>(s)].start);
    const std::vector<float> qs(
        q.begin() + static_cast<std::ptrdiff_t>(start * n_head * hd),
        q.begin() + static_cast<std::ptrdiff_t>((start + news[s]) * n_head * hd));
    const std::vector<float> want =
        dense_attention(Ks, Vs, qs, pasts[s], news[s], n_head, n_kv, hd, scale);
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(out[start * n_head * hd + i], want[i], 1e-5) << "sequence " << s;
    }
  }
  // kv_append puts the new rows where the table says; a sequence without dst is skipped.
  spans[1].dst_slot = kNoSlot;
  KvAppendArgs app;
  app.k = k.data();
  app.v = v.data();
  app.ld_kv = row;
  app.seqs = spans.data();
  app.n_seqs = 3;
  app.page_table = table.data();
  app.ld_page_table = ld_table;
  app.past_len = past.data();
  app.cache = cache;
  std::fill(cache.k(kv.pages(1)[0], 0), cache.k(kv.pages(1)[0], 0) + row, -5.0f);
  kv_append_ref(app);
  for (std::int32_t s : {0, 2}) {
    for (std::int32_t i = 0; i < news[s]; ++i) {
      const std::int32_t pos = pasts[s] + i;
      const float* got = cache.v(kv.pages(s)[static_cast<std::size_t>(pos / 3)], pos % 3);
      const float* want = v.data() + (spans[static_cast<std::size_t>(s)].start + i) * row;
      for (std::int32_t d = 0; d < row; ++d) EXPECT_EQ(got[d], want[d]);
    }
  }
  EXPECT_EQ(cache.k(kv.pages(1)[0], 0)[0], -5.0f);
}

TEST(SiluMulTest, GatesTheUpHalf) {
  const std::vector<float> x = {1.0f, -2.0f, 3.0f, 4.0f, 0.5f, 0.0f, -1.0f, 2.0f};
  std::vector<float> out(4);
  silu_mul_ref({x.data(), 4, out.data(), 2, 2});
  for (int r = 0; r < 2; ++r) {
    for (int i = 0; i < 2; ++i) {
      const float g = x[static_cast<std::size_t>(r * 4 + i)];
      EXPECT_FLOAT_EQ(out[static_cast<std::size_t>(r * 2 + i)],
                      g / (1.0f + std::exp(-g)) * x[static_cast<std::size_t>(r * 4 + 2 + i)]);
    }
  }
}

}  // namespace
}  // namespace arbor::kernels
