// Decoder: the `decoder` component of tokenizer.json, turning token strings back into text as
// HF's Tokenizer::decode does. Supported: ByteLevel (token characters back to bytes, a token
// with a character outside the byte alphabet kept as its own UTF-8, invalid UTF-8 replaced by
// U+FFFD), a Sequence holding at most one ByteLevel (an empty Sequence concatenates the tokens),
// and null (HF then joins the tokens with a space).
//
// Thread safety: immutable after from_json(); every method may be called concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::models::internal {

class Decoder {
 public:
  static StatusOr<Decoder> from_json(const Json& json, std::string_view where);

  // REQUIRES: every token is valid UTF-8.
  std::string decode(const std::vector<std::string_view>& tokens) const;
  // The bytes one token contributes to decoded text, before any UTF-8 repair (for null, the
  // token itself: the separating spaces belong to no token).
  std::string token_bytes(std::string_view token) const;

 private:
  enum class Kind { kJoinWithSpace, kConcatenate, kByteLevel };
  explicit Decoder(Kind kind) : kind_(kind) {}
  Kind kind_;
};

}  // namespace arbor::models::internal
