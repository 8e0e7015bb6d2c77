// `arbor tokenize` and `arbor detokenize`, run as the built binary: stdout, stderr and the exit
// status.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/json.h"

namespace arbor {
namespace {

const std::string kArbor = ARBOR_BINARY_DIR "/apps/arbor";
const std::string kTokenizer = ARBOR_SOURCE_DIR "/tests/data/tokenizers/tokenizer.json";

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs arbor with `args`; stdout is captured through the pipe, stderr through a file.
Result run_arbor(const std::vector<std::string>& args) {
  const std::string err_path = testing::TempDir() + "/arbor_tokenize_cli_stderr.txt";
  std::string command = shell_quote(kArbor);
  for (const std::string& a : args) {
    command += ' ';
    command += shell_quote(a);
  }
  command += " 2>";
  command += shell_quote(err_path);
  Result r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) r.out.append(buffer, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_all(err_path);
  return r;
}

std::string write_temp(const std::string& name, const std::string& contents) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

int count_lines(const std::string& s) {
  int n = 0;
  for (const char c : s) n += c == '\n';
  return n;
}

TEST(TokenizeCliTest, TokenizePrintsIds) {
  const Result r = run_arbor({"tokenize", "--tokenizer", kTokenizer, "--text", "Hello World!"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"ids\":[12092,3645,2]}\n");
  EXPECT_EQ(r.err, "");
}

TEST(TokenizeCliTest, TokenizeKeepsSpacesAndSpecialTokens) {
  const Result r = run_arbor({"tokenize", "--tokenizer", kTokenizer, "--text",
                              "a" + std::string(30, ' ') + "b<|endoftext|>"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"ids\":[66,50254,50272,67,0]}\n");
}

TEST(TokenizeCliTest, DetokenizePrintsText) {
  const Result r = run_arbor({"detokenize", "--tokenizer", kTokenizer, "--ids", "12092,3645,2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"text\":\"Hello World!\"}\n");
}

TEST(TokenizeCliTest, RoundTripsUnicodeThroughBothCommands) {
  const std::string text = "Caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80\n\t\"quoted\"";
  const Result t = run_arbor({"tokenize", "--tokenizer", kTokenizer, "--text", text});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const Json ids = Json::parse(t.out)["ids"];
  std::string list;
  for (const Json& id : ids) {
    if (!list.empty()) list += ',';
    list += std::to_string(id.get<int>());
  }
  const Result d = run_arbor({"detokenize", "--tokenizer", kTokenizer, "--ids", list});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(Json::parse(d.out)["text"].get<std::string>(), text);
}

void expect_usage_error(const Result& r, const std::string& mention) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(mention), std::string::npos) << r.err;
}

TEST(TokenizeCliTest, MissingFileIsAnInputError) {
  const std::string path = testing::TempDir() + "/no_such_tokenizer.json";
  expect_usage_error(run_arbor({"tokenize", "--tokenizer", path, "--text", "x"}), path);
}

TEST(TokenizeCliTest, MalformedJsonIsAnInputError) {
  const std::string path = write_temp("arbor_cli_malformed.json", "{\"model\": [");
  expect_usage_error(run_arbor({"tokenize", "--tokenizer", path, "--text", "x"}), "malformed JSON");
  std::filesystem::remove(path);
}

TEST(TokenizeCliTest, UnsupportedComponentIsAnInputError) {
  const std::string path = write_temp("arbor_cli_metaspace.json",
                                      R"({"pre_tokenizer": {"type": "Metaspace"},
          "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})");
  const Result r = run_arbor({"detokenize", "--tokenizer", path, "--ids", "0"});
  expect_usage_error(r, "pre_tokenizer type 'Metaspace' is not supported");
  std::filesystem::remove(path);
}

TEST(TokenizeCliTest, IdsOutsideTheVocabularyAreInputErrors) {
  expect_usage_error(run_arbor({"detokenize", "--tokenizer", kTokenizer, "--ids", "5,50277"}),
                     "50277");
  expect_usage_error(run_arbor({"detokenize", "--tokenizer", kTokenizer, "--ids", "-1"}), "-1");
  expect_usage_error(run_arbor({"detokenize", "--tokenizer", kTokenizer, "--ids", "99999999999"}),
                     "99999999999");
}

TEST(TokenizeCliTest, NonIntegerIdsAreInputErrors) {
  expect_usage_error(run_arbor({"detokenize", "--tokenizer", kTokenizer, "--ids", "1,x"}),
                     "--ids: 'x' is not an integer");
  expect_usage_error(run_arbor({"detokenize", "--tokenizer", kTokenizer, "--ids", "1.5"}), "--ids");
}

TEST(TokenizeCliTest, MissingOrUnknownFlagsAreUsageErrors) {
  expect_usage_error(run_arbor({"tokenize", "--tokenizer", kTokenizer}), "--text");
  expect_usage_error(run_arbor({"detokenize", "--ids", "1"}), "--tokenizer");
  expect_usage_error(run_arbor({"tokenize", "--tokenizer", kTokenizer, "--txt", "x"}), "--text");
}

}  // namespace
}  // namespace arbor
