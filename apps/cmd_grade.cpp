// arbor grade --mode M [--extract]: reads JSON lines {"gold": ..., "pred": ...} on stdin and
// writes one line per input {"correct": bool, "gold_norm": ..., "pred_norm": ...}. With
// --extract, "pred" is a whole solution and its final answer is extracted first (the line then
// also has "pred_answer" and "rule").
#include <cstdio>
#include <iostream>
#include <string>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/json.h"
#include "envs/math_grader.h"

namespace arbor::apps {
namespace {

// Gold answers are often numbers in JSON ({"gold": 18}); compare their text.
StatusOr<std::string> text_field(const Json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) {
    return Status::invalid_argument(where + ": field '" + key + "' is missing");
  }
  const Json& v = j[key];
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number())
    return json_dump(v);
  if (v.is_null())
    return std::string();
  return Status::invalid_argument(where + ": field '" + key + "' must be a string or a number");
}

}  // namespace

int cmd_grade(int argc, char** argv) {
  auto flags = Flags::parse(argc, argv, 2, {{"--mode", true}, {"--extract", false}});
  if (!flags.ok())
    return report_error("grade", flags.status());
  auto mode = envs::parse_grade_mode(flags->get("--mode").value_or("prm800k"));
  if (!mode.ok())
    return report_error("grade", Status::invalid_argument("--mode: " + mode.status().message()));
  const bool extract = flags->has("--extract");
  std::string line;
  int line_no = 0;
  int n_correct = 0, n_total = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    const std::string where = "stdin:" + std::to_string(line_no);
    auto j = parse_json(line, where);
    if (!j.ok())
      return report_error("grade", j.status());
    auto gold = text_field(*j, "gold", where);
    if (!gold.ok())
      return report_error("grade", gold.status());
    auto pred = text_field(*j, "pred", where);
    if (!pred.ok())
      return report_error("grade", pred.status());
    Json out;
    envs::Grade g;
    if (extract) {
      const envs::Extraction e = envs::extract_answer(*pred, *mode);
      g = envs::grade_solution(*gold, *pred, *mode);
      out["pred_answer"] = e.answer;
      out["rule"] = e.rule;
    } else {
      g = envs::grade_answer(*gold, *pred, *mode);
    }
    out["correct"] = g.correct;
    out["gold_norm"] = g.gold_norm;
    out["pred_norm"] = g.pred_norm;
    if (j->contains("id"))
      out["id"] = (*j)["id"];
    print_json_line(json_dump(out));
    n_correct += g.correct ? 1 : 0;
    ++n_total;
  }
  std::fprintf(stderr, "arbor grade: %d of %d correct (mode %s)\n", n_correct, n_total,
               std::string(envs::grade_mode_name(*mode)).c_str());
  return 0;
}

}  // namespace arbor::apps
