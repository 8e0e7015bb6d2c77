#include "runtime/stop_matcher.h"

#include <algorithm>

namespace arbor::runtime {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
  for (const std::string& s : stops_) max_stop_ = std::max(max_stop_, s.size());
}

bool StopMatcher::append(std::string_view bytes) {
  if (matched_) return true;
  const std::size_t old_size = buffer_.size();
  buffer_.append(bytes);
  if (stops_.empty()) return false;
  // Only a window that reaches into the new bytes can hold a new match.
  const std::size_t from = old_size >= max_stop_ ? old_size - max_stop_ + 1 : 0;
  std::size_t best = std::string::npos;
  for (const std::string& s : stops_) {
    const std::size_t pos = buffer_.find(s, from);
    if (pos != std::string::npos && pos < best) {
      best = pos;
      matched_ = s;
    }
  }
  if (best == std::string::npos) return false;
  cut_ = best;
  return true;
}

std::string_view StopMatcher::text() const {
  return std::string_view(buffer_).substr(0, cut_ == std::string::npos ? buffer_.size() : cut_);
}

}  // namespace arbor::runtime
