#include "models/internal/added_vocabulary.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "core/logging.h"
#include "models/internal/unicode.h"

namespace arbor::models::internal {

// A byte trie over the patterns. find() returns, for each start position from the left, the
// longest pattern starting there, skipping past each match: leftmost-longest, non-overlapping,
// the semantics of the Aho-Corasick automaton HF builds (MatchKind::LeftmostLongest). Patterns
// and text are valid UTF-8, so a match can only start on a character boundary.
class AddedVocabulary::Matcher {
 public:
  struct Match {
    std::size_t start, end;
    std::int32_t id;
  };

  // The first pattern added wins when two are equal.
  void add(std::string_view pattern, std::int32_t id) {
    int node = 0;
    for (const char c : pattern) {
      const std::uint64_t key = edge_key(node, c);
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        terminal_.push_back(-1);
        it = edges_.emplace(key, static_cast<int>(terminal_.size()) - 1).first;
      }
      node = it->second;
    }
    if (terminal_[node] < 0) terminal_[node] = id;
    first_byte_[static_cast<unsigned char>(pattern.front())] = true;
  }

  std::vector<Match> find(std::string_view text) const {
    std::vector<Match> matches;
    for (std::size_t start = 0; start < text.size();) {
      if (!first_byte_[static_cast<unsigned char>(text[start])]) {
        ++start;
        continue;
      }
      int node = 0;
      std::size_t best_end = 0;
      std::int32_t best_id = -1;
      for (std::size_t i = start; i < text.size(); ++i) {
        const auto it = edges_.find(edge_key(node, text[i]));
        if (it == edges_.end()) break;
        node = it->second;
        if (terminal_[node] >= 0) {
          best_end = i + 1;
          best_id = terminal_[node];
        }
      }
      if (best_id < 0) {
        ++start;
        continue;
      }
      matches.push_back({start, best_end, best_id});
      start = best_end;
    }
    return matches;
  }

 private:
  static std::uint64_t edge_key(int node, char c) {
    return (static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(c);
  }
  std::unordered_map<std::uint64_t, int> edges_;
  std::vector<std::int32_t> terminal_{-1};  // node 0 is the root
  std::array<bool, 256> first_byte_{};
};

AddedVocabulary::AddedVocabulary() = default;
AddedVocabulary::AddedVocabulary(AddedVocabulary&&) noexcept = default;
AddedVocabulary& AddedVocabulary::operator=(AddedVocabulary&&) noexcept = default;
AddedVocabulary::~AddedVocabulary() = default;

namespace {

bool same_properties(const AddedToken& a, const AddedToken& b) {
  return a.content == b.content && a.special == b.special && a.normalized == b.normalized &&
         a.lstrip == b.lstrip && a.rstrip == b.rstrip && a.single_word == b.single_word;
}

StatusOr<AddedToken> parse_token(const Json& json, const std::string& where) {
  AddedToken t;
  ARBOR_ASSIGN_OR_RETURN(t.content, json_get<std::string>(json, "content", where));
  ARBOR_ASSIGN_OR_RETURN(t.special, json_get_or<bool>(json, "special", where, false));
  // HF's AddedToken default: normalized unless special.
  ARBOR_ASSIGN_OR_RETURN(t.normalized, json_get_or<bool>(json, "normalized", where, !t.special));
  ARBOR_ASSIGN_OR_RETURN(t.lstrip, json_get_or<bool>(json, "lstrip", where, false));
  ARBOR_ASSIGN_OR_RETURN(t.rstrip, json_get_or<bool>(json, "rstrip", where, false));
  ARBOR_ASSIGN_OR_RETURN(t.single_word, json_get_or<bool>(json, "single_word", where, false));
  if (!is_valid_utf8(t.content)) {
    return Status::invalid_argument(where + ": content is not valid UTF-8");
  }
  return t;
}

// The start of the run of whitespace that ends `text` (text.size() when there is none).
std::size_t trailing_space_start(std::string_view text) {
  std::size_t start = text.size();
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t here = pos;
    if (!is_white_space(next_code_point(text, &pos))) {
      start = text.size();
    } else if (start == text.size()) {
      start = here;
    }
  }
  return start;
}

// The length of the run of whitespace that starts `text`.
std::size_t leading_space_length(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t next = pos;
    if (!is_white_space(next_code_point(text, &next))) break;
    pos = next;
  }
  return pos;
}

