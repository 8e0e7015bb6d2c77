#include "agents/experiment_config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "agents/run_kinds.h"
#include "agents/verifiers.h"
#include "core/file.h"
#include "core/strings.h"
#include "envs/answer_extract.h"
#include "envs/datasets.h"
#include "envs/registry.h"
#include "search/algorithm.h"
#include "search/evaluator.h"
#include "search/prompts.h"

namespace arbor::agents {

namespace fs = std::filesystem;

// ---- loading: extends, --set, sweep ---------------------------------------------------------

namespace {

void merge_into(Json& base, const Json& child) {
  for (const auto& [k, v] : child.items()) {
    if (v.is_object() && base.contains(k) && base[k].is_object()) {
      merge_into(base[k], v);
    } else {
      base[k] = v;
    }
  }
}

StatusOr<Json> load_with_extends(const std::string& path, std::vector<std::string>& chain) {
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::string cycle;
    for (const std::string& c : chain) cycle += c + " -> ";
    return Status::invalid_argument(path + ": extends: cycle (" + cycle + canonical + ")");
  }
  if (!file_exists(path)) {
    return Status::invalid_argument(path + ": cannot read the config file (no such file)");
  }
  ARBOR_ASSIGN_OR_RETURN(Json j, read_json_file(path));
  if (!j.is_object()) return Status::invalid_argument(path + ": a config must be a JSON object");
  if (!j.contains("extends")) return j;
  const Json parent_ref = j["extends"];
  j.erase("extends");
  if (!parent_ref.is_string() || parent_ref.get<std::string>().empty()) {
    return Status::invalid_argument(path + ": extends: must be a non-empty string (a path)");
  }
  std::string parent = parent_ref.get<std::string>();
  if (!fs::path(parent).is_absolute()) {
    parent = (fs::path(path).parent_path() / parent).lexically_normal().string();
  }
  chain.push_back(canonical);
  StatusOr<Json> base = load_with_extends(parent, chain);
  chain.pop_back();
  if (!base.ok()) return base.status().with_context(path + ": extends");
  Json merged = std::move(*base);
  merge_into(merged, j);
  return merged;
}

// "a.b[2].c" -> {"a", "b", 2, "c"} (numbers for indices).
struct PathPart {
  std::string key;
  std::optional<std::size_t> index;
};

StatusOr<std::vector<PathPart>> parse_path(const std::string& path, const std::string& what) {
  std::vector<PathPart> out;
  for (const std::string& piece : split(path, '.')) {
    std::string rest = piece;
    const auto bracket = rest.find('[');
    std::string key = rest.substr(0, bracket);
    if (key.empty()) return Status::invalid_argument(what + ": bad path '" + path + "'");
    out.push_back({key, std::nullopt});
    rest = bracket == std::string::npos ? "" : rest.substr(bracket);
    while (!rest.empty()) {
      const auto close = rest.find(']');
      if (rest[0] != '[' || close == std::string::npos) {
        return Status::invalid_argument(what + ": bad path '" + path + "'");
      }
      ARBOR_ASSIGN_OR_RETURN(std::int64_t i, parse_int(rest.substr(1, close - 1), what));
      if (i < 0) return Status::invalid_argument(what + ": negative index in '" + path + "'");
      out.push_back({"", static_cast<std::size_t>(i)});
      rest = rest.substr(close + 1);
    }
  }
  return out;
}

Status set_path(Json& root, const std::string& path, const Json& value, const std::string& what) {
  ARBOR_ASSIGN_OR_RETURN(std::vector<PathPart> parts, parse_path(path, what));
  Json* node = &root;
  for (const PathPart& p : parts) {
    if (p.index) {
      if (!node->is_array() || *p.index >= node->size()) {
        return Status::invalid_argument(what + ": '" + path + "': index " +
                                        std::to_string(*p.index) + " is not in the array");
      }
      node = &(*node)[*p.index];
    } else {
      if (node->is_null()) *node = Json::object();
      if (!node->is_object()) {
        return Status::invalid_argument(what + ": '" + path + "': '" + p.key + "' is inside a " +
                                        std::string(json_type_name(*node)) + ", not an object");
      }
      node = &(*node)[p.key];
    }
  }
  *node = value;
  return Status();
}

}  // namespace

