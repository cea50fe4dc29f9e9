// PyTorch's result-type rule for ops mixing tensors and numbers. Operands rank by priority:
// dimensioned tensors > zero-dim tensors > Python numbers. A lower-priority operand only
// matters when its category (bool < integer < floating) is higher than that of all operands
// above it; then the result takes that category, at the size the higher operands ask for.
//   int32 tensor + 2.5          -> float32 (default dtype)
//   int8 tensor + int64 0-d     -> int8
//   int32 tensor + float64 0-d  -> float64
#pragma once
#include <optional>

#include "core/dtype.h"
#include "core/scalar.h"

namespace pydl {

class ResultTypeState {
 public:
  void add_tensor(ScalarType t, bool zero_dim) { merge(zero_dim ? zero_dim_ : dimensioned_, t); }
  // Python numbers: float -> the default dtype, int -> int64, bool -> bool.
  void add_scalar(const Scalar& s) { merge(scalars_, s.natural_dtype()); }
  ScalarType result() const { return combine(dimensioned_, combine(zero_dim_, scalars_)).value_or(default_dtype()); }

 private:
  static void merge(std::optional<ScalarType>& slot, ScalarType t) { slot = slot ? promote_types(*slot, t) : t; }
  static int category(ScalarType t) { return t == ScalarType::Bool ? 0 : is_floating(t) ? 2 : 1; }
  static std::optional<ScalarType> combine(std::optional<ScalarType> higher, std::optional<ScalarType> lower) {
    if (!higher) return lower;
    if (!lower) return higher;
    if (category(*lower) > category(*higher)) {
      // The lower operand's category wins. For numbers, its size comes from the default dtype
      // (already in *lower); for 0-d tensors, from their own dtype.
      return promote_types(*higher, *lower);
    }
    return higher;
  }
  std::optional<ScalarType> dimensioned_, zero_dim_, scalars_;
};

}  // namespace pydl
