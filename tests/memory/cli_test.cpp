// `arbor memory ...` run as a subprocess: output, exit codes, and the bad files (read-only,
// full, not a database, locked) that must fail clearly and stay unchanged.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "core/json.h"
#include "core/strings.h"

#include "tests/memory/test_util.h"

namespace arbor::memory {
namespace {

using testing::ProcessOptions;
using testing::ProcessResult;
using testing::TempDir;

ProcessResult arbor(std::vector<std::string> args, const ProcessOptions& options = {}) {
  args.insert(args.begin(), {testing::arbor_binary(), "memory"});
  return testing::run_process(args, options);
}

std::vector<Json> json_lines(const std::string& out) {
  std::vector<Json> lines;
  for (const std::string& line : split(out, '\n')) {
    if (line.empty()) continue;
    auto j = parse_json(line, "stdout");
    EXPECT_TRUE(j.ok()) << line;
    if (j.ok()) lines.push_back(*j);
  }
  return lines;
}

// Adds `n` filler memories so BM25 has document frequencies to work with.
void fill(const std::string& db, int n) {
  for (int i = 0; i < n; ++i) {
    auto r = arbor({"add", "--db", db, "--text", "filler entry " + std::to_string(i)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

TEST(CliTest, AddSearchDeleteStatsExport) {
  TempDir dir;
  const std::string db = dir.file("m.db");
  fill(db, 8);
  auto r = arbor({"add", "--db", db, "--text", "The troll accepts a treasure as toll", "--kind",
                  "reflection", "--scope", "game:zork", "--tags", "troll, bridge"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto added = json_lines(r.out);
  ASSERT_EQ(added.size(), 1u);
  const std::int64_t id = added[0]["id"].get<std::int64_t>();
  EXPECT_TRUE(added[0]["created"].get<bool>());
  // The same memory again is the same id.
  r = arbor({"add", "--db", db, "--text", "The troll accepts a  treasure as toll", "--kind",
             "reflection", "--scope", "game:zork"});
  EXPECT_EQ(json_lines(r.out)[0]["id"].get<std::int64_t>(), id);
  EXPECT_FALSE(json_lines(r.out)[0]["created"].get<bool>());

  r = arbor({"search", "--db", db, "--query", "troll toll?", "--k", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hits = json_lines(r.out);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["id"].get<std::int64_t>(), id);
  EXPECT_EQ(hits[0]["kind"], "reflection");
  EXPECT_EQ(hits[0]["text"], "The troll accepts a treasure as toll");
  EXPECT_GT(hits[0]["parts"]["text"].get<double>(), 0);
  EXPECT_EQ(hits[0]["parts"]["vector"].get<double>(), 0);
  EXPECT_NEAR(hits[0]["score"].get<double>(), hits[0]["parts"]["text"].get<double>(), 1e-12);
  r = arbor({"search", "--db", db, "--query", "troll", "--kind", "fact"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(json_lines(r.out).empty());

  r = arbor({"stats", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto stats = json_lines(r.out);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0]["memories"].get<int>(), 9);
  EXPECT_EQ(stats[0]["by_kind"]["reflection"].get<int>(), 1);
  EXPECT_EQ(stats[0]["by_scope"]["game:zork"].get<int>(), 1);

  r = arbor({"export", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 9u);
  EXPECT_EQ(rows[8]["tags"], Json::array({"troll", "bridge"}));
  EXPECT_EQ(rows[8]["scope"], "game:zork");

  r = arbor({"delete", "--db", db, "--id", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out)[0]["deleted"].get<int>(), 1);
  r = arbor({"search", "--db", db, "--query", "troll"});
  EXPECT_TRUE(json_lines(r.out).empty());
  r = arbor({"delete", "--db", db, "--id", std::to_string(id)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(testing::contains(r.err, "no such memory")) << r.err;
  r = arbor({"delete", "--db", db, "--scope", ""});
  EXPECT_EQ(json_lines(r.out)[0]["deleted"].get<int>(), 8);
  EXPECT_TRUE(json_lines(arbor({"export", "--db", db}).out).empty());
}

TEST(CliTest, HashEmbedderAddsTheVectorSignal) {
  TempDir dir;
  const std::string db = dir.file("m.db");
  fill(db, 5);
  auto r =
      arbor({"add", "--db", db, "--text", "golden coins in a wooden chest", "--embedder", "hash"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = arbor({"search", "--db", db, "--query", "wooden chests", "--embedder", "hash"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hits = json_lines(r.out);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["text"], "golden coins in a wooden chest");
  EXPECT_GT(hits[0]["parts"]["vector"].get<double>(), 0.2);
  EXPECT_GT(hits[0]["cosine"].get<double>(), 0.2);
  EXPECT_EQ(arbor({"search", "--db", db, "--query", "x", "--embedder", "bert"}).exit_code, 2);
}

TEST(CliTest, OnlyAddCreatesADatabase) {
  TempDir dir;
  const std::string db = dir.file("missing.db");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"search", "--db", db, "--query", "x"},
                                             {"delete", "--db", db, "--id", "1"},
                                             {"stats", "--db", db},
                                             {"export", "--db", db}}) {
    auto r = arbor(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_TRUE(testing::contains(r.err, "no such memory database")) << r.err;
    EXPECT_FALSE(testing::contains(r.err, "\n\n"));
  }
  struct stat st {};
  EXPECT_NE(::stat(db.c_str(), &st), 0);
}

TEST(CliTest, UsageErrorsExitTwo) {
  TempDir dir;
  const std::string db = dir.file("m.db");
  EXPECT_EQ(arbor({"add", "--db", db}).exit_code, 2);  // no --text
  EXPECT_EQ(arbor({"add", "--db", db, "--text", "x", "--importance", "7"}).exit_code, 2);
  fill(db, 1);
  auto r = arbor({"delete", "--db", db, "--id", "1", "--scope", "s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(testing::contains(r.err, "exactly one of --id or --scope")) << r.err;
  r = arbor({"serch", "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(testing::contains(r.err, "did you mean 'search'")) << r.err;
  EXPECT_EQ(arbor({"search", "--db", db, "--query", "x", "--k", "0"}).exit_code, 2);
  EXPECT_EQ(arbor({"stats", "--db", db, "--bogus"}).exit_code, 2);
}

TEST(CliTest, NotADatabaseIsLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  testing::write_bytes(path, "shopping list: eggs, milk\n");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"add", "--db", path, "--text", "x"},
                                             {"search", "--db", path, "--query", "eggs"},
                                             {"stats", "--db", path}}) {
    auto r = arbor(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_TRUE(testing::contains(r.err, "not an SQLite database")) << r.err;
  }
  EXPECT_EQ(testing::read_bytes(path), "shopping list: eggs, milk\n");
}

// Permission tests: as root, permissions do not apply, so the CLI runs as `nobody`, which
// must be able to reach the built binary.
bool skip_permission_test(const ProcessOptions& as_user) {
  if (!as_user.uid) return false;
  const auto r = testing::run_process({testing::arbor_binary(), "--version"}, as_user);
  return r.exit_code != 0;
}
TEST(CliTest, ReadOnlyFileRefusesWritesButSearches) {
  TempDir dir;
  const std::string db = dir.file("m.db");
  fill(db, 3);
  ASSERT_EQ(arbor({"add", "--db", db, "--text", "the river flows north"}).exit_code, 0);
  ASSERT_EQ(::chmod(db.c_str(), 0444), 0);
  const std::string before = testing::read_bytes(db);
  ProcessOptions as_user;
  as_user.uid = testing::unprivileged_uid();
  if (skip_permission_test(as_user))
    GTEST_SKIP() << "uid 65534 cannot run " << testing::arbor_binary();
  auto r = arbor({"add", "--db", db, "--text", "new"}, as_user);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(testing::contains(r.err, "read-only")) << r.err;
  r = arbor({"delete", "--db", db, "--scope", ""}, as_user);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = arbor({"search", "--db", db, "--query", "river"}, as_user);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out).size(), 1u);
  EXPECT_EQ(testing::read_bytes(db), before);
}

TEST(CliTest, ReadOnlyFolderRefusesWritesButSearches) {
  TempDir dir;
  const std::string folder = dir.file("ro");
  ASSERT_EQ(::mkdir(folder.c_str(), 0777), 0);
  const std::string db = folder + "/m.db";
  fill(db, 3);
  ASSERT_EQ(arbor({"add", "--db", db, "--text", "the river flows north"}).exit_code, 0);
  ASSERT_EQ(::chmod(db.c_str(), 0666), 0);
  ASSERT_EQ(::chmod(folder.c_str(), 0555), 0);
  const std::string before = testing::read_bytes(db);
  ProcessOptions as_user;
  as_user.uid = testing::unprivileged_uid();
  if (skip_permission_test(as_user))
    GTEST_SKIP() << "uid 65534 cannot run " << testing::arbor_binary();
  auto r = arbor({"add", "--db", db, "--text", "new"}, as_user);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(testing::contains(r.err, "read-only") || testing::contains(r.err, "not writable"))
      << r.err;
  r = arbor({"search", "--db", db, "--query", "river"}, as_user);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out).size(), 1u);
  EXPECT_EQ(testing::read_bytes(db), before);
}

TEST(CliTest, FullDiskFailsWithoutAPartialWrite) {
  TempDir dir;
  const std::string db = dir.file("m.db");
  fill(db, 3);
  const std::string before = testing::read_bytes(db);
  ASSERT_FALSE(before.empty());
  ProcessOptions limited;
  // Room for the database but not for a WAL holding a 200 KB memory.
  limited.max_file_bytes = before.size() + 16 * 1024;
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i) + "w ";
  auto r = arbor({"add", "--db", db, "--text", big}, limited);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // A full disk is SQLITE_FULL; the file size limit used here surfaces as a failed write.
  EXPECT_TRUE(testing::contains(r.err, "full")) << r.err;
  EXPECT_TRUE(testing::contains(r.err, "nothing was")) << r.err;
  EXPECT_EQ(testing::read_bytes(db), before);
  r = arbor({"stats", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out)[0]["memories"].get<int>(), 3);
}

TEST(CliTest, LockedDatabaseFailsWithExitOne) {
  TempDir dir;
  const std::string db = dir.file("m.db");
  fill(db, 2);
  const std::string out = dir.file("holder.out");
  const pid_t holder = testing::start_process({testing::test_binary("lock_holder"), db}, out);
  ASSERT_TRUE(testing::wait_for_text(out, "locked", 10000)) << testing::read_bytes(out);
  auto r = arbor({"add", "--db", db, "--text", "blocked", "--busy-timeout", "100"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(testing::contains(r.err, "locked by another connection or process")) << r.err;
  ::kill(holder, SIGKILL);
  testing::wait_process(holder);
  r = arbor({"stats", "--db", db});
  EXPECT_EQ(json_lines(r.out)[0]["memories"].get<int>(), 2);
}

}  // namespace
}  // namespace arbor::memory
