// In-place writes and views under autograd.
//
// x.op_(...) on a tensor in the graph runs the op's out-of-place form on a copy of x's old
// value (so nothing the op saves is overwritten), writes the result into x and moves x's
// history onto the result. When x is a view, the tensor it views gets the history instead: a
// CopySlices node, "the base's old value with the view's elements replaced". Every view made
// with grad mode on remembers its base and the version its history was built at; once the
// shared version counter moves on, the view's history is rebuilt as a strided view of the
// base's current history (refresh_view_history), so no view keeps a stale graph.
#pragma once
#include <functional>

#include "autograd/node.h"

namespace pydl::autograd {

// Where a strided view sits in its storage.
struct ViewGeometry {
  Shape sizes;
  Shape strides;
  int64_t offset = 0;
  static ViewGeometry of(const Tensor& t) { return {t.sizes(), t.strides(), t.storage_offset()}; }
};

// Whether writing into `self` in place must be recorded: grad mode is on, and self or an input
// of the write requires grad. Raises PyTorch's RuntimeError for the writes autograd forbids (a
// leaf that requires grad, a view of one, a view made under no_grad).
bool inplace_needs_grad(const Tensor& self, bool inputs_need_grad);
// self = out_of_place(self's old value), recorded (call when inplace_needs_grad()).
Tensor& record_inplace(const char* op, Tensor& self, const std::function<Tensor(const Tensor&)>& out_of_place);
// self = value (broadcast and cast to self), recorded: copy_, fill_, the random fills.
Tensor& record_overwrite(const char* op, Tensor& self, const Tensor& value);

// Rebuilds a differentiable view's history from its base's when the storage was written since
// it was built. gradient_edge() and grad_fn() call this before reading a tensor's history.
void refresh_view_history(const Tensor& view);

// The backward of a strided view `view` of a tensor laid out as `base`: the gradient added into
// zeros shaped like the base at the elements the view covers (as_strided, unfold). Written
// with index ops, so it is differentiable too.
BackwardFn strided_view_backward(const ViewGeometry& base, const ViewGeometry& view, Device device);

}  // namespace pydl::autograd
