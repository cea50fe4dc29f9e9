// The device-agnostic ops of pydl's core. Each checks its inputs (raising PyTorch's exception
// class with the op name and shapes), allocates outputs and calls the device backend.
#pragma once
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "backend/elementwise_ops.h"
#include "backend/rnn_ops.h"
#include "core/generator.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace pydl {

// Where an op writes its result: a fresh tensor, the user's out= tensor, or self (in-place).
struct OutArg {
  Tensor* out = nullptr;
  bool inplace = false;
  static OutArg to(Tensor& t) { return {&t, false}; }
  static OutArg self(Tensor& t) { return {&t, true}; }
};

// --- out= targets of non-elementwise ops (out.cpp)
// The output of a non-elementwise op: a new tensor, or the user's out= checked (and, when it is
// empty, resized) to `shape`, with `result` castable to its dtype.
Tensor make_output(const char* op, OutArg dest, const Shape& shape, ScalarType result, Device device);
// `result`, or (with out=) `result` copied into the checked out= tensor, which is returned.
Tensor store_result(const char* op, const Tensor& result, OutArg dest);
// store_result for outputs whose dtype is fixed (indices): out must have result's dtype.
Tensor& write_out(Tensor& out, const Tensor& result, const char* op);
// Ops with two results (values, indices) take out=(values, indices) as an OutPair.
struct OutPair {
  Tensor* values = nullptr;
  Tensor* indices = nullptr;
  bool given() const { return values != nullptr; }
};
using TensorPair = std::pair<Tensor, Tensor>;
// The pair, or (with out=) both written into the out= pair, which is returned.
TensorPair store_pair(TensorPair r, OutPair out, const char* op);

// --- views (views.cpp): share storage with the input, never copy
Tensor view(const Tensor& t, const Shape& sizes);             // -1 infers one dim
Tensor view_dtype(const Tensor& t, ScalarType dtype);         // reinterpret the bytes
Tensor reshape(const Tensor& t, const Shape& sizes);          // view when possible, else copy
Tensor permute(const Tensor& t, const Shape& dims);
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
Tensor t_(const Tensor& t);                                   // Tensor.t(): <= 2-D transpose
Tensor matrix_transpose(const Tensor& t);                     // Tensor.mT
Tensor reverse_dims(const Tensor& t);                         // Tensor.T
Tensor expand(const Tensor& t, const Shape& sizes);           // -1 keeps a dim
Tensor squeeze(const Tensor& t, const std::optional<Shape>& dims);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim);
Tensor unflatten(const Tensor& t, int64_t dim, const Shape& sizes);
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step);
Tensor as_strided(const Tensor& t, const Shape& sizes, const Shape& strides, std::optional<int64_t> offset);
Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);
Tensor unfold(const Tensor& t, int64_t dim, int64_t size, int64_t step);
Tensor detach(const Tensor& t);
Shape infer_size(const Shape& sizes, int64_t numel, const char* op);

// --- copies (copy.cpp)
Tensor& copy_(Tensor& dst, const Tensor& src);                // broadcast, cast, cross-device
Tensor contiguous(const Tensor& t);
Tensor clone(const Tensor& t);                                // keeps dense strides, like preserve_format
Tensor to(const Tensor& t, std::optional<ScalarType> dtype, std::optional<Device> device, bool copy);
Tensor& fill_(Tensor& t, const Scalar& value);
Tensor& zero_(Tensor& t);
// Tensor.copy_ / fill_ as Python calls them, recorded by autograd (autograd/inplace.h). The two
// above are the raw writes every op uses on its own buffers.
Tensor& copy_recorded(Tensor& dst, const Tensor& src);
Tensor& fill_recorded(Tensor& t, const Scalar& value);

// --- factories (factories.cpp)
Tensor full(const Shape& sizes, const Scalar& value, std::optional<ScalarType> dtype, Device device);
Tensor empty_like(const Tensor& t, std::optional<ScalarType> dtype, std::optional<Device> device);
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, std::optional<ScalarType> dtype, Device device);
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, std::optional<ScalarType> dtype, Device device);
Tensor logspace(const Scalar& start, const Scalar& end, int64_t steps, double base, std::optional<ScalarType> dtype, Device device);
Tensor eye(int64_t n, std::optional<int64_t> m, std::optional<ScalarType> dtype, Device device);

