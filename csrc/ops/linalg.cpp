// Matrix products: mm, bmm, mv, dot, vdot, outer, addmm, addmv, baddbmm, addbmm, matmul and
// linear. Each checks its operands with PyTorch's messages and reduces to `product` below: one
// backend gemm over operands already arranged as [batch..., m, k] @ [batch..., k, n], where
// vectors become 1-column matrices and broadcast batch dims are stride-0 views, so nothing is
// copied on the way to the kernel (the kernel packs any strides, transposes included).
//
// Autograd: `product` records one node, d(alpha a@b + beta c) = (alpha g b^T, alpha a^T g, beta g).
// The views that arranged the operands (unsqueeze, expand, t(), reshape) record their own nodes,
// which reduce those gradients back to each input's shape (an expanded batch dim is summed).
// The formulas are themselves matrix products, so double backward works.
#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace pydl {
namespace {

bool is_zero(const Scalar& s) { return s.is_float() ? s.to_double() == 0.0 : s.to_int() == 0; }
bool is_one(const Scalar& s) { return s.is_float() ? s.to_double() == 1.0 : s.to_int() == 1; }

void check_dtype(const char* op, const Tensor& a, const Tensor& b, const char* what) {
  PYDL_CHECK(a.dtype() == b.dtype(), op, ": expected ", what, " to have the same dtype, but got: ", a.dtype(),
             " != ", b.dtype());
  PYDL_CHECK_NOT_IMPLEMENTED(a.dtype() != ScalarType::Bool, "\"", op, "\" not implemented for '", a.dtype(), "'");
  PYDL_CHECK(a.device() == b.device(), op, ": Expected all tensors to be on the same device, but found at least two "
             "devices, ", a.device().str(), " and ", b.device().str(), "!");
}

void check_dim(const char* op, const Tensor& t, int64_t dim, const char* name) {
  PYDL_CHECK(t.dim() == dim, op, ": ", name, " must be a ", dim == 1 ? "vector" : dim == 2 ? "matrix" : "3D tensor",
             ", but got a ", t.dim(), "-D tensor of shape ", t.sizes());
}

Tensor scaled(const Tensor& t, const Scalar& s) { return is_one(s) ? t : t * wrap_scalar(s); }

// x @ y, computed so that it comes out in the memory layout of `like` (the operand this is the
// gradient of): for a column-major operand, such as linear's weight.t(), as (y^T @ x^T)^T, a
// transposed view of a row-major product. Its gradient then reaches the weight without a
// transposing copy (PyTorch's mm_mat2_backward does the same).
Tensor product_like(const Tensor& x, const Tensor& y, const Tensor& like) {
  const bool column_major = like.dim() >= 2 && like.size(-2) > 1 && like.size(-1) > 1 && like.stride(-2) == 1 &&
                            like.stride(-1) == like.size(-2);
  if (column_major) return matrix_transpose(matmul(matrix_transpose(y), matrix_transpose(x)));
  return matmul(x, y);
}

// beta * c + alpha * a @ b, a [batch..., m, k] and b [batch..., k, n] with equal batch dims, c
// (undefined: no such term) already expanded to the result's shape. Writes a fresh tensor,
// out= (dest.out), or c itself (dest.inplace, c is *dest.out).
Tensor product(const char* op, const char* node, const Tensor& a, const Tensor& b, const Tensor& c,
               const Scalar& beta, const Scalar& alpha, OutArg dest) {
  Shape shape = a.sizes();
  shape.back() = b.sizes().back();
  const ScalarType dtype = a.dtype();
  const bool with_c = c.defined() && !is_zero(beta);
  const bool grad = autograd::needs_grad({&a, &b, &c});
  Tensor target;
  if (dest.out) {
    detail::check_autograd_target(op, grad, *dest.out, dest.inplace);
    if (dest.inplace) {
      PYDL_CHECK(dest.out->sizes() == shape, op, "_: output with shape ", dest.out->sizes(),
                 " doesn't match the broadcast shape ", shape);
    }
    // PyTorch's matrix products take an out= of the result's dtype only (no casting).
    PYDL_CHECK(dest.out->dtype() == dtype, op, ": Expected out tensor to have dtype ", dtype, ", but got ",
               dest.out->dtype(), " instead");
    target = make_output(op, dest, shape, dtype, a.device());
    // The kernel writes out directly unless out= shares memory with a or b.
    if (may_overlap(target, a) || may_overlap(target, b)) {
      Tensor result = product(op, node, a, b, c, beta, alpha, {});
      copy_(target, result);
      return target;
    }
  } else {
    target = empty(shape, dtype, a.device());
  }
  if (with_c && !dest.inplace) copy_(target, c);
  if (target.numel() > 0) backend(a.device().type).gemm(target, a, b, alpha, with_c ? beta : Scalar(int64_t{0}));
  if (dest.out) target.bump_version();  // autograd must see that out= / self was overwritten
  if (grad && is_floating(dtype)) {
    const bool has_c = c.defined();
    std::vector<Tensor> inputs = {a, b};
    if (has_c) inputs.push_back(c);
    autograd::record(node, inputs, {target}, {a, b}, {}, [alpha, beta](const autograd::BackwardContext& ctx) {
      const Tensor &g = ctx.grad(), &a = ctx.saved[0], &b = ctx.saved[1];
      std::vector<Tensor> grads(ctx.edges->size());
      if (ctx.needs(0)) grads[0] = scaled(product_like(g, matrix_transpose(b), a), alpha);
      if (ctx.needs(1)) grads[1] = scaled(product_like(matrix_transpose(a), g, b), alpha);
      if (grads.size() > 2 && ctx.needs(2)) grads[2] = scaled(g, beta);
      return grads;
    });
  }
  return target;
}

void check_mm(const char* op, const Tensor& a, const Tensor& b) {
  check_dtype(op, a, b, "m1 and m2");
  PYDL_CHECK(a.size(1) == b.size(0), op, ": mat1 and mat2 shapes cannot be multiplied (", a.size(0), "x", a.size(1),
             " and ", b.size(0), "x", b.size(1), ")");
}

void check_bmm(const char* op, const Tensor& a, const Tensor& b) {
  check_dim(op, a, 3, "batch1");
  check_dim(op, b, 3, "batch2");
  check_dtype(op, a, b, "batch1 and batch2");
  PYDL_CHECK(b.size(0) == a.size(0) && b.size(1) == a.size(2), op,
             ": Expected size for first two dimensions of batch2 tensor to be: [", a.size(0), ", ", a.size(2),
             "] but got: [", b.size(0), ", ", b.size(1), "].");
}

// input_len: the length of addmv's input (1 broadcasts), or mat's rows for mv.
void check_mv(const char* op, const Tensor& mat, const Tensor& vec, int64_t input_len) {
  PYDL_CHECK(mat.dim() == 2 && vec.dim() == 1, op, ": vector + matrix @ vector expected, got ", 1, ", ", mat.dim(),
             ", ", vec.dim());
  check_dtype(op, mat, vec, "mat and vec");
  PYDL_CHECK(mat.size(1) == vec.size(0) && (input_len == mat.size(0) || input_len == 1), op,
             ": size mismatch, got input (", input_len, "), mat (", mat.size(0), "x",
             mat.size(1), "), vec (", vec.size(0), ")");
}

void check_input_dtype(const char* op, const Tensor& input, const Tensor& mat) {
  PYDL_CHECK(input.dtype() == mat.dtype(), op, ": self and mat2 must have the same dtype, but got ", input.dtype(),
             " and ", mat.dtype());
}

// Result of a composite (views around a product) written to out= when one is given; out= must
// have the result's dtype, as for every matrix product.
Tensor finish(const char* op, const Tensor& result, OutArg dest) {
  if (!dest.out) return result;
  detail::check_autograd_target(op, result.requires_grad(), *dest.out, dest.inplace);
  return write_out(*dest.out, result, op);
}

// t [..., n] as one [rows, n] matrix (a view for contiguous t); explicit sizes, because
// reshape(-1, 0) of an empty tensor is ambiguous.
Tensor as_rows(const Tensor& t) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < t.dim(); ++d) rows *= t.size(d);
  return reshape(t, Shape{rows, t.size(-1)});
}

