#include "apps/flags.h"

#include <algorithm>

#include "core/strings.h"

namespace arbor::apps {

std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    // Levenshtein distance, two rows.
    std::vector<std::size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (std::size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= c.size(); ++j) {
        const std::size_t sub = prev[j - 1] + (word[i - 1] == c[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_d) {
      best_d = prev[c.size()];
      best = c;
    }
  }
  return best;
}

StatusOr<Flags> Flags::parse(int argc, char** argv, int first, const std::vector<FlagSpec>& spec) {
  Flags flags;
  std::vector<std::string> names;
  for (const FlagSpec& s : spec) names.push_back(s.name);
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (!starts_with(arg, "--")) {
      flags.positional_.push_back(arg);
      continue;
    }
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const auto it = std::find_if(spec.begin(), spec.end(),
                                 [&](const FlagSpec& s) { return s.name == arg; });
    if (it == spec.end()) {
      std::string msg = "unknown flag " + arg;
      const std::string near = nearest_name(arg, names);
      if (!near.empty()) msg += " (did you mean " + near + "?)";
      return Status::invalid_argument(msg);
    }
    if (!it->takes_value) {
      if (inline_value) return Status::invalid_argument("flag " + arg + " takes no value");
      flags.values_[arg] = "";
      continue;
    }
    if (inline_value) {
      flags.values_[arg] = *inline_value;
    } else if (i + 1 < argc) {
      flags.values_[arg] = argv[++i];
    } else {
      return Status::invalid_argument("flag " + arg + " needs a value");
    }
  }
  return flags;
}

std::optional<std::string> Flags::get(std::string_view name) const {
  const auto it = values_.find(std::string(name));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

StatusOr<std::string> Flags::require(std::string_view name) const {
  auto v = get(name);
  if (!v) return Status::invalid_argument("missing required flag " + std::string(name));
  return *v;
}

StatusOr<std::int64_t> Flags::get_int(std::string_view name, std::int64_t fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  return parse_int(*v, name);
}

StatusOr<double> Flags::get_double(std::string_view name, double fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  return parse_double(*v, name);
}

}  // namespace arbor::apps
