// The tokenizer against Hugging Face `tokenizers`: the 100 GPT-NeoX reference encodings of
// gpt-neox.txt, and the cases tools/make_tokenizer_fixtures.py recorded with the library itself
// (neox_cases.json, arith_cases.json). Then the errors: refused components, malformed files,
// out-of-vocabulary ids.
#include "models/tokenizer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file.h"
#include "core/json.h"
#include "core/random.h"
#include "core/strings.h"
#include "models/internal/normalizer.h"
#include "models/internal/pre_tokenizer.h"
#include "models/internal/unicode.h"

namespace arbor::models {
namespace {

const std::string kDataDir = ARBOR_SOURCE_DIR "/tests/data/tokenizers/";

const Tokenizer& neox() {
  static const std::unique_ptr<Tokenizer> tokenizer = [] {
    auto t = Tokenizer::from_file(kDataDir + "tokenizer.json");
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    return std::move(t).value();
  }();
  return *tokenizer;
}

Json load_json(const std::string& name) {
  StatusOr<Json> j = read_json_file(kDataDir + name);
  EXPECT_TRUE(j.ok()) << j.status().to_string();
  return j.ok() ? *j : Json();
}

std::vector<std::int32_t> ids_of(const Json& array) {
  return array.get<std::vector<std::int32_t>>();
}

std::string nfc(std::string_view s) { return internal::normalize(s, internal::NormalForm::kNfc); }

// ---- GPT-NeoX-20B ------------------------------------------------------------------------------

TEST(NeoxTokenizerTest, ReproducesAllReferenceVectors) {
  StatusOr<std::string> text = read_file(kDataDir + "gpt-neox.txt");
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  int checked = 0;
  for (const std::string& line : split(*text, '\n')) {
    if (line.empty()) continue;
    const std::size_t arrow = line.rfind(" => ");
    ASSERT_NE(arrow, std::string::npos) << line;
    StatusOr<std::vector<std::int64_t>> expected =
        parse_int_list(line.substr(arrow + 4), "gpt-neox.txt");
    ASSERT_TRUE(expected.ok()) << expected.status().to_string();
    const std::vector<std::int32_t> want(expected->begin(), expected->end());
    const std::string sentence = line.substr(0, arrow);
    EXPECT_EQ(neox().encode(sentence), want) << sentence;
    ++checked;
  }
  EXPECT_EQ(checked, 100);
}

TEST(NeoxTokenizerTest, ReproducesHuggingFaceCases) {
  const Json fixture = load_json("neox_cases.json");
  ASSERT_TRUE(fixture.contains("cases"));
  int checked = 0;
  for (const Json& c : fixture["cases"]) {
    const std::string name = c["name"].get<std::string>();
    const std::string text = c["text"].get<std::string>();
    const std::vector<std::int32_t> ids = neox().encode(text);
    EXPECT_EQ(ids, ids_of(c["ids"])) << name;
    StatusOr<std::string> decoded = neox().decode(ids_of(c["ids"]));
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.status().to_string();
    EXPECT_EQ(*decoded, c["decoded"].get<std::string>()) << name;
    ++checked;
  }
  EXPECT_GE(checked, 200);
}

TEST(NeoxTokenizerTest, AddedTokensSplitBeforePreTokenization) {
  const std::string spaces30(30, ' ');
  // 30 spaces: the longest added run (24) first, then 6.
  EXPECT_EQ(neox().encode(spaces30), (std::vector<std::int32_t>{50254, 50272}));
  EXPECT_EQ(neox().encode("a" + spaces30 + "b"), (std::vector<std::int32_t>{66, 50254, 50272, 67}));
  // Text after a special token is encoded on its own.
  EXPECT_EQ(neox().encode("Hello<|endoftext|>World"), (std::vector<std::int32_t>{12092, 0, 14947}));
}

TEST(NeoxTokenizerTest, DecodeOfEncodeIsNfcOnRandomUnicode) {
  Rng rng(7);
  // Ranges with letters, marks that NFC composes, Hangul jamo, CJK, emoji, whitespace of
  // several kinds, controls and private use.
  const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x20, 0x7E},       {0x00, 0x1F},       {0x80, 0x24F},     {0x300, 0x36F},
      {0x370, 0x52F},     {0x590, 0x6FF},     {0x900, 0xDFF},    {0x1100, 0x11FF},
      {0x1E00, 0x1FFF},   {0x2000, 0x2BFF},   {0x3000, 0x30FF},  {0x4E00, 0x9FFF},
      {0xAC00, 0xD7A3},   {0xE000, 0xE0FF},   {0xF900, 0xFFFD},  {0x10000, 0x1FFFF},
      {0x1F300, 0x1FAFF}, {0x20000, 0x2A6DF}, {0xE0000, 0xE007F}};
  for (int n = 0; n < 2000; ++n) {
    std::string text;
    const int length = 1 + static_cast<int>(rng.below(40));
    for (int i = 0; i < length; ++i) {
      const auto& [lo, hi] = ranges[rng.below(ranges.size())];
      const char32_t c = lo + static_cast<char32_t>(rng.below(hi - lo + 1));
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      internal::append_utf8(&text, c);
    }
    StatusOr<std::string> decoded = neox().decode(neox().encode(text));
    ASSERT_TRUE(decoded.ok());
    ASSERT_EQ(*decoded, nfc(text)) << "case " << n;
  }
}