Status apply_override(Json& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::invalid_argument("--set " + assignment + ": expected PATH=VALUE");
  }
  const std::string path = std::string(trim(assignment.substr(0, eq)));
  const std::string text = assignment.substr(eq + 1);
  Json value;
  StatusOr<Json> parsed = parse_json(text, "--set");
  value = parsed.ok() ? *parsed : Json(text);
  return set_path(config, path, value, "--set " + path);
}

StatusOr<Json> load_experiment_json(const std::string& path, const std::vector<std::string>& sets) {
  std::vector<std::string> chain;
  ARBOR_ASSIGN_OR_RETURN(Json config, load_with_extends(path, chain));
  for (const std::string& s : sets) ARBOR_RETURN_IF_ERROR(apply_override(config, s));
  return config;
}

StatusOr<std::vector<SweepPoint>> expand_sweep(const Json& config) {
  if (!config.contains("sweep")) return std::vector<SweepPoint>{{"", config}};
  const Json& sweep = config["sweep"];
  if (!sweep.is_object() || sweep.empty()) {
    return Status::invalid_argument("sweep: must be an object {\"path\": [values...]}");
  }
  Json base = config;
  base.erase("sweep");
  std::vector<std::pair<std::string, Json>> axes;
  for (const auto& [k, v] : sweep.items()) {
    if (!v.is_array() || v.empty()) {
      return Status::invalid_argument("sweep." + k + ": must be a non-empty array of values");
    }
    axes.emplace_back(k, v);
  }
  std::vector<SweepPoint> points = {{"", base}};
  for (const auto& [key, values] : axes) {
    std::vector<SweepPoint> next;
    const std::string short_key = split(key, '.').back();
    for (const SweepPoint& p : points) {
      for (const Json& v : values) {
        SweepPoint q = p;
        ARBOR_RETURN_IF_ERROR(set_path(q.config, key, v, "sweep." + key));
        q.label += (q.label.empty() ? "" : ",") + short_key + "=" +
                   (v.is_string() ? v.get<std::string>() : v.dump());
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  for (SweepPoint& p : points) {
    Json& exp = p.config["experiment"];
    if (exp.is_object() && exp.contains("name") && exp["name"].is_string()) {
      exp["name"] = exp["name"].get<std::string>() + "[" + p.label + "]";
    }
  }
  return points;
}

// ---- validation ------------------------------------------------------------------------------

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// 5 -> "5", 0.5 -> "0.5".
std::string num(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return json_dump(v);
}

// Collects "path: message" lines and fills defaults, section by section.
class Checker {
 public:
  void error(const std::string& path, const std::string& message) {
    errors_.push_back(path.empty() ? message : path + ": " + message);
  }
  const std::vector<std::string>& errors() const { return errors_; }

  // Reports keys of `obj` (at `path`) outside `known`, with the nearest known one.
  void known_keys(const Json& obj, const std::string& path, const std::vector<std::string>& known) {
    if (!obj.is_object()) return;
    for (const auto& [k, v] : obj.items()) {
      if (std::find(known.begin(), known.end(), k) != known.end()) continue;
      std::string msg = "unknown key";
      const std::string near = nearest_name(k, known);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      std::string list;
      for (const std::string& n : known) list += (list.empty() ? "" : ", ") + n;
      error(join(path, k), msg + "; valid keys: " + list);
    }
  }

  // The object at obj[key] (created empty when absent); false (with an error) when mistyped.
  bool section(Json& obj, const std::string& key, const std::string& path, bool required) {
    if (!obj.contains(key) || obj[key].is_null()) {
      if (required) {
        error(join(path, key), "missing (required)");
        return false;
      }
      obj[key] = Json::object();
      return true;
    }
    if (!obj[key].is_object()) {
      error(join(path, key), "must be an object, not " + std::string(json_type_name(obj[key])));
      return false;
    }
    return true;
  }

  void string_field(Json& obj, const std::string& key, const std::string& path,
                    std::optional<std::string> fallback,
                    const std::vector<std::string>& choices = {}) {
    const std::string p = join(path, key);
    if (!obj.contains(key) || obj[key].is_null()) {
      if (fallback) {
        obj[key] = *fallback;
      } else {
        error(p, "missing (required)");
      }
      return;
    }
    if (!obj[key].is_string()) {
      error(p, "must be a string, not " + std::string(json_type_name(obj[key])));
      return;
    }
    const std::string v = obj[key].get<std::string>();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
      std::string list;
      for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
      std::string msg = "'" + v + "' is not one of " + list;
      const std::string near = nearest_name(v, choices);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      error(p, msg);
    }
  }

  void int_field(Json& obj, const std::string& key, const std::string& path,
                 std::optional<std::int64_t> fallback, std::int64_t min, std::int64_t max) {
    const std::string p = join(path, key);
    if (!obj.contains(key) || obj[key].is_null()) {
      if (fallback) {
        obj[key] = *fallback;
      } else {
        error(p, "missing (required)");
      }
      return;
    }
    const Json& v = obj[key];
    if (!v.is_number_integer() &&
        !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())) {
      error(p, "must be an integer, not " + std::string(json_type_name(v)));
      return;
    }
    const auto i =
        v.is_number_integer() ? v.get<std::int64_t>() : static_cast<std::int64_t>(v.get<double>());
    obj[key] = i;
    range(p, static_cast<double>(i), static_cast<double>(min), static_cast<double>(max));
  }

  void number_field(Json& obj, const std::string& key, const std::string& path,
                    std::optional<double> fallback, double min, double max, bool open_min = false) {
    const std::string p = join(path, key);
    if (!obj.contains(key) || obj[key].is_null()) {
      if (fallback) obj[key] = *fallback;
      return;
    }
    if (!obj[key].is_number()) {
      error(p, "must be a number, not " + std::string(json_type_name(obj[key])));
      return;
    }
    const double v = obj[key].get<double>();
    if (open_min && v <= min) {
      error(p, "must be > " + num(min) + ", not " + num(v));
      return;
    }
    range(p, v, min, max);
  }

  void bool_field(Json& obj, const std::string& key, const std::string& path, bool fallback) {
    if (!obj.contains(key) || obj[key].is_null()) {
      obj[key] = fallback;
    } else if (!obj[key].is_boolean()) {
      error(join(path, key), "must be true or false, not " + std::string(json_type_name(obj[key])));
    }
  }

  void range(const std::string& p, double v, double min, double max) {
    if (v < min) {
      error(p, "must be >= " + num(min) + ", not " + num(v));
    } else if (v > max) {
      error(p, "must be <= " + num(max) + ", not " + num(v));
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::vector<std::string> errors_;
};

std::string absolute(const std::string& p) {
  if (p.empty()) return p;
  return fs::absolute(fs::path(p)).lexically_normal().string();
}

// Makes a status message's "where.unknown field 'x' (known: ...)" point at the nearest name.
std::string with_suggestion(const std::string& message) {
  const auto u = message.find("unknown field '");
  const auto k = message.find("(known: ");
  if (k == std::string::npos) return message;
  std::string name;
  if (u != std::string::npos) {
    const auto name_end = message.find('\'', u + 15);
    name = message.substr(u + 15, name_end - u - 15);
  } else if (const auto q = message.find(": unknown prompt"); q != std::string::npos) {
    const std::string path = message.substr(0, q);
    name = path.substr(path.rfind('.') + 1);
  } else {
    return message;
  }
  const auto close = message.find(')', k);
  std::vector<std::string> known;
  for (const std::string& s : split(message.substr(k + 8, close - k - 8), ',')) {
    known.emplace_back(trim(s));
  }
  const std::string near = nearest_name(name, known);
  if (near.empty()) return message;
  return message.substr(0, close + 1) + " (did you mean '" + near + "'?)" +
         message.substr(close + 1);
}

// The section's error as "path: message" lines for the checker (search's messages already
// start with the path).
void add_status(Checker& c, const Status& s) {
  if (s.ok()) return;
  std::string m = with_suggestion(s.message());
  const auto colon = m.find(": ");
  if (colon == std::string::npos) {
    c.error("", m);
  } else {
    c.error(m.substr(0, colon), m.substr(colon + 2));
  }
}

const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> kAliases = {
      {"greedy", "cot"}, {"beam_prm", "beam_search"}, {"mcts_r", "mctsr"}};
  return kAliases;
}

// Fields of a search entry that are the experiment's, not the algorithm's.
const std::vector<std::string> kEntryKeys = {"algorithm", "label", "budget", "evaluator"};
const std::vector<std::string> kSamplerKeys = {"temperature", "top_k", "top_p", "min_p",
                                               "max_tokens"};

void check_budget(Checker& c, Json& budget, const std::string& path) {
  if (!budget.is_object()) {
    c.error(path, "must be an object {max_tokens, max_calls, max_seconds}");
    return;
  }
  c.known_keys(budget, path, {"max_tokens", "max_calls", "max_seconds"});
  c.int_field(budget, "max_tokens", path, 0, 0, std::numeric_limits<std::int64_t>::max());
  c.int_field(budget, "max_calls", path, 0, 0, std::numeric_limits<std::int64_t>::max());
  c.number_field(budget, "max_seconds", path, 0.0, 0, kInf);
}

void check_search(Checker& c, Json& config, bool has_prm) {
  Json& s = config["search"];
  const std::string base = "search";
  s.erase("runs");  // a resolved config's expansion, recomputed
  const Json original = s;
  std::vector<Json> entries;
  std::vector<std::string> paths;
  const bool single = s.contains("algorithm");
  if (single == s.contains("algorithms")) {
    c.error(base, single ? "give either 'algorithm' or 'algorithms', not both"
                         : "missing 'algorithm' (one) or 'algorithms' (a list)");
    return;
  }
  if (!s.contains("budget") || s["budget"].is_null()) s["budget"] = Json::object();
  check_budget(c, s["budget"], "search.budget");
  if (single) {
    Json e = s;
    e.erase("budget");
    entries.push_back(e);
    paths.push_back(base);
  } else {
    for (const auto& [k, v] : s.items()) {
      if (k != "algorithms" && k != "budget") {
        std::string msg = "unknown key next to 'algorithms' (put algorithm fields in its entry)";
        c.error("search." + k, msg);
      }
    }
    if (!s["algorithms"].is_array() || s["algorithms"].empty()) {
      c.error("search.algorithms", "must be a non-empty array of names or objects");
      return;
    }
    for (std::size_t i = 0; i < s["algorithms"].size(); ++i) {
      Json e = s["algorithms"][i];
      if (e.is_string()) e = Json{{"algorithm", e}};
      entries.push_back(e);
      paths.push_back("search.algorithms[" + std::to_string(i) + "]");
    }
  }
  const Json& sampler = config["sampler"];
  Json resolved = Json::array();
  std::set<std::string> names;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    Json& e = entries[i];
    const std::string& p = paths[i];
    if (!e.is_object()) {
      c.error(p, "must be an algorithm name or an object {\"algorithm\": name, ...}");
      continue;
    }
    if (!e.contains("algorithm") || !e["algorithm"].is_string()) {
      c.error(p + ".algorithm", "missing (required): a name");
      continue;
    }
    const std::string name = e["algorithm"].get<std::string>();
    const auto& known = experiment_algorithm_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      std::string msg = "unknown algorithm '" + name + "'";
      const std::string near = nearest_name(name, known);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      c.error(p + ".algorithm", msg + "; known: " + list);
      continue;
    }
    const auto alias = aliases().find(name);
    const std::string search_name = alias == aliases().end() ? name : alias->second;
    std::string label = name;
    if (e.contains("label")) {
      if (!e["label"].is_string() || e["label"].get<std::string>().empty()) {
        c.error(p + ".label", "must be a non-empty string");
      } else {
        label = e["label"].get<std::string>();
      }
    }
    if (!names.insert(label).second) {
      c.error(p, "a second run named '" + label + "': give one of them a distinct \"label\"");
    }
    // The algorithm's fields: the sampler's defaults, then the entry's own.
    Json alg = Json::object();
    if (name != "greedy" && name != "cot") {
      for (const std::string& k : kSamplerKeys) {
        if (sampler.contains(k)) alg[k] = sampler[k];
      }
    } else if (sampler.contains("max_tokens")) {
      alg["max_tokens"] = sampler["max_tokens"];
    }
    for (const auto& [k, v] : e.items()) {
      if (std::find(kEntryKeys.begin(), kEntryKeys.end(), k) == kEntryKeys.end()) alg[k] = v;
    }
    alg["algorithm"] = search_name;
    if (name == "greedy") {
      if (alg.contains("temperature") && alg["temperature"] != Json(0) &&
          alg["temperature"] != Json(0.0)) {
        c.error(p + ".temperature", "greedy decodes at temperature 0 (use \"cot\" to sample)");
      }
      alg["temperature"] = 0;
    }
    StatusOr<std::unique_ptr<search::Algorithm>> made = search::make_algorithm(alg, p);
    if (!made.ok()) {
      // make_algorithm names "<p>.algorithm" for the algorithm and "<p>.<field>" otherwise.
      add_status(c, made.status());
      continue;
    }
    Json out = {{"name", label}, {"algorithm", (*made)->config()}};
    out["algorithm"]["algorithm"] = search_name;
    Json budget = s["budget"].is_object() ? s["budget"] : Json::object();
    if (e.contains("budget")) {
      Json own = e["budget"];
      check_budget(c, own, p + ".budget");
      if (own.is_object()) merge_into(budget, own);
    }
    out["budget"] = budget;
    // The evaluator: the entry's, else the config's, else the default of the algorithm.
    Json ev = nullptr;
    if (e.contains("evaluator")) {
      ev = e["evaluator"];
    } else if (name == "beam_prm") {
      ev = has_prm ? Json{{"kind", "prm"}} : Json(nullptr);
      if (!has_prm) {
        c.error(p + ".algorithm",
                "beam_prm needs a process reward head: model.path has no prm.head.json (use "
                "beam_search with an evaluator)");
      }
    } else if ((*made)->needs_evaluator()) {
      if (!config["evaluator"].empty()) {
        ev = config["evaluator"];
      } else if (search_name == "beam_search" || search_name == "dvts" ||
                 search_name == "step_mcts") {
        ev = has_prm ? Json{{"kind", "prm"}} : Json{{"kind", "verdict"}};
      } else {
        ev = Json{{"kind", "verdict"}};
      }
    }
    if (!ev.is_null()) {
      StatusOr<std::unique_ptr<search::Evaluator>> made_ev = search::make_evaluator(
          ev, env_verifiers(), e.contains("evaluator") ? p + ".evaluator" : std::string("evaluator"));
      if (!made_ev.ok()) {
        add_status(c, made_ev.status());
      } else {
        ev = (*made_ev)->config();
      }
    }
    out["evaluator"] = ev;
    const Json& b = out["budget"];
    if ((*made)->config().value("n", 1) == 0 && b.value("max_tokens", 0) == 0 &&
        b.value("max_calls", 0) == 0) {
      c.error(p + ".n", "0 (until the budget) needs search.budget.max_tokens or max_calls");
    }
    resolved.push_back(std::move(out));
  }
  const Json budget = s["budget"];
  s = original;
  s["budget"] = budget;
  s["runs"] = std::move(resolved);
}

