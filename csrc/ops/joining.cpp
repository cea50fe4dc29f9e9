// Joining and splitting: cat and the stacks copy each input into a narrowed view of one output;
// split, chunk, unbind and tensor_split return views of the input.
#include <algorithm>

#include "autograd/formulas.h"
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace pydl {

// PyTorch's legacy rule: a 1-D tensor of shape (0,) joins any cat and is skipped.
static bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.sizes()[0] == 0; }

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim, OutArg dest) {
  PYDL_CHECK_VALUE(!tensors.empty(), "torch.cat(): expected a non-empty list of Tensors");
  if (dest.out) detail::check_autograd_target("cat", autograd::needs_grad(tensors), *dest.out, dest.inplace);
  ScalarType dtype = tensors[0].dtype();
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    PYDL_CHECK(t.dim() > 0, "zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    PYDL_CHECK(t.device() == tensors[0].device(), "Expected all tensors to be on the same device, but found at "
               "least two devices, ", tensors[0].device().str(), " and ", t.device().str(), "!");
    dtype = promote_types(dtype, t.dtype());
    if (!ref && !skipped_in_cat(t)) ref = &t;
  }
  if (!ref) ref = &tensors[0];  // all are (0,): the result is (0,)
  const int64_t d = wrap_dim(dim, ref->dim());
  Shape shape = ref->sizes();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped_in_cat(t)) continue;
    PYDL_CHECK(t.dim() == ref->dim(), "Tensors must have same number of dimensions: got ", ref->dim(), " and ",
               t.dim());
    for (int64_t k = 0; k < t.dim(); ++k) {
      PYDL_CHECK(k == d || t.sizes()[k] == ref->sizes()[k], "Sizes of tensors must match except in dimension ", d,
                 ". Expected size ", ref->sizes()[k], " but got size ", t.sizes()[k], " for tensor number ", i,
                 " in the list.");
    }
    shape[d] += t.sizes()[d];
  }
  if (dest.out) {
    PYDL_CHECK_TYPE(can_cast(dtype, dest.out->dtype()), "torch.cat(): input types can't be cast to the desired "
                    "output type ", dest.out->dtype());
  }
  Tensor out = make_output("cat", dest, shape, dtype, ref->device());
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (skipped_in_cat(t)) continue;
    const int64_t n = t.sizes()[d];
    if (n == 0) continue;
    Tensor part = narrow(out, d, offset, n);
    if (dest.out) {
      copy_(part, t);  // handles inputs that overlap the user's out=
    } else {
      copy_no_overlap(part, t, "cat");  // a fresh output overlaps nothing
    }
    offset += n;
  }
  if (dest.out) {
    out.bump_version();
    return out;
  }
  if (!autograd::needs_grad(tensors)) return out;
  // Each input's gradient is its slice of g along d (the skipped (0,) tensors get none).
  std::vector<int64_t> lengths;
  for (const Tensor& t : tensors) lengths.push_back(skipped_in_cat(t) ? -1 : t.sizes()[d]);
  autograd::record("CatBackward0", tensors, {out}, {}, {}, [d, lengths](const autograd::BackwardContext& c) {
    std::vector<Tensor> g(lengths.size());
    int64_t at = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      if (lengths[i] < 0) continue;
      if (c.needs(i)) g[i] = narrow(c.grad(), d, at, lengths[i]);
      at += lengths[i];
    }
    return g;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim, OutArg dest) {
  PYDL_CHECK(!tensors.empty(), "stack expects a non-empty TensorList");
  for (size_t i = 1; i < tensors.size(); ++i) {
    PYDL_CHECK(tensors[i].sizes() == tensors[0].sizes(), "stack expects each tensor to be equal size, but got ",
               tensors[0].sizes(), " at entry 0 and ", tensors[i].sizes(), " at entry ", i);
  }
  const int64_t d = wrap_dim(dim, tensors[0].dim() + 1);
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, d));
  return cat(parts, d, dest);
}

Tensor atleast_nd(const Tensor& t, int64_t n) {
  if (t.dim() >= n) return t;
  if (n == 1) return reshape(t, Shape{1});
  if (n == 2) return t.dim() == 0 ? reshape(t, Shape{1, 1}) : unsqueeze(t, 0);
  // 3-D: numpy's rule, () -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1).
  if (t.dim() == 0) return reshape(t, Shape{1, 1, 1});
  if (t.dim() == 1) return unsqueeze(unsqueeze(t, 0), 2);
  return unsqueeze(t, 2);
}

// cat of the inputs each passed through `prepare`, along `dim(first prepared)`.
template <typename Prepare, typename Dim>
static Tensor stack_like(const char* op, const std::vector<Tensor>& tensors, OutArg dest, const Prepare& prepare,
                         const Dim& dim) {
  PYDL_CHECK(!tensors.empty(), op, " expects a non-empty TensorList");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(prepare(t));
  return cat(parts, dim(parts[0]), dest);
}

