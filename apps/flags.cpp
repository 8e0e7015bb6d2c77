#include "apps/flags.h"

#include <algorithm>

#include "core/strings.h"

namespace arbor::apps {

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
