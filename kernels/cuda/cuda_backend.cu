// CudaBackend (see cuda_backend.h): memory, staging of host index arrays, cuBLAS GEMMs, the
// dispatch of every op to its kernel launcher (launch.h), and graph steps (step_graphs.h).
#include "kernels/cuda/cuda_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/cuda/launch.h"
#include "kernels/cuda/step_graphs.h"

namespace arbor::kernels {
namespace {

Status cuda_error(cudaError_t e, const char* what) {
  const std::string msg = std::string("cuda backend: ") + what + ": " + cudaGetErrorString(e);
  return e == cudaErrorMemoryAllocation ? Status::resource_exhausted(msg) : Status::internal(msg);
}

#define ARBOR_CUDA_OK(expr, what)                              \
  do {                                                         \
    const cudaError_t arbor_cuda_e_ = (expr);                  \
    if (arbor_cuda_e_ != cudaSuccess) return cuda_error(arbor_cuda_e_, what); \
  } while (0)

#define ARBOR_CUBLAS_OK(expr, what)                                                          \
  do {                                                                                       \
    const cublasStatus_t arbor_cublas_s_ = (expr);                                           \
    if (arbor_cublas_s_ != CUBLAS_STATUS_SUCCESS) {                                          \
      return Status::internal(std::string("cuda backend: ") + what + ": cuBLAS status " +    \
                              std::to_string(static_cast<int>(arbor_cublas_s_)));            \
    }                                                                                        \
  } while (0)

class CudaBuffer final : public Buffer {
 public:
  CudaBuffer(void* data, std::size_t bytes) : Buffer(data, bytes) {}
  ~CudaBuffer() override {
    if (data() != nullptr) {
      cudaDeviceSynchronize();  // queued kernels may still use it
      cudaFree(data());
    }
  }
};

// Device memory that only grows.
class DeviceScratch {
 public:
  ~DeviceScratch() {
    if (ptr_ != nullptr) {
      cudaDeviceSynchronize();
      cudaFree(ptr_);
    }
  }
  bool fits(std::size_t bytes) const { return bytes <= bytes_; }
  StatusOr<void*> get(std::size_t bytes) {
    if (bytes > bytes_) {
      if (ptr_ != nullptr) {
        cudaDeviceSynchronize();
        cudaFree(ptr_);
        ptr_ = nullptr;
      }
      const std::size_t want = std::max<std::size_t>(bytes + bytes / 2, 256);
      ARBOR_CUDA_OK(cudaMalloc(&ptr_, want), "device scratch");
      bytes_ = want;
    }
    return ptr_;
  }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// A host array copied to the device, kept while its bytes do not change: the SeqSpans, page
// table and token ids of a step are passed to every layer's ops but copied once. Two entries per
// argument kind, so arrays that alternate within a step (token ids, then logit rows) stay too.
class StagedArray {
 public:
  ~StagedArray() {
    if (pinned_ != nullptr) cudaFreeHost(pinned_);
    if (event_ != nullptr) cudaEventDestroy(event_);
  }
  StatusOr<const void*> put(const void* host, std::size_t bytes, cudaStream_t stream) {
    if (bytes == host_.size() && (bytes == 0 || std::memcmp(host, host_.data(), bytes) == 0)) {
      return dev_ptr_;
    }
    if (event_ == nullptr) ARBOR_CUDA_OK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming), "event");
    ARBOR_CUDA_OK(cudaEventSynchronize(event_), "staging wait");  // the last copy has left pinned_
    if (bytes > pinned_bytes_) {
      if (pinned_ != nullptr) cudaFreeHost(pinned_);
      pinned_ = nullptr;
      pinned_bytes_ = std::max<std::size_t>(bytes * 2, 256);
      ARBOR_CUDA_OK(cudaMallocHost(&pinned_, pinned_bytes_), "pinned staging buffer");
    }
    ARBOR_ASSIGN_OR_RETURN(void* dev, dev_.get(std::max<std::size_t>(bytes, 1)));
    dev_ptr_ = dev;
    std::memcpy(pinned_, host, bytes);
    ARBOR_CUDA_OK(cudaMemcpyAsync(dev, pinned_, bytes, cudaMemcpyHostToDevice, stream), "staging");
    ARBOR_CUDA_OK(cudaEventRecord(event_, stream), "staging event");
    host_.assign(static_cast<const char*>(host), static_cast<const char*>(host) + bytes);
    return dev_ptr_;
  }

