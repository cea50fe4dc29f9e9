// The primitive interface every device implements. Ops in csrc/ops/ check their inputs,
// allocate outputs and then call one of these; nothing above this line knows which device
// runs the work. The CPU backend lives in csrc/cpu/, the CUDA one in cuda/.
#pragma once
#include <cstddef>
#include <cstdint>

#include "backend/elementwise_ops.h"
#include "backend/sorting_ops.h"
#include "core/device.h"
#include "core/elementwise_iter.h"
#include "core/philox.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace pydl {

class Backend {
 public:
  explicit Backend(DeviceType type) : type_(type) {}
  DeviceType type() const { return type_; }
  virtual ~Backend() = default;

  // --- memory
  virtual void* allocate(size_t nbytes, int device_index) = 0;
  virtual void deallocate(void* ptr, size_t nbytes, int device_index) = 0;
  // Contiguous bytes between this device and host memory (blocking).
  virtual void copy_to_host(void* dst, const void* src, size_t nbytes, int device_index) = 0;
  virtual void copy_from_host(void* dst, const void* src, size_t nbytes, int device_index) = 0;

  // --- elementwise primitives (all operands on this device)
  // out = cast(in) over iter (operand 0 out, operand 1 in), any strides, any dtype pair.
  virtual void copy(const ElementwiseIter& iter) = 0;
  // Every element of out (any strides) = value converted to out's dtype.
  virtual void fill(const Tensor& out, const Scalar& value) = 0;
  // Every element of out (contiguous) drawn from `spec`, Philox blocks starting at `offset`.
  virtual void random(const Tensor& out, const RandomSpec& spec, uint64_t seed, uint64_t offset) = 0;

  // Elementwise math over an ElementwiseIter (operand 0 is the output; inputs share the compute
  // dtype, except where's bool condition). Devices without a kernel raise NotImplementedError.
  virtual void unary(UnaryOp op, const ElementwiseIter& iter, const OpParams& params);
  virtual void binary(BinaryOp op, const ElementwiseIter& iter, const OpParams& params);
  virtual void ternary(TernaryOp op, const ElementwiseIter& iter, const OpParams& params);

  // --- sorting and searching. Each works on rows: the last dim of contiguous tensors (a 0-d
  // tensor is one row of one element); ops move the dim they sort along to the end first.
  // Floating rows order NaN above +inf with all NaNs (and -0, +0) tied; indices are int64.
  // values/indices = each row of input sorted, ties kept in input order (stable; `stable`
  // false only allows a device a faster unstable sort).
  virtual void sort(const Tensor& values, const Tensor& indices, const Tensor& input, bool descending, bool stable);
  // values/indices (rows of k, 0 < k <= row length) = the k smallest (largest) of each row;
  // position k - 1 always holds the k-th, and the k are in order when `sorted`.
  virtual void topk(const Tensor& values, const Tensor& indices, const Tensor& input, int64_t k, bool largest,
                    bool sorted);
  // values/indices (one per row, shape [..., 1]) = the `kind` element of each row of input
  // and its index (see RowStat); a device may sort, or select without sorting.
  virtual void row_stat(RowStat kind, const Tensor& values, const Tensor& indices, const Tensor& input);
  // perm (int64, n) = the stable lexicographic order of the n rows of the contiguous 2-D input
  // (elements ordered as sort() orders them). unique(dim=) sorts slices with it.
  virtual void lexsort_rows(const Tensor& perm, const Tensor& input);
  // Groups runs of equal elements of a sequence (NaNs never equal): element i is input[perm[i]]
  // (input[i] when perm is undefined), where an element is a value of a 1-D input or a row of
  // a 2-D input. values[g] = the first element of run g, counts[g] = its length,
  // inverse[perm ? perm[i] : i] = the run of element i. values has input's shape and counts its
  // length; inverse, counts and perm may be undefined. Returns the number of runs.
  virtual int64_t unique_consecutive(const Tensor& values, const Tensor& inverse, const Tensor& counts,
                                     const Tensor& input, const Tensor& perm);
  // out (int64 or int32, values' shape) = insertion points of values in the ascending rows of
  // `sorted` (1-D: one row for all values; else one row per row of values), read through the
  // int64 `sorter` permutation when defined; `right` puts equal values after their run.
  virtual void searchsorted(const Tensor& out, const Tensor& sorted, const Tensor& values, const Tensor& sorter,
                            bool right);

  // --- device management
  virtual int device_count() = 0;
  virtual int current_device() = 0;
  virtual void synchronize(int device_index) = 0;

 protected:
  [[noreturn]] void not_implemented(const char* what) const;

 private:
  DeviceType type_;
};

// The backend for a device type; RuntimeError if pydl was built without it.
Backend& backend(DeviceType type);
void register_backend(DeviceType type, Backend* b);
bool has_backend(DeviceType type);
// Resolves "cuda" (index -1) to the current device and checks the index exists.
Device canonical_device(Device d);

}  // namespace pydl
