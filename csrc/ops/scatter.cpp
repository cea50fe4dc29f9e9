// Writing through indices: scatter(_add/_reduce), index_add/copy/fill, masked_fill,
// masked_scatter, put, and the counting ops built on scatter-add (bincount, histc, one_hot).
// Each writes into a copy of self (functional form), self (in-place) or out=, through the
// backend's index_scatter primitive.
#include <cmath>
#include <limits>

#include "autograd/formulas.h"
#include "core/dispatch.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"

namespace pydl {
using namespace detail;

namespace {

// What an op that modifies self writes into, holding self's values.
Tensor writable_copy(const Tensor& self, OutArg dest, const char* op) {
  if (dest.inplace) {
    check_writable(self, op);
    check_autograd_target(op, false, self, true);
    return self;
  }
  if (!dest.out) {
    autograd::AutoGradMode no_record(false);  // the op records its own history (with_history)
    return clone(self);
  }
  check_autograd_target(op, self.requires_grad(), *dest.out, false);
  Tensor out = out_tensor_for(dest, self.sizes(), self.dtype(), self.device(), op);
  if (!out.is_same(self)) copy_(out, self);
  return out;
}

Tensor zeros(const Shape& shape, ScalarType dtype, Device dev) { return full(shape, Scalar(int64_t(0)), dtype, dev); }

Tensor scalar_tensor(const Scalar& v, ScalarType dtype, Device dev) { return full({}, v, dtype, dev); }

void check_same_dtype(const char* op, const Tensor& self, const Tensor& src, const char* what) {
  PYDL_CHECK(self.dtype() == src.dtype(), op, "(): Expected self.dtype to be equal to ", what, ".dtype, but got ",
             self.dtype(), " and ", src.dtype());
}

// A 1-d (or 0-d) index of an index_* op, viewed at `shape` along `dim`.
Tensor index_along(const Tensor& index, const Shape& shape, int64_t dim, Device dev, const char* op) {
  PYDL_CHECK_INDEX(index.dim() <= 1, op, "(): Index is supposed to be a vector, but got a tensor of shape ",
                   index.sizes());
  PYDL_CHECK(index.dtype() == ScalarType::Int64 || index.dtype() == ScalarType::Int32, op,
             "(): Expected dtype int32/int64 for index, but got ", index.dtype());
  Tensor idx = reshape(long_index(index, dev, op), {-1});
  Shape st(shape.size(), 0);
  if (!shape.empty()) st[dim] = idx.stride(0);
  return restride(idx, shape, st);
}

// index_add / index_copy: source's shape is self's with `dim` resized to the index length.
Tensor index_write(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                   const Tensor& values, ScatterReduce reduce, IndexRules rules, OutArg dest) {
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  check_same_dtype(op, self, source, "source");
  PYDL_CHECK(std::max<int64_t>(source.dim(), 1) == std::max<int64_t>(self.dim(), 1), op, "(): source ",
             source.sizes(), " and self ", self.sizes(), " must have the same number of dimensions");
  const int64_t n = index.numel();
  for (int64_t d = 0; d < source.dim(); ++d) {
    PYDL_CHECK(d == dim ? source.size(d) == n : source.size(d) == self.size(d), op, "(): source ", source.sizes(),
               " must have self's shape ", self.sizes(), " with dimension ", dim, " of size ", n,
               " (the number of indices)");
  }
  PYDL_CHECK(source.dim() > 0 || n == 1, op, "(): a 0-d source needs exactly one index, got ", n);
  Tensor out = writable_copy(self, dest, op);
  Tensor idx = index_along(index, source.sizes(), dim, self.device(), op);
  Tensor vals = may_overlap(values, out) ? clone(values) : values;
  scatter_dim(out, dim, idx, vals, reduce, rules);
  out.bump_version();
  return out;
}

ScatterReduce reduce_mode(const std::string& reduce, bool mean_ok, const char* op) {
  if (reduce == "sum" || reduce == "mean" || reduce == "add") return ScatterReduce::Sum;
  if (reduce == "prod" || reduce == "multiply") return ScatterReduce::Prod;
  if (reduce == "amax" || (mean_ok && reduce == "max")) return ScatterReduce::Amax;  // torch takes max/min too
  if (reduce == "amin" || (mean_ok && reduce == "min")) return ScatterReduce::Amin;
  PYDL_CHECK(!mean_ok, op, "(): reduce argument must be either sum, prod, mean, amax or amin, got ", reduce);
  PYDL_CHECK(false, op, "(): reduce argument must be either add or multiply, got ", reduce);
  return ScatterReduce::None;
}

const char* reduce_name(ScatterReduce mode) {
  switch (mode) {
    case ScatterReduce::Prod: return "prod";
    case ScatterReduce::Amax: return "amax";
    case ScatterReduce::Amin: return "amin";
    default: return "sum";
  }
}

Tensor number(double v, ScalarType dt) { return wrap_scalar(Scalar(v), dt); }

// src may be larger than index in every dim (scatter reads only its leading block): that block,
// and a gradient for it padded with zeros back to src's shape.
Tensor leading_block(Tensor src, const Shape& sizes) {
  for (size_t d = 0; d < sizes.size() && src.dim() > 0; ++d)
    if (src.size(d) != sizes[d]) src = narrow(src, d, 0, sizes[d]);
  return src;
}

Tensor zero_padded(Tensor g, const Shape& sizes) {
  for (size_t d = 0; d < sizes.size() && g.dim() > 0; ++d) {
    if (g.size(d) == sizes[d]) continue;
    Shape rest = g.sizes();
    rest[d] = sizes[d] - g.size(d);
    g = cat({g, full(rest, Scalar(0.0), g.dtype(), g.device())}, static_cast<int64_t>(d));
  }
  return g;
}

// PyTorch's gradients of scatter_reduce (saved: self, src, index, result). amax/amin split the
// gradient evenly between every element equal to the result; prod divides by the factor, with
// zeros handled by recomputing the product without them. With include_self=False the
// scattered-to elements of self did not take part, so they get none.
autograd::BackwardFn scatter_reduce_backward(int64_t dim, std::string reduce, bool include_self) {
  return [dim, reduce, include_self](const autograd::BackwardContext& c) {
    const Tensor &self = c.saved[0], &idx = c.saved[2], &result = c.saved[3];
    const Tensor src = leading_block(c.saved[1], idx.sizes());
    const Tensor& g = c.grad();
    const ScalarType dt = self.dtype();
    Tensor grad_self, grad_src;
    if (reduce == "sum") {
      grad_self = g;
      grad_src = gather(g, dim, idx);
    } else if (reduce == "mean") {
      Tensor n = full(self.sizes(), Scalar(int64_t(include_self ? 1 : 0)), dt, self.device());
      n = scatter(n, dim, idx, full(idx.sizes(), Scalar(int64_t(1)), dt, self.device()), "add");
      n = where(binary(BinaryOp::Eq, n, number(0, dt)), number(1, dt), n);
      grad_self = g / n;
      grad_src = gather(grad_self, dim, idx);
    } else if (reduce == "amax" || reduce == "amin") {
      const Tensor value = gather(result, dim, idx);
      const Tensor self_is = to(binary(BinaryOp::Eq, self, result), dt, std::nullopt, false);
      const Tensor src_is = to(binary(BinaryOp::Eq, src, value), dt, std::nullopt, false);
      const Tensor share = g / scatter(self_is, dim, idx, src_is, "add");
      grad_self = self_is * share;
      grad_src = src_is * gather(share, dim, idx);
    } else {  // prod
      const Tensor self_zero = binary(BinaryOp::Eq, self, number(0, dt));
      const Tensor masked_self = where(self_zero, number(1, dt), self);
      grad_self = g * scatter_reduce(masked_self, dim, idx, src, "prod", include_self) / masked_self;
      const Tensor src_zero = binary(BinaryOp::Eq, src, number(0, dt));
      const Tensor zeros_in_group = gather(
          scatter(full(self.sizes(), Scalar(0.0), dt, self.device()), dim, idx, to(src_zero, dt, std::nullopt, false),
                  "add"), dim, idx);
      // Two zeros in one product make the second derivative need products without both: PyTorch
      // refuses that double backward, and so does pydl (the first derivative is exact).
      PYDL_CHECK_NOT_IMPLEMENTED(!autograd::GradMode::is_enabled() ||
                                 !item(any(binary(BinaryOp::Gt, zeros_in_group, number(1, dt)), std::nullopt)).to_bool(),
                                 "scatter_reduce(): Double backward is unsupported for src when >1 zeros in src are "
                                 "scattered to the same position");
      const Tensor single_zero = binary(BinaryOp::LogicalAnd, src_zero, binary(BinaryOp::Eq, zeros_in_group, number(1, dt)));
      const Tensor without_it = scatter_reduce(self, dim, idx, where(single_zero, number(1, dt), src), "prod", include_self);
      grad_src = where(single_zero, gather(g * without_it, dim, idx),
                       gather(g * result, dim, idx) / where(src_zero, number(1, dt), src));
    }
    if (!include_self) grad_self = scatter(grad_self, dim, idx, wrap_scalar(Scalar(0.0)), "");
    return std::vector<Tensor>{c.needs(0) ? grad_self : Tensor(),
                               c.needs(1) ? zero_padded(grad_src, c.saved[1].sizes()) : Tensor()};
  };
}

}  // namespace

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
               OutArg dest) {
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  // A wrapped number is value=: broadcast over index, no shape rule of its own.
  const bool is_value = src.impl()->is_wrapped_number();
  if (!is_value) check_same_dtype("scatter", self, src, "src");
  check_index_shapes("scatter", self, dim, index, is_value ? nullptr : &src);
  const ScatterReduce mode = reduce.empty() ? ScatterReduce::None : reduce_mode(reduce, false, "scatter");
  Tensor out = writable_copy(self, dest, "scatter");
  Tensor idx = long_index(index, self.device(), "scatter");
  Tensor vals = is_value ? to(src, self.dtype(), self.device(), false)
                         : restride(src, index.sizes(), src.dim() == 0 ? Shape(index.dim(), 0) : src.strides());
  if (!is_value && may_overlap(src, out)) vals = clone(vals);
  scatter_dim(out, dim, idx, vals, mode);
  out.bump_version();
  if (mode != ScatterReduce::None && mode != ScatterReduce::Sum)
    return with_history("ScatterBackward0", out, {self, src}, dest);
  // Plain scatter overwrites self where it writes; scatter add keeps it. src's gradient is gathered.
  const bool overwrite = mode == ScatterReduce::None;
  const Shape src_sizes = src.sizes();
  return with_history("ScatterBackward0", out, {self, src}, dest, {idx},
                      [dim, overwrite, is_value, src_sizes](const autograd::BackwardContext& c) {
    std::vector<Tensor> g(2);
    if (c.needs(0)) g[0] = overwrite ? scatter(c.grad(), dim, c.saved[0], wrap_scalar(Scalar(0.0)), "") : c.grad();
    if (c.needs(1) && !is_value) g[1] = zero_padded(gather(c.grad(), dim, c.saved[0]), src_sizes);
    return g;
  });
}

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self, OutArg dest) {
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  check_same_dtype("scatter_reduce", self, src, "src");
  check_index_shapes("scatter_reduce", self, dim, index, &src);
  const ScatterReduce mode = reduce_mode(reduce, true, "scatter_reduce");
  const ScalarType dt = self.dtype();
  PYDL_CHECK_NOT_IMPLEMENTED(reduce != "mean" || dt != ScalarType::Bool,
                             "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'");
  Tensor out = writable_copy(self, dest, "scatter_reduce");
  Tensor idx = long_index(index, self.device(), "scatter");
  Tensor vals = restride(src, index.sizes(), src.dim() == 0 ? Shape(index.dim(), 0) : src.strides());
  if (may_overlap(src, out)) vals = clone(vals);
  if (!include_self) {
    // Reset the scattered-to elements to the reduction's identity, so only src counts there.
    Scalar identity = PYDL_DISPATCH_ALL_TYPES(dt, "scatter_reduce", [&]() -> Scalar {
      using lim = std::numeric_limits<scalar_t>;
      const bool fl = is_floating(dt);
      if (mode == ScatterReduce::Prod) return Scalar(int64_t(1));
      if (mode == ScatterReduce::Amax) return fl ? Scalar(-INFINITY) : Scalar(static_cast<int64_t>(lim::lowest()));
      if (mode == ScatterReduce::Amin) return fl ? Scalar(INFINITY) : Scalar(static_cast<int64_t>(lim::max()));
      return Scalar(int64_t(0));
    });
    scatter_dim(out, dim, idx, scalar_tensor(identity, dt, self.device()), ScatterReduce::None);
  }
  scatter_dim(out, dim, idx, vals, mode);
  if (reduce == "mean") {
    Tensor count = full(self.sizes(), Scalar(int64_t(include_self ? 1 : 0)), dt, self.device());
    scatter_dim(count, dim, idx, scalar_tensor(Scalar(int64_t(1)), dt, self.device()), ScatterReduce::Sum);
    Tensor zero = wrap_scalar(Scalar(int64_t(0)), dt);
    count = where(binary(BinaryOp::Eq, count, zero), wrap_scalar(Scalar(int64_t(1)), dt), count);
    div(out, count, is_floating(dt) ? "" : "floor", OutArg::self(out));
  }
  out.bump_version();
  return with_history("ScatterReduceBackward0", out, {self, src}, dest, {self, src, idx},
                      scatter_reduce_backward(dim, reduce == "mean" ? "mean" : reduce_name(mode), include_self),
                      /*save_result=*/true);
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha,
                 OutArg dest) {
  PYDL_CHECK(!alpha.is_float() || is_floating(self.dtype()), "For integral input tensors, argument alpha must not "
             "be a floating point number.");
  Tensor values = source;
  if (!(alpha.is_int() && alpha.to_int() == 1) && source.dtype() == self.dtype())
    values = binary(BinaryOp::Mul, source, wrap_scalar(alpha, self.dtype()));
  // torch's index_add_ raises RuntimeError for an index past the end.
  Tensor out = index_write("index_add", self, dim, index, source, values, ScatterReduce::Sum, kGatherRules, dest);
  const double a = alpha.to_double();
  return with_history("IndexAddBackward0", out, {self, source}, dest, {index},
                      [dim, a](const autograd::BackwardContext& c) {
    std::vector<Tensor> g(2);
    if (c.needs(0)) g[0] = c.grad();
    if (c.needs(1)) g[1] = index_select(c.grad(), dim, c.saved[0]) * a;
    return g;
  });
}

