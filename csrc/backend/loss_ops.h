// The fused cross-entropy primitive's vocabulary (Backend::cross_entropy; ops/loss.cpp): the
// per-row loss of logits against class indices, forward from the logits alone and backward
// from them and the saved log-sum-exp, so no (rows, classes) log-probability tensor is kept.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace pydl {

// logits [rows, classes] (contiguous, float32/float64), target [rows] (contiguous int64).
// Forward: loss [rows] = logsumexp(logits[r]) - logits[r, target[r]], 0 where target[r] ==
//   ignore_index; lse [rows] = logsumexp(logits[r]) out.
// Backward: grad_logits [rows, classes] = grad_loss[r] (softmax(logits[r]) - onehot(target[r])),
//   0 on ignored rows; grad_loss [rows] in.
struct CrossEntropyTensors {
  Tensor logits, target, loss, lse, grad_loss, grad_logits;
  int64_t ignore_index = -100;
};

// What the forward found: the rows that count, and a target outside [0, classes) (that is not
// ignore_index), if any: the op raises torch's IndexError with it.
struct CrossEntropyScan {
  int64_t kept = 0;
  bool has_bad_target = false;
  int64_t bad_target = 0;
};

}  // namespace pydl
