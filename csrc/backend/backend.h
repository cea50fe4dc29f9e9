// The primitive interface every device implements. Ops in csrc/ops/ check their inputs,
// allocate outputs and then call one of these; nothing above this line knows which device
// runs the work. The CPU backend lives in csrc/cpu/, the CUDA one in cuda/.
#pragma once
#include <cstddef>
#include <cstdint>

#include "backend/elementwise_ops.h"
#include "core/device.h"
#include "core/elementwise_iter.h"
#include "core/philox.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace pydl {

// --- indexing (ops/indexing.cpp, ops/scatter.cpp) -------------------------------------------
// How the int64 index operands of an ElementwiseIter address a tensor: the operands after the
// two data operands hold indices into dims of `sizes[k]` elements, `strides[k]` bytes apart.
// Negative indices wrap once; an index outside [-size, size) raises IndexError naming it, the
// dim `dims[k]` and the size. Index dims are restrided to stride 0 in the data operand, so the
// element an iter position addresses is data + position offset + sum_k index_k * strides[k].
struct IndexSpec {
  static constexpr int kMaxIndices = ElementwiseIter::kMaxOperands - 2;
  int nindices = 0;
  int64_t sizes[kMaxIndices] = {};
  int64_t strides[kMaxIndices] = {};
  int64_t dims[kMaxIndices] = {};
  // Scatter along one dim (scatter_, index_add_): each iter position stands for `loop_size`
  // elements, walked serially with these byte strides per operand. Positions never share a
  // destination, so they run in parallel and duplicates along the dim reduce in a fixed order.
  int64_t loop_size = 1;
  int64_t loop_strides[ElementwiseIter::kMaxOperands] = {};
  // The caller guarantees distinct destinations (a bool mask): scatter may run in parallel.
  // Otherwise a loop_size == 1 scatter runs serially, so duplicates resolve deterministically.
  bool unique = false;
  // PyTorch's per-op rules: whether negative indices count from the end (x[-1], take) or are
  // out of bounds (gather, scatter, index_add), and whether a bad index raises IndexError or,
  // as torch's gather/scatter family does, RuntimeError.
  bool wrap = true;
  bool index_error = true;
};
// How index_scatter combines a value with its destination (mean is sum / count in ops/).
enum class ScatterReduce : uint8_t { None, Sum, Prod, Amax, Amin };

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

  // --- reductions
  // out = op over the reduced dims of in. `out` comes as a view with in's sizes and stride 0
  // along every reduced dim (the keepdim result, expanded), so one shape describes both; any
  // input strides. in and out share the dtype, except All/Any, which write bool.
  virtual void reduce(ReduceOp op, const Tensor& out, const Tensor& in);

  // --- shape ops
  // (flip also uses copy() above: its input is a view with negative strides, which copy() must
  // take like any other byte strides; such views never reach users.)
  // out = in with the elements on one side of diagonal k of the last two dims set to zero: kept
  // are those with j - i <= k (lower) or j - i >= k (upper). Same shape and dtype, any strides;
  // out may be in itself (in place). k is within [-rows - 1, cols + 1]. (tril, triu)
  virtual void triangle(const Tensor& out, const Tensor& in, int64_t k, bool upper);
  // --- indexing primitives (see IndexSpec); data operands share one dtype.
  // out[i] = src[i + offset(i)]; iter operands (out, src, index...).
  virtual void index_gather(const ElementwiseIter& iter, const IndexSpec& spec);
  // dst[i + offset(i)] = reduce(dst[...], values[i]); iter operands (dst, values, index...).
  virtual void index_scatter(const ElementwiseIter& iter, const IndexSpec& spec, ScatterReduce reduce);
  // Number of nonzero elements of t (any strides).
  virtual int64_t count_nonzero(const Tensor& t);
  // out (contiguous int64 [count, t.dim()]) = coordinates of t's nonzeros in row-major order.
  virtual void nonzero(const Tensor& t, const Tensor& out);

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
