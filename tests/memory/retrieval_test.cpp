// Retrieval: BM25 and cosine parts, filters, embedders, recency and importance recall.
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "memory/hashing_embedder.h"
#include "memory/store.h"

#include "tests/memory/store_fixtures.h"
#include "tests/memory/test_util.h"

namespace arbor::memory {
namespace {

using testing::add;
using testing::add_filler;
using testing::FakeClock;
using testing::ids_of;
using testing::mem;
using testing::open_store;
using testing::TempDir;
using testing::vec;

TEST(RetrievalTest, FtsRankingAndScoreParts) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  add_filler(*s, 30);
  const MemoryId lamp = add(*s, mem("The lamp is in the cellar below the house"));
  const MemoryId lamp2 = add(*s, mem("A brass lamp, a lamp oil flask and lamp wick"));
  add(*s, mem("The sword hangs above the mantel"));
  Query q;
  q.text = "LAMPS?";
  q.weights.bm25_half = 2.0;
  auto hits = s->retrieve(q).wait();
  ASSERT_TRUE(hits.ok()) << hits.status().to_string();
  ASSERT_GE(hits->size(), 2u);
  // "lamp" three times beats once (porter stemming and case folding apply).
  EXPECT_EQ((*hits)[0].memory.id, lamp2);
  EXPECT_EQ((*hits)[1].memory.id, lamp);
  for (const ScoredMemory& h : *hits) {
    ASSERT_TRUE(h.parts.bm25.has_value());
    EXPECT_FALSE(h.parts.cosine.has_value());
    const double b = *h.parts.bm25;
    EXPECT_GT(b, 0);
    EXPECT_NEAR(h.parts.text, b / (b + 2.0), 1e-12);
    EXPECT_EQ(h.parts.vector, 0);
    EXPECT_NEAR(h.score, h.parts.text + h.parts.vector + h.parts.importance + h.parts.recency,
                1e-12);
  }
  // FTS5 syntax in the query is just text.
  q.text = "lamp\" OR NEAR(x) * AND -";
  EXPECT_TRUE(s->retrieve(q).wait().ok());
  q.text = "?!";
  EXPECT_EQ(s->retrieve(q).wait().status().code(), StatusCode::kInvalidArgument);
}

TEST(RetrievalTest, HybridRetrievalReportsBothSignals) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  add_filler(*s, 30);
  NewMemory text_match = mem("alpha centauri is the nearest star system");
  text_match.embedding = vec({1, 0, 0, 0});
  NewMemory vector_match = mem("a completely different sentence");
  vector_match.embedding = vec({0, 1, 0.1f, 0});
  NewMemory neither = mem("something else entirely");
  neither.embedding = vec({0, 0, 0, 1});
  const MemoryId t = add(*s, text_match);
  const MemoryId v = add(*s, vector_match);
  const MemoryId n = add(*s, neither);

  Query q;
  q.text = "alpha centauri";
  q.embedding = vec({0.1f, 1, 0, 0});
  auto hits = s->retrieve(q).wait();
  ASSERT_TRUE(hits.ok()) << hits.status().to_string();
  std::map<MemoryId, ScoredMemory> by_id;
  for (const auto& h : *hits) by_id[h.memory.id] = h;
  ASSERT_TRUE(by_id.count(t) && by_id.count(v));
  // The text match was found by BM25 and still gets its cosine, and vice versa.
  EXPECT_TRUE(by_id[t].parts.bm25.has_value());
  ASSERT_TRUE(by_id[t].parts.cosine.has_value());
  EXPECT_NEAR(*by_id[t].parts.cosine, 0.1 / std::sqrt(1.01), 1e-6);
  EXPECT_FALSE(by_id[v].parts.bm25.has_value());
  ASSERT_TRUE(by_id[v].parts.cosine.has_value());
  EXPECT_NEAR(*by_id[v].parts.cosine, 1.0 / (std::sqrt(1.01) * std::sqrt(1.01)), 1e-6);
  EXPECT_EQ(by_id[v].parts.text, 0);
  EXPECT_NEAR(by_id[v].parts.vector, *by_id[v].parts.cosine, 1e-12);
  if (by_id.count(n)) {
    EXPECT_EQ(by_id[n].parts.vector, 0);  // cosine 0
  }

