// HashingEmbedder: a deterministic bag-of-words embedding by feature hashing.
//
// Each lower-cased word and each of its character trigrams adds +-1 to one of `dimension`
// buckets chosen by a fixed 64-bit hash (FNV-1a), and the vector is L2-normalized. Texts that
// share words get a positive cosine; the same text always gets the same vector on every
// platform. It knows no synonyms: it stands in for a model in tests and benchmarks.
//
// Thread safety: stateless after construction; embed() calls `done` before returning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "memory/embedder.h"

namespace arbor::memory {

class HashingEmbedder : public Embedder {
 public:
  // REQUIRES: dimension > 0.
  explicit HashingEmbedder(int dimension = 384);

  std::string model() const override;  // "hash-<dimension>"
  int dimension() const override { return dimension_; }
  void embed(std::vector<std::string> texts,
             std::function<void(StatusOr<std::vector<Embedding>>)> done) override;

  // The embedding of one text.
  Embedding embed_one(std::string_view text) const;

 private:
  int dimension_;
};

}  // namespace arbor::memory
