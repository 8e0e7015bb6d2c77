// Command-line flags for the arbor subcommands.
//
//   Flags f;
//   ARBOR_ASSIGN_OR_RETURN(f, Flags::parse(argc, argv, {{"--model", true}, {"--json", false}}));
//   std::string dir = f.get("--model").value_or("");
//
// Values follow the flag (`--model DIR`) or an equals sign (`--model=DIR`). Unknown flags and
// missing values are errors that name the flag (and the closest known one).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arbor::apps {

struct FlagSpec {
  std::string name;  // "--model"
  bool takes_value = true;
};

class Flags {
 public:
  // Parses argv[first..argc). Positional arguments are kept in order.
  static StatusOr<Flags> parse(int argc, char** argv, int first, const std::vector<FlagSpec>& spec);

  bool has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  std::optional<std::string> get(std::string_view name) const;
  // The value of a flag that must be present.
  StatusOr<std::string> require(std::string_view name) const;
  StatusOr<std::int64_t> get_int(std::string_view name, std::int64_t fallback) const;
  StatusOr<double> get_double(std::string_view name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};


}  // namespace arbor::apps
