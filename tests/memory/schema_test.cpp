#include "memory/internal/schema.h"

#include <gtest/gtest.h>

#include "memory/internal/sqlite.h"
#include "memory/store.h"

#include "tests/memory/test_util.h"

namespace arbor::memory::internal {
namespace {

using testing::TempDir;

std::unique_ptr<Connection> connect(const std::string& path) {
  auto c = Connection::open(path, OpenMode::kReadWriteCreate, 1000);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return std::move(c).value();
}

std::int64_t count(Connection& c, const std::string& sql) {
  auto stmt = c.prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status().to_string();
  auto row = stmt->step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return stmt->col_int(0);
}

constexpr Migration kV1 = {1, "t", "CREATE TABLE t(a INTEGER)"};
constexpr Migration kV2 = {2, "t.b",
                           "ALTER TABLE t ADD COLUMN b TEXT; INSERT INTO t VALUES (1, 'x')"};
constexpr Migration kV3 = {3, "u", "CREATE TABLE u(c INTEGER)"};
constexpr Migration kBad = {3, "bad", "CREATE TABLE u(c INTEGER); INSERT INTO nowhere VALUES (1)"};

TEST(SchemaTest, FreshDatabaseGetsEveryTable) {
  TempDir dir;
  auto c = connect(dir.file("m.db"));
  auto v = open_schema(*c, {.writable = true, .create = true});
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(*v, migrations().back().version);
  for (const char* table : {"memories", "memories_fts", "vectors", "vector_models", "episodes",
                            "steps", "runs", "problem_results", "search_trees", "arbor_schema"}) {
    EXPECT_EQ(
        count(*c, std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") + table + "'"),
        1)
        << table;
  }
  auto mode = c->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode->step().ok());
  EXPECT_EQ(mode->col_text(0), "wal");
}

TEST(SchemaTest, TermCountsCannotDriftThroughAnotherTool) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  {
    StoreOptions o;
    o.create_if_missing = true;
    auto s = Store::open(path, o);
    ASSERT_TRUE(s.ok());
    NewMemory m;
    m.text = "a memory to keep counted";
    ASSERT_TRUE((*s)->add(m).wait().ok());
  }
  // A connection without Arbor's SQL functions (like the sqlite3 shell) cannot change the
  // memories, so term_docs cannot fall out of step with the FTS index.
  auto c = connect(path);
  const Status st = c->exec("DELETE FROM memories");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("arbor_tokens"), std::string::npos) << st.message();
  EXPECT_EQ(count(*c, "SELECT count(*) FROM memories"), 1);
  EXPECT_EQ(count(*c, "SELECT docs FROM term_docs WHERE term = 'memori'"), 1);
}

TEST(SchemaTest, MigrationsRunInOrderOnce) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  {
    auto c = connect(path);
    const Migration one[] = {kV1};
    EXPECT_EQ(*open_schema(*c, {.writable = true, .create = true}, one), 1);
  }
  auto c = connect(path);
  const Migration three[] = {kV1, kV2, kV3};
  EXPECT_EQ(*open_schema(*c, {.writable = true, .create = false}, three), 3);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM arbor_schema"), 3);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM t WHERE b = 'x'"), 1);
  // Opening again applies nothing twice.
  EXPECT_EQ(*open_schema(*c, {.writable = true, .create = false}, three), 3);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM t"), 1);
}

TEST(SchemaTest, FailedMigrationLeavesThePreviousVersion) {
  TempDir dir;
  auto c = connect(dir.file("m.db"));
  const Migration one[] = {kV1};
  ASSERT_TRUE(open_schema(*c, {.writable = true, .create = true}, one).ok());
  const Migration broken[] = {kV1, kV2, kBad};
  auto v = open_schema(*c, {.writable = true, .create = false}, broken);
  EXPECT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("migration to schema version 3"), std::string::npos)
      << v.status().message();
  // v2 and v3 ran in one transaction: neither is there.
  EXPECT_EQ(count(*c, "SELECT max(version) FROM arbor_schema"), 1);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM sqlite_schema WHERE name = 'u'"), 0);
  EXPECT_EQ(count(*c, "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'b'"), 0);
}

TEST(SchemaTest, ReadOnlyOpenOfAnOlderSchemaAsksForAnUpgrade) {
  TempDir dir;
  auto c = connect(dir.file("m.db"));
  const Migration one[] = {kV1};
  ASSERT_TRUE(open_schema(*c, {.writable = true, .create = true}, one).ok());
  const Migration two[] = {kV1, kV2};
  auto v = open_schema(*c, {.writable = false, .create = false}, two);
  EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(count(*c, "SELECT max(version) FROM arbor_schema"), 1);
}

TEST(SchemaTest, NewerSchemaIsRefusedAndNotModified) {
  TempDir dir;
  const std::string path = dir.file("m.db");
  {
    StoreOptions o;
    o.create_if_missing = true;
    auto s = Store::open(path, o);
    ASSERT_TRUE(s.ok());
    NewMemory m;
    m.text = "kept as it is";
    ASSERT_TRUE((*s)->add(m).wait().ok());
  }
  {
    auto c = connect(path);
    ASSERT_TRUE(c->exec("INSERT INTO arbor_schema VALUES (99, 'from the future', 0); "
                        "PRAGMA wal_checkpoint(TRUNCATE)")
                    .ok());
  }
  const std::string before = testing::read_bytes(path);
  ASSERT_FALSE(before.empty());
  for (const bool read_only : {false, true}) {
    StoreOptions o;
    o.read_only = read_only;
    o.create_if_missing = !read_only;
    auto s = memory::Store::open(path, o);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.status().message().find("schema version 99 is newer"), std::string::npos)
        << s.status().message();
    EXPECT_EQ(testing::read_bytes(path), before);
  }
}

TEST(SchemaTest, DatabaseOfAnotherApplicationIsRefused) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    auto c = connect(path);
    ASSERT_TRUE(c->exec("CREATE TABLE users(name TEXT); INSERT INTO users VALUES ('ann')").ok());
  }
  const std::string before = testing::read_bytes(path);
  StoreOptions o;
  o.create_if_missing = true;
  auto s = Store::open(path, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("another application (tables: users)"), std::string::npos)
      << s.status().message();
  EXPECT_EQ(testing::read_bytes(path), before);
}

TEST(SchemaTest, EmptyFileIsOnlyInitializedWhenCreating) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  testing::write_bytes(path, "");
  StoreOptions o;
  auto s = Store::open(path, o);
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(testing::read_bytes(path), "");
  o.create_if_missing = true;
  s = Store::open(path, o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ((*s)->schema_version(), migrations().back().version);
}

}  // namespace
}  // namespace arbor::memory::internal
