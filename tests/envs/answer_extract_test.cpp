#include "envs/answer_extract.h"

#include <gtest/gtest.h>

namespace arbor::envs {
namespace {

void expect_extract(std::string_view text, GradeMode mode, std::string_view answer,
                    std::string_view rule) {
  const Extraction e = extract_answer(text, mode);
  EXPECT_EQ(e.answer, answer) << "text: " << text;
  EXPECT_EQ(e.rule, rule) << "text: " << text;
}

TEST(AnswerExtract, Gsm8kMarker) {
  expect_extract("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n#### 18",
                 GradeMode::kGsm8k, "18", "gsm8k_marker");
  expect_extract("so 200,000-130,000=$70,000\n#### 70,000", GradeMode::kGsm8k, "70000",
                 "gsm8k_marker");
  expect_extract("#### -3", GradeMode::kGsm8k, "-3", "gsm8k_marker");
}

TEST(AnswerExtract, BoxedWithNestedBraces) {
  expect_extract("Thus $x = \\boxed{\\frac{1}{2}}$.", GradeMode::kPrm800k, "\\frac{1}{2}", "boxed");
  expect_extract("first \\boxed{1} then \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.",
                 GradeMode::kHendrycks, "\\left( 3, \\frac{\\pi}{2} \\right)", "boxed");
  expect_extract("$\\boxed 5$", GradeMode::kLenient, "5", "boxed");
  expect_extract("the area is \\fbox{12}", GradeMode::kPrm800k, "12", "fbox");
  expect_extract("\\boxed{\\{1,2\\}}", GradeMode::kPrm800k, "\\{1,2\\}", "boxed");
}

TEST(AnswerExtract, UnbalancedBoxIsNotAnAnswer) {
  // A truncated box falls through to the later rules rather than returning half an answer.
  const Extraction e = extract_answer("so the answer is \\boxed{\\frac{1}{", GradeMode::kPrm800k);
  EXPECT_NE(e.rule, "boxed");
}

TEST(AnswerExtract, AnswerIsPhrase) {
  expect_extract("Adding them up, the answer is 42.", GradeMode::kPrm800k, "42", "answer_is");
  expect_extract("Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.",
                 GradeMode::kPrm800k, "\\frac{3}{4}", "answer_is");
  expect_extract("The answer is 1,234 apples.", GradeMode::kGsm8k, "1234", "answer_is");
  expect_extract("The answer is: 3.5", GradeMode::kGsm8k, "3.5", "answer_is");
}

TEST(AnswerExtract, AnswerLine) {
  expect_extract("37 + 48 = 85\n85 - 25 = 60\nAnswer: 60", GradeMode::kGsm8k, "60", "answer_line");
  expect_extract("work\n**Final Answer:** $7$", GradeMode::kPrm800k, "7", "answer_line");
  expect_extract("Answer: 1\nmore thinking\nAnswer: 2", GradeMode::kGsm8k, "2", "answer_line");
}

TEST(AnswerExtract, LastNumberFallback) {
  expect_extract("First 12 then 7, finally 1,500 or so", GradeMode::kGsm8k, "1500", "last_number");
  expect_extract("about -4.5 degrees", GradeMode::kLenient, "-4.5", "last_number");
  expect_extract("no digits here", GradeMode::kGsm8k, "", "none");
}

TEST(AnswerExtract, ModePriority) {
  const char* text = "\\boxed{7}\n#### 8";
  expect_extract(text, GradeMode::kGsm8k, "8", "gsm8k_marker");
  expect_extract(text, GradeMode::kPrm800k, "7", "boxed");
}

TEST(AnswerExtract, CleanNumber) {
  EXPECT_EQ(clean_number("$1,234.00"), "1234.00");
  EXPECT_EQ(clean_number("-5."), "-5");
  EXPECT_EQ(clean_number(" 18 dollars"), "18");
  EXPECT_EQ(clean_number(".5"), ".5");
  EXPECT_EQ(clean_number("none"), "none");
}

TEST(AnswerExtract, ParseModes) {
  EXPECT_EQ(*parse_grade_mode("prm800k"), GradeMode::kPrm800k);
  EXPECT_EQ(*parse_grade_mode("gsm8k"), GradeMode::kGsm8k);
  const auto bad = parse_grade_mode("exact");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("lenient"), std::string::npos);
}

}  // namespace
}  // namespace arbor::envs
