// arbor extract --mode M: reads a solution text on stdin and prints its final answer and the
// rule that found it: {"answer": ..., "rule": ...}.
#include <iostream>
#include <iterator>
#include <string>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/json.h"
#include "envs/answer_extract.h"

namespace arbor::apps {

int cmd_extract(int argc, char** argv) {
  auto flags = Flags::parse(argc, argv, 2, {{"--mode", true}});
  if (!flags.ok())
    return report_error("extract", flags.status());
  auto mode = envs::parse_grade_mode(flags->get("--mode").value_or("prm800k"));
  if (!mode.ok()) {
    return report_error("extract", Status::invalid_argument("--mode: " + mode.status().message()));
  }
  const std::string text((std::istreambuf_iterator<char>(std::cin)),
                         std::istreambuf_iterator<char>());
  const envs::Extraction e = envs::extract_answer(text, *mode);
  print_json_line(json_dump(Json{{"answer", e.answer}, {"rule", e.rule}}));
  return 0;
}

}  // namespace arbor::apps
