// Triangles and diagonals: tril/triu keep one side of a diagonal (a where() over a mask built
// from index comparisons), diag/diag_embed/diagflat write into the diagonal view of a zeroed
// output, or copy one out.
#include <algorithm>

#include "ops/ops.h"

namespace pydl {

// The kept side of diagonal `k` of the last two dims: i + k >= j (tril) or i + k <= j (triu).
static Tensor triangle(const char* op, const Tensor& t, int64_t k, bool upper, OutArg dest) {
  PYDL_CHECK(t.dim() >= 2, op, ": input tensor must have at least 2 dimensions");
  if (dest.out && !dest.inplace) {
    PYDL_CHECK(dest.out->dtype() == t.dtype(), "Expected out tensor to have dtype ", t.dtype(), ", but got ",
               dest.out->dtype(), " instead");
  }
  const int64_t rows = t.sizes()[t.dim() - 2], cols = t.sizes()[t.dim() - 1];
  k = std::clamp<int64_t>(k, -rows, cols);  // same mask, and no overflow in i + k
  const Device dev = t.device();
  const Scalar one(int64_t(1));
  Tensor i_plus_k = view(arange(Scalar(k), Scalar(rows + k), one, ScalarType::Int64, dev), Shape{rows, 1});
  Tensor j = arange(Scalar(int64_t(0)), Scalar(cols), one, ScalarType::Int64, dev);
  Tensor keep = binary(upper ? BinaryOp::Le : BinaryOp::Ge, i_plus_k, j);
  Tensor zero = full(Shape{}, Scalar(int64_t(0)), t.dtype(), dev);
  return where(keep, t, zero, dest);
}

Tensor tril(const Tensor& t, int64_t diagonal, OutArg dest) { return triangle("tril", t, diagonal, false, dest); }
Tensor triu(const Tensor& t, int64_t diagonal, OutArg dest) { return triangle("triu", t, diagonal, true, dest); }

Tensor diag(const Tensor& t, int64_t k, OutArg dest) {
  PYDL_CHECK(t.dim() == 1 || t.dim() == 2, "diag(): Supports 1D or 2D tensors. Got ", t.dim(), "D");
  if (dest.out) {
    PYDL_CHECK(can_cast(t.dtype(), dest.out->dtype()), "diag: result type ", t.dtype(),
               " can't be cast to the desired out= type ", dest.out->dtype());
  }
  if (t.dim() == 1) {  // vector -> matrix with the vector on diagonal k
    const int64_t n = t.numel() + (k < 0 ? -k : k);
    Tensor out = make_output("diag", dest, Shape{n, n}, t.dtype(), t.device());
    zero_(out);
    Tensor d = diagonal(out, k, 0, 1);
    copy_(d, t);
    return out;
  }
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
  return out;
}

Tensor diagflat(const Tensor& t, int64_t offset) { return diag(reshape(t, Shape{t.numel()}), offset); }

}  // namespace pydl
