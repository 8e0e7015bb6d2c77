// Environment benchmarks: arith problem generation and built-in text-world episodes.
//
//   build/bench/envs_bench --benchmark_counters_tabular=true
//
// items_per_second is problems (or episodes) per second on one thread.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "core/json.h"
#include "envs/arith.h"
#include "envs/arith_checker.h"

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
  state.SetLabel(split == ArithSplit::kAll ? "all" : split == ArithSplit::kTrain ? "train"
                                                                                 : "test");
}
BENCHMARK(BM_ArithGenerate)->Arg(0)->Arg(1)->Arg(2);

void BM_ArithGenerateDifficulty(benchmark::State& state) {
  const ArithGenerator gen =
      make_generator(ArithSplit::kAll, {static_cast<int>(state.range(0))});
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

}  // namespace
}  // namespace arbor::envs

BENCHMARK_MAIN();
