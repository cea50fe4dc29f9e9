// Pooling: max_pool / avg_pool / adaptive_avg_pool / adaptive_max_pool over 1, 2 or 3 spatial
// dims, batched ([N, C, s...]) or not ([C, s...]). Each op turns its parameters into the
// per-dim window tables of PoolGeometry (fixed windows with PyTorch's padding, dilation and
// ceil_mode rules, or adaptive ones) and runs the one pooling primitive over contiguous planes.
//
// Autograd: max pooling's gradient scatters through the saved indices and its double backward
// gathers through them; average pooling is linear, so its gradient's gradient is the pooling
// itself. Both are recorded as nodes written with ops, so create_graph works.
#include <algorithm>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"
#include "ops/window.h"

namespace pydl {
namespace {

struct PoolPlan {
  PoolGeometry geom;
  Shape batch;  // the dims before the spatial ones (planes = their product)
  Shape in_sizes, out_sizes;
  Shape in_shape() const { return cat_shape(in_sizes); }
  Shape out_shape() const { return cat_shape(out_sizes); }
  Shape cat_shape(const Shape& s) const {
    Shape r = batch;
    for (int64_t v : s) r.push_back(v);
    return r;
  }
};

void check_input(const char* op, const Tensor& x, int nd) {
  bool ok = x.dim() == nd + 1 || x.dim() == nd + 2;
  for (int64_t i = 1; ok && i < x.dim(); ++i) ok = x.size(i) > 0;
  PYDL_CHECK(ok, op, ": non-empty ", nd + 1, "D or ", nd + 2, "D (batch mode) tensor expected for input, but got ",
             x.sizes());
  PYDL_CHECK_NOT_IMPLEMENTED(x.dtype() != ScalarType::Bool, "\"", op, "\" not implemented for 'Bool'");
}

// PyTorch's dtype coverage: max pooling takes every integer type, average pooling int64 only,
// the adaptive pools floating types only.
void check_dtype(const char* op, const Tensor& x, bool integers, bool int64_only) {
  const bool ok = is_floating(x.dtype()) || (integers && (!int64_only || x.dtype() == ScalarType::Int64));
  PYDL_CHECK_NOT_IMPLEMENTED(ok, "\"", op, "\" not implemented for '", x.dtype(), "'");
}

PoolPlan base_plan(const Tensor& x, int nd) {
  PoolPlan p;
  const int64_t lead = x.dim() - nd;
  int64_t planes = 1;
  for (int64_t i = 0; i < lead; ++i) {
    p.batch.push_back(x.size(i));
    planes *= x.size(i);
  }
  for (int64_t i = lead; i < x.dim(); ++i) p.in_sizes.push_back(x.size(i));
  p.geom.planes = planes;
  return p;
}

// Fixed windows: max_pool (dilated taps, padding never read) or avg_pool (divisor per PyTorch's
// count_include_pad rule; the window is clipped to the padded input).
PoolPlan fixed_plan(const char* op, const Tensor& x, int nd, const PoolOptions& o, bool is_max) {
  const Shape k = window::expand("kernel_size", o.kernel_size, nd, "pooling dimensions");
  const Shape s = o.stride.empty() ? k : window::expand("stride", o.stride, nd, "pooling dimensions");
  const Shape pad = window::expand("padding", o.padding, nd, "pooling dimensions");
  const Shape d = window::expand("dilation", o.dilation, nd, "pooling dimensions");
  PoolPlan p = base_plan(x, nd);
  for (int i = 0; i < nd; ++i) {
    PYDL_CHECK(k[i] > 0, op, ": kernel_size must be greater than zero, but got ", k);
    PYDL_CHECK(s[i] > 0, op, ": stride should not be zero, but got ", s);
    PYDL_CHECK(d[i] > 0, op, ": dilation should be greater than zero, but got ", d);
    PYDL_CHECK(pad[i] >= 0 && pad[i] <= (is_max ? ((k[i] - 1) * d[i] + 1) / 2 : k[i] / 2), op,
               ": pad should be at most half of effective kernel size, but got pad=", pad[i], ", kernel_size=", k[i],
               " and dilation=", d[i]);
    // PyTorch also bounds a dilated max pool's padding by the undilated kernel.
    PYDL_CHECK(pad[i] <= k[i] / 2, op, ": pad should be smaller than or equal to half of kernel size, but got pad=",
               pad, ", kernel_size=", k);
  }
  for (int i = 0; i < nd; ++i) {
    // PyTorch's pooling_output_shape: floor division, and with ceil_mode the last window must
    // start inside the input or the left padding.
    const int64_t in = p.in_sizes[i], room = in + 2 * pad[i] - d[i] * (k[i] - 1) - 1 + (o.ceil_mode ? s[i] - 1 : 0);
    int64_t out = (room >= 0 ? room / s[i] : -((-room + s[i] - 1) / s[i])) + 1;
    if (o.ceil_mode && out > 0 && (out - 1) * s[i] >= in + pad[i]) --out;
    p.out_sizes.push_back(out);
  }
  for (int i = 0; i < nd; ++i) {
    PYDL_CHECK(p.out_sizes[i] > 0, op, ": Given input size: ", window::by(p.in_sizes),
               ". Calculated output size: ", window::by(p.out_sizes), ". Output size is too small");
  }
  p.geom.divisor_override = o.divisor_override;
  for (int i = 0; i < nd; ++i) {
    PoolDim& dim = p.geom.dims[kMaxSpatialDims - nd + i];
    const int64_t in = p.in_sizes[i], out = p.out_sizes[i];
    dim.in = in;
    dim.step = is_max ? d[i] : 1;
    dim.begin.assign(out, 0);
    dim.end.assign(out, 0);
    dim.divisor.assign(out, 1);
    for (int64_t j = 0; j < out; ++j) {
      int64_t start = j * s[i] - pad[i];
      if (is_max) {
        const int64_t end = std::min(start + (k[i] - 1) * d[i] + 1, in);
        while (start < 0) start += d[i];
        dim.begin[j] = start;
        dim.end[j] = std::max(end, start);
      } else {
        int64_t end = std::min(start + k[i], in + pad[i]);
        const int64_t padded = end - start;
        start = std::max<int64_t>(start, 0);
        end = std::min(end, in);
        dim.begin[j] = start;
        dim.end[j] = std::max(end, start);
        dim.divisor[j] = o.count_include_pad ? padded : std::max<int64_t>(end - start, 1);
      }
    }
  }
  return p;
}

PoolPlan adaptive_plan(const char* op, const Tensor& x, int nd, const Shape& output_size) {
  const Shape want = window::expand("output_size", output_size, nd, "pooling dimensions");
  PoolPlan p = base_plan(x, nd);
  for (int i = 0; i < nd; ++i) {
    const int64_t in = p.in_sizes[i];
    PYDL_CHECK(want[i] >= -1, op, ": elements of output_size must be greater than or equal to 0 but received ",
               want);
    const int64_t out = want[i] == -1 ? in : want[i];  // -1: None, keep the input size
    p.out_sizes.push_back(out);
    PoolDim& dim = p.geom.dims[kMaxSpatialDims - nd + i];
    dim.in = in;
    dim.step = 1;
    dim.begin.assign(out, 0);
    dim.end.assign(out, 0);
    dim.divisor.assign(out, 1);
    for (int64_t j = 0; j < out; ++j) {
      dim.begin[j] = j * in / out;                   // floor(j * in / out)
      dim.end[j] = ((j + 1) * in + out - 1) / out;  // ceil((j + 1) * in / out)
      dim.divisor[j] = dim.end[j] - dim.begin[j];
    }
  }
  return p;
}

// --- the primitives with autograd --------------------------------------------------------

Tensor avg_forward(const Tensor& x, const PoolPlan& p, const char* node);
Tensor avg_backward(const Tensor& g, const PoolPlan& p);

Tensor avg_forward(const Tensor& x_in, const PoolPlan& p, const char* node) {
  const Tensor x = contiguous(x_in);
  Tensor out = empty(p.out_shape(), x.dtype(), x.device());
  if (out.numel() > 0) backend(x.device().type).pool(PoolKind::Avg, out, Tensor(), x, p.geom);
  if (is_floating(x.dtype()) && autograd::needs_grad({&x_in}))
    autograd::record(node, {x_in}, {out}, {}, {}, [p](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{avg_backward(c.grad(), p)};
    });
  return out;
}

Tensor avg_backward(const Tensor& g_in, const PoolPlan& p) {
  const Tensor g = contiguous(g_in);
  Tensor gx = empty(p.in_shape(), g.dtype(), g.device());
  if (gx.numel() > 0) backend(g.device().type).pool_backward(PoolKind::Avg, gx, g, Tensor(), p.geom);
  if (autograd::needs_grad({&g_in}))
    autograd::record("AvgPoolBackwardBackward0", {g_in}, {gx}, {}, {}, [p](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{avg_forward(c.grad(), p, "AvgPoolBackward0")};
    });
  return gx;
}

// The gradient of max pooling: g added at the saved indices of each plane.
Tensor max_backward(const Tensor& g_in, const Tensor& indices, const PoolPlan& p) {
  const Tensor g = contiguous(g_in);
  Tensor gx = empty(p.in_shape(), g.dtype(), g.device());
  if (gx.numel() > 0) backend(g.device().type).pool_backward(PoolKind::Max, gx, g, indices, p.geom);
  if (autograd::needs_grad({&g_in}))
    autograd::record("MaxPoolBackwardBackward0", {g_in}, {gx}, {indices}, {}, [p](const autograd::BackwardContext& c) {
      // Each output gradient came from one input element: read it back from there.
      const Tensor& idx = c.saved[0];
      const int64_t planes = p.geom.planes;
      const Tensor flat = reshape(c.grad(), {planes, p.geom.in_numel()});
      return std::vector<Tensor>{reshape(gather(flat, 1, reshape(idx, {planes, p.geom.out_numel()})), p.out_shape())};
    });
  return gx;
}

// indices are computed when asked for or when autograd will need them, else left undefined
// (the kernel then compares values only).
TensorPair max_forward(const Tensor& x_in, const PoolPlan& p, const char* node, bool with_indices) {
  const Tensor x = contiguous(x_in);
  const bool grad = is_floating(x.dtype()) && autograd::needs_grad({&x_in});
  Tensor out = empty(p.out_shape(), x.dtype(), x.device());
  Tensor indices = with_indices || grad ? empty(p.out_shape(), ScalarType::Int64, x.device()) : Tensor();
  if (out.numel() > 0) backend(x.device().type).pool(PoolKind::Max, out, indices, x, p.geom);
  if (grad)
    autograd::record(node, {x_in}, {out}, {indices}, {}, [p](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{max_backward(c.grad(), c.saved[0], p)};
    });
  return {out, indices};
}

// PyTorch's node names: MaxPool2DWithIndicesBackward0, AvgPool2DBackward0, ...
enum Family { kMax, kAvg, kAdaptiveMax, kAdaptiveAvg };
const char* node_name(Family family, int nd) {
  static const char* names[4][3] = {
      {"MaxPool1DWithIndicesBackward0", "MaxPool2DWithIndicesBackward0", "MaxPool3DWithIndicesBackward0"},
      {"AvgPool1DBackward0", "AvgPool2DBackward0", "AvgPool3DBackward0"},
      {"AdaptiveMaxPool1DBackward0", "AdaptiveMaxPool2DBackward0", "AdaptiveMaxPool3DBackward0"},
      {"AdaptiveAvgPool1DBackward0", "AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool3DBackward0"}};
  return names[family][nd - 1];
}

}  // namespace

TensorPair max_pool(const char* op, const Tensor& input, int nd, const PoolOptions& options) {
  check_input(op, input, nd);
  check_dtype(op, input, true, false);
  const PoolPlan p = fixed_plan(op, input, nd, options, true);
  return max_forward(input, p, node_name(kMax, nd), options.return_indices);
}

Tensor avg_pool(const char* op, const Tensor& input, int nd, const PoolOptions& options) {
  check_input(op, input, nd);
  check_dtype(op, input, true, true);
  const PoolPlan p = fixed_plan(op, input, nd, options, false);
  if (nd == 3) {  // PyTorch's avg_pool3d alone also wants the unpadded input to hold a window
    const Shape k = window::expand("kernel_size", options.kernel_size, nd, "pooling dimensions");
    bool fits = true;
    for (int i = 0; i < 3; ++i) fits = fits && p.in_sizes[i] >= k[i];
    PYDL_CHECK(fits, op, ": input image (T: ", p.in_sizes[0], " H: ", p.in_sizes[1], " W: ", p.in_sizes[2],
               ") smaller than kernel size (kT: ", k[0], " kH: ", k[1], " kW: ", k[2], ")");
  }
  return avg_forward(input, p, node_name(kAvg, nd));
}

Tensor adaptive_avg_pool(const char* op, const Tensor& input, int nd, const Shape& output_size) {
  check_input(op, input, nd);
  check_dtype(op, input, false, false);
  const PoolPlan p = adaptive_plan(op, input, nd, output_size);
  return avg_forward(input, p, node_name(kAdaptiveAvg, nd));
}

TensorPair adaptive_max_pool(const char* op, const Tensor& input, int nd, const Shape& output_size,
                             bool return_indices) {
  check_input(op, input, nd);
  check_dtype(op, input, false, false);
  const PoolPlan p = adaptive_plan(op, input, nd, output_size);
  return max_forward(input, p, node_name(kAdaptiveMax, nd), return_indices);
}

}  // namespace pydl
