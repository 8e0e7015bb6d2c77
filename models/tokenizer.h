// Tokenizer: the Hugging Face tokenizer.json BPE pipeline, reproduced exactly (ids equal to
// `tokenizers`' encode(text, add_special_tokens=False), text equal to its
// decode(ids, skip_special_tokens=False)).
//
// Supported components (anything else is refused with an Unimplemented error naming the file,
// the component and its type, e.g. "tokenizer.json: pre_tokenizer type 'Metaspace' is not
// supported"):
// - normalizer: NFC, NFD, NFKC, NFKD, Lowercase, a Sequence of these, or none;
// - pre_tokenizer: ByteLevel (GPT-2 split regex, add_prefix_space, use_regex), Digits
//   (individual_digits), Split (String or Regex pattern, every behavior, invert), Whitespace,
//   WhitespaceSplit, and a Sequence of these; Split regexes are Oniguruma syntax, run by PCRE2
//   with Oniguruma's meaning of \s, \w, \h, ^ and $;
// - model: BPE with merges by rank (both the "a b" and the ["a", "b"] merge formats),
//   ignore_merges, continuing_subword_prefix, end_of_word_suffix, byte_fallback, unk_token and
//   fuse_unk (dropout must be null or 0);
// - added tokens (special or not, normalized or not, lstrip / rstrip / single_word), split out
//   before pre-tokenization with leftmost-longest matching; ids assigned as HF assigns them;
// - decoder: ByteLevel (alone or as a Sequence's only member), an empty Sequence, or none (HF
//   then joins the token strings with a space);
// - post_processor: none, ByteLevel, TemplateProcessing or a Sequence of these. encode() never
//   adds special tokens, so a template's BOS/EOS are not inserted: callers add them.
// - truncation must be null; padding null or BatchLongest (a no-op for one sequence).
//
// Thread safety: encode() and decode() are const and safe to call concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::models {

class Tokenizer {
 public:
  // Reads and validates a tokenizer.json; errors name the file and the offending component.
  static StatusOr<std::unique_ptr<Tokenizer>> from_file(const std::string& path);
  static StatusOr<std::unique_ptr<Tokenizer>> from_json(const Json& json, std::string_view where);
  virtual ~Tokenizer() = default;

  // Encodes `text` (no BOS/EOS is added; added tokens in the text are recognised). Bytes that
  // are not valid UTF-8 are first replaced with U+FFFD.
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  // Decodes ids to text, special tokens included. Returns OutOfRange naming the first id that
  // is not in the vocabulary. Byte sequences that are not valid UTF-8 are replaced with U+FFFD,
  // as HF does.
  virtual StatusOr<std::string> decode(std::span<const std::int32_t> ids) const = 0;
  // The raw bytes one token contributes to decoded text (for ByteLevel, possibly part of a
  // UTF-8 character). Used to detokenize incrementally when matching stop strings. Without a
  // decoder this is the token string; decode() also puts a space between tokens. An id that
  // names no token (a gap in a sparse vocabulary) gives "". REQUIRES: 0 <= id < vocab_size().
  virtual std::string token_bytes(std::int32_t id) const = 0;

  // Number of ids, counting added tokens (one past the largest id).
  virtual std::int32_t vocab_size() const = 0;
  // The id of a vocabulary entry or added token, by its exact content.
  virtual std::optional<std::int32_t> token_to_id(std::string_view token) const = 0;
  virtual bool is_special(std::int32_t id) const = 0;
};

}  // namespace arbor::models
