// View ops: new sizes/strides/offset over the same storage and version counter.
#include "autograd/formulas.h"
#include <algorithm>

#include "ops/ops.h"

namespace pydl {

// Returns the view `out` of t, recording `fn` as its backward when t takes part in autograd.
static Tensor with_grad(const char* name, const Tensor& t, Tensor out, autograd::BackwardFn fn) {
  if (autograd::needs_grad({&t})) autograd::record(name, {t}, {out}, {}, {}, std::move(fn));
  return out;
}

// t itself as a new view (same geometry): t() of a vector, flatten() of one dim.
static Tensor same_view(const Tensor& t) {
  return with_grad("AliasBackward0", t, make_view(t, t.sizes(), t.strides(), t.storage_offset()),
                   [](const autograd::BackwardContext& c) { return std::vector<Tensor>{c.grad()}; });
}

// Gradient of a view that picks positions `start, start + step, ...` (len of them) of t's dim
// d: g put back at those positions of zeros shaped like t. index_put is itself differentiable
// in g, so double backward through slicing works. `keep_dim`: g lacks dim d (select).
static autograd::BackwardFn put_back(const Tensor& t, int64_t d, int64_t start, int64_t step, int64_t len,
                                     bool keep_dim) {
  const Shape sizes = t.sizes();
  const ScalarType dt = t.dtype();
  const Device dev = t.device();
  return [=](const autograd::BackwardContext& c) {
    std::vector<Tensor> indices(static_cast<size_t>(d) + 1);
    indices[d] = arange(Scalar(start), Scalar(start + step * len), Scalar(step), ScalarType::Int64, dev);
    Tensor g = keep_dim ? c.grad() : unsqueeze(c.grad(), d);
    return std::vector<Tensor>{index_put(full(sizes, Scalar(0.0), dt, dev), indices, g, /*accumulate=*/false)};
  };
}

Shape infer_size(const Shape& sizes, int64_t numel, const char* op) {
  Shape out = sizes;
  int64_t known = 1;
  int infer = -1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == -1) {
      PYDL_CHECK(infer < 0, "only one dimension can be inferred");
      infer = static_cast<int>(d);
    } else {
      PYDL_CHECK(sizes[d] >= 0, "invalid shape dimension ", sizes[d], " at index ", d, " of shape ", sizes);
      known *= sizes[d];
    }
  }
  bool ok = infer >= 0 ? (known != 0 && numel % known == 0) : known == numel;
  if (infer >= 0 && known == 0) {
    PYDL_CHECK(false, "cannot reshape tensor of ", numel, " elements into shape ", sizes,
               " because the unspecified dimension size -1 can be any value and is ambiguous");
  }
  PYDL_CHECK(ok, "shape '", sizes, "' is invalid for input of size ", numel);
  if (infer >= 0) out[infer] = numel / known;
  return out;
}

