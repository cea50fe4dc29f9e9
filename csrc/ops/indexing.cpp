// Reading through indices: advanced indexing (x[idx], x[mask]), index_put_, index_select,
// gather, take, take_along_dim, masked_select, nonzero. Each prepares int64 index tensors
// viewed at the result's shape and runs the backend's index_gather (or index_scatter).
#include "ops/indexing.h"

#include <numeric>

#include "autograd/formulas.h"
#include "core/dispatch.h"
#include "ops/elementwise.h"

namespace pydl {
namespace detail {

Tensor long_index(const Tensor& index, Device device, const char* op) {
  PYDL_CHECK_INDEX(is_integral(index.dtype(), false), op, ": tensors used as indices must be long, int, byte or bool "
                   "tensors, but got a tensor of dtype ", index.dtype());
  return to(index, ScalarType::Int64, device, false);
}

Tensor restride(const Tensor& t, const Shape& sizes, const Shape& strides) {
  return make_view(t, sizes, strides, t.storage_offset());
}

static IndexSpec dim_spec(const Tensor& self, int64_t dim, IndexRules rules) {
  IndexSpec spec;
  spec.wrap = rules.wrap;
  spec.index_error = rules.index_error;
  spec.nindices = 1;
  spec.sizes[0] = self.dim() == 0 ? 1 : self.size(dim);
  spec.strides[0] = (self.dim() == 0 ? 0 : self.stride(dim)) * static_cast<int64_t>(self.itemsize());
  spec.dims[0] = dim;
  return spec;
}

// `self` seen at `sizes` with the stride of `dim` zeroed: the data operand of the primitives.
// A self of another rank (0-d, or take's flattened 1-d input) has only the indexed dim.
static Tensor zero_dim_stride(const Tensor& self, int64_t dim, const Shape& sizes) {
  if (self.dim() != static_cast<int64_t>(sizes.size())) return restride(self, sizes, Shape(sizes.size(), 0));
  Shape st = self.strides();
  st[dim] = 0;
  return restride(self, sizes, st);
}

void gather_dim(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index, IndexRules rules) {
  if (out.numel() == 0) return;
  IndexSpec spec = dim_spec(self, dim, rules);
  ElementwiseIter iter(out, {zero_dim_stride(self, dim, out.sizes()), index}, "gather");
  backend(out.device().type).index_gather(iter, spec);
}

void scatter_dim(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& values, ScatterReduce reduce,
                 IndexRules rules) {
  const Shape& shape = index.sizes();
  if (shape_numel(shape) == 0) return;
  IndexSpec spec = dim_spec(self, dim, rules);
  Tensor dst = zero_dim_stride(self, dim, shape);
  Tensor vals = expand(values, shape);
  Tensor idx = index;
  if (index.dim() > 0) {
    // The iter walks every dim but `dim`; the kernel walks `dim` itself, in order.
    spec.loop_size = shape[dim];
    spec.loop_strides[1] = vals.stride(dim) * static_cast<int64_t>(vals.itemsize());
    spec.loop_strides[2] = idx.stride(dim) * static_cast<int64_t>(sizeof(int64_t));
    dst = narrow(dst, dim, 0, 1);
    vals = narrow(vals, dim, 0, 1);
    idx = narrow(idx, dim, 0, 1);
  }
  spec.unique = true;  // distinct iter positions never share a destination
  ElementwiseIter iter(dst, {vals, idx}, "scatter");
  backend(self.device().type).index_scatter(iter, spec, reduce);
}

Tensor out_tensor_for(OutArg dest, const Shape& shape, ScalarType dtype, Device device, const char* op) {
  if (!dest.out) return empty(shape, dtype, device);
  Tensor& out = *dest.out;
  PYDL_CHECK(out.dtype() == dtype, op, ": Expected out tensor to have dtype ", dtype, ", but got ", out.dtype(),
             " instead");
  PYDL_CHECK(out.device() == device, op, ": Expected out tensor to have device ", device.str(), ", but got ",
             out.device().str(), " instead");
  if (out.sizes() != shape) {
    PYDL_CHECK(out.numel() == 0 && out.is_contiguous(), op, ": out= tensor has shape ", out.sizes(),
               " but the result has shape ", shape, "; pass an out= tensor of the result's shape");
    Tensor fresh = empty(shape, dtype, device);
    out.impl()->rebind(fresh.impl()->storage(), shape, fresh.strides(), 0);
  }
  check_writable(out, op);
  return out;
}

void check_writable(const Tensor& t, const char* op) {
  PYDL_CHECK(!has_internal_overlap(t), op, ": unsupported operation: more than one element of the written-to tensor "
             "refers to a single memory location. Please clone() the tensor before performing the operation.");
}

Scalar item(const Tensor& t) {
  Tensor c = to(t, std::nullopt, Device(DeviceType::CPU), false);
  return PYDL_DISPATCH_ALL_TYPES(c.dtype(), "item", [&]() -> Scalar {
    scalar_t v = *c.data<scalar_t>();
    if constexpr (std::is_same_v<scalar_t, bool>) return Scalar(v);
    else if constexpr (std::is_integral_v<scalar_t>) return Scalar(static_cast<int64_t>(v));
    else return Scalar(static_cast<double>(v));
  });
}

std::pair<Scalar, Scalar> min_max(const Tensor& t) {
  return {item(amin(t, std::nullopt)), item(amax(t, std::nullopt))};
}

// The pieces of self[indices] once masks are expanded and the indexed dims made adjacent.
struct AdvancedIndex {
  Tensor src;                   // self at the result's shape, 0 strides on the indexed dims
  std::vector<Tensor> indices;  // int64, at the result's shape
  IndexSpec spec;
  Shape shape;                  // the result's shape
};

static AdvancedIndex make_advanced_index(const Tensor& self, const std::vector<Tensor>& given, const char* op) {
  // 1. Masks become the index tensors of their nonzero elements, one per dim they cover.
  std::vector<Tensor> idx(self.dim());
  std::vector<int64_t> orig_dim(self.dim());
  std::iota(orig_dim.begin(), orig_dim.end(), 0);
  int64_t d = 0, masks = 0, tensors = 0;
  for (const Tensor& t : given) {
    if (!t.defined()) {
      ++d;
      continue;
    }
    const bool is_mask = t.dtype() == ScalarType::Bool || t.dtype() == ScalarType::UInt8;
    const int64_t covers = is_mask ? t.dim() : 1;
    PYDL_CHECK_INDEX(!is_mask || covers > 0, op, ": a 0-d bool index is only supported through x[...]");
    PYDL_CHECK_INDEX(d + covers <= self.dim(), "too many indices for tensor of dimension ", self.dim());
    if (!is_mask) {
      idx[d++] = long_index(t, self.device(), op);
      ++tensors;
      continue;
    }
    for (int64_t j = 0; j < covers; ++j)
      PYDL_CHECK_INDEX(t.size(j) == self.size(d + j), "The shape of the mask ", t.sizes(), " at index ", j,
                       " does not match the shape of the indexed tensor ", self.sizes(), " at index ", d + j);
    Tensor nz = nonzero(to(t, std::nullopt, self.device(), false));
    for (int64_t j = 0; j < covers; ++j) idx[d + j] = select(nz, 1, j);
    d += covers;
    ++masks;
  }
  // 2. Broadcast the index tensors together; move the indexed dims first unless adjacent.
  std::vector<int64_t> pos;
  Shape bshape;
  for (int64_t k = 0; k < self.dim(); ++k) {
    if (!idx[k].defined()) continue;
    pos.push_back(k);
    try {
      bshape = broadcast_shapes(bshape, idx[k].sizes(), op);
    } catch (const Error&) {
      std::string shapes;
      for (int64_t q = 0; q < self.dim(); ++q)
        if (idx[q].defined()) shapes += (shapes.empty() ? "" : ", ") + str(idx[q].sizes());
      PYDL_CHECK_INDEX(false, "shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes);
    }
  }
  PYDL_CHECK_NOT_IMPLEMENTED(static_cast<int>(pos.size()) <= IndexSpec::kMaxIndices, op, ": indexing with more than ",
                             IndexSpec::kMaxIndices, " index tensors (or mask dims) at once is not supported");
  Tensor base = self;
  const bool adjacent = pos.back() - pos.front() + 1 == static_cast<int64_t>(pos.size());
  if (!adjacent) {
    Shape perm(pos.begin(), pos.end());
    for (int64_t k = 0; k < self.dim(); ++k)
      if (!idx[k].defined()) perm.push_back(k);
    base = permute(self, perm);
    std::vector<Tensor> pidx(self.dim());
    std::vector<int64_t> pdim(self.dim());
    for (int64_t k = 0; k < self.dim(); ++k) {
      pidx[k] = idx[perm[k]];
      pdim[k] = orig_dim[perm[k]];
    }
    idx.swap(pidx);
    orig_dim.swap(pdim);
  }
  // 3. The result is base's shape with the indexed block replaced by the broadcast shape.
  const int64_t start = adjacent ? pos.front() : 0, nidx = static_cast<int64_t>(pos.size());
  AdvancedIndex ai;
  Shape src_strides;
  for (int64_t k = 0; k < start; ++k) {
    ai.shape.push_back(base.size(k));
    src_strides.push_back(base.stride(k));
  }
  for (int64_t s : bshape) {
    ai.shape.push_back(s);
    src_strides.push_back(0);
  }
  for (int64_t k = start + nidx; k < base.dim(); ++k) {
    ai.shape.push_back(base.size(k));
    src_strides.push_back(base.stride(k));
  }
  ai.src = restride(base, ai.shape, src_strides);
  ai.spec.nindices = static_cast<int>(nidx);
  ai.spec.unique = masks == 1 && tensors == 0;
  const int64_t nb = static_cast<int64_t>(bshape.size());
  for (int64_t j = 0; j < nidx; ++j) {
    const int64_t k = start + j;
    ai.spec.sizes[j] = base.size(k);
    ai.spec.strides[j] = base.stride(k) * static_cast<int64_t>(base.itemsize());
    ai.spec.dims[j] = orig_dim[k];
    Tensor e = expand(idx[k], bshape);
    Shape st(ai.shape.size(), 0);
    for (int64_t q = 0; q < nb; ++q) st[start + q] = e.stride(q);
    ai.indices.push_back(restride(e, ai.shape, st));
  }
  return ai;
}

}  // namespace detail

using namespace detail;

Tensor detail::with_history(const char* name, const Tensor& out, const std::vector<Tensor>& inputs, OutArg dest,
                            const std::vector<Tensor>& saved, autograd::BackwardFn fn, bool save_result) {
  if (dest.out || !is_floating(out.dtype()) || !autograd::needs_grad(inputs)) return out;
  std::vector<Tensor> saved_out;
  if (save_result) saved_out.push_back(out);
  autograd::record(name, inputs, {out}, saved, saved_out, fn ? std::move(fn) : autograd::not_implemented(name));
  return out;
}

static Tensor zeros_like_input(const Shape& sizes, ScalarType dt, Device dev) {
  return full(sizes, Scalar(0.0), dt, dev);
}

Tensor index(const Tensor& self, const std::vector<Tensor>& indices) {
  bool any = false;
  for (const Tensor& t : indices) any |= t.defined();
  if (!any) return alias(self);
  AdvancedIndex ai = make_advanced_index(self, indices, "index");
  Tensor out = empty(ai.shape, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  std::vector<Tensor> inputs{ai.src};
  inputs.insert(inputs.end(), ai.indices.begin(), ai.indices.end());
  ElementwiseIter iter(out, inputs, "index");
  backend(self.device().type).index_gather(iter, ai.spec);
  // The gradient goes back to the positions read, summed where an index repeats.
  const Shape sizes = self.sizes();
  const ScalarType dt = self.dtype();
  const Device dev = self.device();
  return with_history("IndexBackward0", out, {self}, {}, indices, [sizes, dt, dev](const autograd::BackwardContext& c) {
    return std::vector<Tensor>{index_put(zeros_like_input(sizes, dt, dev), c.saved, c.grad(), true)};
  });
}

Tensor& index_put_(Tensor& self, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate) {
  check_writable(self, "index_put_");
  PYDL_CHECK(values.dtype() == self.dtype(), "Index put requires the source and destination dtypes match, got ",
             self.dtype(), " for the destination and ", values.dtype(), " for the source.");
  bool any = false;
  for (const Tensor& t : indices) any |= t.defined();
  Tensor v = to(values, std::nullopt, self.device(), false);
  if (may_overlap(v, self)) v = clone(v);
  if (!any) {  // x[...] = v
    Tensor vals = expand(v, self.sizes());
    if (accumulate) add(self, vals, Scalar(int64_t(1)), OutArg::self(self));
    else copy_(self, vals);
    return self;
  }
  AdvancedIndex ai = make_advanced_index(self, indices, "index_put_");
  bool fits = v.dim() <= static_cast<int64_t>(ai.shape.size());
  for (int64_t k = 1; fits && k <= v.dim(); ++k)
    fits = v.size(-k) == 1 || v.size(-k) == ai.shape[ai.shape.size() - k];
  PYDL_CHECK(fits, "shape mismatch: value tensor of shape ", v.sizes(), " cannot be broadcast to indexing result of "
             "shape ", ai.shape);
  if (shape_numel(ai.shape) > 0) {
    std::vector<Tensor> inputs{v};
    inputs.insert(inputs.end(), ai.indices.begin(), ai.indices.end());
    ElementwiseIter iter(ai.src, inputs, "index_put_");
    backend(self.device().type).index_scatter(iter, ai.spec, accumulate ? ScatterReduce::Sum : ScatterReduce::None);
  }
  self.bump_version();
  return self;
}

Tensor index_put(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate) {
  Tensor out;
  {
    autograd::AutoGradMode no_record(false);  // recorded as one op below
    out = clone(self);
    index_put_(out, indices, values, accumulate);
  }
  std::vector<Tensor> saved = indices;
  const Shape vsizes = values.sizes();
  const size_t n = indices.size();
  return with_history("IndexPutBackward0", out, {self, values}, {}, saved,
                      [vsizes, accumulate, n](const autograd::BackwardContext& c) {
    std::vector<Tensor> idx(c.saved.begin(), c.saved.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<Tensor> g(2);
    // Overwritten positions get no gradient through self; accumulated ones do.
    if (c.needs(0))
      g[0] = accumulate ? c.grad() : index_put(c.grad(), idx, wrap_scalar(Scalar(0.0), c.grad().dtype()), false);
    if (c.needs(1)) g[1] = autograd::sum_to(index(c.grad(), idx), vsizes);
    return g;
  });
}

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index, OutArg dest) {
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  PYDL_CHECK_INDEX(index.dim() <= 1, "index_select(): Index is supposed to be a vector, but got a tensor of shape ",
                   index.sizes());
  PYDL_CHECK(index.dtype() == ScalarType::Int64 || index.dtype() == ScalarType::Int32,
             "index_select(): Expected dtype int32 or int64 for index, but got ", index.dtype());
  Tensor idx = reshape(long_index(index, self.device(), "index_select"), {-1});
  PYDL_CHECK_INDEX(self.dim() > 0 || idx.numel() == 1, "index_select(): Index to scalar can have only 1 value, got ",
                   idx.numel(), " value(s)");
  Shape shape = self.sizes();
  if (self.dim() > 0) shape[dim] = idx.numel();
  Tensor out = out_tensor_for(dest, shape, self.dtype(), self.device(), "index_select");
  Tensor target = may_overlap(out, self) ? empty(shape, self.dtype(), self.device()) : out;
  Shape st(shape.size(), 0);
  if (self.dim() > 0) st[dim] = idx.stride(0);
  PYDL_CHECK_INDEX(shape_numel(shape) == 0 || self.dim() == 0 || self.size(dim) > 0,
                   "index_select(): cannot select from dimension ", dim, " of size 0");
  gather_dim(target, self, dim, restride(idx, shape, st), kIndexSelectRules);
  if (!target.is_same(out)) copy_(out, target);
  const Shape sizes = self.sizes();
  return with_history("IndexSelectBackward0", out, {self}, dest, {idx},
                      [sizes, dim](const autograd::BackwardContext& c) {
    Tensor z = zeros_like_input(sizes, c.grad().dtype(), c.grad().device());
    return std::vector<Tensor>{index_add(z, dim, c.saved[0], c.grad(), Scalar(int64_t(1)))};
  });
}

void detail::check_index_shapes(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                                const Tensor* src) {
  PYDL_CHECK(index.dtype() == ScalarType::Int64 || index.dtype() == ScalarType::Int32, op,
             "(): Expected dtype int32/int64 for index, but got ", index.dtype());
  PYDL_CHECK(std::max<int64_t>(index.dim(), 1) == std::max<int64_t>(self.dim(), 1), "Index tensor must have the same "
             "number of dimensions as ", src ? "self" : "input", " tensor (", op, ": index ", index.sizes(), ", self ",
             self.sizes(), ")");
  if (src) PYDL_CHECK(std::max<int64_t>(src->dim(), 1) == std::max<int64_t>(self.dim(), 1), "Index tensor must have "
                      "the same number of dimensions as src tensor (", op, ": index ", index.sizes(), ", src ",
                      src->sizes(), ")");
  for (int64_t d = 0; d < index.dim(); ++d) {
    bool ok = (d == dim || self.dim() == 0 || index.size(d) <= self.size(d)) &&
              (!src || src->dim() == 0 || index.size(d) <= src->size(d));
    PYDL_CHECK(ok, op, "(): Expected index ", index.sizes(), " to be no larger than self ", self.sizes(),
               " apart from dimension ", dim, src ? str(" and to be no larger than src ", src->sizes()) : "");
  }
}

static Tensor gather_with(const Tensor& self, int64_t dim, const Tensor& index, OutArg dest, IndexRules rules) {
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  check_index_shapes("gather", self, dim, index, nullptr);
  Tensor idx = long_index(index, self.device(), "gather");
  Tensor out = out_tensor_for(dest, index.sizes(), self.dtype(), self.device(), "gather");
  Tensor target = may_overlap(out, self) || may_overlap(out, idx) ? empty(index.sizes(), self.dtype(), self.device())
                                                                  : out;
  gather_dim(target, self, dim, idx, rules);
  if (!target.is_same(out)) copy_(out, target);
  const Shape sizes = self.sizes();
  return with_history("GatherBackward0", out, {self}, dest, {idx}, [sizes, dim](const autograd::BackwardContext& c) {
    Tensor z = zeros_like_input(sizes, c.grad().dtype(), c.grad().device());
    return std::vector<Tensor>{scatter_reduce(z, dim, c.saved[0], c.grad(), "sum", true)};
  });
}

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index, OutArg dest) {
  return gather_with(self, dim, index, dest, kGatherRules);
}

Tensor take(const Tensor& self, const Tensor& index, OutArg dest) {
  PYDL_CHECK(index.dtype() == ScalarType::Int64, "take(): Expected a long tensor for index, but got ", index.dtype());
  Tensor flat = reshape(self, {-1});
  Tensor idx = to(index, std::nullopt, self.device(), false);
  Tensor out = out_tensor_for(dest, index.sizes(), self.dtype(), self.device(), "take");
  Tensor target = may_overlap(out, self) || may_overlap(out, idx) ? empty(index.sizes(), self.dtype(), self.device())
                                                                  : out;
  gather_dim(target, flat, 0, idx, kTakeRules);
  if (!target.is_same(out)) copy_(out, target);
  const Shape sizes = self.sizes();
  return with_history("TakeBackward0", out, {self}, dest, {idx}, [sizes](const autograd::BackwardContext& c) {
    Tensor z = zeros_like_input({shape_numel(sizes)}, c.grad().dtype(), c.grad().device());
    Tensor flat = index_put(z, {reshape(c.saved[0], {-1})}, reshape(c.grad(), {-1}), true);
    return std::vector<Tensor>{reshape(flat, sizes)};
  });
}

// Negative indices count from the end, but a bad index is gather's RuntimeError, as in PyTorch.
constexpr IndexRules kTakeAlongRules{true, false};

Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim, OutArg dest) {
  PYDL_CHECK(indices.dtype() == ScalarType::Int64, "torch.take_along_dim(): dtype of indices should be int64 but got ",
             indices.dtype());
  if (!dim) return gather_with(reshape(self, {-1}), 0, reshape(indices, {-1}), dest, kTakeAlongRules);
  PYDL_CHECK(self.dim() == indices.dim(), "torch.take_along_dim(): input and indices should have the same number of "
             "dimensions, but got ", self.dim(), " dimensions for input, and ", indices.dim(),
             " dimensions for indices");
  const int64_t d = wrap_dim(*dim, std::max<int64_t>(self.dim(), 1));
  if (self.dim() == 0) return gather_with(self, d, indices, dest, kTakeAlongRules);
  // Broadcast every dim but `d`.
  Shape a = self.sizes(), b = indices.sizes();
  a[d] = b[d] = 1;
  Shape common = broadcast_shapes(a, b, "take_along_dim");
  Shape sa = common, sb = common;
  sa[d] = self.size(d);
  sb[d] = indices.size(d);
  return gather_with(expand(self, sa), d, expand(indices, sb), dest, kTakeAlongRules);
}

Tensor masked_select(const Tensor& self, const Tensor& mask, OutArg dest) {
  PYDL_CHECK(mask.dtype() == ScalarType::Bool, "masked_select: expected BoolTensor for mask, but got ", mask.dtype());
  Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
  Tensor x = expand(self, shape), m = expand(mask, shape);
  if (shape.empty()) {
    x = reshape(x, {1});
    m = reshape(m, {1});
  }
  Tensor r = index(x, {m});
  if (!dest.out) return r;
  Tensor out = out_tensor_for(dest, r.sizes(), self.dtype(), self.device(), "masked_select");
  return copy_(out, r);
}

Tensor nonzero(const Tensor& self, OutArg dest) {
  Tensor c = contiguous(self);
  Backend& be = backend(self.device().type);
  const int64_t count = self.numel() == 0 ? 0 : be.count_nonzero(c);
  Tensor out = out_tensor_for(dest, {count, self.dim()}, ScalarType::Int64, self.device(), "nonzero");
  Tensor target = out.is_contiguous() ? out : empty({count, self.dim()}, ScalarType::Int64, self.device());
  if (target.numel() > 0) be.nonzero(c, target);
  if (!target.is_same(out)) copy_(out, target);
  return out;
}

}  // namespace pydl
