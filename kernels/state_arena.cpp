#include "kernels/state_arena.h"

namespace arbor::kernels {

StatusOr<std::unique_ptr<StateArena>> StateArena::create(Backend& backend, std::int32_t n_slots,
                                                         std::int64_t floats_per_slot,
                                                         const KvLayout* kv) {
  ARBOR_CHECK(n_slots > 0 && floats_per_slot > 0);
  const std::size_t bytes =
      static_cast<std::size_t>(n_slots) * static_cast<std::size_t>(floats_per_slot) * sizeof(float);
  ARBOR_ASSIGN_OR_RETURN(BufferPtr buffer, backend.alloc(bytes));
  ARBOR_RETURN_IF_ERROR(backend.fill_zero(*buffer, 0, bytes));
  std::unique_ptr<KvPagePool> pages;
  if (kv != nullptr) {
    ARBOR_ASSIGN_OR_RETURN(pages, KvPagePool::create(backend, *kv, n_slots));
  }
  return std::unique_ptr<StateArena>(
      new StateArena(backend, std::move(buffer), n_slots, floats_per_slot, std::move(pages)));
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
  if (kv_) kv_->share(src, dst);
  return backend_.copy(*buffer_, static_cast<std::size_t>(dst) * bytes_per_slot(), *buffer_,
                       static_cast<std::size_t>(src) * bytes_per_slot(), bytes_per_slot());
}

Status StateArena::zero_slot(std::int32_t slot) {
  check_slot(slot);
  if (kv_) kv_->clear(slot);
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

namespace arbor::kernels {

void StateArena::release_slot(std::int32_t slot) {
  check_slot(slot);
  if (kv_) kv_->clear(slot);
}

std::int64_t StateArena::host_floats(std::int32_t slot) const {
  check_slot(slot);
  return floats_per_slot_ + (kv_ ? kv_->host_floats(slot) : 0);
}

Status StateArena::read_slot(std::int32_t slot, std::vector<float>* host) const {
  check_slot(slot);
  const std::int64_t kv_floats = kv_ ? kv_->host_floats(slot) : 0;
  host->resize(static_cast<std::size_t>(floats_per_slot_ + kv_floats));
  ARBOR_RETURN_IF_ERROR(read_slot(slot, host->data()));
  if (kv_floats > 0) ARBOR_RETURN_IF_ERROR(kv_->read_table(slot, host->data() + floats_per_slot_));
  return Status();
}

Status StateArena::write_slot(std::int32_t slot, const std::vector<float>& host) {
  check_slot(slot);
  const auto n = static_cast<std::int64_t>(host.size());
  const std::int64_t per_token = kv_ ? kv_->layout().floats_per_token() : 0;
  const std::int64_t kv_floats = n - floats_per_slot_;
  if (kv_floats < 0 || (per_token == 0 ? kv_floats != 0 : kv_floats % per_token != 0)) {
    return Status::invalid_argument("state arena: a host state of " + std::to_string(n) +
                                    " floats does not fit a slot of this arena");
  }
  ARBOR_RETURN_IF_ERROR(write_slot(slot, host.data()));
  if (kv_) {
    ARBOR_RETURN_IF_ERROR(
        kv_->write_table(slot, host.data() + floats_per_slot_, kv_floats / per_token));
  }
  return Status();
}

}  // namespace arbor::kernels
