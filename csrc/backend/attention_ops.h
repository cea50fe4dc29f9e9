// The fused attention primitive's vocabulary (Backend::attention; ops/attention.cpp): softmax(Q Kᵀ
// scale + mask) V over (batch x head) slices, computed block by block with an online softmax so
// no (L, S) score matrix is ever held whole.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace pydl {

// All tensors contiguous, one floating dtype. q [BH, L, D], k [BH, S, D], v [BH, S, Dv],
// out [BH, L, Dv], lse [BH, L] (the log-sum-exp of each query's scaled scores: what backward
// needs to rebuild the probabilities). mask, when defined, is an additive float bias whose
// (L, S) slice for slice b starts at element mask_offsets[b] (rows S apart, unit columns), so
// a mask broadcast over batch or heads is read in place. `causal`: key j is visible to query i
// only when j <= i. A query that sees no key gets zeros and lse = -inf (torch's behaviour).
// Backward reads q, k, v, out, lse and grad_out and writes grad_q, grad_k, grad_v.
struct AttentionTensors {
  Tensor q, k, v, out, lse, mask;
  std::vector<int64_t> mask_offsets;
  bool causal = false;
  double scale = 1.0;
  Tensor grad_out, grad_q, grad_k, grad_v;
};

}  // namespace pydl
