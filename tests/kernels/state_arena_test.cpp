#include "kernels/state_arena.h"

#include <gtest/gtest.h>

#include <vector>

#include "kernels/cpu/cpu_backend.h"

namespace arbor::kernels {
namespace {

TEST(StateArenaTest, SlotsStartZeroAndCopiesAreCounted) {
  auto backend = make_cpu_backend();
  auto arena = StateArena::create(*backend, 3, 10);
  ASSERT_TRUE(arena.ok());
  std::vector<float> a(10), b(10, 1.0f);
  ASSERT_TRUE((*arena)->read_slot(2, a.data()).ok());
  EXPECT_EQ(a, std::vector<float>(10, 0.0f));
  for (int i = 0; i < 10; ++i) b[i] = static_cast<float>(i) + 0.5f;
  ASSERT_TRUE((*arena)->write_slot(0, b.data()).ok());
  EXPECT_EQ(backend->bytes_copied(), 0u);  // host transfers are not slot copies
  ASSERT_TRUE((*arena)->copy_slot(0, 2).ok());
  EXPECT_EQ(backend->bytes_copied(), 40u);
  ASSERT_TRUE((*arena)->read_slot(2, a.data()).ok());
  EXPECT_EQ(a, b);
  ASSERT_TRUE((*arena)->copy_slot(1, 1).ok());  // a no-op
  EXPECT_EQ(backend->bytes_copied(), 40u);
  ASSERT_TRUE((*arena)->zero_slot(2).ok());
  ASSERT_TRUE((*arena)->read_slot(2, a.data()).ok());
  EXPECT_EQ(a, std::vector<float>(10, 0.0f));
  EXPECT_EQ((*arena)->ref(4).slot(1), (*arena)->ref(0).slot(1) + 4);
}

TEST(BackendRegistryTest, CpuAlwaysAndCudaExplains) {
  EXPECT_TRUE(make_backend(DeviceKind::kCpu).ok());
  auto cuda = make_backend(DeviceKind::kCuda);
  if (!cuda.ok()) {
    EXPECT_FALSE(cuda.status().message().empty());
  }
  EXPECT_FALSE(parse_device_kind("tpu").ok());
}

}  // namespace
}  // namespace arbor::kernels
