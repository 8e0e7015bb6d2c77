#include "models/internal/byte_level.h"

#include <array>
#include <cstdint>

#include "models/internal/unicode.h"

namespace arbor::models::internal {
namespace {

// The alphabet's code points are all below U+0144.
constexpr char32_t kAlphabetEnd = 0x144;

struct Tables {
  std::array<char32_t, 256> byte_to_char{};
  std::array<std::int16_t, kAlphabetEnd> char_to_byte{};
  std::array<std::string, 256> byte_to_utf8;
};

Tables make_tables() {
  Tables t;
  t.char_to_byte.fill(-1);
  const auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  char32_t next = 0x100;  // bytes that are not printable take U+0100, U+0101, ... in order
  for (int b = 0; b < 256; ++b) {
    const char32_t c = printable(b) ? static_cast<char32_t>(b) : next++;
    t.byte_to_char[b] = c;
    t.char_to_byte[c] = static_cast<std::int16_t>(b);
    append_utf8(&t.byte_to_utf8[b], c);
  }
  return t;
}

const Tables& tables() {
  static const Tables t = make_tables();
  return t;
}

}  // namespace

char32_t byte_to_char(unsigned char b) { return tables().byte_to_char[b]; }

std::string byte_level_encode(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += t.byte_to_utf8[static_cast<unsigned char>(c)];
  return out;
}

bool byte_level_decode(std::string_view token, std::string* out) {
  const Tables& t = tables();
  const std::size_t mark = out->size();
  for (std::size_t pos = 0; pos < token.size();) {
    const char32_t c = next_code_point(token, &pos);
    if (c >= kAlphabetEnd || t.char_to_byte[c] < 0) {
      out->resize(mark);
      return false;
    }
    out->push_back(static_cast<char>(t.char_to_byte[c]));
  }
  return true;
}

}  // namespace arbor::models::internal