TEST(NeoxTokenizerTest, InvalidUtf8IsRepairedBeforeEncoding) {
  const std::string bad = "ok \xF0\x9F\x98 then \xC0\x80 and \xED\xA0\x80!";
  StatusOr<std::string> decoded = neox().decode(neox().encode(bad));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, internal::to_valid_utf8(bad));
  EXPECT_EQ(*decoded, "ok \uFFFD then \uFFFD\uFFFD and \uFFFD\uFFFD\uFFFD!");
}

TEST(NeoxTokenizerTest, VocabularyQueries) {
  EXPECT_EQ(neox().vocab_size(), 50277);
  EXPECT_EQ(neox().token_to_id("<|endoftext|>"), 0);
  EXPECT_EQ(neox().token_to_id("<|padding|>"), 1);
  EXPECT_EQ(neox().token_to_id("\xC4\xA0the"), 253);  // "Ġthe"
  EXPECT_EQ(neox().token_to_id(std::string(24, ' ')), 50254);
  EXPECT_EQ(neox().token_to_id("not a token"), std::nullopt);
  EXPECT_TRUE(neox().is_special(0));
  EXPECT_TRUE(neox().is_special(1));
  EXPECT_FALSE(neox().is_special(50254));  // a run of spaces: added, not special
  EXPECT_FALSE(neox().is_special(253));
  EXPECT_FALSE(neox().is_special(-1));
  EXPECT_FALSE(neox().is_special(50277));
}

TEST(NeoxTokenizerTest, TokenBytesConcatenateToTheText) {
  EXPECT_EQ(neox().token_bytes(253), " the");
  EXPECT_EQ(neox().token_bytes(127), "\xC3");  // "Ã": half of a two-byte character
  EXPECT_EQ(neox().token_bytes(0), "<|endoftext|>");
  EXPECT_EQ(neox().token_bytes(50254), std::string(24, ' '));
  const std::string text = "Caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xBD\xA0\xE5\xA5\xBD  x<|endoftext|>";
  std::string joined;
  for (const std::int32_t id : neox().encode(text)) joined += neox().token_bytes(id);
  EXPECT_EQ(joined, text);
}

TEST(NeoxTokenizerTest, DecodeRefusesIdsOutsideTheVocabulary) {
  const std::vector<std::int32_t> ids = {12092, 50277};
  StatusOr<std::string> r = neox().decode(ids);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.status().message().find("50277"), std::string::npos) << r.status().message();
  const std::vector<std::int32_t> negative = {-3};
  StatusOr<std::string> n = neox().decode(negative);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("-3"), std::string::npos);
  EXPECT_EQ(*neox().decode({}), "");
}

