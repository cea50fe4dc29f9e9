// The shared path of every elementwise op (ops/unary.cpp, ops/binary.cpp, ...): PyTorch's type
// promotion and broadcasting, output allocation or the checks on a user's out= / in-place
// target, then one backend call over an ElementwiseIter.
#pragma once
#include <functional>
#include <initializer_list>
#include <vector>

#include "backend/backend.h"
#include "core/type_promotion.h"
#include "ops/ops.h"

namespace pydl {

// PyTorch's result dtype for these operands (wrapped numbers and 0-d tensors are weaker).
ScalarType result_type(std::initializer_list<Tensor> operands);
// t in `dtype` (t itself when it already is; a fresh 0-d tensor for wrapped numbers).
Tensor cast_operand(const Tensor& t, ScalarType dtype);

// Runs `kernel(iter)` writing an op's result of dtype `result` and the broadcast shape of
// `inputs` (already in their compute dtypes) into `dest`. Returns the written tensor.
template <typename Kernel>
Tensor run_elementwise(const char* op, std::vector<Tensor> inputs, ScalarType result, OutArg dest,
                       const Kernel& kernel);

// --- implementation ---------------------------------------------------------------------------
namespace detail {
// Validates out=/in-place targets and allocates the result; see elementwise.cpp.
struct Prepared {
  Tensor target;                 // what the kernel writes
  Tensor final;                  // what the op returns (== target unless a cast is needed)
  std::vector<Tensor> inputs;    // inputs, cloned where they partially overlap the target
};
Prepared prepare_elementwise(const char* op, std::vector<Tensor> inputs, ScalarType result, OutArg dest);
void finish_elementwise(Prepared& p, OutArg dest);
// Refuses in-place / out= writes autograd would need to see (see elementwise.cpp).
void check_autograd_target(const char* op, bool inputs_need_grad, const Tensor& out, bool inplace);

}  // namespace detail

template <typename Kernel>
Tensor run_elementwise(const char* op, std::vector<Tensor> inputs, ScalarType result, OutArg dest,
                       const Kernel& kernel) {
  detail::Prepared p = detail::prepare_elementwise(op, std::move(inputs), result, dest);
  if (p.target.numel() > 0) {
    ElementwiseIter iter(p.target, p.inputs, op);
    kernel(iter, backend(p.target.device().type));
  }
  detail::finish_elementwise(p, dest);
  return p.final;
}

}  // namespace pydl
