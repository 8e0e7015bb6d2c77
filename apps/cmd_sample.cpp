// arbor sample: many completions through the engine, batched.
//
//   arbor sample --model DIR --prompts FILE [--n K] [--temperature T] [--top-p P] [--top-k K]
//                [--max-tokens N] [--stop S] [--seed S] [--concurrency C]
//
// FILE holds JSON lines {"id": ..., "prompt": "..."}; every prompt gets K completions. Output:
// one JSON line per completion {"id", "sample", "text", "tokens", "finish"} in input order.
// The sampling stream of completion k of line i is seeded with seed + 1000003 * i + k, so a
// result does not depend on the concurrency.
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/json.h"
#include "runtime/engine.h"

namespace arbor::apps {
namespace {

struct Prompt {
  Json id;
  std::string text;
};

StatusOr<std::vector<Prompt>> read_prompts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::not_found(path + ": cannot open");
  std::vector<Prompt> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    ARBOR_ASSIGN_OR_RETURN(Json j, parse_json(line, where));
    ARBOR_ASSIGN_OR_RETURN(std::string text, json_get<std::string>(j, "prompt", where));
    out.push_back({j.contains("id") ? j["id"] : Json(n), std::move(text)});
  }
  return out;
}

Status run_sample(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(
      Flags flags, Flags::parse(argc, argv, 2,
                                {{"--model", true}, {"--prompts", true}, {"--n", true},
                                 {"--temperature", true}, {"--top-p", true}, {"--top-k", true},
                                 {"--max-tokens", true}, {"--stop", true}, {"--seed", true},
                                 {"--concurrency", true}}));
  ARBOR_ASSIGN_OR_RETURN(std::string dir, flags.require("--model"));
  ARBOR_ASSIGN_OR_RETURN(std::string path, flags.require("--prompts"));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t n, flags.get_int("--n", 1));
  ARBOR_ASSIGN_OR_RETURN(double temperature, flags.get_double("--temperature", 1.0));
  ARBOR_ASSIGN_OR_RETURN(double top_p, flags.get_double("--top-p", 1.0));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t top_k, flags.get_int("--top-k", 0));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t max_tokens, flags.get_int("--max-tokens", 256));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t seed, flags.get_int("--seed", 0));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t concurrency, flags.get_int("--concurrency", 64));
  if (n < 1 || max_tokens < 1 || concurrency < 1) {
    return Status::invalid_argument("--n, --max-tokens and --concurrency must be >= 1");
  }
  ARBOR_ASSIGN_OR_RETURN(std::vector<Prompt> prompts, read_prompts(path));
  ARBOR_ASSIGN_OR_RETURN(auto model, models::Model::open(dir));
  if (model->tokenizer() == nullptr) {
    return Status::invalid_argument(dir + ": no tokenizer.json in the model folder");
  }
  runtime::EngineOptions options;
  options.n_slots = static_cast<std::int32_t>(std::min<std::int64_t>(2 * concurrency + 8, 1024));
  ARBOR_ASSIGN_OR_RETURN(auto engine, runtime::Engine::create(std::move(model), options));

  const std::size_t total = prompts.size() * static_cast<std::size_t>(n);
  std::vector<std::optional<StatusOr<runtime::Completion>>> results(total);
  std::mutex mu;
  std::condition_variable cv;
  std::size_t in_flight = 0, next_print = 0;
  auto flush = [&] {  // prints finished results in input order; REQUIRES: mu held
    while (next_print < total && results[next_print]) {
      const auto& r = *results[next_print];
      const Prompt& p = prompts[next_print / static_cast<std::size_t>(n)];
      Json line = {{"id", p.id}, {"sample", next_print % static_cast<std::size_t>(n)}};
      if (r.ok()) {
        line["text"] = r->text;
        line["tokens"] = r->ids.size();
        line["finish"] = runtime::finish_reason_name(r->finish_reason);
      } else {
        line["error"] = r.status().to_string();
      }
      print_json_line(json_dump(line));
      results[next_print].reset();
      ++next_print;
    }
  };
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    ARBOR_ASSIGN_OR_RETURN(runtime::Sequence seq, engine->start_text(prompts[i].text));
    for (std::int64_t k = 0; k < n; ++k) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return in_flight < static_cast<std::size_t>(concurrency); });
        ++in_flight;
      }
      runtime::GenerateParams p;
      p.sampling = {static_cast<float>(temperature), static_cast<std::int32_t>(top_k),
                    static_cast<float>(top_p), 0.0f};
      p.max_tokens = static_cast<std::int32_t>(max_tokens);
      p.seed = static_cast<std::uint64_t>(seed) + 1000003ull * i + static_cast<std::uint64_t>(k);
      if (auto stop = flags.get("--stop")) p.stop = {*stop};
      const std::size_t slot = i * static_cast<std::size_t>(n) + static_cast<std::size_t>(k);
      engine->submit_generate(engine->fork(seq), p, nullptr,
                              [&, slot](StatusOr<runtime::Completion> c) {
                                std::lock_guard<std::mutex> lock(mu);
                                results[slot] = std::move(c);
                                --in_flight;
                                flush();
                                cv.notify_all();
                              });
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return next_print == total; });
  return Status();
}

}  // namespace

int cmd_sample(int argc, char** argv) {
  Status s = run_sample(argc, argv);
  return s.ok() ? 0 : report_error("sample", s);
}

}  // namespace arbor::apps
