// Normalizer: the `normalizer` component of tokenizer.json, as a list of steps applied in
// order. Supported: NFC, NFD, NFKC, NFKD, Lowercase, a Sequence of these (nested Sequences
// flatten), and null (no normalization).
//
// Thread safety: immutable after from_json(); normalize() may be called concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::models::internal {

class Normalizer {
 public:
  // `json` is the component (or null); `where` names it in errors ("tokenizer.json: normalizer").
  // Unsupported types are Unimplemented errors naming the type.
  static StatusOr<Normalizer> from_json(const Json& json, std::string_view where);

  // REQUIRES: `text` is valid UTF-8.
  std::string normalize(std::string_view text) const;
  bool is_identity() const { return steps_.empty(); }

 private:
  enum class Step { kNfc, kNfd, kNfkc, kNfkd, kLowercase };
  static Status add_steps(const Json& json, const std::string& where, std::vector<Step>* steps);
  std::vector<Step> steps_;
};

}  // namespace arbor::models::internal
