#include "envs/answer_extract.h"

#include <cctype>

#include "core/strings.h"

namespace arbor::envs {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The braced argument after position `p` (just past the macro name), or nullopt.
std::optional<std::string> boxed_argument(std::string_view text, std::size_t p) {
  if (p < text.size() && text[p] == '{') {
    int depth = 0;
    for (std::size_t i = p; i < text.size(); ++i) {
      if (text[i] == '{')
        ++depth;
      if (text[i] == '}' && --depth == 0) {
        return std::string(trim(text.substr(p + 1, i - p - 1)));
      }
    }
    return std::nullopt;  // unbalanced: a truncated answer
  }
  if (p < text.size() && text[p] == ' ') {  // "\boxed 5$": up to the closing dollar
    const std::size_t end = text.find_first_of("$\n", p);
    std::string arg(trim(text.substr(p, end == std::string_view::npos ? end : end - p)));
    if (!arg.empty())
      return arg;
  }
  return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> find_boxed(std::string_view text) {
  if (const auto p = text.rfind("\\boxed"); p != std::string_view::npos) {
    auto arg = boxed_argument(text, p + 6);
    if (!arg)
      return std::nullopt;
    return std::make_pair(*arg, std::string("boxed"));
  }
  if (const auto p = text.rfind("\\fbox"); p != std::string_view::npos) {
    auto arg = boxed_argument(text, p + 5);
    if (!arg)
      return std::nullopt;
    return std::make_pair(*arg, std::string("fbox"));
  }
  return std::nullopt;
}

// Strips "$...$", "\(...\)", markdown emphasis and a trailing period from an answer phrase.
std::string tidy_phrase(std::string_view s) {
  std::string t(trim(s));
  while (!t.empty() && (t.front() == '*' || t.front() == ':')) t = std::string(trim(t.substr(1)));
  if (!t.empty() && t.front() == '$') {
    std::size_t open = t.rfind("$$", 0) == 0 ? 2 : 1;
    const std::size_t close = t.find('$', open);
    if (close != std::string::npos)
      t = t.substr(open, close - open);
  } else if (t.rfind("\\(", 0) == 0) {
    const std::size_t close = t.find("\\)");
    if (close != std::string::npos)
      t = t.substr(2, close - 2);
  } else {
    // A sentence ends at ". " ("18. I hope it is correct.").
    const std::size_t stop = t.find(". ");
    if (stop != std::string::npos)
      t = t.substr(0, stop);
  }
  t = std::string(trim(t));
  while (!t.empty() && (t.back() == '.' || t.back() == '*')) t.pop_back();
  return std::string(trim(t));
}

std::optional<std::string> find_marker(std::string_view text) {
  const auto p = text.rfind("####");
  if (p == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = text.substr(p + 4);
  rest = rest.substr(0, rest.find('\n'));
  std::string a(trim(rest));
  if (a.empty())
    return std::nullopt;
  return a;
}

std::optional<std::string> find_answer_is(std::string_view text) {
  const std::string low = to_lower(text);
  const auto p = low.rfind("answer is");
  if (p == std::string::npos)
    return std::nullopt;
  std::string_view rest = text.substr(p + 9);
  rest = rest.substr(0, rest.find('\n'));
  std::string a = tidy_phrase(rest);
  if (a.empty())
    return std::nullopt;
  return a;
}

std::optional<std::string> find_answer_line(std::string_view text) {
  std::optional<std::string> found;
  for (const std::string& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    while (!line.empty() && (line.front() == '*' || line.front() == '#')) line.remove_prefix(1);
    line = trim(line);
    std::string low = to_lower(line.substr(0, 14));
    std::size_t skip = 0;
    if (low.rfind("final answer", 0) == 0) {
      skip = 12;
    } else if (low.rfind("answer", 0) == 0) {
      skip = 6;
    } else {
      continue;
    }
    std::string_view rest = trim(line.substr(skip));
    while (!rest.empty() && rest.front() == '*') rest.remove_prefix(1);
    if (rest.empty() || rest.front() != ':')
      continue;
    std::string a = tidy_phrase(rest.substr(1));
    if (!a.empty())
      found = a;
  }
  return found;
}

// Numbers as GSM8K writes them: -1,234.5
struct NumberSpan {
  std::size_t start, end;
};

std::optional<NumberSpan> number_at(std::string_view s, std::size_t i) {
  std::size_t j = i;
  if (j < s.size() && s[j] == '-')
    ++j;
  if (j >= s.size() || !is_digit(s[j]))
    return std::nullopt;
  while (j < s.size() &&
         (is_digit(s[j]) || (s[j] == ',' && j + 1 < s.size() && is_digit(s[j + 1])))) {
    ++j;
  }
  if (j + 1 < s.size() && s[j] == '.' && is_digit(s[j + 1])) {
    ++j;
    while (j < s.size() && is_digit(s[j])) ++j;
  }
  return NumberSpan{i, j};
}

std::string without_commas(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ',')
      out += c;
  }
  return out;
}

std::optional<std::string> find_last_number(std::string_view text) {
  std::optional<std::string> last;
  for (std::size_t i = 0; i < text.size();) {
    const bool boundary = i == 0 || !is_digit(text[i - 1]);
    auto span = boundary ? number_at(text, i) : std::nullopt;
    if (span) {
      last = without_commas(text.substr(span->start, span->end - span->start));
      i = span->end;
    } else {
      ++i;
    }
  }
  return last;
}

}  // namespace

