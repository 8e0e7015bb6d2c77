// GPT-2's byte-level alphabet: a reversible map from the 256 byte values to printable code
// points (printable Latin-1 bytes map to themselves, the others to U+0100..U+0143), so that BPE
// vocabularies can hold any byte sequence as a string.
//
// Thread safety: the tables are built once, thread-safely, and never change.
#pragma once

#include <string>
#include <string_view>

namespace arbor::models::internal {

// The code point byte `b` stands for.
char32_t byte_to_char(unsigned char b);

// Maps every byte of `bytes` to its character (UTF-8 encoded).
std::string byte_level_encode(std::string_view bytes);

// Maps the characters of `token` back to bytes and appends them to *out. Returns false, and
// appends nothing, when some character is not in the alphabet (HF then keeps the token's own
// UTF-8 bytes). REQUIRES: `token` is valid UTF-8.
bool byte_level_decode(std::string_view token, std::string* out);

}  // namespace arbor::models::internal
