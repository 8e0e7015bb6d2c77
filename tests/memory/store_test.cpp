#include "memory/store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "memory/hashing_embedder.h"

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
  EXPECT_TRUE(s->retrieve(q).wait()->empty() || s->retrieve(q).wait()->front().memory.id == other);
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
    EXPECT_TRUE(
        testing::contains(testing::read_bytes(path) + testing::read_bytes(path + "-wal"), secret));
    auto n = s->erase({id}, /*purge=*/true).wait();
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    EXPECT_EQ(*n, 1);
  }
  const std::string files = testing::read_bytes(path) + testing::read_bytes(path + "-wal");
  EXPECT_FALSE(files.empty());
  EXPECT_FALSE(testing::contains(files, secret));
  EXPECT_FALSE(testing::contains(files, "my secret word"));
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
        NewMemory m = mem("thread " + std::to_string(t) + " item " + std::to_string(i) + " marker" +
                          std::to_string(t));
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