  // The weights decide which signal wins.
  q.weights.text = 0;
  EXPECT_EQ(s->retrieve(q).wait()->front().memory.id, v);
  q.weights.text = 1;
  q.weights.vector = 0;
  EXPECT_EQ(s->retrieve(q).wait()->front().memory.id, t);
  // min_cosine gates the vector part.
  q.weights.vector = 1;
  q.weights.min_cosine = 0.995;
  hits = s->retrieve(q).wait();
  for (const auto& h : *hits) EXPECT_EQ(h.parts.vector, 0) << h.memory.text;
}

TEST(RetrievalTest, FiltersApplyToBothSignals) {
  TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.clock = clock.fn();
  auto s = open_store(dir.file("m.db"), o);
  add_filler(*s, 30);
  NewMemory a = mem("dragon lair location", "fact", "game:a");
  a.embedding = vec({1, 0, 0});
  a.tags = {"danger", "cave"};
  NewMemory b = mem("dragon lair location", "fact", "game:b");
  b.embedding = vec({0.9f, 0.1f, 0});
  b.tags = {"danger"};
  NewMemory c = mem("dragon lair location", "reflection", "game:b");
  c.embedding = vec({0.8f, 0.2f, 0});
  c.expires_at = clock.now() + 1000;
  const MemoryId ia = add(*s, a);
  const MemoryId ib = add(*s, b);
  const MemoryId ic = add(*s, c);

  Query q;
  q.text = "dragon";
  q.embedding = vec({1, 0, 0});
  q.filter.scopes = {"game:b"};
  EXPECT_EQ(ids_of(*s->retrieve(q).wait()), (std::vector<MemoryId>{ib, ic}));
  q.filter.kinds = {"reflection"};
  EXPECT_EQ(ids_of(*s->retrieve(q).wait()), (std::vector<MemoryId>{ic}));
  q.filter = {};
  q.filter.tags = {"danger", "cave"};
  EXPECT_EQ(ids_of(*s->retrieve(q).wait()), (std::vector<MemoryId>{ia}));
  // Vector-only queries filter too (the best vector is in another scope).
  Query vq;
  vq.embedding = vec({1, 0, 0});
  vq.k = 1;
  vq.filter.scopes = {"game:b"};
  EXPECT_EQ(ids_of(*s->retrieve(vq).wait()), (std::vector<MemoryId>{ib}));
  // Expired memories leave retrieval unless asked for.
  clock.advance(2000);
  q.filter = {};
  q.filter.scopes = {"game:b"};
  EXPECT_EQ(ids_of(*s->retrieve(q).wait()), (std::vector<MemoryId>{ib}));
  q.filter.include_expired = true;
  EXPECT_EQ(ids_of(*s->retrieve(q).wait()), (std::vector<MemoryId>{ib, ic}));
}

TEST(RetrievalTest, EmbeddingDimensionIsCheckedPerModel) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  NewMemory a = mem("one");
  a.embedding = vec({1, 2, 3, 4});
  add(*s, a);
  NewMemory b = mem("two");
  b.embedding = vec({1, 2, 3});
  auto r = s->add(b).wait();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("dimension 4"), std::string::npos) << r.status().message();
  b.embedding = vec({1, 2, 3}, "other-model");
  EXPECT_TRUE(s->add(b).wait().ok());
  Query q;
  q.embedding = vec({1, 2, 3});
  EXPECT_EQ(s->retrieve(q).wait().status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->stats().wait()->vectors,
            (std::map<std::string, std::int64_t>{{"other-model", 1}, {"toy", 1}}));
}

TEST(RetrievalTest, EmbedderFillsMissingVectors) {
  TempDir dir;
  StoreOptions o;
  o.embedder = std::make_shared<HashingEmbedder>(64);
  auto s = open_store(dir.file("m.db"), o);
  add_filler(*s, 10);
  const MemoryId id = add(*s, mem("wooden chest with golden coins"));
  Query q;
  q.text = "golden coin chest";
  auto hits = s->retrieve(q).wait();
  ASSERT_TRUE(hits.ok()) << hits.status().to_string();
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().memory.id, id);
  ASSERT_TRUE(hits->front().parts.cosine.has_value());
  EXPECT_GT(*hits->front().parts.cosine, 0.3);
  EXPECT_EQ(s->stats().wait()->vectors.at("hash-64"), 11);
}