// --- random (random.cpp); `gen` null means the device's default generator
Tensor& uniform_(Tensor& t, double from, double to, Generator* gen);
Tensor& normal_(Tensor& t, double mean, double std, Generator* gen);
Tensor& random_int_(Tensor& t, int64_t low, int64_t high, Generator* gen);  // [low, high)
Tensor& bernoulli_(Tensor& t, double p, Generator* gen);
Tensor bernoulli(const Tensor& probs, Generator* gen);
Tensor randperm(int64_t n, ScalarType dtype, Device device, Generator* gen);
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen);
Tensor normal(const Tensor& mean, const Tensor& std, Generator* gen);

// --- elementwise math (unary.cpp, binary.cpp, ternary.cpp). Every op takes an optional OutArg:
// by default a new tensor, OutArg::to(out) for out=, OutArg::self(x) for the in-place variant.
const char* unary_name(UnaryOp op);
Tensor unary(UnaryOp op, const Tensor& x, const OpParams& p = {}, OutArg dest = {});
// x ** exponent, with PyTorch's shortcuts (x ** 2 is x * x) and integer rules.
Tensor pow(const Tensor& x, const Scalar& exponent, OutArg dest = {});
Tensor clamp(const Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max, OutArg dest = {});

const char* binary_name(BinaryOp op);
// a op b with broadcasting and type promotion; Python numbers arrive as wrap_scalar() tensors.
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const OpParams& p = {}, OutArg dest = {});
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t(1)), OutArg dest = {});
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t(1)), OutArg dest = {});
Tensor div(const Tensor& a, const Tensor& b, const std::string& rounding_mode = "", OutArg dest = {});

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, OutArg dest = {});
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight, OutArg dest = {});
Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max, OutArg dest = {});
Tensor addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Scalar& value, OutArg dest = {});
Tensor addcdiv(const Tensor& a, const Tensor& b, const Tensor& c, const Scalar& value, OutArg dest = {});

// --- reductions (reduce.cpp, reduce_stats.cpp, arg_reduce.cpp). `dims` nullopt or empty reduces
// every dim; `dtype` casts the input first (sum and prod of integers default to int64).
using OptionalDims = std::optional<Shape>;
using OptionalDtype = std::optional<ScalarType>;
Tensor sum(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OptionalDtype dtype = {}, OutArg dest = {});
Tensor nansum(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OptionalDtype dtype = {}, OutArg dest = {});
Tensor mean(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OptionalDtype dtype = {}, OutArg dest = {});
Tensor nanmean(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OptionalDtype dtype = {}, OutArg dest = {});
Tensor prod(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OptionalDtype dtype = {}, OutArg dest = {});
Tensor amax(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OutArg dest = {});
Tensor amin(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OutArg dest = {});
Tensor all(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OutArg dest = {});
Tensor any(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OutArg dest = {});
Tensor count_nonzero(const Tensor& x, const OptionalDims& dims);
// reduce_stats.cpp: compositions of the reduce primitive and elementwise ops.
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim);
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim);
Tensor var(const Tensor& x, const OptionalDims& dims, double correction = 1, bool keepdim = false, OutArg dest = {});
Tensor std_dev(const Tensor& x, const OptionalDims& dims, double correction = 1, bool keepdim = false, OutArg dest = {});
Tensor logsumexp(const Tensor& x, const OptionalDims& dims, bool keepdim = false, OutArg dest = {});
// ord: any p, inf, -inf, 0 (count of nonzeros); dtype casts the input first.
Tensor vector_norm(const Tensor& x, double ord, const OptionalDims& dims, bool keepdim = false,
                   OptionalDtype dtype = {}, OutArg dest = {});
Tensor trace(const Tensor& x);
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
bool equal(const Tensor& a, const Tensor& b);  // same shape and elements

// A 0-d tensor holding a Python number; type promotion treats it as a number (x + 2.5).
Tensor wrap_scalar(const Scalar& s);
Tensor wrap_scalar(const Scalar& s, ScalarType dtype);

