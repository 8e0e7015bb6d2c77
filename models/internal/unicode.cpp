#include "models/internal/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "core/check.h"

namespace arbor::models::internal {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// The length of the longest valid prefix of a UTF-8 sequence at bytes[pos] (0 when the byte
// cannot start one), and whether that prefix is a whole character. The ranges for the second
// byte are those of the Unicode standard's table 3-7 (no overlongs, surrogates or > U+10FFFF).
struct Prefix {
  std::size_t length;
  bool complete;
};

Prefix valid_prefix(std::string_view bytes, std::size_t pos) {
  const auto b0 = static_cast<unsigned char>(bytes[pos]);
  if (b0 < 0x80) return {1, true};
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {0, false};
  }
  std::size_t len = 1;
  while (len < need && pos + len < bytes.size()) {
    const auto b = static_cast<unsigned char>(bytes[pos + len]);
    const unsigned char min = len == 1 ? lo : 0x80;
    const unsigned char max = len == 1 ? hi : 0xBF;
    if (b < min || b > max) break;
    ++len;
  }
  return {len, len == need};
}

}  // namespace

std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF8) return 4;
  return 1;
}

char32_t next_code_point(std::string_view text, std::size_t* pos) {
  const auto b0 = static_cast<unsigned char>(text[*pos]);
  const std::size_t len = utf8_sequence_length(b0);
  ARBOR_CHECK(*pos + len <= text.size()) << "truncated UTF-8 at byte " << *pos;
  char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t i = 1; i < len; ++i) {
    c = (c << 6) | (static_cast<unsigned char>(text[*pos + i]) & 0x3F);
  }
  *pos += len;
  return c;
}

void append_utf8(std::string* out, char32_t c) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t pos = 0; pos < bytes.size();) {
    const Prefix p = valid_prefix(bytes, pos);
    if (!p.complete) return false;
    pos += p.length;
  }
  return true;
}

std::string to_valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t pos = 0; pos < bytes.size();) {
    const Prefix p = valid_prefix(bytes, pos);
    if (p.complete) {
      out.append(bytes.substr(pos, p.length));
      pos += p.length;
    } else {
      append_utf8(&out, kReplacement);
      pos += p.length == 0 ? 1 : p.length;
    }
  }
  return out;
}

std::string normalize(std::string_view text, NormalForm form) {
  if (text.empty()) return std::string();
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNfc:
      options |= UTF8PROC_COMPOSE;
      break;
    case NormalForm::kNfd:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case NormalForm::kNfkc:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case NormalForm::kNfkd:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                          static_cast<utf8proc_ssize_t>(text.size()), &result,
                                          static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  // utf8proc only fails on invalid UTF-8 or out of memory, both excluded by the REQUIRES.
  ARBOR_CHECK(n >= 0) << "utf8proc_map: " << utf8proc_errmsg(n);
  return std::string(reinterpret_cast<const char*>(result), static_cast<std::size_t>(n));
}

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t c = next_code_point(text, &pos);
    // U+0130 is the one character whose unconditional full lowercase mapping
    // (SpecialCasing.txt) differs from its simple one: "i" + COMBINING DOT ABOVE.
    if (c == 0x130) {
      append_utf8(&out, U'i');
      append_utf8(&out, 0x307);
      continue;
    }
    append_utf8(&out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
  return out;
}

bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool is_numeric(char32_t c) {
  const utf8proc_category_t cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

}  // namespace arbor::models::internal
