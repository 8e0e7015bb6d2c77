// SearchRun: one problem's search - the metered model, the tree, the prompts, the answer rules,
// the evaluator, the budget and the seed - and SearchResult, what it returns.
//
// The gold answer is not part of a Problem: a search cannot use it to select. Correctness is
// scored after the search by score_result() with a function the caller passes: the chosen
// answer's correctness and pass@k (whether any answer the search produced is correct) are
// reported separately.
//
// Thread safety: a SearchRun and everything it holds run on one strand (or a single-threaded
// io_context): the algorithm's coroutines and those it spawns with when_all share its state
// without locks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/task.h"
#include "search/answers.h"
#include "search/budget.h"
#include "search/prompts.h"
#include "search/tree.h"

namespace arbor::search {

class Evaluator;

struct Problem {
  std::string id;
  std::string question;
};

struct RunOptions {
  Prompts prompts;
  AnswerRules answers;  // REQUIRES: answers.extract set
  Budget budget;
  std::uint64_t seed = 0;
  const Evaluator* evaluator = nullptr;  // not owned; algorithms that need one refuse null
};

struct AnswerRecord {
  NodeId node = kNoNode;
  std::string answer;
  std::string key;
  std::string source;  // "node", or "rollout" for an answer reached by a rollout from `node`
};

struct SearchResult {
  std::string problem_id;
  std::string algorithm;
  Json config;                        // the algorithm's resolved config
  std::optional<std::string> answer;  // the chosen answer (none when nothing was answered)
  NodeId chosen = kNoNode;
  std::vector<AnswerRecord> candidates;  // every answer the search produced, in node order
  Usage usage;
  StopReason stop = StopReason::kDone;
  Tree tree;  // model contexts released

  // {problem_id, algorithm, config, answer, chosen, candidates, usage, stop, tree?}
  Json to_json(bool with_tree) const;
};

// Whether an answer is correct (the caller's grader; it may know the gold answer).
using CorrectFn = std::function<bool(std::string_view answer)>;

struct ResultScore {
  bool correct = false;    // the chosen answer is correct
  bool pass_at_k = false;  // some candidate is correct
  std::int32_t k = 0;      // the number of candidates
};
ResultScore score_result(const SearchResult& result, const CorrectFn& is_correct);

class SearchRun {
 public:
  // `lm` and options.evaluator must outlive the run. The budget's clock starts now.
  SearchRun(LanguageModel& lm, Problem problem, RunOptions options);
  SearchRun(const SearchRun&) = delete;
  SearchRun& operator=(const SearchRun&) = delete;

  // Creates the root node (the solve prompt and its context). Called once, before searching.
  Task<Status> start();

  MeteredModel& lm() { return lm_; }
  const Problem& problem() const { return problem_; }
  const Prompts& prompts() const { return options_.prompts; }
  const AnswerRules& answers() const { return options_.answers; }
  const Evaluator* evaluator() const { return options_.evaluator; }
  Tree& tree() { return tree_; }
  const Tree& tree() const { return tree_; }
  // The stream of one request (see seeds.h): a function of the run's seed, the request's
  // purpose and up to two numbers that place it (a node id, an index).
  std::uint64_t seed(std::uint64_t purpose, std::uint64_t a = 0, std::uint64_t b = 0) const;

  // Checked by algorithms before each round: true once a budget limit is reached, or when
  // fewer tokens are left under the token limit than half of what the next round is expected
  // to generate (so that, on average, usage lands on the limit rather than a round past it).
  // The expectation is `next_round_tokens`, or by default the tokens generated since the
  // previous call (the last round). The first reason seen becomes the result's stop reason.
  bool should_stop(double next_round_tokens = -1);

  // The final answer in node `id`'s solution (tree().solution(id)), if any.
  std::optional<std::string> extract(NodeId id) const;

  // A context holding `tmpl` rendered with `vars` ({question} is added). When the template
  // holds {split}, the text before it is started once per run and cached, and the rest
  // extends it, so prompts about many candidates share the question's state.
  Task<StatusOr<ContextPtr>> prompt_context(std::string tmpl, TemplateVars vars, std::string split);
  // The context of `solution` in the solve format (the root's context extended), for value
  // heads; a complete solution gets the step delimiter appended when it lacks one.
  Task<StatusOr<ContextPtr>> solve_context(std::string solution, bool partial);

  // Records the chosen node; its extracted answer becomes the result's answer, unless `answer`
  // is given (an answer a rollout from the node reached).
  void choose(NodeId node, std::optional<std::string> answer = std::nullopt) {
    chosen_ = node;
    chosen_answer_ = std::move(answer);
  }
  NodeId chosen() const { return chosen_; }

  // Ends the run: releases the model contexts and collects the answers and usage.
  SearchResult finish(std::string algorithm, Json config);

 private:
  MeteredModel lm_;
  Problem problem_;
  RunOptions options_;
  Tree tree_;
  NodeId chosen_ = kNoNode;
  std::optional<std::string> chosen_answer_;
  std::optional<StopReason> stop_;
  std::int64_t tokens_at_last_check_ = 0;
  std::map<std::string, ContextPtr> prefixes_;
};

}  // namespace arbor::search
