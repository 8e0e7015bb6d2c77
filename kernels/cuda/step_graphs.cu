// StepGraphs (see step_graphs.h): recording, checking and replaying forward steps as CUDA graphs.
#include "kernels/cuda/step_graphs.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace arbor::kernels::cuda {
namespace {

constexpr int kMaxFailures = 3;         // failed recordings before a key runs eagerly for good
constexpr std::size_t kMaxKeys = 4096;  // keys remembered (graphs or first-step counts)
constexpr std::size_t kAlign = 256;     // staged arrays start at multiples of this in the arenas

}  // namespace

// One recorded step: the executable graph, the arenas its staged arrays live in, and what each
// op and staged array of the step looked like when it was recorded.
struct StepGraphs::Graph {
  // A staged array: its slice of the arenas, or the earlier array whose slice it shares.
  struct Staged {
    int kind = 0;
    std::size_t offset = 0;
    std::size_t bytes = 0;
    std::ptrdiff_t shares = -1;  // index of the earlier array with the same bytes, or -1
  };

  ~Graph() {
    if (done != nullptr) {
      cudaEventSynchronize(done);  // the last launch has finished with the arenas
      cudaEventDestroy(done);
    }
    if (exec != nullptr) cudaGraphExecDestroy(exec);
    if (pinned != nullptr) cudaFreeHost(pinned);
    if (dev != nullptr) cudaFree(dev);
  }

  // REQUIRES: not capturing (allocates).
  cudaError_t init(std::size_t bytes) {
    arena_bytes = bytes;
    cudaError_t e = cudaEventCreateWithFlags(&done, cudaEventDisableTiming);
    if (e == cudaSuccess) e = cudaMallocHost(&pinned, bytes);
    if (e == cudaSuccess) e = cudaMalloc(&dev, bytes);
    return e;
  }

  cudaGraphExec_t exec = nullptr;
  cudaEvent_t done = nullptr;  // recorded after each launch
  char* pinned = nullptr;      // host side of the staged arrays
  char* dev = nullptr;         // device side
  std::size_t arena_bytes = 0;
  std::size_t used = 0;
  std::vector<Staged> staged;        // in stage() order
  std::vector<std::uint64_t> trace;  // the ops' arguments, in call order
};

StepGraphs::StepGraphs(std::size_t max_graphs) : max_graphs_(max_graphs) {}
StepGraphs::~StepGraphs() {
  if (mode_ == Mode::kRecord) {  // a step abandoned without end(): leave the stream usable
    cudaGraph_t graph = nullptr;
    cudaStreamEndCapture(stream_, &graph);
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();
  }
}

StepGraphs::Mode StepGraphs::begin(std::uint64_t key, cudaStream_t stream) {
  ARBOR_CHECK(mode_ == Mode::kOff) << "graph_begin() inside a graph step";
  if (entries_.size() >= kMaxKeys && entries_.find(key) == entries_.end()) {
    std::erase_if(entries_, [](const auto& kv) { return kv.second.graph == nullptr; });
  }
  Entry& e = entries_[key];
  e.last_used = ++clock_;
  if (e.failures >= kMaxFailures) return Mode::kOff;
  stream_ = stream;
  n_staged_ = 0;
  n_words_ = 0;
  mismatch_ = false;
  overflow_ = false;
  if (e.graph != nullptr) {
    // The previous launch of this graph must have read the pinned arena before it is rewritten.
    if (cudaEventSynchronize(e.graph->done) != cudaSuccess) return Mode::kOff;
    entry_ = &e;
    mode_ = Mode::kReplay;
    return mode_;
  }
  if (++e.steps < 2) return Mode::kOff;  // the first step runs eagerly: it allocates and loads
  evict_lru();
  auto g = std::make_unique<Graph>();
  if (g->init(e.arena_bytes) != cudaSuccess ||
      cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    cudaGetLastError();
    e.failures++;
    return Mode::kOff;
  }
  e.graph = std::move(g);
  entry_ = &e;
  mode_ = Mode::kRecord;
  return mode_;
}