// --- shape and joining ops (shape.cpp, joining.cpp, triangle.cpp). Copies go through copy_ into
// views of one output; views share storage like the ops in views.cpp.
// dst = src through the copy primitive, for a dst known not to overlap src (a fresh output).
void copy_no_overlap(const Tensor& dst, const Tensor& src, const char* op);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim, OutArg dest = {});
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim, OutArg dest = {});
Tensor hstack(const std::vector<Tensor>& tensors, OutArg dest = {});
Tensor vstack(const std::vector<Tensor>& tensors, OutArg dest = {});
Tensor dstack(const std::vector<Tensor>& tensors, OutArg dest = {});
Tensor column_stack(const std::vector<Tensor>& tensors, OutArg dest = {});
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim);
std::vector<Tensor> split_with_sizes(const Tensor& t, const Shape& sizes, int64_t dim);
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim);
std::vector<Tensor> unbind(const Tensor& t, int64_t dim);
std::vector<Tensor> tensor_split(const Tensor& t, int64_t sections, int64_t dim);
std::vector<Tensor> tensor_split_indices(const Tensor& t, const Shape& indices, int64_t dim);
Tensor atleast_nd(const Tensor& t, int64_t n);  // n = 1, 2, 3: atleast_1d/2d/3d

Tensor flip(const Tensor& t, const Shape& dims);
Tensor roll(const Tensor& t, const Shape& shifts, const Shape& dims);
Tensor rot90(const Tensor& t, int64_t k, const Shape& dims);
Tensor movedim(const Tensor& t, const Shape& source, const Shape& destination);
Tensor repeat(const Tensor& t, const Shape& repeats);
Tensor tile(const Tensor& t, const Shape& dims);
Tensor repeat_interleave(const Tensor& t, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size);
Tensor repeat_interleave(const Tensor& t, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size);
Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size);  // indices
Tensor broadcast_to(const Tensor& t, const Shape& sizes);
Shape broadcast_shapes(const std::vector<Shape>& shapes);  // torch.broadcast_shapes
std::vector<Tensor> broadcast_tensors(const std::vector<Tensor>& tensors);
std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors, const std::string& indexing);

Tensor tril(const Tensor& t, int64_t diagonal, OutArg dest = {});
Tensor triu(const Tensor& t, int64_t diagonal, OutArg dest = {});
Tensor diag(const Tensor& t, int64_t diagonal, OutArg dest = {});
Tensor diag_embed(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);
Tensor diagflat(const Tensor& t, int64_t offset);
// --- indexing (indexing.cpp: reads; scatter.cpp: writes). Index tensors are int64 or int32
// (cast), bool/uint8 masks where PyTorch takes them; out-of-range indices raise IndexError.
// self[indices]: indices[d] indexes dim d (undefined: the whole dim); a mask covers mask.dim()
// dims. Advanced dims stay in place when the indexed dims are adjacent, else go first.
Tensor index(const Tensor& self, const std::vector<Tensor>& indices);
Tensor& index_put_(Tensor& self, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate);
Tensor index_put(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate);
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index, OutArg dest = {});
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index, OutArg dest = {});
Tensor take(const Tensor& self, const Tensor& index, OutArg dest = {});
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim, OutArg dest = {});
Tensor masked_select(const Tensor& self, const Tensor& mask, OutArg dest = {});
Tensor nonzero(const Tensor& self, OutArg dest = {});  // int64 [count, self.dim()]
// Ops that write into a copy of self (OutArg{}), self (in-place) or out=; `value` is 0-d.
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value, OutArg dest = {});
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source, OutArg dest = {});
// reduce: "" (plain), "add", "multiply"; `src` may be a 0-d tensor holding value=.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
               OutArg dest = {});
// reduce: "sum", "prod", "mean", "amax", "amin".
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self, OutArg dest = {});
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha,
                 OutArg dest = {});
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, OutArg dest = {});
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value, OutArg dest = {});
Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate, OutArg dest = {});
Tensor bincount(const Tensor& self, const std::optional<Tensor>& weights, int64_t minlength);
Tensor histc(const Tensor& self, int64_t bins, const Scalar& min, const Scalar& max, OutArg dest = {});
Tensor one_hot(const Tensor& self, int64_t num_classes);
// --- matrix products (linalg.cpp). Operands share one dtype (no promotion, as in PyTorch);
// integer products wrap, bool is refused. The add* forms compute beta * input + alpha * product.
Tensor mm(const Tensor& a, const Tensor& b, OutArg dest = {});
Tensor bmm(const Tensor& a, const Tensor& b, OutArg dest = {});
Tensor mv(const Tensor& mat, const Tensor& vec, OutArg dest = {});
Tensor dot(const Tensor& a, const Tensor& b, OutArg dest = {});
Tensor vdot(const Tensor& a, const Tensor& b, OutArg dest = {});
Tensor outer(const Tensor& a, const Tensor& b, OutArg dest = {});
Tensor addmm(const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
             OutArg dest = {});
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha,
             OutArg dest = {});