 private:
  std::vector<char> host_;
  void* pinned_ = nullptr;
  std::size_t pinned_bytes_ = 0;
  cudaEvent_t event_ = nullptr;
  DeviceScratch dev_;
  const void* dev_ptr_ = nullptr;
};

class Stager {
 public:
  template <typename T>
  StatusOr<const T*> put(const T* host, std::size_t n, cudaStream_t stream) {
    if (n == 0 || host == nullptr) return static_cast<const T*>(nullptr);
    const std::size_t bytes = n * sizeof(T);
    // An entry that already holds these bytes returns at once; otherwise the older one is reused.
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (matches_[i].size() == bytes && std::memcmp(matches_[i].data(), host, bytes) == 0) {
        ARBOR_ASSIGN_OR_RETURN(const void* d, entries_[i].put(host, bytes, stream));
        return static_cast<const T*>(d);
      }
    }
    StagedArray& e = entries_[next_];
    matches_[next_].assign(reinterpret_cast<const char*>(host),
                           reinterpret_cast<const char*>(host) + bytes);
    next_ = (next_ + 1) % entries_.size();
    ARBOR_ASSIGN_OR_RETURN(const void* d, e.put(host, bytes, stream));
    return static_cast<const T*>(d);
  }

 private:
  std::array<StagedArray, 2> entries_;
  std::array<std::vector<char>, 2> matches_;
  std::size_t next_ = 0;
};

enum StageKind { kIds, kSeqs, kTable, kPast, kTokenSeq, kSampleRows, kStageKinds };

// The ops as graph steps record them (StepGraphs::replayed).
enum GraphOp : std::uint64_t {
  kOpEmbedding = 1,
  kOpRmsNorm,
  kOpGatedRmsNorm,
  kOpSiluMul,
  kOpLinear,
  kOpConv1d,
  kOpMamba1Scan,
  kOpMamba2Scan,
  kOpPagedAttention,
  kOpKvAppend,
};

// A graph step checks every field of an op's arguments against its recording (the replayed()
// calls below). A new field changes the struct's size: add it to that op's replayed() call, then
// update the size here.
static_assert(sizeof(EmbeddingArgs) == 80);
static_assert(sizeof(RmsNormArgs) == 96);
static_assert(sizeof(GatedRmsNormArgs) == 112);
static_assert(sizeof(SiluMulArgs) == 32);
static_assert(sizeof(LinearArgs) == 112);
static_assert(sizeof(Conv1dArgs) == 144);
static_assert(sizeof(Mamba1ScanArgs) == 152);
static_assert(sizeof(Mamba2ScanArgs) == 152);
static_assert(sizeof(PagedAttentionArgs) == 152);
static_assert(sizeof(KvAppendArgs) == 112);

