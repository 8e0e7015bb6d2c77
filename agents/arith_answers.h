// The answer rules of the arith dataset (docs/envs.md): a solution ends with the line
// "Answer: N"; answers are compared as integers. These are agents/' local rules behind the
// search::AnswerRules seam; envs/' extraction and graders plug into the same functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "search/answers.h"

namespace arbor::agents {

// The text after "Answer:" on the last line that starts with it (markdown "**" and a
// trailing period dropped), an integer written canonically ("+012" and "1,234" give "12" and
// "1234"); other text is returned trimmed. nullopt when no line holds an answer.
std::optional<std::string> extract_arith_answer(std::string_view solution);

// The canonical integer of `answer`, or the trimmed text when it is not an integer.
std::string arith_vote_key(std::string_view answer);

// Exact integer match of the extracted answer and the gold answer.
bool arith_answer_correct(std::string_view answer, std::string_view gold);

// extract_arith_answer and arith_vote_key.
search::AnswerRules arith_answer_rules();

}  // namespace arbor::agents
