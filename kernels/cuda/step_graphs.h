// StepGraphs: CUDA graphs of repeated forward steps for the CudaBackend (Backend::graph_begin /
// graph_end in kernels/backend.h).
//
// Per key (a step's shape, named by the caller): the first step runs eagerly (it allocates the
// step's scratch buffers and loads its kernels); the second is recorded with stream capture and
// then launched; later steps are replayed. During a recorded or replayed step the backend's ops
// call two things here:
// - stage(): the step's i-th host index array. Recording, it gets a slice of the graph's own
//   pinned and device arenas (or the slice of an earlier array of the same kind with the same
//   bytes, so a step's SeqSpans are copied once, not once per layer), is copied into the pinned
//   slice, and a pinned -> device copy of the slice is captured. Replaying, it is copied into the
//   same pinned slice (after the previous launch of the graph has read it), so the launch copies
//   this step's contents; an array that shared an earlier one's slice must still equal it.
// - replayed(): the op's device-side arguments (pointers, sizes, dims, scalars), appended to the
//   graph's trace when recording and compared with it when replaying. Replaying, it returns true
//   and the op launches nothing.
// end() launches the graph unless a replay found different arguments (the graph is dropped and
// the step must be run again eagerly: nothing has been launched yet) or the recording failed.
//
// At most `max_graphs` graphs are held; the least recently used goes first. A key whose
// recording failed three times runs eagerly from then on.
//
// Thread safety: none; used by the backend's one thread. The capture is thread-local: nothing
// the thread does between begin() and end() may allocate or synchronise (the backend refuses
// allocations while recording).
#pragma once

#include <cuda_runtime.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "kernels/backend.h"

namespace arbor::kernels::cuda {

class StepGraphs {
 public:
  enum class Mode { kOff, kRecord, kReplay };

  explicit StepGraphs(std::size_t max_graphs = 64);
  ~StepGraphs();
  StepGraphs(const StepGraphs&) = delete;
  StepGraphs& operator=(const StepGraphs&) = delete;

  Mode mode() const { return mode_; }
  bool active() const { return mode_ != Mode::kOff; }
  bool recording() const { return mode_ == Mode::kRecord; }

  // Starts a step of `key` on `stream`. kOff: run it eagerly and do not call end() (the key's
  // first step, a key given up on, or a CUDA error, which the eager ops will meet again).
  // REQUIRES: no step is active.
  Mode begin(std::uint64_t key, cudaStream_t stream);

  // The device copy of the step's next host array (`kind` says which argument it is).
  // REQUIRES: active(), host != nullptr, bytes > 0.
  StatusOr<const void*> stage(int kind, const void* host, std::size_t bytes);

  // Records (recording) or checks (replaying) an op's arguments; true when replaying, where the
  // op must launch nothing. False when no step is active.
  template <typename... Args>
  bool replayed(std::uint64_t op, const Args&... args) {
    if (mode_ == Mode::kOff) return false;
    word(op);
    (add(args), ...);
    return mode_ == Mode::kReplay;
  }

  // Ends the step: launches the graph and returns true, or returns false when nothing ran (see
  // the top of the file; `ops_ok` false means an op between begin() and end() failed).
  StatusOr<bool> end(bool ops_ok);

  Backend::GraphStats stats() const;

 private:
  struct Graph;
  struct Entry {
    int steps = 0;     // steps seen since the key was last without a graph
    int failures = 0;  // failed recordings
    std::size_t arena_bytes = std::size_t{64} << 10;
    std::uint64_t last_used = 0;
    std::unique_ptr<Graph> graph;
  };

  void word(std::uint64_t w);
  void add(const void* p) { word(reinterpret_cast<std::uintptr_t>(p)); }
  void add(float f) { word(std::bit_cast<std::uint32_t>(f)); }
  void add(bool b) { word(b ? 1 : 0); }
  void add(const Tensor& t);
  void add(const StateRef& r);
  void add(const KvPagesRef& r);
  template <typename T>
  requires std::is_integral_v<T> || std::is_enum_v<T>
  void add(T v) { word(static_cast<std::uint64_t>(v)); }

  void evict_lru();
  void drop(Entry& e);

  std::size_t max_graphs_;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::uint64_t clock_ = 0;
  Mode mode_ = Mode::kOff;
  Entry* entry_ = nullptr;  // the active step's
  cudaStream_t stream_ = nullptr;
  std::size_t n_staged_ = 0;  // stage() calls of the active step
  std::size_t n_words_ = 0;   // trace words of the active step
  bool mismatch_ = false;     // replaying: an argument differs from the recording
  bool overflow_ = false;     // recording: the staging arenas were too small
  Backend::GraphStats stats_;
};

}  // namespace arbor::kernels::cuda
