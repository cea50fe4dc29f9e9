// Binary elementwise math on CUDA: out = f(a, b) over an ElementwiseIter (operand 0 the output,
// 1 and 2 the inputs in the compute dtype, broadcast dims at stride 0). Contiguous operands take
// a flat kernel; anything else the strided one, which maps each linear index to byte offsets.
// float16/bfloat16 compute in float, as on the CPU. The semantics are those of the CPU functors
// in csrc/cpu/kernels/binary_kernel.cpp (NaN-propagating maximum/minimum, NaN-ignoring fmax/fmin).
#include <cuda_runtime.h>

#include <type_traits>

#include "core/convert.h"
#include "core/dispatch.h"
#include "cuda_common.cuh"
#include "cuda_kernels.h"
#include "cuda_loops.cuh"
#include "ops/ops.h"

namespace pydl::cuda {
namespace {

template <typename Out, typename In, typename F>
__global__ void binary_contiguous_kernel(Out* out, const In* a, const In* b, int64_t n, F f) {
  using C = compute_t<In>;
  PYDL_GRID_STRIDE_LOOP(i, n) { out[i] = convert<Out>(f(static_cast<C>(a[i]), static_cast<C>(b[i]))); }
}

template <typename Out, typename In, typename F>
__global__ void binary_strided_kernel(char* out, const char* a, const char* b, int64_t n, StridedOffsets<3> g, F f) {
  using C = compute_t<In>;
  PYDL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[3];
    g.get(i, off);
    const C x = static_cast<C>(*reinterpret_cast<const In*>(a + off[1]));
    const C y = static_cast<C>(*reinterpret_cast<const In*>(b + off[2]));
    *reinterpret_cast<Out*>(out + off[0]) = convert<Out>(f(x, y));
  }
}

template <typename Out, typename In, typename F>
void launch(const ElementwiseIter& it, const F& f) {
  const int64_t n = it.numel();
  if (n == 0) return;
  DeviceGuard guard(pointer_device(it.data(0)));
  if (it.is_contiguous(0) && it.is_contiguous(1) && it.is_contiguous(2)) {
    binary_contiguous_kernel<Out, In, F><<<grid_for(n), kThreads>>>(
        reinterpret_cast<Out*>(it.data(0)), reinterpret_cast<const In*>(it.data(1)),
        reinterpret_cast<const In*>(it.data(2)), n, f);
    PYDL_CUDA_KERNEL_CHECK("binary_contiguous_kernel");
  } else {
    binary_strided_kernel<Out, In, F><<<grid_for(n), kThreads>>>(it.data(0), it.data(1), it.data(2), n,
                                                                 make_offsets<3>(it, "binary"), f);
    PYDL_CUDA_KERNEL_CHECK("binary_strided_kernel");
  }
  sync("binary elementwise kernel");
}

// The dtype families, as on the CPU (cpu/kernel_dispatch.h).
template <typename F>
void all_types(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_ALL_TYPES(it.dtype(1), "binary", [&] { launch<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void floating_types(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_FLOATING_TYPES(it.dtype(1), "binary", [&] { launch<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void integral_types(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_INTEGRAL_TYPES(it.dtype(1), "binary", [&] { launch<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void to_bool(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_ALL_TYPES(it.dtype(1), "binary", [&] { launch<bool, scalar_t>(it, f); });
}

// The functors: device code, generic over the compute type C.
#define PYDL_BINARY_FUNCTOR(Name, expr)                            \
  struct Name {                                                    \
    template <typename C>                                          \
    __device__ auto operator()(C a, C b) const { return expr; }    \
  }
PYDL_BINARY_FUNCTOR(AddF, a + b);
PYDL_BINARY_FUNCTOR(SubF, a - b);
PYDL_BINARY_FUNCTOR(MulF, a * b);
PYDL_BINARY_FUNCTOR(DivF, a / b);
PYDL_BINARY_FUNCTOR(MaximumF, a != a ? a : (b != b ? b : (a > b ? a : b)));
PYDL_BINARY_FUNCTOR(MinimumF, a != a ? a : (b != b ? b : (a < b ? a : b)));
PYDL_BINARY_FUNCTOR(FmaxF, a != a ? b : (b != b ? a : (a > b ? a : b)));
PYDL_BINARY_FUNCTOR(FminF, a != a ? b : (b != b ? a : (a < b ? a : b)));
PYDL_BINARY_FUNCTOR(AndF, a & b);
PYDL_BINARY_FUNCTOR(OrF, a | b);
PYDL_BINARY_FUNCTOR(XorF, a ^ b);
PYDL_BINARY_FUNCTOR(EqF, a == b);
PYDL_BINARY_FUNCTOR(NeF, a != b);
PYDL_BINARY_FUNCTOR(LtF, a < b);
PYDL_BINARY_FUNCTOR(LeF, a <= b);
PYDL_BINARY_FUNCTOR(GtF, a > b);
PYDL_BINARY_FUNCTOR(GeF, a >= b);
PYDL_BINARY_FUNCTOR(LogicalAndF, (a != C(0)) && (b != C(0)));
PYDL_BINARY_FUNCTOR(LogicalOrF, (a != C(0)) || (b != C(0)));
PYDL_BINARY_FUNCTOR(LogicalXorF, (a != C(0)) != (b != C(0)));
#undef PYDL_BINARY_FUNCTOR

// a + alpha * b; an integer alpha is exact in the integer type (as on the CPU).
struct AddAlphaF {
  double alpha;
  template <typename C>
  __device__ C operator()(C a, C b) const {
    if constexpr (std::is_floating_point_v<C>) return a + static_cast<C>(alpha) * b;
    else return static_cast<C>(a + static_cast<C>(static_cast<int64_t>(alpha)) * b);
  }
};

}  // namespace

void binary_kernel(BinaryOp op, const ElementwiseIter& it, const OpParams& p) {
  switch (op) {
    case BinaryOp::Add: return all_types(it, AddF{});
    case BinaryOp::AddAlpha: return all_types(it, AddAlphaF{p.a});
    case BinaryOp::Sub: return all_types(it, SubF{});
    case BinaryOp::Mul: return all_types(it, MulF{});
    case BinaryOp::Div: return floating_types(it, DivF{});
    case BinaryOp::Maximum: return all_types(it, MaximumF{});
    case BinaryOp::Minimum: return all_types(it, MinimumF{});
    case BinaryOp::Fmax: return all_types(it, FmaxF{});
    case BinaryOp::Fmin: return all_types(it, FminF{});
    case BinaryOp::BitwiseAnd: return integral_types(it, AndF{});
    case BinaryOp::BitwiseOr: return integral_types(it, OrF{});
    case BinaryOp::BitwiseXor: return integral_types(it, XorF{});
    case BinaryOp::Eq: return to_bool(it, EqF{});
    case BinaryOp::Ne: return to_bool(it, NeF{});
    case BinaryOp::Lt: return to_bool(it, LtF{});
    case BinaryOp::Le: return to_bool(it, LeF{});
    case BinaryOp::Gt: return to_bool(it, GtF{});
    case BinaryOp::Ge: return to_bool(it, GeF{});
    case BinaryOp::LogicalAnd: return to_bool(it, LogicalAndF{});
    case BinaryOp::LogicalOr: return to_bool(it, LogicalOrF{});
    case BinaryOp::LogicalXor: return to_bool(it, LogicalXorF{});
    default: break;
  }
  PYDL_CHECK_NOT_IMPLEMENTED(false, "\"", binary_name(op), "\" is not implemented for CUDA tensors yet");
}

}  // namespace pydl::cuda
