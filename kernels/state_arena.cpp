#include "kernels/state_arena.h"

namespace arbor::kernels {

StatusOr<std::unique_ptr<StateArena>> StateArena::create(Backend& backend, std::int32_t n_slots,
                                                         std::int64_t floats_per_slot) {
  ARBOR_CHECK(n_slots > 0 && floats_per_slot > 0);
  const std::size_t bytes =
      static_cast<std::size_t>(n_slots) * static_cast<std::size_t>(floats_per_slot) * sizeof(float);
  ARBOR_ASSIGN_OR_RETURN(BufferPtr buffer, backend.alloc(bytes));
  ARBOR_RETURN_IF_ERROR(backend.fill_zero(*buffer, 0, bytes));
  return std::unique_ptr<StateArena>(
      new StateArena(backend, std::move(buffer), n_slots, floats_per_slot));
}

StateRef StateArena::ref(std::int64_t offset) const {
  ARBOR_CHECK(offset >= 0 && offset < floats_per_slot_);
  return StateRef{static_cast<float*>(buffer_->data()), floats_per_slot_, offset};
}

void StateArena::check_slot(std::int32_t slot) const {
  ARBOR_CHECK(slot >= 0 && slot < n_slots_) << "slot " << slot << " of " << n_slots_;
}

Status StateArena::copy_slot(std::int32_t src, std::int32_t dst) {
  check_slot(src);
  check_slot(dst);
  if (src == dst) return Status();
  return backend_.copy(*buffer_, static_cast<std::size_t>(dst) * bytes_per_slot(), *buffer_,
                       static_cast<std::size_t>(src) * bytes_per_slot(), bytes_per_slot());
}

Status StateArena::zero_slot(std::int32_t slot) {
  check_slot(slot);
  return backend_.fill_zero(*buffer_, static_cast<std::size_t>(slot) * bytes_per_slot(),
                            bytes_per_slot());
}

Status StateArena::read_slot(std::int32_t slot, float* host) const {
  check_slot(slot);
  return backend_.download(host, *buffer_, static_cast<std::size_t>(slot) * bytes_per_slot(),
                           bytes_per_slot());
}

Status StateArena::write_slot(std::int32_t slot, const float* host) {
  check_slot(slot);
  return backend_.upload(*buffer_, static_cast<std::size_t>(slot) * bytes_per_slot(), host,
                         bytes_per_slot());
}

}  // namespace arbor::kernels
