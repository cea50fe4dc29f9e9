// Triangles and diagonals: tril/triu keep one side of a diagonal (the triangle primitive: one
// pass that copies the kept run of each row and zeroes the rest), diag/diag_embed/diagflat write
// into the diagonal view of a zeroed output, or copy one out.
#include <algorithm>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace pydl {

// tril/triu: one pass of the triangle primitive, from t into a new tensor, out= or t itself.
static Tensor triangle(const char* op, const Tensor& t, int64_t k, bool upper, OutArg dest) {
  PYDL_CHECK(t.dim() >= 2, op, ": input tensor must have at least 2 dimensions");
  const int64_t rows = t.sizes()[t.dim() - 2], cols = t.sizes()[t.dim() - 1];
  k = std::clamp<int64_t>(k, -rows - 1, cols + 1);  // the same triangle, and no overflow in i + k
  Tensor out;
  if (!dest.out) {
    out = empty_like(t, std::nullopt, std::nullopt);  // a transposed input gives a transposed result
  } else if (dest.inplace) {
    out = *dest.out;
    PYDL_CHECK(!has_internal_overlap(out), op, "_: unsupported operation: more than one element of the written-to "
               "tensor refers to a single memory location. Please clone() the tensor before performing the operation.");
  } else {
    PYDL_CHECK(dest.out->dtype() == t.dtype(), "Expected out tensor to have dtype ", t.dtype(), ", but got ",
               dest.out->dtype(), " instead");
    out = make_output(op, dest, t.sizes(), t.dtype(), t.device());
  }
  // The primitive reads row by row while writing: a partially overlapping out= reads a copy.
  const bool same = out.data_ptr() == t.data_ptr() && out.strides() == t.strides();
  Tensor src = dest.out && !same && may_overlap(out, t) ? clone(t) : t;
  if (out.numel() > 0) {
    const int64_t nd = out.dim();
    // Rows are the primitive's contiguous runs: for a column-major out, the triangle of the
    // transposed matrices is the other one, about diagonal -k.
    if (out.strides()[nd - 2] < out.strides()[nd - 1])
      backend(t.device().type).triangle(transpose(out, -2, -1), transpose(src, -2, -1), -k, !upper);
    else
      backend(t.device().type).triangle(out, src, k, upper);
  }
  if (dest.out) out.bump_version();
  return out;
}

// The gradient keeps the same triangle.
static Tensor triangle_with_grad(const char* name, const Tensor& t, int64_t k, bool upper, OutArg dest) {
  Tensor out = triangle(upper ? "triu" : "tril", t, k, upper, dest);
  if (dest.out || !autograd::needs_grad({&t})) return out;
  autograd::record(name, {t}, {out}, {}, {}, [k, upper](const autograd::BackwardContext& c) {
    return std::vector<Tensor>{upper ? triu(c.grad(), k) : tril(c.grad(), k)};
  });
  return out;
}

Tensor tril(const Tensor& t, int64_t diagonal, OutArg dest) { return triangle_with_grad("TrilBackward0", t, diagonal, false, dest); }
Tensor triu(const Tensor& t, int64_t diagonal, OutArg dest) { return triangle_with_grad("TriuBackward0", t, diagonal, true, dest); }

Tensor diag(const Tensor& t, int64_t k, OutArg dest) {
  PYDL_CHECK(t.dim() == 1 || t.dim() == 2, "diag(): Supports 1D or 2D tensors. Got ", t.dim(), "D");
  if (dest.out) {
    PYDL_CHECK(can_cast(t.dtype(), dest.out->dtype()), "diag: result type ", t.dtype(),
               " can't be cast to the desired out= type ", dest.out->dtype());
  }
  if (dest.out) detail::check_autograd_target("diag", autograd::needs_grad({&t}), *dest.out, dest.inplace);
  if (t.dim() == 1) {  // vector -> matrix with the vector on diagonal k
    const int64_t n = t.numel() + (k < 0 ? -k : k);
    Tensor out = make_output("diag", dest, Shape{n, n}, t.dtype(), t.device());
    {
      autograd::AutoGradMode no_grad(false);  // out's history is the one recorded below
      zero_(out);
      Tensor d = diagonal(out, k, 0, 1);
      copy_(d, t);
    }
    if (!dest.out && is_floating(t.dtype()) && autograd::needs_grad({&t}))
      autograd::record("DiagBackward0", {t}, {out}, {}, {}, [k](const autograd::BackwardContext& c) {
        return std::vector<Tensor>{diagonal(c.grad(), k, 0, 1)};
      });
    return out;
  }
  if (!dest.out) return clone(diagonal(t, k, 0, 1));  // matrix -> its diagonal (DiagonalBackward0)
  Tensor src = diagonal(t, k, 0, 1);
  Tensor out = make_output("diag", dest, src.sizes(), t.dtype(), t.device());
  copy_(out, src);
  return out;
}

Tensor diag_embed(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  const int64_t nd = t.dim() + 1;
  const int64_t a = wrap_dim(dim1, nd), b = wrap_dim(dim2, nd);
  PYDL_CHECK(a != b, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const int64_t last = t.dim() ? t.sizes().back() : 1;
  const int64_t n = last + (offset < 0 ? -offset : offset);
  // The batch dims of t in order, with the two new dims of size n at a and b.
  Shape shape;
  for (int64_t d = 0, src = 0; d < nd; ++d) shape.push_back(d == a || d == b ? n : t.sizes()[src++]);
  Tensor out = empty(shape, t.dtype(), t.device());
  zero_(out);
  copy_no_overlap(diagonal(out, offset, a, b), t, "diag_embed");
  out.impl()->version_counter()->version = 0;  // a new tensor, not a modified one
  if (is_floating(t.dtype()) && autograd::needs_grad({&t}))
    autograd::record("DiagEmbedBackward0", {t}, {out}, {}, {}, [offset, a, b](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{diagonal(c.grad(), offset, a, b)};
    });
  return out;
}

Tensor diagflat(const Tensor& t, int64_t offset) { return diag(reshape(t, Shape{t.numel()}), offset); }

}  // namespace pydl
