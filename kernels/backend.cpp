#include "kernels/backend.h"

#include <string>

namespace arbor::kernels {

std::string_view device_kind_name(DeviceKind kind) {
  return kind == DeviceKind::kCpu ? "cpu" : "cuda";
}

StatusOr<DeviceKind> parse_device_kind(std::string_view name) {
  if (name == "cpu") return DeviceKind::kCpu;
  if (name == "cuda") return DeviceKind::kCuda;
  return Status::invalid_argument("unknown backend '" + std::string(name) +
                                  "' (expected cpu or cuda)");
}

Status Backend::copy(const Buffer& dst, std::size_t dst_offset, const Buffer& src,
                     std::size_t src_offset, std::size_t bytes) {
  ARBOR_CHECK(dst_offset + bytes <= dst.bytes() && src_offset + bytes <= src.bytes())
      << "copy out of bounds";
  bytes_copied_.fetch_add(bytes, std::memory_order_relaxed);
  return copy_impl(dst, dst_offset, src, src_offset, bytes);
}

}  // namespace arbor::kernels
