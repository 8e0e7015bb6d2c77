// The CLI contract of arbor logits / generate / bench / random-model, and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/json.h"
#include "tests/apps/cli_runner.h"

namespace arbor {
namespace {

using testing::run_arbor;

const std::string kModel = ARBOR_SOURCE_DIR "/tests/data/parity/mamba2_a";

Json reference() { return *read_json_file(kModel + "/reference.json"); }

std::string ids_flag(const std::vector<int>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(ids[i]);
  }
  return s;
}

double rel_error(const Json& got, const Json& want) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::fabs(got[i].get<double>() - want[i].get<double>()));
    scale = std::max(scale, std::fabs(want[i].get<double>()));
  }
  return diff / scale;
}

TEST(ModelCliTest, LogitsLastAndAllPositions) {
  const Json ref = reference();
  const auto ids = ref["input_ids"].get<std::vector<int>>();
  auto r = run_arbor({"logits", "--model", kModel, "--ids", ids_flag(ids)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json last = Json::parse(r.out);
  EXPECT_LE(rel_error(last["logits"], ref["logits"].back()), 1e-4);
  r = run_arbor({"logits", "--model", kModel, "--ids", ids_flag(ids), "--all-positions"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json all = Json::parse(r.out);
  ASSERT_EQ(all["logits"].size(), ids.size());
  for (std::size_t t = 0; t < ids.size(); ++t) {
    EXPECT_LE(rel_error(all["logits"][t], ref["logits"][t]), 1e-4) << t;
  }
}

TEST(ModelCliTest, GreedyGenerateMatchesTransformers) {
  const Json ref = reference();
  const auto ids = ref["input_ids"].get<std::vector<int>>();
  const auto want = ref["greedy_continuation"].get<std::vector<int>>();
  auto r = run_arbor({"generate", "--model", kModel, "--ids", ids_flag(ids), "--max-tokens",
                      std::to_string(want.size()), "--ignore-eos", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json out = Json::parse(r.out);
  EXPECT_EQ(out["ids"].get<std::vector<int>>(), want);
  EXPECT_EQ(out["text"], "");  // the fixture has no tokenizer
}

TEST(ModelCliTest, SampledGenerateIsReproducibleBySeed) {
  auto gen = [](const std::string& seed) {
    auto r = run_arbor({"generate", "--model", kModel, "--ids", "1,2,3", "--max-tokens", "20",
                        "--temperature", "1.0", "--top-k", "50", "--top-p", "0.95", "--min-p",
                        "0.01", "--seed", seed, "--ignore-eos", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out)["ids"].get<std::vector<int>>();
  };
  const auto a = gen("1");
  EXPECT_EQ(a.size(), 20u);
  EXPECT_EQ(a, gen("1"));
  EXPECT_NE(a, gen("2"));
}

TEST(ModelCliTest, BenchPrintsOneJsonDocument) {
  auto r = run_arbor({"bench", "decode", "--model", kModel, "--batch", "1,3", "--tokens", "8",
                      "--prompt-len", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json doc = Json::parse(r.out);
  ASSERT_EQ(doc["results"].size(), 2u);
  EXPECT_EQ(doc["results"][1]["batch"], 3);
  EXPECT_GT(doc["results"][0]["tokens_per_s"].get<double>(), 0.0);
  r = run_arbor({"bench", "prefill", "--model", kModel, "--batch", "2", "--prompt-len", "16",
                 "--repeats", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["bench"], "prefill");
}

// Each error is one line on stderr, exit status 2, and names what is wrong.
void expect_usage_error(const std::vector<std::string>& args, const std::string& needle) {
  auto r = run_arbor(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(ModelCliTest, ErrorsExitTwoWithOneClearLine) {
  expect_usage_error({"logits", "--model", "/no/such/dir", "--ids", "1"}, "/no/such/dir");
  expect_usage_error({"logits", "--model", kModel, "--ids", "1,253"},
                     "token id 253 is outside the vocabulary [0, 253)");
  expect_usage_error({"logits", "--model", kModel, "--ids", "1,x"}, "--ids: 'x' is not an integer");
  expect_usage_error({"logits", "--model", kModel}, "missing required flag --ids");
  expect_usage_error({"logits", "--modle", kModel, "--ids", "1"}, "did you mean --model?");
  expect_usage_error({"generate", "--model", kModel, "--prompt", "hi"}, "no tokenizer.json");
  expect_usage_error({"generate", "--model", kModel, "--ids", "1", "--top-p", "1.5"},
                     "--top-p must be in (0, 1]");
  expect_usage_error({"generate", "--model", kModel, "--ids", "1", "--temperature", "-1"},
                     "--temperature must be >= 0");
  expect_usage_error({"bench", "sideways", "--model", kModel}, "unknown bench 'sideways'");
  expect_usage_error({"bench", "decode", "--model", kModel, "--backend", "tpu"},
                     "unknown backend 'tpu'");
  expect_usage_error({"frobnicate"}, "unknown command 'frobnicate'");

  // A truncated weights file and an unsupported model type, in a scratch copy of the fixture.
  char tmpl[] = "/tmp/arbor_cli_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  for (const auto& e : std::filesystem::directory_iterator(kModel)) {
    std::filesystem::copy(e.path(), dir / e.path().filename());
  }
  const auto size = std::filesystem::file_size(dir / "model.safetensors");
  std::filesystem::resize_file(dir / "model.safetensors", size - 100);
  expect_usage_error({"logits", "--model", dir.string(), "--ids", "1"}, "past the end");
  Json config = *read_json_file((dir / "config.json").string());
  config["model_type"] = "gpt2";
  std::ofstream(dir / "config.json") << config.dump();
  expect_usage_error({"logits", "--model", dir.string(), "--ids", "1"},
                     "model_type 'gpt2' is not supported");
  std::filesystem::remove_all(dir);
}

TEST(ModelCliTest, VersionAndRandomModel) {
  auto r = run_arbor({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("arbor ", 0), 0u);
  char tmpl[] = "/tmp/arbor_rand_cli_XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  r = run_arbor({"random-model", "--config", kModel + "/config.json", "--out", dir + "/m"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_arbor({"generate", "--model", dir + "/m", "--ids", "4,5", "--max-tokens", "3",
                 "--ignore-eos", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["ids"].size(), 3u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace arbor