void check_dataset(Checker& c, Json& d) {
  const std::string p = "dataset";
  c.known_keys(d, p, {"id", "path", "split", "range", "grader", "arith", "skip_malformed"});
  std::vector<std::string> ids = {"arith"};
  for (const std::string& n : envs::dataset_names()) ids.push_back(n);
  ids.push_back("jsonl");
  c.string_field(d, "id", p, std::nullopt, ids);
  if (!d["id"].is_string()) return;
  const std::string id = d["id"].get<std::string>();
  c.string_field(d, "split", p, std::string("test"));
  const std::string default_grader = id == "arith" || id == "jsonl" ? "arith"
                                     : id == "gsm8k"                ? "gsm8k"
                                     : id == "game24"               ? "game24"
                                                                    : "prm800k";
  c.string_field(d, "grader", p, default_grader,
                 {"arith", "gsm8k", "hendrycks", "prm800k", "lenient", "game24"});
  c.bool_field(d, "skip_malformed", p, false);
  if (!d.contains("range") || d["range"].is_null()) {
    if (id == "arith") {
      c.error("dataset.range", "missing (required for arith): [start, end) problem indices");
    } else {
      d["range"] = nullptr;
    }
  } else {
    const Json& r = d["range"];
    if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number_integer()) {
      c.error("dataset.range", "must be [start, end): two integers");
    } else if (r[0].get<std::int64_t>() < 0 ||
               r[1].get<std::int64_t>() <= r[0].get<std::int64_t>()) {
      c.error("dataset.range", "must satisfy 0 <= start < end, not " + r.dump());
    }
  }
  if (id == "arith") {
    if (d.contains("path")) c.error("dataset.path", "arith problems are generated: no path");
    c.string_field(d, "split", p, std::string("test"), {"all", "train", "test"});
    if (!c.section(d, "arith", p, false)) return;
    Json& a = d["arith"];
    c.known_keys(a, "dataset.arith", {"seed", "difficulty", "kinds", "heldout_permille"});
    c.int_field(a, "seed", "dataset.arith", std::nullopt, 0,
                std::numeric_limits<std::int64_t>::max());
    c.string_field(a, "difficulty", "dataset.arith", std::string("all"));
    c.string_field(a, "kinds", "dataset.arith", std::string("expr,word"));
    c.int_field(a, "heldout_permille", "dataset.arith", 100, 1, 999);
    return;
  }
  if (d.contains("arith")) c.error("dataset.arith", "only for dataset.id \"arith\"");
  if (!d.contains("path") || d["path"].is_null()) {
    if (id == "jsonl") {
      c.error("dataset.path", "missing (required for jsonl): a file of {id, question, answer}");
      return;
    }
    StatusOr<std::string> def = envs::default_dataset_path(id, d["split"].get<std::string>());
    if (!def.ok()) {
      c.error("dataset.split", def.status().message());
      return;
    }
    d["path"] = *def;
  }
  if (!d["path"].is_string()) {
    c.error("dataset.path", "must be a string");
    return;
  }
  const std::string path = d["path"].get<std::string>();
  if (!file_exists(path) || is_directory(path)) {
    c.error("dataset.path", "'" + path + "': no such file (the datasets ship in datasets/; run " +
                                "from the repository root or give an absolute path)");
    return;
  }
  d["path"] = absolute(path);
}

