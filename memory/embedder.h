// Embedder: turns texts into vectors for the Store's cosine signal.
//
// The agents layer implements it on the engine's hidden-state API (a GPU call, hence the
// callback); HashingEmbedder (memory/hashing_embedder.h) is a deterministic one for tests and
// for databases without a model. The Store calls embed() for a memory added without an
// embedding and for a query without one, and continues its work in `done`.
//
// Thread safety: implementations must accept calls from any thread, concurrently.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "memory/types.h"

namespace arbor::memory {

class Embedder {
 public:
  virtual ~Embedder() = default;

  // The model name stored beside every vector ("hash-384"); vectors of different models are
  // never compared.
  virtual std::string model() const = 0;
  virtual int dimension() const = 0;

  // Embeds `texts` and calls `done` once, on any thread, with one Embedding per text (in
  // order, model() as the model, dimension() values each) or an error.
  virtual void embed(std::vector<std::string> texts,
                     std::function<void(StatusOr<std::vector<Embedding>>)> done) = 0;
};

}  // namespace arbor::memory
