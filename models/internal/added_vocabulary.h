// AddedVocabulary: the `added_tokens` of tokenizer.json, split out of the text before
// pre-tokenization the way HF's AddedVocabulary does it:
//   1. tokens with normalized=false are matched in the raw text;
//   2. every stretch between them is normalized, then tokens with normalized=true are matched
//      (against their own normalized form) in the normalized text.
// Matching is leftmost-longest and non-overlapping. single_word drops a match touching a word
// character (Rust's Unicode \w); lstrip / rstrip extend a match over the whitespace before /
// after it. Ids are assigned as HF assigns them: the model's id when the content is in the
// vocabulary, else the next id after the model's vocabulary, in file order.
//
// Thread safety: immutable after from_json(); every method may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "models/internal/bpe.h"
#include "models/internal/normalizer.h"
#include "models/internal/regex.h"

namespace arbor::models::internal {

struct AddedToken {
  std::string content;
  bool special = false;
  bool normalized = true;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

// A piece of text: either an added token (id >= 0) or plain text to encode (id == -1).
struct Segment {
  std::string_view text;
  std::int32_t id;
};

class AddedVocabulary {
 public:
  static StatusOr<AddedVocabulary> from_json(const Json& tokens, const BpeModel& model,
                                             const Normalizer& normalizer, std::string_view where);
  AddedVocabulary();
  AddedVocabulary(AddedVocabulary&&) noexcept;
  AddedVocabulary& operator=(AddedVocabulary&&) noexcept;
  ~AddedVocabulary();

  // Splits `text` at the tokens of one group: those with normalized == `normalized_group`.
  // Segments cover the text in order (empty ones omitted); they view `text`.
  std::vector<Segment> split(std::string_view text, bool normalized_group) const;

  std::optional<std::int32_t> token_to_id(std::string_view content) const;
  // The string HF hands the decoder for `id` (the normalized form of a normalized token when it
  // differs from the content), or nullptr when `id` is not an added token.
  const std::string* decoder_string(std::int32_t id) const;
  bool is_special(std::int32_t id) const;
  // One past the largest added id (0 when there are none).
  std::int32_t id_end() const { return id_end_; }

 private:
  class Matcher;  // leftmost-longest matching of a set of strings; in added_vocabulary.cpp
  struct Entry {
    AddedToken token;
    std::string decoder_string;
  };
  std::unordered_map<std::string, std::int32_t> by_content_;
  std::unordered_map<std::int32_t, Entry> by_id_;
  std::unordered_set<std::string> special_contents_;
  std::unique_ptr<Matcher> raw_matcher_;         // tokens with normalized == false
  std::unique_ptr<Matcher> normalized_matcher_;  // tokens with normalized == true
  std::unique_ptr<Regex> word_char_;             // one Rust \w character, for single_word
  std::int32_t id_end_ = 0;
};

}  // namespace arbor::models::internal