Tensor baddbmm(const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
               OutArg dest = {});
Tensor addbmm(const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
              OutArg dest = {});
Tensor matmul(const Tensor& a, const Tensor& b, OutArg dest = {});  // every rank case, batch dims broadcast
Tensor linear(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias);  // x @ weight.T + bias
// --- contractions built on the matrix product (einsum.cpp)
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
Tensor tensordot(const Tensor& a, const Tensor& b, const Shape& dims_a, const Shape& dims_b);
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims);  // last dims of a with first of b
Tensor kron(const Tensor& a, const Tensor& b, OutArg dest = {});
// --- sorting and searching (sorting.cpp, searching.cpp). Ops with two results return
// (values, indices) and take an optional OutPair for out=(values, indices).
TensorPair sort(const Tensor& x, int64_t dim, bool descending, bool stable, OutPair out = {});
Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable);
Tensor msort(const Tensor& x, OutArg dest = {});
TensorPair topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted, OutPair out = {});
TensorPair kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim, OutPair out = {});
TensorPair median(const Tensor& x, int64_t dim, bool keepdim, OutPair out = {});
TensorPair nanmedian(const Tensor& x, int64_t dim, bool keepdim, OutPair out = {});
Tensor median(const Tensor& x);     // lower median of all elements (NaN if any is NaN)
Tensor nanmedian(const Tensor& x);  // lower median of the non-NaN elements
TensorPair mode(const Tensor& x, int64_t dim, bool keepdim, OutPair out = {});
// unique / unique_consecutive of the flattened input: (values, inverse, counts); inverse and
// counts are undefined tensors unless asked for.
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& x, bool return_inverse, bool return_counts);
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& x, bool return_inverse, bool return_counts);
// The same over slices along `dim` (inverse has x.size(dim) entries).
std::tuple<Tensor, Tensor, Tensor> unique_dim(const Tensor& x, int64_t dim, bool return_inverse, bool return_counts);
std::tuple<Tensor, Tensor, Tensor> unique_consecutive_dim(const Tensor& x, int64_t dim, bool return_inverse,
                                                          bool return_counts);
// `values` may be a wrapped number (torch.searchsorted(seq, 3)).
Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32, bool right,
                    const std::optional<Tensor>& sorter, OutArg dest = {});
Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool out_int32, bool right, OutArg dest = {});
// --- convolution (conv.cpp), fold/unfold (fold.cpp), pooling (pool.cpp): torch.nn.functional's
// semantics. Window parameters hold one value or one per spatial dim (checked like PyTorch).
struct ConvOptions {
  Shape stride{1}, padding{0}, dilation{1}, output_padding{0};
  int64_t groups = 1;
  bool transposed = false;
  bool same = false;  // padding='same' (padding='valid' is padding 0)
};
// conv{nd}d / conv_transpose{nd}d for nd = 1, 2, 3; `op` names it in errors. Unbatched inputs
// ([C, spatial...]) give unbatched outputs.
Tensor convolution(const char* op, const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                   int nd, const ConvOptions& options);
// F.unfold: [N, C, H, W] -> [N, C * kh * kw, L] sliding blocks; F.fold: its adjoint (sums overlaps).
Tensor im2col(const Tensor& input, const Shape& kernel_size, const Shape& dilation, const Shape& padding,
              const Shape& stride);
Tensor col2im(const Tensor& input, const Shape& output_size, const Shape& kernel_size, const Shape& dilation,
              const Shape& padding, const Shape& stride);