// Rust's regex \w (Unicode): Alphabetic, M, Nd, Pc, Join_Control.
constexpr std::string_view kRustWordChar = R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}])";

}  // namespace

StatusOr<AddedVocabulary> AddedVocabulary::from_json(const Json& tokens, const BpeModel& model,
                                                     const Normalizer& normalizer,
                                                     std::string_view where_view) {
  const std::string where(where_view);
  AddedVocabulary v;
  ARBOR_ASSIGN_OR_RETURN(v.word_char_, Regex::compile(kRustWordChar, "single_word check"));
  v.raw_matcher_ = std::make_unique<Matcher>();
  v.normalized_matcher_ = std::make_unique<Matcher>();
  if (tokens.is_null()) return v;
  if (!tokens.is_array()) return Status::invalid_argument(where + ": expected an array");

  auto next_id = static_cast<std::int32_t>(model.vocab_entries());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    ARBOR_ASSIGN_OR_RETURN(AddedToken token, parse_token(tokens[i], at));
    if (token.content.empty()) continue;  // HF ignores empty tokens
    std::int32_t id;
    if (const auto known = v.by_content_.find(token.content); known != v.by_content_.end()) {
      if (same_properties(v.by_id_.at(known->second).token, token)) continue;
      id = known->second;
    } else if (const auto model_id = model.token_to_id(token.content)) {
      id = *model_id;
    } else {
      if (next_id > BpeModel::kMaxId) return Status::invalid_argument(at + ": too many tokens");
      id = next_id++;
    }
    if (tokens[i].contains("id") && tokens[i]["id"].is_number_integer() &&
        tokens[i]["id"].get<std::int64_t>() != id) {
      ARBOR_LOG(kWarning) << at << ": token '" << token.content << "' has id "
                          << tokens[i]["id"].get<std::int64_t>() << " in the file but gets id "
                          << id << ", as in Hugging Face tokenizers";
    }
    Entry entry{token, token.content};
    if (token.normalized) entry.decoder_string = normalizer.normalize(token.content);
    if (token.special) v.special_contents_.insert(token.content);
    v.by_content_[token.content] = id;
    v.by_id_[id] = std::move(entry);
  }

  // Build the matchers in id order so that the first of two equal patterns is deterministic.
  std::map<std::int32_t, const Entry*> ordered;
  for (const auto& [id, entry] : v.by_id_) ordered.emplace(id, &entry);
  for (const auto& [id, entry] : ordered) {
    v.id_end_ = std::max(v.id_end_, id + 1);
    if (entry->decoder_string.empty()) continue;  // normalized away: can never match
    (entry->token.normalized ? v.normalized_matcher_ : v.raw_matcher_)
        ->add(entry->decoder_string, id);
  }
  return v;
}

std::vector<Segment> AddedVocabulary::split(std::string_view text, bool normalized_group) const {
  const Matcher& matcher = normalized_group ? *normalized_matcher_ : *raw_matcher_;
  std::vector<Segment> segments;
  std::size_t done = 0;  // end of the last segment emitted
  for (Matcher::Match m : matcher.find(text)) {
    const AddedToken& token = by_id_.at(m.id).token;
    if (token.single_word) {
      bool word_before = false;
      if (m.start > 0) {
        std::size_t prev = m.start - 1;
        while (prev > 0 && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80) --prev;
        word_before = word_char_->matches_at(text.substr(0, m.start), prev);
      }
      const bool word_after = m.end < text.size() && word_char_->matches_at(text, m.end);
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      // A previous match may already have taken those spaces (through its rstrip).
      m.start = std::max(trailing_space_start(text.substr(0, m.start)), done);
    }
    if (token.rstrip) m.end += leading_space_length(text.substr(m.end));
    if (done < m.start) segments.push_back({text.substr(done, m.start - done), -1});
    segments.push_back({text.substr(m.start, m.end - m.start), m.id});
    done = m.end;
  }
  if (done < text.size()) segments.push_back({text.substr(done), -1});
  return segments;
}

std::optional<std::int32_t> AddedVocabulary::token_to_id(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const std::string* AddedVocabulary::decoder_string(std::int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second.decoder_string;
}

bool AddedVocabulary::is_special(std::int32_t id) const {
  const auto it = by_id_.find(id);
  return it != by_id_.end() && special_contents_.count(it->second.token.content) > 0;
}

}  // namespace arbor::models::internal