// The slices an index_copy / index_fill overwrote take no gradient back to self; index_copy's
// source gets g at those slices, index_fill's 0-d value their sum.
static autograd::BackwardFn index_write_backward(int64_t dim, bool fill) {
  return [dim, fill](const autograd::BackwardContext& c) {
    const Tensor &g = c.grad(), &index = c.saved[0];
    const int64_t d = g.dim() == 0 ? 0 : wrap_dim(dim, g.dim());
    const Tensor picked = c.needs(1) ? index_select(g.dim() == 0 ? reshape(g, Shape{1}) : g, d, index) : Tensor();
    return std::vector<Tensor>{c.needs(0) ? index_fill(g, d, index, wrap_scalar(Scalar(0.0), g.dtype())) : Tensor(),
                               c.needs(1) ? (fill ? sum(picked, std::nullopt) : picked) : Tensor()};
  };
}

Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, OutArg dest) {
  Tensor out = index_write("index_copy", self, dim, index, source, source, ScatterReduce::None, kIndexSelectRules, dest);
  return with_history("IndexCopyBackward0", out, {self, source}, dest, {index}, index_write_backward(dim, false));
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value, OutArg dest) {
  PYDL_CHECK(value.dim() == 0, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
             value.dim(), " dimension(s).");
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  Tensor out = writable_copy(self, dest, "index_fill");
  Shape shape = self.sizes();
  if (!shape.empty()) shape[dim] = index.numel();
  Tensor idx = index_along(index, shape, dim, self.device(), "index_fill");
  scatter_dim(out, dim, idx, to(value, self.dtype(), self.device(), false), ScatterReduce::None, kTakeRules);
  out.bump_version();
  return with_history("IndexFillBackward0", out, {self, value}, dest, {index}, index_write_backward(dim, true));
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value, OutArg dest) {
  PYDL_CHECK(mask.dtype() == ScalarType::Bool, "masked_fill_ only supports boolean masks, but got mask with dtype ",
             mask.dtype());
  PYDL_CHECK(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
             value.dim(), " dimension(s).");
  Tensor v = to(value, self.dtype(), std::nullopt, false);
  return where(mask, v, self, dest);
}

Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source, OutArg dest) {
  PYDL_CHECK(mask.dtype() == ScalarType::Bool, "masked_scatter_ only supports boolean masks, but got mask with dtype ",
             mask.dtype());
  PYDL_CHECK(self.dtype() == source.dtype(), "masked_scatter: expected self and source to have same dtypes but got ",
             self.dtype(), " and ", source.dtype());
  Tensor base = dest.inplace || dest.out ? self : expand(self, broadcast_shapes(self.sizes(), mask.sizes(),
                                                                                 "masked_scatter"));
  Tensor out = writable_copy(base, dest, "masked_scatter");
  Tensor m = to(expand(mask, out.sizes()), std::nullopt, out.device(), false);
  Tensor target = out.dim() == 0 ? view(out, {1}) : out;
  if (out.dim() == 0) m = reshape(m, {1});
  const int64_t count = out.numel() == 0 ? 0 : backend(out.device().type).count_nonzero(m);
  PYDL_CHECK(source.numel() >= count, "masked_scatter: expected source to have at least ", count,
             " elements (the number of True values in mask), but got ", source.numel());
  Tensor vals = narrow(reshape(source, {-1}), 0, 0, count);
  index_put_(target, {m}, vals, false);
  const Shape self_sizes = self.sizes(), source_sizes = source.sizes();
  // self keeps the gradient where the mask is False; source's first `count` elements get the
  // masked gradient in order, the rest none.
  return with_history("MaskedScatterBackward0", out, {self, source}, dest, {expand(mask, out.sizes())},
                      [self_sizes, source_sizes](const autograd::BackwardContext& c) {
    const Tensor& g = c.grad();
    const Tensor& m = c.saved[0];
    std::vector<Tensor> grads(2);
    if (c.needs(0)) grads[0] = autograd::sum_to(where(m, wrap_scalar(Scalar(0.0), g.dtype()), g), self_sizes);
    if (c.needs(1)) {
      Tensor picked = masked_select(g, m);
      const int64_t rest = shape_numel(source_sizes) - picked.numel();
      grads[1] = reshape(cat({picked, full({rest}, Scalar(0.0), g.dtype(), g.device())}, 0), source_sizes);
    }
    return grads;
  });
}

Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate, OutArg dest) {
  PYDL_CHECK(index.dtype() == ScalarType::Int64, "put_(): Expected a long tensor for index, but got ", index.dtype());
  check_same_dtype("put_", self, source, "source");
  PYDL_CHECK_INDEX(index.numel() == source.numel(), "put_(): Expected source and index to have the same number of "
             "elements, but got source.numel() = ", source.numel(), ", index.numel() = ", index.numel());
  Tensor out = writable_copy(self, dest, "put_");
  if (index.numel() > 0) {
    // put_ addresses self's elements in row-major order: work on a contiguous copy if needed.
    Tensor flat = reshape(out.is_contiguous() ? out : contiguous(out), {-1});
    Tensor vals = reshape(source, index.sizes());
    if (may_overlap(vals, flat)) vals = clone(vals);
    IndexSpec spec;
    spec.nindices = 1;
    spec.sizes[0] = flat.numel();
    spec.strides[0] = static_cast<int64_t>(flat.itemsize());
    Tensor dst = restride(flat, index.sizes(), Shape(index.dim(), 0));
    ElementwiseIter iter(dst, {vals, to(index, std::nullopt, out.device(), false)}, "put_");
    backend(out.device().type).index_scatter(iter, spec, accumulate ? ScatterReduce::Sum : ScatterReduce::None);
    if (!out.is_contiguous()) copy_(out, view(flat, out.sizes()));
  }
  out.bump_version();
  const Shape source_sizes = source.sizes();
  return with_history("PutBackward0", out, {self, source}, dest, {index},
                      [accumulate, source_sizes](const autograd::BackwardContext& c) {
    const Tensor& g = c.grad();
    std::vector<Tensor> grads(2);
    if (c.needs(0)) grads[0] = accumulate ? g : put(g, c.saved[0], full(source_sizes, Scalar(0.0), g.dtype(), g.device()), false);
    if (c.needs(1)) grads[1] = reshape(take(g, c.saved[0]), source_sizes);
    return grads;
  });
}

