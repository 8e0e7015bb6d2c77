#include "envs/arith.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/strings.h"
#include "envs/arith_checker.h"
#include "envs/arith_expr.h"

namespace arbor::envs {
namespace {

ArithGenerator generator(ArithOptions o = {}) {
  auto g = ArithGenerator::create(std::move(o));
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return std::move(*g);
}

// "a op b = c" with positive integers without leading zeros and single spaces.
bool is_step_line(const std::string& line) {
  const std::vector<std::string> w = split(line, ' ');
  const auto positive = [](const std::string& s) {
    return !s.empty() && s[0] >= '1' && s[0] <= '9' &&
           s.find_first_not_of("0123456789") == std::string::npos;
  };
  return w.size() == 5 && positive(w[0]) && w[1].size() == 1 &&
         std::string("+-*/").find(w[1][0]) != std::string::npos && positive(w[2]) && w[3] == "=" &&
         positive(w[4]);
}

std::string signature(const ArithProblem& p) {
  std::string s;
  for (const ArithStep& st : p.steps) s += st.to_string() + ";";
  return s;
}

TEST(Arith, SameSeedAndIndexGiveTheSameProblem) {
  const ArithGenerator g = generator();
  for (std::uint64_t i = 0; i < 50; ++i) {
    const ArithProblem a = g.generate(11, i);
    const ArithProblem b = g.generate(11, i);
    EXPECT_EQ(a.question, b.question);
    EXPECT_EQ(a.solution(), b.solution());
  }
  // Random access: problem 40 does not depend on having generated 0..39.
  EXPECT_EQ(generator().generate(11, 40).question, g.generate(11, 40).question);
  EXPECT_NE(g.generate(11, 0).question, g.generate(12, 0).question);
}

TEST(Arith, GoldenProblemsAreStable) {
  // The dataset is a contract for trained models: these must not change silently.
  const ArithGenerator g = generator();
  const ArithProblem p = g.generate(1, 0);
  EXPECT_EQ(p.question, "Evaluate 3 * (866 - (579 - 360 * 8 / 5)).");
  EXPECT_EQ(p.solution(),
            "360 * 8 = 2880\n2880 / 5 = 576\n579 - 576 = 3\n866 - 3 = 863\n3 * 863 = 2589\n"
            "Answer: 2589");
  const ArithProblem w = g.generate(1, 7);
  EXPECT_EQ(w.question,
            "Nora collected 89 stamps. She uses 43 stamps. Next she gives 32 stamps "
            "to a friend. How many stamps does Nora have now?");
  EXPECT_EQ(w.solution(), "89 - 43 = 46\n46 - 32 = 14\nAnswer: 14");
}

// Every gold solution has the documented format, passes the step checker, and stays within its
// level's bounds; expressions evaluate to the answer.
TEST(Arith, GoldSolutionsAreValidForEveryDifficultyAndKind) {
  const std::int64_t caps[] = {198, 999, 2000, 5000, 9999, 9999};
  for (int d = 1; d <= 6; ++d) {
    for (ArithKind kind : {ArithKind::kExpr, ArithKind::kWord}) {
      ArithOptions o;
      o.difficulties = {d};
      o.kinds = {kind};
      const ArithGenerator g = generator(o);
      for (std::uint64_t i = 0; i < 300; ++i) {
        const ArithProblem p = g.generate(3, i);
        ASSERT_EQ(p.difficulty, d);
        ASSERT_EQ(static_cast<int>(p.steps.size()), d) << p.question;
        const std::vector<std::string> lines = split(p.solution(), '\n');
        ASSERT_EQ(lines.size(), p.steps.size() + 1);
        for (std::size_t k = 0; k < p.steps.size(); ++k) {
          ASSERT_TRUE(is_step_line(lines[k])) << lines[k];
          const ArithStep& s = p.steps[k];
          EXPECT_GE(s.a, 1);
          EXPECT_GE(s.b, 1);
          EXPECT_GE(s.result, 1) << p.question;
          EXPECT_LE(s.result, caps[d - 1]) << p.question;
          if (s.op == '/') {
            EXPECT_EQ(s.a % s.b, 0);
          }
        }
        EXPECT_EQ(lines.back(), "Answer: " + std::to_string(p.answer));
        EXPECT_EQ(p.answer, p.steps.back().result);
        const SolutionVerdict v = check_arith_solution(p.numbers, p.answer, p.solution());
        ASSERT_TRUE(v.all_valid()) << p.question << "\n"
                                   << p.solution() << "\n"
                                   << v.to_json().dump();
        // Every number of the problem is written in the question, except the factors that
        // words carry ("doubles", "triples").
        for (std::int64_t n : p.numbers) {
          const bool implied = kind == ArithKind::kWord && (n == 2 || n == 3);
          if (!implied) {
            EXPECT_NE(p.question.find(std::to_string(n)), std::string::npos)
                << n << " in " << p.question;
          }
        }
        if (kind == ArithKind::kExpr) {
          // The question's expression, parsed back, has the same value.
          std::string expr = p.question.substr(p.question.find_first_of("0123456789("));
          expr.pop_back();  // '?' or '.'

          auto e = parse_arith(expr);
          ASSERT_TRUE(e.ok()) << expr;
          auto value = eval_arith(**e);
          ASSERT_TRUE(value.ok());
          EXPECT_EQ(*value, Rational(p.answer)) << expr;
          EXPECT_EQ(arith_op_count(**e), d);
        }
      }
    }
  }
}

TEST(Arith, MixesOperationsAndKinds) {
  const ArithGenerator g = generator();
  std::set<char> ops;
  int words = 0, exprs = 0;
  std::set<int> levels;
  for (std::uint64_t i = 0; i < 600; ++i) {
    const ArithProblem p = g.generate(5, i);
    for (const ArithStep& s : p.steps) ops.insert(s.op);
    (p.kind == ArithKind::kWord ? words : exprs) += 1;
    levels.insert(p.difficulty);
  }
  EXPECT_EQ(ops, (std::set<char>{'+', '-', '*', '/'}));
  EXPECT_GT(words, 200);
  EXPECT_GT(exprs, 200);
  EXPECT_EQ(levels.size(), 6u);
}

TEST(Arith, TrainAndTestSplitsAreDisjointAcrossSeeds) {
  ArithOptions train;
  train.split = ArithSplit::kTrain;
  train.difficulties = {1, 2};
  ArithOptions test = train;
  test.split = ArithSplit::kTest;
  const ArithGenerator gtrain = generator(train), gtest = generator(test);
  std::set<std::string> train_sigs;
  for (std::uint64_t i = 0; i < 4000; ++i) {
    const ArithProblem p = gtrain.generate(1, i);
    EXPECT_FALSE(p.heldout);
    train_sigs.insert(signature(p));
  }
  int test_count = 0;
  for (std::uint64_t seed : {2u, 3u}) {
    for (std::uint64_t i = 0; i < 1000; ++i) {
      const ArithProblem p = gtest.generate(seed, i);
      EXPECT_TRUE(p.heldout);
      EXPECT_EQ(train_sigs.count(signature(p)), 0u) << p.question;
      ++test_count;
    }
  }
  EXPECT_EQ(test_count, 2000);
  // Unfiltered generation puts about heldout_permille of problems in the test split.
  const ArithGenerator all = generator();
  int held = 0;
  for (std::uint64_t i = 0; i < 5000; ++i) held += all.generate(9, i).heldout ? 1 : 0;
  EXPECT_GT(held, 350);
  EXPECT_LT(held, 650);
}

TEST(Arith, ParsesDifficultiesKindsSplits) {
  EXPECT_EQ(*parse_arith_difficulties("easy"), (std::vector<int>{1, 2}));
  EXPECT_EQ(*parse_arith_difficulties("hard,1"), (std::vector<int>{1, 5, 6}));
  EXPECT_EQ(*parse_arith_difficulties("2-4"), (std::vector<int>{2, 3, 4}));
  EXPECT_FALSE(parse_arith_difficulties("7").ok());
  EXPECT_FALSE(parse_arith_difficulties("extreme").ok());
  EXPECT_EQ(*parse_arith_kinds("word"), std::vector<ArithKind>{ArithKind::kWord});
  EXPECT_FALSE(parse_arith_kinds("story").ok());
  EXPECT_EQ(*parse_arith_split("test"), ArithSplit::kTest);
  EXPECT_FALSE(parse_arith_split("dev").ok());
  ArithOptions bad;
  bad.difficulties = {0};
  EXPECT_FALSE(ArithGenerator::create(bad).ok());
}

TEST(ArithChecker, FlagsWrongArithmeticAndUngroundedNumbers) {
  // Mia has 37 apples, buys 48 more, gives 25 away.
  const std::vector<std::int64_t> numbers = {37, 48, 25};
  SolutionVerdict v = check_arith_solution(numbers, 60, "37 + 48 = 85\n85 - 25 = 60\nAnswer: 60");
  EXPECT_TRUE(v.all_valid());
  EXPECT_EQ(v.valid_steps, 2);

  v = check_arith_solution(numbers, 60, "37 + 48 = 86\n86 - 25 = 61\nAnswer: 61");
  ASSERT_EQ(v.steps.size(), 2u);
  EXPECT_FALSE(v.steps[0].correct);  // 37 + 48 is not 86
  EXPECT_TRUE(v.steps[0].grounded);
  EXPECT_TRUE(v.steps[1].correct);   // right arithmetic on the carried error
  EXPECT_TRUE(v.steps[1].grounded);  // 86 is an earlier result
  EXPECT_FALSE(v.answer_correct);
  EXPECT_TRUE(v.follows);
  EXPECT_FALSE(v.all_valid());

  v = check_arith_solution(numbers, 60, "37 + 48 = 85\n85 - 24 = 61\n61 - 1 = 60\nAnswer: 60");
  EXPECT_TRUE(v.steps[1].correct);
  EXPECT_FALSE(v.steps[1].grounded);  // 24 is not in the problem
  EXPECT_EQ(v.steps[1].ungrounded, std::vector<std::string>{"24"});
  EXPECT_FALSE(v.steps[2].grounded);  // nor is 1
  EXPECT_TRUE(v.answer_correct);
  EXPECT_FALSE(v.all_valid());
}

TEST(ArithChecker, AcceptsChainsLabelsAndUnicodeOperators) {
  const std::vector<std::int64_t> numbers = {37, 48, 25, 3};
  SolutionVerdict v = check_arith_solution(
      numbers, 180, "Step 1: 37 + 48 - 25 = 85 - 25 = 60\nStep 2: 60 × 3 = 180.\nAnswer: 180");
  ASSERT_EQ(v.steps.size(), 2u);
  EXPECT_TRUE(v.steps[0].valid()) << v.to_json().dump();
  EXPECT_TRUE(v.steps[1].valid()) << v.to_json().dump();
  EXPECT_TRUE(v.all_valid());
}

TEST(ArithChecker, HandlesNoStepsGarbageAndMissingAnswers) {
  SolutionVerdict v = check_arith_solution({2, 3}, 5, "The answer is 5.");
  EXPECT_TRUE(v.steps.empty());
  EXPECT_TRUE(v.answer_correct);
  EXPECT_FALSE(v.all_valid());  // no steps shown
  v = check_arith_solution({2, 3}, 5, "2 + = 5\nAnswer:");
  ASSERT_EQ(v.steps.size(), 1u);
  EXPECT_FALSE(v.steps[0].parsed);
  v = check_arith_solution({6, 0}, 1, "6 / 0 = 1\nAnswer: 1");
  ASSERT_EQ(v.steps.size(), 1u);
  EXPECT_FALSE(v.steps[0].valid());
}

TEST(ArithChecker, NumbersInText) {
  EXPECT_EQ(numbers_in_text("Tom has 1,250 coins and doubles them, then buys 3.5 kg."),
            (std::vector<std::int64_t>{1250, 2}));
  EXPECT_EQ(numbers_in_text("a dozen eggs"), std::vector<std::int64_t>{12});
}

}  // namespace
}  // namespace arbor::envs
