// Sorting ops: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique,
// unique_consecutive. The backend primitives work on contiguous rows along the last dim, so
// each op moves its dim to the end (transpose + contiguous), runs one or two primitives, and
// transposes the result back (a view, as PyTorch returns it).
#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl {
namespace {

// Length of `dim` (a 0-d tensor is one element along dim 0 / -1).
int64_t dim_len(const Tensor& x, int64_t dim) { return x.dim() == 0 ? 1 : x.sizes()[dim]; }

// x with `dim` swapped to the end and made contiguous: the rows the primitives take.
Tensor rows_along(const Tensor& x, int64_t dim) {
  if (x.dim() == 0 || dim == x.dim() - 1) return contiguous(x);
  return contiguous(transpose(x, dim, -1));
}

// Undoes rows_along on a result laid out as rows (a view, no copy).
Tensor unrows(const Tensor& r, int64_t dim, int64_t ndim) {
  if (ndim == 0 || dim == ndim - 1) return r;
  return transpose(r, dim, -1);
}

// A new rows-layout result like `rows` with `len` elements per row.
Tensor alloc_rows(const Tensor& rows, int64_t len, ScalarType dtype) {
  Shape s = rows.sizes();
  if (!s.empty()) s.back() = len;
  return empty(s, dtype, rows.device());
}

// A rows-layout result of one element per row, as the reduction of an ndim-d input over dim.
Tensor reduced(const Tensor& r, int64_t dim, int64_t ndim, bool keepdim) {
  if (ndim == 0) return r;
  Tensor t = unrows(r, dim, ndim);
  return contiguous(keepdim ? t : squeeze(t, Shape{dim}));
}


// Like PyTorch, the selection ops have no bool kernels.
void check_not_bool(const Tensor& x, const char* op) {
  PYDL_CHECK_NOT_IMPLEMENTED(x.dtype() != ScalarType::Bool, "\"", op, "\" not implemented for 'Bool'");
}

void check_nonempty_dim(const Tensor& x, int64_t dim, const char* op) {
  PYDL_CHECK_INDEX(dim_len(x, dim) > 0, op, "(): Expected reduction dim ", dim, " to have non-zero size.");
}

// Values picked from x along d at the returned indices (sort, topk, kthvalue, median, mode):
// the gradient goes back to those positions; the indices get none.
TensorPair values_grad(const char* name, const Tensor& x, int64_t d, TensorPair r, const OutPair& out) {
  if (out.given() || !is_floating(x.dtype()) || !autograd::needs_grad({&x})) return r;
  const Shape sizes = x.sizes();
  const bool reduced = r.first.dim() < x.dim();
  autograd::record(name, {x}, {r.first}, {r.second}, {}, [sizes, d, reduced](const autograd::BackwardContext& c) {
    if (sizes.empty()) return std::vector<Tensor>{c.grad()};
    Tensor idx = reduced ? unsqueeze(c.saved[0], d) : c.saved[0];
    Tensor g = reduced ? unsqueeze(c.grad(), d) : c.grad();
    return std::vector<Tensor>{scatter(full(sizes, Scalar(0.0), g.dtype(), g.device()), d, idx, g, "")};
  });
  return r;
}

// median / nanmedian / mode over dim.
TensorPair pick_along(RowStat kind, const char* op, const Tensor& x, int64_t dim, bool keepdim, OutPair out) {
  const int64_t d = wrap_dim(dim, x.dim());
  if (kind != RowStat::Mode) check_not_bool(x, op);
  check_nonempty_dim(x, d, op);
  Tensor in = rows_along(x, d);
  Tensor v = alloc_rows(in, 1, x.dtype()), i = alloc_rows(in, 1, ScalarType::Int64);
  if (x.numel() > 0) backend(x.device().type).row_stat(kind, v, i, in);
  return values_grad(op, x, d, store_pair({reduced(v, d, x.dim(), keepdim), reduced(i, d, x.dim(), keepdim)}, out, op), out);
}

// The lower median of all elements, as a 0-d tensor.
Tensor pick_all(RowStat kind, const char* op, const Tensor& x) {
  check_not_bool(x, op);
  if (x.numel() == 0) {
    PYDL_CHECK(is_floating(x.dtype()), op, "(): cannot take the median of an empty ", x.dtype(), " tensor");
    return full(Shape{}, Scalar(NAN), x.dtype(), x.device());
  }
  return view(pick_along(kind, op, reshape(x, Shape{-1}), 0, false, {}).first, Shape{});
}

// unique's grouping: runs of equal elements of `seq` (values of a 1-D seq, rows of a 2-D one)
// read in the order `perm` (the sorting permutation for unique; undefined, the identity, for
// unique_consecutive). The inverse has `inverse_shape`; values keep seq's row shape.
std::tuple<Tensor, Tensor, Tensor> group_runs(const Tensor& seq, const Tensor& perm, const Shape& inverse_shape,
                                              bool return_inverse, bool return_counts) {
  const int64_t n = seq.sizes()[0];
  Tensor values = empty(seq.sizes(), seq.dtype(), seq.device());
  Tensor inverse = return_inverse ? empty(inverse_shape, ScalarType::Int64, seq.device()) : Tensor();
  Tensor counts = return_counts ? empty(Shape{n}, ScalarType::Int64, seq.device()) : Tensor();
  const int64_t groups = n == 0 ? 0 : backend(seq.device().type).unique_consecutive(values, inverse, counts, seq, perm);
  // Trim to the groups found, without keeping the input-sized buffers alive.
  auto trim = [&](const Tensor& t) { return groups == n ? t : clone(narrow(t, 0, 0, groups)); };
  return {trim(values), inverse, return_counts ? trim(counts) : counts};
}

// unique(dim=) / unique_consecutive(dim=): the slices along dim as the rows of a 2-D tensor,
// grouped (after a lexicographic sort when `sorted`), and the unique slices moved back.
std::tuple<Tensor, Tensor, Tensor> unique_slices(const char* op, const Tensor& x, int64_t dim, bool sorted,
                                                 bool return_inverse, bool return_counts) {
  PYDL_CHECK_INDEX(x.dim() > 0, "Dimension specified as ", dim, " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, x.dim());
  Shape order{d}, back(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i == d) continue;
    order.push_back(i);
    PYDL_CHECK(x.sizes()[i] > 0, op, "(): There are 0 sized dimensions, and they aren't selected, so unique "
               "cannot be applied (input shape ", x.sizes(), ", dim ", d, ")");
  }
  for (int64_t i = 0; i < x.dim(); ++i) back[order[i]] = i;
  Tensor moved = contiguous(permute(x, order));
  const int64_t n = x.sizes()[d];
  Tensor rows = view(moved, Shape{n, n == 0 ? 0 : x.numel() / n});
  Tensor perm;
  if (sorted && n > 0) {
    perm = empty(Shape{n}, ScalarType::Int64, x.device());
    backend(x.device().type).lexsort_rows(perm, rows);
  }
  auto [values, inverse, counts] = group_runs(rows, perm, Shape{n}, return_inverse, return_counts);
  Shape vshape = moved.sizes();
  vshape[0] = values.sizes()[0];
  return {contiguous(permute(view(values, vshape), back)), inverse, counts};
}

}  // namespace


