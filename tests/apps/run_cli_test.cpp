// `arbor run` and `arbor report` end to end on the embedded model (3 arith problems, small
// budgets): the run folder, resume, a refused changed hash, config errors (exit 2), a full
// disk, and the report.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "core/file.h"
#include "core/json.h"

#include "tests/apps/cli_runner.h"

namespace arbor {
namespace {

namespace fs = std::filesystem;
using testing::run_arbor;

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/arbor_run_cli_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Two algorithms on 3 problems, small enough to run in about a second.
  static Json tiny_config() {
    return Json{
        {"experiment", {{"name", "tiny"}, {"seed", 3}}},
        {"model", {{"path", ARBOR_SOURCE_DIR "/assets/arith-mamba2"}}},
        {"engine", {{"concurrency", 3}}},
        {"dataset", {{"id", "arith"}, {"range", {0, 3}}, {"arith", {{"seed", 3}}}}},
        {"sampler", {{"max_tokens", 24}}},
        {"search", {{"algorithms", {"greedy", {{"algorithm", "self_consistency"}, {"n", 3}}}}}},
        {"eval", {{"k", {1, 2}}}}};
  }
  std::string write_config(const Json& j, const std::string& name = "c.json") {
    const std::string p = (dir_ / name).string();
    std::ofstream(p) << j.dump(1);
    return p;
  }
  static std::size_t read_lines_safe(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.empty() ? 0 : 1;
    return n;
  }
  static std::vector<Json> read_lines(const std::string& path) {
    std::vector<Json> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(Json::parse(line));
    }
    return out;
  }
  fs::path dir_;
};

