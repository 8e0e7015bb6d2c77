#include "kernels/cpu/cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/cpu/ops_ref.h"

namespace arbor::kernels {
namespace {

class HostBuffer final : public Buffer {
 public:
  HostBuffer(void* data, std::size_t bytes) : Buffer(data, bytes) {}
  ~HostBuffer() override { std::free(data()); }
};

class CpuBackend final : public Backend {
 public:
  std::string_view name() const override { return "cpu"; }
  DeviceKind device() const override { return DeviceKind::kCpu; }
  DType weight_dtype() const override { return DType::kF32; }

  StatusOr<BufferPtr> alloc(std::size_t bytes) override {
    constexpr std::size_t kAlign = 64;
    const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded);
    if (p == nullptr) {
      return Status::resource_exhausted("cpu backend: cannot allocate " + std::to_string(bytes) +
                                        " bytes");
    }
    return BufferPtr(new HostBuffer(p, bytes));
  }
  Status upload(const Buffer& dst, std::size_t offset, const void* src,
                std::size_t bytes) override {
    ARBOR_CHECK(offset + bytes <= dst.bytes());
    std::memcpy(static_cast<char*>(dst.data()) + offset, src, bytes);
    return Status();
  }
  Status download(void* dst, const Buffer& src, std::size_t offset, std::size_t bytes) override {
    ARBOR_CHECK(offset + bytes <= src.bytes());
    std::memcpy(dst, static_cast<const char*>(src.data()) + offset, bytes);
    return Status();
  }
  Status fill_zero(const Buffer& dst, std::size_t offset, std::size_t bytes) override {
    ARBOR_CHECK(offset + bytes <= dst.bytes());
    std::memset(static_cast<char*>(dst.data()) + offset, 0, bytes);
    return Status();
  }

  Status embedding(const EmbeddingArgs& a) override { return run(embedding_ref, a); }
  Status rms_norm(const RmsNormArgs& a) override { return run(rms_norm_ref, a); }
  Status gated_rms_norm(const GatedRmsNormArgs& a) override { return run(gated_rms_norm_ref, a); }
  Status linear(const LinearArgs& a) override { return run(linear_ref, a); }
  Status conv1d(const Conv1dArgs& a) override { return run(conv1d_ref, a); }
  Status mamba1_scan(const Mamba1ScanArgs& a) override { return run(mamba1_scan_ref, a); }
  Status mamba2_scan(const Mamba2ScanArgs& a) override { return run(mamba2_scan_ref, a); }
  Status silu_mul(const SiluMulArgs& a) override { return run(silu_mul_ref, a); }
  Status paged_attention(const PagedAttentionArgs& a) override {
    return run(paged_attention_ref, a);
  }
  Status kv_append(const KvAppendArgs& a) override { return run(kv_append_ref, a); }
  Status log_softmax(const LogSoftmaxArgs& a) override { return run(log_softmax_ref, a); }
  Status sample(const SampleArgs& a) override { return run(sample_ref, a); }

 protected:
  Status copy_impl(const Buffer& dst, std::size_t dst_offset, const Buffer& src,
                   std::size_t src_offset, std::size_t bytes) override {
    std::memmove(static_cast<char*>(dst.data()) + dst_offset,
                 static_cast<const char*>(src.data()) + src_offset, bytes);
    return Status();
  }

 private:
  template <typename Args>
  static Status run(void (*fn)(const Args&), const Args& args) {
    fn(args);
    return Status();
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace arbor::kernels