// Strides that let `new_sizes` view memory laid out as (old_sizes, old_strides), if any exist.
static std::optional<Shape> view_strides(const Shape& old_sizes, const Shape& old_strides, const Shape& new_sizes) {
  Shape out(new_sizes.size());
  if (old_sizes.empty()) {
    std::fill(out.begin(), out.end(), 1);
    return out;
  }
  int64_t numel = shape_numel(old_sizes);
  if (numel == 0) {
    if (old_sizes == new_sizes) return old_strides;
    return contiguous_strides(new_sizes);
  }
  // Walk old dims from the innermost, grouping those that are contiguous with each other into
  // chunks; each chunk must be exactly covered by a run of new dims.
  int64_t view_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    bool chunk_ends = d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
      out[view_d] = view_numel * chunk_stride;
      view_numel *= new_sizes[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return std::nullopt;
    if (d > 0) {
      chunk_stride = old_strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

Tensor view(const Tensor& t, const Shape& sizes) {
  Shape shape = infer_size(sizes, t.numel(), "view");
  auto strides = view_strides(t.sizes(), t.strides(), shape);
  PYDL_CHECK(strides.has_value(), "view size is not compatible with input tensor's size and stride (at "
             "least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  const Shape in = t.sizes();
  return with_grad("ViewBackward0", t, make_view(t, shape, *strides, t.storage_offset()),
                   [in](const autograd::BackwardContext& c) { return std::vector<Tensor>{reshape(c.grad(), in)}; });
}

Tensor view_dtype(const Tensor& t, ScalarType dtype) {
  int64_t old_size = static_cast<int64_t>(t.itemsize()), new_size = static_cast<int64_t>(itemsize(dtype));
  if (old_size == new_size) {
    return Tensor(std::make_shared<TensorImpl>(t.impl()->storage(), t.sizes(), t.strides(), t.storage_offset(),
                                               dtype, t.impl()->version_counter()));
  }
  PYDL_CHECK(t.dim() > 0, "self.dim() cannot be 0 to view ", t.dtype(), " as ", dtype,
             " (different element sizes)");
  PYDL_CHECK(t.strides().back() == 1, "self.stride(-1) must be 1 to view ", t.dtype(), " as ", dtype,
             " (different element sizes), but got ", t.strides().back());
  Shape sizes = t.sizes(), strides = t.strides();
  int64_t offset_bytes = t.storage_offset() * old_size;
  if (new_size > old_size) {
    int64_t ratio = new_size / old_size;
    PYDL_CHECK(sizes.back() % ratio == 0, "self.size(-1) must be divisible by ", ratio, " to view ", t.dtype(),
               " as ", dtype, " (different element sizes), but got ", sizes.back());
    PYDL_CHECK(offset_bytes % new_size == 0, "self.storage_offset() must be divisible by ", ratio, " to view ",
               t.dtype(), " as ", dtype, " (different element sizes), but got ", t.storage_offset());
    for (size_t d = 0; d + 1 < strides.size(); ++d) {
      PYDL_CHECK(strides[d] % ratio == 0, "self.stride(", d, ") must be divisible by ", ratio, " to view ",
                 t.dtype(), " as ", dtype, " (different element sizes), but got ", strides[d]);
      strides[d] /= ratio;
    }
    sizes.back() /= ratio;
  } else {
    int64_t ratio = old_size / new_size;
    for (size_t d = 0; d + 1 < strides.size(); ++d) strides[d] *= ratio;
    sizes.back() *= ratio;
  }
  return Tensor(std::make_shared<TensorImpl>(t.impl()->storage(), sizes, strides, offset_bytes / new_size, dtype,
                                             t.impl()->version_counter()));
}

Tensor reshape(const Tensor& t, const Shape& sizes) {
  Shape shape = infer_size(sizes, t.numel(), "reshape");
  if (auto strides = view_strides(t.sizes(), t.strides(), shape)) {
    const Shape in = t.sizes();
    return with_grad("ViewBackward0", t, make_view(t, shape, *strides, t.storage_offset()),
                     [in](const autograd::BackwardContext& c) { return std::vector<Tensor>{reshape(c.grad(), in)}; });
  }
  return view(contiguous(t), shape);  // not viewable: t is not contiguous, so this copies
}

Tensor permute(const Tensor& t, const Shape& dims) {
  int64_t nd = t.dim();
  PYDL_CHECK(static_cast<int64_t>(dims.size()) == nd, "permute(sparse_coo): number of dimensions in the tensor "
             "input does not match the length of the desired ordering of dimensions i.e. input.dim() = ", nd,
             " is not equal to len(dims) = ", dims.size());
  Shape sizes(nd), strides(nd);
  std::vector<bool> seen(nd, false);
  for (int64_t i = 0; i < nd; ++i) {
    int64_t d = wrap_dim(dims[i], nd);
    PYDL_CHECK(!seen[d], "permute(): duplicate dims are not allowed.");
    seen[d] = true;
    sizes[i] = t.sizes()[d];
    strides[i] = t.strides()[d];
  }
  Shape inverse(nd);
  for (int64_t i = 0; i < nd; ++i) inverse[wrap_dim(dims[i], nd)] = i;
  return with_grad("PermuteBackward0", t, make_view(t, sizes, strides, t.storage_offset()),
                   [inverse](const autograd::BackwardContext& c) { return std::vector<Tensor>{permute(c.grad(), inverse)}; });
}

Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  int64_t nd = t.dim();
  int64_t a = wrap_dim(dim0, nd), b = wrap_dim(dim1, nd);
  Shape sizes = t.sizes(), strides = t.strides();
  if (nd > 0) {
    std::swap(sizes[a], sizes[b]);
    std::swap(strides[a], strides[b]);
  }
  return with_grad("TransposeBackward0", t, make_view(t, sizes, strides, t.storage_offset()),
                   [a, b](const autograd::BackwardContext& c) { return std::vector<Tensor>{transpose(c.grad(), a, b)}; });
}

Tensor t_(const Tensor& t) {
  PYDL_CHECK(t.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", t.dim(), "D");
  return t.dim() < 2 ? same_view(t) : transpose(t, 0, 1);
}

Tensor matrix_transpose(const Tensor& t) {
  PYDL_CHECK(t.dim() >= 2, "tensor.mT is only supported on matrices or batches of matrices. Got ", t.dim(), "-D tensor.");
  return transpose(t, -2, -1);
}

Tensor reverse_dims(const Tensor& t) {
  Shape dims(t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) dims[i] = t.dim() - 1 - i;
  return permute(t, dims);
}

Tensor expand(const Tensor& t, const Shape& sizes) {
  int64_t nd = static_cast<int64_t>(sizes.size()), td = t.dim();
  PYDL_CHECK(nd >= td, "expand(", t.dtype(), "{", t.sizes(), "}, size=", sizes, "): the number of sizes provided (",
             nd, ") must be greater or equal to the number of dimensions in the tensor (", td, ")");
  Shape out_sizes(nd), out_strides(nd);
  for (int64_t i = nd - 1; i >= 0; --i) {
    int64_t k = i - (nd - td);  // matching input dim, or < 0 for a new leading dim
    int64_t want = sizes[i];
    if (k >= 0) {
      int64_t have = t.sizes()[k];
      if (want == -1) want = have;
      PYDL_CHECK(have == want || have == 1, "The expanded size of the tensor (", want, ") must match the existing "
                 "size (", have, ") at non-singleton dimension ", i, ".  Target sizes: ", sizes,
                 ".  Tensor sizes: ", t.sizes());
      out_sizes[i] = want;
      out_strides[i] = have == want ? t.strides()[k] : 0;
    } else {
      PYDL_CHECK(want >= 0, "The expanded size of the tensor (", want, ") isn't allowed in a leading, "
                 "non-existing dimension ", i);
      out_sizes[i] = want;
      // A new size-1 dim gets the stride that would make it contiguous with the next one (PyTorch's
      // inferExpandGeometry); a broadcast one gets 0. Expanding a 0-d tensor gives all zeros.
      out_strides[i] = (want == 1 && td > 0) ? out_sizes[i + 1] * out_strides[i + 1] : 0;
    }
  }
  const Shape in = t.sizes();
  return with_grad("ExpandBackward0", t, make_view(t, out_sizes, out_strides, t.storage_offset()),
                   [in](const autograd::BackwardContext& c) { return std::vector<Tensor>{autograd::sum_to(c.grad(), in)}; });
}

Tensor squeeze(const Tensor& t, const std::optional<Shape>& dims) {
  int64_t nd = t.dim();
  std::vector<bool> drop(nd, false);
  if (!dims) {
    for (int64_t d = 0; d < nd; ++d) drop[d] = t.sizes()[d] == 1;
  } else {
    std::vector<bool> seen(std::max<int64_t>(nd, 1), false);
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(d, nd);
      PYDL_CHECK(!seen[w], "dim ", w, " appears multiple times in the list of dims");
      seen[w] = true;
      if (nd > 0) drop[w] = t.sizes()[w] == 1;
    }
  }
  Shape sizes, strides;
  for (int64_t d = 0; d < nd; ++d) {
    if (drop[d]) continue;
    sizes.push_back(t.sizes()[d]);
    strides.push_back(t.strides()[d]);
  }
  const Shape in = t.sizes();
  return with_grad("SqueezeBackward0", t, make_view(t, sizes, strides, t.storage_offset()),
                   [in](const autograd::BackwardContext& c) { return std::vector<Tensor>{reshape(c.grad(), in)}; });
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  int64_t d = wrap_dim(dim, t.dim() + 1);
  Shape sizes = t.sizes(), strides = t.strides();
  int64_t stride = d < t.dim() ? t.sizes()[d] * t.strides()[d] : 1;
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  const Shape in = t.sizes();
  return with_grad("UnsqueezeBackward0", t, make_view(t, sizes, strides, t.storage_offset()),
                   [in](const autograd::BackwardContext& c) { return std::vector<Tensor>{reshape(c.grad(), in)}; });
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  int64_t nd = t.dim();
  int64_t s = wrap_dim(start_dim, nd), e = wrap_dim(end_dim, nd);
  PYDL_CHECK(s <= e, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (nd == 0) return reshape(t, Shape{1});
  if (s == e) return same_view(t);
  Shape sizes;
  for (int64_t d = 0; d < s; ++d) sizes.push_back(t.sizes()[d]);
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= t.sizes()[d];
  sizes.push_back(merged);
  for (int64_t d = e + 1; d < nd; ++d) sizes.push_back(t.sizes()[d]);
  return reshape(t, sizes);
}

Tensor unflatten(const Tensor& t, int64_t dim, const Shape& sizes) {
  int64_t d = wrap_dim(dim, t.dim());
  PYDL_CHECK(t.dim() > 0, "unflatten: Dimension specified as ", dim, " but tensor has no dimensions");
  PYDL_CHECK(!sizes.empty(), "unflatten: sizes must be non-empty");
  int64_t known = 1, inferred = 0;
  for (int64_t s : sizes) {
    if (s == -1) ++inferred;
    else known *= s;
  }
  int64_t extent = t.sizes()[d];
  PYDL_CHECK(inferred > 1 || (inferred == 1 ? known != 0 && extent % known == 0 : known == extent),
             "unflatten: Provided sizes ", sizes, " don't multiply up to the size of dim ", d, " (", extent,
             ") in the input tensor");
  Shape inner = infer_size(sizes, extent, "unflatten");
  Shape out;
  for (int64_t i = 0; i < d; ++i) out.push_back(t.sizes()[i]);
  for (int64_t s : inner) out.push_back(s);
  for (int64_t i = d + 1; i < t.dim(); ++i) out.push_back(t.sizes()[i]);
  return view(t, out);
}

Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start_opt, std::optional<int64_t> stop_opt, int64_t step) {
  PYDL_CHECK(t.dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
  PYDL_CHECK_VALUE(step > 0, "step must be greater than zero");
  int64_t d = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[d];
  // Python slice semantics: clamp to [0, size].
  auto clamp = [size](int64_t v) { return v < 0 ? std::max<int64_t>(v + size, 0) : std::min(v, size); };
  int64_t start = start_opt ? clamp(*start_opt) : 0;
  int64_t stop = stop_opt ? clamp(*stop_opt) : size;
  int64_t len = stop > start ? (stop - start - 1) / step + 1 : 0;  // no overflow for huge steps
  Shape sizes = t.sizes(), strides = t.strides();
  sizes[d] = len;
  int64_t stepped;
  // A huge step only matters when it overflows; with <= 1 element the stride is never used.
  if (!__builtin_mul_overflow(strides[d], step, &stepped)) strides[d] = stepped;
  else PYDL_CHECK(len <= 1, "slice: stride ", strides[d], " * step ", step, " overflows");
  // Like PyTorch, an empty slice still points at its (clamped) start.
  return with_grad("SliceBackward0", t, make_view(t, sizes, strides, t.storage_offset() + start * t.strides()[d]),
                   put_back(t, d, start, step, len, true));
}

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  PYDL_CHECK(t.dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  PYDL_CHECK(length >= 0, "narrow(): length must be non-negative.");
  int64_t d = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[d];
  PYDL_CHECK_INDEX(start >= -size && start <= size, "start out of range (expected to be in range of [", -size, ", ",
                   size, "], but got ", start, ")");
  if (start < 0) start += size;
  PYDL_CHECK(length <= size - start, "start (", start, ") + length (", length,
             ") exceeds dimension size (", size, ").");
  return slice(t, d, start, start + length, 1);
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  PYDL_CHECK_INDEX(t.dim() > 0, "select() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[d];
  PYDL_CHECK_INDEX(index >= -size && index < size, "select(): index ", index, " out of range for tensor of size ",
                   t.sizes(), " at dimension ", d);
  if (index < 0) index += size;
  Shape sizes = t.sizes(), strides = t.strides();
  int64_t offset = t.storage_offset() + index * strides[d];
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return with_grad("SelectBackward0", t, make_view(t, sizes, strides, offset),
                   put_back(t, d, index, 1, 1, false));
}

// The gradient of a view that may repeat or skip elements (as_strided, unfold): added into
// zeros shaped like t at the storage positions the view reads (autograd/inplace.cpp).
static Tensor strided_view(const char* name, const Tensor& t, Shape sizes, Shape strides, int64_t offset) {
  const autograd::ViewGeometry base = autograd::ViewGeometry::of(t), view{sizes, strides, offset};
  return with_grad(name, t, make_view(t, std::move(sizes), std::move(strides), offset),
                   autograd::strided_view_backward(base, view, t.device()));
}

Tensor as_strided(const Tensor& t, const Shape& sizes, const Shape& strides, std::optional<int64_t> offset) {
  PYDL_CHECK(sizes.size() == strides.size(), "mismatch in length of strides and shape");
  return strided_view("AsStridedBackward0", t, sizes, strides, offset.value_or(t.storage_offset()));
}

// Gradient of diagonal(t, offset, a, b): g (t's other dims, then the diagonal) put back on that
// diagonal of zeros shaped like t, by index_put (differentiable in g, so double backward works).
// Index tensors on dims a and b give one advanced dim, which index_put expects where a and b
// were when they are adjacent, else first.
static autograd::BackwardFn diagonal_backward(const Tensor& t, int64_t offset, int64_t a, int64_t b, int64_t len) {
  const Shape sizes = t.sizes();
  const ScalarType dt = t.dtype();
  const Device dev = t.device();
  return [=](const autograd::BackwardContext& c) {
    std::vector<Tensor> indices(static_cast<size_t>(std::max(a, b)) + 1);
    const int64_t row0 = offset < 0 ? -offset : 0, col0 = offset > 0 ? offset : 0;
    indices[a] = arange(Scalar(row0), Scalar(row0 + len), Scalar(int64_t{1}), ScalarType::Int64, dev);
    indices[b] = arange(Scalar(col0), Scalar(col0 + len), Scalar(int64_t{1}), ScalarType::Int64, dev);
    const int64_t at = std::abs(a - b) == 1 ? std::min(a, b) : 0;
    const Tensor g = movedim(c.grad(), Shape{-1}, Shape{at});
    return std::vector<Tensor>{index_put(full(sizes, Scalar(0.0), dt, dev), indices, g, /*accumulate=*/false)};
  };
}

Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  int64_t nd = t.dim();
  int64_t a = wrap_dim(dim1, nd), b = wrap_dim(dim2, nd);  // IndexError first, like PyTorch
  PYDL_CHECK(a != b, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  PYDL_CHECK(nd >= 2, "diagonal: expected a tensor with at least 2 dimensions, got ", nd);
  int64_t len, start = t.storage_offset();
  if (offset >= 0) {
    len = std::max<int64_t>(std::min(t.sizes()[a], t.sizes()[b] - offset), 0);
    if (len) start += offset * t.strides()[b];
  } else {
    len = std::max<int64_t>(std::min(t.sizes()[a] + offset, t.sizes()[b]), 0);
    if (len) start -= offset * t.strides()[a];
  }
  Shape sizes, strides;
  for (int64_t d = 0; d < nd; ++d) {
    if (d == a || d == b) continue;
    sizes.push_back(t.sizes()[d]);
    strides.push_back(t.strides()[d]);
  }
  sizes.push_back(len);
  strides.push_back(t.strides()[a] + t.strides()[b]);
  return with_grad("DiagonalBackward0", t, make_view(t, sizes, strides, start),
                   diagonal_backward(t, offset, a, b, len));
}

Tensor unfold(const Tensor& t, int64_t dim, int64_t size, int64_t step) {
  int64_t d = wrap_dim(dim, t.dim());
  int64_t extent = t.dim() ? t.sizes()[d] : 1;
  PYDL_CHECK(size <= extent, "maximum size for tensor at dimension ", d, " is ", extent, " but size is ", size);
  PYDL_CHECK(size >= 0, "size is ", size, " but must be >= 0");
  PYDL_CHECK(step > 0, "step is ", step, " but must be > 0");
  Shape sizes = t.sizes(), strides = t.strides();
  if (t.dim() == 0) {
    sizes = Shape{};
    strides = Shape{};
    sizes.push_back(size);
    strides.push_back(1);
    return strided_view("UnfoldBackward0", t, sizes, strides, t.storage_offset());
  }
  int64_t stride = strides[d];
  sizes[d] = (extent - size) / step + 1;
  if (__builtin_mul_overflow(stride, step, &strides[d])) {
    PYDL_CHECK(sizes[d] <= 1, "unfold: stride ", stride, " * step ", step, " overflows");
    strides[d] = stride;  // a single window: the stride is never used
  }
  sizes.push_back(size);
  strides.push_back(stride);
  return strided_view("UnfoldBackward0", t, sizes, strides, t.storage_offset());
}

Tensor detach(const Tensor& t) { return alias(t); }

}  // namespace pydl
