#include "runtime/engine.h"

#include "models/generate.h"

#include "runtime/internal/scheduler.h"
#include "runtime/internal/state_pool.h"

namespace arbor::runtime {

using internal::Job;
using internal::JobKind;
using internal::SeqNode;

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kLength: return "length";
    case FinishReason::kStop: return "stop";
    case FinishReason::kEos: return "eos";
  }
  return "?";
}

// ---- Sequence ----------------------------------------------------------------------------------

std::int64_t Sequence::length() const { return node_->length; }
std::vector<std::int32_t> Sequence::tokens() const { return node_->tokens(0, node_->length); }
const std::vector<std::int32_t>& Sequence::delta() const { return node_->delta; }
std::int32_t Sequence::last_token() const { return node_->token_at(node_->length - 1); }
std::uint64_t Sequence::id() const { return node_->id; }
Sequence Sequence::parent() const { return Sequence(node_->parent); }

// ---- Metrics -----------------------------------------------------------------------------------

Json Metrics::to_json() const {
  Json hist = Json::object();
  for (const auto& [n, count] : batch_histogram) hist[std::to_string(n)] = count;
  return {{"uptime_s", uptime_s},       {"steps", steps},
          {"tokens_generated", tokens_generated},
          {"tokens_prefilled", tokens_prefilled},
          {"tokens_per_s", tokens_per_s}, {"mean_batch", mean_batch},
          {"batch_histogram", hist},    {"mean_queue_wait_ms", mean_queue_wait_ms},
          {"requests", requests},       {"forks", forks},
          {"bytes_copied", bytes_copied}, {"spills", spills},
          {"restores", restores},       {"drops", drops},
          {"recomputes", recomputes},   {"slots", slots},
          {"free_slots", free_slots},   {"kv_pages", kv_pages},
          {"kv_pages_used", kv_pages_used}, {"kv_cow_copies", kv_cow_copies},
          {"kv_cow_bytes", kv_cow_bytes}};
}

// ---- Engine ------------------------------------------------------------------------------------

// More slots than any batch or search needs at once only costs memory and start-up time.
constexpr std::size_t kMaxSlots = 1024;

StatusOr<std::unique_ptr<Engine>> Engine::create(std::unique_ptr<models::Model> model,
                                                 const EngineOptions& options) {
  if (options.max_batch_seqs < 1 || options.max_batch_tokens < 1 || options.prefill_chunk < 1) {
    return Status::invalid_argument("engine: batch limits and prefill_chunk must be >= 1");
  }
  std::unique_ptr<Engine> e(new Engine());
  const std::size_t slot_bytes =
      static_cast<std::size_t>(model->state_floats_per_slot()) * sizeof(float);
  std::int32_t n_slots = options.n_slots;
  if (n_slots <= 0) {
    n_slots = static_cast<std::int32_t>(
        std::min<std::size_t>(options.state_budget_bytes / slot_bytes, kMaxSlots));
  }
  if (n_slots < 2) {
    return Status::resource_exhausted(
        "engine: the state budget holds " + std::to_string(n_slots) + " slot(s) of " +
        std::to_string(slot_bytes) + " bytes; at least 2 are needed");
  }
  std::int64_t kv_pages = 0;
  if (model->kv_bytes_per_token() > 0) {
    const std::int64_t page_bytes =
        model->kv_bytes_per_token() * model->kv_page_size();
    kv_pages = static_cast<std::int64_t>(options.kv_budget_bytes) / page_bytes;
    if (kv_pages < n_slots) {
      return Status::resource_exhausted(
          "engine: the KV budget holds " + std::to_string(kv_pages) + " page(s) of " +
          std::to_string(page_bytes) + " bytes; at least one per slot (" +
          std::to_string(n_slots) + ") is needed");
    }
  }
  ARBOR_ASSIGN_OR_RETURN(auto arena, model->make_state_arena(n_slots, kv_pages));
  auto pool = std::make_shared<internal::StatePool>(std::move(arena), options.host_spill_bytes);
  ARBOR_ASSIGN_OR_RETURN(e->heads_, load_value_heads(model->dir(), model->config().n_embd));
  e->model_ = std::move(model);
  e->scheduler_ = std::make_unique<internal::Scheduler>(*e->model_, std::move(pool), options,
                                                        e->heads_);
  return e;
}

Engine::~Engine() = default;

