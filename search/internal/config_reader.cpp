#include "search/internal/config_reader.h"

namespace arbor::search::internal {

ConfigReader::ConfigReader(const Json& config, std::string where)
    : config_(config.is_null() ? Json::object() : config), where_(std::move(where)) {
  if (!config_.is_object()) fail(nullptr, "must be an object");
}

void ConfigReader::fail(const char* key, const std::string& message) {
  if (!error_.ok()) return;
  error_ = Status::invalid_argument(where_ + (key ? std::string(".") + key : std::string()) + ": " +
                                    message);
}

void ConfigReader::require(bool ok, const char* key, const std::string& message) {
  if (!ok) fail(key, message);
}

const Json* ConfigReader::field(const char* key) {
  known_.insert(key);
  if (!config_.is_object() || !config_.contains(key) || config_.at(key).is_null()) return nullptr;
  return &config_.at(key);
}

std::int64_t ConfigReader::get_int(const char* key, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) {
  std::int64_t v = fallback;
  if (const Json* j = field(key)) {
    if (!j->is_number_integer()) {
      fail(key, "must be an integer");
    } else {
      v = j->get<std::int64_t>();
    }
  }
  if (v < min || v > max) {
    fail(key, "must be in [" + std::to_string(min) + ", " +
                  (max == INT64_MAX ? std::string("inf") : std::to_string(max)) + "], not " +
                  std::to_string(v));
  }
  resolved_[key] = v;
  return v;
}

double ConfigReader::get_double(const char* key, double fallback, double min, double max) {
  double v = fallback;
  if (const Json* j = field(key)) {
    if (!j->is_number()) {
      fail(key, "must be a number");
    } else {
      v = j->get<double>();
    }
  }
  if (!(v >= min && v <= max)) {
    fail(key, "must be in [" + json_dump(min) + ", " + json_dump(max) + "], not " + json_dump(v));
  }
  resolved_[key] = v;
  return v;
}

bool ConfigReader::get_bool(const char* key, bool fallback) {
  bool v = fallback;
  if (const Json* j = field(key)) {
    if (!j->is_boolean()) {
      fail(key, "must be true or false");
    } else {
      v = j->get<bool>();
    }
  }
  resolved_[key] = v;
  return v;
}

std::string ConfigReader::get_string(const char* key, std::string fallback) {
  std::string v = std::move(fallback);
  if (const Json* j = field(key)) {
    if (!j->is_string()) {
      fail(key, "must be a string");
    } else {
      v = j->get<std::string>();
    }
  }
  resolved_[key] = v;
  return v;
}

std::string ConfigReader::get_choice(const char* key, std::string fallback,
                                     const std::vector<std::string>& choices) {
  std::string v = get_string(key, std::move(fallback));
  bool ok = false;
  std::string list;
  for (const std::string& c : choices) {
    ok = ok || c == v;
    list += (list.empty() ? "" : ", ") + c;
  }
  if (!ok) fail(key, "must be one of " + list + ", not '" + v + "'");
  return v;
}

Json ConfigReader::get_json(const char* key) {
  const Json* j = field(key);
  Json v = j ? *j : Json(nullptr);
  if (j) resolved_[key] = v;
  return v;
}

Status ConfigReader::finish() const {
  if (!error_.ok()) return error_;
  for (const auto& [key, v] : config_.items()) {
    if (known_.count(key) == 0) {
      std::string list;
      for (const std::string& k : known_) list += (list.empty() ? "" : ", ") + k;
      return Status::invalid_argument(where_ + ": unknown field '" + key + "' (known: " + list +
                                      ")");
    }
  }
  return Status();
}

}  // namespace arbor::search::internal