TEST(RetrievalTest, RecentAndImportanceRecall) {
  TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.clock = clock.fn();
  auto s = open_store(dir.file("m.db"), o);
  std::vector<MemoryId> ids;
  for (int i = 0; i < 5; ++i) {
    NewMemory m = mem("event " + std::to_string(i), "fact", i % 2 ? "odd" : "even");
    m.importance = 0.1 * (5 - i);  // older ones more important
    ids.push_back(add(*s, m));
    clock.advance(1000);
  }
  auto recent = s->recent({}, 3).wait();
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 3u);
  EXPECT_EQ((*recent)[0].id, ids[4]);
  EXPECT_EQ((*recent)[2].id, ids[2]);
  MemoryFilter odd;
  odd.scopes = {"odd"};
  recent = s->recent(odd, 10).wait();
  EXPECT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].id, ids[3]);

  ScoreWeights by_importance;
  by_importance.importance = 1;
  auto top = s->recall({}, 2, by_importance).wait();
  ASSERT_TRUE(top.ok()) << top.status().to_string();
  EXPECT_EQ((*top)[0].memory.id, ids[0]);
  EXPECT_NEAR((*top)[0].parts.importance, 0.5, 1e-12);
  ScoreWeights by_recency;
  by_recency.recency = 1;
  by_recency.recency_half_life_ms = 1000;
  top = s->recall({}, 5, by_recency).wait();
  EXPECT_EQ((*top)[0].memory.id, ids[4]);
  EXPECT_NEAR((*top)[0].parts.recency, 0.5, 1e-9);  // accessed 1000 ms ago
  EXPECT_NEAR((*top)[1].parts.recency, 0.25, 1e-9);
  // Touching a memory makes it recent again.
  ASSERT_TRUE(s->touch({ids[0]}).wait().ok());
  top = s->recall({}, 1, by_recency).wait();
  EXPECT_EQ((*top)[0].memory.id, ids[0]);
  EXPECT_EQ(s->recall({}, 1, ScoreWeights{.importance = 0, .recency = 0}).wait().status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RetrievalTest, RetrieveCanTouchItsHits) {
  TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.clock = clock.fn();
  auto s = open_store(dir.file("m.db"), o);
  add_filler(*s, 10);
  const MemoryId id = add(*s, mem("the gnome trades gems"));
  const std::int64_t before = (*s->get(id).wait())->accessed_at;
  clock.advance(5000);
  Query q;
  q.text = "gnome";
  q.touch = true;
  ASSERT_EQ(s->retrieve(q).wait()->size(), 1u);
  ASSERT_TRUE(s->flush().wait().ok());
  EXPECT_EQ((*s->get(id).wait())->accessed_at, before + 5000);
}

TEST(RetrievalTest, VectorCacheSeesWritesOfAnotherConnection) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  auto a = open_store(path);
  auto b = open_store(path);  // another process would look the same to `a`
  NewMemory m = mem("first");
  m.embedding = vec({1, 0, 0});
  add(*a, m);
  Query q;
  q.embedding = vec({0, 0, 1});
  q.k = 1;
  EXPECT_EQ(a->retrieve(q).wait()->front().memory.text, "first");  // cache loaded
  m = mem("second");
  m.embedding = vec({0, 0, 1});
  const MemoryId second = add(*b, m);
  EXPECT_EQ(a->retrieve(q).wait()->front().memory.id, second);
  ASSERT_EQ(*b->erase({second}).wait(), 1);
  EXPECT_EQ(a->retrieve(q).wait()->front().memory.text, "first");
  // And `a`'s own writes after that still reach its cache.
  m = mem("third");
  m.embedding = vec({0, 0.1f, 1});
  const MemoryId third = add(*a, m);
  EXPECT_EQ(a->retrieve(q).wait()->front().memory.id, third);
}

}  // namespace
}  // namespace arbor::memory
