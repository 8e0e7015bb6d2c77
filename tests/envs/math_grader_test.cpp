#include "envs/math_grader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "envs/datasets.h"

namespace arbor::envs {
namespace {

struct Case {
  const char* gold;
  const char* pred;
  bool expected;
};

void expect_cases(GradeMode mode, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    const Grade g = grade_answer(c.gold, c.pred, mode);
    EXPECT_EQ(g.correct, c.expected)
        << grade_mode_name(mode) << ": gold '" << c.gold << "' pred '" << c.pred
        << "' normalised to '" << g.gold_norm << "' / '" << g.pred_norm << "'";
  }
}

// Input/verdict pairs from the unit tests of Hendrycks et al.'s MATH grader
// (github.com/hendrycks/math, modeling/math_equivalence_test.py, MIT). Strings are written as
// the Python literals evaluate (a Python "\\\\frac" is the two characters \\ then frac).
TEST(MathGraderHendrycks, ReferenceTestCases) {
  expect_cases(GradeMode::kHendrycks,
               {
                   {"\\tfrac{1}{2} + \\frac1{72}", "\\\\frac{1}{2} + 2/3", false},  // fractions
                   {"10, 4, -2", "4, 10, -2", false},                               // order
                   {"10, 4, 2", "4, 12, 2", false},                                 // order2
                   {"\\tfrac{1}{2} +\\! \\frac1{72}", "\\\\dfrac{1}{2} +\\frac{1}{72}", true},
                   {"10\\text{ units}", "10 ", true},                             // units
                   {"10\\text{ units}", "100 ", false},                           // units2
                   {"10", "\\$10", true},                                         // dollars
                   {"\\left(x-2\\right)\\left(x+2\\right)", "(x-2)(x+2)", true},  // parentheses
                   {"0.1, 4, 2", "4, .1, 2", false},                              // decimals
                   {"0.1", ".1", true},                                           // decimals2
                   {"10\\%", "10", true},                                         // percentage
                   {"10\\sqrt{3} + \\sqrt4", "10\\sqrt3 + \\sqrt{4}", true},      // sqrt
                   {"\\frac34i", "\\frac{3}{4}i", true},                          // frac
                   {"\\tfrac83", "\\frac{8}{3}", true},                           // tfrac
                   {"5x - 7y + 11z + 4 = 0", "x + y - z + 2 = 0", false},         // expression
                   {"1/2", "\\frac{1}{2}", true},                                 // half
               });
}

TEST(MathGraderHendrycks, StringOnlyNoArithmetic) {
  // is_equiv never evaluates: equal values written differently are different answers.
  expect_cases(GradeMode::kHendrycks, {{"\\frac{1}{2}", "0.5", true},  // the one literal rule
                                       {"\\frac{2}{4}", "\\frac{1}{2}", false},
                                       {"1.50", "1.5", false},
                                       {"k = 7", "7", true},
                                       {"90^\\circ", "90", true}});
}

// The verdicts that define the PRM800K grader (github.com/openai/prm800k,
// prm800k/grading/grader.py, MIT): its documented rules, one case each.
TEST(MathGraderPrm800k, ReferenceRules) {
  expect_cases(GradeMode::kPrm800k,
               {
                   {"\\frac{1}{2}", "\\dfrac{1}{2}", true},  // mathd normaliser first
                   {"\\frac{1}{2}", "1/2", true},
                   {"\\frac{2}{4}", "\\frac{1}{2}", false},  // unreduced fractions are wrong
                   {"\\frac{1}{2}", "0.5", true},
                   {"5", "5.0", true},                  // integer-valued floats
                   {"5", "\\frac{10}{2}", false},       // an integer needs a plain match
                   {"\\text{Evelyn}", "evelyn", true},  // \text{} and case
                   {"10\\%", "10", true},               // percent dropped
                   {"\\$1,000", "1000", true},          // dollars, thousands commas
                   {"1,000,000", "1000000", true},
                   {"(1,2)", "(1, 2)", true},  // tuples element-wise
                   {"(1,2)", "(2,1)", false},
                   {"(1,2)", "[1,2]", false},  // brackets must match
                   {"[0,1)", "[0,1)", true},
                   {"(3,\\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", true},
                   {"2\\sqrt{2}", "\\sqrt{8}", true},  // sympy-equal radicals
                   {"\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", true},
                   {"x^2+2x+1", "(x+1)^2", true},  // polynomials
                   {"x+y", "y+x", true},
                   {"2\\pi", "6.28", false},           // exact, not approximate
                   {"7\\frac{3}{4}", "31/4", true},    // mixed numbers
                   {"30^\\circ", "30 degrees", true},  // degrees and units
                   {"5\\text{ cm}", "5", true},
                   // An integer gold needs a plain integer: the reference rejects "3 million".
                   {"3\\text{ million}", "3000000", false},
                   {"", "5", false},
                   {"5", "", false},
                   {"a+b+c", "c+b+a", false},  // three letters: not evaluated
               });
}

// Cases from the test-case list of Qwen2.5-Math's grader (github.com/QwenLM/Qwen2.5-Math,
// evaluation/grader.py, `_test_math_equal`, Apache-2.0), verdicts as its math_equal gives them.
TEST(MathGraderLenient, QwenCases) {
  expect_cases(GradeMode::kLenient, {
                                        {"1/12", "\\frac{1}{12}", true},
                                        {"(1,\\frac{9}{2})", "(1,4.5)", true},
                                        {"\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", true},
                                        {"\\frac{11}{2}", "5.51", false},
                                        {"16", "$16.0$", true},
                                        {"(-1.732, 1.732)", "(-\\sqrt{3},\\sqrt{3})", true},
                                        {"6+9.2i", "(6.0+9.1i)", false},
                                        {"(1.0,4.5)", "(1,\\frac{9}{2})", true},
                                        {"3*s**2", "3s^2", true},
                                        {"2*x*(15*x**2 - 4*x + 10)", "2x(15x^2-4x+10)", true},
                                        {"7(x+3)(x-3)", "7*(x - 3)*(x + 3)", true},
                                    });
}

// Cases from Math-Verify's tests (github.com/huggingface/Math-Verify, tests/test_all.py, MIT),
// on already-extracted answers; verdicts as in those tests.
TEST(MathGraderLenient, MathVerifyCases) {
  expect_cases(GradeMode::kLenient,
               {
                   {"-5", "-5", true},
                   {"7425000", "7,425,000", true},
                   {"1000", "1000.0", true},
                   {"1000.99", "1,000.99", true},
                   {"1000.99", "$1,000.99", true},
                   {"0.4", ".4", true},
                   {"10/9", "\\frac{10}{9}", true},
                   {"-10/9", "-\\frac{10}{9}", true},
                   {"[0,1)", "[0,1)", true},
                   {"[0,9)", "[0,1)", false},
                   {"(0,9)", "[0,9)", false},
                   {"1/3", "\\frac13", true},
                   {"1", "\\frac3{3}", true},
                   {"\\sqrt{3}", "\\sqrt3", true},
                   {"1/3", "\\cfrac{1}{3}", true},
                   {"1/3", "\\left( \\frac{1}{3} \\right)", true},
                   {"1/3", "\\boxed{\\frac{1}{3}}", true},
                   {"1/3", "\\frac{1}{3} \\text{meters}", true},
                   {"1/3", "k = \\frac{1}{3}", true},
                   {"28\\%", "28", true},
                   {"28\\%", "28 percent", true},
                   {"0.28", "28", false},
                   {"28/100", "28", false},
                   {"28", "28/100", false},
                   {"-2,1", "1,-2", true},
                   {"\\{1\\pm\\sqrt{5},-2\\}", "\\{-2,1\\pm\\sqrt{5}\\}", true},
                   {"x \\geq 5", "x >= 5", true},
                   {"x > 5", "x < 5", false},
                   {"x \\leq 5", "5 \\geq x", true},
                   {"x = 11", "x = 5+5+1 = 7 = 11", true},
                   {"11", "x=11", true},
                   {"2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", true},
                   {"x^2/4 + y^2/3 = 1", "x^2/16 + y^2/12 = 1/4", true},
                   {"\\frac{1}{12}", "0.0833333333333333", true},
                   {"\\text{Evelyn}", "\\text{Evelyn}", true},
                   {"3\\sqrt{13}", "\\sqrt{117}", true},
                   {"\\frac{9}{4}\\pi", "\\frac94\\pi", true},
                   {"2", "AZYUK2A", false},
               });
}

TEST(MathGraderLenient, AtLeastAsLenientAsPrm800k) {
  const Case cases[] = {{"\\frac{1}{2}", "0.5", true},
                        {"(1,2)", "(1, 2)", true},
                        {"x^2+2x+1", "(x+1)^2", true},
                        {"10\\%", "10", true}};
  for (const Case& c : cases) {
    EXPECT_TRUE(grade_answer(c.gold, c.pred, GradeMode::kPrm800k).correct) << c.pred;
    EXPECT_TRUE(grade_answer(c.gold, c.pred, GradeMode::kLenient).correct) << c.pred;
  }
  // ... and more lenient where prm800k is strict on purpose.
  EXPECT_FALSE(grade_answer("5", "\\frac{10}{2}", GradeMode::kPrm800k).correct);
  EXPECT_TRUE(grade_answer("5", "\\frac{10}{2}", GradeMode::kLenient).correct);
  EXPECT_FALSE(grade_answer("\\frac{1}{3}", "0.33333", GradeMode::kPrm800k).correct);
  EXPECT_TRUE(grade_answer("\\frac{1}{3}", "0.33333", GradeMode::kLenient).correct);
  EXPECT_FALSE(grade_answer("\\frac{1}{3}", "0.33", GradeMode::kLenient).correct);
}

TEST(MathGraderGsm8k, NumbersCompareExactly) {
  expect_cases(GradeMode::kGsm8k, {{"18", "18", true},
                                   {"2,125", "2125", true},
                                   {"2125", "$2,125.00", true},
                                   {"70000", "70,000.", true},
                                   {"-3", "-3", true},
                                   {"18", "19", false},
                                   {"18", "18.5", false},
                                   {"18", "", false},
                                   {"5", "five", false}});
  // A whole GSM8K solution as gold is reduced to its final answer.
  const Grade g =
      grade_answer("He sprints 3*3=<<3*3=9>>9 times\n#### 540", "540", GradeMode::kGsm8k);
  EXPECT_TRUE(g.correct);
  EXPECT_EQ(g.gold_norm, "540");
}

TEST(MathGrader, GradeSolutionExtractsFirst) {
  EXPECT_TRUE(
      grade_solution("\\frac{9}{7}", "so $x = \\boxed{\\dfrac{9}{7}}$.", GradeMode::kPrm800k)
          .correct);
  EXPECT_TRUE(
      grade_solution("60", "37 + 48 = 85\n85 - 25 = 60\nAnswer: 60", GradeMode::kGsm8k).correct);
  EXPECT_FALSE(grade_solution("60", "I do not know.", GradeMode::kGsm8k).correct);
}

TEST(MathGrader, VoteKeysGroupEquivalentAnswers) {
  EXPECT_EQ(answer_vote_key("1,000", GradeMode::kGsm8k),
            answer_vote_key("1000", GradeMode::kGsm8k));
  EXPECT_EQ(answer_vote_key("\\dfrac{1}{2}", GradeMode::kLenient),
            answer_vote_key("0.5", GradeMode::kLenient));
  EXPECT_NE(answer_vote_key("\\frac{1}{3}", GradeMode::kLenient),
            answer_vote_key("0.5", GradeMode::kLenient));
}

// Golden test on real data: every MATH-500 reference answer must be graded equal to the last
// \boxed{} of its own reference solution, and unequal to the answer of another problem.
TEST(MathGraderRealData, Math500AnswersMatchTheirSolutions) {
  auto data = load_math500(ARBOR_SOURCE_DIR "/datasets/math500/test.jsonl");
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  ASSERT_EQ(data->problems.size(), 500u);
  int same = 0;
  std::vector<std::string> failures, accepted_others;
  for (std::size_t i = 0; i < data->problems.size(); ++i) {
    const Problem& p = data->problems[i];
    if (grade_solution(p.answer, p.solution, GradeMode::kPrm800k).correct) {
      ++same;
    } else {
      failures.push_back(p.id + ": '" + p.answer + "'");
    }
    const Problem& other = data->problems[(i + 1) % data->problems.size()];
    if (other.answer != p.answer &&
        grade_answer(p.answer, other.answer, GradeMode::kPrm800k).correct) {
      accepted_others.push_back(p.answer + " ~ " + other.answer);
    }
  }
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(same, 500);
  // Neighbouring problems' answers differ, except one pair the reference also calls equal
  // (a short left-hand side "x=" is dropped).
  EXPECT_EQ(accepted_others, std::vector<std::string>{"5 ~ x=5"});
}

TEST(MathGraderRealData, Gsm8kSolutionsGradeTheirOwnAnswers) {
  auto data = load_gsm8k(ARBOR_SOURCE_DIR "/datasets/gsm8k/test.jsonl");
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  ASSERT_EQ(data->problems.size(), 1319u);
  int ok = 0, wrong_rejected = 0;
  for (const Problem& p : data->problems) {
    if (grade_solution(p.answer, p.solution, GradeMode::kGsm8k).correct)
      ++ok;
    // Off by one is always wrong.
    const auto v = std::stoll(p.answer);
    if (!grade_answer(p.answer, std::to_string(v + 1), GradeMode::kGsm8k).correct) {
      ++wrong_rejected;
    }
  }
  EXPECT_EQ(ok, 1319);
  EXPECT_EQ(wrong_rejected, 1319);
}

}  // namespace
}  // namespace arbor::envs
