#include "memory/internal/fts.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "core/random.h"
#include "core/strings.h"
#include "memory/internal/schema.h"
#include "memory/store.h"

#include "tests/memory/test_util.h"

namespace arbor::memory::internal {
namespace {

using testing::TempDir;

// A corpus where a few words are in most memories and most words are rare, as in prose:
// 10-30 words each, drawn from 2000 words with Zipf(1) frequencies.
std::vector<std::string> zipf_corpus(int n, Rng& rng) {
  constexpr int kWords = 2000;
  std::vector<double> cdf(kWords);
  double total = 0;
  for (int r = 0; r < kWords; ++r) cdf[static_cast<std::size_t>(r)] = total += 1.0 / (r + 1);
  std::vector<std::string> texts;
  for (int d = 0; d < n; ++d) {
    std::string t;
    const int len = 10 + static_cast<int>(rng.below(21));
    for (int i = 0; i < len; ++i) {
      const double u = rng.uniform_f64() * total;
      const auto rank = std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
      t += 'w';
      t += std::to_string(rank);
      t += "x ";
    }
    texts.push_back(t);
  }
  return texts;
}

std::unique_ptr<Store> corpus_store(const std::string& path,
                                    const std::vector<std::string>& texts) {
  StoreOptions o;
  o.create_if_missing = true;
  auto s = Store::open(path, o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  std::vector<NewMemory> all;
  for (const std::string& t : texts) {
    NewMemory m;
    m.text = t;
    m.tags = {t.substr(0, t.find(' '))};
    all.push_back(m);
  }
  EXPECT_TRUE((*s)->add_many(std::move(all)).wait().ok());
  return std::move(s).value();
}

TEST(FtsTest, TokenizerStemsAndKeepsTheQuerySpelling) {
  TempDir dir;
  auto c = Connection::open(dir.file("m.db"), OpenMode::kReadWriteCreate, 100);
  ASSERT_TRUE(c.ok());
  auto tok = FtsTokenizer::create(**c);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  auto terms = (*tok)->tokenize("Lamps, LAMP and the lamp's \"oil\"!", 10);
  ASSERT_TRUE(terms.ok());
  ASSERT_EQ(terms->size(), 5u);  // lamp, and, the, s, oil
  EXPECT_EQ((*terms)[0].token, "lamp");
  EXPECT_EQ((*terms)[0].text, "Lamps");
  EXPECT_EQ((*terms)[4].token, "oil");
  EXPECT_EQ((*tok)->tokenize("a b c d e", 3)->size(), 3u);
}

TEST(FtsTest, ArborBm25EqualsFts5Bm25) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  Rng rng(7);
  auto store = corpus_store(path, zipf_corpus(600, rng));
  auto c = Connection::open(path, OpenMode::kReadOnly, 100);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(configure_connection(**c, false, 0).ok());
  for (const std::string q : {"w0x", "w0x w1x w7x", "w3x w150x w2x w399x", "w5x W5X w12x"}) {
    auto terms = query_terms(**c, q);
    ASSERT_TRUE(terms.ok()) << terms.status().to_string();
    ASSERT_FALSE(terms->empty());
    std::string sql =
        "SELECT rowid, -bm25(memories_fts, 2.0, 1.0), arbor_bm25(memories_fts, 2.0, 1.0";
    for (const QueryTerm& t : *terms) sql += ", " + std::to_string(t.docs);
    sql += ") FROM memories_fts WHERE memories_fts MATCH ?1";
    auto stmt = (*c)->prepare(sql);
    ASSERT_TRUE(stmt.ok()) << stmt.status().to_string();
    stmt->bind(1, match_expression(*terms));
    int rows = 0;
    while (*stmt->step()) {
      EXPECT_NEAR(stmt->col_double(1), stmt->col_double(2), 1e-9)
          << q << " row " << stmt->col_int(0);
      ++rows;
    }
    EXPECT_GT(rows, 0) << q;
  }
}

TEST(FtsTest, BudgetedCandidatesAgreeWithRankingEveryMatch) {
  TempDir dir;
  Rng rng(11);
  const std::vector<std::string> texts = zipf_corpus(3000, rng);
  auto store = corpus_store(dir.file("m.db"), texts);
  int same_top = 0;
  int queries = 0;
  for (int i = 0; i < 40; ++i) {
    // The commonest word and the rarest word of some memory, as most queries mix them.
    int rarest = 0;
    for (const std::string& w : split(texts[rng.below(texts.size())], ' ')) {
      if (w.size() > 2) rarest = std::max(rarest, std::stoi(w.substr(1, w.size() - 2)));
    }
    Query q;
    q.text = "w0x w";
    q.text += std::to_string(rarest);
    q.text += 'x';
    q.k = 5;
    Query all = q;
    all.text_scan_budget = 0;
    q.text_scan_budget = 300;  // below the count of the commonest words
    auto fast = store->retrieve(q).wait();
    auto exact = store->retrieve(all).wait();
    ASSERT_TRUE(fast.ok() && exact.ok());
    ASSERT_EQ(fast->size(), exact->size()) << q.text;
    // Scores are exact BM25 whichever way a memory became a candidate.
    std::map<MemoryId, double> exact_score;
    for (const auto& h : *exact) exact_score[h.memory.id] = *h.parts.bm25;
    for (const auto& h : *fast) {
      if (exact_score.count(h.memory.id)) {
        EXPECT_NEAR(*h.parts.bm25, exact_score[h.memory.id], 1e-9);
      }
    }
    ++queries;
    same_top += fast->front().score == exact->front().score;
  }
  EXPECT_GE(same_top, queries * 9 / 10);
  // Only common words: candidates still come, ranked within the newest matches.
  Query common;
  common.text = "w0x w1x";
  common.k = 10;
  common.text_scan_budget = 50;
  auto hits = store->retrieve(common).wait();
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->size(), 10u);
  for (std::size_t i = 1; i < hits->size(); ++i) {
    EXPECT_GE((*hits)[i - 1].score, (*hits)[i].score);
  }
  // A budget that covers every match gives exactly the exhaustive ranking.
  common.text_scan_budget = 1000000;
  Query exhaustive = common;
  exhaustive.text_scan_budget = 0;
  auto a = store->retrieve(common).wait();
  auto b = store->retrieve(exhaustive).wait();
  ASSERT_EQ(a->size(), b->size());
  for (std::size_t i = 0; i < a->size(); ++i) EXPECT_EQ((*a)[i].memory.id, (*b)[i].memory.id);
}

}  // namespace
}  // namespace arbor::memory::internal