struct PoolOptions {
  Shape kernel_size, stride, padding{0}, dilation{1};  // empty stride: the kernel size
  bool ceil_mode = false;
  bool count_include_pad = true;
  int64_t divisor_override = 0;  // 0: none
  bool return_indices = true;    // max_pool: false leaves indices undefined unless autograd needs them
};
// max_pool{nd}d with indices (the flat position in each input plane, int64).
TensorPair max_pool(const char* op, const Tensor& input, int nd, const PoolOptions& options);
Tensor avg_pool(const char* op, const Tensor& input, int nd, const PoolOptions& options);
// adaptive_{avg,max}_pool{nd}d; output_size entries <= 0 keep the input's size (None).
Tensor adaptive_avg_pool(const char* op, const Tensor& input, int nd, const Shape& output_size);
TensorPair adaptive_max_pool(const char* op, const Tensor& input, int nd, const Shape& output_size,
                             bool return_indices = true);
// --- softmax (softmax.cpp): exp(x - max) / sum along `dim`, and its log; floating dtypes only,
// after the optional dtype= cast. The result is a new contiguous tensor.
Tensor softmax(const Tensor& x, int64_t dim, OptionalDtype dtype = {});
Tensor log_softmax(const Tensor& x, int64_t dim, OptionalDtype dtype = {});

// --- reductions that also return where (arg_reduce.cpp): first index of the extreme, NaN wins.
TensorPair max(const Tensor& x, int64_t dim, bool keepdim, OutPair out = {});
TensorPair min(const Tensor& x, int64_t dim, bool keepdim, OutPair out = {});
Tensor max(const Tensor& x);  // every element; RuntimeError when empty
Tensor min(const Tensor& x);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OutArg dest = {});
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OutArg dest = {});
TensorPair aminmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OutPair out = {});

// --- scans along a dim (scan.cpp). cumsum/cumprod of integers and bool give int64 unless
// `dtype` is given; cummax/cummin return (values, indices).
Tensor cumsum(const Tensor& x, int64_t dim, OptionalDtype dtype = {}, OutArg dest = {});
Tensor cumprod(const Tensor& x, int64_t dim, OptionalDtype dtype = {}, OutArg dest = {});
TensorPair cummax(const Tensor& x, int64_t dim, OutPair out = {});
TensorPair cummin(const Tensor& x, int64_t dim, OutPair out = {});
Tensor logcumsumexp(const Tensor& x, int64_t dim, OutArg dest = {});

// --- recurrent layers (rnn.cpp): one layer and direction over a sequence. gates_x is the input
// projection of every step ([seq, batch, gates * hidden], or [rows, ...] packed by batch_sizes);
// c0 only for LSTM, b_hh only for GRU (the others fold it into gates_x), w_hr only for an LSTM
// with proj_size. Returns {output, h_n} (+ c_n for LSTM).
std::vector<Tensor> rnn_layer(RnnCellKind kind, const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                              const Tensor& w_hh, const Tensor& b_hh, const Tensor& w_hr,
                              const std::vector<int64_t>& batch_sizes, bool reverse);

// --- attention (attention.cpp): softmax(q kᵀ scale + mask) v by the backend's fused kernel;
// q [..., L, E], k [..., S, E], v [..., S, Ev] with equal batch dims, float32/float64; attn_mask
// (bool: True takes part; float: added) broadcast to [..., L, S], or undefined.
Tensor scaled_dot_product_attention_fused(const Tensor& query, const Tensor& key, const Tensor& value,
                                          const Tensor& attn_mask, bool is_causal, double scale);

// --- normalisation (normalization.cpp): the backend's fused layer norm over the last
// `normalized_ndim` dims and training-mode batch norm over (N, C, *) with the batch's statistics
// (returning the output, the batch mean and the biased variance, for the running statistics).
// Both return undefined (empty) results where the fused primitive does not apply.
Tensor layer_norm_fused(const Tensor& input, int64_t normalized_ndim, const Tensor& weight, const Tensor& bias,
                        double eps);
// --- losses (loss.cpp): cross entropy of (N, C) float32/float64 logits against int64 class
// indices, no class weights or label smoothing, by the backend's fused kernel; reduction
// "mean" (over the targets that are not ignore_index), "sum" or "none". Undefined where the
// fused kernel does not apply; IndexError for a target outside [0, C).
Tensor cross_entropy_fused(const Tensor& input, const Tensor& target, int64_t ignore_index,
                           const std::string& reduction);
std::vector<Tensor> batch_norm_fused(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps);

}  // namespace pydl
