// Runs the built `arbor` binary: dataset, grade, extract and env commands.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/strings.h"

namespace arbor {
namespace {

struct CliRun {
  int code = -1;
  std::string out;  // stdout
};

// Runs `arbor <args>` through the shell (so tests can pipe input); stderr is discarded.
CliRun arbor(const std::string& args) {
  // The redirection goes first so that a here-document can end the command.
  const std::string cmd =
      "cd " ARBOR_SOURCE_DIR " && " ARBOR_BINARY_DIR "/apps/arbor 2>/dev/null " + args;
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr)
    return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<Json> json_lines(const std::string& out) {
  std::vector<Json> lines;
  for (const std::string& l : split(out, '\n')) {
    if (!trim(l).empty())
      lines.push_back(Json::parse(l));
  }
  return lines;
}

TEST(Cli, DatasetArithWritesJsonLines) {
  const CliRun r = arbor("dataset arith --seed 1 --count 50 --difficulty easy --split test");
  ASSERT_EQ(r.code, 0);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 50u);
  for (const Json& j : lines) {
    EXPECT_EQ(j["split"], "test");
    EXPECT_LE(j["difficulty"].get<int>(), 2);
    const std::string solution = j["solution"];
    EXPECT_EQ(solution.substr(solution.rfind('\n') + 1),
              "Answer: " + j["answer"].get<std::string>());
  }
  // --start continues the same sequence.
  const CliRun tail =
      arbor("dataset arith --seed 1 --count 10 --start 40 --difficulty easy --split test");
  ASSERT_EQ(tail.code, 0);
  EXPECT_EQ(json_lines(tail.out).front(), lines[40]);
}

TEST(Cli, DatasetArithCheckGradesSteps) {
  const CliRun r = arbor(
      "dataset arith-check <<'EOF'\n"
      "{\"id\": \"a\", \"numbers\": [37, 48, 25], \"answer\": 60, \"solution\": \"37 + 48 = "
      "85\\n85 - 25 = 60\\nAnswer: 60\"}\n"
      "{\"id\": \"b\", \"question\": \"Mia has 37 apples and buys 48.\", \"answer\": \"85\", "
      "\"solution\": \"37 + 48 = 86\\nAnswer: 86\"}\n"
      "EOF");
  ASSERT_EQ(r.code, 0);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0]["all_valid"].get<bool>());
  EXPECT_FALSE(lines[1]["all_valid"].get<bool>());
  EXPECT_FALSE(lines[1]["steps"][0]["correct"].get<bool>());
  EXPECT_EQ(lines[1]["id"], "b");
}

TEST(Cli, DatasetLoadersAndBadInput) {
  const CliRun r = arbor("dataset math500 --limit 3");
  ASSERT_EQ(r.code, 0);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["id"], "test/precalculus/807.json");
  EXPECT_EQ(arbor("dataset gsm8k --file /no/such/file.jsonl").code, 2);
  EXPECT_EQ(arbor("dataset arith --difficulty 9").code, 2);
  EXPECT_EQ(arbor("dataset arith --count ten").code, 2);
  EXPECT_EQ(arbor("dataset nonsense").code, 2);
  // A malformed line: exit 2, and --skip-malformed keeps the good lines.
  const std::string bad = "/tmp/arbor_cli_bad.jsonl";
  std::ofstream(bad) << "{\"question\":\"q\",\"answer\":\"#### 4\"}\nnot json\n";
  EXPECT_EQ(arbor("dataset gsm8k --file " + bad).code, 2);
  const CliRun skip = arbor("dataset gsm8k --file " + bad + " --skip-malformed");
  EXPECT_EQ(skip.code, 0);
  EXPECT_EQ(json_lines(skip.out).size(), 1u);
  std::remove(bad.c_str());
}

TEST(Cli, GradeReadsPairsAndWritesVerdicts) {
  const CliRun r = arbor(
      "grade --mode prm800k <<'EOF'\n"
      "{\"gold\": \"\\\\frac{1}{2}\", \"pred\": \"0.5\"}\n"
      "{\"gold\": \"\\\\frac{1}{2}\", \"pred\": \"\\\\frac{2}{4}\"}\n"
      "{\"gold\": 18, \"pred\": \"18\"}\n"
      "EOF");
  ASSERT_EQ(r.code, 0);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0]["correct"].get<bool>());
  EXPECT_FALSE(lines[1]["correct"].get<bool>());
  EXPECT_TRUE(lines[2]["correct"].get<bool>());
  EXPECT_TRUE(lines[0].contains("gold_norm"));
  EXPECT_TRUE(lines[0].contains("pred_norm"));
  const CliRun g = arbor(
      "grade --mode gsm8k --extract <<'EOF'\n"
      "{\"gold\": \"1,000\", \"pred\": \"so we get 1000 apples.\\n#### 1,000\"}\n"
      "EOF");
  ASSERT_EQ(g.code, 0);
  const auto gl = json_lines(g.out);
  ASSERT_EQ(gl.size(), 1u);
  EXPECT_TRUE(gl[0]["correct"].get<bool>());
  EXPECT_EQ(gl[0]["rule"], "gsm8k_marker");
  EXPECT_EQ(arbor("grade --mode exact < /dev/null").code, 2);
  EXPECT_EQ(arbor("grade --mode prm800k <<'EOF'\n{\"gold\": 1}\nEOF").code, 2);
  EXPECT_EQ(arbor("grade --mode prm800k <<'EOF'\nnot json\nEOF").code, 2);
}