TensorPair sort(const Tensor& x, int64_t dim, bool descending, bool stable, OutPair out) {
  const int64_t d = wrap_dim(dim, x.dim());
  Tensor in = rows_along(x, d);
  Tensor v = empty(in.sizes(), x.dtype(), x.device()), i = empty(in.sizes(), ScalarType::Int64, x.device());
  if (x.numel() > 0) backend(x.device().type).sort(v, i, in, descending, stable);
  return values_grad("SortBackward0", x, d, store_pair({unrows(v, d, x.dim()), unrows(i, d, x.dim())}, out, "sort"), out);
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  return sort(x, dim, descending, stable).second;
}

Tensor msort(const Tensor& x, OutArg dest) {
  Tensor v = sort(x, 0, false, false).first;
  return dest.out ? write_out(*dest.out, v, "msort") : v;
}

TensorPair topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted, OutPair out) {
  const int64_t d = wrap_dim(dim, x.dim());
  PYDL_CHECK(x.dtype() != ScalarType::Bool, "topk(): topk does not support bool dtypes on CPU");
  PYDL_CHECK(k >= 0 && k <= dim_len(x, d), "topk(): selected index k out of range (k = ", k, ", size of dim ", d,
             " = ", dim_len(x, d), ")");
  Tensor in = rows_along(x, d);
  Tensor v = alloc_rows(in, k, x.dtype()), i = alloc_rows(in, k, ScalarType::Int64);
  // A 0-d input is its own top-k, even for k = 0 (as in PyTorch).
  if (v.numel() > 0) backend(x.device().type).topk(v, i, in, x.dim() == 0 ? 1 : k, largest, sorted);
  return values_grad("TopkBackward0", x, d, store_pair({unrows(v, d, x.dim()), unrows(i, d, x.dim())}, out, "topk"), out);
}