TEST(NeoxTokenizerTest, EncodeIsSafeConcurrently) {
  const Json fixture = load_json("neox_cases.json");
  std::vector<std::string> texts;
  std::vector<std::vector<std::int32_t>> expected;
  for (const Json& c : fixture["cases"]) {
    texts.push_back(c["text"].get<std::string>());
    expected.push_back(ids_of(c["ids"]));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) {
          const std::size_t k = (i * 7 + static_cast<std::size_t>(t) * 13) % texts.size();
          if (neox().encode(texts[k]) != expected[k]) ++mismatches;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// ---- small trained tokenizers ----------------------------------------------------------------

// The base file with the variant's components replaced ("model" fields are merged).
Json variant_json(const Json& variant) {
  Json j = load_json(variant["base"].get<std::string>());
  for (const auto& [key, value] : variant["overrides"].items()) {
    if (key == "model") {
      for (const auto& [field, v] : value.items()) j["model"][field] = v;
    } else {
      j[key] = value;
    }
  }
  return j;
}

TEST(ArithTokenizerTest, ReproducesHuggingFaceVariants) {
  const Json fixture = load_json("arith_cases.json");
  ASSERT_TRUE(fixture.contains("variants"));
  int variants = 0, cases = 0;
  for (const Json& variant : fixture["variants"]) {
    const std::string name = variant["name"].get<std::string>();
    ASSERT_FALSE(variant.contains("error")) << name << " failed in the generator";
    StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::from_json(variant_json(variant), name);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    for (const Json& c : variant["cases"]) {
      const std::string text = c["text"].get<std::string>();
      EXPECT_EQ((*tok)->encode(text), ids_of(c["ids"])) << name << ": '" << text << "'";
      StatusOr<std::string> decoded = (*tok)->decode(ids_of(c["ids"]));
      ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
      EXPECT_EQ(*decoded, c["decoded"].get<std::string>()) << name << ": '" << text << "'";
      ++cases;
    }
    ++variants;
  }
  EXPECT_GE(variants, 25);
  EXPECT_GE(cases, 25 * 50);
}

// The words the normalizer and pre-tokenizer make, compared with HF's pre_tokenize_str: this
// checks every split behavior and regex even where the small vocabulary hides a difference.
TEST(ArithTokenizerTest, PreTokenizesLikeHuggingFace) {
  const Json fixture = load_json("arith_cases.json");
  int checked = 0;
  for (const Json& variant : fixture["variants"]) {
    const std::string name = variant["name"].get<std::string>();
    const Json j = variant_json(variant);
    StatusOr<internal::Normalizer> normalizer =
        internal::Normalizer::from_json(j.value("normalizer", Json()), name);
    ASSERT_TRUE(normalizer.ok()) << normalizer.status().to_string();
    StatusOr<std::unique_ptr<internal::PreTokenizer>> pre =
        internal::PreTokenizer::from_json(j.value("pre_tokenizer", Json()), name);
    ASSERT_TRUE(pre.ok()) << pre.status().to_string();
    for (const Json& c : variant["cases"]) {
      const std::string text = c["text"].get<std::string>();
      std::vector<std::string> words;
      (*pre)->pre_tokenize(normalizer->normalize(text), &words);
      EXPECT_EQ(words, c["pieces"].get<std::vector<std::string>>()) << name << ": '" << text << "'";
      ++checked;
    }
  }
  EXPECT_GE(checked, 25 * 50);
}

TEST(ArithTokenizerTest, NoDecoderJoinsTokensWithSpaces) {
  StatusOr<std::unique_ptr<Tokenizer>> tok =
      Tokenizer::from_file(kDataDir + "arith_whitespace.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  const std::vector<std::int32_t> ids = (*tok)->encode("1+2");
  ASSERT_EQ(ids.size(), 3u);
  std::string joined;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) joined += ' ';
    joined += (*tok)->token_bytes(ids[i]);
  }
  EXPECT_EQ(*(*tok)->decode(ids), joined);
}

// ---- refused components and malformed files --------------------------------------------------

Json tiny() {
  return Json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
    "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})");
}

