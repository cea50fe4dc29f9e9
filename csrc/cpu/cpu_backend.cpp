// The CPU backend: memory from the caching allocator, primitives from the per-ISA kernels.
#include <cstring>

#include "backend/backend.h"
#include "core/allocator.h"
#include "cpu/attention_kernel.h"
#include "cpu/kernels.h"
#include "cpu/norm_kernel.h"
#include "cpu/optim_kernel.h"
#include "cpu/rnn_kernel.h"

namespace pydl::cpu {

PYDL_DEFINE_KERNEL(CopyKernel, copy_kernel);
PYDL_DEFINE_KERNEL(FillKernel, fill_kernel);
PYDL_DEFINE_KERNEL(RandomKernel, random_kernel);
PYDL_DEFINE_KERNEL(UnaryKernel, unary_kernel);
PYDL_DEFINE_KERNEL(BinaryKernel, binary_kernel);
PYDL_DEFINE_KERNEL(TernaryKernel, ternary_kernel);
PYDL_DEFINE_KERNEL(ReduceKernel, reduce_kernel);
PYDL_DEFINE_KERNEL(ArgReduceKernel, arg_reduce_kernel);
PYDL_DEFINE_KERNEL(GemmKernel, gemm_kernel);
// indexing
PYDL_DEFINE_KERNEL(IndexGatherKernel, index_gather_kernel);
PYDL_DEFINE_KERNEL(IndexScatterKernel, index_scatter_kernel);
PYDL_DEFINE_KERNEL(CountNonzeroKernel, count_nonzero_kernel);
PYDL_DEFINE_KERNEL(NonzeroKernel, nonzero_kernel);
// sorting and searching
PYDL_DEFINE_KERNEL(SortKernel, sort_kernel);
PYDL_DEFINE_KERNEL(TopkKernel, topk_kernel);
PYDL_DEFINE_KERNEL(RowStatKernel, row_stat_kernel);
PYDL_DEFINE_KERNEL(UniqueConsecutiveKernel, unique_consecutive_kernel);
PYDL_DEFINE_KERNEL(SearchsortedKernel, searchsorted_kernel);
PYDL_DEFINE_KERNEL(LexsortRowsKernel, lexsort_rows_kernel);
// scans
PYDL_DEFINE_KERNEL(ScanKernel, scan_kernel);
// softmax
PYDL_DEFINE_KERNEL(SoftmaxKernel, softmax_kernel);
PYDL_DEFINE_KERNEL(SoftmaxBackwardKernel, softmax_backward_kernel);
PYDL_DEFINE_KERNEL(CrossEntropyKernel, cross_entropy_kernel);
// sliding windows
PYDL_DEFINE_KERNEL(Im2colKernel, im2col_kernel);
PYDL_DEFINE_KERNEL(ConvDirectKernel, conv_direct_kernel);
PYDL_DEFINE_KERNEL(ConvDirectWeightKernel, conv_direct_weight_kernel);
PYDL_DEFINE_KERNEL(Col2imKernel, col2im_kernel);
PYDL_DEFINE_KERNEL(PoolKernel, pool_kernel);
PYDL_DEFINE_KERNEL(PoolBackwardKernel, pool_backward_kernel);
// optimizers
PYDL_DEFINE_KERNEL(OptimizerStepKernel, optimizer_step_kernel);
// recurrent cells and attention
PYDL_DEFINE_KERNEL(RnnCellKernel, rnn_cell_kernel);
PYDL_DEFINE_KERNEL(AttentionKernel, attention_kernel);
// normalisation
PYDL_DEFINE_KERNEL(NormKernel, norm_kernel);

namespace {

class CpuBackend final : public Backend {
 public:
  CpuBackend() : Backend(DeviceType::CPU) {}
  void* allocate(size_t nbytes, int) override { return cpu_allocator()->allocate(nbytes); }
  void deallocate(void* p, size_t nbytes, int) override { cpu_allocator()->deallocate(p, nbytes); }
  void copy_to_host(void* dst, const void* src, size_t n, int) override { std::memcpy(dst, src, n); }
  void copy_from_host(void* dst, const void* src, size_t n, int) override { std::memcpy(dst, src, n); }

  void copy(const ElementwiseIter& iter) override { copy_kernel(iter); }
  void fill(const Tensor& out, const Scalar& value) override {
    fill_kernel(ElementwiseIter(out, {}, "fill_"), value);
  }
  void random(const Tensor& out, const RandomSpec& spec, uint64_t seed, uint64_t offset) override {
    random_kernel(out, spec, seed, offset);
  }

  void unary(UnaryOp op, const ElementwiseIter& iter, const OpParams& p) override { unary_kernel(op, iter, p); }
  void binary(BinaryOp op, const ElementwiseIter& iter, const OpParams& p) override { binary_kernel(op, iter, p); }
  void ternary(TernaryOp op, const ElementwiseIter& iter, const OpParams& p) override { ternary_kernel(op, iter, p); }

