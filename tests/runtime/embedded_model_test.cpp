// The embedded default model (assets/arith-mamba2) loads, agrees with transformers on its logits
// and on its reward head, and writes the solve format.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cmath>
#include <future>

#include "core/json.h"
#include "runtime/engine.h"
#include "tests/runtime/run_sync.h"

namespace arbor::runtime {
namespace {

namespace asio = boost::asio;
using testing::run_sync;
const std::string kDir = ARBOR_SOURCE_DIR "/assets/arith-mamba2";

TEST(EmbeddedModelTest, AgreesWithTransformersOnLogitsAndTheRewardHead) {
  const Json ref = *read_json_file(kDir + "/parity_reference.json");
  const auto ids = ref["input_ids"].get<std::vector<std::int32_t>>();
  const auto want = ref["last_logits"].get<std::vector<float>>();
  auto model = models::Model::open(kDir);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  auto arena = *(*model)->make_state_arena(1);
  kernels::SeqSpan span{0, static_cast<std::int32_t>(ids.size()), kernels::kNoSlot, 0};
  models::StepOutput out;
  ASSERT_TRUE((*model)->forward({ids, {&span, 1}, false}, *arena, &out).ok());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::fabs(double(out.logits[i]) - want[i]));
    scale = std::max(scale, std::fabs(double(want[i])));
  }
  EXPECT_LE(diff / scale, 1e-4);

  auto engine = Engine::create(std::move(*model));
  ASSERT_TRUE(engine.ok());
  ASSERT_EQ((*engine)->value_heads().count("prm"), 1u);
  auto v = run_sync((*engine)->value(*(*engine)->start(ids), "prm"));
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_NEAR((*v)[0], ref["prm_last"].get<double>(), 1e-4);
}

TEST(EmbeddedModelTest, WritesTheSolveFormat) {
  auto model = models::Model::open(kDir);
  ASSERT_TRUE(model.ok());
  auto engine = std::move(*Engine::create(std::move(*model)));
  GenerateParams p;
  p.max_tokens = 200;
  auto c = run_sync(engine->generate(*engine->start_text("Problem: What is 12 + 30?\nSolution:\n"), p));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->finish_reason, FinishReason::kEos);
  EXPECT_NE(c->text.find(" = "), std::string::npos) << c->text;
  EXPECT_NE(c->text.find("Answer: "), std::string::npos) << c->text;
}

}  // namespace
}  // namespace arbor::runtime
