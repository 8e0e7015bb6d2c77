// Argument structs of every op. The CPU reference and the CUDA backend take the same structs, so
// a parity test runs literally the same call on each backend.
//
// Conventions
// - Activations are fp32, row-major, outermost dimension first: x {n_tokens, n} has element
//   (t, i) at x[t * ld_x + i]. `ld_*` is the row stride in elements (>= the row width); it lets an
//   op read a column slice of a wider matrix (e.g. the x part of in_proj's output) in place.
// - Weights are Tensors: fp32 on the CPU backend; other dtypes where a backend supports them.
// - A packed batch holds the tokens of several sequences back to back. SeqSpan says where each
//   sequence's tokens are and which state slots it reads and writes.
//
// Recurrent state lives in slots of a StateArena (see state_arena.h). A sequence reads its
// initial state from `src_slot` (or starts from zeros when src_slot is kNoSlot) and writes its
// final state to `dst_slot`. src_slot == dst_slot updates in place. Because every op that touches
// state takes both, forking a sequence never copies state: the child's first step reads the
// parent's slot and writes its own.
// REQUIRES (every op that takes SeqSpans): a slot written by one sequence of a call is read or
// written by no other sequence of that call (a device backend runs sequences concurrently).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace arbor::kernels {

inline constexpr std::int32_t kNoSlot = -1;

struct SeqSpan {
  std::int32_t start = 0;     // index of the sequence's first token in the packed batch
  std::int32_t n_tokens = 0;  // >= 1
  std::int32_t src_slot = kNoSlot;
  std::int32_t dst_slot = kNoSlot;
};

// Where one layer's state lives inside every slot of a state arena.
struct StateRef {
  float* base = nullptr;         // slot 0 of the arena
  std::int64_t slot_stride = 0;  // floats per slot
  std::int64_t offset = 0;       // floats from a slot's start to this layer's state
  float* slot(std::int32_t s) const { return base + s * slot_stride + offset; }
};

// out[t, :] = table[ids[t], :]
struct EmbeddingArgs {
  const std::int32_t* ids = nullptr;  // {n_tokens}; REQUIRES: 0 <= id < n_vocab
  Tensor table;                       // {n_vocab, n_embd}
  float* out = nullptr;               // {n_tokens, n_embd}
  std::int32_t n_tokens = 0;
  float scale = 1.0f;                 // out = table[ids[t], :] * scale
};

// If `add` is set: residual += add * add_scale. Then out = residual / rms(residual) * weight.
// (The pre-norm residual stream of Mamba blocks: one pass instead of two.)
struct RmsNormArgs {
  const float* add = nullptr;  // {n_rows, n} or null
  float* residual = nullptr;   // {n_rows, n}, updated in place when `add` is set
  Tensor weight;               // {n}
  float* out = nullptr;        // {n_rows, n}; may alias nothing else
  std::int32_t n_rows = 0;
  std::int32_t n = 0;
  float eps = 1e-5f;
  float add_scale = 1.0f;  // Granite's residual_multiplier
};

// Mamba-2's gated RMSNorm over groups of `group_size` channels:
//   norm_before_gate = false: out = rmsnorm_group(x * silu(z)) * weight
//   norm_before_gate = true:  out = rmsnorm_group(x) * weight * silu(z)
struct GatedRmsNormArgs {
  const float* x = nullptr;  // {n_rows, n}
  const float* z = nullptr;  // {n_rows, ld_z}
  std::int64_t ld_z = 0;
  Tensor weight;             // {n}
  float* out = nullptr;      // {n_rows, n}; may equal x
  std::int32_t n_rows = 0;
  std::int32_t n = 0;
  std::int32_t group_size = 0;  // REQUIRES: n % group_size == 0
  bool norm_before_gate = false;
  float eps = 1e-5f;
};

// y = alpha * (x * weight^T) + bias   (x {n_rows, n_in}, weight {n_out, n_in} as stored by
// PyTorch)
struct LinearArgs {
  const float* x = nullptr;
  std::int64_t ld_x = 0;
  Tensor weight;               // {n_out, n_in}
  const float* bias = nullptr; // {n_out} or null
  float* y = nullptr;          // {n_rows, ld_y}
  std::int64_t ld_y = 0;
  std::int32_t n_rows = 0;
  std::int32_t n_in = 0;
  std::int32_t n_out = 0;
  float alpha = 1.0f;
};

