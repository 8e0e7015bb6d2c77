// Prompts: the templates every algorithm and model judge renders, with defaults in the formats
// the embedded arithmetic model is trained on (docs/model_formats.md). A config overrides any
// of them ("prompts": {...}); placeholders are {question}, {candidate}, {a}, {b}; "{{" and
// "}}" write braces.
//
// Thread safety: a value.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::search {

struct Prompts {
  // 1. Solve: a solution (step lines, then "Answer: N") follows. Steps end at the delimiter.
  std::string solve = "Problem: {question}\nSolution:\n";
  std::string step_delimiter = "\n";
  // 2. Critique and refine (MCTSr, SETS): the critique is one line, then `refine` follows it.
  std::string critique = "Problem: {question}\nCandidate:\n{candidate}\nCritique:";
  std::string refine = "Refined:\n";
  // 3. Verify (model as judge): P(verdict_yes) / (P(verdict_yes) + P(verdict_no)).
  std::string verify = "Problem: {question}\nCandidate:\n{candidate}\nVerdict:";
  std::string verdict_yes = " correct";
  std::string verdict_no = " incorrect";
  // A sampled score in [-100, 100] (MCTSr's self-reward prompt): the last number of the reply.
  std::string score = "Problem: {question}\nCandidate:\n{candidate}\nScore:";
  // Tree of Thoughts value prompt and its labels (a label's word -> its value). The embedded
  // model knows the two verdicts of the verify format, so by default a sure state is one
  // judged correct and an impossible one one judged incorrect; a model trained on a three-way
  // value prompt sets {"sure": 20, "likely": 1, "impossible": 0.001}.
  std::string value = "Problem: {question}\nCandidate:\n{candidate}\nVerdict:";
  std::vector<std::pair<std::string, double>> value_labels = {{" correct", 20.0},
                                                              {" incorrect", 0.001}};
  // Pairwise preference: P(pairwise_a) / (P(pairwise_a) + P(pairwise_b)).
  std::string pairwise = "Problem: {question}\nSolution A:\n{a}\nSolution B:\n{b}\nBetter:";
  std::string pairwise_a = " A";
  std::string pairwise_b = " B";
  // MCTSr's dummy root answers (one is drawn from the seed).
  std::vector<std::string> dummy_answers = {"I don't know.", "I can't understand this question.",
                                            "I don't know how to solve this question.",
                                            "I don't know the answer to this question."};

  // The defaults with the fields of `j` replaced. Unknown fields, wrong types and templates
  // with placeholders they cannot use are errors naming `where` and the field.
  static StatusOr<Prompts> from_json(const Json& j, std::string_view where);
  Json to_json() const;
};

using TemplateVars = std::map<std::string, std::string, std::less<>>;

// Replaces each {name} with vars[name]; "{{" and "}}" become braces. A name missing from
// `vars` is left as written (templates are checked when they are loaded).
std::string render(std::string_view tmpl, const TemplateVars& vars);

// OK when every placeholder of `tmpl` is in `allowed` and the braces balance.
Status check_template(std::string_view tmpl, const std::vector<std::string>& allowed,
                      std::string_view where);

// A candidate solution as templates show it: trailing newlines dropped.
std::string candidate_text(std::string_view solution);

}  // namespace arbor::search
