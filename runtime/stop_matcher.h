// StopMatcher: finds stop strings in generated text as tokens arrive, also when a stop string
// spans several tokens. It works on the decoded bytes, so a stop string is found wherever it
// appears in the text the tokens spell.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arbor::runtime {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Appends the bytes of one token. Returns true when the text now contains a stop string.
  bool append(std::string_view bytes);

  // The text before the first stop string (all the text when none matched).
  std::string_view text() const;
  // The stop string that matched, if any.
  const std::optional<std::string>& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::size_t max_stop_ = 0;
  std::string buffer_;
  std::size_t cut_ = std::string::npos;  // where the matched stop string starts
  std::optional<std::string> matched_;
};

}  // namespace arbor::runtime
