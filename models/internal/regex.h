// Regex: a compiled PCRE2 pattern (UTF + UCP, JIT when available) used the way Hugging Face
// `tokenizers` uses its Oniguruma regexes: all non-overlapping matches, left to right.
//
// HF compiles Split patterns with Oniguruma, whose Unicode \s, \w and \h differ from PCRE2's;
// translate_oniguruma() rewrites those escapes so PCRE2 matches the same characters:
//   \s  0009-000D, 0085 and the Z categories (= the White_Space property)
//   \w  Alphabetic, M, Nd and Pc, plus U+00B2, B3, B9 and BC-BE (Oniguruma's Latin-1 table)
//   \h  a hexadecimal digit [0-9a-fA-F]
// and their negations; ^ and $ match at every line boundary, as in Oniguruma's default syntax.
// Other syntax is passed through (PCRE2 and Oniguruma agree on the constructs tokenizer files
// use: classes, \p{..}, look-ahead, alternation, (?i)).
//
// Thread safety: a compiled Regex is immutable; find_all() and matches_at() may be called
// concurrently (each call allocates its own match data).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace arbor::models::internal {

struct MatchRange {
  std::size_t start;  // byte offsets
  std::size_t end;
};

class Regex {
 public:
  // Compiles a PCRE2 pattern (already in PCRE2 syntax). `where` names it in errors.
  static StatusOr<std::unique_ptr<Regex>> compile(std::string_view pattern, std::string_view where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Every match, left to right, without overlap. An empty match right where the previous
  // match ended is skipped (Oniguruma's and Rust's iteration rule), so this terminates.
  // REQUIRES: `text` is valid UTF-8.
  std::vector<MatchRange> find_all(std::string_view text) const;
  // Whether the pattern matches starting exactly at byte `offset` (anchored there; look-behind
  // sees the text before it). REQUIRES: valid UTF-8, offset on a character boundary.
  bool matches_at(std::string_view text, std::size_t offset) const;

 private:
  Regex(void* code, std::string pattern) : code_(code), pattern_(std::move(pattern)) {}
  void* code_;  // pcre2_code_8*; void* keeps pcre2.h out of this header
  std::string pattern_;
};

// Rewrites an Oniguruma pattern as the PCRE2 pattern with the same meaning (see above).
// Returns Unimplemented for \S, \W or \H inside a character class, which PCRE2 cannot express
// with the Oniguruma meanings.
StatusOr<std::string> translate_oniguruma(std::string_view pattern, std::string_view where);

// A PCRE2 pattern matching `literal` exactly.
std::string escape_literal(std::string_view literal);

}  // namespace arbor::models::internal