void check_model(Checker& c, Json& m, bool* has_prm) {
  const std::string p = "model";
  c.known_keys(m, p, {"path", "dtype", "device", "memory_budget_mb", "host_spill_mb"});
  c.string_field(m, "path", p, std::nullopt);
  c.string_field(m, "dtype", p, std::string("auto"), {"auto", "float32", "bfloat16", "float16"});
  c.string_field(m, "device", p, std::string("cpu"), {"cpu", "cuda"});
  c.number_field(m, "memory_budget_mb", p, 256.0, 0, 1 << 24, true);
  c.number_field(m, "host_spill_mb", p, 1024.0, 0, 1 << 24);
  if (!m["path"].is_string()) return;
  const std::string dir = m["path"].get<std::string>();
  if (!is_directory(dir)) {
    c.error("model.path", "'" + dir + "': no such checkpoint folder");
    return;
  }
  if (!file_exists(join_path(dir, "config.json"))) {
    c.error("model.path", "'" + dir + "': not a checkpoint (no config.json)");
  } else if (!file_exists(join_path(dir, "tokenizer.json"))) {
    c.error("model.path", "'" + dir + "': no tokenizer.json (runs need the tokenizer)");
  }
  *has_prm = file_exists(join_path(dir, "prm.head.json"));
  m["path"] = absolute(dir);
}

}  // namespace

