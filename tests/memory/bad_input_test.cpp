// Files a Store must refuse or survive: not SQLite, corrupt, full, locked by another process.
// Read-only files and folders are tested through the CLI (cli_test.cpp), which can run as
// another user when the tests run as root.
#include <gtest/gtest.h>
#include <signal.h>

#include "memory/store.h"

#include "tests/memory/test_util.h"

namespace arbor::memory {
namespace {

using testing::TempDir;

NewMemory mem(std::string text) {
  NewMemory m;
  m.text = std::move(text);
  return m;
}

void make_database(const std::string& path, int n) {
  StoreOptions o;
  o.create_if_missing = true;
  auto s = Store::open(path, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  std::vector<NewMemory> all;
  for (int i = 0; i < n; ++i) {
    all.push_back(mem("memory " + std::to_string(i) + " about caverns, lanterns and rope, " +
                      std::string(200, 'x')));
  }
  ASSERT_TRUE((*s)->add_many(std::move(all)).wait().ok());
  ASSERT_TRUE((*s)->compact({}).wait().ok());  // checkpoint: everything in the main file
}

std::int64_t memory_count(const std::string& path) {
  auto s = Store::open(path, StoreOptions{});
  if (!s.ok()) return -1;
  auto stats = (*s)->stats().wait();
  return stats.ok() ? stats->memories : -1;
}

TEST(BadInputTest, NonSqliteFileIsRefusedAndLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  const std::string text = "These are my notes, not a database.\n" + std::string(5000, 'n');
  testing::write_bytes(path, text);
  for (const bool read_only : {false, true}) {
    StoreOptions o;
    o.create_if_missing = true;
    o.read_only = read_only;
    auto s = Store::open(path, o);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("not an SQLite database"), std::string::npos)
        << s.status().message();
    EXPECT_NE(s.status().message().find(path), std::string::npos);
  }
  EXPECT_EQ(testing::read_bytes(path), text);
  EXPECT_EQ(testing::read_bytes(path + "-wal"), "");
}

TEST(BadInputTest, DirectoryIsNotADatabase) {
  TempDir dir;
  StoreOptions o;
  o.create_if_missing = true;
  auto s = Store::open(dir.path(), o);
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("is a directory"), std::string::npos);
}

TEST(BadInputTest, CorruptDatabaseReportsDataLossAndWritesNothing) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  make_database(path, 300);
  std::string bytes = testing::read_bytes(path);
  ASSERT_GT(bytes.size(), 20u * 4096);
  // Overwrite pages 9-11 (b-tree pages of the tables) with garbage.
  for (std::size_t i = 8 * 4096; i < 11 * 4096; ++i) bytes[i] = static_cast<char>(0xA5 ^ (i * 7));
  testing::write_bytes(path, bytes);

  StoreOptions o;
  auto s = Store::open(path, o);
  if (!s.ok()) {
    EXPECT_EQ(s.status().code(), StatusCode::kDataLoss) << s.status().to_string();
  } else {
    auto added = (*s)->add(mem("a new memory")).wait();
    EXPECT_FALSE(added.ok());
    EXPECT_EQ(added.status().code(), StatusCode::kDataLoss) << added.status().to_string();
    EXPECT_NE(added.status().message().find("corrupt"), std::string::npos);
    auto integrity = (*s)->check_integrity().wait();
    ASSERT_TRUE(integrity.ok()) << integrity.status().to_string();
    EXPECT_NE(*integrity, "ok");
    Query q;
    q.text = "lanterns";
    EXPECT_EQ((*s)->retrieve(q).wait().status().code(), StatusCode::kDataLoss);
  }
  EXPECT_EQ(testing::read_bytes(path), bytes);
}

TEST(BadInputTest, FullDatabaseRollsBackOnlyTheWriteThatDidNotFit) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  make_database(path, 50);
  StoreOptions o;
  o.max_bytes = static_cast<std::int64_t>(testing::read_bytes(path).size()) + 64 * 1024;
  auto s = Store::open(path, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  // Queued together, these share a transaction until the big one fills the database.
  std::vector<Pending<AddResult>> pending;
  for (int i = 0; i < 10; ++i) pending.push_back((*s)->add(mem("small " + std::to_string(i))));
  pending.push_back((*s)->add(mem("big " + std::string(400 * 1024, 'b'))));
  for (int i = 10; i < 20; ++i) pending.push_back((*s)->add(mem("small " + std::to_string(i))));
  int ok = 0;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    auto r = std::move(pending[i]).wait();
    if (i == 10) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
      EXPECT_NE(r.status().message().find("full"), std::string::npos) << r.status().message();
    } else {
      EXPECT_TRUE(r.ok()) << i << ": " << r.status().to_string();
      ok += r.ok();
    }
  }
  EXPECT_EQ(ok, 20);
  EXPECT_EQ((*s)->stats().wait()->memories, 70);
  EXPECT_EQ(*(*s)->check_integrity().wait(), "ok");
  s->reset();  // close before reopening
  EXPECT_EQ(memory_count(path), 70);
}

class LockHolder {
 public:
  LockHolder(const TempDir& dir, const std::string& db, bool exclusive) {
    out_ = dir.file("lock_holder.out");
    std::vector<std::string> argv = {testing::test_binary("lock_holder"), db};
    if (exclusive) argv.push_back("exclusive");
    pid_ = testing::start_process(argv, out_);
    locked_ = testing::wait_for_text(out_, "locked", 10000);
  }
  ~LockHolder() { release(); }
  void release() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    testing::wait_process(pid_);
    pid_ = -1;
  }
  bool locked() const { return locked_; }
  std::string output() const { return testing::read_bytes(out_); }

 private:
  pid_t pid_ = -1;
  bool locked_ = false;
  std::string out_;
};

TEST(BadInputTest, LockedByAnotherProcessFailsClearlyThenRecovers) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  make_database(path, 20);
  StoreOptions o;
  o.busy_timeout_ms = 200;
  auto s = Store::open(path, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  LockHolder holder(dir, path, /*exclusive=*/false);
  ASSERT_TRUE(holder.locked()) << holder.output();
  auto r = (*s)->add(mem("while locked")).wait();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("locked by another connection or process (waited 200 ms)"),
            std::string::npos)
      << r.status().message();
  // Readers are not blocked by a WAL writer.
  EXPECT_EQ((*s)->stats().wait()->memories, 20);
  holder.release();
  EXPECT_TRUE((*s)->add(mem("after the lock")).wait().ok());
  EXPECT_EQ((*s)->stats().wait()->memories, 21);
}

TEST(BadInputTest, ExclusivelyLockedDatabaseCannotEvenBeOpened) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  make_database(path, 5);
  LockHolder holder(dir, path, /*exclusive=*/true);
  ASSERT_TRUE(holder.locked()) << holder.output();
  StoreOptions o;
  o.busy_timeout_ms = 100;
  auto s = Store::open(path, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().to_string();
  EXPECT_NE(s.status().message().find("locked"), std::string::npos);
  holder.release();
  EXPECT_EQ(memory_count(path), 5);
}

}  // namespace
}  // namespace arbor::memory
