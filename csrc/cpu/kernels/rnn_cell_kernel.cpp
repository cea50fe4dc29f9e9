// The pointwise part of an RNN/LSTM/GRU time step (see backend/rnn_ops.h for the tensors): each
// row's gates are activated, combined with the previous state and written once, where a
// composed cell runs 8-12 elementwise ops over the same few kilobytes. Rows are independent
// and the hidden units of a row are `omp simd` loops; the float activations come from
// cpu/vec_math.h, so they vectorise. A step's rows go parallel only when there are enough of
// them to pay for the parallel region (a word-language-model step has 20 x 200 units: serial).
#include <algorithm>

#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/rnn_kernel.h"
#include "cpu/vec_math.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace vm = ::pydl::cpu::vmath;
namespace {

template <typename T>
T* rows_of(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <typename T>
void simple_forward(bool relu, const RnnCellTensors& t, int64_t rows, int64_t H) {
  const T* pre = rows_of<T>(t.gates);
  T* h = rows_of<T>(t.h);
  parallel_for_each(rows, H, [&](int64_t r) {
    const T* p = pre + r * H;
    T* o = h + r * H;
    if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) o[j] = p[j] > T(0) ? p[j] : T(0);
    } else {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) o[j] = vm::tanh(p[j]);
    }
  });
}

// Gradient w.r.t. the pre-activation from the output h: tanh' = 1 - h^2, relu' = [h > 0].
template <typename T>
void simple_backward(bool relu, const RnnCellTensors& t, int64_t rows, int64_t H) {
  const T *h = rows_of<T>(t.h), *gh = rows_of<T>(t.grad_h), *gx = rows_of<T>(t.grad_h_extra);
  T* gp = rows_of<T>(t.grad_gates);
  parallel_for_each(rows, H, [&](int64_t r) {
    const T *y = h + r * H, *g = gh + r * H, *e = gx ? gx + r * H : nullptr;
    T* o = gp + r * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T d = e ? g[j] + e[j] : g[j];
      o[j] = relu ? (y[j] > T(0) ? d : T(0)) : d * (T(1) - y[j] * y[j]);
    }
  });
}

template <typename T>
void lstm_forward(const RnnCellTensors& t, int64_t rows, int64_t H) {
  T* gates = rows_of<T>(t.gates);
  const T* cp = rows_of<T>(t.c_prev);
  T *c = rows_of<T>(t.c), *h = rows_of<T>(t.h);
  parallel_for_each(rows, 4 * H, [&](int64_t r) {
    T *i = gates + r * 4 * H, *f = i + H, *g = f + H, *o = g + H;
    const T* c0 = cp + r * H;
    T *c1 = c + r * H, *h1 = h + r * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      i[j] = vm::sigmoid(i[j]);
      f[j] = vm::sigmoid(f[j]);
      g[j] = vm::tanh(g[j]);
      o[j] = vm::sigmoid(o[j]);
      c1[j] = f[j] * c0[j] + i[j] * g[j];
      h1[j] = o[j] * vm::tanh(c1[j]);
    }
  });
}

template <typename T>
void lstm_backward(const RnnCellTensors& t, int64_t rows, int64_t H) {
  const T *gates = rows_of<T>(t.gates), *cp = rows_of<T>(t.c_prev), *c = rows_of<T>(t.c);
  const T *gh = rows_of<T>(t.grad_h), *gx = rows_of<T>(t.grad_h_extra);
  T *gc = rows_of<T>(t.grad_c), *gg = rows_of<T>(t.grad_gates);
  parallel_for_each(rows, 4 * H, [&](int64_t r) {
    const T *i = gates + r * 4 * H, *f = i + H, *g = f + H, *o = g + H;
    const T *c0 = cp + r * H, *c1 = c + r * H, *dh_in = gh + r * H, *dh_out = gx ? gx + r * H : nullptr;
    T* dc = gc + r * H;
    T *di = gg + r * 4 * H, *df = di + H, *dg = df + H, *do_ = dg + H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T dh = dh_out ? dh_in[j] + dh_out[j] : dh_in[j];
      const T tc = vm::tanh(c1[j]);
      const T dct = dc[j] + dh * o[j] * (T(1) - tc * tc);  // through h = o tanh(c), plus c's own
      do_[j] = dh * tc * o[j] * (T(1) - o[j]);
      di[j] = dct * g[j] * i[j] * (T(1) - i[j]);
      df[j] = dct * c0[j] * f[j] * (T(1) - f[j]);
      dg[j] = dct * i[j] * (T(1) - g[j] * g[j]);
      dc[j] = dct * f[j];
    }
  });
}

