#include "memory/hashing_embedder.h"

#include <cmath>
#include <cstdint>

#include "core/check.h"

namespace arbor::memory {
namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = 14695981039346656037ull ^ seed;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}  // namespace

HashingEmbedder::HashingEmbedder(int dimension) : dimension_(dimension) {
  ARBOR_CHECK_GT(dimension, 0);
}

std::string HashingEmbedder::model() const {
  return "hash-" + std::to_string(dimension_);
}

Embedding HashingEmbedder::embed_one(std::string_view text) const {
  Embedding e{model(), std::vector<float>(static_cast<std::size_t>(dimension_), 0.0f)};
  const auto add = [&](std::string_view feature, std::uint64_t seed, float weight) {
    const std::uint64_t h = fnv1a(feature, seed);
    const auto bucket = static_cast<std::size_t>(h % static_cast<std::uint64_t>(dimension_));
    e.values[bucket] += ((h >> 63) != 0 ? -weight : weight);
  };
  std::string word;
  const auto flush = [&] {
    if (word.empty()) return;
    add(word, 1, 1.0f);
    const std::string padded = "<" + word + ">";
    for (std::size_t i = 0; i + 3 <= padded.size(); ++i) {
      add(std::string_view(padded).substr(i, 3), 2, 0.5f);
    }
    word.clear();
  };
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_word_byte(c)) {
      word += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch;
    } else {
      flush();
    }
  }
  flush();
  double norm = 0;
  for (const float v : e.values) norm += static_cast<double>(v) * v;
  if (norm > 0) {
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& v : e.values) v *= inv;
  }
  return e;
}

void HashingEmbedder::embed(std::vector<std::string> texts,
                            std::function<void(StatusOr<std::vector<Embedding>>)> done) {
  std::vector<Embedding> out;
  out.reserve(texts.size());
  for (const std::string& t : texts) out.push_back(embed_one(t));
  done(std::move(out));
}

}  // namespace arbor::memory
