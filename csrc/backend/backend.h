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