// A vector as a one-column matrix for the kernel (make_view: no autograd node, same storage and
// version counter).
Tensor as_column(const Tensor& v) {
  return make_view(v, Shape{v.size(0), 1}, Shape{v.stride(0), 1}, v.storage_offset());
}

// mv and dot call the kernel on such views and record their own formulas (MvBackward0,
// DotBackward0, as PyTorch names them), skipping the view nodes that going through mm would add.
void run_gemm(const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out.numel() > 0) backend(a.device().type).gemm(out, a, b, Scalar(int64_t{1}), Scalar(int64_t{0}));
}

// [batch..., m, k] @ [batch..., k, n] for operands of at least 2 dims: batch dims broadcast.
Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  const int64_t na = a.dim(), nb = b.dim();
  PYDL_CHECK(a.size(-1) == b.size(-2), "matmul: shapes ", a.sizes(), " and ", b.sizes(),
             " cannot be multiplied (", a.size(-1), " columns against ", b.size(-2), " rows)");
  const Shape batch = broadcast_shapes(Shape(a.sizes().begin(), a.sizes().end() - 2),
                                       Shape(b.sizes().begin(), b.sizes().end() - 2), "matmul");
  Shape sa = batch, sb = batch;
  sa.push_back(a.size(na - 2)), sa.push_back(a.size(na - 1));
  sb.push_back(b.size(nb - 2)), sb.push_back(b.size(nb - 1));
  return product("matmul", "BmmBackward0", expand(a, sa), expand(b, sb), Tensor(), Scalar(int64_t{0}),
                 Scalar(int64_t{1}), {});
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b, OutArg dest) {
  check_dim("mm", a, 2, "self");
  check_dim("mm", b, 2, "mat2");
  check_mm("mm", a, b);
  return product("mm", "MmBackward0", a, b, Tensor(), Scalar(int64_t{0}), Scalar(int64_t{1}), dest);
}

