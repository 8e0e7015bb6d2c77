// JSON helpers over nlohmann::json that turn a missing or mistyped field into a Status naming
// where it is ("config.json: field 'state_size' is missing").
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "core/status.h"

namespace arbor {

using Json = nlohmann::json;

// Parses `text`; `where` (a file name) prefixes the error, which gives the byte offset.
StatusOr<Json> parse_json(std::string_view text, std::string_view where);
StatusOr<Json> read_json_file(const std::string& path);

// "object", "array", "string", "integer", "number", "boolean", "null".
std::string_view json_type_name(const Json& j);

// Reads field `key` of object `obj` as T (bool, integer types, double/float, std::string).
// `where` names the object in errors ("config.json", "tokenizer.json: model").
template <typename T>
StatusOr<T> json_get(const Json& obj, std::string_view key, std::string_view where);

// As json_get, but returns `fallback` when the field is absent or null.
template <typename T>
StatusOr<T> json_get_or(const Json& obj, std::string_view key, std::string_view where,
                        T fallback) {
  if (!obj.is_object() || !obj.contains(key) || obj.at(std::string(key)).is_null()) {
    return fallback;
  }
  return json_get<T>(obj, key, where);
}

// Serializes a float the way the CLI prints numbers: shortest form that reads back exactly.
std::string json_dump(const Json& j);

}  // namespace arbor
