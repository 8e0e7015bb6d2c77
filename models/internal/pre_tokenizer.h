// PreTokenizer: the `pre_tokenizer` component of tokenizer.json. It cuts one piece of
// normalized text into words; the BPE model then encodes each word on its own.
//
// Supported: ByteLevel (add_prefix_space, use_regex with the GPT-2 split regex, then the
// byte-to-unicode map), Digits (individual_digits), Split (String or Regex pattern, every
// behavior, invert), Whitespace (\w+|[^\w\s]+ with Rust's Unicode classes), WhitespaceSplit,
// a Sequence of these, and null (the whole piece is one word). The steps reproduce HF's
// NormalizedString::split, including which empty pieces are dropped.
//
// Thread safety: immutable after from_json(); pre_tokenize() may be called concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::models::internal {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// One stretch of a piece of text: a match of a split pattern or the text between two.
struct Span {
  std::size_t start;
  std::size_t end;
  bool is_match;
};

// HF's NormalizedString::split: `spans` cover `text` in order; returns the pieces `behavior`
// makes of them (empty pieces included; callers drop them).
std::vector<std::string_view> split_spans(std::string_view text, const std::vector<Span>& spans,
                                          SplitBehavior behavior);

class PreTokenizer {
 public:
  // `json` is the component (or null); `where` names it in errors.
  static StatusOr<std::unique_ptr<PreTokenizer>> from_json(const Json& json,
                                                           std::string_view where);
  ~PreTokenizer();

  // Appends the non-empty words of `text` to *words. REQUIRES: `text` is valid UTF-8.
  void pre_tokenize(std::string_view text, std::vector<std::string>* words) const;

  // One step of the pipeline; defined in pre_tokenizer.cpp.
  class Step;

 private:
  PreTokenizer() = default;
  static Status add_steps(const Json& json, const std::string& where,
                          std::vector<std::unique_ptr<Step>>* steps);
  std::vector<std::unique_ptr<Step>> steps_;
};

}  // namespace arbor::models::internal
