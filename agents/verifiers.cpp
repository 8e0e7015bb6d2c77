#include "agents/verifiers.h"

#include <algorithm>
#include <string>
#include <vector>

#include "envs/arith_checker.h"
#include "envs/game24.h"

namespace arbor::agents {
namespace {

// 1 when every step line is right and grounded and (complete) the answer follows.
StatusOr<double> arith_steps(std::string_view question, std::string_view solution, bool partial) {
  const std::vector<std::int64_t> numbers = envs::numbers_in_text(question);
  // The gold answer is not known here: answer_correct is ignored.
  const envs::SolutionVerdict v = envs::check_arith_solution(numbers, 0, solution);
  const bool steps_ok = v.valid_steps == static_cast<int>(v.steps.size());
  if (partial) return steps_ok ? 1.0 : 0.0;
  return steps_ok && !v.steps.empty() && v.follows ? 1.0 : 0.0;
}

StatusOr<double> game24(std::string_view question, std::string_view solution, bool partial) {
  // The four numbers, or five with the target among them ("Use 4 4 6 8 to make 24").
  std::vector<int> numbers;
  for (std::int64_t n : envs::numbers_in_text(question)) numbers.push_back(static_cast<int>(n));
  if (numbers.size() == 5) {
    auto it = std::find(numbers.begin(), numbers.end(), envs::kGame24Target);
    if (it != numbers.end()) numbers.erase(it);
  }
  if (numbers.size() != 4) {
    return Status::invalid_argument("game24 verifier: the question '" + std::string(question) +
                                    "' does not state four numbers");
  }
  if (partial) {
    const envs::SolutionVerdict v = envs::check_arith_solution({}, 0, solution);
    int right = 0;
    for (const envs::StepVerdict& s : v.steps) right += s.parsed && s.correct ? 1 : 0;
    return right == static_cast<int>(v.steps.size()) ? 1.0 : 0.0;
  }
  return envs::check_game24(numbers, solution).correct ? 1.0 : 0.0;
}

}  // namespace

search::Verifiers env_verifiers() {
  search::Verifiers v;
  v["arith_steps"] = arith_steps;
  v["game24"] = game24;
  return v;
}

}  // namespace arbor::agents
