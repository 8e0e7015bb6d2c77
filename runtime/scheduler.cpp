// The engine's step loop. One thread plans a packed batch from every ready job under the pool
// mutex, runs the model with the mutex released, then consumes the outputs under the mutex.
// Results are delivered (posted to their callers' executors) with the mutex released.
#include "runtime/internal/scheduler.h"

#include <algorithm>
#include <cmath>

#include "core/logging.h"

namespace arbor::runtime::internal {
namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Runs the collected result deliveries; called with the pool mutex released.
void deliver(std::vector<std::function<void()>>& out) {
  for (auto& f : out) f();
  out.clear();
}

// log p(token) from one row of logits.
float logprob_of(const float* logits, std::int32_t n, std::int32_t token) {
  float mx = logits[0];
  for (std::int32_t i = 1; i < n; ++i) mx = std::max(mx, logits[i]);
  double sum = 0;
  for (std::int32_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  return static_cast<float>(logits[token] - mx - std::log(sum));
}

}  // namespace

Scheduler::Scheduler(models::Model& model, std::shared_ptr<StatePool> pool,
                     const EngineOptions& options, const std::map<std::string, ValueHead>& heads)
    : model_(model),
      pool_(std::move(pool)),
      options_(options),
      heads_(heads),
      vocab_(model.config().vocab_size),
      eos_(model.config().eos_token_id),
      started_(Clock::now()) {
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(pool_->mutex());
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Scheduler::submit(std::unique_ptr<Job> job) {
  {
    std::lock_guard<std::mutex> lock(pool_->mutex());
    job->submitted = Clock::now();
    requests_++;
    incoming_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Scheduler::count_fork() {
  std::lock_guard<std::mutex> lock(pool_->mutex());
  forks_++;
}

SeqNode* Scheduler::resolve(SeqNode* node, SeqNode** need) {
  *need = nullptr;
  SeqNode* n = node;
  while (n->state == StateKind::kNone) {
    if (!n->delta.empty() || n->parent == nullptr) {
      *need = n;
      return nullptr;
    }
    n = n->parent.get();  // a plain fork has its parent's state
  }
  return n;
}

std::int32_t Scheduler::src_slot(const SeqNode* node) const {
  return node->state == StateKind::kSlot ? node->slot : kernels::kNoSlot;
}

StatusOr<bool> Scheduler::pin_source(SeqNode* node, std::vector<SeqNode*>& pinned) {
  if (node->state == StateKind::kSpilled) {
    ARBOR_ASSIGN_OR_RETURN(bool ok, pool_->restore(node));
    if (!ok) return false;
  }
  node->pins++;
  node->last_used = step_;
  pinned.push_back(node);
  return true;
}

void Scheduler::ensure_materialize(SeqNode* node) {
  if (node->materializing) return;
  node->materializing = true;
  auto job = std::make_unique<Job>();
  job->kind = JobKind::kMaterialize;
  job->node = std::shared_ptr<SeqNode>(node->shared_from_this());
  job->submitted = Clock::now();
  jobs_.insert(jobs_.begin(), std::move(job));  // ahead of the jobs waiting for it
}

void Scheduler::finish(Job& job, Status status, Deliveries& out) {
  job.done = true;
  if (job.work_slot != kernels::kNoSlot) {
    pool_->release(job.work_slot);
    job.work_slot = kernels::kNoSlot;
  }
  switch (job.kind) {
    case JobKind::kMaterialize:
      job.node->materializing = false;
      break;
    case JobKind::kExtend:
      out.push_back([done = std::move(job.seq_done), status] { done(status); });
      break;
    case JobKind::kGenerate:
      out.push_back([done = std::move(job.completion_done), status] { done(status); });
      break;
    case JobKind::kScore:
    case JobKind::kHidden:
      out.push_back([done = std::move(job.floats_done), status] { done(status); });
      break;
  }
}

void Scheduler::finish_generate(Job& job, Deliveries& out) {
  job.done = true;
  Completion c;
  auto result = std::make_shared<SeqNode>(job.node, job.ids, pool_);
  pool_->attach(result.get(), job.work_slot);
  result->last_used = step_;
  job.work_slot = kernels::kNoSlot;
  c.ids = std::move(job.ids);
  c.logprobs = std::move(job.logprobs);
  c.finish_reason = job.finish_reason;
  c.sequence = Sequence(std::move(result));
  if (const models::Tokenizer* tok = model_.tokenizer()) {
    std::vector<std::int32_t> visible = c.ids;
    if (c.finish_reason == FinishReason::kEos) visible.pop_back();
    std::erase_if(visible, [&](std::int32_t id) { return id >= tok->vocab_size(); });
    StatusOr<std::string> text = tok->decode(visible);
    c.text = text.ok() ? std::move(*text) : std::string();
    if (c.finish_reason == FinishReason::kStop) {
      c.stop = *job.stop->matched();
      c.text = c.text.substr(0, std::min(c.text.size(), c.text.find(c.stop)));
    }
  }
  out.push_back([done = std::move(job.completion_done), c = std::move(c)]() mutable {
    done(std::move(c));
  });
}

void Scheduler::snapshot_kv() const {
  pool_->flush_releases();
  if (const kernels::KvPagePool* kv = pool_->arena().kv()) {
    kv_pages_used_ = kv->pages_in_use();
    kv_cow_copies_ = kv->counters().cow_copies;
    kv_cow_bytes_ = kv->counters().cow_bytes;
  }
}

Status Scheduler::plan(std::vector<Item>& items, Deliveries& out) {
  const Clock::time_point now = Clock::now();
  pool_->flush_releases();
  for (auto& job : jobs_) {
    if (job->done) continue;
    if (job->cancel && job->cancel->load()) {
      finish(*job, Status::cancelled("request cancelled"), out);
    } else if (job->deadline && now > *job->deadline) {
      finish(*job, Status::deadline_exceeded("request deadline passed" +
                                             (job->kind == JobKind::kGenerate
                                                  ? " after " + std::to_string(job->ids.size()) +
                                                        " generated tokens"
                                                  : std::string())),
             out);
    }
  }
  // Decoding jobs first, so a prefill never delays a running generation; the rest in a
  // rotating order so no waiting job is starved.
  std::vector<Job*> order;
  for (auto& job : jobs_) {
    if (!job->done && job->kind == JobKind::kGenerate && job->decoding) order.push_back(job.get());
  }
  std::vector<Job*> rest;
  for (auto& job : jobs_) {
    if (!job->done && !(job->kind == JobKind::kGenerate && job->decoding)) rest.push_back(job.get());
  }
  if (!rest.empty()) {
    std::rotate(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(rotate_ % rest.size()),
                rest.end());
    rotate_++;
  }
  order.insert(order.end(), rest.begin(), rest.end());

  std::int32_t n_tokens = 0;
  for (Job* job : order) {
    if (static_cast<std::int32_t>(items.size()) >= options_.max_batch_seqs) break;
    if (job->done) continue;
    const std::int32_t token_room = options_.max_batch_tokens - n_tokens;
    if (job->kind == JobKind::kGenerate && job->decoding) {
      items.push_back({job, {job->pending}, job->work_slot, job->work_slot, false, false});
      n_tokens += 1;
      continue;
    }
    if (job->kind == JobKind::kMaterialize) {
      SeqNode* target = job->node.get();
      std::int32_t src = job->work_slot;
      if (job->work_slot == kernels::kNoSlot) {
        SeqNode* a = target->parent.get();
        while (a != nullptr && a->state == StateKind::kNone) a = a->parent.get();
        if (a != nullptr) {
          ARBOR_ASSIGN_OR_RETURN(bool ok, pin_source(a, pinned_));
          if (!ok) continue;
        }
        ARBOR_ASSIGN_OR_RETURN(std::optional<std::int32_t> slot, pool_->acquire());
        if (!slot) continue;
        job->work_slot = *slot;
        job->fed = a != nullptr ? a->length - 1 : 0;
        src = a != nullptr ? src_slot(a) : kernels::kNoSlot;
        if (target->computed_before) recomputes_++;
      }
      if (token_room <= 0 && !items.empty()) continue;
      const std::int64_t remaining = target->length - 1 - job->fed;
      const std::int64_t n = std::min<std::int64_t>(
          {remaining, options_.prefill_chunk, std::max<std::int32_t>(token_room, 1)});
      items.push_back({job, target->tokens(job->fed, job->fed + n), src, job->work_slot, false,
                       false});
      n_tokens += static_cast<std::int32_t>(n);
      continue;
    }
    // Extend, generate (first step), score and hidden start from the sequence's state.
    SeqNode* need = nullptr;
    SeqNode* source = resolve(job->node.get(), &need);
    if (need != nullptr) {
      if (need->length == 1) {
        need->state = StateKind::kZero;  // the initial state needs no computing
        source = resolve(job->node.get(), &need);
      } else {
        ensure_materialize(need);
        continue;
      }
    }
    if (job->kind == JobKind::kExtend) {
      finish_extend(*job, out);
      continue;
    }
    std::vector<std::int32_t> tokens = {job->node->delta.empty()
                                            ? job->node->token_at(job->node->length - 1)
                                            : job->node->delta.back()};
    if (job->kind == JobKind::kScore) {
      tokens.insert(tokens.end(), job->continuation.begin(), job->continuation.end() - 1);
    }
    if (static_cast<std::int32_t>(tokens.size()) > token_room && !items.empty()) continue;
    ARBOR_ASSIGN_OR_RETURN(bool ok, pin_source(source, pinned_));
    if (!ok) continue;
    std::int32_t dst = kernels::kNoSlot;
    if (job->kind == JobKind::kGenerate) {
      ARBOR_ASSIGN_OR_RETURN(std::optional<std::int32_t> slot, pool_->acquire());
      if (!slot) continue;
      job->work_slot = *slot;
      dst = *slot;
    }
    items.push_back({job, std::move(tokens), src_slot(source), dst, job->kind == JobKind::kScore,
                     job->kind == JobKind::kHidden});
    n_tokens += static_cast<std::int32_t>(items.back().tokens.size());
  }
  return Status();
}

void Scheduler::finish_extend(Job& job, Deliveries& out) {
  job.done = true;
  out.push_back([done = std::move(job.seq_done), seq = Sequence(job.node)]() mutable {
    done(std::move(seq));
  });
}

Status Scheduler::consume(const std::vector<Item>& items, const models::StepOutput& output,
                          Deliveries& out) {
  const std::int32_t n_embd = model_.config().n_embd;
  std::size_t row = 0;
  for (const Item& item : items) {
    Job& job = *item.job;
    const std::size_t n_rows = item.all_rows ? item.tokens.size() : 1;
    const float* logits = output.logits.data() + row * static_cast<std::size_t>(vocab_);
    const std::size_t first_row = row;
    row += n_rows;
    switch (job.kind) {
      case JobKind::kMaterialize: {
        tokens_prefilled_ += item.tokens.size();
        job.fed += static_cast<std::int64_t>(item.tokens.size());
        if (job.fed == job.node->length - 1) {
          SeqNode* target = job.node.get();
          pool_->attach(target, job.work_slot);
          target->last_used = step_;
          target->materializing = false;
          job.work_slot = kernels::kNoSlot;
          job.done = true;
        }
        break;
      }
      case JobKind::kGenerate: {
        const std::int32_t token = sampled_[first_row];
        const float logprob = sampled_logprobs_[first_row];
        job.decoding = true;
        job.ids.push_back(token);
        job.logprobs.push_back(logprob);
        tokens_generated_++;
        const models::Tokenizer* tok = model_.tokenizer();
        bool stopped = false;
        if (job.stop && tok != nullptr && token < tok->vocab_size()) {
          stopped = job.stop->append(tok->token_bytes(token));
        }
        if (job.params.stop_at_eos && eos_ == token) {
          job.finish_reason = FinishReason::kEos;
        } else if (stopped) {
          job.finish_reason = FinishReason::kStop;
        } else if (static_cast<std::int32_t>(job.ids.size()) >= job.params.max_tokens) {
          job.finish_reason = FinishReason::kLength;
        } else {
          job.pending = token;
          break;
        }
        finish_generate(job, out);
        break;
      }
      case JobKind::kScore: {
        std::vector<float> lps;
        for (std::size_t i = 0; i < job.continuation.size(); ++i) {
          lps.push_back(logprob_of(logits + i * static_cast<std::size_t>(vocab_), vocab_,
                                   job.continuation[i]));
        }
        job.done = true;
        out.push_back([done = std::move(job.floats_done), lps = std::move(lps)]() mutable {
          done(std::move(lps));
        });
        break;
      }
      case JobKind::kHidden: {
        const float* h = output.hidden.data() + first_row * static_cast<std::size_t>(n_embd);
        std::vector<float> result = job.head ? heads_.at(*job.head).apply(h)
                                             : std::vector<float>(h, h + n_embd);
        job.done = true;
        out.push_back([done = std::move(job.floats_done), r = std::move(result)]() mutable {
          done(std::move(r));
        });
        break;
      }
      case JobKind::kExtend:
        break;
    }
  }
  return Status();
}

Status Scheduler::sample_step(const std::vector<Item>& items, const models::StepOutput& output) {
  std::size_t n_rows = 0;
  bool any_generate = false;
  for (const Item& item : items) {
    n_rows += item.all_rows ? item.tokens.size() : 1;
    any_generate |= item.job->kind == JobKind::kGenerate;
  }
  sampled_.assign(n_rows, 0);
  sampled_logprobs_.assign(n_rows, 0.0f);
  if (!any_generate) return Status();
  if (output.want_logits) {  // the logits were downloaded: the reference sampler on the host
    std::size_t row = 0;
    for (const Item& item : items) {
      Job& job = *item.job;
      if (job.kind == JobKind::kGenerate) {
        kernels::SampleArgs args;
        args.logits = output.logits.data() + row * static_cast<std::size_t>(vocab_);
        args.ld_logits = vocab_;
        args.n_rows = 1;
        args.n_vocab = vocab_;
        args.params = &job.params.sampling;
        args.rngs = &job.rng;
        args.tokens = &sampled_[row];
        args.logprobs = &sampled_logprobs_[row];
        kernels::sample_on_host(args);
      }
      row += item.all_rows ? item.tokens.size() : 1;
    }
    return Status();
  }
  // Every row at once on the backend; rows that do not generate are greedy and draw nothing.
  row_params_.assign(n_rows, kernels::SamplingParams{});
  row_rngs_.assign(n_rows, Rng(0));
  std::size_t row = 0;
  for (const Item& item : items) {
    if (item.job->kind == JobKind::kGenerate) {
      row_params_[row] = item.job->params.sampling;
      row_rngs_[row] = item.job->rng;
    }
    row += item.all_rows ? item.tokens.size() : 1;
  }
  ARBOR_RETURN_IF_ERROR(model_.sample_logits(row_params_, row_rngs_.data(), sampled_.data(),
                                             sampled_logprobs_.data()));
  row = 0;
  for (const Item& item : items) {
    if (item.job->kind == JobKind::kGenerate) item.job->rng = row_rngs_[row];  // advanced
    row += item.all_rows ? item.tokens.size() : 1;
  }
  return Status();
}

// Moves finished jobs out of jobs_. They are destroyed later with the mutex released: dropping
// a job can drop the last handle to a node, whose destructor takes the mutex.
void Scheduler::retire(std::vector<std::unique_ptr<Job>>& retired) {
  for (auto& job : jobs_) {
    if (job->done) retired.push_back(std::move(job));
  }
  std::erase_if(jobs_, [](const std::unique_ptr<Job>& j) { return j == nullptr; });
}

void Scheduler::run() {
  std::unique_lock<std::mutex> lock(pool_->mutex());
  std::vector<std::unique_ptr<Job>> retired;
  Deliveries out;
  std::vector<Item> items;
  std::vector<std::int32_t> tokens, logit_rows;
  std::vector<kernels::SeqSpan> spans;
  models::StepOutput output;
  while (true) {
    cv_.wait_for(lock, std::chrono::milliseconds(incoming_.empty() && !jobs_.empty() ? 2 : 1000),
                 [&] { return stop_ || !incoming_.empty() || !jobs_.empty(); });
    if (stop_) break;
    while (!incoming_.empty()) {
      jobs_.push_back(std::move(incoming_.front()));
      incoming_.pop_front();
    }
    step_++;
    items.clear();
    Status st = plan(items, out);
    if (!st.ok()) {
      ARBOR_LOG(kError) << "scheduler: " << st.to_string();
      for (auto& job : jobs_) {
        if (!job->done) finish(*job, st, out);
      }
    }
    if (items.empty()) {
      for (SeqNode* n : pinned_) n->pins--;
      pinned_.clear();
      retire(retired);
      lock.unlock();
      deliver(out);
      retired.clear();
      lock.lock();
      // Jobs left are waiting (for a slot, a deadline or cancellation): poll gently.
      if (!jobs_.empty() && incoming_.empty()) {
        cv_.wait_for(lock, std::chrono::milliseconds(1));
      }
      continue;
    }
    // Build the packed batch.
    tokens.clear();
    spans.clear();
    logit_rows.clear();
    bool want_hidden = false;
    const Clock::time_point now = Clock::now();
    for (const Item& item : items) {
      const auto start = static_cast<std::int32_t>(tokens.size());
      const auto n = static_cast<std::int32_t>(item.tokens.size());
      tokens.insert(tokens.end(), item.tokens.begin(), item.tokens.end());
      spans.push_back({start, n, item.src, item.dst});
      if (item.all_rows) {
        for (std::int32_t i = 0; i < n; ++i) logit_rows.push_back(start + i);
      } else {
        logit_rows.push_back(start + n - 1);
      }
      want_hidden |= item.hidden;
      if (!item.job->served && item.job->kind != JobKind::kMaterialize) {
        item.job->served = true;
        queue_wait_total_ms_ += ms_between(item.job->submitted, now);
        queue_wait_count_++;
      }
    }
    batch_hist_[static_cast<std::int32_t>(items.size())]++;
    batch_seq_total_ += items.size();
    output.want_hidden = want_hidden;
    // Only scoring needs the logits on the host; sampling happens where they are.
    output.want_logits = std::any_of(items.begin(), items.end(), [](const Item& item) {
      return item.job->kind == JobKind::kScore;
    });
    in_step_ = true;
    lock.unlock();
    deliver(out);
    const Clock::time_point t0 = Clock::now();
    Status fs = model_.forward({tokens, spans, false, logit_rows}, pool_->arena(), &output);
    if (fs.ok()) fs = sample_step(items, output);
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    lock.lock();
    in_step_ = false;
    busy_s_ += dt;
    for (SeqNode* n : pinned_) n->pins--;
    pinned_.clear();
    if (fs.ok()) fs = consume(items, output, out);
    if (!fs.ok()) {
      ARBOR_LOG(kError) << "scheduler: step failed: " << fs.to_string();
      for (const Item& item : items) {
        if (!item.job->done) finish(*item.job, fs, out);
      }
    }
    retire(retired);
    lock.unlock();
    deliver(out);
    retired.clear();
    lock.lock();
  }
  // Shutting down: every unfinished request ends with Cancelled.
  while (!incoming_.empty()) {
    jobs_.push_back(std::move(incoming_.front()));
    incoming_.pop_front();
  }
  for (auto& job : jobs_) {
    if (!job->done) finish(*job, Status::cancelled("engine shut down"), out);
  }
  retire(retired);
  lock.unlock();
  deliver(out);
  retired.clear();
}

Metrics Scheduler::metrics() const {
  std::lock_guard<std::mutex> lock(pool_->mutex());
  Metrics m;
  m.uptime_s = std::chrono::duration<double>(Clock::now() - started_).count();
  std::uint64_t steps = 0;
  for (const auto& [n, count] : batch_hist_) steps += count;
  m.steps = steps;
  m.tokens_generated = tokens_generated_;
  m.tokens_prefilled = tokens_prefilled_;
  m.tokens_per_s = busy_s_ > 0 ? static_cast<double>(tokens_generated_) / busy_s_ : 0;
  m.mean_batch = steps > 0 ? static_cast<double>(batch_seq_total_) / static_cast<double>(steps) : 0;
  m.batch_histogram = batch_hist_;
  m.mean_queue_wait_ms = queue_wait_count_ > 0 ? queue_wait_total_ms_ / static_cast<double>(queue_wait_count_) : 0;
  m.requests = requests_;
  m.forks = forks_;
  m.bytes_copied = model_.backend().bytes_copied();
  m.spills = pool_->counters().spills;
  m.restores = pool_->counters().restores;
  m.drops = pool_->counters().drops;
  m.recomputes = recomputes_;
  m.slots = pool_->n_slots();
  m.free_slots = pool_->free_slots();
  if (const kernels::KvPagePool* kv = pool_->arena().kv()) {
    // The page pool may only be read while no step runs; otherwise the last snapshot.
    if (!in_step_) snapshot_kv();
    m.kv_pages = kv->layout().n_pages;
    m.kv_pages_used = kv_pages_used_;
    m.kv_cow_copies = kv_cow_copies_;
    m.kv_cow_bytes = kv_cow_bytes_;
  }
  return m;
}

}  // namespace arbor::runtime::internal
