// The tokenizer.json components of Granite-4.0(-H) checkpoints: no normalizer; pre-tokenizer
// Sequence[Split(the cl100k-style regex, Removed, invert), ByteLevel without prefix space and
// without its own regex]; byte-level BPE; ByteLevel decoder and post-processor; special tokens
// appended after the vocabulary. First a hand-built tokenizer of those components (the regex's
// documented splits, special tokens, round trips), then the encodings that
// tools/hybrid/make_fixtures.py recorded with Hugging Face `tokenizers` for a BPE of the same
// components trained on this repository's text (tests/data/parity_hybrid/tokenizer).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/file.h"
#include "core/json.h"
#include "models/internal/byte_level.h"
#include "models/internal/normalizer.h"
#include "models/internal/pre_tokenizer.h"
#include "models/tokenizer.h"

namespace arbor::models {
namespace {

const std::string kFixtures = ARBOR_SOURCE_DIR "/tests/data/parity_hybrid/tokenizer/";

const char* kGraniteSplit =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

const std::vector<std::string> kSpecials = {"<|end_of_text|>", "<|start_of_role|>",
                                            "<|end_of_role|>", "<|tool_call|>"};

Json byte_level_component() {
  return Json{{"type", "ByteLevel"},
              {"add_prefix_space", false},
              {"trim_offsets", true},
              {"use_regex", false}};
}

Json granite_pre_tokenizer() {
  return Json{{"type", "Sequence"},
              {"pretokenizers", Json::array({Json{{"type", "Split"},
                                                  {"pattern", {{"Regex", kGraniteSplit}}},
                                                  {"behavior", "Removed"},
                                                  {"invert", true}},
                                             byte_level_component()})}};
}

// A Granite-style tokenizer.json: the 256 byte-level symbols, two merges, Granite's specials.
Json granite_style_json() {
  Json vocab = Json::object();
  for (int b = 0; b < 256; ++b) {
    vocab[internal::byte_level_encode(std::string(1, static_cast<char>(b)))] = b;
  }
  const std::string sp = internal::byte_level_encode(" ");
  vocab[sp + "d"] = 256;
  vocab[sp + "do"] = 257;
  Json added = Json::array();
  for (std::size_t i = 0; i < kSpecials.size(); ++i) {
    added.push_back({{"id", 258 + static_cast<int>(i)},
                     {"content", kSpecials[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  return Json{{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", granite_pre_tokenizer()},
              {"post_processor", byte_level_component()},
              {"decoder", byte_level_component()},
              {"model",
               {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", ""},
                {"end_of_word_suffix", ""},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", false},
                {"vocab", vocab},
                {"merges", Json::array({sp + " d", sp + "d o"})}}}};
}

std::vector<std::string> pieces(const std::string& text) {
  auto pre = internal::PreTokenizer::from_json(granite_pre_tokenizer(), "pre_tokenizer");
  EXPECT_TRUE(pre.ok()) << pre.status().to_string();
  std::vector<std::string> words;
  (*pre)->pre_tokenize(text, &words);
  return words;
}

TEST(GraniteTokenizerTest, SplitsLikeTheCl100kPattern) {
  // Case-insensitive contractions, digits in groups of at most three, a space before digits
  // kept alone, punctuation runs taking the newlines after them, and a whitespace run leaving
  // its last space to the next word.
  const std::string sp = internal::byte_level_encode(" ");
  const std::string nl = internal::byte_level_encode("\n");
  EXPECT_EQ(pieces("I'M 1234567 dogs!!\n\n  x"),
            (std::vector<std::string>{"I", "'M", sp, "123", "456", "7", sp + "dogs", "!!" + nl + nl,
                                      sp, sp + "x"}));
  EXPECT_EQ(pieces("we'LL"), (std::vector<std::string>{"we", "'LL"}));
  EXPECT_EQ(pieces("a\n\n\nb"), (std::vector<std::string>{"a", nl + nl + nl, "b"}));
}

TEST(GraniteTokenizerTest, EncodesSpecialTokensAndRoundTripsText) {
  auto tok = Tokenizer::from_json(granite_style_json(), "granite_style.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->vocab_size(), 258 + static_cast<int>(kSpecials.size()));
  EXPECT_EQ((*tok)->encode(" do"), (std::vector<std::int32_t>{257}));
  EXPECT_EQ((*tok)->encode("a<|end_of_text|>b"), (std::vector<std::int32_t>{'a', 258, 'b'}));
  EXPECT_TRUE((*tok)->is_special(258));
  EXPECT_EQ((*tok)->encode("<|end_of_text"), (*tok)->encode(std::string("<|end_of_text")));
  for (const std::string text :
       {"Hello<|start_of_role|>user<|end_of_role|> do it", "caf\u00e9 \u4f60\u597d \U0001F600",
        "  \t\n\r\n 12345 'S", "<|tool_call|><|tool_call|>", ""}) {
    const std::vector<std::int32_t> ids = (*tok)->encode(text);
    auto back = (*tok)->decode(ids);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, text);
  }
}

// ---- against the tokenizers library -----------------------------------------------------------

class GraniteTokenizerFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GraniteTokenizerFixtureTest, ReproducesHuggingFace) {
  const std::string cases_path = kFixtures + GetParam() + "_cases.json";
  if (!file_exists(cases_path)) {
    GTEST_SKIP() << cases_path << " is not present (made by tools/hybrid/make_fixtures.py)";
  }
  auto tok = Tokenizer::from_file(kFixtures + GetParam() + ".json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  auto fixture = read_json_file(cases_path);
  ASSERT_TRUE(fixture.ok()) << fixture.status().to_string();
  auto full = read_json_file(kFixtures + GetParam() + ".json");
  ASSERT_TRUE(full.ok());
  auto normalizer = internal::Normalizer::from_json((*full).value("normalizer", Json()), "n");
  ASSERT_TRUE(normalizer.ok()) << normalizer.status().to_string();
  auto pre = internal::PreTokenizer::from_json((*full)["pre_tokenizer"], "p");
  ASSERT_TRUE(pre.ok()) << pre.status().to_string();
  int checked = 0;
  for (const Json& c : (*fixture)["cases"]) {
    const std::string name = c["name"].get<std::string>();
    const std::string text = c["text"].get<std::string>();
    const auto want = c["ids"].get<std::vector<std::int32_t>>();
    EXPECT_EQ((*tok)->encode(text), want) << name;
    auto decoded = (*tok)->decode(want);
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, c["decoded"].get<std::string>()) << name;
    std::vector<std::string> words;
    (*pre)->pre_tokenize(normalizer->normalize(text), &words);
    EXPECT_EQ(words, c["pieces"].get<std::vector<std::string>>()) << name;
    ++checked;
  }
  EXPECT_GE(checked, 80);
}

INSTANTIATE_TEST_SUITE_P(Variants, GraniteTokenizerFixtureTest,
                         ::testing::Values("granite_like", "granite_like_nfc"));

}  // namespace
}  // namespace arbor::models
