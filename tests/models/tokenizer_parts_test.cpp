// The tokenizer's parts on their own: the split behaviors (HF's documented example), the
// Oniguruma-to-PCRE2 regex rewrite, UTF-8 repair and Rust's lowercase.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/internal/pre_tokenizer.h"
#include "models/internal/regex.h"
#include "models/internal/unicode.h"

namespace arbor::models::internal {
namespace {

std::vector<std::string> split_dashes(SplitBehavior behavior, bool invert = false) {
  const std::string text = "the-final--countdown";
  std::vector<Span> spans;
  std::size_t last = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '-') continue;
    if (last < i) spans.push_back({last, i, invert});
    spans.push_back({i, i + 1, !invert});
    last = i + 1;
  }
  spans.push_back({last, text.size(), invert});
  std::vector<std::string> out;
  for (const std::string_view p : split_spans(text, spans, behavior)) out.emplace_back(p);
  return out;
}

using Pieces = std::vector<std::string>;

// The example of HF's NormalizedString::split documentation (without its empty pieces, which
// HF drops before they reach the model).
TEST(SplitSpansTest, EveryBehaviorOnTheDocumentedExample) {
  EXPECT_EQ(split_dashes(SplitBehavior::kRemoved), (Pieces{"the", "final", "countdown"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kIsolated),
            (Pieces{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kMergedWithPrevious),
            (Pieces{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kMergedWithNext),
            (Pieces{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kContiguous),
            (Pieces{"the", "-", "final", "--", "countdown"}));
}

TEST(SplitSpansTest, InvertSwapsWhatIsKept) {
  EXPECT_EQ(split_dashes(SplitBehavior::kRemoved, true), (Pieces{"-", "-", "-"}));
  // Inverted, the words are the matches: each is glued to the dash before it.
  EXPECT_EQ(split_dashes(SplitBehavior::kMergedWithPrevious, true),
            (Pieces{"the", "-final", "-", "-countdown"}));
  // Contiguous glues neighbours with the same flag, so inverting changes nothing here.
  EXPECT_EQ(split_dashes(SplitBehavior::kContiguous, true),
            (Pieces{"the", "-", "final", "--", "countdown"}));
}

std::vector<std::string> pre_tokenize(const char* json, const std::string& text) {
  StatusOr<std::unique_ptr<PreTokenizer>> p = PreTokenizer::from_json(Json::parse(json), "test");
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  std::vector<std::string> words;
  if (p.ok()) (*p)->pre_tokenize(text, &words);
  return words;
}

TEST(PreTokenizerTest, Gpt2RegexTreatsUnicodeWhitespaceAsSpace) {
  // NEL (U+0085) and NBSP are whitespace for Oniguruma's \s, so "\u0085b" is not one word.
  const char* byte_level = R"({"type": "ByteLevel", "add_prefix_space": false})";
  EXPECT_EQ(pre_tokenize(byte_level,
                         "a \xC2\x85"
                         "b"),
            (Pieces{"a", "\xC4\xA0", "\xC3\x82\xC4\xA7", "b"}));
  EXPECT_EQ(pre_tokenize(byte_level, "it's  x"),
            (Pieces{"it", "'s", "\xC4\xA0", "\xC4\xA0x"}));  // "Ġ" is the space byte
}

TEST(PreTokenizerTest, WhitespaceAndDigits) {
  EXPECT_EQ(pre_tokenize(R"({"type": "Whitespace"})", "Hey, you2!  ok"),
            (Pieces{"Hey", ",", "you2", "!", "ok"}));
  EXPECT_EQ(pre_tokenize(R"({"type": "WhitespaceSplit"})",
                         " a\tb\xE3\x80\x80"
                         "c "),
            (Pieces{"a", "b", "c"}));
  EXPECT_EQ(pre_tokenize(R"({"type": "Digits", "individual_digits": false})", "a123b4"),
            (Pieces{"a", "123", "b", "4"}));
  EXPECT_EQ(pre_tokenize(R"({"type": "Digits", "individual_digits": true})", "x12"),
            (Pieces{"x", "1", "2"}));
}

TEST(RegexTest, TranslatesOnigurumaClasses) {
  EXPECT_EQ(*translate_oniguruma(R"(\s+(?!\S))", "t"),
            R"((?m)[\t-\r\x{85}\p{Z}]+(?![^\t-\r\x{85}\p{Z}]))");
  EXPECT_EQ(*translate_oniguruma(R"([^\s\p{L}]\w\h)", "t"),
            R"((?m)[^\t-\r\x{85}\p{Z}\p{L}])"
            R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{B2}\x{B3}\x{B9}\x{BC}-\x{BE}][0-9a-fA-F])");
  EXPECT_EQ(*translate_oniguruma(R"([]\s]\\s)", "t"), R"((?m)[]\t-\r\x{85}\p{Z}]\\s)");
  StatusOr<std::string> negated = translate_oniguruma(R"([\S])", "t");
  EXPECT_EQ(negated.status().code(), StatusCode::kUnimplemented);
}

TEST(RegexTest, IteratesMatchesLikeOniguruma) {
  auto r = Regex::compile("a*", "t");
  ASSERT_TRUE(r.ok());
  // Empty matches are kept except right where the previous match ended.
  std::vector<std::pair<std::size_t, std::size_t>> got;
  for (const MatchRange& m : (*r)->find_all("baab")) got.emplace_back(m.start, m.end);
  EXPECT_EQ(got, (std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}, {1, 3}, {4, 4}}));
}

TEST(UnicodeTest, RepairsInvalidUtf8LikeRust) {
  EXPECT_EQ(to_valid_utf8("a\xF0\x9F\x98"
                          "b"),
            "a\uFFFD"
            "b");                                                  // truncated: one U+FFFD
  EXPECT_EQ(to_valid_utf8("\xC0\x80"), "\uFFFD\uFFFD");            // overlong: one per byte
  EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate
  EXPECT_EQ(to_valid_utf8("\xF4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD");  // > U+10FFFF
  EXPECT_EQ(to_valid_utf8("\xE2\x82x"), "\uFFFDx");
  EXPECT_EQ(to_valid_utf8("ok \xE2\x82\xAC"), "ok \xE2\x82\xAC");
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));
}

TEST(UnicodeTest, LowercaseAndNormalForms) {
  EXPECT_EQ(lowercase("\xC4\xB0stanbul"), "i\xCC\x87stanbul");  // U+0130: full mapping
  EXPECT_EQ(lowercase("\xCE\xA3\xCE\x91\xCE\xA3"), "\xCF\x83\xCE\xB1\xCF\x83");  // no final sigma
  EXPECT_EQ(normalize("e\xCC\x81", NormalForm::kNfc), "\xC3\xA9");
  EXPECT_EQ(normalize("\xC3\xA9", NormalForm::kNfd), "e\xCC\x81");
  EXPECT_EQ(normalize("\xEF\xAC\x81", NormalForm::kNfkc), "fi");
  EXPECT_TRUE(is_numeric(U'\u00BD'));  // No
  EXPECT_TRUE(is_numeric(U'\u216B'));  // Nl
  EXPECT_FALSE(is_numeric(U'x'));
  EXPECT_TRUE(is_white_space(0x85));
  EXPECT_FALSE(is_white_space(0x200B));
}

}  // namespace
}  // namespace arbor::models::internal
