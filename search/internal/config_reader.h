// ConfigReader: reads an algorithm's or evaluator's JSON config field by field with defaults,
// remembers the resolved values (for results), and reports the first wrong type, bad value or
// unknown field with the config's path ("algorithms[2].n: must be an integer >= 1").
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::search::internal {

class ConfigReader {
 public:
  // `where` names the config in messages. A null config reads as an empty object.
  ConfigReader(const Json& config, std::string where);

  std::int64_t get_int(const char* key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max = INT64_MAX);
  double get_double(const char* key, double fallback, double min = -1e300, double max = 1e300);
  bool get_bool(const char* key, bool fallback);
  std::string get_string(const char* key, std::string fallback);
  // One of `choices` (the fallback must be one of them).
  std::string get_choice(const char* key, std::string fallback,
                         const std::vector<std::string>& choices);
  // The raw JSON of a field (null when absent); marks it as known.
  Json get_json(const char* key);
  // Declares a field that another reader handles (e.g. "algorithm").
  void ignore(const char* key) { known_.insert(key); }

  // Records an error unless `ok` ("where.key: message").
  void require(bool ok, const char* key, const std::string& message);

  // The first error, or an unknown field; OK otherwise.
  Status finish() const;
  // Every field read, with its value or default.
  const Json& resolved() const { return resolved_; }
  const std::string& where() const { return where_; }

 private:
  const Json* field(const char* key);
  void fail(const char* key, const std::string& message);

  Json config_;
  std::string where_;
  std::set<std::string> known_;
  Json resolved_ = Json::object();
  Status error_;
};

}  // namespace arbor::search::internal
