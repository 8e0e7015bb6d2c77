// Helpers for the search tests: running a coroutine to completion, the arith answer rule
// ("Answer: N" on the last such line) and run options.
#pragma once

#include <exception>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "core/strings.h"
#include "search/algorithm.h"

#include "tests/search/scripted_model.h"

namespace arbor::search::testing {

// Runs `task` on a single-threaded io_context (the threading searches expect).
template <typename T>
T run_task(Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) out = std::move(value);
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

inline std::optional<std::string> answer_line(std::string_view text) {
  std::optional<std::string> found;
  for (const std::string& line : split(text, '\n')) {
    const std::string_view t = trim(line);
    if (starts_with(t, "Answer:")) found = std::string(trim(t.substr(7)));
  }
  return found;
}

inline RunOptions options(std::uint64_t seed = 1, const Evaluator* evaluator = nullptr) {
  RunOptions o;
  o.answers.extract = answer_line;
  o.seed = seed;
  o.evaluator = evaluator;
  return o;
}

inline SearchResult search(LanguageModel& lm, const Json& config, RunOptions o,
                           const std::string& question = "Q") {
  auto algorithm = make_algorithm(config, "test");
  ARBOR_CHECK(algorithm.ok()) << algorithm.status().to_string();
  auto result = run_task(run_search(**algorithm, lm, {"p1", question}, std::move(o)));
  ARBOR_CHECK(result.ok()) << result.status().to_string();
  return std::move(*result);
}

// The solution part of a solve-format context ("Problem: Q\nSolution:\n...").
inline std::string after_solution(const std::string& context) {
  const std::size_t at = context.find("Solution:\n");
  return at == std::string::npos ? std::string() : context.substr(at + 10);
}

// The candidate of a verify/critique-format context.
inline std::string candidate_in(const std::string& context) {
  const std::size_t at = context.find("Candidate:\n");
  if (at == std::string::npos) return {};
  std::string rest = context.substr(at + 11);
  const std::size_t stop = rest.find("\nCritique:");
  const std::size_t stop2 = rest.find("\nVerdict:");
  return rest.substr(0, std::min(stop, stop2));
}

}  // namespace arbor::search::testing
