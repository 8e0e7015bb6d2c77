// Seeds of a search: every sampled request gets a stream derived from the problem's seed and
// the request's place in the tree (node id, purpose, index), never from timing, so a seed
// reproduces a whole tree whatever order the engine finishes requests in.
#pragma once

#include <cstdint>

namespace arbor::search {

// splitmix64's finaliser: a bijective mix of 64 bits.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A seed for the (a, b) sub-stream of `base`; distinct (a, b) give unrelated seeds.
inline std::uint64_t derive_seed(std::uint64_t base, std::uint64_t a, std::uint64_t b = 0) {
  return mix64(mix64(mix64(base) ^ a) ^ (b * 0xd1b54a32d192ed03ULL + 1));
}

}  // namespace arbor::search
