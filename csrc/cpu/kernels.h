// The CPU kernels compiled per ISA level (csrc/cpu/kernels/*.cpp). Each is a KernelStub: a
// call runs the version for the level selected at start-up (see core/cpu_isa.h).
#pragma once
#include "backend/backend.h"
#include "backend/elementwise_ops.h"
#include "backend/sorting_ops.h"
#include "core/cpu_isa.h"
#include "core/elementwise_iter.h"
#include "core/philox.h"
#include "core/scalar.h"

namespace pydl::cpu {

using CopyKernel = void (*)(const ElementwiseIter& iter);  // operand 0 = cast(operand 1)
using FillKernel = void (*)(const ElementwiseIter& iter, const Scalar& value);  // operand 0 only
using RandomKernel = void (*)(const Tensor& out, const RandomSpec& spec, uint64_t seed, uint64_t offset);

using UnaryKernel = void (*)(UnaryOp op, const ElementwiseIter& iter, const OpParams& params);
using BinaryKernel = void (*)(BinaryOp op, const ElementwiseIter& iter, const OpParams& params);
using TernaryKernel = void (*)(TernaryOp op, const ElementwiseIter& iter, const OpParams& params);

using ReduceKernel = void (*)(ReduceOp op, const Tensor& out, const Tensor& in);
using ArgReduceKernel = void (*)(ReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& in,
                                int64_t dim);

PYDL_DECLARE_KERNEL(CopyKernel, copy_kernel);
PYDL_DECLARE_KERNEL(ReduceKernel, reduce_kernel);
PYDL_DECLARE_KERNEL(ArgReduceKernel, arg_reduce_kernel);
PYDL_DECLARE_KERNEL(UnaryKernel, unary_kernel);
PYDL_DECLARE_KERNEL(BinaryKernel, binary_kernel);
PYDL_DECLARE_KERNEL(TernaryKernel, ternary_kernel);
PYDL_DECLARE_KERNEL(FillKernel, fill_kernel);
PYDL_DECLARE_KERNEL(RandomKernel, random_kernel);

// --- matrix multiply (kernels/gemm_kernel.cpp); see Backend::gemm.
using GemmKernel = void (*)(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha,
                            const Scalar& beta);
PYDL_DECLARE_KERNEL(GemmKernel, gemm_kernel);

// --- shape ops: compiled once, not per ISA level (memory-bound copies; cpu/triangle.cpp)
void triangle_kernel(const Tensor& out, const Tensor& in, int64_t k, bool upper);
// --- indexing (kernels/index_kernel.cpp)
using IndexGatherKernel = void (*)(const ElementwiseIter& iter, const IndexSpec& spec);
using IndexScatterKernel = void (*)(const ElementwiseIter& iter, const IndexSpec& spec, ScatterReduce reduce);
using CountNonzeroKernel = int64_t (*)(const Tensor& t);
using NonzeroKernel = void (*)(const Tensor& t, const Tensor& out);
PYDL_DECLARE_KERNEL(IndexGatherKernel, index_gather_kernel);
PYDL_DECLARE_KERNEL(IndexScatterKernel, index_scatter_kernel);
PYDL_DECLARE_KERNEL(CountNonzeroKernel, count_nonzero_kernel);
PYDL_DECLARE_KERNEL(NonzeroKernel, nonzero_kernel);
// --- sorting and searching (kernels/sort_kernel.cpp); see the Backend primitives of the same names.
using SortKernel = void (*)(const Tensor& values, const Tensor& indices, const Tensor& input, bool descending);
using TopkKernel = void (*)(const Tensor& values, const Tensor& indices, const Tensor& input, int64_t k, bool largest,
                            bool sorted);
using RowStatKernel = void (*)(RowStat kind, const Tensor& values, const Tensor& indices, const Tensor& input);
using UniqueConsecutiveKernel = int64_t (*)(const Tensor& values, const Tensor& inverse, const Tensor& counts,
                                            const Tensor& input, const Tensor& perm);
using LexsortRowsKernel = void (*)(const Tensor& perm, const Tensor& input);
using SearchsortedKernel = void (*)(const Tensor& out, const Tensor& sorted, const Tensor& values,
                                    const Tensor& sorter, bool right);
PYDL_DECLARE_KERNEL(SortKernel, sort_kernel);
PYDL_DECLARE_KERNEL(TopkKernel, topk_kernel);
PYDL_DECLARE_KERNEL(RowStatKernel, row_stat_kernel);
PYDL_DECLARE_KERNEL(UniqueConsecutiveKernel, unique_consecutive_kernel);
PYDL_DECLARE_KERNEL(SearchsortedKernel, searchsorted_kernel);
PYDL_DECLARE_KERNEL(LexsortRowsKernel, lexsort_rows_kernel);
// --- softmax (kernels/softmax_kernel.cpp); see Backend::softmax.
using SoftmaxKernel = void (*)(const Tensor& out, const Tensor& in, int64_t dim, bool log);
PYDL_DECLARE_KERNEL(SoftmaxKernel, softmax_kernel);
using SoftmaxBackwardKernel = void (*)(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log);
PYDL_DECLARE_KERNEL(SoftmaxBackwardKernel, softmax_backward_kernel);
using CrossEntropyKernel = CrossEntropyScan (*)(const CrossEntropyTensors& t, bool backward);
PYDL_DECLARE_KERNEL(CrossEntropyKernel, cross_entropy_kernel);

// --- scans (kernels/scan_kernel.cpp); see Backend::scan.
using ScanKernel = void (*)(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim);
PYDL_DECLARE_KERNEL(ScanKernel, scan_kernel);

// --- sliding windows (kernels/im2col_kernel.cpp, kernels/pool_kernel.cpp); see Backend::im2col etc.
using Im2colKernel = void (*)(const Tensor& cols, const Tensor& in, const ConvGeometry& g);
using Col2imKernel = void (*)(const Tensor& in, const Tensor& cols, const ConvGeometry& g);
using PoolKernel = void (*)(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in,
                            const PoolGeometry& g);
using PoolBackwardKernel = void (*)(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out,
                                    const Tensor& indices, const PoolGeometry& g);
using ConvDirectKernel = void (*)(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                                  const ConvGeometry& g, int64_t groups);
PYDL_DECLARE_KERNEL(Im2colKernel, im2col_kernel);
PYDL_DECLARE_KERNEL(ConvDirectKernel, conv_direct_kernel);
using ConvDirectWeightKernel = void (*)(const Tensor& gw, const Tensor& in, const Tensor& grad_out,
                                        const ConvGeometry& g, int64_t groups);
PYDL_DECLARE_KERNEL(ConvDirectWeightKernel, conv_direct_weight_kernel);
PYDL_DECLARE_KERNEL(Col2imKernel, col2im_kernel);
PYDL_DECLARE_KERNEL(PoolKernel, pool_kernel);
PYDL_DECLARE_KERNEL(PoolBackwardKernel, pool_backward_kernel);

}  // namespace pydl::cpu

// In a kernel file: PYDL_REGISTER_KERNEL(copy_kernel, &copy_impl); registers this file's ISA.
#define PYDL_ISA_ENUM_scalar ::pydl::CpuIsa::Scalar
#define PYDL_ISA_ENUM_avx2 ::pydl::CpuIsa::Avx2
#define PYDL_ISA_ENUM_avx512 ::pydl::CpuIsa::Avx512
#define PYDL_ISA_ENUM_neon ::pydl::CpuIsa::Neon
#define PYDL_ISA_CAT2(a, b) a##b
#define PYDL_ISA_CAT(a, b) PYDL_ISA_CAT2(a, b)
#define PYDL_THIS_ISA PYDL_ISA_CAT(PYDL_ISA_ENUM_, PYDL_CPU_ISA)
#define PYDL_REGISTER_KERNEL(stub, fn)                                                   \
  static const bool PYDL_ISA_CAT(stub##_registered_, __LINE__) = [] {                   \
    ::pydl::cpu::stub.table[static_cast<int>(PYDL_THIS_ISA)] = fn;                       \
    ::pydl::note_compiled_isa(PYDL_THIS_ISA);                                            \
    return true;                                                                         \
  }()