TEST(TokenizerErrorsTest, TinyTokenizerWorks) {
  StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::from_json(tiny(), "tiny.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->encode("abab"), (std::vector<std::int32_t>{2, 2}));
  EXPECT_EQ((*tok)->encode("bax"), (std::vector<std::int32_t>{1, 0}));  // 'x' has no token
}

TEST(TokenizerErrorsTest, MergesApplyByRankAndIgnoreMergesTakesWholeWords) {
  Json j = tiny();
  j["model"]["vocab"] = Json::parse(R"({"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5})");
  j["model"]["merges"] = Json::parse(R"([["b", "c"], ["a", "b"]])");
  StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::from_json(j, "tiny.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->encode("abc"), (std::vector<std::int32_t>{0, 4}));  // "b c" ranks first
  j["model"]["merges"] = Json::parse(R"(["a b", "b c"])");
  tok = Tokenizer::from_json(j, "tiny.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->encode("abc"), (std::vector<std::int32_t>{3, 2}));
  // "abc" is in the vocabulary but no merge makes it; ignore_merges takes it whole.
  j["model"]["ignore_merges"] = true;
  tok = Tokenizer::from_json(j, "tiny.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->encode("abc"), (std::vector<std::int32_t>{5}));
  EXPECT_EQ((*tok)->encode("abcc"), (std::vector<std::int32_t>{3, 2, 2}));
}

struct Refusal {
  const char* field;
  const char* json;
  const char* type;  // must appear in the message
};

TEST(TokenizerErrorsTest, RefusesUnsupportedComponentsNamingThem) {
  const std::vector<Refusal> refusals = {
      {"normalizer", R"({"type": "Replace", "pattern": {"String": "a"}, "content": "b"})",
       "Replace"},
      {"normalizer", R"({"type": "BertNormalizer"})", "BertNormalizer"},
      {"normalizer", R"({"type": "Sequence", "normalizers": [{"type": "NFC"},
                        {"type": "Precompiled", "precompiled_charsmap": ""}]})",
       "Precompiled"},
      {"normalizer", R"({"type": "Strip", "strip_left": true, "strip_right": true})", "Strip"},
      {"normalizer", R"({"type": "Prepend", "prepend": "_"})", "Prepend"},
      {"pre_tokenizer", R"({"type": "Metaspace", "replacement": "_"})", "Metaspace"},
      {"pre_tokenizer", R"({"type": "BertPreTokenizer"})", "BertPreTokenizer"},
      {"pre_tokenizer", R"({"type": "Sequence", "pretokenizers": [{"type": "Punctuation"}]})",
       "Punctuation"},
      {"pre_tokenizer", R"({"type": "UnicodeScripts"})", "UnicodeScripts"},
      {"pre_tokenizer", R"({"type": "CharDelimiterSplit", "delimiter": "x"})",
       "CharDelimiterSplit"},
      {"pre_tokenizer", R"({"type": "FixedLength", "length": 5})", "FixedLength"},
      {"decoder", R"({"type": "WordPiece", "prefix": "##"})", "WordPiece"},
      {"decoder", R"({"type": "Metaspace"})", "Metaspace"},
      {"decoder", R"({"type": "Sequence", "decoders": [{"type": "ByteFallback"}]})",
       "ByteFallback"},
      {"decoder", R"({"type": "Sequence", "decoders": [{"type": "ByteLevel"},
                     {"type": "ByteLevel"}]})",
       "more than one decoder"},
      {"post_processor", R"({"type": "RobertaProcessing"})", "RobertaProcessing"},
      {"post_processor", R"({"type": "BertProcessing"})", "BertProcessing"},
      {"model", R"({"type": "Unigram", "vocab": []})", "Unigram"},
      {"model", R"({"type": "WordPiece", "vocab": {}})", "WordPiece"},
      {"model", R"({"type": "BPE", "dropout": 0.1, "vocab": {}, "merges": []})", "dropout"},
      {"truncation", R"({"max_length": 512, "strategy": "LongestFirst"})", "truncation"},
      {"padding", R"({"strategy": {"Fixed": 16}, "pad_id": 0})", "padding"},
      {"version", R"("2.0")", "version"},
  };
  for (const Refusal& r : refusals) {
    Json j = tiny();
    j[r.field] = Json::parse(r.json);
    StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::from_json(j, "tokenizer.json");
    ASSERT_FALSE(tok.ok()) << r.field << " " << r.json;
    EXPECT_EQ(tok.status().code(), StatusCode::kUnimplemented) << tok.status().to_string();
    EXPECT_NE(tok.status().message().find(r.type), std::string::npos) << tok.status().message();
    EXPECT_NE(tok.status().message().find(std::string("tokenizer.json: ") + r.field),
              std::string::npos)
        << tok.status().message();
  }
  // The brief's example message, word for word.
  Json j = tiny();
  j["pre_tokenizer"] = Json::parse(R"({"type": "Metaspace"})");
  EXPECT_EQ(Tokenizer::from_json(j, "tokenizer.json").status().message(),
            "tokenizer.json: pre_tokenizer type 'Metaspace' is not supported");
}

TEST(TokenizerErrorsTest, AcceptsHarmlessPostProcessingAndPadding) {
  Json j = tiny();
  j["post_processor"] = Json::parse(R"({"type": "Sequence", "processors": [
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
      {"type": "TemplateProcessing", "single": [], "pair": [], "special_tokens": {}}]})");
  j["padding"] = Json::parse(R"({"strategy": "BatchLongest", "pad_to_multiple_of": null})");
  StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::from_json(j, "tokenizer.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->encode("ab"), (std::vector<std::int32_t>{2}));  // nothing added
}

struct Malformed {
  const char* what;
  std::function<void(Json&)> edit;
  const char* expected;  // must appear in the message
};

