// searchsorted and bucketize: insertion points of values in ascending boundaries.
#include "backend/backend.h"
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace pydl {

Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32, bool right,
                    const std::optional<Tensor>& sorter, OutArg dest) {
  const char* op = "torch.searchsorted()";
  const bool scalar_value = values.impl()->is_wrapped_number();
  PYDL_CHECK(!scalar_value || sorted.dim() == 1, op, ": input value can be a scalar only when boundaries tensor "
             "dimension is 1, but we got boundaries tensor dim(", sorted.dim(), ")");
  PYDL_CHECK(sorted.dim() >= 1 && (sorted.dim() == 1 || (values.dim() == sorted.dim() && [&] {
               for (int64_t d = 0; d + 1 < sorted.dim(); ++d)
                 if (sorted.sizes()[d] != values.sizes()[d]) return false;
               return true;
             }())),
             op, ": boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and "
             "input value tensor must match, but we got boundaries tensor ", sorted.sizes(), " and input value tensor ",
             values.sizes());
  PYDL_CHECK(values.device() == sorted.device() || scalar_value, op, ": Expected all tensors to be on the same "
             "device, but found ", sorted.device().str(), " and ", values.device().str());
  Tensor perm;
  if (sorter) {
    PYDL_CHECK(sorter->dtype() == ScalarType::Int64, op, ": sorter must be a tensor of long dtype but got dtype ",
               sorter->dtype());
    PYDL_CHECK(sorter->sizes() == sorted.sizes(), op, ": boundary and sorter must have the same size, but got "
               "boundary tensor ", sorted.sizes(), " and got sorter tensor ", sorter->sizes());
    PYDL_CHECK(sorter->device() == sorted.device(), op, ": sorter must be on the device of the boundaries");
    perm = contiguous(*sorter);
  }
  const ScalarType out_dtype = out_int32 ? ScalarType::Int32 : ScalarType::Int64;
  if (dest.out) {
    PYDL_CHECK(dest.out->dtype() == out_dtype, op, ": output tensor's dtype is wrong, it can only be Int(int32) or "
               "Long(int64) depending on whether out_int32 flag is True, but we got output tensor's dtype ",
               dest.out->dtype(), " and out_int32 flag is ", out_int32 ? "True" : "False");
  }
  // Boundaries and values are compared in their common dtype.
  const ScalarType common = result_type({sorted, values});
  PYDL_CHECK_NOT_IMPLEMENTED(common != ScalarType::Bool || values.numel() == 0,
                             "\"searchsorted\" not implemented for 'Bool'");
  Tensor seq = contiguous(cast_operand(sorted, common));
  Tensor vals = cast_operand(values, common);
  if (vals.device() != seq.device()) vals = to(vals, std::nullopt, seq.device(), false);
  vals = contiguous(vals);
  Tensor out = empty(values.sizes(), out_dtype, sorted.device());
  if (out.numel() > 0) backend(sorted.device().type).searchsorted(out, seq, vals, perm, right);
  return dest.out ? write_out(*dest.out, out, "searchsorted") : out;
}

Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool out_int32, bool right, OutArg dest) {
  PYDL_CHECK(boundaries.dim() == 1, "bucketize(): boundaries tensor must be 1 dimension, but got dim(",
             boundaries.dim(), ")");
  return searchsorted(boundaries, x, out_int32, right, std::nullopt, dest);
}

}  // namespace pydl