StatusOr<GradeMode> parse_grade_mode(std::string_view name) {
  if (name == "gsm8k")
    return GradeMode::kGsm8k;
  if (name == "hendrycks")
    return GradeMode::kHendrycks;
  if (name == "prm800k")
    return GradeMode::kPrm800k;
  if (name == "lenient")
    return GradeMode::kLenient;
  return Status::invalid_argument("unknown grading mode '" + std::string(name) +
                                  "' (expected gsm8k, hendrycks, prm800k or lenient)");
}

std::string_view grade_mode_name(GradeMode mode) {
  switch (mode) {
    case GradeMode::kGsm8k:
      return "gsm8k";
    case GradeMode::kHendrycks:
      return "hendrycks";
    case GradeMode::kPrm800k:
      return "prm800k";
    case GradeMode::kLenient:
      return "lenient";
  }
  return "?";
}

std::optional<std::string> last_boxed(std::string_view text) {
  auto b = find_boxed(text);
  if (!b)
    return std::nullopt;
  return b->first;
}

std::string clean_number(std::string_view text) {
  std::string s;
  std::string_view t = trim(text);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '$' || t[i] == ',' || t[i] == ' ')
      continue;
    if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '$')
      continue;
    s += t[i];
  }
  while (!s.empty() && s.back() == '.') s.pop_back();
  // The first number in what is left ("18dollars" -> "18").
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.'))
      continue;
    if (auto span = number_at(s, i)) {
      // A decimal written ".5" keeps its point.
      std::size_t start = span->start;
      if (start > 0 && s[start - 1] == '.' && s[start] != '-')
        --start;
      return s.substr(start, span->end - start);
    }
  }
  return std::string(trim(text));
}

Extraction extract_answer(std::string_view text, GradeMode mode) {
  Extraction out;
  const auto take = [&](std::optional<std::string> a, const char* rule) {
    if (!a || out.found())
      return;
    out.answer = std::move(*a);
    out.rule = rule;
  };
  const auto boxed = [&] {
    if (out.found())
      return;
    if (auto b = find_boxed(text)) {
      out.answer = b->first;
      out.rule = b->second;
    }
  };
  if (mode == GradeMode::kGsm8k) {
    take(find_marker(text), "gsm8k_marker");
    take(find_answer_is(text), "answer_is");
    take(find_answer_line(text), "answer_line");
    boxed();
    take(find_last_number(text), "last_number");
    if (out.found())
      out.answer = clean_number(out.answer);
    return out;
  }
  boxed();
  take(find_answer_is(text), "answer_is");
  take(find_answer_line(text), "answer_line");
  take(find_marker(text), "gsm8k_marker");
  take(find_last_number(text), "last_number");
  // "The answer is $\boxed{5}$" was caught by the boxed rule; strip a box left inside a phrase.
  if (out.rule == "answer_is" || out.rule == "answer_line") {
    if (auto b = find_boxed(out.answer))
      out.answer = b->first;
  }
  return out;
}

}  // namespace arbor::envs
