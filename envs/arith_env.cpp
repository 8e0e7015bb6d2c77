#include "envs/arith_env.h"

#include "envs/arith_checker.h"

namespace arbor::envs {

ArithEnv::ArithEnv(std::string id, ArithOptions options) : base_options_(std::move(options)) {
  spec_.id = std::move(id);
}

StatusOr<ResetResult> ArithEnv::reset(std::optional<std::uint64_t> seed, const Json& options) {
  ArithOptions o = base_options_;
  if (options.is_object()) {
    if (options.contains("difficulty")) {
      ARBOR_ASSIGN_OR_RETURN(std::string d,
                             json_get<std::string>(options, "difficulty", spec_.id + " options"));
      ARBOR_ASSIGN_OR_RETURN(o.difficulties, parse_arith_difficulties(d));
    }
    if (options.contains("kinds")) {
      ARBOR_ASSIGN_OR_RETURN(std::string k,
                             json_get<std::string>(options, "kinds", spec_.id + " options"));
      ARBOR_ASSIGN_OR_RETURN(o.kinds, parse_arith_kinds(k));
    }
    if (options.contains("split")) {
      ARBOR_ASSIGN_OR_RETURN(std::string s,
                             json_get<std::string>(options, "split", spec_.id + " options"));
      ARBOR_ASSIGN_OR_RETURN(o.split, parse_arith_split(s));
    }
  }
  ARBOR_ASSIGN_OR_RETURN(ArithGenerator gen, ArithGenerator::create(o));
  if (seed) {
    seed_ = *seed;
    next_index_ = 0;
  }
  std::uint64_t index = next_index_;
  if (options.is_object() && options.contains("index")) {
    ARBOR_ASSIGN_OR_RETURN(std::int64_t i,
                           json_get<std::int64_t>(options, "index", spec_.id + " options"));
    if (i < 0)
      return Status::invalid_argument(spec_.id + " options: index must be >= 0");
    index = static_cast<std::uint64_t>(i);
  }
  next_index_ = index + 1;
  problem_ = gen.generate(seed_, index);
  guard_.start();
  ResetResult r;
  r.observation =
      problem_->question + "\nWrite one step per line (\"a op b = c\") and end with \"Answer: N\".";
  r.info = {{"problem_id", problem_->id()},
            {"difficulty", problem_->difficulty},
            {"numbers", problem_->numbers},
            {kInfoObjective, "Solve the problem."}};
  return r;
}

StatusOr<StepResult> ArithEnv::step(std::string_view action) {
  ARBOR_RETURN_IF_ERROR(guard_.check_running(spec_.id));
  const SolutionVerdict v = check_arith_solution(problem_->numbers, problem_->answer, action);
  StepResult r;
  r.terminated = true;
  r.reward = v.answer_correct ? 1.0 : 0.0;
  r.observation = v.answer_correct ? "Correct." : "Incorrect.";
  r.info = {{"verdict", v.to_json()},
            {"step_score", v.steps.empty() ? 0.0
                                           : static_cast<double>(v.valid_steps) /
                                                 static_cast<double>(v.steps.size())},
            {kInfoWon, v.answer_correct},
            {kInfoLost, !v.answer_correct},
            {kInfoScore, v.answer_correct ? 1 : 0},
            {kInfoMaxScore, 1}};
  guard_.finish();
  return r;
}

}  // namespace arbor::envs