Tensor hstack(const std::vector<Tensor>& tensors, OutArg dest) {
  return stack_like("hstack", tensors, dest, [](const Tensor& t) { return atleast_nd(t, 1); },
                    [](const Tensor& first) { return first.dim() == 1 ? 0 : 1; });
}

Tensor vstack(const std::vector<Tensor>& tensors, OutArg dest) {
  return stack_like("vstack", tensors, dest, [](const Tensor& t) { return atleast_nd(t, 2); },
                    [](const Tensor&) { return 0; });
}

Tensor dstack(const std::vector<Tensor>& tensors, OutArg dest) {
  return stack_like("dstack", tensors, dest, [](const Tensor& t) { return atleast_nd(t, 3); },
                    [](const Tensor&) { return 2; });
}

Tensor column_stack(const std::vector<Tensor>& tensors, OutArg dest) {
  return stack_like("column_stack", tensors, dest,
                    [](const Tensor& t) { return t.dim() <= 1 ? reshape(t, Shape{t.numel(), 1}) : t; },
                    [](const Tensor&) { return 1; });
}

std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim) {
  PYDL_CHECK(t.dim() > 0, "split expects at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t size = t.sizes()[d];
  PYDL_CHECK(split_size >= 0, "split expects split_size be non-negative, but got split_size=", split_size);
  PYDL_CHECK(split_size > 0 || size == 0, "split_size can only be 0 if dimension size is 0, but got dimension size of ",
             size);
  const int64_t n = split_size == 0 ? 1 : std::max<int64_t>((size + split_size - 1) / split_size, 1);
  std::vector<Tensor> out;
  out.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t start = i * split_size;
    out.push_back(narrow(t, d, start, std::min(split_size, size - start)));
  }
  return out;
}

std::vector<Tensor> split_with_sizes(const Tensor& t, const Shape& sizes, int64_t dim) {
  PYDL_CHECK(t.dim() > 0, "split expects at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, t.dim());
  int64_t total = 0;
  for (int64_t s : sizes) {
    PYDL_CHECK(s >= 0, "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=",
               sizes);
    total += s;
  }
  PYDL_CHECK(total == t.sizes()[d], "split_with_sizes expects split_sizes to sum exactly to ", t.sizes()[d],
             " (input tensor's size at dimension ", d, "), but got split_sizes=", sizes);
  std::vector<Tensor> out;
  out.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow(t, d, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  PYDL_CHECK(t.dim() > 0, "chunk expects at least a 1-dimensional tensor");
  PYDL_CHECK(chunks > 0, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t size = t.sizes()[d];
  const int64_t split_size = (size + chunks - 1) / chunks;
  // An empty dim gives `chunks` empty pieces, as in PyTorch.
  if (split_size == 0 && size == 0) return split_with_sizes(t, Shape(static_cast<size_t>(chunks), 0), d);
  return split(t, split_size, d);
}

std::vector<Tensor> unbind(const Tensor& t, int64_t dim) {
  PYDL_CHECK_INDEX(t.dim() > 0, "Dimension specified as ", dim, " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, t.dim());
  std::vector<Tensor> out;
  out.reserve(t.sizes()[d]);
  for (int64_t i = 0; i < t.sizes()[d]; ++i) out.push_back(select(t, d, i));
  return out;
}

std::vector<Tensor> tensor_split(const Tensor& t, int64_t sections, int64_t dim) {
  PYDL_CHECK(t.dim() > 0, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  PYDL_CHECK(sections > 0, "number of sections must be larger than 0, got ", sections);
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t size = t.sizes()[d], base = size / sections, extra = size % sections;
  std::vector<Tensor> out;
  out.reserve(sections);
  int64_t start = 0;
  for (int64_t i = 0; i < sections; ++i) {
    const int64_t len = base + (i < extra ? 1 : 0);
    out.push_back(narrow(t, d, start, len));
    start += len;
  }
  return out;
}

std::vector<Tensor> tensor_split_indices(const Tensor& t, const Shape& indices, int64_t dim) {
  PYDL_CHECK(t.dim() > 0, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  const int64_t d = wrap_dim(dim, t.dim());
  std::vector<Tensor> out;
  out.reserve(indices.size() + 1);
  int64_t start = 0;
  // Python slice semantics between consecutive indices (negative ones count from the end).
  for (int64_t idx : indices) {
    out.push_back(slice(t, d, start, idx, 1));
    start = idx;
  }
  out.push_back(slice(t, d, start, std::nullopt, 1));
  return out;
}

}  // namespace pydl