TensorPair kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim, OutPair out) {
  const int64_t d = wrap_dim(dim, x.dim());
  check_not_bool(x, "kthvalue");
  check_nonempty_dim(x, d, "kthvalue");
  PYDL_CHECK(k >= 1 && k <= dim_len(x, d), "kthvalue(): selected number k out of range for dimension ", d,
             " (k = ", k, ", size = ", dim_len(x, d), ")");
  Tensor in = rows_along(x, d);
  Tensor v = alloc_rows(in, k, x.dtype()), i = alloc_rows(in, k, ScalarType::Int64);
  if (v.numel() > 0) backend(x.device().type).topk(v, i, in, k, /*largest=*/false, /*sorted=*/false);
  if (in.dim() > 0) {  // the k-th smallest sits last
    v = narrow(v, -1, k - 1, 1);
    i = narrow(i, -1, k - 1, 1);
  }
  return values_grad("KthvalueBackward0", x, d, store_pair({reduced(v, d, x.dim(), keepdim), reduced(i, d, x.dim(), keepdim)}, out, "kthvalue"), out);
}

TensorPair median(const Tensor& x, int64_t dim, bool keepdim, OutPair out) {
  return pick_along(RowStat::Median, "median", x, dim, keepdim, out);
}
TensorPair nanmedian(const Tensor& x, int64_t dim, bool keepdim, OutPair out) {
  return pick_along(RowStat::NanMedian, "nanmedian", x, dim, keepdim, out);
}
Tensor median(const Tensor& x) { return pick_all(RowStat::Median, "median", x); }
Tensor nanmedian(const Tensor& x) { return pick_all(RowStat::NanMedian, "nanmedian", x); }

TensorPair mode(const Tensor& x, int64_t dim, bool keepdim, OutPair out) {
  return pick_along(RowStat::Mode, "mode", x, dim, keepdim, out);
}

// unique's values have no derivative in PyTorch either ("the derivative for '_unique2' is not
// implemented"): they still join the graph, so that backward raises instead of reading zeros.
static std::tuple<Tensor, Tensor, Tensor> no_derivative(const char* name, const Tensor& x,
                                                        std::tuple<Tensor, Tensor, Tensor> r) {
  if (is_floating(x.dtype()) && autograd::needs_grad({&x}))
    autograd::record(name, {x}, {std::get<0>(r)}, {}, {}, autograd::not_implemented(name));
  return r;
}

std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& x, bool return_inverse, bool return_counts) {
  Tensor flat = contiguous(reshape(x, Shape{-1}));
  Tensor sorted = empty(flat.sizes(), x.dtype(), x.device()), perm = empty(flat.sizes(), ScalarType::Int64, x.device());
  if (x.numel() > 0) backend(x.device().type).sort(sorted, perm, flat, /*descending=*/false, /*stable=*/false);
  return no_derivative("unique", x, group_runs(flat, perm, x.sizes(), return_inverse, return_counts));
}

std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& x, bool return_inverse, bool return_counts) {
  return no_derivative("unique_consecutive", x, group_runs(contiguous(reshape(x, Shape{-1})), Tensor(), x.sizes(),
                                                           return_inverse, return_counts));
}

std::tuple<Tensor, Tensor, Tensor> unique_dim(const Tensor& x, int64_t dim, bool return_inverse, bool return_counts) {
  return no_derivative("unique", x, unique_slices("unique", x, dim, /*sorted=*/true, return_inverse, return_counts));
}

std::tuple<Tensor, Tensor, Tensor> unique_consecutive_dim(const Tensor& x, int64_t dim, bool return_inverse,
                                                          bool return_counts) {
  return no_derivative("unique_consecutive", x, unique_slices("unique_consecutive", x, dim, /*sorted=*/false,
                                                              return_inverse, return_counts));
}

}  // namespace pydl
