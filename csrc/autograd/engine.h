// The backward pass: replays the recorded graph from the roots to the leaves.
#pragma once
#include <vector>

#include "autograd/node.h"

namespace pydl::autograd {

struct BackwardOptions {
  bool keep_graph = false;    // retain_graph: keep saved tensors for another backward
  bool create_graph = false;  // record the backward itself (higher-order gradients)
  // Empty: accumulate into every reachable leaf's .grad (Tensor.backward()). Otherwise the
  // gradients w.r.t. these tensors only: returned (autograd.grad) or, with accumulate,
  // added into their .grad (backward(inputs=...)).
  std::vector<Tensor> inputs;
  bool accumulate = true;
  bool allow_unused = false;
};

// Runs backward from `roots` seeded with `grad_roots` (one each, same shape). Returns the
// gradients w.r.t. options.inputs when accumulate is false (undefined for unused inputs).
std::vector<Tensor> run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                                 const BackwardOptions& options);

}  // namespace pydl::autograd