Tensor bincount(const Tensor& self, const std::optional<Tensor>& weights, int64_t minlength) {
  PYDL_CHECK_NOT_IMPLEMENTED(is_integral(self.dtype(), false), "\"bincount_cpu\" not implemented for '",
                             self.dtype(), "'");
  PYDL_CHECK(self.dim() == 1, "bincount only supports 1-d non-negative integral inputs.");
  PYDL_CHECK(minlength >= 0, "minlength should be >= 0");
  if (weights) PYDL_CHECK(weights->dim() == 1 && weights->numel() == self.numel(),
                          "weights should be 1-d and have the same length as input");
  int64_t n = minlength;
  if (self.numel() > 0) {
    auto [lo, hi] = min_max(self);
    PYDL_CHECK(lo.to_int() >= 0, "bincount only supports 1-d non-negative integral inputs.");
    n = std::max(n, hi.to_int() + 1);
  }
  const ScalarType dt = !weights ? ScalarType::Int64
                        : weights->dtype() == ScalarType::Float32 ? ScalarType::Float32 : ScalarType::Float64;
  Tensor out = zeros({n}, dt, self.device());
  if (self.numel() == 0) return out;
  Tensor vals = weights ? to(*weights, dt, self.device(), false) : scalar_tensor(Scalar(int64_t(1)), dt, self.device());
  scatter_dim(out, 0, to(self, ScalarType::Int64, std::nullopt, false), vals, ScatterReduce::Sum);
  return out;
}