StatusOr<const void*> StepGraphs::stage(int kind, const void* host, std::size_t bytes) {
  ARBOR_CHECK(active() && host != nullptr && bytes > 0) << "stage() outside a graph step";
  Graph& g = *entry_->graph;
  const std::size_t i = n_staged_++;
  if (mode_ == Mode::kReplay) {
    if (i >= g.staged.size() || g.staged[i].kind != kind || g.staged[i].bytes != bytes) {
      mismatch_ = true;
      return Status::failed_precondition("graph replay: the step stages other arrays");
    }
    const Graph::Staged& s = g.staged[i];
    char* pinned = g.pinned + s.offset;
    if (s.shares < 0) {
      std::memcpy(pinned, host, bytes);
    } else if (std::memcmp(pinned, host, bytes) != 0) {
      mismatch_ = true;
      return Status::failed_precondition("graph replay: arrays recorded equal now differ");
    }
    return static_cast<const void*>(g.dev + s.offset);
  }
  // Recording: share the slice of an earlier array with the same bytes, or take a new one.
  for (std::size_t j = 0; j < g.staged.size(); ++j) {
    const Graph::Staged& s = g.staged[j];
    if (s.shares < 0 && s.kind == kind && s.bytes == bytes &&
        std::memcmp(g.pinned + s.offset, host, bytes) == 0) {
      g.staged.push_back({kind, s.offset, bytes, static_cast<std::ptrdiff_t>(j)});
      return static_cast<const void*>(g.dev + s.offset);
    }
  }
  const std::size_t offset = (g.used + kAlign - 1) / kAlign * kAlign;
  if (offset + bytes > g.arena_bytes) {
    overflow_ = true;
    return Status::resource_exhausted("graph recording: staging arena full");
  }
  std::memcpy(g.pinned + offset, host, bytes);
  const cudaError_t err =
      cudaMemcpyAsync(g.dev + offset, g.pinned + offset, bytes, cudaMemcpyHostToDevice, stream_);
  if (err != cudaSuccess) {
    return Status::internal(std::string("graph recording: staging copy: ") +
                            cudaGetErrorString(err));
  }
  g.used = offset + bytes;
  g.staged.push_back({kind, offset, bytes, -1});
  return static_cast<const void*>(g.dev + offset);
}

void StepGraphs::word(std::uint64_t w) {
  std::vector<std::uint64_t>& trace = entry_->graph->trace;
  if (mode_ == Mode::kRecord) {
    trace.push_back(w);
  } else if (n_words_ >= trace.size() || trace[n_words_] != w) {
    mismatch_ = true;
  }
  n_words_++;
}

void StepGraphs::add(const Tensor& t) {
  add(t.data);
  add(t.dtype);
  add(t.shape.rank());
  for (int d = 0; d < t.shape.rank(); ++d) add(t.shape[d]);
}

void StepGraphs::add(const StateRef& r) {
  add(r.base);
  add(r.slot_stride);
  add(r.offset);
}

void StepGraphs::add(const KvPagesRef& r) {
  add(r.base);
  add(r.page_stride);
  add(r.k_offset);
  add(r.v_offset);
  add(r.page_size);
  add(r.row);
}

StatusOr<bool> StepGraphs::end(bool ops_ok) {
  ARBOR_CHECK(active()) << "graph_end() without a graph step";
  const Mode mode = mode_;
  mode_ = Mode::kOff;
  Entry& e = *entry_;
  entry_ = nullptr;
  Graph& g = *e.graph;
  if (mode == Mode::kRecord) {
    cudaGraph_t graph = nullptr;
    cudaError_t err = cudaStreamEndCapture(stream_, &graph);
    if (err == cudaSuccess && graph != nullptr && ops_ok) {
      err = cudaGraphInstantiate(&g.exec, graph, 0);
    }
    if (graph != nullptr) cudaGraphDestroy(graph);
    if (err != cudaSuccess || g.exec == nullptr || !ops_ok) {
      cudaGetLastError();  // the capture's error is not the eager rerun's
      if (overflow_) {
        e.arena_bytes *= 4;  // record again next time, with room
      } else {
        e.failures++;
      }
      e.steps = 1;
      drop(e);
      stats_.fallbacks++;
      return false;
    }
    stats_.captured++;
  } else if (!ops_ok || mismatch_ || n_words_ != g.trace.size() || n_staged_ != g.staged.size()) {
    // Other pointers or sizes than recorded (a scratch buffer grew, another layout): nothing
    // was launched. The eager rerun is the new key's first step; the next one records again.
    e.steps = 1;
    drop(e);
    stats_.fallbacks++;
    return false;
  }
  cudaError_t err = cudaGraphLaunch(g.exec, stream_);
  if (err == cudaSuccess) err = cudaEventRecord(g.done, stream_);
  if (err != cudaSuccess) {
    return Status::internal(std::string("cuda backend: graph launch: ") + cudaGetErrorString(err));
  }
  stats_.launched++;
  return true;
}

void StepGraphs::evict_lru() {
  std::size_t held = 0;
  Entry* oldest = nullptr;
  for (auto& [key, e] : entries_) {
    if (e.graph == nullptr) continue;
    held++;
    if (oldest == nullptr || e.last_used < oldest->last_used) oldest = &e;
  }
  if (held >= max_graphs_ && oldest != nullptr) {
    oldest->steps = 0;
    drop(*oldest);
  }
}

void StepGraphs::drop(Entry& e) {
  e.graph.reset();
}

Backend::GraphStats StepGraphs::stats() const {
  Backend::GraphStats s = stats_;
  s.held = static_cast<std::uint64_t>(std::count_if(
      entries_.begin(), entries_.end(), [](const auto& kv) { return kv.second.graph != nullptr; }));
  return s;
}

}  // namespace arbor::kernels::cuda
