#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>

namespace arbor {
namespace {

StatusOr<int> half(int x) {
  if (x % 2 != 0) return Status::invalid_argument("odd: " + std::to_string(x));
  return x / 2;
}

StatusOr<int> quarter(int x) {
  ARBOR_ASSIGN_OR_RETURN(int h, half(x));
  ARBOR_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

Status check_even(int x) {
  ARBOR_RETURN_IF_ERROR(half(x));
  return Status();
}

TEST(StatusTest, OkIsDefaultAndCheap) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.to_string(), "OK");
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = Status::not_found("model.safetensors");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.to_string(), "NOT_FOUND: model.safetensors");
  EXPECT_EQ(s.with_context("loading").message(), "loading: model.safetensors");
  EXPECT_TRUE(Status().with_context("x").ok());
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(*quarter(8), 2);
  StatusOr<int> r = quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(check_even(4).ok());
  EXPECT_EQ(check_even(5).code(), StatusCode::kInvalidArgument);
}

TEST(StatusTest, StatusOrHoldsMoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(StatusDeathTest, ValueOfErrorAborts) {
  StatusOr<int> r = Status::internal("boom");
  EXPECT_DEATH((void)r.value(), "boom");
}

}  // namespace
}  // namespace arbor
