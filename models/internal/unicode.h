// UTF-8 and Unicode helpers for the tokenizer, matching the Rust functions Hugging Face
// `tokenizers` calls (char::is_whitespace, char::is_numeric, char::to_lowercase,
// String::from_utf8_lossy) and its NFC/NFD/NFKC/NFKD normalizers (through utf8proc).
//
// Functions that take text REQUIRE valid UTF-8 unless they say otherwise; use
// is_valid_utf8() / to_valid_utf8() at the boundary. All functions are thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace arbor::models::internal {

// Decodes the code point starting at text[*pos] and advances *pos past it.
// REQUIRES: *pos < text.size() and text is valid UTF-8.
char32_t next_code_point(std::string_view text, std::size_t* pos);
// Appends the UTF-8 encoding of `c` (REQUIRES: a Unicode scalar value).
void append_utf8(std::string* out, char32_t c);
// The number of bytes of the UTF-8 sequence whose first byte is `lead` (1 for any byte that
// cannot start one).
std::size_t utf8_sequence_length(unsigned char lead);

bool is_valid_utf8(std::string_view bytes);
// Replaces every maximal ill-formed subsequence with U+FFFD, as Rust's
// String::from_utf8_lossy does (the Unicode "substitution of maximal subparts" practice).
std::string to_valid_utf8(std::string_view bytes);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };
std::string normalize(std::string_view text, NormalForm form);

// Rust's char::to_lowercase applied to every character (full mappings, no context).
std::string lowercase(std::string_view text);

// Rust's char::is_whitespace: the Unicode White_Space property.
bool is_white_space(char32_t c);
// Rust's char::is_numeric: general category Nd, Nl or No.
bool is_numeric(char32_t c);

}  // namespace arbor::models::internal
