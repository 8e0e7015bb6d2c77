// Scheduler: the engine's step loop on its own thread (see engine.h for the contract).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/random.h"
#include "runtime/engine.h"
#include "runtime/internal/seq_node.h"
#include "runtime/internal/state_pool.h"
#include "runtime/stop_matcher.h"

namespace arbor::runtime::internal {

enum class JobKind { kMaterialize, kExtend, kGenerate, kScore, kHidden };

// One request (or an internal materialization) in flight.
struct Job {
  JobKind kind = JobKind::kGenerate;
  std::shared_ptr<SeqNode> node;  // the sequence the request is about
  Engine::CancelFlag cancel;
  std::optional<Clock::time_point> deadline;
  Clock::time_point submitted;
  bool served = false;  // has had a row in some step (for the queue-wait metric)
  bool done = false;

  // kMaterialize: computes node's state into `work_slot` chunk by chunk.
  std::int64_t fed = 0;  // history tokens whose effect `work_slot` holds
  bool from_ancestor = false;

  // kGenerate
  GenerateParams params;
  Rng rng;
  std::int32_t work_slot = kernels::kNoSlot;
  bool decoding = false;  // the first token (the sequence's last) has been fed
  std::int32_t pending = 0;
  std::vector<std::int32_t> ids;
  std::vector<float> logprobs;
  std::unique_ptr<StopMatcher> stop;
  FinishReason finish_reason = FinishReason::kLength;

  // kScore / kHidden
  std::vector<std::int32_t> continuation;
  std::optional<std::string> head;

  Engine::SeqDone seq_done;
  Engine::CompletionDone completion_done;
  Engine::FloatsDone floats_done;
};

class Scheduler {
 public:
  Scheduler(models::Model& model, std::shared_ptr<StatePool> pool, const EngineOptions& options,
            const std::map<std::string, ValueHead>& heads);
  ~Scheduler();  // stops the thread; unfinished jobs end with Cancelled

  void submit(std::unique_ptr<Job> job);
  void count_fork();
  Metrics metrics() const;
  const std::shared_ptr<StatePool>& pool() const { return pool_; }

 private:
  // One row group of the packed batch.
  struct Item {
    Job* job;
    std::vector<std::int32_t> tokens;
    std::int32_t src, dst;
    bool all_rows;  // logits for every token (score), else only the last
    bool hidden;
  };
  using Deliveries = std::vector<std::function<void()>>;

  void run();
  void retire(std::vector<std::unique_ptr<Job>>& retired);
  // Builds the step's items. REQUIRES: pool mutex held.
  Status plan(std::vector<Item>& items, Deliveries& out);
  // Distributes the step's outputs. REQUIRES: pool mutex held.
  Status consume(const std::vector<Item>& items, const models::StepOutput& out, Deliveries& done);
  // Draws the next token of every generating item of the step into sampled_: on the model's
  // backend when the step's logits stayed there, else on the host. Scheduler thread only.
  Status sample_step(const std::vector<Item>& items, const models::StepOutput& out);

  // Where a job's source state is: ready (node holding it, maybe spilled), or a node that must
  // be materialized first (returned in *need).
  SeqNode* resolve(SeqNode* node, SeqNode** need);
  // Makes `node`'s state resident and pinned for this step; false when no slot is free now.
  StatusOr<bool> pin_source(SeqNode* node, std::vector<SeqNode*>& pinned);
  void ensure_materialize(SeqNode* node);
  std::int32_t src_slot(const SeqNode* node) const;
  void finish(Job& job, Status status, Deliveries& out);
  void finish_generate(Job& job, Deliveries& out);
  void finish_extend(Job& job, Deliveries& out);

  models::Model& model_;
  std::shared_ptr<StatePool> pool_;
  EngineOptions options_;
  const std::map<std::string, ValueHead>& heads_;
  std::int32_t vocab_;
  std::optional<std::int32_t> eos_;

  std::condition_variable cv_;  // waits on pool_->mutex()
  std::deque<std::unique_ptr<Job>> incoming_;  // guarded by pool_->mutex()
  std::vector<std::unique_ptr<Job>> jobs_;     // scheduler thread only
  std::vector<SeqNode*> pinned_;               // nodes pinned for the current step
  // The step's sampled token and its logprob per logits row; scheduler thread only.
  std::vector<std::int32_t> sampled_;
  std::vector<float> sampled_logprobs_;
  std::vector<kernels::SamplingParams> row_params_;
  std::vector<Rng> row_rngs_;
  bool stop_ = false;                          // guarded by pool_->mutex()
  bool in_step_ = false;  // a forward pass is running (mutex released); guarded by the mutex
  // KV page figures as of the last time no step was running; guarded by the mutex.
  mutable std::int32_t kv_pages_used_ = 0;
  mutable std::uint64_t kv_cow_copies_ = 0, kv_cow_bytes_ = 0;
  // Frees queued slots and reads the page pool. REQUIRES: mutex held, no step running.
  void snapshot_kv() const;
  std::uint64_t step_ = 0;
  std::size_t rotate_ = 0;  // rotates prefill order across steps (no starvation)

  // Metrics, guarded by pool_->mutex().
  Clock::time_point started_;
  double busy_s_ = 0;
  std::uint64_t tokens_generated_ = 0, tokens_prefilled_ = 0, requests_ = 0, forks_ = 0,
                recomputes_ = 0, batch_seq_total_ = 0;
  double queue_wait_total_ms_ = 0;
  std::uint64_t queue_wait_count_ = 0;
  std::map<std::int32_t, std::uint64_t> batch_hist_;

  std::thread thread_;
};

}  // namespace arbor::runtime::internal
