// Status macros for coroutines: the same contract as ARBOR_RETURN_IF_ERROR and
// ARBOR_ASSIGN_OR_RETURN (core/status.h), with co_return, for Task<Status> and
// Task<StatusOr<T>> bodies. `expr` may contain co_await.
#pragma once

#include "core/status.h"

#define ARBOR_CO_RETURN_IF_ERROR(expr)                                     \
  do {                                                                     \
    const auto& arbor_co_status_ref_ = (expr);                             \
    if (!::arbor::internal_status::as_status(arbor_co_status_ref_).ok()) { \
      co_return ::arbor::internal_status::as_status(arbor_co_status_ref_); \
    }                                                                      \
  } while (false)

#define ARBOR_CO_ASSIGN_OR_RETURN(lhs, expr) \
  ARBOR_CO_ASSIGN_OR_RETURN_IMPL(ARBOR_STATUS_CONCAT(arbor_co_statusor_, __LINE__), lhs, expr)
#define ARBOR_CO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) co_return std::move(tmp).status();    \
  lhs = std::move(tmp).value()
