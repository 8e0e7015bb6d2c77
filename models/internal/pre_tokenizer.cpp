#include "models/internal/pre_tokenizer.h"

#include <algorithm>
#include <utility>

#include "models/internal/byte_level.h"
#include "models/internal/regex.h"
#include "models/internal/unicode.h"

namespace arbor::models::internal {

// ---- splitting ------------------------------------------------------------------------------

std::vector<std::string_view> split_spans(std::string_view text, const std::vector<Span>& spans,
                                          SplitBehavior behavior) {
  struct Piece {
    std::size_t start, end;
    bool removed;
  };
  std::vector<Piece> pieces;
  pieces.reserve(spans.size());
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const Span& s : spans) pieces.push_back({s.start, s.end, false});
      break;
    case SplitBehavior::kRemoved:
      for (const Span& s : spans) pieces.push_back({s.start, s.end, s.is_match});
      break;
    case SplitBehavior::kContiguous:
      for (const Span& s : spans) {
        if (s.is_match == previous_match && !pieces.empty()) {
          pieces.back().end = s.end;
        } else {
          pieces.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Span& s : spans) {
        if (s.is_match && !previous_match && !pieces.empty()) {
          pieces.back().end = s.end;
        } else {
          pieces.push_back({s.start, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !pieces.empty()) {
          pieces.back().start = it->start;
        } else {
          pieces.push_back({it->start, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
  }
  std::vector<std::string_view> out;
  out.reserve(pieces.size());
  for (const Piece& p : pieces) {
    if (!p.removed) out.push_back(text.substr(p.start, p.end - p.start));
  }
  return out;
}

namespace {

// The spans of a regex over `text`, as HF's Pattern impl for regexes builds them.
std::vector<Span> regex_spans(const Regex& regex, std::string_view text, bool invert) {
  if (text.empty()) return {{0, 0, invert}};
  std::vector<Span> spans;
  std::size_t prev = 0;
  for (const MatchRange& m : regex.find_all(text)) {
    if (prev != m.start) spans.push_back({prev, m.start, invert});
    spans.push_back({m.start, m.end, !invert});
    prev = m.end;
  }
  if (prev != text.size()) spans.push_back({prev, text.size(), invert});
  return spans;
}

// The spans of a per-character predicate (each matching character is its own match), as HF's
// Pattern impl for Fn(char) -> bool builds them.
std::vector<Span> char_spans(std::string_view text, bool (*predicate)(char32_t)) {
  if (text.empty()) return {{0, 0, false}};
  std::vector<Span> spans;
  std::size_t last = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = pos;
    if (predicate(next_code_point(text, &pos))) {
      if (last < start) spans.push_back({last, start, false});
      spans.push_back({start, pos, true});
      last = pos;
    }
  }
  if (last < text.size()) spans.push_back({last, text.size(), false});
  return spans;
}

void append_pieces(const std::vector<std::string_view>& pieces, std::vector<std::string>* out) {
  for (const std::string_view p : pieces) out->emplace_back(p);
}

// GPT-2's split regex in Oniguruma syntax, as HF's ByteLevel pre-tokenizer has it.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Rust's regex crate: \w is Alphabetic, M, Nd, Pc and Join_Control; \s is White_Space.
constexpr std::string_view kRustWhitespacePattern =
    R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+)"
    R"(|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\p{White_Space}]+)";

const Regex& gpt2_regex() {
  static const std::unique_ptr<Regex> regex = [] {
    StatusOr<std::string> pattern = translate_oniguruma(kGpt2Pattern, "GPT-2 split regex");
    ARBOR_CHECK(pattern.ok()) << pattern.status().to_string();
    StatusOr<std::unique_ptr<Regex>> r = Regex::compile(*pattern, "GPT-2 split regex");
    ARBOR_CHECK(r.ok()) << r.status().to_string();
    return std::move(r).value();
  }();
  return *regex;
}

const Regex& rust_whitespace_regex() {
  static const std::unique_ptr<Regex> regex = [] {
    StatusOr<std::unique_ptr<Regex>> r = Regex::compile(kRustWhitespacePattern, "Whitespace");
    ARBOR_CHECK(r.ok()) << r.status().to_string();
    return std::move(r).value();
  }();
  return *regex;
}

}  // namespace

// ---- steps ------------------------------------------------------------------------------------

class PreTokenizer::Step {
 public:
  virtual ~Step() = default;
  // Appends the pieces `piece` becomes (empty ones included) to *out.
  virtual void apply(std::string_view piece, std::vector<std::string>* out) const = 0;
};

namespace {

class ByteLevelStep final : public PreTokenizer::Step {
 public:
  ByteLevelStep(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}

  void apply(std::string_view piece, std::vector<std::string>* out) const override {
    std::string text;
    // HF adds the space to every piece that reaches this step, not only the first.
    if (add_prefix_space_ && (piece.empty() || piece.front() != ' ')) text = " ";
    text.append(piece);
    if (!use_regex_) {
      out->push_back(byte_level_encode(text));
      return;
    }
    for (const std::string_view sub :
         split_spans(text, regex_spans(gpt2_regex(), text, false), SplitBehavior::kIsolated)) {
      if (!sub.empty()) out->push_back(byte_level_encode(sub));
    }
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
};

class DigitsStep final : public PreTokenizer::Step {
 public:
  explicit DigitsStep(bool individual_digits) : individual_digits_(individual_digits) {}
  void apply(std::string_view piece, std::vector<std::string>* out) const override {
    append_pieces(
        split_spans(piece, char_spans(piece, &is_numeric),
                    individual_digits_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous),
        out);
  }

 private:
  bool individual_digits_;
};

class SplitStep final : public PreTokenizer::Step {
 public:
  SplitStep(std::unique_ptr<Regex> regex, SplitBehavior behavior, bool invert)
      : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
  void apply(std::string_view piece, std::vector<std::string>* out) const override {
    append_pieces(split_spans(piece, regex_spans(*regex_, piece, invert_), behavior_), out);
  }

 private:
  std::unique_ptr<Regex> regex_;
  SplitBehavior behavior_;
  bool invert_;
};

class WhitespaceStep final : public PreTokenizer::Step {
 public:
  void apply(std::string_view piece, std::vector<std::string>* out) const override {
    append_pieces(split_spans(piece, regex_spans(rust_whitespace_regex(), piece, true),
                              SplitBehavior::kRemoved),
                  out);
  }
};

class WhitespaceSplitStep final : public PreTokenizer::Step {
 public:
  void apply(std::string_view piece, std::vector<std::string>* out) const override {
    append_pieces(split_spans(piece, char_spans(piece, &is_white_space), SplitBehavior::kRemoved),
                  out);
  }
};

StatusOr<SplitBehavior> parse_behavior(const std::string& name, const std::string& where) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return Status::invalid_argument(where + ": unknown split behavior '" + name + "'");
}

StatusOr<std::unique_ptr<PreTokenizer::Step>> split_from_json(const Json& json,
                                                              const std::string& where) {
  const auto pattern = json.find("pattern");
  if (pattern == json.end() || !pattern->is_object() || pattern->size() != 1) {
    return Status::invalid_argument(
        where + ": field 'pattern' must be {\"String\": ...} or {\"Regex\": ...}");
  }
  std::string regex_source;
  if (pattern->contains("String")) {
    ARBOR_ASSIGN_OR_RETURN(const std::string s,
                           json_get<std::string>(*pattern, "String", where + ".pattern"));
    regex_source = escape_literal(s);
  } else if (pattern->contains("Regex")) {
    ARBOR_ASSIGN_OR_RETURN(const std::string r,
                           json_get<std::string>(*pattern, "Regex", where + ".pattern"));
    ARBOR_ASSIGN_OR_RETURN(regex_source, translate_oniguruma(r, where));
  } else {
    return Status::invalid_argument(
        where + ": field 'pattern' must be {\"String\": ...} or {\"Regex\": ...}");
  }
  ARBOR_ASSIGN_OR_RETURN(std::unique_ptr<Regex> regex, Regex::compile(regex_source, where));
  ARBOR_ASSIGN_OR_RETURN(const std::string behavior_name,
                         json_get<std::string>(json, "behavior", where));
  ARBOR_ASSIGN_OR_RETURN(const SplitBehavior behavior, parse_behavior(behavior_name, where));
  ARBOR_ASSIGN_OR_RETURN(const bool invert, json_get_or<bool>(json, "invert", where, false));
  return std::unique_ptr<PreTokenizer::Step>(
      std::make_unique<SplitStep>(std::move(regex), behavior, invert));
}

}  // namespace

// ---- PreTokenizer -------------------------------------------------------------------------------

PreTokenizer::~PreTokenizer() = default;

StatusOr<std::unique_ptr<PreTokenizer>> PreTokenizer::from_json(const Json& json,
                                                                std::string_view where) {
  std::unique_ptr<PreTokenizer> p(new PreTokenizer());
  if (!json.is_null()) ARBOR_RETURN_IF_ERROR(add_steps(json, std::string(where), &p->steps_));
  return p;
}

Status PreTokenizer::add_steps(const Json& json, const std::string& where,
                               std::vector<std::unique_ptr<Step>>* steps) {
  ARBOR_ASSIGN_OR_RETURN(const std::string type, json_get<std::string>(json, "type", where));
  if (type == "Sequence") {
    const auto it = json.find("pretokenizers");
    if (it == json.end() || !it->is_array()) {
      return Status::invalid_argument(where + ": field 'pretokenizers' must be an array");
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      ARBOR_RETURN_IF_ERROR(
          add_steps((*it)[i], where + ".pretokenizers[" + std::to_string(i) + "]", steps));
    }
  } else if (type == "ByteLevel") {
    // Defaults are those of HF's ByteLevel::default().
    ARBOR_ASSIGN_OR_RETURN(const bool prefix,
                           json_get_or<bool>(json, "add_prefix_space", where, true));
    ARBOR_ASSIGN_OR_RETURN(const bool use_regex, json_get_or<bool>(json, "use_regex", where, true));
    steps->push_back(std::make_unique<ByteLevelStep>(prefix, use_regex));
  } else if (type == "Digits") {
    ARBOR_ASSIGN_OR_RETURN(const bool individual,
                           json_get_or<bool>(json, "individual_digits", where, false));
    steps->push_back(std::make_unique<DigitsStep>(individual));
  } else if (type == "Split") {
    ARBOR_ASSIGN_OR_RETURN(std::unique_ptr<Step> step, split_from_json(json, where));
    steps->push_back(std::move(step));
  } else if (type == "Whitespace") {
    steps->push_back(std::make_unique<WhitespaceStep>());
  } else if (type == "WhitespaceSplit") {
    steps->push_back(std::make_unique<WhitespaceSplitStep>());
  } else {
    return Status::unimplemented(where + " type '" + type + "' is not supported");
  }
  return Status::ok_status();
}

void PreTokenizer::pre_tokenize(std::string_view text, std::vector<std::string>* words) const {
  std::vector<std::string> pieces;
  if (!text.empty()) pieces.emplace_back(text);
  std::vector<std::string> next;
  for (const std::unique_ptr<Step>& step : steps_) {
    next.clear();
    for (const std::string& piece : pieces) step->apply(piece, &next);
    pieces.clear();
    for (std::string& p : next) {
      if (!p.empty()) pieces.push_back(std::move(p));
    }
  }
  for (std::string& p : pieces) words->push_back(std::move(p));
}

}  // namespace arbor::models::internal
