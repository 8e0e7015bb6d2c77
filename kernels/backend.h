// Backend: the one interface through which models run ops and hold device memory.
//
// A backend owns everything device-side: buffers (weights, activations, the state arena) and
// copies between them. Layers above hold opaque Buffer handles and pointers from data(); they
// never include a device header. The CPU backend (kernels/cpu) is the fp32 reference and the
// fallback; the CUDA backend (kernels/cuda) implements the same ops with the same argument
// structs, so the parity suite calls both identically.
//
// Thread safety: a backend is used by one thread at a time (the engine's scheduler thread),
// except bytes_copied(), which may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"
#include "kernels/ops.h"
#include "kernels/sampling.h"

namespace arbor::kernels {

enum class DeviceKind { kCpu, kCuda };
std::string_view device_kind_name(DeviceKind kind);

// Memory owned by a backend. data() is a host pointer on the CPU backend and a device pointer on
// the CUDA backend; only the owning backend's ops may dereference it.
//
// Which op arguments live where (ops.h, sampling.h): float arrays (activations, weights, state
// and KV bases, logits) are backend memory; integer index arrays (token ids, SeqSpan lists,
// page tables, past lengths) and the sampler's params, Rngs and outputs are host memory on every
// backend (a device backend stages what it needs). So one call works on either backend.
class Buffer {
 public:
  virtual ~Buffer() = default;
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 protected:
  Buffer(void* data, std::size_t bytes) : data_(data), bytes_(bytes) {}

 private:
  void* data_;
  std::size_t bytes_;
};
using BufferPtr = std::unique_ptr<Buffer>;

class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  virtual std::string_view name() const = 0;
  virtual DeviceKind device() const = 0;
  // The dtype weights are stored in for this backend (fp32 on the CPU reference).
  virtual DType weight_dtype() const = 0;

  // ---- memory ---------------------------------------------------------------------------------
  // Returns ResourceExhausted when the device is out of memory.
  virtual StatusOr<BufferPtr> alloc(std::size_t bytes) = 0;
  virtual Status upload(const Buffer& dst, std::size_t offset, const void* src,
                        std::size_t bytes) = 0;
  virtual Status download(void* dst, const Buffer& src, std::size_t offset,
                          std::size_t bytes) = 0;
  virtual Status fill_zero(const Buffer& dst, std::size_t offset, std::size_t bytes) = 0;
  // Device-to-device copy. Every byte goes through here and is counted, so "bytes copied by
  // fork" is a measurement.
  Status copy(const Buffer& dst, std::size_t dst_offset, const Buffer& src,
              std::size_t src_offset, std::size_t bytes);
  std::uint64_t bytes_copied() const { return bytes_copied_.load(std::memory_order_relaxed); }
  // Waits for queued device work (a no-op on the CPU).
  virtual Status synchronize() { return Status(); }

  // ---- ops (argument contracts in ops.h and sampling.h) ----------------------------------------
  // supports() says whether this backend has a kernel for these shapes and dtypes.
  virtual bool supports(const Conv1dArgs&) const { return true; }
  virtual bool supports(const Mamba1ScanArgs&) const { return true; }
  virtual bool supports(const Mamba2ScanArgs&) const { return true; }

  virtual Status embedding(const EmbeddingArgs& args) = 0;
  virtual Status rms_norm(const RmsNormArgs& args) = 0;
  virtual Status gated_rms_norm(const GatedRmsNormArgs& args) = 0;
  virtual Status linear(const LinearArgs& args) = 0;
  virtual Status conv1d(const Conv1dArgs& args) = 0;
  virtual Status mamba1_scan(const Mamba1ScanArgs& args) = 0;
  virtual Status mamba2_scan(const Mamba2ScanArgs& args) = 0;
  virtual Status silu_mul(const SiluMulArgs& args) = 0;
  virtual Status paged_attention(const PagedAttentionArgs& args) = 0;
  virtual Status kv_append(const KvAppendArgs& args) = 0;
  virtual Status log_softmax(const LogSoftmaxArgs& args) = 0;
  virtual Status sample(const SampleArgs& args) = 0;

  // ---- step graphs (optional; the CPU backend has none) -----------------------------------------
  // A caller that runs the same ops step after step (a decode step of one batch shape) may bracket
  // them with graph_begin() and graph_end(), so that the backend records them once and then
  // replays the recording as one unit (CUDA graphs). `key` names the step's shape; it is a hint:
  // the backend checks each op's arguments (device pointers, sizes, dims) against the recording,
  // and only the contents of the host index arrays (token ids, SeqSpans) may differ.
  //
  // graph_begin() returns false when the ops should just run (no graphs, or the key's first
  // step); graph_end() is then not called. When it returns true, the ops up to graph_end() are
  // recorded or checked, not run, and graph_end() issues their work: it returns true when it
  // did, and false when nothing ran (the arguments differ from the recording, the recording
  // failed, or `ops_ok` is false because an op in between returned an error); the caller then
  // calls the same ops again without graph_begin(). In between, only ops may be called: no
  // alloc, upload, download, fill_zero, copy, synchronize or sample (they fail).
  virtual bool graph_begin(std::uint64_t /*key*/) { return false; }
  virtual StatusOr<bool> graph_end(bool /*ops_ok*/) { return true; }
  struct GraphStats {
    std::uint64_t captured = 0;   // recordings made
    std::uint64_t launched = 0;   // steps whose work ran as one replay (recording steps included)
    std::uint64_t fallbacks = 0;  // bracketed steps that had to be run again without a graph
    std::uint64_t held = 0;       // recordings held now
  };
  virtual GraphStats graph_stats() const { return {}; }

 protected:
  Backend() = default;
  virtual Status copy_impl(const Buffer& dst, std::size_t dst_offset, const Buffer& src,
                           std::size_t src_offset, std::size_t bytes) = 0;

 private:
  std::atomic<std::uint64_t> bytes_copied_{0};
};

struct BackendOptions {
  // The dtype linear() weights are stored in; unset: the backend's default (fp32 on the CPU,
  // which supports only fp32; bf16 on CUDA, which also supports fp32 for parity runs).
  std::optional<DType> weight_dtype;
};

// Creates the backend for `kind`. Returns Unimplemented for CUDA in a build without CUDA,
// Unavailable when the build has CUDA but no device is present, and InvalidArgument for a
// weight dtype the backend does not support.
StatusOr<std::unique_ptr<Backend>> make_backend(DeviceKind kind,
                                                const BackendOptions& options = {});
StatusOr<DeviceKind> parse_device_kind(std::string_view name);  // "cpu" | "cuda"

}  // namespace arbor::kernels
