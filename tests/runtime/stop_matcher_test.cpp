#include "runtime/stop_matcher.h"

#include <gtest/gtest.h>

namespace arbor::runtime {
namespace {

TEST(StopMatcherTest, FindsStopsSpanningTokens) {
  StopMatcher m({"\n\n", "Answer:"});
  EXPECT_FALSE(m.append("12 + 3"));
  EXPECT_FALSE(m.append(" = 15\n"));
  EXPECT_FALSE(m.append("Ans"));
  EXPECT_TRUE(m.append("wer: 15"));
  EXPECT_EQ(m.text(), "12 + 3 = 15\n");
  EXPECT_EQ(*m.matched(), "Answer:");
}

TEST(StopMatcherTest, EarliestStopWinsAndEmptyStopsAreIgnored) {
  StopMatcher m({"", "b", "abc"});
  EXPECT_TRUE(m.append("xxabc"));  // "abc" starts before "b"
  EXPECT_EQ(m.text(), "xx");
  EXPECT_EQ(*m.matched(), "abc");
  StopMatcher none({});
  EXPECT_FALSE(none.append("anything"));
  EXPECT_EQ(none.text(), "anything");
  EXPECT_FALSE(none.matched().has_value());
}

}  // namespace
}  // namespace arbor::runtime
