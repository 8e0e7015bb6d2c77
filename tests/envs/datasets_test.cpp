#include "envs/datasets.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "core/file.h"

namespace arbor::envs {
namespace {

std::string repo(const char* rel) {
  return std::string(ARBOR_SOURCE_DIR) + "/" + rel;
}

// Each shipped file is parsed once for all tests (the big ones take a while in debug builds).
const LoadedDataset& shipped(const char* name, const char* rel) {
  static std::map<std::string, LoadedDataset> cache;
  auto it = cache.find(rel);
  if (it == cache.end()) {
    auto d = load_dataset(name, repo(rel));
    EXPECT_TRUE(d.ok()) << d.status().to_string();
    it = cache.emplace(rel, d.ok() ? std::move(*d) : LoadedDataset{}).first;
  }
  return it->second;
}

// A scratch file removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& contents)
      : path_((std::filesystem::temp_directory_path() / ("arbor_envs_" + name)).string()) {
    EXPECT_TRUE(write_file_atomic(path_, contents).ok());
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Datasets, LoadsTheShippedFiles) {
  struct Want {
    const char* name;
    const char* path;
    std::size_t rows;
  };
  for (const Want& w : {Want{"gsm8k", "datasets/gsm8k/test.jsonl", 1319},
                        Want{"gsm8k", "datasets/gsm8k/train.jsonl", 7473},
                        Want{"math500", "datasets/math500/test.jsonl", 500},
                        Want{"math_test", "datasets/math_test/test.jsonl", 5000},
                        Want{"game24", "datasets/game24/24.csv", 1362}}) {
    const LoadedDataset& d = shipped(w.name, w.path);
    EXPECT_EQ(d.problems.size(), w.rows) << w.path;
    EXPECT_TRUE(d.skipped.empty());
    for (const Problem& p : d.problems) {
      ASSERT_FALSE(p.question.empty()) << p.id;
      ASSERT_FALSE(p.answer.empty()) << p.id;
    }
  }
}

TEST(Datasets, RecordsCarryTheirFields) {
  const LoadedDataset& g = shipped("gsm8k", "datasets/gsm8k/test.jsonl");
  ASSERT_FALSE(g.problems.empty());
  EXPECT_EQ(g.problems[0].id, "gsm8k-test-0");
  EXPECT_EQ(g.problems[0].answer, "18");  // "#### 18"
  const LoadedDataset& m = shipped("math500", "datasets/math500/test.jsonl");
  ASSERT_FALSE(m.problems.empty());
  EXPECT_EQ(m.problems[0].id, "test/precalculus/807.json");
  EXPECT_EQ(m.problems[0].answer, "\\left( 3, \\frac{\\pi}{2} \\right)");
  EXPECT_EQ(m.problems[0].metadata["subject"], "Precalculus");
  EXPECT_EQ(m.problems[0].metadata["level"], 2);
  const LoadedDataset& t = shipped("math_test", "datasets/math_test/test.jsonl");
  ASSERT_GT(t.problems.size(), 2u);
  EXPECT_EQ(t.problems[2].answer, "\\dfrac{9}{7}");  // the last \boxed{} of the solution
  EXPECT_EQ(t.problems[2].metadata["level"], 4);
  const LoadedDataset& q = shipped("game24", "datasets/game24/24.csv");
  ASSERT_GT(q.problems.size(), 900u);
  EXPECT_EQ(q.problems[0].question, "1 1 4 6");
  EXPECT_EQ(q.problems[900].metadata["rank"], 901);
}

TEST(Datasets, MalformedLinesNameFileAndLine) {
  TempFile f("bad_gsm8k.jsonl",
             "{\"question\": \"q1\", \"answer\": \"a\\n#### 4\"}\n"
             "\n"
             "{\"question\": \"q2\", \"answer\": 7}\n"
             "not json\n"
             "{\"question\": \"q3\", \"answer\": \"no marker\"}\n"
             "{\"question\": \"q4\", \"answer\": \"x\\n#### 1,000\"}\n");
  auto strict = load_gsm8k(f.path());
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(strict.status().message().find(f.path() + ":3:"), std::string::npos)
      << strict.status().message();
  EXPECT_NE(strict.status().message().find("'answer'"), std::string::npos);

  auto lenient = load_gsm8k(f.path(), LoadOptions{.skip_malformed = true});
  ASSERT_TRUE(lenient.ok());
  ASSERT_EQ(lenient->problems.size(), 2u);
  EXPECT_EQ(lenient->problems[1].answer, "1000");
  ASSERT_EQ(lenient->skipped.size(), 3u);
  EXPECT_NE(lenient->skipped[0].find(":3:"), std::string::npos);
  EXPECT_NE(lenient->skipped[1].find(":4: not valid JSON"), std::string::npos);
  EXPECT_NE(lenient->skipped[2].find(":5:"), std::string::npos);
}

TEST(Datasets, MalformedMathAndGame24) {
  TempFile m("bad_math.jsonl",
             "{\"problem\": \"p\", \"solution\": \"no box\", \"type\": \"A\", "
             "\"level\": \"Level 1\"}\n");
  auto r = load_math_test(m.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(":1: field 'solution' has no \\boxed{}"), std::string::npos)
      << r.status().message();

  TempFile g("bad_24.csv", "Rank,Puzzles,AMT (s)\n1,1 1 4 6,4.4\n2,1 1 4,3\n3,a b c d,1\n");
  auto q = load_game24(g.path());
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find(g.path() + ":3:"), std::string::npos) << q.status().message();
  auto ql = load_game24(g.path(), LoadOptions{.skip_malformed = true});
  ASSERT_TRUE(ql.ok());
  EXPECT_EQ(ql->problems.size(), 1u);
  EXPECT_EQ(ql->skipped.size(), 2u);

  TempFile h("bad_header.csv", "a,b\n1,2\n");
  auto bad = load_game24(h.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":1: expected the header"), std::string::npos);
}

TEST(Datasets, MissingFilesAndUnknownNames) {
  auto r = load_dataset("gsm8k", "/nonexistent/file.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(load_dataset("mmlu", repo("datasets/gsm8k/test.jsonl")).ok());
  EXPECT_EQ(*default_dataset_path("gsm8k", "train"), "datasets/gsm8k/train.jsonl");
  EXPECT_FALSE(default_dataset_path("math500", "train").ok());
}

}  // namespace
}  // namespace arbor::envs