const std::vector<std::string>& experiment_algorithm_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> n = {"greedy", "beam_prm", "mcts_r"};
    for (const std::string& a : search::algorithm_names()) n.push_back(a);
    return n;
  }();
  return kNames;
}

StatusOr<Json> resolve_experiment(const Json& input) {
  if (!input.is_object()) return Status::invalid_argument("config: must be a JSON object");
  Json config = input;
  Checker c;
  const std::vector<std::string> top = {"experiment", "model",     "engine", "sampler", "prompts",
                                        "search",     "evaluator", "memory", "dataset", "env",
                                        "agent",      "eval",      "output"};
  if (config.contains("extends")) c.error("extends", "must be resolved before validation");
  if (config.contains("sweep")) c.error("sweep", "must be expanded before validation");
  config.erase("extends");
  config.erase("sweep");
  c.known_keys(config, "", top);

  if (c.section(config, "experiment", "", true)) {
    Json& e = config["experiment"];
    c.known_keys(e, "experiment", {"name", "seed", "description"});
    c.string_field(e, "name", "experiment", std::nullopt);
    if (e["name"].is_string() && e["name"].get<std::string>().empty()) {
      c.error("experiment.name", "must not be empty");
    }
    c.int_field(e, "seed", "experiment", 1, 0, std::numeric_limits<std::int64_t>::max());
    c.string_field(e, "description", "experiment", std::string());
  }
  bool has_prm = false;
  if (c.section(config, "model", "", true)) check_model(c, config["model"], &has_prm);
  if (c.section(config, "engine", "", false)) {
    Json& e = config["engine"];
    c.known_keys(e, "engine", {"batch", "max_batch_tokens", "prefill_chunk", "concurrency"});
    c.int_field(e, "batch", "engine", 256, 1, 4096);
    c.int_field(e, "max_batch_tokens", "engine", 1024, 1, 1 << 20);
    c.int_field(e, "prefill_chunk", "engine", 256, 1, 1 << 20);
    c.int_field(e, "concurrency", "engine", 16, 1, 4096);
  }
  if (c.section(config, "sampler", "", false)) {
    Json& s = config["sampler"];
    c.known_keys(s, "sampler", kSamplerKeys);
    c.number_field(s, "temperature", "sampler", std::nullopt, 0, 100);
    c.int_field(s, "top_k", "sampler", 0, 0, 1 << 20);
    c.number_field(s, "top_p", "sampler", std::nullopt, 0, 1, true);
    c.number_field(s, "min_p", "sampler", std::nullopt, 0, 1);
    if (s.contains("max_tokens")) c.int_field(s, "max_tokens", "sampler", 192, 1, 1 << 20);
    if (s["top_k"] == Json(0)) s.erase("top_k");
  }
  if (c.section(config, "prompts", "", false)) {
    StatusOr<search::Prompts> prompts = search::Prompts::from_json(config["prompts"], "prompts");
    if (!prompts.ok()) add_status(c, prompts.status());
  }
  c.section(config, "evaluator", "", false);
  if (c.section(config, "memory", "", false)) {
    Json& m = config["memory"];
    c.known_keys(m, "memory", {"database", "retrieval"});
    if (!m.contains("database")) m["database"] = nullptr;
    if (!m["database"].is_null()) {
      if (!m["database"].is_string() || m["database"].get<std::string>().empty()) {
        c.error("memory.database", "must be a path (string) or null");
      } else {
        const std::string db = absolute(m["database"].get<std::string>());
        if (!is_directory(fs::path(db).parent_path().string())) {
          c.error("memory.database", "'" + db + "': its folder does not exist");
        }
        m["database"] = db;
      }
    }
    if (c.section(m, "retrieval", "memory", false)) {
      Json& r = m["retrieval"];
      c.known_keys(r, "memory.retrieval",
                   {"k", "text", "vector", "importance", "recency", "scope", "kinds"});
      c.int_field(r, "k", "memory.retrieval", 5, 1, 1000);
      for (const char* w : {"text", "vector", "importance", "recency"}) {
        c.number_field(r, w, "memory.retrieval", std::nullopt, 0, 1000);
      }
    }
  }
  const bool has_dataset = config.contains("dataset") && !config["dataset"].is_null();
  const bool has_env = config.contains("env") && !config["env"].is_null();
  if (has_dataset == has_env) {
    c.error("dataset", has_env ? "give either 'dataset' (with 'search') or 'env' (with "
                                 "'agent'), not both"
                               : "missing: give 'dataset' (with 'search') or 'env' (with 'agent')");
  }
  if (has_dataset) {
    if (c.section(config, "dataset", "", true)) check_dataset(c, config["dataset"]);
    if (config.contains("agent")) c.error("agent", "only with 'env' (datasets run 'search')");
    if (c.section(config, "search", "", true)) check_search(c, config, has_prm);
  }
  if (has_env) {
    if (c.section(config, "env", "", true)) {
      Json& e = config["env"];
      c.string_field(e, "id", "env", std::nullopt);
      if (e["id"].is_string()) {
        const std::string id = e["id"].get<std::string>();
        const std::string name = id.substr(0, id.find(':'));
        std::vector<std::string> names;
        for (const envs::EnvRegistration& r : envs::EnvRegistry::builtin().list()) {
          names.push_back(r.name);
        }
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          std::string list;
          for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
          std::string msg = "unknown environment '" + name + "'";
          const std::string near = nearest_name(name, names);
          if (!near.empty()) msg += " (did you mean '" + near + "'?)";
          c.error("env.id", msg + "; known: " + list);
        }
      }
      if (e.contains("options") && !e["options"].is_object()) {
        c.error("env.options", "must be an object");
      }
    }
    if (c.section(config, "agent", "", true)) {
      Json& a = config["agent"];
      std::vector<std::string> kinds;
      for (const RunKind& k : run_kinds()) {
        if (k.name != "search") kinds.push_back(k.name);
      }
      c.string_field(a, "kind", "agent", std::nullopt,
                     kinds.empty() ? std::vector<std::string>{"(none registered)"} : kinds);
      if (a["kind"].is_string()) {
        if (const RunKind* k = find_run_kind(a["kind"].get<std::string>()); k && k->validate) {
          for (const std::string& line : k->validate(config)) {
            const auto colon = line.find(": ");
            c.error(line.substr(0, colon),
                    colon == std::string::npos ? "" : line.substr(colon + 2));
          }
        }
      }
    }
  }
  if (c.section(config, "eval", "", false)) {
    Json& e = config["eval"];
    c.known_keys(e, "eval", {"k"});
    if (!e.contains("k")) e["k"] = Json::array({1});
    if (!e["k"].is_array() || e["k"].empty()) {
      c.error("eval.k", "must be a non-empty array of integers >= 1 (pass@k and maj@k)");
    } else {
      for (std::size_t i = 0; i < e["k"].size(); ++i) {
        if (!e["k"][i].is_number_integer() || e["k"][i].get<std::int64_t>() < 1) {
          c.error("eval.k[" + std::to_string(i) + "]", "must be an integer >= 1");
        }
      }
    }
  }
  if (c.section(config, "output", "", false)) {
    Json& o = config["output"];
    c.known_keys(o, "output", {"folder", "trees"});
    c.string_field(o, "folder", "output", std::string("runs/{name}-{time}"));
    c.bool_field(o, "trees", "output", true);
  }
  if (!c.errors().empty()) {
    std::string msg = std::to_string(c.errors().size()) + " config error" +
                      (c.errors().size() > 1 ? "s" : "") + ":";
    for (const std::string& e : c.errors()) msg += "\n  " + e;
    return Status::invalid_argument(msg);
  }
  return config;
}

std::vector<AlgorithmRun> algorithm_runs(const Json& resolved) {
  std::vector<AlgorithmRun> out;
  if (!resolved.contains("search")) return out;
  for (const Json& r : resolved["search"]["runs"]) {
    out.push_back({r["name"].get<std::string>(), r["algorithm"], r["evaluator"], r["budget"]});
  }
  return out;
}

std::string config_hash(const Json& config) {
  const std::string text = config.dump();  // object keys are sorted
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return std::string("fnv1a64:") + buf;
}

}  // namespace arbor::agents
