// arbor dataset: writes problems as JSON lines.
//
//   arbor dataset arith --seed S --count N [--start I] [--difficulty 1,2|easy|medium|hard]
//                       [--kinds expr,word] [--split all|train|test] [--heldout-permille P]
//   arbor dataset arith-check          reads {"question"|"numbers", "answer", "solution"} lines
//   arbor dataset gsm8k|math500|math_test|game24 [--file PATH] [--split test|train]
//                       [--limit N] [--skip-malformed]
#include <cstdio>
#include <iostream>
#include <string>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/json.h"
#include "core/strings.h"
#include "envs/arith.h"
#include "envs/arith_checker.h"
#include "envs/datasets.h"

namespace arbor::apps {
namespace {

constexpr char kUsage[] =
    "usage: arbor dataset arith --seed S --count N [--start I] [--difficulty D] [--kinds K]\n"
    "                           [--split all|train|test] [--heldout-permille P]\n"
    "       arbor dataset arith-check   (JSON lines {question|numbers, answer, solution} on "
    "stdin)\n"
    "       arbor dataset gsm8k|math500|math_test|game24 [--file PATH] [--split test|train]\n"
    "                           [--limit N] [--skip-malformed]\n";

int run_arith(int argc, char** argv) {
  auto flags = Flags::parse(argc, argv, 3,
                            {{"--seed", true},
                             {"--count", true},
                             {"--start", true},
                             {"--difficulty", true},
                             {"--kinds", true},
                             {"--split", true},
                             {"--heldout-permille", true}});
  if (!flags.ok())
    return report_error("dataset arith", flags.status());
  envs::ArithOptions options;
  auto seed = flags->get_int("--seed", 0);
  auto count = flags->get_int("--count", 10);
  auto start = flags->get_int("--start", 0);
  auto permille = flags->get_int("--heldout-permille", options.heldout_permille);
  for (const auto* s : {&seed, &count, &start, &permille}) {
    if (!s->ok())
      return report_error("dataset arith", s->status());
  }
  if (*seed < 0 || *count < 0 || *start < 0) {
    return report_error("dataset arith",
                        Status::invalid_argument("--seed, --count and --start must be >= 0"));
  }
  options.heldout_permille = static_cast<int>(*permille);
  if (auto d = flags->get("--difficulty")) {
    auto parsed = envs::parse_arith_difficulties(*d);
    if (!parsed.ok())
      return report_error("dataset arith", parsed.status());
    options.difficulties = *parsed;
  }
  if (auto k = flags->get("--kinds")) {
    auto parsed = envs::parse_arith_kinds(*k);
    if (!parsed.ok())
      return report_error("dataset arith", parsed.status());
    options.kinds = *parsed;
  }
  if (auto s = flags->get("--split")) {
    auto parsed = envs::parse_arith_split(*s);
    if (!parsed.ok())
      return report_error("dataset arith", parsed.status());
    options.split = *parsed;
  }
  auto gen = envs::ArithGenerator::create(options);
  if (!gen.ok())
    return report_error("dataset arith", gen.status());
  std::string buffer;
  for (std::int64_t i = 0; i < *count; ++i) {
    const envs::ArithProblem p =
        gen->generate(static_cast<std::uint64_t>(*seed), static_cast<std::uint64_t>(*start + i));
    buffer += json_dump(p.to_json());
    buffer += '\n';
    if (buffer.size() > (1 << 16)) {
      std::fwrite(buffer.data(), 1, buffer.size(), stdout);
      buffer.clear();
    }
  }
  std::fwrite(buffer.data(), 1, buffer.size(), stdout);
  std::fflush(stdout);
  return 0;
}

int run_arith_check(int argc, char** argv) {
  auto flags = Flags::parse(argc, argv, 3, {});
  if (!flags.ok())
    return report_error("dataset arith-check", flags.status());
  std::string line;
  int line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    const std::string where = "stdin:" + std::to_string(line_no);
    auto j = parse_json(line, where);
    if (!j.ok())
      return report_error("dataset arith-check", j.status());
    auto solution = json_get<std::string>(*j, "solution", where);
    if (!solution.ok())
      return report_error("dataset arith-check", solution.status());
    std::int64_t gold = 0;
    if (j->contains("answer") && (*j)["answer"].is_number_integer()) {
      gold = (*j)["answer"].get<std::int64_t>();
    } else {
      auto a = json_get<std::string>(*j, "answer", where);
      if (!a.ok())
        return report_error("dataset arith-check", a.status());
      auto n = parse_int(*a, where + ": field 'answer'");
      if (!n.ok())
        return report_error("dataset arith-check", n.status());
      gold = *n;
    }
    std::vector<std::int64_t> numbers;
    if (j->contains("numbers") && (*j)["numbers"].is_array()) {
      for (const Json& n : (*j)["numbers"]) {
        if (!n.is_number_integer()) {
          return report_error("dataset arith-check",
                              Status::invalid_argument(where + ": field 'numbers' must hold "
                                                               "integers"));
        }
        numbers.push_back(n.get<std::int64_t>());
      }
    } else {
      auto q = json_get<std::string>(*j, "question", where);
      if (!q.ok()) {
        return report_error("dataset arith-check",
                            Status::invalid_argument(where + ": needs 'numbers' or 'question'"));
      }
      numbers = envs::numbers_in_text(*q);
    }
    Json out = envs::check_arith_solution(numbers, gold, *solution).to_json();
    if (j->contains("id"))
      out["id"] = (*j)["id"];
    print_json_line(json_dump(out));
  }
  return 0;
}

int run_loader(const std::string& name, int argc, char** argv) {
  auto flags = Flags::parse(
      argc, argv, 3,
      {{"--file", true}, {"--split", true}, {"--limit", true}, {"--skip-malformed", false}});
  if (!flags.ok())
    return report_error("dataset " + name, flags.status());
  std::string path;
  if (auto f = flags->get("--file")) {
    path = *f;
  } else {
    auto p = envs::default_dataset_path(name, flags->get("--split").value_or("test"));
    if (!p.ok())
      return report_error("dataset " + name, p.status());
    path = *p;
  }
  auto limit = flags->get_int("--limit", -1);
  if (!limit.ok())
    return report_error("dataset " + name, limit.status());
  envs::LoadOptions options;
  options.skip_malformed = flags->has("--skip-malformed");
  auto data = envs::load_dataset(name, path, options);
  if (!data.ok())
    return report_error("dataset " + name, data.status());
  for (const std::string& s : data->skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
  std::int64_t n = 0;
  for (const envs::Problem& p : data->problems) {
    if (*limit >= 0 && n++ >= *limit)
      break;
    print_json_line(json_dump(envs::problem_to_json(p)));
  }
  return 0;
}

}  // namespace

int cmd_dataset(int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) == "--help") {
    std::fputs(kUsage, argc < 3 ? stderr : stdout);
    return argc < 3 ? 2 : 0;
  }
  const std::string which = argv[2];
  if (which == "arith")
    return run_arith(argc, argv);
  if (which == "arith-check")
    return run_arith_check(argc, argv);
  for (const std::string& name : envs::dataset_names()) {
    if (which == name)
      return run_loader(name, argc, argv);
  }
  std::fprintf(stderr,
               "arbor dataset: unknown dataset '%s' (arith, arith-check, gsm8k, "
               "math500, math_test, game24)\n%s",
               which.c_str(), kUsage);
  return 2;
}

}  // namespace arbor::apps
