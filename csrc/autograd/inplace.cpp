#include "autograd/inplace.h"

#include <algorithm>

#include "autograd/formulas.h"

namespace pydl::autograd {
namespace {

int64_t last_position(const ViewGeometry& g) {
  int64_t last = g.offset;
  for (size_t d = 0; d < g.sizes.size(); ++d) last += (g.sizes[d] - 1) * g.strides[d];
  return last;
}

// The storage position of every element of a view: an int64 tensor shaped like it.
Tensor storage_positions(const ViewGeometry& g, Device dev) {
  Tensor pos = full(g.sizes, Scalar(g.offset), ScalarType::Int64, dev);
  for (size_t d = 0; d < g.sizes.size(); ++d) {
    if (g.sizes[d] < 2 || g.strides[d] == 0) continue;
    Shape at(g.sizes.size(), 1);
    at[d] = g.sizes[d];
    Tensor steps = arange(Scalar(int64_t{0}), Scalar(g.sizes[d] * g.strides[d]), Scalar(g.strides[d]),
                          ScalarType::Int64, dev);
    pos = add(pos, reshape(steps, at));
  }
  return pos;
}

// For every element of `view`: the row-major index of the element of `base` at the same
// storage position, or base's numel where the view reaches memory outside the base.
Tensor view_slots(const ViewGeometry& base, const ViewGeometry& view, Device dev) {
  AutoGradMode no_grad(false);
  const int64_t n = shape_numel(base.sizes);
  if (shape_numel(view.sizes) == 0 || n == 0) return full(view.sizes, Scalar(n), ScalarType::Int64, dev);
  const int64_t lo = std::min(base.offset, view.offset);
  const int64_t hi = std::max(last_position(base), last_position(view)) + 1;
  Tensor owner = full({hi - lo}, Scalar(n), ScalarType::Int64, dev);
  const Tensor base_at = reshape(sub(storage_positions(base, dev), wrap_scalar(Scalar(lo))), {-1});
  index_put_(owner, {base_at}, arange(Scalar(int64_t{0}), Scalar(n), Scalar(int64_t{1}), ScalarType::Int64, dev),
             false);
  return index(owner, {sub(storage_positions(view, dev), wrap_scalar(Scalar(lo)))});
}

// g flattened, with one zero appended: the slot "outside the base" reads and absorbs zeros.
Tensor padded_flat(const Tensor& g) {
  return cat({reshape(g, {-1}), full({1}, Scalar(0.0), g.dtype(), g.device())}, 0);
}

Tensor base_shaped(const Tensor& padded, const Shape& sizes) {
  return reshape(narrow(padded, 0, 0, shape_numel(sizes)), sizes);
}

// The backward of CopySlices: the base's old value keeps the gradient outside the written
// view, the written value gets the gradient inside it.
BackwardFn copy_slices_backward(const ViewGeometry& base, const ViewGeometry& view, Device dev) {
  return [=](const BackwardContext& c) {
    const Tensor slots = view_slots(base, view, dev);
    const Tensor g = padded_flat(c.grad());
    std::vector<Tensor> grads(2);
    if (c.needs(0)) grads[0] = base_shaped(index_put(g, {slots}, wrap_scalar(Scalar(0.0), g.dtype()), false), base.sizes);
    if (c.needs(1)) grads[1] = index(g, {slots});
    return grads;
  };
}

void check_result(const char* op, const Tensor& self, const Tensor& r) {
  PYDL_CHECK(r.sizes() == self.sizes(), op, ": output with shape ", self.sizes(), " doesn't match the broadcast shape ",
             r.sizes());
  PYDL_CHECK(can_cast(r.dtype(), self.dtype()), op, ": result type ", r.dtype(),
             " can't be cast to the desired output type ", self.dtype());
}

// Writes r into self and gives self (or, for a view, its base) r's history.
Tensor& commit(const char* op, Tensor& self, const Tensor& r) {
  check_result(op, self, r);
  const Tensor base = self.impl()->view_base() ? Tensor(self.impl()->view_base()) : Tensor();
  const Edge before = gradient_edge(base.defined() ? base : self);
  {
    AutoGradMode no_grad(false);
    copy_(self, r);  // bumps the shared version: saved copies of the old value now fail their check
  }
  if (base.defined()) {
    auto node = std::make_shared<FunctionNode>(
        "CopySlices", std::vector<Edge>{before, gradient_edge(r)},
        copy_slices_backward(ViewGeometry::of(base), ViewGeometry::of(self), self.device()));
    node->add_input(base);
    node->add_input(r);
    set_history(base, node);  // self, now stale, rebuilds its history from the base's
    return self;
  }
  if (const AutogradMeta* from = r.impl()->autograd_meta_if_any(); from && from->grad_fn) {
    AutogradMeta& meta = self.impl()->autograd_meta();
    meta.requires_grad = true;
    meta.grad_fn = from->grad_fn;
    meta.output_nr = from->output_nr;
  } else {
    // Overwritten by a constant: the old value gets a zero gradient, and self stays in the graph.
    auto node = std::make_shared<FunctionNode>("FillBackward0", std::vector<Edge>{before}, [](const BackwardContext& c) {
      return std::vector<Tensor>{full(c.grad().sizes(), Scalar(0.0), c.grad().dtype(), c.grad().device())};
    });
    node->add_input(self);
    set_history(self, node);
  }
  return self;
}

}  // namespace

bool inplace_needs_grad(const Tensor& self, bool inputs_need_grad) {
  if (!GradMode::is_enabled() || !is_floating(self.dtype())) return false;
  if (!inputs_need_grad && !self.requires_grad()) return false;
  const TensorImpl* s = self.impl();
  if (s->view_base()) {
    PYDL_CHECK(s->is_differentiable_view(),
               "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that "
               "this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both "
               "the view and the inplace either both inside the no_grad block (if you don't want the inplace to be "
               "tracked) or both outside (if you want the inplace to be tracked).");
    const Tensor base(s->view_base());
    PYDL_CHECK(!(base.requires_grad() && !grad_fn(base)),
               "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  } else {
    PYDL_CHECK(!(self.requires_grad() && !grad_fn(self)),
               "a leaf Variable that requires grad is being used in an in-place operation.");
  }
  return true;
}

Tensor& record_inplace(const char* op, Tensor& self, const std::function<Tensor(const Tensor&)>& out_of_place) {
  return commit(op, self, out_of_place(clone(self)));
}

Tensor& record_overwrite(const char* op, Tensor& self, const Tensor& value) {
  return commit(op, self, expand(to(value, self.dtype(), self.device(), false), self.sizes()));
}

void refresh_view_history(const Tensor& view) {
  TensorImpl* v = view.impl();
  if (!v->is_differentiable_view() || v->version() == v->view_version()) return;
  v->set_view_version(v->version());
  const Tensor base(v->view_base());
  if (!base.requires_grad()) return;
  auto node = std::make_shared<FunctionNode>(
      "AsStridedBackward0", std::vector<Edge>{gradient_edge(base)},
      strided_view_backward(ViewGeometry::of(base), ViewGeometry::of(view), view.device()));
  node->add_input(base);
  AutogradMeta& meta = v->autograd_meta();
  meta.requires_grad = true;
  meta.grad_fn = node;
  meta.output_nr = node->add_output(view);
}

BackwardFn strided_view_backward(const ViewGeometry& base, const ViewGeometry& view, Device dev) {
  return [=](const BackwardContext& c) {
    const Tensor slots = view_slots(base, view, dev);
    const Tensor zeros = full({shape_numel(base.sizes) + 1}, Scalar(0.0), c.grad().dtype(), dev);
    return std::vector<Tensor>{base_shaped(index_put(zeros, {slots}, c.grad(), /*accumulate=*/true), base.sizes)};
  };
}

}  // namespace pydl::autograd
