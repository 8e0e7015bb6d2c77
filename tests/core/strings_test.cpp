#include "core/strings.h"

#include <gtest/gtest.h>

namespace arbor {
namespace {

TEST(StringsTest, ParsesIntLists) {
  auto v = parse_int_list("5,17, 42", "--ids");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<std::int64_t>{5, 17, 42}));
  auto bad = parse_int_list("5,x", "--ids");
  EXPECT_EQ(bad.status().message(), "--ids: 'x' is not an integer");
  EXPECT_FALSE(parse_int_list("", "--ids").ok());
  EXPECT_FALSE(parse_int_list("5,,6", "--ids").ok());
}

TEST(StringsTest, SplitTrimAffixes) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_TRUE(starts_with("--model", "--"));
  EXPECT_TRUE(ends_with("a.json", ".json"));
  EXPECT_FALSE(ends_with("a", ".json"));
}

TEST(StringsTest, ParsesDoubles) {
  EXPECT_DOUBLE_EQ(*parse_double("0.25", "--top-p"), 0.25);
  EXPECT_FALSE(parse_double("abc", "--top-p").ok());
  EXPECT_FALSE(parse_double("1.0x", "--top-p").ok());
}

TEST(StringsTest, NearestNameByEditDistance) {
  const std::vector<std::string> names = {"search", "sample", "generate"};
  EXPECT_EQ(nearest_name("serach", names), "search");  // two edits
  EXPECT_EQ(nearest_name("sampel", names), "sample");
  EXPECT_EQ(nearest_name("generat", names), "generate");
  EXPECT_EQ(nearest_name("xyz", names), "");  // nothing close
  EXPECT_EQ(nearest_name("search", {}), "");
}

}  // namespace
}  // namespace arbor