// The cuBLAS workspace, set once so that GEMMs inside graph recordings allocate nothing (and
// run the same algorithms as outside them). 32 MiB is cuBLAS's own default on Hopper.
constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(DType weight_dtype)
      : weight_dtype_(weight_dtype), graphs_(std::make_unique<cuda::StepGraphs>()) {}
  ~CudaBackend() override {
    graphs_.reset();
    if (cublas_ != nullptr) cublasDestroy(cublas_);
    if (cublas_workspace_ != nullptr) cudaFree(cublas_workspace_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
    if (pinned_out_ != nullptr) cudaFreeHost(pinned_out_);
  }

  Status init() {
    ARBOR_CUDA_OK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "stream");
    ARBOR_CUBLAS_OK(cublasCreate(&cublas_), "cublasCreate");
    ARBOR_CUBLAS_OK(cublasSetStream(cublas_, stream_), "cublasSetStream");
    // fp32 GEMMs in full fp32 (no TF32): the parity path.
    ARBOR_CUBLAS_OK(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    // After cublasSetStream, which resets the workspace to cuBLAS's own pool.
    ARBOR_CUDA_OK(cudaMalloc(&cublas_workspace_, kCublasWorkspaceBytes), "cuBLAS workspace");
    ARBOR_CUBLAS_OK(cublasSetWorkspace(cublas_, cublas_workspace_, kCublasWorkspaceBytes),
                    "cublasSetWorkspace");
    const char* sync = std::getenv("ARBOR_CUDA_SYNC");
    sync_each_op_ = sync != nullptr && std::string(sync) == "1";
    return Status();
  }

  std::string_view name() const override { return "cuda"; }
  DeviceKind device() const override { return DeviceKind::kCuda; }
  DType weight_dtype() const override { return weight_dtype_; }

  StatusOr<BufferPtr> alloc(std::size_t bytes) override {
    ARBOR_RETURN_IF_ERROR(outside_graph_step("alloc"));
    void* p = nullptr;
    if (bytes > 0) ARBOR_CUDA_OK(cudaMalloc(&p, bytes), "alloc");
    return BufferPtr(new CudaBuffer(p, bytes));
  }
  Status upload(const Buffer& dst, std::size_t offset, const void* src,
                std::size_t bytes) override {
    ARBOR_CHECK(offset + bytes <= dst.bytes()) << "upload out of bounds";
    ARBOR_RETURN_IF_ERROR(outside_graph_step("upload"));
    ARBOR_CUDA_OK(cudaMemcpyAsync(static_cast<char*>(dst.data()) + offset, src, bytes,
                                  cudaMemcpyHostToDevice, stream_),
                  "upload");
    ARBOR_CUDA_OK(cudaStreamSynchronize(stream_), "upload");
    return Status();
  }
  Status download(void* dst, const Buffer& src, std::size_t offset, std::size_t bytes) override {
    ARBOR_CHECK(offset + bytes <= src.bytes()) << "download out of bounds";
    ARBOR_RETURN_IF_ERROR(outside_graph_step("download"));
    ARBOR_CUDA_OK(cudaMemcpyAsync(dst, static_cast<const char*>(src.data()) + offset, bytes,
                                  cudaMemcpyDeviceToHost, stream_),
                  "download");
    ARBOR_CUDA_OK(cudaStreamSynchronize(stream_), "download");
    return Status();
  }
  Status fill_zero(const Buffer& dst, std::size_t offset, std::size_t bytes) override {
    ARBOR_CHECK(offset + bytes <= dst.bytes()) << "fill_zero out of bounds";
    ARBOR_RETURN_IF_ERROR(outside_graph_step("fill_zero"));
    ARBOR_CUDA_OK(cudaMemsetAsync(static_cast<char*>(dst.data()) + offset, 0, bytes, stream_),
                  "fill_zero");
    return Status();
  }
  Status synchronize() override {
    ARBOR_RETURN_IF_ERROR(outside_graph_step("synchronize"));
    ARBOR_CUDA_OK(cudaStreamSynchronize(stream_), "synchronize");
    return Status();
  }

  bool graph_begin(std::uint64_t key) override {
    if (sync_each_op_) return false;  // a per-op synchronisation cannot be recorded
    return graphs_->begin(key, stream_) != cuda::StepGraphs::Mode::kOff;
  }
  StatusOr<bool> graph_end(bool ops_ok) override { return graphs_->end(ops_ok); }
  GraphStats graph_stats() const override { return graphs_->stats(); }

  bool supports(const Conv1dArgs& a) const override { return a.d_conv >= 1 && a.d_conv <= 8; }
  bool supports(const Mamba1ScanArgs& a) const override { return a.d_state <= 256; }
  bool supports(const Mamba2ScanArgs& a) const override { return a.d_state <= 256; }

  Status embedding(const EmbeddingArgs& args) override {
    EmbeddingArgs a = args;
    ARBOR_ASSIGN_OR_RETURN(a.ids, stage(kIds, args.ids, args.n_tokens));
    if (graphs_->replayed(kOpEmbedding, a.ids, a.table, a.out, a.n_tokens, a.scale)) {
      return Status();
    }
    return launched(cuda::embedding(a, stream_), "embedding");
  }
  Status rms_norm(const RmsNormArgs& a) override {
    if (graphs_->replayed(kOpRmsNorm, a.add, a.residual, a.weight, a.out, a.n_rows, a.n, a.eps,
                          a.add_scale)) {
      return Status();
    }
    return launched(cuda::rms_norm(a, stream_), "rms_norm");
  }
  Status gated_rms_norm(const GatedRmsNormArgs& a) override {
    if (a.group_size <= 0 || a.n % a.group_size != 0) {
      return Status::invalid_argument("gated_rms_norm: group_size must divide n");
    }
    if (graphs_->replayed(kOpGatedRmsNorm, a.x, a.z, a.ld_z, a.weight, a.out, a.n_rows, a.n,
                          a.group_size, a.norm_before_gate, a.eps)) {
      return Status();
    }
    return launched(cuda::gated_rms_norm(a, stream_), "gated_rms_norm");
  }
  Status silu_mul(const SiluMulArgs& a) override {
    if (graphs_->replayed(kOpSiluMul, a.x, a.ld_x, a.out, a.n_rows, a.n)) return Status();
    return launched(cuda::silu_mul(a, stream_), "silu_mul");
  }

  Status linear(const LinearArgs& a) override {
    if (a.n_rows == 0) return Status();
    const float beta = 0.0f;
    // bf16 weights: the input rows rounded to bf16 go here first.
    void* xb = nullptr;
    if (a.weight.dtype == DType::kBF16) {
      const std::size_t n = static_cast<std::size_t>(a.n_rows) * a.n_in;
      ARBOR_ASSIGN_OR_RETURN(xb, scratch(bf16_scratch_, n * sizeof(__nv_bfloat16)));
    }
    if (graphs_->replayed(kOpLinear, a.x, a.ld_x, a.weight, a.bias, a.y, a.ld_y, a.n_rows, a.n_in,
                          a.n_out, a.alpha, xb)) {
      return Status();
    }
    if (a.weight.dtype == DType::kF32) {
      ARBOR_CUBLAS_OK(cublasSgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, a.n_out, a.n_rows, a.n_in,
                                  &a.alpha, static_cast<const float*>(a.weight.data), a.n_in,
                                  a.x, static_cast<int>(a.ld_x), &beta, a.y,
                                  static_cast<int>(a.ld_y)),
                      "linear (fp32)");
    } else if (a.weight.dtype == DType::kBF16) {
      ARBOR_RETURN_IF_ERROR(launched(
          cuda::to_bf16(a.x, a.ld_x, static_cast<__nv_bfloat16*>(xb), a.n_rows, a.n_in, stream_),
          "linear (bf16 input)"));
      ARBOR_CUBLAS_OK(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, a.n_out, a.n_rows, a.n_in,
                                   &a.alpha, a.weight.data, CUDA_R_16BF, a.n_in, xb, CUDA_R_16BF,
                                   a.n_in, &beta, a.y, CUDA_R_32F, static_cast<int>(a.ld_y),
                                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                      "linear (bf16)");
    } else {
      return Status::unimplemented("cuda linear: weights must be F32 or BF16, not " +
                                   std::string(dtype_name(a.weight.dtype)));
    }
    if (a.bias != nullptr) {
      ARBOR_RETURN_IF_ERROR(
          launched(cuda::add_bias(a.y, a.ld_y, a.bias, a.n_rows, a.n_out, stream_), "bias"));
    }
    return after_op("linear");
  }

  Status conv1d(const Conv1dArgs& args) override {
    if (!supports(args)) return Status::unimplemented("cuda conv1d: d_conv must be in [1, 8]");
    Conv1dArgs a = args;
    ARBOR_ASSIGN_OR_RETURN(a.seqs, stage(kSeqs, args.seqs, args.n_seqs));
    std::int32_t max_tokens = 0;
    for (std::int32_t s = 0; s < args.n_seqs; ++s) {
      max_tokens = std::max(max_tokens, args.seqs[s].n_tokens);
    }
    if (graphs_->replayed(kOpConv1d, a.x, a.ld_x, a.weight, a.bias, a.silu, a.out, a.n_channels,
                          a.d_conv, a.seqs, a.n_seqs, a.state, max_tokens)) {
      return Status();
    }
    return launched(cuda::conv1d(a, max_tokens, stream_), "conv1d");
  }
  Status mamba1_scan(const Mamba1ScanArgs& args) override {
    if (!supports(args)) return Status::unimplemented("cuda mamba1_scan: d_state must be <= 256");
    Mamba1ScanArgs a = args;
    ARBOR_ASSIGN_OR_RETURN(a.seqs, stage(kSeqs, args.seqs, args.n_seqs));
    if (graphs_->replayed(kOpMamba1Scan, a.x, a.ld_x, a.dt, a.ld_dt, a.dt_bias, a.A, a.B, a.C,
                          a.ld_bc, a.D, a.z, a.ld_z, a.y, a.d_inner, a.d_state, a.seqs, a.n_seqs,
                          a.state)) {
      return Status();
    }
    return launched(cuda::mamba1_scan(a, stream_), "mamba1_scan");
  }
  Status mamba2_scan(const Mamba2ScanArgs& args) override {
    if (!supports(args)) return Status::unimplemented("cuda mamba2_scan: d_state must be <= 256");
    if (args.n_group <= 0 || args.n_head % args.n_group != 0) {
      return Status::invalid_argument("mamba2_scan: n_group must divide n_head");
    }
    Mamba2ScanArgs a = args;
    ARBOR_ASSIGN_OR_RETURN(a.seqs, stage(kSeqs, args.seqs, args.n_seqs));
    if (graphs_->replayed(kOpMamba2Scan, a.x, a.ld_x, a.dt, a.ld_dt, a.dt_bias, a.A, a.B, a.C,
                          a.ld_bc, a.D, a.y, a.n_head, a.head_dim, a.n_group, a.d_state, a.dt_min,
                          a.dt_max, a.seqs, a.n_seqs, a.state)) {
      return Status();
    }
    return launched(cuda::mamba2_scan(a, stream_), "mamba2_scan");
  }

  Status paged_attention(const PagedAttentionArgs& args) override {
    if (args.head_dim > 256 || args.n_kv_head <= 0 || args.n_head % args.n_kv_head != 0) {
      return Status::unimplemented(
          "cuda paged_attention: needs head_dim <= 256 and n_kv_head dividing n_head");
    }
    PagedAttentionArgs a = args;
    ARBOR_ASSIGN_OR_RETURN(const PagedStep step, stage_paged(a));
    if (graphs_->replayed(kOpPagedAttention, a.q, a.ld_q, a.k, a.v, a.ld_kv, a.out, a.n_head,
                          a.n_kv_head, a.head_dim, a.scale, a.seqs, a.n_seqs, a.page_table,
                          a.ld_page_table, a.past_len, a.cache, step.n_tokens, step.token_seq)) {
      return Status();
    }
    return launched(cuda::paged_attention(a, step.n_tokens, step.token_seq, stream_),
                    "paged_attention");
  }
  Status kv_append(const KvAppendArgs& args) override {
    KvAppendArgs a = args;
    ARBOR_ASSIGN_OR_RETURN(const PagedStep step, stage_paged(a));
    if (graphs_->replayed(kOpKvAppend, a.k, a.v, a.ld_kv, a.seqs, a.n_seqs, a.page_table,
                          a.ld_page_table, a.past_len, a.cache, step.n_tokens, step.token_seq)) {
      return Status();
    }
    return launched(cuda::kv_append(a, step.n_tokens, step.token_seq, stream_), "kv_append");
  }

  Status log_softmax(const LogSoftmaxArgs& args) override {
    ARBOR_RETURN_IF_ERROR(outside_graph_step("log_softmax"));
    return launched(cuda::log_softmax(args, stream_), "log_softmax");
  }

  Status sample(const SampleArgs& args) override {
    ARBOR_RETURN_IF_ERROR(outside_graph_step("sample"));
    if (args.n_rows == 0) return Status();
    rows_.resize(static_cast<std::size_t>(args.n_rows));
    for (std::int32_t r = 0; r < args.n_rows; ++r) {
      const SamplingParams& p = args.params[r];
      cuda::SampleRow& row = rows_[static_cast<std::size_t>(r)];
      row = {p.temperature, p.top_k, p.top_p, p.min_p, 0.0};
      if (p.temperature > 0.0f) {
        if (args.rngs == nullptr) {
          return Status::invalid_argument("sample: temperature > 0 needs an Rng per row");
        }
        row.u = args.rngs[r].uniform_f64();  // the one draw the CPU reference makes too
      }
    }
    ARBOR_ASSIGN_OR_RETURN(const cuda::SampleRow* rows,
                           stage(kSampleRows, rows_.data(), rows_.size()));
    const std::size_t out_bytes = static_cast<std::size_t>(args.n_rows) * 8;
    ARBOR_ASSIGN_OR_RETURN(void* out, sample_out_.get(out_bytes));
    auto* tokens = static_cast<std::int32_t*>(out);
    float* logprobs = args.logprobs != nullptr ? reinterpret_cast<float*>(tokens + args.n_rows)
                                               : nullptr;
    ARBOR_RETURN_IF_ERROR(launched(cuda::sample(args.logits, args.ld_logits, args.n_rows,
                                                args.n_vocab, rows, tokens, logprobs, stream_),
                                   "sample"));
    if (out_bytes > pinned_out_bytes_) {
      if (pinned_out_ != nullptr) cudaFreeHost(pinned_out_);
      pinned_out_ = nullptr;
      ARBOR_CUDA_OK(cudaMallocHost(&pinned_out_, out_bytes), "pinned sample output");
      pinned_out_bytes_ = out_bytes;
    }
    ARBOR_CUDA_OK(cudaMemcpyAsync(pinned_out_, out, out_bytes, cudaMemcpyDeviceToHost, stream_),
                  "sample output");
    ARBOR_CUDA_OK(cudaStreamSynchronize(stream_), "sample");
    const auto* host = static_cast<const std::int32_t*>(pinned_out_);
    std::copy(host, host + args.n_rows, args.tokens);
    if (args.logprobs != nullptr) {
      const auto* lp = reinterpret_cast<const float*>(host + args.n_rows);
      std::copy(lp, lp + args.n_rows, args.logprobs);
    }
    return Status();
  }

 protected:
  Status copy_impl(const Buffer& dst, std::size_t dst_offset, const Buffer& src,
                   std::size_t src_offset, std::size_t bytes) override {
    ARBOR_RETURN_IF_ERROR(outside_graph_step("copy"));
    ARBOR_CUDA_OK(cudaMemcpyAsync(static_cast<char*>(dst.data()) + dst_offset,
                                  static_cast<const char*>(src.data()) + src_offset, bytes,
                                  cudaMemcpyDeviceToDevice, stream_),
                  "copy");
    return Status();
  }

 private:
  // The device copy of a host index array: through the graph step's own staging while one is
  // active, else through the content-caching stagers.
  template <typename T>
  StatusOr<const T*> stage(StageKind kind, const T* host, std::size_t n) {
    if (graphs_->active()) {
      if (n == 0 || host == nullptr) return static_cast<const T*>(nullptr);
      ARBOR_ASSIGN_OR_RETURN(const void* d, graphs_->stage(kind, host, n * sizeof(T)));
      return static_cast<const T*>(d);
    }
    return stagers_[kind].put(host, n, stream_);
  }

  // A scratch buffer of at least `bytes`; it may not grow while a graph is being recorded.
  StatusOr<void*> scratch(DeviceScratch& s, std::size_t bytes) {
    if (graphs_->recording() && !s.fits(bytes)) {
      return Status::failed_precondition("cuda backend: scratch would grow in a graph recording");
    }
    return s.get(bytes);
  }

  Status outside_graph_step(const char* what) const {
    if (!graphs_->active()) return Status();
    return Status::failed_precondition(std::string("cuda backend: ") + what +
                                       " inside a graph step");
  }

  struct PagedStep {
    std::int32_t n_tokens;            // packed tokens of the step
    const std::int32_t* token_seq;    // device: the sequence of each packed token
  };
  // Replaces the host SeqSpans, page table and past lengths of an attention op's arguments
  // (PagedAttentionArgs or KvAppendArgs) by their staged device copies.
  template <typename Args>
  StatusOr<PagedStep> stage_paged(Args& a) {
    const SeqSpan* seqs = a.seqs;
    const auto n = static_cast<std::size_t>(a.n_seqs);
    ARBOR_ASSIGN_OR_RETURN(a.seqs, stage(kSeqs, seqs, n));
    ARBOR_ASSIGN_OR_RETURN(a.page_table, stage(kTable, a.page_table, n * a.ld_page_table));
    ARBOR_ASSIGN_OR_RETURN(a.past_len, stage(kPast, a.past_len, n));
    ARBOR_ASSIGN_OR_RETURN(const std::int32_t* token_seq, stage_token_seq(seqs, a.n_seqs));
    const std::int32_t n_tokens = n == 0 ? 0 : seqs[n - 1].start + seqs[n - 1].n_tokens;
    return PagedStep{n_tokens, token_seq};
  }

  // token_seq[t] = the sequence packed token t belongs to.
  StatusOr<const std::int32_t*> stage_token_seq(const SeqSpan* seqs, std::int32_t n_seqs) {
    token_seq_.clear();
    for (std::int32_t s = 0; s < n_seqs; ++s) {
      token_seq_.resize(static_cast<std::size_t>(seqs[s].start), -1);
      token_seq_.insert(token_seq_.end(), static_cast<std::size_t>(seqs[s].n_tokens), s);
    }
    return stage(kTokenSeq, token_seq_.data(), token_seq_.size());
  }

  Status launched(cudaError_t e, const char* op) {
    ARBOR_CUDA_OK(e, op);
    return after_op(op);
  }
  // With ARBOR_CUDA_SYNC=1 every op waits for its kernels, so an error names the op that made it.
  Status after_op(const char* op) {
    if (sync_each_op_) ARBOR_CUDA_OK(cudaStreamSynchronize(stream_), op);
    return Status();
  }

  DType weight_dtype_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  void* cublas_workspace_ = nullptr;
  bool sync_each_op_ = false;
  std::unique_ptr<cuda::StepGraphs> graphs_;
  std::array<Stager, kStageKinds> stagers_;
  DeviceScratch bf16_scratch_;
  DeviceScratch sample_out_;
  void* pinned_out_ = nullptr;
  std::size_t pinned_out_bytes_ = 0;
  std::vector<cuda::SampleRow> rows_;
  std::vector<std::int32_t> token_seq_;
};

}  // namespace

StatusOr<std::unique_ptr<Backend>> make_cuda_backend(const BackendOptions& options) {
  const DType dtype = options.weight_dtype.value_or(DType::kBF16);
  if (dtype != DType::kBF16 && dtype != DType::kF32) {
    return Status::invalid_argument("cuda backend: weights must be fp32 or bf16, not " +
                                    std::string(dtype_name(dtype)));
  }
  auto backend = std::make_unique<CudaBackend>(dtype);
  ARBOR_RETURN_IF_ERROR(backend->init());
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace arbor::kernels