namespace {

Status check_tokens(const std::vector<std::int32_t>& tokens, std::int32_t vocab,
                    const char* what) {
  for (std::int32_t id : tokens) {
    if (id < 0 || id >= vocab) {
      return Status::out_of_range(std::string(what) + ": token id " + std::to_string(id) +
                                  " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    }
  }
  return Status();
}

}  // namespace

StatusOr<Sequence> Engine::start(std::vector<std::int32_t> tokens) {
  if (tokens.empty()) return Status::invalid_argument("start: empty token list");
  ARBOR_RETURN_IF_ERROR(check_tokens(tokens, model_->config().vocab_size, "start"));
  return Sequence(std::make_shared<SeqNode>(nullptr, std::move(tokens), scheduler_->pool()));
}

StatusOr<Sequence> Engine::start_text(std::string_view text) {
  if (tokenizer() == nullptr) {
    return Status::failed_precondition(model_->dir() + ": the model folder has no tokenizer.json");
  }
  return start(tokenizer()->encode(text));
}

Sequence Engine::fork(const Sequence& seq) {
  ARBOR_CHECK(seq.valid()) << "fork of an empty Sequence";
  scheduler_->count_fork();
  return Sequence(std::make_shared<SeqNode>(seq.node_, std::vector<std::int32_t>(),
                                            scheduler_->pool()));
}

StatusOr<Sequence> Engine::append(const Sequence& seq, std::vector<std::int32_t> tokens) {
  if (!seq.valid()) return Status::invalid_argument("append: empty Sequence");
  ARBOR_RETURN_IF_ERROR(check_tokens(tokens, model_->config().vocab_size, "append"));
  return Sequence(std::make_shared<SeqNode>(seq.node_, std::move(tokens), scheduler_->pool()));
}

void Engine::submit_extend(Sequence seq, std::vector<std::int32_t> tokens, CancelFlag cancel,
                           SeqDone done) {
  StatusOr<Sequence> child = append(seq, std::move(tokens));
  if (!child.ok()) return done(child.status());
  auto job = std::make_unique<Job>();
  job->kind = JobKind::kExtend;
  job->node = child->node_;
  job->cancel = std::move(cancel);
  job->seq_done = std::move(done);
  scheduler_->submit(std::move(job));
}

void Engine::submit_generate(Sequence seq, GenerateParams params, CancelFlag cancel,
                             CompletionDone done) {
  if (!seq.valid()) return done(Status::invalid_argument("generate: empty Sequence"));
  if (Status s = models::validate_sampling(params.sampling); !s.ok()) return done(s);
  if (params.max_tokens < 0) return done(Status::invalid_argument("generate: max_tokens < 0"));
  if (!params.stop.empty() && tokenizer() == nullptr) {
    return done(Status::failed_precondition(
        "generate: stop strings need a tokenizer.json in the model folder"));
  }
  if (params.max_tokens == 0) {
    Completion c;
    c.sequence = seq;
    return done(std::move(c));
  }
  auto job = std::make_unique<Job>();
  job->kind = JobKind::kGenerate;
  job->node = seq.node_;
  job->cancel = std::move(cancel);
  job->deadline = params.deadline;
  job->rng = Rng(params.seed);
  if (!params.stop.empty()) job->stop = std::make_unique<StopMatcher>(params.stop);
  job->params = std::move(params);
  job->completion_done = std::move(done);
  scheduler_->submit(std::move(job));
}

void Engine::submit_score(Sequence seq, std::vector<std::int32_t> continuation, CancelFlag cancel,
                          FloatsDone done) {
  if (!seq.valid()) return done(Status::invalid_argument("score: empty Sequence"));
  if (Status s = check_tokens(continuation, model_->config().vocab_size, "score"); !s.ok()) {
    return done(s);
  }
  if (continuation.empty()) return done(std::vector<float>());
  auto job = std::make_unique<Job>();
  job->kind = JobKind::kScore;
  job->node = seq.node_;
  job->cancel = std::move(cancel);
  job->continuation = std::move(continuation);
  job->floats_done = std::move(done);
  scheduler_->submit(std::move(job));
}

void Engine::submit_hidden(Sequence seq, std::optional<std::string> head, CancelFlag cancel,
                           FloatsDone done) {
  if (!seq.valid()) return done(Status::invalid_argument("hidden: empty Sequence"));
  if (head && heads_.count(*head) == 0) {
    std::string names;
    for (const auto& [name, h] : heads_) names += (names.empty() ? "" : ", ") + name;
    return done(Status::not_found("value: no reward head named '" + *head + "' (loaded: " +
                                  (names.empty() ? "none" : names) + ")"));
  }
  auto job = std::make_unique<Job>();
  job->kind = JobKind::kHidden;
  job->node = seq.node_;
  job->cancel = std::move(cancel);
  job->head = std::move(head);
  job->floats_done = std::move(done);
  scheduler_->submit(std::move(job));
}

Metrics Engine::metrics() const { return scheduler_->metrics(); }

}  // namespace arbor::runtime