Tensor bmm(const Tensor& a, const Tensor& b, OutArg dest) {
  check_bmm("bmm", a, b);
  return product("bmm", "BmmBackward0", a, b, Tensor(), Scalar(int64_t{0}), Scalar(int64_t{1}), dest);
}

Tensor mv(const Tensor& mat, const Tensor& vec, OutArg dest) {
  check_mv("mv", mat, vec, mat.dim() == 2 ? mat.size(0) : 1);
  Tensor out = empty(Shape{mat.size(0)}, mat.dtype(), mat.device());
  run_gemm(as_column(out), mat, as_column(vec));
  if (is_floating(mat.dtype()) && autograd::needs_grad({&mat, &vec}))
    autograd::record("MvBackward0", {mat, vec}, {out}, {mat, vec}, {}, [](const autograd::BackwardContext& c) {
      const Tensor &g = c.grad(), &mat = c.saved[0], &vec = c.saved[1];
      return std::vector<Tensor>{c.needs(0) ? outer(g, vec) : Tensor(), c.needs(1) ? mv(t_(mat), g) : Tensor()};
    });
  return finish("mv", out, dest);
}

Tensor dot(const Tensor& a, const Tensor& b, OutArg dest) {
  PYDL_CHECK(a.dim() == 1 && b.dim() == 1, "dot: 1D tensors expected, but got ", a.dim(), "D and ", b.dim(),
             "D tensors");
  PYDL_CHECK(a.dtype() == b.dtype(), "dot : expected both vectors to have same dtype, but found ", a.dtype(), " and ",
             b.dtype());
  PYDL_CHECK(a.numel() == b.numel(), "dot: inconsistent tensor size, expected tensor [", a.numel(), "] and src [",
             b.numel(), "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(),
             " elements respectively");
  PYDL_CHECK_NOT_IMPLEMENTED(a.dtype() != ScalarType::Bool, "\"dot\" not implemented for '", a.dtype(), "'");
  PYDL_CHECK(a.device() == b.device(), "dot: Expected all tensors to be on the same device, but found at least two "
             "devices, ", a.device().str(), " and ", b.device().str(), "!");
  Tensor out = empty(Shape{}, a.dtype(), a.device());  // [1, n] @ [n, 1] into [1, 1]
  run_gemm(make_view(out, Shape{1, 1}, Shape{1, 1}, out.storage_offset()),
           make_view(a, Shape{1, a.size(0)}, Shape{0, a.stride(0)}, a.storage_offset()),
           as_column(b));
  if (is_floating(a.dtype()) && autograd::needs_grad({&a, &b}))
    autograd::record("DotBackward0", {a, b}, {out}, {a, b}, {}, [](const autograd::BackwardContext& c) {
      const Tensor &g = c.grad(), &a = c.saved[0], &b = c.saved[1];
      return std::vector<Tensor>{c.needs(0) ? g * b : Tensor(), c.needs(1) ? g * a : Tensor()};
    });
  return finish("dot", out, dest);
}

Tensor vdot(const Tensor& a, const Tensor& b, OutArg dest) { return dot(a, b, dest); }  // real dtypes only

Tensor outer(const Tensor& a, const Tensor& b, OutArg dest) {
  PYDL_CHECK(a.dim() == 1, "outer: Expected 1-D argument self, but got ", a.dim(), "-D");
  PYDL_CHECK(b.dim() == 1, "outer: Expected 1-D argument vec2, but got ", b.dim(), "-D");
  return binary(BinaryOp::Mul, unsqueeze(a, 1), b, {}, dest);
}

Tensor addmm(const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
             OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&a, &b})))
    return autograd::record_inplace("addmm_", *dest.out, [&](const Tensor& self) { return addmm(self, a, b, beta, alpha); });
  check_dim("addmm", a, 2, "mat1");
  check_dim("addmm", b, 2, "mat2");
  check_mm("addmm", a, b);
  check_input_dtype("addmm", input, b);
  const Tensor c = dest.inplace ? input : expand(input, Shape{a.size(0), b.size(1)});
  return product("addmm", "AddmmBackward0", a, b, c, beta, alpha, dest);
}