Tensor histc(const Tensor& self, int64_t bins, const Scalar& min, const Scalar& max, OutArg dest) {
  PYDL_CHECK_NOT_IMPLEMENTED(is_floating(self.dtype()), "\"histogram_cpu\" not implemented for '", self.dtype(), "'");
  PYDL_CHECK(bins > 0, "torch.histc(): bins must be > 0, but got ", bins, " for bins");
  double lo = min.to_double(), hi = max.to_double();
  PYDL_CHECK(lo <= hi, "torch.histc(): max must be larger than min");
  if (lo == hi && self.numel() > 0) {
    auto mm = min_max(self);
    lo = mm.first.to_double();
    hi = mm.second.to_double();
  }
  if (lo == hi) {
    lo -= 1;
    hi += 1;
  }
  PYDL_CHECK(std::isfinite(lo) && std::isfinite(hi), "torch.histc(): range of [", lo, ", ", hi, "] is not finite");
  const ScalarType dt = self.dtype();
  Tensor out = out_tensor_for(dest, {bins}, dt, self.device(), "histc");
  fill_(out, Scalar(int64_t(0)));
  if (self.numel() == 0) return out;
  // Bounds in the input's dtype: a bare wrap_scalar(double) would round them to float32.
  Tensor x = reshape(self, {-1});
  Tensor keep = binary(BinaryOp::LogicalAnd, binary(BinaryOp::Ge, x, wrap_scalar(Scalar(lo), dt)),
                       binary(BinaryOp::Le, x, wrap_scalar(Scalar(hi), dt)));
  Tensor xs = masked_select(x, keep);
  // PyTorch's bin rule: (x - lo) * bins / (hi - lo), truncated, in the input's dtype; x == hi
  // falls in the last bin.
  Tensor pos = div(binary(BinaryOp::Mul, sub(xs, wrap_scalar(Scalar(lo), dt)), wrap_scalar(Scalar(bins), dt)),
                   wrap_scalar(Scalar(hi - lo), dt));
  pos = clamp(to(pos, ScalarType::Int64, std::nullopt, false), Scalar(int64_t(0)), Scalar(bins - 1));
  scatter_dim(out, 0, pos, scalar_tensor(Scalar(int64_t(1)), dt, self.device()), ScatterReduce::Sum);
  return out;
}

Tensor one_hot(const Tensor& self, int64_t num_classes) {
  PYDL_CHECK(self.dtype() == ScalarType::Int64, "one_hot is only applicable to index tensor of type LongTensor.");
  PYDL_CHECK(num_classes >= -1, "one_hot: num_classes should be -1 or non-negative, got ", num_classes);
  if (self.numel() == 0) {
    PYDL_CHECK(num_classes != -1, "Can not infer total number of classes from empty tensor.");
  } else {
    auto [lo, hi] = min_max(self);
    PYDL_CHECK(lo.to_int() >= 0, "Class values must be non-negative.");
    if (num_classes == -1) num_classes = hi.to_int() + 1;
    PYDL_CHECK(hi.to_int() < num_classes, "Class values must be smaller than num_classes.");
  }
  Shape shape = self.sizes();
  shape.push_back(num_classes);
  Tensor out = zeros(shape, ScalarType::Int64, self.device());
  if (self.numel() > 0)
    scatter_dim(out, self.dim(), unsqueeze(self, -1), scalar_tensor(Scalar(int64_t(1)), ScalarType::Int64,
                                                                     self.device()), ScatterReduce::None);
  return out;
}

}  // namespace pydl
