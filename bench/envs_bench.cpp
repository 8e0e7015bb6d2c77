// Environment benchmarks: arith problem generation and built-in text-world episodes.
//
//   build/bench/envs_bench --benchmark_counters_tabular=true
//
// items_per_second is problems (or episodes) per second on one thread.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "core/json.h"
#include "core/random.h"
#include "envs/arith.h"
#include "envs/arith_checker.h"
#include "envs/text_world.h"

namespace arbor::envs {
namespace {

ArithGenerator make_generator(ArithSplit split, std::vector<int> difficulties) {
  ArithOptions o;
  o.split = split;
  o.difficulties = std::move(difficulties);
  return *ArithGenerator::create(o);
}

void BM_ArithGenerate(benchmark::State& state) {
  const auto split = static_cast<ArithSplit>(state.range(0));
  const ArithGenerator gen = make_generator(split, {1, 2, 3, 4, 5, 6});
  std::uint64_t i = 0;
  for (auto _ : state) {
    ArithProblem p = gen.generate(7, i++);
    benchmark::DoNotOptimize(p.answer);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
  state.SetLabel(split == ArithSplit::kAll     ? "all"
                 : split == ArithSplit::kTrain ? "train"
                                               : "test");
}
BENCHMARK(BM_ArithGenerate)->Arg(0)->Arg(1)->Arg(2);

void BM_ArithGenerateDifficulty(benchmark::State& state) {
  const ArithGenerator gen = make_generator(ArithSplit::kAll, {static_cast<int>(state.range(0))});
  std::uint64_t i = 0;
  for (auto _ : state) {
    ArithProblem p = gen.generate(7, i++);
    benchmark::DoNotOptimize(p.answer);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}
BENCHMARK(BM_ArithGenerateDifficulty)->DenseRange(1, 6);

// Generation plus the JSON line `arbor dataset arith` writes.
void BM_ArithGenerateJson(benchmark::State& state) {
  const ArithGenerator gen = make_generator(ArithSplit::kAll, {1, 2, 3, 4, 5, 6});
  std::uint64_t i = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string line = json_dump(gen.generate(7, i++).to_json());
    bytes += line.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_ArithGenerateJson);

void BM_ArithCheckGold(benchmark::State& state) {
  const ArithGenerator gen = make_generator(ArithSplit::kAll, {1, 2, 3, 4, 5, 6});
  std::vector<ArithProblem> problems;
  for (std::uint64_t i = 0; i < 1024; ++i) problems.push_back(gen.generate(7, i));
  std::vector<std::string> solutions;
  for (const ArithProblem& p : problems) solutions.push_back(p.solution());
  std::size_t i = 0;
  for (auto _ : state) {
    const ArithProblem& p = problems[i % problems.size()];
    SolutionVerdict v = check_arith_solution(p.numbers, p.answer, solutions[i % problems.size()]);
    benchmark::DoNotOptimize(v.valid_steps);
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}
BENCHMARK(BM_ArithCheckGold);

const char* const kSizes[] = {"trivial", "easy", "medium", "hard"};

// One episode: generate the world (reset), solve it, play the plan through step() with the
// admissible actions computed after every step (as an agent would see them).
void BM_TextWorldSolvedEpisode(benchmark::State& state) {
  const char* size = kSizes[state.range(0)];
  TextWorldEnv env(size, *TextWorldConfig::preset(size));
  std::uint64_t seed = 0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    auto r = env.reset(seed++, Json::object());
    for (const std::string& a : env.solve()) {
      auto s = env.step(a);
      ++steps;
      benchmark::DoNotOptimize(s->reward);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(seed));
  state.counters["steps/episode"] = static_cast<double>(steps) / static_cast<double>(seed);
  state.SetLabel(size);
}
BENCHMARK(BM_TextWorldSolvedEpisode)->DenseRange(0, 3);

// One episode of a random agent: reset, then up to 50 uniformly drawn admissible actions.
void BM_TextWorldRandomEpisode(benchmark::State& state) {
  const char* size = kSizes[state.range(0)];
  TextWorldEnv env(size, *TextWorldConfig::preset(size));
  Rng rng(1);
  std::uint64_t seed = 0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    auto r = env.reset(seed++, Json::object());
    std::vector<std::string> actions =
        r->info[kInfoAdmissibleActions].get<std::vector<std::string>>();
    for (int k = 0; k < 50; ++k) {
      auto s = env.step(actions[rng.below(actions.size())]);
      ++steps;
      if (s->terminated)
        break;
      actions = s->info[kInfoAdmissibleActions].get<std::vector<std::string>>();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(seed));
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.SetLabel(size);
}
BENCHMARK(BM_TextWorldRandomEpisode)->DenseRange(0, 3);

// Snapshot and restore, as a tree search does at every expansion.
void BM_TextWorldSaveRestore(benchmark::State& state) {
  TextWorldEnv env("hard", *TextWorldConfig::preset("hard"));
  (void)env.reset(3, Json::object());
  for (auto _ : state) {
    std::string snap = *env.save();
    benchmark::DoNotOptimize(env.restore(snap).ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TextWorldSaveRestore);

}  // namespace
}  // namespace arbor::envs

BENCHMARK_MAIN();