  void reduce(ReduceOp op, const Tensor& out, const Tensor& in) override { reduce_kernel(op, out, in); }
  void arg_reduce(ReduceOp op, const Tensor& v, const Tensor& i, const Tensor& in, int64_t dim) override {
    arg_reduce_kernel(op, v, i, in, dim);
  }
  void gemm(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta) override {
    gemm_kernel(out, a, b, alpha, beta);
  }
  // --- shape ops
  void triangle(const Tensor& out, const Tensor& in, int64_t k, bool upper) override {
    triangle_kernel(out, in, k, upper);
  }
  // indexing
  void index_gather(const ElementwiseIter& iter, const IndexSpec& spec) override { index_gather_kernel(iter, spec); }
  void index_scatter(const ElementwiseIter& iter, const IndexSpec& spec, ScatterReduce r) override {
    index_scatter_kernel(iter, spec, r);
  }
  int64_t count_nonzero(const Tensor& t) override { return count_nonzero_kernel(t); }
  void nonzero(const Tensor& t, const Tensor& out) override { nonzero_kernel(t, out); }
  // --- sorting and searching (the CPU sort is always stable)
  void sort(const Tensor& v, const Tensor& i, const Tensor& in, bool descending, bool) override {
    sort_kernel(v, i, in, descending);
  }
  void topk(const Tensor& v, const Tensor& i, const Tensor& in, int64_t k, bool largest, bool sorted) override {
    topk_kernel(v, i, in, k, largest, sorted);
  }
  void row_stat(RowStat kind, const Tensor& v, const Tensor& i, const Tensor& in) override {
    row_stat_kernel(kind, v, i, in);
  }
  void lexsort_rows(const Tensor& perm, const Tensor& in) override { lexsort_rows_kernel(perm, in); }
  int64_t unique_consecutive(const Tensor& v, const Tensor& inv, const Tensor& c, const Tensor& in,
                             const Tensor& perm) override {
    return unique_consecutive_kernel(v, inv, c, in, perm);
  }
  void searchsorted(const Tensor& out, const Tensor& s, const Tensor& v, const Tensor& sorter, bool right) override {
    searchsorted_kernel(out, s, v, sorter, right);
  }
  // --- scans
  void scan(ScanOp op, const Tensor& out, const Tensor& idx, const Tensor& in, int64_t dim) override {
    scan_kernel(op, out, idx, in, dim);
  }
  // --- softmax
  void softmax(const Tensor& out, const Tensor& in, int64_t dim, bool log) override {
    softmax_kernel(out, in, dim, log);
  }
  bool has_softmax_backward() const override { return true; }
  void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log) override {
    softmax_backward_kernel(grad_in, grad_out, out, log);
  }
  bool has_cross_entropy() const override { return true; }
  CrossEntropyScan cross_entropy(const CrossEntropyTensors& t, bool backward) override {
    return cross_entropy_kernel(t, backward);
  }
  // --- sliding windows
  void im2col(const Tensor& cols, const Tensor& in, const ConvGeometry& g) override { im2col_kernel(cols, in, g); }
  void col2im(const Tensor& in, const Tensor& cols, const ConvGeometry& g) override { col2im_kernel(in, cols, g); }
  bool has_conv_direct() const override { return true; }
  void conv_direct(const Tensor& out, const Tensor& in, const Tensor& w, const Tensor& b, const ConvGeometry& g,
                   int64_t groups) override {
    conv_direct_kernel(out, in, w, b, g, groups);
  }
  void conv_direct_weight(const Tensor& gw, const Tensor& in, const Tensor& gout, const ConvGeometry& g,
                          int64_t groups) override {
    conv_direct_weight_kernel(gw, in, gout, g, groups);
  }
  void pool(PoolKind kind, const Tensor& out, const Tensor& idx, const Tensor& in, const PoolGeometry& g) override {
    pool_kernel(kind, out, idx, in, g);
  }
  void pool_backward(PoolKind kind, const Tensor& gin, const Tensor& gout, const Tensor& idx,
                     const PoolGeometry& g) override {
    pool_backward_kernel(kind, gin, gout, idx, g);
  }
  // --- optimizers
  bool has_optimizer_step() const override { return true; }
  void optimizer_step(OptimizerKind kind, const OptimizerHyper& h, const OptimizerTensors& t) override {
    optimizer_step_kernel(kind, h, t);
  }
  void rnn_cell(RnnCellKind kind, bool backward, const RnnCellTensors& t) override {
    rnn_cell_kernel(kind, backward, t);
  }
  bool has_attention() const override { return true; }
  void attention(const AttentionTensors& t, bool backward) override { attention_kernel(t, backward); }
  bool has_norm() const override { return true; }
  void norm(NormKind kind, bool backward, const NormTensors& t) override { norm_kernel(kind, backward, t); }

  int device_count() override { return 1; }
  int current_device() override { return 0; }
  void synchronize(int) override {}
};

const bool registered = [] {
  static CpuBackend cpu_backend;
  register_backend(DeviceType::CPU, &cpu_backend);
  return true;
}();

}  // namespace
}  // namespace pydl::cpu
