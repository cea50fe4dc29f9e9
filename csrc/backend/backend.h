// The primitive interface every device implements. Ops in csrc/ops/ check their inputs,
// allocate outputs and then call one of these; nothing above this line knows which device
// runs the work. The CPU backend lives in csrc/cpu/, the CUDA one in cuda/.
#pragma once
#include <cstddef>
#include <cstdint>

#include "backend/attention_ops.h"
#include "backend/elementwise_ops.h"
#include "backend/loss_ops.h"
#include "backend/norm_ops.h"
#include "backend/optimizer_ops.h"
#include "backend/rnn_ops.h"
#include "backend/sorting_ops.h"
#include "backend/window_ops.h"
#include "core/caching_allocator.h"
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
  // indices (int64) and values (same dtype as in, or undefined) = the first position and value
  // of the extreme (op Max or Min; NaN is the extreme of anything) along dim. values/indices
  // are contiguous with in's shape, size 1 along dim; dim has at least one element.
  virtual void arg_reduce(ReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim);

  // --- matrix multiply (ops/linalg.cpp)
  // out[..., m, n] = alpha * a[..., m, k] @ b[..., k, n] + beta * out, for every index of the
  // leading (batch) dims, which the three share (a broadcast batch dim has stride 0). Any
  // strides, one dtype for all three: floating types accumulate in float32 or wider, integer
  // types wrap like the dtype's arithmetic; bool is not a matmul dtype. beta == 0 writes out
  // without reading it (NaN there does not propagate), and k == 0 gives beta * out. out does
  // not overlap a or b.
  virtual void gemm(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta);

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

  // --- scans (ops/scan.cpp). out[..., j, ...] = op over in[..., 0..j, ...] along `dim`; in and out
  // are contiguous with the same shape and dtype (a 0-d tensor scans one element), out may be
  // in itself. `indices` (contiguous int64, same shape) is written for CumMax/CumMin only and
  // is undefined otherwise. Integer sums and products wrap like the dtype's arithmetic.
  virtual void scan(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim);
  // --- softmax (ops/softmax.cpp)
  // out = softmax (log: log_softmax) of in along `dim`; in and out contiguous, same shape and
  // floating dtype (a 0-d tensor is one slice of one element along dim 0).
  virtual void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log);
  // grad_in = the gradient of softmax (log: log_softmax) along the last dim from its output `out`
  // and grad_out: out (grad_out - sum(grad_out out)), or grad_out - exp(out) sum(grad_out). All
  // contiguous, same shape, float32/float64. Devices without it compose the formula from ops.
  virtual bool has_softmax_backward() const { return false; }
  virtual void softmax_backward(const Tensor& /*grad_in*/, const Tensor& /*grad_out*/, const Tensor& /*out*/,
                                bool /*log*/) {
    not_implemented("softmax_backward");
  }

  // --- cross entropy of logits against class indices (ops/loss.cpp; see backend/loss_ops.h),
  // forward (returning what it found about the targets) or backward. Devices without it
  // (has_cross_entropy() false) get log_softmax + nll_loss composed in pydl/nn/_losses.py.
  virtual bool has_cross_entropy() const { return false; }
  virtual CrossEntropyScan cross_entropy(const CrossEntropyTensors&, bool /*backward*/) {
    not_implemented("cross_entropy");
  }

  // --- sliding windows (ops/conv.cpp, ops/pool.cpp; see backend/window_ops.h)
  // cols (contiguous [channels * kernel_numel, batch, out_numel]) = the input patches: row
  // c * kernel_numel + (kd * KH + kh) * KW + kw, column (b, o) holds the input element that
  // output position o of image b sees through that kernel tap, or 0 in the padding. `in` is
  // [batch, channels, d, h, w] with any strides; both share a floating dtype.
  virtual void im2col(const Tensor& cols, const Tensor& in, const ConvGeometry& g);
  // The adjoint of im2col: in (contiguous [batch, channels, d, h, w]) = the sum, over every
  // column entry, of the cols values that read each input element (padding entries dropped).
  virtual void col2im(const Tensor& in, const Tensor& cols, const ConvGeometry& g);
  // out (contiguous [batch, cout, 1, oh, ow]) = the 2-D convolution of in ([batch, channels, 1,
  // h, w], any strides) in `groups` groups, with weight (contiguous [cout, channels / groups, 1,
  // kh, kw]) plus bias (contiguous [cout], or undefined), float32/float64, without im2col: for
  // stride-1 layers with few multiply-adds per output (few input channels per group, depthwise),
  // and for layers with >= 16 output channels per group and a width stride of 1 or 2 (ops/conv.cpp
  // decides). Devices may not have it (has_conv_direct() false), and ops then take im2col + gemm.
  virtual bool has_conv_direct() const { return false; }
  virtual void conv_direct(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                           const ConvGeometry& g, int64_t groups);
  // grad_weight (contiguous, the weight's shape) = the weight gradient of that same convolution,
  // from in and grad_out (contiguous [batch, cout, 1, oh, ow]).
  virtual void conv_direct_weight(const Tensor& grad_weight, const Tensor& in, const Tensor& grad_out,
                                  const ConvGeometry& g, int64_t groups);
  // out (contiguous [planes, out...]) = the max or average of each window of in (contiguous
  // [planes, in...]). Max also writes indices (int64, out's shape) when defined: the flat position
  // of the max within its plane, the first one on ties, NaN beating everything (the last NaN).
  virtual void pool(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in,
                    const PoolGeometry& g);
  // grad_in (contiguous, in's shape) = the adjoint of pool applied to grad_out: Max adds each
  // gradient at its saved index, Avg spreads it over the window divided by the divisor.
  virtual void pool_backward(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                             const PoolGeometry& g);

  // --- optimizers (ops/optim.cpp): one parameter's whole update rule in one pass over its
  // elements; param, grad and the defined states are contiguous, same shape, float32/float64.
  // Devices without it (has_optimizer_step() false) get the update composed from other ops.
  virtual bool has_optimizer_step() const { return false; }
  virtual void optimizer_step(OptimizerKind, const OptimizerHyper&, const OptimizerTensors&) {
    not_implemented("optimizer_step");
  }

  // --- recurrent cells (ops/rnn.cpp): the pointwise part of one RNN/LSTM/GRU time step, forward
  // or backward, over row slices of contiguous float32/float64 buffers (see backend/rnn_ops.h).
  virtual void rnn_cell(RnnCellKind, bool /*backward*/, const RnnCellTensors&) { not_implemented("rnn_cell"); }

  // --- layer norm and batch norm (ops/normalization.cpp), forward or backward, over contiguous
  // float32/float64 buffers (see backend/norm_ops.h). Devices without it (has_norm() false)
  // get the composed forms of pydl/nn/_normalization.py.
  virtual bool has_norm() const { return false; }
  virtual void norm(NormKind, bool /*backward*/, const NormTensors&) { not_implemented("norm"); }

  // --- fused attention (ops/attention.cpp): softmax(Q Kᵀ scale + mask) V without an (L, S)
  // score matrix, forward (out, lse) or backward (grad_q, grad_k, grad_v); backend/attention_ops.h.
  virtual bool has_attention() const { return false; }
  virtual void attention(const AttentionTensors&, bool /*backward*/) { not_implemented("attention"); }

  // --- device management
  virtual int device_count() = 0;
  virtual int current_device() = 0;
  virtual void synchronize(int device_index) = 0;

  // --- the caching allocator of devices that have one (core/caching_allocator.h; the CPU's
  // own cache is cpu_memory_stats & co in core/allocator.h)
  virtual CachingAllocatorStats memory_stats(int /*device_index*/) { not_implemented("memory_stats"); }
  virtual void reset_peak_memory_stats(int /*device_index*/) { not_implemented("reset_peak_memory_stats"); }
  virtual void empty_cache() { not_implemented("empty_cache"); }

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
