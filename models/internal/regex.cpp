#include "models/internal/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/logging.h"
#include "models/internal/unicode.h"

namespace arbor::models::internal {
namespace {

pcre2_code* as_code(void* p) { return static_cast<pcre2_code*>(p); }

// The Oniguruma meanings of \s, \w and \h as the inside of a PCRE2 character class.
// Oniguruma's \w is Alphabetic, M, Nd and Pc, except below U+0100 where a Latin-1 table decides
// and also counts the superscripts and fractions (U+00B2, B3, B9, BC-BE) as word characters.
constexpr std::string_view kSpaceClass = "\\t-\\r\\x{85}\\p{Z}";
constexpr std::string_view kWordClass =
    "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}";
constexpr std::string_view kHexClass = "0-9a-fA-F";

std::string_view class_for(char escape) {
  switch (escape) {
    case 's':
    case 'S':
      return kSpaceClass;
    case 'w':
    case 'W':
      return kWordClass;
    default:
      return kHexClass;
  }
}

}  // namespace

StatusOr<std::unique_ptr<Regex>> Regex::compile(std::string_view pattern, std::string_view where) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return Status::invalid_argument(std::string(where) + ": regex '" + std::string(pattern) +
                                    "' does not compile at offset " + std::to_string(offset) +
                                    ": " + reinterpret_cast<const char*>(message));
  }
  // JIT is an optimisation only: when it is unavailable pcre2_match interprets.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return std::unique_ptr<Regex>(new Regex(code, std::string(pattern)));
}

Regex::~Regex() { pcre2_code_free(as_code(code_)); }

std::vector<MatchRange> Regex::find_all(std::string_view text) const {
  std::vector<MatchRange> matches;
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(as_code(code_), nullptr), &pcre2_match_data_free);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t pos = 0;
  bool have_last_end = false;
  std::size_t last_end = 0;
  while (pos <= text.size()) {
    const int rc = pcre2_match(as_code(code_), subject, text.size(), pos, PCRE2_NO_UTF_CHECK,
                               data.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      // Only resource limits can fail here; what is left is treated as unmatched text.
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      ARBOR_LOG(kWarning) << "tokenizer regex '" << pattern_ << "' stopped matching at byte " << pos
                          << ": " << reinterpret_cast<const char*>(message);
      break;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
    const std::size_t start = ov[0], end = ov[1];
    if (start == end && have_last_end && end == last_end) {
      // An empty match where the last match ended: move on by one character.
      if (pos >= text.size()) break;
      pos += utf8_sequence_length(static_cast<unsigned char>(text[pos]));
      continue;
    }
    matches.push_back({start, end});
    have_last_end = true;
    last_end = end;
    pos = end;
  }
  return matches;
}

bool Regex::matches_at(std::string_view text, std::size_t offset) const {
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(as_code(code_), nullptr), &pcre2_match_data_free);
  const int rc = pcre2_match(as_code(code_), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                             offset, PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, data.get(), nullptr);
  return rc >= 0;
}

StatusOr<std::string> translate_oniguruma(std::string_view pattern, std::string_view where) {
  // Oniguruma's ^ and $ always match at line boundaries: PCRE2's multiline mode.
  std::string out = "(?m)";
  out.reserve(pattern.size() + 32);
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      const bool lower = e == 's' || e == 'w' || e == 'h';
      const bool upper = e == 'S' || e == 'W' || e == 'H';
      if (!lower && !upper) {
        out += '\\';
        out += e;
        continue;
      }
      if (in_class) {
        if (upper) {
          return Status::unimplemented(std::string(where) + ": regex '" + std::string(pattern) +
                                       "' uses \\" + e +
                                       " inside a character class, which is not supported");
        }
        out += class_for(e);
      } else {
        out += upper ? "[^" : "[";
        out += class_for(e);
        out += ']';
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal member, not the end of the class.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (in_class && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      // A POSIX class such as [:alpha:] stays inside the class.
      const std::size_t close = pattern.find(":]", i + 2);
      if (close != std::string_view::npos) {
        out.append(pattern.substr(i, close + 2 - i));
        i = close + 1;
        continue;
      }
    }
    if (in_class && c == '[') {
      return Status::unimplemented(std::string(where) + ": regex '" + std::string(pattern) +
                                   "' nests character classes, which is not supported");
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

std::string escape_literal(std::string_view literal) {
  std::string out;
  out.reserve(literal.size() * 2);
  for (const char c : literal) {
    const auto u = static_cast<unsigned char>(c);
    const bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
    // PCRE2 treats a backslash before any ASCII non-alphanumeric as that literal character.
    if (u < 0x80 && !alnum && u > 0x20) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace arbor::models::internal
