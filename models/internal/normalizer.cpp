#include "models/internal/normalizer.h"

#include "models/internal/unicode.h"

namespace arbor::models::internal {

StatusOr<Normalizer> Normalizer::from_json(const Json& json, std::string_view where) {
  Normalizer n;
  if (!json.is_null()) ARBOR_RETURN_IF_ERROR(add_steps(json, std::string(where), &n.steps_));
  return n;
}

Status Normalizer::add_steps(const Json& json, const std::string& where, std::vector<Step>* steps) {
  ARBOR_ASSIGN_OR_RETURN(const std::string type, json_get<std::string>(json, "type", where));
  if (type == "NFC") {
    steps->push_back(Step::kNfc);
  } else if (type == "NFD") {
    steps->push_back(Step::kNfd);
  } else if (type == "NFKC") {
    steps->push_back(Step::kNfkc);
  } else if (type == "NFKD") {
    steps->push_back(Step::kNfkd);
  } else if (type == "Lowercase") {
    steps->push_back(Step::kLowercase);
  } else if (type == "Sequence") {
    const auto it = json.find("normalizers");
    if (it == json.end() || !it->is_array()) {
      return Status::invalid_argument(where + ": field 'normalizers' must be an array");
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      ARBOR_RETURN_IF_ERROR(
          add_steps((*it)[i], where + ".normalizers[" + std::to_string(i) + "]", steps));
    }
  } else {
    return Status::unimplemented(where + " type '" + type + "' is not supported");
  }
  return Status::ok_status();
}

std::string Normalizer::normalize(std::string_view text) const {
  std::string s(text);
  for (const Step step : steps_) {
    switch (step) {
      case Step::kNfc:
        s = internal::normalize(s, NormalForm::kNfc);
        break;
      case Step::kNfd:
        s = internal::normalize(s, NormalForm::kNfd);
        break;
      case Step::kNfkc:
        s = internal::normalize(s, NormalForm::kNfkc);
        break;
      case Step::kNfkd:
        s = internal::normalize(s, NormalForm::kNfkd);
        break;
      case Step::kLowercase:
        s = lowercase(s);
        break;
    }
  }
  return s;
}

}  // namespace arbor::models::internal
