#include "core/json.h"

#include <cstdint>
#include <limits>

#include "core/file.h"

namespace arbor {

StatusOr<Json> parse_json(std::string_view text, std::string_view where) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return Status::invalid_argument(std::string(where) + ": malformed JSON at byte " +
                                    std::to_string(e.byte) + ": " + e.what());
  }
}

StatusOr<Json> read_json_file(const std::string& path) {
  ARBOR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_json(text, path);
}

std::string_view json_type_name(const Json& j) {
  if (j.is_object()) return "object";
  if (j.is_array()) return "array";
  if (j.is_string()) return "string";
  if (j.is_number_integer()) return "integer";
  if (j.is_number()) return "number";
  if (j.is_boolean()) return "boolean";
  if (j.is_null()) return "null";
  return "unknown";
}

namespace {

Status field_error(std::string_view where, std::string_view key, std::string_view what) {
  return Status::invalid_argument(std::string(where) + ": field '" + std::string(key) + "' " +
                                  std::string(what));
}

StatusOr<const Json*> find_field(const Json& obj, std::string_view key, std::string_view where) {
  if (!obj.is_object()) {
    return Status::invalid_argument(std::string(where) + ": expected a JSON object, got " +
                                    std::string(json_type_name(obj)));
  }
  auto it = obj.find(key);
  if (it == obj.end()) return field_error(where, key, "is missing");
  return &*it;
}

template <typename Int>
StatusOr<Int> get_integer(const Json& obj, std::string_view key, std::string_view where) {
  ARBOR_ASSIGN_OR_RETURN(const Json* v, find_field(obj, key, where));
  if (!v->is_number_integer()) {
    // Accept integral floats such as 4.0, which some writers emit.
    if (v->is_number_float()) {
      const double d = v->get<double>();
      if (d == static_cast<double>(static_cast<std::int64_t>(d))) {
        return static_cast<Int>(static_cast<std::int64_t>(d));
      }
    }
    return field_error(where, key,
                       "has type " + std::string(json_type_name(*v)) + ", expected an integer");
  }
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) {
      return field_error(where, key, "is out of range");
    }
    return static_cast<Int>(u);
  }
  const auto i = v->get<std::int64_t>();
  if (i < static_cast<std::int64_t>(std::numeric_limits<Int>::min()) ||
      i > static_cast<std::int64_t>(std::numeric_limits<Int>::max())) {
    return field_error(where, key, "is out of range");
  }
  return static_cast<Int>(i);
}

}  // namespace

template <>
StatusOr<bool> json_get<bool>(const Json& obj, std::string_view key, std::string_view where) {
  ARBOR_ASSIGN_OR_RETURN(const Json* v, find_field(obj, key, where));
  if (!v->is_boolean()) {
    return field_error(where, key,
                       "has type " + std::string(json_type_name(*v)) + ", expected a boolean");
  }
  return v->get<bool>();
}

template <>
StatusOr<int> json_get<int>(const Json& obj, std::string_view key, std::string_view where) {
  return get_integer<int>(obj, key, where);
}

template <>
StatusOr<std::int64_t> json_get<std::int64_t>(const Json& obj, std::string_view key,
                                              std::string_view where) {
  return get_integer<std::int64_t>(obj, key, where);
}

template <>
StatusOr<double> json_get<double>(const Json& obj, std::string_view key, std::string_view where) {
  ARBOR_ASSIGN_OR_RETURN(const Json* v, find_field(obj, key, where));
  if (!v->is_number()) {
    return field_error(where, key,
                       "has type " + std::string(json_type_name(*v)) + ", expected a number");
  }
  return v->get<double>();
}

template <>
StatusOr<float> json_get<float>(const Json& obj, std::string_view key, std::string_view where) {
  ARBOR_ASSIGN_OR_RETURN(double d, json_get<double>(obj, key, where));
  return static_cast<float>(d);
}

template <>
StatusOr<std::string> json_get<std::string>(const Json& obj, std::string_view key,
                                            std::string_view where) {
  ARBOR_ASSIGN_OR_RETURN(const Json* v, find_field(obj, key, where));
  if (!v->is_string()) {
    return field_error(where, key,
                       "has type " + std::string(json_type_name(*v)) + ", expected a string");
  }
  return v->get<std::string>();
}

std::string json_dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace arbor