Tensor baddbmm(const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
               OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&a, &b})))
    return autograd::record_inplace("baddbmm_", *dest.out,
                                    [&](const Tensor& self) { return baddbmm(self, a, b, beta, alpha); });
  check_bmm("baddbmm", a, b);
  check_input_dtype("baddbmm", input, b);
  const Tensor c = dest.inplace ? input : expand(input, Shape{a.size(0), a.size(1), b.size(2)});
  return product("baddbmm", "BaddbmmBackward0", a, b, c, beta, alpha, dest);
}

Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha,
             OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&mat, &vec})))
    return autograd::record_inplace("addmv_", *dest.out,
                                    [&](const Tensor& self) { return addmv(self, mat, vec, beta, alpha); });
  check_mv("addmv", mat, vec, input.dim() == 0 ? 1 : input.size(-1));
  check_input_dtype("addmv", input, mat);
  const Tensor c = expand(input, Shape{mat.size(0)});
  return finish("addmv", squeeze(addmm(unsqueeze(c, 1), mat, unsqueeze(vec, 1), beta, alpha), Shape{1}), dest);
}

// sum over the batch of a[i] @ b[i] is one product: [n, B*k] @ [B*k, p].
Tensor addbmm(const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
              OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&a, &b})))
    return autograd::record_inplace("addbmm_", *dest.out,
                                    [&](const Tensor& self) { return addbmm(self, a, b, beta, alpha); });
  check_bmm("addbmm", a, b);
  check_input_dtype("addbmm", input, b);
  const int64_t batch = a.size(0), n = a.size(1), k = a.size(2), p = b.size(2);
  const Tensor lhs = reshape(permute(a, Shape{1, 0, 2}), Shape{n, batch * k});
  const Tensor rhs = reshape(b, Shape{batch * k, p});
  if (dest.inplace) return addmm(input, lhs, rhs, beta, alpha, dest);
  return finish("addbmm", addmm(input, lhs, rhs, beta, alpha), dest);
}

Tensor matmul(const Tensor& a, const Tensor& b, OutArg dest) {
  const int64_t da = a.dim(), db = b.dim();
  PYDL_CHECK(da > 0 && db > 0, "both arguments to matmul need to be at least 1D, but they are ", da, "D and ", db,
             "D");
  if (dest.out) detail::check_autograd_target("matmul", autograd::needs_grad({&a, &b}), *dest.out, dest.inplace);
  if (da == 2 && db == 2) return mm(a, b, dest);
  if (da == 2 && db == 1) return mv(a, b, dest);
  if (da == 1 && db == 1) return dot(a, b, dest);
  if (da == 1 && db == 2) return finish("matmul", squeeze(mm(unsqueeze(a, 0), b), Shape{0}), dest);
  check_dtype("matmul", a, b, "both arguments");
  // A batch of matrices times one matrix or vector: fold the batch into the rows of one GEMM
  // when that is a view (it is for contiguous a), else broadcast b over the batch.
  if (da >= 3 && db <= 2) {
    const Tensor bm = db == 1 ? unsqueeze(b, 1) : b;
    PYDL_CHECK(a.size(-1) == bm.size(0), "matmul: size mismatch, ", a.sizes(), " @ ", b.sizes(), ": ", a.size(-1),
               " != ", bm.size(0));
    if (a.is_contiguous()) {
      Shape out_shape(a.sizes().begin(), a.sizes().end() - 1);
      if (db == 2) out_shape.push_back(b.size(1));
      const Tensor folded = mm(as_rows(a), bm);
      return finish("matmul", reshape(folded, out_shape), dest);
    }
  }
  const Tensor am = da == 1 ? unsqueeze(a, 0) : a, bm = db == 1 ? unsqueeze(b, 1) : b;
  Tensor r = batched_matmul(am, bm);
  if (da == 1) r = squeeze(r, Shape{-2});
  if (db == 1) r = squeeze(r, Shape{-1});
  return finish("matmul", r, dest);
}

Tensor linear(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias) {
  PYDL_CHECK(!bias || weight.dim() == 2, "linear: mat2 must be a matrix, got ", weight.dim(), "-D tensor (weight of "
             "shape ", weight.sizes(), " with a bias)");
  if (x.dim() == 2 && weight.dim() == 2 && bias) return addmm(*bias, x, t_(weight), Scalar(int64_t{1}),
                                                               Scalar(int64_t{1}));
  if (x.dim() > 2 && weight.dim() == 2 && x.is_contiguous()) {
    // [..., in] as one [N, in] matrix (a view), so the whole batch is one GEMM.
    Shape out_shape(x.sizes().begin(), x.sizes().end() - 1);
    out_shape.push_back(weight.size(0));
    return reshape(linear(as_rows(x), weight, bias), out_shape);
  }
  const Tensor y = matmul(x, weight.dim() == 2 ? t_(weight) : weight);
  return bias ? add(y, *bias) : y;
}

}  // namespace pydl
