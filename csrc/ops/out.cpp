// The out= contract every non-elementwise op shares (elementwise ops check theirs in
// elementwise.cpp, with broadcasting): the device must match, the result's dtype must cast to
// out's, and only an empty out= is resized (one holding data of another shape is refused rather
// than silently reallocated, unlike PyTorch's resize-with-a-warning).
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace pydl {

Tensor make_output(const char* op, OutArg dest, const Shape& shape, ScalarType result, Device device) {
  if (!dest.out) return empty(shape, result, device);
  Tensor& out = *dest.out;
  PYDL_CHECK(out.device() == device, op, ": Expected out tensor to have device ", device.str(), ", but got ",
             out.device().str(), " instead");
  PYDL_CHECK(can_cast(result, out.dtype()), op, ": result type ", result,
             " can't be cast to the desired output type ", out.dtype());
  if (out.sizes() != shape) {
    // Like the elementwise ops: only an empty out= (`out=torch.empty(0)`) is resized; one that
    // holds data is refused rather than silently reallocated.
    PYDL_CHECK(out.numel() == 0 && out.is_contiguous(), op, ": out= tensor has shape ", out.sizes(),
               " but the result has shape ", shape, "; pass an out= tensor of the result's shape");
    Tensor fresh = empty(shape, out.dtype(), device);
    out.impl()->rebind(fresh.impl()->storage(), shape, fresh.strides(), 0);
  }
  PYDL_CHECK(!has_internal_overlap(out), op, ": unsupported operation: more than one element of the written-to "
             "tensor refers to a single memory location. Please clone() the tensor before performing the operation.");
  return out;
}

Tensor store_result(const char* op, const Tensor& result, OutArg dest) {
  if (!dest.out) return result;
  // Writing a result that carries a gradient into out= (or self) would silently drop it.
  detail::check_autograd_target(op, result.requires_grad(), *dest.out, dest.inplace);
  Tensor out = make_output(op, dest, result.sizes(), result.dtype(), result.device());
  copy_(out, result);
  return out;
}

Tensor& write_out(Tensor& out, const Tensor& result, const char* op) {
  PYDL_CHECK(out.dtype() == result.dtype(), op, ": Expected out tensor to have dtype ", result.dtype(), ", but got ",
             out.dtype(), " instead");
  store_result(op, result, OutArg::to(out));
  return out;
}

TensorPair store_pair(TensorPair r, OutPair out, const char* op) {
  if (!out.given()) return r;
  write_out(*out.values, r.first, op);
  write_out(*out.indices, r.second, op);
  return {*out.values, *out.indices};
}

}  // namespace pydl
