#include "core/json.h"

#include <gtest/gtest.h>

namespace arbor {
namespace {

TEST(JsonTest, GetsTypedFields) {
  Json j = Json::parse(R"({"a": 3, "b": 2.5, "c": "x", "d": true, "e": 4.0, "n": null})");
  EXPECT_EQ(*json_get<int>(j, "a", "f.json"), 3);
  EXPECT_DOUBLE_EQ(*json_get<double>(j, "b", "f.json"), 2.5);
  EXPECT_EQ(*json_get<std::string>(j, "c", "f.json"), "x");
  EXPECT_TRUE(*json_get<bool>(j, "d", "f.json"));
  EXPECT_EQ(*json_get<int>(j, "e", "f.json"), 4);  // integral float accepted
  EXPECT_EQ(*json_get_or<int>(j, "n", "f.json", 9), 9);
  EXPECT_EQ(*json_get_or<int>(j, "zz", "f.json", 8), 8);
}

TEST(JsonTest, ErrorsNameFileAndField) {
  Json j = Json::parse(R"({"a": "three", "b": 2.5})");
  auto missing = json_get<int>(j, "state_size", "config.json");
  EXPECT_EQ(missing.status().message(), "config.json: field 'state_size' is missing");
  auto wrong = json_get<int>(j, "a", "config.json");
  EXPECT_EQ(wrong.status().message(),
            "config.json: field 'a' has type string, expected an integer");
  EXPECT_FALSE(json_get<int>(j, "b", "config.json").ok());  // 2.5 is not an integer
}

TEST(JsonTest, MalformedTextNamesFile) {
  auto r = parse_json("{\"a\": ", "tokenizer.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tokenizer.json: malformed JSON"), std::string::npos);
}

}  // namespace
}  // namespace arbor
