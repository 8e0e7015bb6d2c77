// Status and StatusOr<T>: the return type of every expected failure in Arbor.
//
// A Status is either OK (free: a null pointer) or an error code with a message a user can act
// on ("model.safetensors: tensor 'backbone.norm_f.weight' has shape [64], expected [96]").
// StatusOr<T> holds either a value or a non-OK Status. The API is a subset of abseil's.
//
// Thread safety: values; distinct objects may be used from different threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"

namespace arbor {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     // bad input: a file, a flag, a config field, a request
  kNotFound,            // a file, tensor, key or id that does not exist
  kAlreadyExists,
  kOutOfRange,          // an index or id outside what is valid
  kFailedPrecondition,  // the system is not in a state to do this (e.g. newer schema)
  kUnimplemented,       // a component or variant Arbor does not support
  kResourceExhausted,   // out of memory, slots or budget
  kDeadlineExceeded,
  kCancelled,
  kUnavailable,         // a child process or device went away
  kDataLoss,            // a truncated or corrupt file
  kInternal,
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status ok_status() { return Status(); }
  static Status invalid_argument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status not_found(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status already_exists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status out_of_range(std::string msg) { return {StatusCode::kOutOfRange, std::move(msg)}; }
  static Status failed_precondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status unimplemented(std::string msg) {
    return {StatusCode::kUnimplemented, std::move(msg)};
  }
  static Status resource_exhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status deadline_exceeded(std::string msg) {
    return {StatusCode::kDeadlineExceeded, std::move(msg)};
  }
  static Status cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status data_loss(std::string msg) { return {StatusCode::kDataLoss, std::move(msg)}; }
  static Status internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message alone (empty when OK).
  const std::string& message() const;
  // "INVALID_ARGUMENT: message", or "OK".
  std::string to_string() const;

  // Returns a copy whose message is "context: message". OK stays OK.
  Status with_context(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // null when OK; shared so copies are cheap
};

// Holds a T or a non-OK Status. Accessing the value of an error aborts (a programming error).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // An error ("uninitialized"), as absl's default; lets StatusOr flow through APIs that
  // default-construct results (asio's co_spawn).
  StatusOr() : status_(StatusCode::kInternal, "uninitialized StatusOr") {}
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit like absl
    ARBOR_CHECK(!status_.ok()) << "StatusOr constructed from an OK Status without a value";
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit like absl
  template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Status> &&
             !std::is_same_v<std::decay_t<U>, StatusOr<T>>)
  StatusOr(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & {
    check_ok();
    return *value_;
  }
  const T& value() const& {
    check_ok();
    return *value_;
  }
  T&& value() && {
    check_ok();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check_ok() const {
    ARBOR_CHECK(status_.ok()) << "value() of an error StatusOr: " << status_.to_string();
  }
  Status status_;
  std::optional<T> value_;
};

namespace internal_status {
inline const Status& as_status(const Status& s) { return s; }
template <typename T>
const Status& as_status(const StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal_status

}  // namespace arbor

#define ARBOR_STATUS_CONCAT_INNER(a, b) a##b
#define ARBOR_STATUS_CONCAT(a, b) ARBOR_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status or StatusOr) is not OK.
#define ARBOR_RETURN_IF_ERROR(expr)                                                   \
  do {                                                                                \
    const auto& arbor_status_ref_ = (expr);                                           \
    if (!::arbor::internal_status::as_status(arbor_status_ref_).ok()) {               \
      return ::arbor::internal_status::as_status(arbor_status_ref_);                  \
    }                                                                                 \
  } while (false)

// `ARBOR_ASSIGN_OR_RETURN(auto x, f());` declares/assigns x from a StatusOr or returns its error.
#define ARBOR_ASSIGN_OR_RETURN(lhs, expr) \
  ARBOR_ASSIGN_OR_RETURN_IMPL(ARBOR_STATUS_CONCAT(arbor_statusor_, __LINE__), lhs, expr)
#define ARBOR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()
