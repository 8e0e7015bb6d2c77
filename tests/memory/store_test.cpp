#include "memory/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "memory/hashing_embedder.h"
#include "tests/memory/test_util.h"

namespace arbor::memory {
namespace {

using testing::FakeClock;
using testing::TempDir;

std::unique_ptr<Store> open_store(const std::string& path, StoreOptions o = {}) {
  o.create_if_missing = true;
  auto s = Store::open(path, std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? std::move(s).value() : nullptr;
}

NewMemory mem(std::string text, std::string kind = "fact", std::string scope = "") {
  NewMemory m;
  m.text = std::move(text);
  m.kind = std::move(kind);
  m.scope = std::move(scope);
  return m;
}

Embedding vec(std::vector<float> v, std::string model = "toy") {
  return Embedding{std::move(model), std::move(v)};
}

MemoryId add(Store& s, NewMemory m) {
  auto r = s.add(std::move(m)).wait();
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->id : -1;
}

// Filler memories so that BM25's document frequencies are meaningful.
void add_filler(Store& s, int n) {
  std::vector<NewMemory> all;
  for (int i = 0; i < n; ++i) {
    all.push_back(mem("filler note number " + std::to_string(i) + " about nothing in particular"));
  }
  ASSERT_TRUE(s.add_many(std::move(all)).wait().ok());
}

std::vector<MemoryId> ids_of(const std::vector<ScoredMemory>& hits) {
  std::vector<MemoryId> ids;
  for (const auto& h : hits) ids.push_back(h.memory.id);
  return ids;
}

TEST(StoreTest, CreatesReopensAndRefusesMissingFile) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  StoreOptions no_create;
  EXPECT_EQ(Store::open(path, no_create).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(testing::read_bytes(path).size());  // not created
  MemoryId id;
  {
    auto s = open_store(path);
    NewMemory m = mem("The brass key opens the front door", "fact", "game:zork");
    m.tags = {"key", "door"};
    m.importance = 0.8;
    id = add(*s, m);
    EXPECT_EQ(s->schema_version(), 1);
  }
  auto s = Store::open(path, no_create);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  auto got = (*s)->get(id).wait();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->text, "The brass key opens the front door");
  EXPECT_EQ((*got)->scope, "game:zork");
  EXPECT_EQ((*got)->tags, (std::vector<std::string>{"key", "door"}));
  EXPECT_DOUBLE_EQ((*got)->importance, 0.8);
}

TEST(StoreTest, AddDeduplicatesByKindScopeAndText) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  const MemoryId a = add(*s, mem("Open the  mailbox first", "fact", "zork"));
  auto again = s->add(mem("  Open the mailbox\tfirst \n", "fact", "zork")).wait();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, a);
  EXPECT_FALSE(again->created);
  EXPECT_NE(add(*s, mem("Open the mailbox first", "fact", "other")), a);
  EXPECT_NE(add(*s, mem("Open the mailbox first", "reflection", "zork")), a);
  EXPECT_NE(add(*s, mem("Open the mailbox second", "fact", "zork")), a);
  EXPECT_EQ(s->stats().wait()->memories, 4);
}

TEST(StoreTest, AddRejectsBadInput) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  EXPECT_EQ(s->add(mem("   ")).wait().status().code(), StatusCode::kInvalidArgument);
  NewMemory m = mem("x");
  m.importance = 1.5;
  EXPECT_EQ(s->add(m).wait().status().code(), StatusCode::kInvalidArgument);
  m.importance = 0.5;
  m.embedding = vec({1.0f, std::nanf("")});
  EXPECT_EQ(s->add(m).wait().status().code(), StatusCode::kInvalidArgument);
  m.episode = 12345;
  m.embedding.reset();
  EXPECT_EQ(s->add(m).wait().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s->stats().wait()->memories, 0);
}

TEST(StoreTest, SupersedeKeepsHistoryButHidesOldVersion) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  add_filler(*s, 20);
  const MemoryId old_id = add(*s, mem("The troll guards the bridge"));
  auto new_id = s->supersede(old_id, mem("The troll left the bridge")).wait();
  ASSERT_TRUE(new_id.ok()) << new_id.status().to_string();
  Query q;
  q.text = "troll bridge";
  auto hits = s->retrieve(q).wait();
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(ids_of(*hits), (std::vector<MemoryId>{*new_id}));
  q.filter.include_superseded = true;
  hits = s->retrieve(q).wait();
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*s->get(old_id).wait())->superseded_by, *new_id);
  // Only the newest version can be superseded.
  EXPECT_EQ(s->supersede(old_id, mem("again")).wait().status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(s->supersede(999, mem("again")).wait().status().code(), StatusCode::kNotFound);
}

