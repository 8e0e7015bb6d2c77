#include "models/internal/decoder.h"

#include "models/internal/byte_level.h"
#include "models/internal/unicode.h"

namespace arbor::models::internal {

StatusOr<Decoder> Decoder::from_json(const Json& json, std::string_view where_view) {
  const std::string where(where_view);
  if (json.is_null()) return Decoder(Kind::kJoinWithSpace);
  ARBOR_ASSIGN_OR_RETURN(const std::string type, json_get<std::string>(json, "type", where));
  if (type == "ByteLevel") return Decoder(Kind::kByteLevel);
  if (type != "Sequence") {
    return Status::unimplemented(where + " type '" + type + "' is not supported");
  }
  const auto decoders = json.find("decoders");
  if (decoders == json.end() || !decoders->is_array()) {
    return Status::invalid_argument(where + ": field 'decoders' must be an array");
  }
  for (std::size_t i = 0; i < decoders->size(); ++i) {
    const std::string at = where + ".decoders[" + std::to_string(i) + "]";
    ARBOR_ASSIGN_OR_RETURN(const std::string t, json_get<std::string>((*decoders)[i], "type", at));
    if (t != "ByteLevel") return Status::unimplemented(at + " type '" + t + "' is not supported");
  }
  if (decoders->size() > 1) {
    return Status::unimplemented(where + ": a Sequence of more than one decoder is not supported");
  }
  return Decoder(decoders->empty() ? Kind::kConcatenate : Kind::kByteLevel);
}

std::string Decoder::decode(const std::vector<std::string_view>& tokens) const {
  std::string out;
  switch (kind_) {
    case Kind::kJoinWithSpace:
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0) out += ' ';
        out.append(tokens[i]);
      }
      return out;
    case Kind::kConcatenate:
      for (const std::string_view t : tokens) out.append(t);
      return out;
    case Kind::kByteLevel:
      for (const std::string_view t : tokens) {
        if (!byte_level_decode(t, &out)) out.append(t);
      }
      return to_valid_utf8(out);
  }
  return out;
}

std::string Decoder::token_bytes(std::string_view token) const {
  if (kind_ != Kind::kByteLevel) return std::string(token);
  std::string out;
  if (!byte_level_decode(token, &out)) out.assign(token);
  return out;
}

}  // namespace arbor::models::internal
