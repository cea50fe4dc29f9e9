#include "backend/backend.h"

namespace pydl {
namespace {
Backend* g_backends[kNumDeviceTypes] = {};
}

void register_backend(DeviceType type, Backend* b) { g_backends[static_cast<int>(type)] = b; }
bool has_backend(DeviceType type) { return g_backends[static_cast<int>(type)] != nullptr; }

Backend& backend(DeviceType type) {
  Backend* b = g_backends[static_cast<int>(type)];
  PYDL_CHECK(b != nullptr, "pydl was built without ", device_type_name(type),
             " support (rebuild with nvcc on PATH, or PYDL_CUDA=ON, to get the CUDA backend)");
  return *b;
}

Device canonical_device(Device d) {
  if (d.is_cpu()) return Device(DeviceType::CPU);
  Backend& b = backend(d.type);
  int count = b.device_count();
  PYDL_CHECK(count > 0, "Found no NVIDIA driver or CUDA device on this machine (pydl.cuda.is_available() is False)");
  int index = d.index < 0 ? b.current_device() : d.index;
  PYDL_CHECK(index < count, "CUDA error: invalid device ordinal (device ", index, " requested, ", count,
             " available)");
  return Device(d.type, index);
}

}  // namespace pydl

namespace pydl {

void Backend::not_implemented(const char* what) const {
  PYDL_CHECK_NOT_IMPLEMENTED(false, what, " is not implemented for ", device_type_name(type_), " tensors yet");
  __builtin_unreachable();
}

void Backend::unary(UnaryOp, const ElementwiseIter&, const OpParams&) { not_implemented("unary elementwise math"); }
void Backend::binary(BinaryOp, const ElementwiseIter&, const OpParams&) { not_implemented("binary elementwise math"); }
void Backend::ternary(TernaryOp, const ElementwiseIter&, const OpParams&) { not_implemented("ternary elementwise math"); }
void Backend::reduce(ReduceOp, const Tensor&, const Tensor&) { not_implemented("reductions"); }
void Backend::arg_reduce(ReduceOp, const Tensor&, const Tensor&, const Tensor&, int64_t) {
  not_implemented("max/min/argmax along a dim");
}
void Backend::gemm(const Tensor&, const Tensor&, const Tensor&, const Scalar&, const Scalar&) {
  not_implemented("matrix multiplication");
}
// --- shape ops
void Backend::triangle(const Tensor&, const Tensor&, int64_t, bool) { not_implemented("tril/triu"); }
// --- indexing primitives
void Backend::index_gather(const ElementwiseIter&, const IndexSpec&) { not_implemented("index gather"); }
void Backend::index_scatter(const ElementwiseIter&, const IndexSpec&, ScatterReduce) { not_implemented("index scatter"); }
int64_t Backend::count_nonzero(const Tensor&) { not_implemented("count_nonzero"); }
void Backend::nonzero(const Tensor&, const Tensor&) { not_implemented("nonzero"); }
// --- sorting and searching
void Backend::sort(const Tensor&, const Tensor&, const Tensor&, bool, bool) { not_implemented("sort"); }
void Backend::topk(const Tensor&, const Tensor&, const Tensor&, int64_t, bool, bool) { not_implemented("topk"); }
void Backend::row_stat(RowStat, const Tensor&, const Tensor&, const Tensor&) { not_implemented("median/mode"); }
void Backend::lexsort_rows(const Tensor&, const Tensor&) { not_implemented("unique(dim=)"); }
int64_t Backend::unique_consecutive(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  not_implemented("unique");
}
void Backend::searchsorted(const Tensor&, const Tensor&, const Tensor&, const Tensor&, bool) {
  not_implemented("searchsorted");
}
// --- scans and softmax
void Backend::scan(ScanOp, const Tensor&, const Tensor&, const Tensor&, int64_t) { not_implemented("cumulative scans"); }
void Backend::softmax(const Tensor&, const Tensor&, int64_t, bool) { not_implemented("softmax"); }
// --- sliding windows
void Backend::im2col(const Tensor&, const Tensor&, const ConvGeometry&) { not_implemented("im2col"); }
void Backend::col2im(const Tensor&, const Tensor&, const ConvGeometry&) { not_implemented("col2im"); }
void Backend::conv_direct(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const ConvGeometry&, int64_t) {
  not_implemented("conv_direct");
}
void Backend::conv_direct_weight(const Tensor&, const Tensor&, const Tensor&, const ConvGeometry&, int64_t) {
  not_implemented("conv_direct_weight");
}
void Backend::pool(PoolKind, const Tensor&, const Tensor&, const Tensor&, const PoolGeometry&) { not_implemented("pool"); }
void Backend::pool_backward(PoolKind, const Tensor&, const Tensor&, const Tensor&, const PoolGeometry&) {
  not_implemented("pool_backward");
}

}  // namespace pydl