TEST(TokenizerErrorsTest, RefusesMalformedFilesNamingTheProblem) {
  const std::vector<Malformed> cases = {
      {"missing model", [](Json& j) { j.erase("model"); }, "field 'model' is missing"},
      {"merge of unknown token", [](Json& j) { j["model"]["merges"] = {"a c"}; },
       "model.merges[0]: token 'c' is not in the vocabulary"},
      {"merged token unknown", [](Json& j) { j["model"]["merges"] = {"b a"}; },
       "merged token 'ba' is not in the vocabulary"},
      {"merge of three parts", [](Json& j) { j["model"]["merges"] = {"a b c"}; },
       "not two tokens separated by one space"},
      {"merge pair format", [](Json& j) { j["model"]["merges"] = Json::parse(R"([["a", "x"]])"); },
       "token 'x' is not in the vocabulary"},
      {"merge of wrong type", [](Json& j) { j["model"]["merges"] = Json::parse("[3]"); },
       "model.merges[0]"},
      {"vocab id not an integer", [](Json& j) { j["model"]["vocab"]["c"] = "3"; },
       "token 'c' has id \"3\""},
      {"negative vocab id", [](Json& j) { j["model"]["vocab"]["c"] = -1; }, "token 'c' has id -1"},
      {"duplicate vocab id", [](Json& j) { j["model"]["vocab"]["c"] = 1; }, "id 1 is used by both"},
      {"vocab missing", [](Json& j) { j["model"].erase("vocab"); }, "field 'vocab'"},
      {"merges missing", [](Json& j) { j["model"].erase("merges"); }, "field 'merges'"},
      {"unk not in vocab", [](Json& j) { j["model"]["unk_token"] = "<unk>"; },
       "unk_token '<unk>' is not in the vocabulary"},
      {"split without pattern",
       [](Json& j) {
         j["pre_tokenizer"] = Json::parse(R"({"type": "Split", "behavior": "Isolated"})");
       },
       "field 'pattern'"},
      {"split bad regex",
       [](Json& j) {
         j["pre_tokenizer"] = Json::parse(
             R"({"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"})");
       },
       "does not compile"},
      {"split bad behavior",
       [](Json& j) {
         j["pre_tokenizer"] = Json::parse(
             R"({"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways"})");
       },
       "unknown split behavior 'Sideways'"},
      {"component without type", [](Json& j) { j["normalizer"] = Json::parse("{}"); },
       "normalizer: field 'type' is missing"},
      {"added token without content",
       [](Json& j) { j["added_tokens"] = Json::parse(R"([{"id": 3, "special": true}])"); },
       "added_tokens[0]: field 'content' is missing"},
      {"top level not an object", [](Json& j) { j = Json::array(); }, "expected a JSON object"},
  };
  for (const Malformed& m : cases) {
    Json j = tiny();
    m.edit(j);
    StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::from_json(j, "tokenizer.json");
    ASSERT_FALSE(tok.ok()) << m.what;
    EXPECT_NE(tok.status().message().find(m.expected), std::string::npos)
        << m.what << ": " << tok.status().message();
    EXPECT_EQ(tok.status().message().rfind("tokenizer.json", 0), 0u) << tok.status().message();
  }
}

TEST(TokenizerErrorsTest, FileErrorsNameTheFile) {
  const std::string dir = testing::TempDir();
  const std::string bad = dir + "/arbor_bad_tokenizer.json";
  std::ofstream(bad) << "{\"model\": {";
  StatusOr<std::unique_ptr<Tokenizer>> malformed = Tokenizer::from_file(bad);
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find(bad), std::string::npos);
  EXPECT_NE(malformed.status().message().find("malformed JSON"), std::string::npos);
  std::filesystem::remove(bad);

  StatusOr<std::unique_ptr<Tokenizer>> missing = Tokenizer::from_file(dir + "/no_such.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no_such.json"), std::string::npos);
}

TEST(TokenizerErrorsTest, AddedTokenIdsFollowHuggingFace) {
  // Contents already in the vocabulary keep their id; new ones take the next ids after the
  // vocabulary's entries, whatever id the file says.
  Json j = tiny();
  j["added_tokens"] = Json::parse(R"([
      {"id": 0, "content": "ab", "special": true, "normalized": false},
      {"id": 9, "content": "<x>", "special": true, "normalized": false},
      {"id": 7, "content": "<y>", "special": false, "normalized": true}])");
  StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::from_json(j, "tokenizer.json");
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->token_to_id("ab"), 2);
  EXPECT_EQ((*tok)->token_to_id("<x>"), 3);
  EXPECT_EQ((*tok)->token_to_id("<y>"), 4);
  EXPECT_EQ((*tok)->vocab_size(), 5);
  EXPECT_TRUE((*tok)->is_special(2));
  EXPECT_FALSE((*tok)->is_special(4));
  EXPECT_EQ((*tok)->encode("a<x>b<y>ab"), (std::vector<std::int32_t>{0, 3, 1, 4, 2}));
}

}  // namespace
}  // namespace arbor::models
