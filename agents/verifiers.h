// Programmatic verifiers for verifier-in-the-loop search (search::Verifier, the "verifier"
// evaluator): environments' checkers, which judge a solution from the problem alone, never
// from a gold answer.
//   arith_steps  the arith step checker (envs/arith_checker.h) with the numbers the question
//                states: 1 when every step is arithmetically right and grounded (its operands
//                come from the problem or from earlier steps) and, for a complete solution, the
//                answer line equals the last step's result; else 0. It checks the arithmetic,
//                not whether the steps model the word problem.
//   game24       the exact Game of 24 checker (envs/game24.h) on the four numbers of the
//                question ("4 4 6 8", or a question that states them): 1 when the solution's
//                last expression uses each number once and makes 24, else 0. A partial
//                solution scores 1 while its step lines are arithmetically right.
//
// Thread safety: pure functions.
#pragma once

#include "search/evaluator.h"

namespace arbor::agents {

search::Verifiers env_verifiers();

}  // namespace arbor::agents
