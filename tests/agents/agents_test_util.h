// Helpers for the agents tests: a random-weight Mamba-2 checkpoint with the byte-level
// arithmetic tokenizer and a random "prm" reward head (random weights: every score is
// meaningless, every mechanism is real), an engine on it, and running coroutines.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/json.h"
#include "core/random.h"
#include "core/task.h"
#include "models/model.h"
#include "models/random_checkpoint.h"
#include "models/safetensors_writer.h"
#include "runtime/engine.h"

namespace arbor::agents::testing {

// Writes the checkpoint into a new temporary folder and returns it.
inline std::filesystem::path make_model_dir() {
  char tmpl[] = "/tmp/arbor_agents_model_XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  Json config = *read_json_file(ARBOR_SOURCE_DIR "/tests/data/parity/mamba2_b/config.json");
  config["vocab_size"] = 608;
  config["eos_token_id"] = 0;  // the tokenizer's <|endoftext|>
  EXPECT_TRUE(models::save_random_checkpoint(config, dir.string(), 3).ok());
  std::filesystem::copy(ARBOR_SOURCE_DIR "/tests/data/tokenizers/arith_bytelevel.json",
                        dir / "tokenizer.json");
  const std::int64_t n_embd = config["hidden_size"].get<std::int64_t>();
  Rng rng(5);
  std::vector<float> w(static_cast<std::size_t>(n_embd));
  for (float& x : w) x = static_cast<float>(rng.normal() * 0.3);
  EXPECT_TRUE(models::write_safetensors((dir / "prm.head.safetensors").string(),
                                        {models::make_tensor("weight", {1, n_embd}, w),
                                         models::make_tensor("bias", {1}, {0.1f})})
                  .ok());
  std::ofstream(dir / "prm.head.json")
      << R"({"name": "prm", "weights": "prm.head.safetensors", "bias": "bias", )"
      << R"("activation": "sigmoid"})";
  return dir;
}

inline std::unique_ptr<runtime::Engine> make_engine(const std::filesystem::path& dir) {
  auto model = models::Model::open(dir.string());
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  runtime::EngineOptions options;
  options.n_slots = 64;
  auto engine = runtime::Engine::create(std::move(*model), options);
  EXPECT_TRUE(engine.ok()) << engine.status().to_string();
  return std::move(*engine);
}

// Runs `task` on a single-threaded io_context, as searches run.
template <typename T>
T run_task(Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) out = std::move(value);
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

}  // namespace arbor::agents::testing
