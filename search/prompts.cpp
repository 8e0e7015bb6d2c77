#include "search/prompts.h"

#include "core/strings.h"

namespace arbor::search {

std::string render(std::string_view tmpl, const TemplateVars& vars) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c == '{') {
      const std::size_t close = tmpl.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = tmpl.substr(i + 1, close - i - 1);
        auto it = vars.find(name);
        if (it != vars.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

Status check_template(std::string_view tmpl, const std::vector<std::string>& allowed,
                      std::string_view where) {
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      ++i;
      continue;
    }
    if (c == '}') {
      return Status::invalid_argument(std::string(where) + ": unmatched '}' at offset " +
                                      std::to_string(i) + " (write '}}' for a brace)");
    }
    if (c != '{') continue;
    const std::size_t close = tmpl.find('}', i);
    if (close == std::string_view::npos) {
      return Status::invalid_argument(std::string(where) + ": unclosed '{' at offset " +
                                      std::to_string(i) + " (write '{{' for a brace)");
    }
    const std::string name(tmpl.substr(i + 1, close - i - 1));
    bool ok = false;
    for (const std::string& a : allowed) ok = ok || a == name;
    if (!ok) {
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "{" : ", {") + a + "}";
      return Status::invalid_argument(std::string(where) + ": unknown placeholder {" + name +
                                      "} (this template may use " + (list.empty() ? "none" : list) +
                                      ")");
    }
    i = close;
  }
  return Status();
}

std::string candidate_text(std::string_view solution) {
  std::size_t end = solution.size();
  while (end > 0 && (solution[end - 1] == '\n' || solution[end - 1] == '\r')) --end;
  return std::string(solution.substr(0, end));
}

namespace {

struct TemplateField {
  const char* key;
  std::string Prompts::*member;
  std::vector<std::string> allowed;
};

const std::vector<TemplateField>& template_fields() {
  static const std::vector<TemplateField> kFields = {
      {"solve", &Prompts::solve, {"question"}},
      {"step_delimiter", &Prompts::step_delimiter, {}},
      {"critique", &Prompts::critique, {"question", "candidate"}},
      {"refine", &Prompts::refine, {"question"}},
      {"verify", &Prompts::verify, {"question", "candidate"}},
      {"verdict_yes", &Prompts::verdict_yes, {}},
      {"verdict_no", &Prompts::verdict_no, {}},
      {"score", &Prompts::score, {"question", "candidate"}},
      {"value", &Prompts::value, {"question", "candidate"}},
      {"pairwise", &Prompts::pairwise, {"question", "a", "b"}},
      {"pairwise_a", &Prompts::pairwise_a, {}},
      {"pairwise_b", &Prompts::pairwise_b, {}},
  };
  return kFields;
}

}  // namespace

StatusOr<Prompts> Prompts::from_json(const Json& j, std::string_view where) {
  Prompts p;
  if (j.is_null()) return p;
  if (!j.is_object()) {
    return Status::invalid_argument(std::string(where) + ": prompts must be an object");
  }
  for (const auto& [key, v] : j.items()) {
    const std::string field = std::string(where) + "." + key;
    bool known = false;
    for (const TemplateField& f : template_fields()) {
      if (key != f.key) continue;
      known = true;
      if (!v.is_string()) return Status::invalid_argument(field + " must be a string");
      p.*f.member = v.get<std::string>();
    }
    if (key == "value_labels") {
      known = true;
      if (!v.is_object() || v.empty()) {
        return Status::invalid_argument(field + " must be an object {\"word\": value, ...}");
      }
      p.value_labels.clear();
      for (const auto& [word, value] : v.items()) {
        if (!value.is_number() || word.empty()) {
          return Status::invalid_argument(field + "." + word + " must be a number");
        }
        p.value_labels.emplace_back(word, value.get<double>());
      }
    }
    if (key == "dummy_answers") {
      known = true;
      if (!v.is_array() || v.empty()) {
        return Status::invalid_argument(field + " must be a non-empty array of strings");
      }
      p.dummy_answers.clear();
      for (const Json& s : v) {
        if (!s.is_string()) return Status::invalid_argument(field + " must hold strings");
        p.dummy_answers.push_back(s.get<std::string>());
      }
    }
    if (!known) {
      std::string names;
      for (const TemplateField& f : template_fields()) names += std::string(f.key) + ", ";
      return Status::invalid_argument(field + ": unknown prompt (known: " + names +
                                      "value_labels, dummy_answers)");
    }
  }
  for (const TemplateField& f : template_fields()) {
    if (Status s = check_template(p.*f.member, f.allowed, std::string(where) + "." + f.key);
        !s.ok()) {
      return s;
    }
  }
  if (p.step_delimiter.empty()) {
    return Status::invalid_argument(std::string(where) + ".step_delimiter must not be empty");
  }
  return p;
}

Json Prompts::to_json() const {
  Json j = Json::object();
  for (const TemplateField& f : template_fields()) j[f.key] = this->*f.member;
  Json labels = Json::object();
  for (const auto& [word, v] : value_labels) labels[word] = v;
  j["value_labels"] = labels;
  j["dummy_answers"] = dummy_answers;
  return j;
}

}  // namespace arbor::search