TEST_F(RunCliTest, RunsAndWritesTheRunFolder) {
  const std::string out = (dir_ / "run").string();
  auto r = run_arbor({"run", write_config(tiny_config()), "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json printed = Json::parse(r.out);
  EXPECT_EQ(printed["run_dir"], out);

  const Json resolved = *read_json_file(out + "/config.resolved.json");
  EXPECT_EQ(resolved["config_hash"].get<std::string>().rfind("fnv1a64:", 0), 0u);
  EXPECT_NE(resolved["arbor_version"].get<std::string>().find("arbor "), std::string::npos);
  EXPECT_EQ(resolved["config"]["engine"]["concurrency"], 3);

  const std::vector<Json> lines = read_lines(out + "/results.jsonl");
  ASSERT_EQ(lines.size(), 6u);  // 3 problems x 2 algorithms
  int greedy = 0;
  for (const Json& l : lines) {
    for (const char* k : {"id", "gold", "prediction", "correct", "pass_at_k", "tokens",
                          "model_calls", "time", "tree", "pass_at", "maj_at"}) {
      EXPECT_TRUE(l.contains(k)) << k << " in " << l.dump();
    }
    EXPECT_GT(l["tokens"].get<double>(), 0);
    EXPECT_TRUE(fs::exists(out + "/" + l["tree"].get<std::string>()));
    if (l["algorithm"] == "greedy") {
      ++greedy;
      EXPECT_EQ(l["model_calls"], 1);
    }
  }
  EXPECT_EQ(greedy, 3);

  const Json s = *read_json_file(out + "/summary.json");
  EXPECT_EQ(s["complete"], true);
  ASSERT_TRUE(s["algorithms"].contains("greedy"));
  ASSERT_TRUE(s["algorithms"].contains("self_consistency"));
  for (const char* name : {"greedy", "self_consistency"}) {
    const Json& a = s["algorithms"][name];
    EXPECT_EQ(a["problems"], 3);
    for (const char* k : {"accuracy", "pass_at_k", "tokens_per_problem", "seconds", "maj_at",
                          "tokens_per_s", "mean_batch"}) {
      EXPECT_TRUE(a.contains(k)) << k;
    }
    EXPECT_GT(a["tokens_per_problem"].get<double>(), 0);
  }
  // Accuracy is the share of correct lines.
  double correct = 0;
  for (const Json& l : lines) {
    if (l["algorithm"] == "greedy" && l["correct"].get<bool>()) correct += 1;
  }
  EXPECT_DOUBLE_EQ(s["algorithms"]["greedy"]["accuracy"].get<double>(), correct / 3);
  EXPECT_TRUE(fs::exists(out + "/run.sqlite"));

  // The same folder again: refused. Resume of a finished run: nothing to redo.
  r = run_arbor({"run", write_config(tiny_config()), "--out", out});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already holds a run"), std::string::npos) << r.err;
  r = run_arbor({"run", "--resume", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_lines(out + "/results.jsonl").size(), 6u);

  // A changed config: refused, naming both hashes.
  r = run_arbor({"run", "--resume", out, "--set", "engine.concurrency=2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("hash changed"), std::string::npos) << r.err;

  // The report: a table on stdout and an HTML page with an SVG plot.
  const std::string html = (dir_ / "r.html").string();
  r = run_arbor({"report", out, "--html", html});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("greedy"), std::string::npos);
  EXPECT_NE(r.out.find("self_consistency"), std::string::npos);
  EXPECT_NE(r.out.find("accuracy"), std::string::npos);
  const std::string page = *read_file(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_EQ(std::count(page.begin(), page.end(), '\n') > 10, true);
  EXPECT_EQ(page.find("<script"), std::string::npos);  // no scripts, nothing fetched
  EXPECT_EQ(page.find("http://www.w3.org/2000/svg"), page.find("http"));  // only the namespace
  std::size_t circles = 0;
  for (auto p = page.find("<circle cx"); p != std::string::npos; p = page.find("<circle cx", p + 1))
    ++circles;
  EXPECT_EQ(circles, 2u + 2u);  // one point per algorithm, plus the legend's two
}

TEST_F(RunCliTest, CtrlCKeepsFinishedWorkAndResumeCompletes) {
  const std::string out = (dir_ / "run").string();
  Json c = tiny_config();
  c["dataset"]["range"] = {0, 6};
  c["engine"]["concurrency"] = 2;
  const std::string cfg = write_config(c);
  const std::string bin = ARBOR_BINARY_DIR "/apps/arbor";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(bin.c_str(), bin.c_str(), "run", cfg.c_str(), "--out", out.c_str(), nullptr);
    ::_exit(127);
  }
  // Interrupt once a few units are committed.
  for (int i = 0; i < 3000 && read_lines_safe(out + "/results.jsonl") < 1; ++i) ::usleep(20000);
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  const std::size_t kept = read_lines(out + "/results.jsonl").size();
  if (WEXITSTATUS(status) == 0) GTEST_SKIP() << "the run ended before the interrupt";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_GE(kept, 1u);
  EXPECT_LT(kept, 12u);
  const Json partial = *read_json_file(out + "/summary.json");
  EXPECT_EQ(partial["complete"], false);
  auto r = run_arbor({"run", "--resume", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<Json> lines = read_lines(out + "/results.jsonl");
  EXPECT_EQ(lines.size(), 12u);
  std::set<std::string> keys;
  for (const Json& l : lines)
    keys.insert(l["algorithm"].get<std::string>() + "/" + l["id"].get<std::string>());
  EXPECT_EQ(keys.size(), 12u);  // nothing done twice
  EXPECT_EQ((*read_json_file(out + "/summary.json"))["complete"], true);
}

TEST_F(RunCliTest, ConfigErrorsExitWithStatus2) {
  Json c = tiny_config();
  c["search"]["algorithms"][1]["n"] = -1;
  c["engine"]["concurency"] = 2;
  auto r = run_arbor({"run", write_config(c)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("search.algorithms[1].n: must be in"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'concurrency'"), std::string::npos) << r.err;

  c = tiny_config();
  c["model"]["path"] = (dir_ / "missing-checkpoint").string();
  r = run_arbor({"run", write_config(c)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model.path"), std::string::npos) << r.err;

  c = tiny_config();
  c["dataset"] = {{"id", "jsonl"}, {"path", (dir_ / "missing.jsonl").string()}};
  r = run_arbor({"run", write_config(c)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dataset.path"), std::string::npos) << r.err;

  r = run_arbor({"run", (dir_ / "nope.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.json"), std::string::npos) << r.err;

  r = run_arbor({"run", write_config(tiny_config()), "--set", "search.budget.max_tokens=-3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("search.budget.max_tokens: must be >= 0"), std::string::npos) << r.err;

  // A dtype the backend does not keep weights in.
  c = tiny_config();
  c["model"]["dtype"] = "bfloat16";
  r = run_arbor({"run", write_config(c), "--out", (dir_ / "bf16").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model.dtype: 'bfloat16' is not available"), std::string::npos) << r.err;

  // A range past the end of the file: refused before a run folder is made.
  c = tiny_config();
  c["dataset"] = {{"id", "math500"}, {"range", {600, 700}}};
  const std::string never = (dir_ / "never").string();
  r = run_arbor({"run", write_config(c), "--out", never});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dataset.range: starts at 600"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(never));

  r = run_arbor({"run", "--resume", (dir_ / "no-run").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no such run folder"), std::string::npos) << r.err;

  // --dry-run validates and prints the resolved config with its hash, running nothing.
  r = run_arbor({"run", write_config(tiny_config()), "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["config"]["dataset"]["grader"], "arith");
  EXPECT_EQ(j["config_hash"].get<std::string>().size(), 24u);
}

TEST_F(RunCliTest, SweepWritesOneRunPerPoint) {
  Json c = tiny_config();
  c["dataset"]["range"] = {0, 2};
  c["search"]["algorithms"] = {"greedy"};
  c["sweep"] = {{"sampler.max_tokens", {16, 48}}};
  const std::string out = (dir_ / "sweep").string();
  auto r = run_arbor({"run", write_config(c), "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json sweep = *read_json_file(out + "/sweep.json");
  ASSERT_EQ(sweep["runs"].size(), 2u);
  for (const Json& name : sweep["runs"]) {
    EXPECT_TRUE(fs::exists(out + "/" + name.get<std::string>() + "/summary.json"));
  }
  r = run_arbor({"report", out, "--json", "--html", (dir_ / "s.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json rows = Json::parse(r.out)["rows"];
  ASSERT_EQ(rows.size(), 2u);
  // A 16-token cap spends fewer tokens than a 48-token one.
  EXPECT_LT(rows[0]["tokens_per_problem"].get<double>(),
            rows[1]["tokens_per_problem"].get<double>());
}

TEST_F(RunCliTest, FullDiskKeepsFinishedWork) {
  // A file-size limit makes writes fail as on a full disk; SIGXFSZ is ignored by `arbor run`.
  // 200 KiB: the store's schema and its first commits fit, its growth does not for long.
  const std::string out = (dir_ / "full").string();
  Json c = tiny_config();
  c["dataset"]["range"] = {0, 12};
  c["engine"]["concurrency"] = 4;
  const std::string cfg = write_config(c);
  const std::string cmd = "ulimit -f 200 && exec " ARBOR_BINARY_DIR "/apps/arbor run " + cfg +
                          " --out " + out + " >/dev/null 2>" + (dir_ / "err.txt").string();
  const int status = std::system(("bash -c '" + cmd + "'").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  const std::string err = *read_file((dir_ / "err.txt").string());
  if (code == 0) GTEST_SKIP() << "the limit was not reached: " << err;
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find("arbor run: "), std::string::npos) << err;
  EXPECT_NE(err.find("finished units kept"), std::string::npos) << err;
  // Whatever was committed is still there, and a resume without the limit completes the run.
  auto r = run_arbor({"run", "--resume", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_lines(out + "/results.jsonl").size(), 24u);
}

}  // namespace
}  // namespace arbor
