// BpeModel: the `model` component of tokenizer.json (type BPE), encoding one pre-tokenized word
// at a time exactly as HF `tokenizers` does: one symbol per character (with
// continuing_subword_prefix / end_of_word_suffix, byte_fallback to <0xXX> tokens, unk_token
// with fuse_unk, or the character dropped when none applies), then merges applied lowest rank
// first, leftmost first among equal ranks. With ignore_merges a word found in the vocabulary is
// one token. Merges may be "a b" strings or ["a", "b"] pairs.
//
// Thread safety: immutable after from_json() except the word cache, which is guarded by a
// shared mutex; tokenize() may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::models::internal {

// Hash and equality that let unordered_map<std::string, ...> be queried with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, StringEq>;

class BpeModel {
 public:
  // Ids must lie in [0, kMaxId]; errors name `where` and the offending entry.
  static constexpr std::int32_t kMaxId = (1 << 24) - 1;
  static StatusOr<std::unique_ptr<BpeModel>> from_json(const Json& json, std::string_view where);

  // Appends the ids of `word` to *ids (nothing for an empty word).
  void tokenize(std::string_view word, std::vector<std::int32_t>* ids) const;

  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  // The vocabulary entry of `id`, or nullptr when no entry has that id.
  const std::string* id_to_token(std::int32_t id) const;
  // Number of vocabulary entries (HF's Model::get_vocab_size).
  std::size_t vocab_entries() const { return vocab_.size(); }
  // One past the largest id in the vocabulary (0 when empty).
  std::int32_t id_end() const { return static_cast<std::int32_t>(id_to_token_.size()); }

 private:
  struct Merge {
    std::uint32_t rank;
    std::int32_t new_id;
  };
  BpeModel() = default;
  Status load_merges(const Json& merges, const std::string& where);
  std::vector<std::int32_t> merge_word(std::string_view word) const;

  StringMap<std::int32_t> vocab_;
  std::vector<std::optional<std::string>> id_to_token_;
  std::unordered_map<std::uint64_t, Merge> merges_;  // key: left id << 32 | right id
  std::optional<std::string> unk_token_;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;

  // Words already encoded; bounded like HF's (10,000 words shorter than 256 bytes).
  mutable std::shared_mutex cache_mutex_;
  mutable StringMap<std::vector<std::int32_t>> cache_;
};

}  // namespace arbor::models::internal