template <typename T>
void gru_forward(const RnnCellTensors& t, int64_t rows, int64_t H) {
  T* gates = rows_of<T>(t.gates);
  const T *hh = rows_of<T>(t.hidden_gates), *hp = rows_of<T>(t.h_prev);
  T* h = rows_of<T>(t.h);
  parallel_for_each(rows, 3 * H, [&](int64_t r) {
    T *xr = gates + r * 3 * H, *xz = xr + H, *xn = xz + H;
    const T *hr = hh + r * 3 * H, *hz = hr + H, *hn = hz + H, *h0 = hp + r * H;
    T* h1 = h + r * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T rg = vm::sigmoid(xr[j] + hr[j]), zg = vm::sigmoid(xz[j] + hz[j]);
      const T ng = vm::tanh(xn[j] + rg * hn[j]);
      xr[j] = rg;
      xz[j] = zg;
      xn[j] = ng;
      h1[j] = (T(1) - zg) * ng + zg * h0[j];
    }
  });
}

template <typename T>
void gru_backward(const RnnCellTensors& t, int64_t rows, int64_t H) {
  const T *gates = rows_of<T>(t.gates), *hh = rows_of<T>(t.hidden_gates), *hp = rows_of<T>(t.h_prev);
  const T* gx = rows_of<T>(t.grad_h_extra);
  T *gh = rows_of<T>(t.grad_h), *gg = rows_of<T>(t.grad_gates), *ghh = rows_of<T>(t.grad_hidden_gates);
  parallel_for_each(rows, 3 * H, [&](int64_t r) {
    const T *rg = gates + r * 3 * H, *zg = rg + H, *ng = zg + H, *hn = hh + r * 3 * H + 2 * H, *h0 = hp + r * H;
    const T* dh_out = gx ? gx + r * H : nullptr;
    T* dh_in = gh + r * H;
    T *dxr = gg + r * 3 * H, *dxz = dxr + H, *dxn = dxz + H;
    T *dhr = ghh + r * 3 * H, *dhz = dhr + H, *dhn = dhz + H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const T dh = dh_out ? dh_in[j] + dh_out[j] : dh_in[j];
      const T dn = dh * (T(1) - zg[j]) * (T(1) - ng[j] * ng[j]);  // w.r.t. n's pre-activation
      const T dz = dh * (h0[j] - ng[j]) * zg[j] * (T(1) - zg[j]);
      const T dr = dn * hn[j] * rg[j] * (T(1) - rg[j]);
      dxr[j] = dr;
      dxz[j] = dz;
      dxn[j] = dn;
      dhr[j] = dr;
      dhz[j] = dz;
      dhn[j] = dn * rg[j];
      dh_in[j] = dh * zg[j];
    }
  });
}

template <typename T>
void cell(RnnCellKind kind, bool backward, const RnnCellTensors& t) {
  const int64_t rows = t.gates.size(0);
  const int64_t H = (backward ? t.grad_h : t.h).size(1);
  switch (kind) {
    case RnnCellKind::Tanh:
    case RnnCellKind::Relu:
      return backward ? simple_backward<T>(kind == RnnCellKind::Relu, t, rows, H)
                      : simple_forward<T>(kind == RnnCellKind::Relu, t, rows, H);
    case RnnCellKind::Lstm: return backward ? lstm_backward<T>(t, rows, H) : lstm_forward<T>(t, rows, H);
    case RnnCellKind::Gru: return backward ? gru_backward<T>(t, rows, H) : gru_forward<T>(t, rows, H);
  }
}

void rnn_cell_impl(RnnCellKind kind, bool backward, const RnnCellTensors& t) {
  if (t.gates.dtype() == ScalarType::Float64) return cell<double>(kind, backward, t);
  PYDL_CHECK(t.gates.dtype() == ScalarType::Float32, "rnn_cell: the CPU kernel takes float32/float64, got ",
             t.gates.dtype());
  cell<float>(kind, backward, t);
}

}  // namespace

PYDL_REGISTER_KERNEL(rnn_cell_kernel, &rnn_cell_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