// SwiGLU's gate: out[r, i] = silu(x[r, i]) * x[r, n + i]   (x = [gate | up], as transformers'
// chunk(2) of one projection).
struct SiluMulArgs {
  const float* x = nullptr;  // {n_rows, ld_x}, width 2 * n
  std::int64_t ld_x = 0;
  float* out = nullptr;      // {n_rows, n}
  std::int32_t n_rows = 0;
  std::int32_t n = 0;
};

// Causal depthwise conv1d over each sequence, continuing from its conv state:
//   out[t, c] = act(bias[c] + sum_k weight[c, k] * window[t + k, c]),
// where window is the sequence's previous d_conv - 1 inputs (the state; zeros for kNoSlot)
// followed by its new inputs. The last d_conv - 1 inputs are written back as the new state.
// Conv state layout per slot: {d_conv - 1, n_channels} (channel contiguous, oldest first).
struct Conv1dArgs {
  const float* x = nullptr;  // {n_tokens, ld_x}
  std::int64_t ld_x = 0;
  Tensor weight;               // {n_channels, d_conv}
  const float* bias = nullptr; // {n_channels} or null
  bool silu = true;
  float* out = nullptr;        // {n_tokens, n_channels}
  std::int32_t n_channels = 0;
  std::int32_t d_conv = 0;
  const SeqSpan* seqs = nullptr;
  std::int32_t n_seqs = 0;
  StateRef state;
};

// Mamba-1 selective scan, per channel d and state index n, token by token:
//   delta = softplus(dt[t, d] + dt_bias[d])
//   h[d, n] = exp(delta * A[d, n]) * h[d, n] + delta * B[t, n] * x[t, d]
//   y[t, d] = sum_n h[d, n] * C[t, n] + D[d] * x[t, d]    (then * silu(z[t, d]) when z is set)
// SSM state layout per slot: {d_inner, d_state}.
struct Mamba1ScanArgs {
  const float* x = nullptr;        // {n_tokens, ld_x}, width d_inner
  std::int64_t ld_x = 0;
  const float* dt = nullptr;       // {n_tokens, ld_dt}, width d_inner (before softplus)
  std::int64_t ld_dt = 0;
  const float* dt_bias = nullptr;  // {d_inner} or null
  const float* A = nullptr;        // {d_inner, d_state}: A = -exp(A_log)
  const float* B = nullptr;        // {n_tokens, ld_bc}, width d_state
  const float* C = nullptr;        // {n_tokens, ld_bc}, width d_state
  std::int64_t ld_bc = 0;
  const float* D = nullptr;        // {d_inner} or null
  const float* z = nullptr;        // {n_tokens, ld_z} or null
  std::int64_t ld_z = 0;
  float* y = nullptr;              // {n_tokens, d_inner}
  std::int32_t d_inner = 0;
  std::int32_t d_state = 0;
  const SeqSpan* seqs = nullptr;
  std::int32_t n_seqs = 0;
  StateRef state;
};

// Mamba-2 state-space update (SSD), per head h, head channel p and state index n:
//   delta = clamp(softplus(dt[t, h] + dt_bias[h]), dt_min, dt_max)
//   S[h, p, n] = exp(delta * A[h]) * S[h, p, n] + delta * x[t, h, p] * B[t, g(h), n]
//   y[t, h, p] = sum_n S[h, p, n] * C[t, g(h), n] + D[h] * x[t, h, p]
// with g(h) = h / (n_head / n_group). SSM state layout per slot: {n_head, head_dim, d_state}.
struct Mamba2ScanArgs {
  const float* x = nullptr;        // {n_tokens, ld_x}, width n_head * head_dim
  std::int64_t ld_x = 0;
  const float* dt = nullptr;       // {n_tokens, ld_dt}, width n_head (before softplus)
  std::int64_t ld_dt = 0;
  const float* dt_bias = nullptr;  // {n_head} or null
  const float* A = nullptr;        // {n_head}: A = -exp(A_log)
  const float* B = nullptr;        // {n_tokens, ld_bc}, width n_group * d_state
  const float* C = nullptr;        // {n_tokens, ld_bc}, width n_group * d_state
  std::int64_t ld_bc = 0;
  const float* D = nullptr;        // {n_head} or null
  float* y = nullptr;              // {n_tokens, n_head * head_dim}
  std::int32_t n_head = 0;
  std::int32_t head_dim = 0;
  std::int32_t n_group = 0;
  std::int32_t d_state = 0;
  float dt_min = 0.0f;
  float dt_max = 0.0f;             // +inf for no upper limit
  const SeqSpan* seqs = nullptr;
  std::int32_t n_seqs = 0;
  StateRef state;
};