TEST(StoreTest, UpdateChangesTagsAndTheIndexFollows) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  add_filler(*s, 20);
  const MemoryId id = add(*s, mem("Rooms connect in strange ways"));
  Query q;
  q.text = "labyrinth";
  EXPECT_TRUE(s->retrieve(q).wait()->empty());
  MemoryUpdate u;
  u.tags = std::vector<std::string>{"labyrinth"};
  u.importance = 0.9;
  u.expires_at = std::optional<std::int64_t>(4'000'000'000'000);
  ASSERT_TRUE(s->update(id, u).wait().ok());
  auto hits = s->retrieve(q).wait();
  ASSERT_EQ(ids_of(*hits), (std::vector<MemoryId>{id}));
  EXPECT_DOUBLE_EQ(hits->front().memory.importance, 0.9);
  EXPECT_EQ(hits->front().memory.expires_at, 4'000'000'000'000);
  EXPECT_EQ(s->update(777, u).wait().code(), StatusCode::kNotFound);
  EXPECT_EQ(*s->check_integrity().wait(), "ok");
}

TEST(StoreTest, FtsRankingAndScoreParts) {
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

TEST(StoreTest, HybridRetrievalReportsBothSignals) {
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

TEST(StoreTest, FiltersApplyToBothSignals) {
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

TEST(StoreTest, EmbeddingDimensionIsCheckedPerModel) {
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
  EXPECT_EQ(s->stats().wait()->vectors, (std::map<std::string, std::int64_t>{{"other-model", 1},
                                                                            {"toy", 1}}));
}

TEST(StoreTest, EmbedderFillsMissingVectors) {
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

// Calls back later from its own thread, as an engine-backed embedder would.
class SlowEmbedder : public Embedder {
 public:
  ~SlowEmbedder() override {
    for (auto& t : threads_) t.join();
  }
  std::string model() const override { return inner_.model(); }
  int dimension() const override { return inner_.dimension(); }
  void embed(std::vector<std::string> texts,
             std::function<void(StatusOr<std::vector<Embedding>>)> done) override {
    std::lock_guard lock(mu_);
    threads_.emplace_back([this, texts = std::move(texts), done = std::move(done)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      std::vector<Embedding> out;
      for (const auto& t : texts) out.push_back(inner_.embed_one(t));
      done(std::move(out));
    });
  }

 private:
  HashingEmbedder inner_{16};
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

TEST(StoreTest, ClosingWaitsForAnEmbedderThatCallsBackLater) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  auto embedder = std::make_shared<SlowEmbedder>();
  std::atomic<int> done{0};
  {
    StoreOptions o;
    o.embedder = embedder;
    auto s = open_store(path, o);
    for (int i = 0; i < 5; ++i) {
      s->add(mem("late vector " + std::to_string(i))).then([&](StatusOr<AddResult> r) {
        EXPECT_TRUE(r.ok()) << r.status().to_string();
        ++done;
      });
    }
  }  // destroyed while the embeddings are still being computed
  EXPECT_EQ(done.load(), 5);
  auto s = open_store(path);
  EXPECT_EQ(s->stats().wait()->vectors.at("hash-16"), 5);
}

TEST(StoreTest, EraseRemovesRowsIndexVectorsAndHistory) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  add_filler(*s, 20);
  NewMemory m = mem("the password is swordfish");
  m.embedding = vec({1, 0});
  const MemoryId v1 = add(*s, m);
  m.text = "the password is marlin";
  auto v2 = s->supersede(v1, m).wait();
  ASSERT_TRUE(v2.ok());
  const MemoryId other = add(*s, mem("the password hint is fish"));
  Query q;
  q.text = "password";
  q.embedding = vec({1, 0});
  q.filter.include_superseded = true;
  EXPECT_EQ(s->retrieve(q).wait()->size(), 3u);  // loads the vector cache too

  auto n = s->erase({*v2}).wait();
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(*n, 2);  // the memory and the version it superseded
  EXPECT_FALSE(s->get(v1).wait()->has_value());
  EXPECT_FALSE(s->get(*v2).wait()->has_value());
  EXPECT_EQ(ids_of(*s->retrieve(q).wait()), (std::vector<MemoryId>{other}));
  q.text = "swordfish marlin";
  EXPECT_TRUE(s->retrieve(q).wait()->empty() ||
              s->retrieve(q).wait()->front().memory.id == other);
  EXPECT_TRUE(s->stats().wait()->vectors.empty());
  EXPECT_EQ(*s->check_integrity().wait(), "ok");
  EXPECT_EQ(*s->erase({12345}).wait(), 0);
}

TEST(StoreTest, PurgedTextLeavesTheFiles) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  const std::string secret = "zanzibarquokka";
  {
    auto s = open_store(path);
    add_filler(*s, 50);
    const MemoryId id = add(*s, mem("my secret word is " + secret));
    add_filler(*s, 5);
    ASSERT_TRUE(s->flush().wait().ok());
    // Before: the text is in the database or its WAL.
    EXPECT_TRUE(testing::contains(testing::read_bytes(path) + testing::read_bytes(path + "-wal"),
                                  secret));
    auto n = s->erase({id}, /*purge=*/true).wait();
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    EXPECT_EQ(*n, 1);
  }
  const std::string files = testing::read_bytes(path) + testing::read_bytes(path + "-wal");
  EXPECT_FALSE(files.empty());
  EXPECT_FALSE(testing::contains(files, secret));
  EXPECT_FALSE(testing::contains(files, "my secret word"));
}

TEST(StoreTest, RecentAndImportanceRecall) {
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

TEST(StoreTest, RetrieveCanTouchItsHits) {
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

TEST(StoreTest, RetentionKeepsTheNewestPerScope) {
  TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.clock = clock.fn();
  auto s = open_store(dir.file("m.db"), o);
  std::map<std::string, std::vector<MemoryId>> by_scope;
  for (int i = 0; i < 15; ++i) {
    std::string scope = "s";  // (not "s" + to_string: GCC 12 warns falsely about it)
    scope += std::to_string(i % 3);
    by_scope[scope].push_back(add(*s, mem("note " + std::to_string(i), "fact", scope)));
    clock.advance(10);
  }
  auto n = s->retain({.keep_last = 3, .scopes = {"s0"}}).wait();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  n = s->retain({.keep_last = 2, .scopes = {}}).wait();
  EXPECT_EQ(*n, 1 + 3 + 3);
  for (const auto& [scope, ids] : by_scope) {
    MemoryFilter f;
    f.scopes = {scope};
    auto left = s->recent(f, 10).wait();
    ASSERT_EQ(left->size(), 2u) << scope;
    EXPECT_EQ((*left)[0].id, ids[4]);
    EXPECT_EQ((*left)[1].id, ids[3]);
  }
  EXPECT_EQ(*s->check_integrity().wait(), "ok");
}

TEST(StoreTest, CompactionDropsExpiredAndOldVersions) {
  TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.clock = clock.fn();
  auto s = open_store(dir.file("m.db"), o);
  add_filler(*s, 200);
  NewMemory temp = mem("temporary plan");
  temp.expires_at = clock.now() + 100;
  const MemoryId t = add(*s, temp);
  const MemoryId v1 = add(*s, mem("plan version one"));
  auto v2 = s->supersede(v1, mem("plan version two")).wait();
  clock.advance(1000);
  auto v3 = s->supersede(*v2, mem("plan version three")).wait();
  ASSERT_TRUE(v3.ok());
  CompactOptions c;
  c.drop_superseded_before = clock.now() - 500;  // v2 replaced v1 before; v3 replaced v2 after
  c.vacuum = true;
  auto stats = s->compact(c).wait();
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  EXPECT_EQ(stats->deleted, 2);  // the expired memory and v1
  EXPECT_GT(stats->bytes_before, 0);
  EXPECT_GT(stats->bytes_after, 0);
  EXPECT_FALSE(s->get(t).wait()->has_value());
  EXPECT_FALSE(s->get(v1).wait()->has_value());
  EXPECT_TRUE(s->get(*v2).wait()->has_value());
  EXPECT_TRUE(s->get(*v3).wait()->has_value());
  EXPECT_EQ(*s->check_integrity().wait(), "ok");
}

TEST(StoreTest, FailedWriteInABatchLeavesTheOthers) {
  TempDir dir;
  auto s = open_store(dir.file("m.db"));
  std::vector<Pending<AddResult>> pending;
  for (int i = 0; i < 50; ++i) {
    pending.push_back(s->add(mem(i == 25 ? "" : "memory number " + std::to_string(i))));
  }
  int ok = 0;
  for (int i = 0; i < 50; ++i) {
    auto r = std::move(pending[static_cast<std::size_t>(i)]).wait();
    if (i == 25) {
      EXPECT_FALSE(r.ok());
    } else {
      EXPECT_TRUE(r.ok()) << r.status().to_string();
      ok += r.ok();
    }
  }
  EXPECT_EQ(ok, 49);
  EXPECT_EQ(s->stats().wait()->memories, 49);
  // add_many is all or nothing.
  std::vector<NewMemory> batch = {mem("good one"), mem(""), mem("good two")};
  EXPECT_FALSE(s->add_many(batch).wait().ok());
  EXPECT_EQ(s->stats().wait()->memories, 49);
}

TEST(StoreTest, ReadOnlyStoreReadsButRefusesWrites) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  { add(*open_store(path), mem("quiet library")); }
  StoreOptions ro;
  ro.read_only = true;
  auto s = Store::open(path, ro);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_TRUE((*s)->read_only());
  EXPECT_EQ((*s)->add(mem("x")).wait().status().code(), StatusCode::kFailedPrecondition);
  Query q;
  q.text = "library";
  EXPECT_EQ((*s)->retrieve(q).wait()->size(), 1u);
  EXPECT_EQ(*(*s)->check_integrity().wait(), "ok");
}

TEST(PendingTest, CallbackRunsOnceOnTheCompletingOrTheCallingThread) {
  // Attached before completion: runs on the thread that completes.
  auto [early, early_done] = make_pending<int>();
  std::thread::id ran_on;
  int calls = 0;
  std::move(early).then([&](StatusOr<int> r) {
    EXPECT_EQ(*r, 7);
    ran_on = std::this_thread::get_id();
    ++calls;
  });
  std::thread completer([&, c = early_done] { c.complete(7); });
  const std::thread::id completer_id = completer.get_id();
  completer.join();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(ran_on, completer_id);
  // Attached after completion: runs right away on the calling thread.
  auto [late, late_done] = make_pending<void>();
  late_done.complete(Status::not_found("gone"));
  EXPECT_TRUE(late.ready());
  std::move(late).then([&](Status s) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  // wait() blocks until another thread completes.
  auto [waited, waited_done] = make_pending<std::string>();
  std::thread later([c = waited_done] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    c.complete(std::string("ready"));
  });
  EXPECT_EQ(*std::move(waited).wait(), "ready");
  later.join();
}

TEST(StoreTest, ConcurrentWritersAndReaders) {
  TempDir dir;
  StoreOptions o;
  o.readers = 3;
  auto s = open_store(dir.file("m.db"), o);
  add_filler(*s, 50);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 60;
  std::vector<std::vector<MemoryId>> ids(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> read_errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        NewMemory m = mem("thread " + std::to_string(t) + " item " + std::to_string(i) +
                          " marker" + std::to_string(t));
        m.embedding = vec({static_cast<float>(t), static_cast<float>(i), 1});
        auto r = s->add(m).wait();
        if (r.ok()) ids[static_cast<std::size_t>(t)].push_back(r->id);
        Query q;
        q.text = "marker" + std::to_string(t);
        q.embedding = vec({static_cast<float>(t), 1, 1});
        q.k = 5;
        auto hits = s->retrieve(q).wait();
        if (!hits.ok() || hits->empty()) ++read_errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(read_errors.load(), 0);
  std::set<MemoryId> all;
  for (const auto& v : ids) {
    EXPECT_EQ(v.size(), static_cast<std::size_t>(kPerThread));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  // Each thread's own memories come back for its marker word, cosine included.
  for (int t = 0; t < kThreads; ++t) {
    Query q;
    q.text = "marker" + std::to_string(t);
    q.embedding = vec({static_cast<float>(t), 1, 1});
    q.k = 1000;
    auto hits = s->retrieve(q).wait();
    ASSERT_TRUE(hits.ok());
    int mine = 0;
    for (const auto& h : *hits) {
      if (h.parts.bm25) ++mine;
      EXPECT_TRUE(h.parts.cosine.has_value()) << h.memory.text;
    }
    EXPECT_EQ(mine, kPerThread);
  }
}

TEST(StoreTest, VectorCacheSeesWritesOfAnotherConnection) {
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

TEST(StoreTest, DestructorFinishesQueuedWrites) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  std::atomic<int> done{0};
  {
    auto s = open_store(path);
    for (int i = 0; i < 200; ++i) {
      s->add(mem("queued " + std::to_string(i))).then([&](StatusOr<AddResult> r) {
        EXPECT_TRUE(r.ok());
        ++done;
      });
    }
  }
  EXPECT_EQ(done.load(), 200);
  EXPECT_EQ(open_store(path)->stats().wait()->memories, 200);
}

}  // namespace
}  // namespace arbor::memory