TEST(Cli, ExtractPrintsAnswerAndRule) {
  const CliRun r =
      arbor("extract --mode prm800k <<'EOF'\nThus the answer is $\\boxed{\\frac{3}{4}}$.\nEOF");
  ASSERT_EQ(r.code, 0);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["answer"], "\\frac{3}{4}");
  EXPECT_EQ(lines[0]["rule"], "boxed");
  const CliRun n = arbor("extract --mode gsm8k < /dev/null");
  ASSERT_EQ(n.code, 0);
  EXPECT_EQ(json_lines(n.out)[0]["rule"], "none");
}

TEST(Cli, EnvListAndPlay) {
  const CliRun list = arbor("env list");
  ASSERT_EQ(list.code, 0);
  std::vector<std::string> names;
  for (const Json& j : json_lines(list.out)) names.push_back(j["name"]);
  for (const char* want : {"textworld", "game24", "arith", "zmachine", "external"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  const CliRun play = arbor(
      "env play --env 'game24:4 4 6 8' --actions - <<'EOF'\n"
      "# comments and blank lines are skipped\n\n"
      "6 - 4 = 2\n7 + 7\n4 + 8 = 12\n2 * 12 = 24\nlook\nEOF");
  ASSERT_EQ(play.code, 0);
  const auto lines = json_lines(play.out);
  ASSERT_EQ(lines.size(), 5u);  // reset + 4 steps; "look" after the end is ignored
  EXPECT_EQ(lines[0]["step"], 0);
  EXPECT_TRUE(lines[2]["info"].contains("last_action_error"));
  EXPECT_TRUE(lines[4]["terminated"].get<bool>());
  EXPECT_EQ(lines[4]["reward"], 1.0);
  for (const Json& j : lines) {
    for (const char* key : {"observation", "reward", "terminated", "truncated", "info"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
  }
}

TEST(Cli, EnvPlayTextWorldFromAFileAndStepLimits) {
  const CliRun w = arbor(
      "env play --env textworld:easy --seed 2 --options '{\"walkthrough\": true}' < /dev/null");
  ASSERT_EQ(w.code, 0);
  const auto first = json_lines(w.out);
  ASSERT_EQ(first.size(), 1u);
  const auto plan = first[0]["info"]["walkthrough"].get<std::vector<std::string>>();
  ASSERT_FALSE(plan.empty());
  const std::string file = "/tmp/arbor_cli_plan.txt";
  {
    std::ofstream out(file);
    for (const std::string& a : plan) out << a << "\n";
  }
  const CliRun played = arbor("env play --env textworld:easy --seed 2 --actions " + file);
  ASSERT_EQ(played.code, 0);
  const auto lines = json_lines(played.out);
  ASSERT_EQ(lines.size(), plan.size() + 1);
  EXPECT_TRUE(lines.back()["info"]["won"].get<bool>());
  std::remove(file.c_str());

  const CliRun limited =
      arbor("env play --env textworld --seed 1 --max-steps 2 <<'EOF'\nlook\nlook\nlook\nEOF");
  ASSERT_EQ(limited.code, 0);
  const auto ll = json_lines(limited.out);
  ASSERT_EQ(ll.size(), 3u);
  EXPECT_TRUE(ll[2]["truncated"].get<bool>());
}

TEST(Cli, EnvPlayBadInput) {
  EXPECT_EQ(arbor("env play --env chess < /dev/null").code, 2);
  EXPECT_EQ(arbor("env play < /dev/null").code, 2);
  EXPECT_EQ(arbor("env play --env textworld --options '[1]' < /dev/null").code, 2);
  EXPECT_EQ(arbor("env play --env textworld --actions /no/such/file").code, 2);
  EXPECT_EQ(arbor("env play --env zmachine:" ARBOR_SOURCE_DIR "/README.missing < /dev/null").code,
            2);
  EXPECT_EQ(arbor("env frobnicate").code, 2);
  // A crashing environment server: an error line for the step and exit status 1.
  const CliRun crash = arbor(
      "env play --env 'external:python3 tests/envs/data/faulty_env_server.py "
      "--fault crash_step#guess_number' <<'EOF'\nguess 3\nEOF");
  EXPECT_EQ(crash.code, 1);
  const auto lines = json_lines(crash.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1]["error"].get<std::string>().find("exited with status 3"), std::string::npos);
}

}  // namespace
}  // namespace arbor