// ---- attention over a paged KV cache ----------------------------------------------------------
//
// K and V of the attention layers live in fixed-size pages (see kv_pages.h). A page holds
// `page_size` consecutive tokens of one sequence for every attention layer; each sequence has a
// page table (page ids in token order), so token j of a sequence is row j % page_size of page
// table[j / page_size]. Pages are shared between sequences by reference count; the ops below
// only read and write rows, never allocate.

// Where one attention layer's K and V rows are inside every page of a page pool.
// Row layout: {n_kv_head, head_dim} contiguous.
struct KvPagesRef {
  float* base = nullptr;         // page 0
  std::int64_t page_stride = 0;  // floats per page
  std::int64_t k_offset = 0;     // floats from a page's start to this layer's K rows
  std::int64_t v_offset = 0;     // ... and V rows
  std::int32_t page_size = 0;    // tokens per page
  std::int64_t row = 0;          // floats per row (n_kv_head * head_dim)
  float* k(std::int32_t page, std::int32_t i) const {
    return base + page * page_stride + k_offset + i * row;
  }
  float* v(std::int32_t page, std::int32_t i) const {
    return base + page * page_stride + v_offset + i * row;
  }
};

// Causal grouped-query attention without position embedding, for packed variable-length
// sequences continuing from a cached past (prefill: many new tokens; decode: one). For sequence
// s with past length P = past_len[s] and its new token t (absolute position P + t), head h:
//   out[t, h] = sum_{j <= P + t} softmax_j(scale * q[t, h] . k_j) v_j,  k_j, v_j of KV head
//   h / (n_head / n_kv_head),
// where k_j, v_j for j < P come from the pages of page_table row s, and for j >= P from the new
// rows k, v (token P + i of the sequence is batch row seqs[s].start + i). Softmax in fp32 with
// the row maximum subtracted; accumulation in double on the CPU.
struct PagedAttentionArgs {
  const float* q = nullptr;  // {n_tokens, ld_q}, width n_head * head_dim
  std::int64_t ld_q = 0;
  const float* k = nullptr;  // {n_tokens, ld_kv}, width n_kv_head * head_dim (the new tokens)
  const float* v = nullptr;
  std::int64_t ld_kv = 0;
  float* out = nullptr;      // {n_tokens, n_head * head_dim}
  std::int32_t n_head = 0;
  std::int32_t n_kv_head = 0;  // REQUIRES: n_head % n_kv_head == 0
  std::int32_t head_dim = 0;
  float scale = 1.0f;
  const SeqSpan* seqs = nullptr;
  std::int32_t n_seqs = 0;
  const std::int32_t* page_table = nullptr;  // {n_seqs, ld_page_table} page ids
  std::int32_t ld_page_table = 0;
  const std::int32_t* past_len = nullptr;    // {n_seqs} tokens already in the pages
  KvPagesRef cache;
};

// Writes the new tokens' K and V rows into the pages: token P + i of sequence s (P =
// past_len[s]) goes to row (P + i) % page_size of page page_table[s][(P + i) / page_size].
// Sequences whose dst_slot is kNoSlot keep no state and are skipped. REQUIRES: the pages
// written are owned by that sequence alone (copy-on-write done by the page pool beforehand).
struct KvAppendArgs {
  const float* k = nullptr;  // {n_tokens, ld_kv}
  const float* v = nullptr;
  std::int64_t ld_kv = 0;
  const SeqSpan* seqs = nullptr;
  std::int32_t n_seqs = 0;
  const std::int32_t* page_table = nullptr;
  std::int32_t ld_page_table = 0;
  const std::int32_t* past_len = nullptr;
  KvPagesRef cache;
};

}  // namespace arbor::kernels
