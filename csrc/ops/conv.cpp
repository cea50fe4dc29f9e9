// Convolution (conv1d/2d/3d, conv_transpose1d/2d/3d) as im2col + pydl's GEMM.
//
// Algorithm (why this one): the batch is cut into chunks whose im2col buffer fits in a few MiB
// (one image for ResNet-size layers, the whole batch for LeNet-size ones), so the buffer stays
// in cache between being written and being packed by the GEMM, and never holds whole batches of
// large images. The buffer is laid out [channels * taps, images, positions]: forward reads it
// as one batched GEMM (out[b, g] = W[g] @ cols[b, g], the weight broadcast over images), and
// the weight gradient reads the same buffer as one GEMM with K = images * positions, instead of
// one small GEMM per image and a sum. 1x1 stride-1 unpadded convs skip im2col (the input is
// already the column matrix). Other 2-D layers run a direct kernel instead (Backend::conv_direct)
// at stride 1, and at width stride 2 when they have >= 16 output channels per group. im2col
// would write a buffer taps times the input (25x for LeNet's layers, 9x for 3x3 ones), which the
// GEMM then packs again; on 14x14 and 7x7 maps those copies cost more than the arithmetic, and
// with few output channels the GEMM has as few rows. The CPU's channel-vector kernel runs
// ResNet's 3x3 layers at ~85-90 % of the FMA peak, 1.3-3x im2col + GEMM; its position-vector one
// takes layers with few output channels (LeNet's, a decoder's last layer) at 2-10x. im2col + GEMM
// remains for the rest: 3-D, integer and half types, other strides, and devices without it.
//
// Autograd: a convolution y = F(x, W) is bilinear, so its two gradients are themselves the
// other two members of one family: gx = Gi(g, W) (the transposed convolution) and gW = Gw(x, g).
// Each of the three records a node whose formula uses the other two, so double backward (and
// conv_transpose's backward, which is Gi's) comes for free:
//   F(x, W)  -> dx = Gi(u, W),  dW = Gw(x, u)
//   Gi(g, W) -> dg = F(u, W),   dW = Gw(u, g)
//   Gw(x, g) -> dx = Gi(g, V),  dg = F(x, V)
#include <algorithm>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"
#include "ops/window.h"

namespace pydl {
namespace {

// Layers with at least this many output channels per group run the direct kernel at width
// stride 2 too (the backend then puts output channels along its vector lanes); see
// ConvPlan::direct.
constexpr int64_t kDirectMinChannels = 16;
// im2col buffers up to this size cover several images at once (see above).
constexpr int64_t kColsBudgetBytes = int64_t{8} << 20;

// One convolution in its forward direction: input [N, cin, in...] -> output [N, cout, out...],
// weight [cout, cin / groups, kernel...]. geom.batch is set per chunk.
struct ConvPlan {
  ConvGeometry geom;
  int64_t cin = 0, cout = 0, groups = 1;
  int nd = 2;
  Shape in_sizes, out_sizes, kernel_sizes;  // the user-facing spatial sizes (nd entries)

  int64_t taps() const { return geom.kernel_numel(); }
  int64_t positions() const { return geom.out_numel(); }
  int64_t group_rows() const { return cin / groups * taps(); }  // K of one group's GEMM
  int64_t cols_rows() const { return cin * taps(); }             // rows of the im2col buffer
  ConvGeometry at(int64_t batch) const {                         // the geometry of `batch` images
    ConvGeometry g = geom;
    g.batch = batch;
    return g;
  }
  // Whether the direct kernel beats im2col + GEMM for a 1-D/2-D float32/float64 conv with
  // `outputs_per_group` output channels per group: every stride-1 layer (measured 1.2-10x faster
  // than im2col + GEMM, whose GEMM has as few rows as the layer has output channels), and layers
  // with many output channels at a width stride of 2 (see the comment at the top).
  bool direct(ScalarType dtype, int64_t outputs_per_group) const {
    if (geom.in[0] != 1 || geom.kernel[0] != 1) return false;
    if (dtype != ScalarType::Float32 && dtype != ScalarType::Float64) return false;
    if (outputs_per_group >= kDirectMinChannels && geom.stride[2] <= 2) return true;
    return geom.stride[1] == 1 && geom.stride[2] == 1;
  }
  bool direct(ScalarType dtype) const { return direct(dtype, cout / groups); }
  bool pointwise() const {  // a 1x1 conv that reads every input position once, in order
    for (int i = 0; i < kMaxSpatialDims; ++i)
      if (geom.kernel[i] != 1 || geom.stride[i] != 1 || geom.pad[i] != 0 || geom.in[i] != geom.out[i]) return false;
    return true;
  }
  int64_t chunk(int64_t batch, size_t itemsize) const {
    const int64_t per_image = std::max<int64_t>(1, cols_rows() * positions() * static_cast<int64_t>(itemsize));
    return std::clamp<int64_t>(kColsBudgetBytes / per_image, 1, std::max<int64_t>(batch, 1));
  }
  Shape shape(int64_t n, int64_t c, const Shape& s) const {
    Shape r{n, c};
    for (int64_t v : s) r.push_back(v);
    return r;
  }
};

const Scalar kOne(int64_t{1}), kZero(int64_t{0});

// The [images, groups, rows, positions] view of a contiguous [images, channels, positions...]
// tensor.
Tensor grouped(const Tensor& t, int64_t groups) {
  const int64_t n = t.size(0), c = t.size(1), l = t.numel() / std::max<int64_t>(1, n * c);
  return make_view(t, {n, groups, c / groups, l}, {c * l, c / groups * l, l, 1}, t.storage_offset());
}
// The first `images` images of the cols buffer, contiguous [rows, images, positions].
Tensor cols_chunk(const Tensor& buf, int64_t rows, int64_t images, int64_t l) {
  return make_view(buf, {rows, images, l}, {images * l, l, 1}, buf.storage_offset());
}

// Images [b0, b0 + m) of a contiguous [images, channels, positions...] tensor as [groups,
// channels / groups, m * positions], the cols buffer's order (images inside rows): a view for one
// image, else a copy into `scratch` (reused across chunks).
Tensor images_inside(const Tensor& t, int64_t b0, int64_t m, int64_t groups, int64_t l, Tensor& scratch) {
  const int64_t c = t.size(1), cg = c / groups;
  Tensor chunk = window::rows(t, b0, m);
  if (m == 1) return make_view(chunk, {groups, cg, l}, {cg * l, l, 1}, chunk.storage_offset());
  if (!scratch.defined() || scratch.numel() < c * m * l) scratch = empty({c * m * l}, t.dtype(), t.device());
  Tensor dst = make_view(scratch, {groups, cg, m, l}, {cg * m * l, m * l, l, 1}, scratch.storage_offset());
  copy_(dst, make_view(chunk, {groups, cg, m, l}, {cg * l, l, c * l, 1}, chunk.storage_offset()));
  return make_view(scratch, {groups, cg, m * l}, {cg * m * l, m * l, 1}, scratch.storage_offset());
}
// The weight as [groups, cout / groups, group_rows] (or its per-group transpose).
Tensor weight_groups(const Tensor& w, const ConvPlan& p, bool transposed) {
  const int64_t og = p.cout / p.groups, k = p.group_rows();
  if (transposed) return make_view(w, {p.groups, k, og}, {og * k, 1, k}, w.storage_offset());
  return make_view(w, {p.groups, og, k}, {og * k, k, 1}, w.storage_offset());
}
// The same broadcast over `images` (a leading stride-0 dim), for one GEMM per image and group.
Tensor weight_matrix(const Tensor& w, const ConvPlan& p, int64_t images, bool transposed) {
  const Tensor m = weight_groups(w, p, transposed);
  Shape sizes = m.sizes(), strides = m.strides();
  sizes.insert(sizes.begin(), images);
  strides.insert(strides.begin(), 0);
  return make_view(m, sizes, strides, m.storage_offset());
}
// The cols buffer of m images as one matrix per group: [groups, group_rows, m * positions].
Tensor cols_groups(const Tensor& buf, int64_t m, int64_t groups, int64_t k, int64_t l) {
  return make_view(buf, {groups, k, m * l}, {k * m * l, m * l, 1}, buf.storage_offset());
}

// --- the three kernels of the family, without autograd ------------------------------------
// Each chunk of images is one GEMM per group over all its images (N = images * positions, the
// cols buffer's order), rather than one small GEMM per image: LeNet-size layers have only ~100
// positions per image. Outputs and output gradients, which are [images, channels, positions],
// are reordered with one copy per chunk (none for single-image chunks).

Tensor forward_raw(const Tensor& x_in, const Tensor& w_in, const Tensor& bias, const ConvPlan& p) {
  const Tensor x = window::as_5d(x_in), w = contiguous(w_in);
  const int64_t n = x.size(0), l = p.positions(), k = p.group_rows();
  Backend& be = backend(x.device().type);
  Tensor y = empty(p.shape(n, p.cout, p.out_sizes), x.dtype(), x.device());
  if (y.numel() == 0) return y;
  const bool with_bias = bias.defined();
  if (be.has_conv_direct() && p.direct(x.dtype()) && !p.pointwise()) {
    be.conv_direct(y, x, w, with_bias ? contiguous(bias) : Tensor(), p.at(n), p.groups);
    return y;
  }
  const int64_t chunk = p.pointwise() ? n : p.chunk(n, x.itemsize()), og = p.cout / p.groups;
  // Outputs that the GEMM writes in place start as the bias (beta = 1).
  if (with_bias && (p.pointwise() || chunk == 1)) {
    Tensor y3 = make_view(y, {n, p.cout, l}, {p.cout * l, l, 1}, 0);
    copy_(y3, make_view(bias, {n, p.cout, l}, {0, bias.strides()[0], 0}, bias.storage_offset()));
  }
  const Scalar& beta = with_bias ? kOne : kZero;
  if (p.pointwise()) {
    const Tensor xc = contiguous(x);
    be.gemm(grouped(y, p.groups), weight_matrix(w, p, n, false), grouped(xc, p.groups), kOne, beta);
    return y;
  }
  Tensor buf = empty({p.cols_rows() * chunk * l}, x.dtype(), x.device());
  Tensor wide = chunk > 1 ? empty({p.cout * chunk * l}, x.dtype(), x.device()) : Tensor();
  for (int64_t b0 = 0; b0 < n; b0 += chunk) {
    const int64_t m = std::min(chunk, n - b0);
    be.im2col(cols_chunk(buf, p.cols_rows(), m, l), window::rows(x, b0, m), p.at(m));
    Tensor yc = window::rows(y, b0, m);
    if (chunk == 1) {
      be.gemm(make_view(yc, {p.groups, og, l}, {og * l, l, 1}, yc.storage_offset()), weight_groups(w, p, false),
              cols_groups(buf, 1, p.groups, k, l), kOne, beta);
      continue;
    }
    // [groups, og, m * l] in `wide` (starting as the bias), then reordered into y's [m, cout, l].
    Tensor out = make_view(wide, {p.groups, og, m * l}, {og * m * l, m * l, 1}, 0);
    if (with_bias)
      copy_(out, make_view(bias, {p.groups, og, m * l}, {og * bias.strides()[0], bias.strides()[0], 0},
                           bias.storage_offset()));
    be.gemm(out, weight_groups(w, p, false), cols_groups(buf, m, p.groups, k, l), kOne, beta);
    Tensor target = grouped(yc, p.groups);
    copy_(target, make_view(wide, {m, p.groups, og, l}, {l, og * m * l, m * l, 1}, 0));
  }
  return y;
}

// gx = Gi(g, W): the input-shaped adjoint of forward_raw (col2im of W^T @ g).
Tensor input_grad_raw(const Tensor& g_in, const Tensor& w_in, const ConvPlan& p) {
  const Tensor g = contiguous(g_in), w = contiguous(w_in);
  const int64_t n = g.size(0), l = p.positions(), k = p.group_rows();
  Backend& be = backend(g.device().type);
  Tensor gx = empty(p.shape(n, p.cin, p.in_sizes), g.dtype(), g.device());
  if (gx.numel() == 0) return gx;
  if (n == 0 || l == 0 || p.cout == 0) return zero_(gx);
  if (p.pointwise()) {
    be.gemm(grouped(gx, p.groups), weight_matrix(w, p, n, true), grouped(g, p.groups), kOne, kZero);
    return gx;
  }
  // Stride 1: the adjoint is itself a stride-1 convolution of g, with the weight's channels
  // swapped and its taps reversed, and leading pad (kernel - 1) * dilation - pad, which the
  // direct kernel takes.
  ConvGeometry t = p.at(n);
  const bool unit_stride = p.geom.stride[1] == 1 && p.geom.stride[2] == 1;
  bool direct = be.has_conv_direct() && unit_stride && p.direct(g.dtype(), p.cin / p.groups);
  for (int i = 1; i < kMaxSpatialDims && direct; ++i) {
    t.in[i] = p.geom.out[i];
    t.out[i] = p.geom.in[i];
    t.pad[i] = (p.geom.kernel[i] - 1) * p.geom.dilation[i] - p.geom.pad[i];
    direct = t.pad[i] >= 0;
  }
  if (direct) {
    // Within each group, [og, cg, taps...] becomes [cg, og, taps reversed...].
    const int64_t og = p.cout / p.groups, cg = p.cin / p.groups;
    Shape grouped_sizes{p.groups, og, cg}, taps;
    for (int64_t i = 2; i < w.dim(); ++i) {
      grouped_sizes.push_back(w.size(i));
      taps.push_back(i + 1);
    }
    Shape flat_sizes = w.sizes();
    flat_sizes[0] = p.cin;
    flat_sizes[1] = og;
    const Tensor flipped = reshape(contiguous(flip(transpose(view(w, grouped_sizes), 1, 2), taps)), flat_sizes);
    t.channels = p.cout;
    be.conv_direct(window::as_5d(gx), window::as_5d(g), window::as_5d(flipped), Tensor(), t, p.groups);
    return gx;
  }
  const Tensor gx5 = window::as_5d(gx);
  const int64_t chunk = p.chunk(n, g.itemsize());
  Tensor buf = empty({p.cols_rows() * chunk * l}, g.dtype(), g.device()), scratch;
  for (int64_t b0 = 0; b0 < n; b0 += chunk) {
    const int64_t m = std::min(chunk, n - b0);
    be.gemm(cols_groups(buf, m, p.groups, k, l), weight_groups(w, p, true),
            images_inside(g, b0, m, p.groups, l, scratch), kOne, kZero);
    be.col2im(window::rows(gx5, b0, m), cols_chunk(buf, p.cols_rows(), m, l), p.at(m));
  }
  return gx;
}

// gW = Gw(x, g) = sum over images of g @ cols^T, one GEMM per chunk with K = images * positions.
Tensor weight_grad_raw(const Tensor& x_in, const Tensor& g_in, const ConvPlan& p, const Shape& weight_sizes) {
  const Tensor x = window::as_5d(x_in), g = contiguous(g_in);
  const int64_t n = x.size(0), l = p.positions(), k = p.group_rows(), og = p.cout / p.groups;
  Backend& be = backend(x.device().type);
  Tensor gw = empty(weight_sizes, x.dtype(), x.device());
  if (gw.numel() == 0) return gw;
  if (n == 0 || l == 0) return zero_(gw);
  if (be.has_conv_direct() && p.direct(x.dtype())) {
    be.conv_direct_weight(window::as_5d(gw), x, window::as_5d(g), p.at(n), p.groups);
    return gw;
  }
  const Tensor gw3 = make_view(gw, {p.groups, og, k}, {og * k, k, 1}, 0);
  const int64_t chunk = p.chunk(n, x.itemsize());
  Tensor buf = empty({p.cols_rows() * chunk * l}, x.dtype(), x.device()), scratch;
  for (int64_t b0 = 0; b0 < n; b0 += chunk) {
    const int64_t m = std::min(chunk, n - b0);
    be.im2col(cols_chunk(buf, p.cols_rows(), m, l), window::rows(x, b0, m), p.at(m));
    const Tensor gg = images_inside(g, b0, m, p.groups, l, scratch);
    const Tensor colsT = make_view(buf, {p.groups, m * l, k}, {k * m * l, 1, m * l}, buf.storage_offset());
    be.gemm(gw3, gg, colsT, kOne, b0 == 0 ? kZero : kOne);
  }
  return gw;
}

// --- the family with autograd -------------------------------------------------------------

Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvPlan& p);
Tensor conv_input_grad(const Tensor& g, const Tensor& w, const ConvPlan& p, const char* node);
Tensor conv_weight_grad(const Tensor& x, const Tensor& g, const ConvPlan& p, const Shape& weight_sizes);

Shape bias_dims(int nd) {
  Shape d{0};
  for (int i = 0; i < nd; ++i) d.push_back(2 + i);
  return d;
}

Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvPlan& p) {
  Tensor y;
  {
    autograd::AutoGradMode no_grad(false);
    y = forward_raw(x, w, bias, p);
  }
  if (is_floating(y.dtype()) && autograd::needs_grad({&x, &w, &bias})) {
    std::vector<Tensor> inputs = {x, w};
    if (bias.defined()) inputs.push_back(bias);
    const Shape wsizes = w.sizes();
    autograd::record("ConvolutionBackward0", inputs, {y}, {x, w}, {}, [p, wsizes](const autograd::BackwardContext& c) {
      const Tensor &u = c.grad(), &x = c.saved[0], &w = c.saved[1];
      std::vector<Tensor> grads(c.edges->size());
      if (c.needs(0)) grads[0] = conv_input_grad(u, w, p, "ConvolutionBackwardBackward0");
      if (c.needs(1)) grads[1] = conv_weight_grad(x, u, p, wsizes);
      if (grads.size() > 2 && c.needs(2)) grads[2] = sum(u, OptionalDims(bias_dims(p.nd)));
      return grads;
    });
  }
  return y;
}

Tensor conv_input_grad(const Tensor& g, const Tensor& w, const ConvPlan& p, const char* node) {
  Tensor gx;
  {
    autograd::AutoGradMode no_grad(false);
    gx = input_grad_raw(g, w, p);
  }
  if (is_floating(gx.dtype()) && autograd::needs_grad({&g, &w})) {
    const Shape wsizes = w.sizes();
    autograd::record(node, {g, w}, {gx}, {g, w}, {}, [p, wsizes](const autograd::BackwardContext& c) {
      const Tensor &u = c.grad(), &g = c.saved[0], &w = c.saved[1];
      std::vector<Tensor> grads(2);
      if (c.needs(0)) grads[0] = conv_forward(u, w, Tensor(), p);
      if (c.needs(1)) grads[1] = conv_weight_grad(u, g, p, wsizes);
      return grads;
    });
  }
  return gx;
}

Tensor conv_weight_grad(const Tensor& x, const Tensor& g, const ConvPlan& p, const Shape& weight_sizes) {
  Tensor gw;
  {
    autograd::AutoGradMode no_grad(false);
    gw = weight_grad_raw(x, g, p, weight_sizes);
  }
  if (is_floating(gw.dtype()) && autograd::needs_grad({&x, &g})) {
    autograd::record("ConvolutionBackwardBackward0", {x, g}, {gw}, {x, g}, {},
                     [p](const autograd::BackwardContext& c) {
                       const Tensor &v = c.grad(), &x = c.saved[0], &g = c.saved[1];
                       std::vector<Tensor> grads(2);
                       if (c.needs(0)) grads[0] = conv_input_grad(g, v, p, "ConvolutionBackwardBackward0");
                       if (c.needs(1)) grads[1] = conv_forward(x, v, Tensor(), p);
                       return grads;
                     });
  }
  return gw;
}

// --- checks and geometry ------------------------------------------------------------------

void check_operands(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias, int nd,
                    bool transposed, int64_t groups) {
  PYDL_CHECK(input.dim() == nd + 1 || input.dim() == nd + 2, "Expected ", nd + 1, "D (unbatched) or ", nd + 2,
             "D (batched) input to ", op, ", but got input of size: ", input.sizes());
  PYDL_CHECK(weight.dim() == nd + 2, op, ": expected weight to be ", nd + 2, "-D, but got weight of size ",
             weight.sizes());
  PYDL_CHECK(input.device() == weight.device() && (!bias.defined() || bias.device() == input.device()), op,
             ": Expected all tensors to be on the same device, but found at least two devices, ",
             input.device().str(), " and ", (input.device() == weight.device() ? bias : weight).device().str(), "!");
  PYDL_CHECK(input.dtype() == weight.dtype(), "Input type (", input.dtype(), ") and weight type (", weight.dtype(),
             ") should be the same");
  PYDL_CHECK(!bias.defined() || bias.dtype() == input.dtype(), "Input type (", input.dtype(), ") and bias type (",
             bias.dtype(), ") should be the same");
  PYDL_CHECK_NOT_IMPLEMENTED(input.dtype() != ScalarType::Bool &&
                                 (is_floating(input.dtype()) || !transposed),
                             "\"", op, "\" not implemented for '", input.dtype(), "'");
  for (int64_t i = 2; i < weight.dim(); ++i)
    PYDL_CHECK(weight.size(i) > 0, op, ": kernel size should be greater than zero, but got weight of size ",
               weight.sizes());
  PYDL_CHECK(weight.size(0) > 0, op, ": expected weight to be at least 1 at dimension 0, but got weight of size ",
             weight.sizes(), " instead");
  PYDL_CHECK(weight.size(1) > 0 || !transposed, op,
             ": expected weight to be at least 1 at dimension 1, but got weight of size ", weight.sizes(), " instead");
  const int64_t out_channels = transposed ? weight.size(1) * groups : weight.size(0);
  PYDL_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out_channels), "Given weight of size ",
             weight.sizes(), ", expected bias to be 1-dimensional with ", out_channels,
             " elements, but got bias of size ", bias.sizes(), " instead");
}

// padding: the per-dim leading pads (trailing pads implied by the output size), or "same".
ConvPlan make_plan(const char* op, const Tensor& x, const Tensor& w, int nd, const ConvOptions& o) {
  const Shape stride = window::expand("stride", o.stride, nd);
  const Shape dilation = window::expand("dilation", o.dilation, nd);
  Shape padding = o.same ? Shape(static_cast<size_t>(nd), 0) : window::expand("padding", o.padding, nd);
  for (int64_t s : stride) PYDL_CHECK(s > 0, "non-positive stride is not supported");
  for (int64_t p : padding) PYDL_CHECK(p >= 0, "negative padding is not supported");
  for (int64_t d : dilation) PYDL_CHECK(d > 0, "dilation should be greater than zero, but got ", dilation);
  PYDL_CHECK(o.groups > 0, "non-positive groups is not supported");
  const int64_t channels = x.size(1);
  ConvPlan p;
  p.nd = nd;
  p.groups = o.groups;
  p.kernel_sizes = window::spatial(w);
  if (!o.transposed) {
    PYDL_CHECK(w.size(0) % o.groups == 0, "Given groups=", o.groups, ", expected weight to be divisible by ",
               o.groups, " at dimension 0, but got weight of size ", w.sizes(), " instead");
    PYDL_CHECK(channels == w.size(1) * o.groups, "Given groups=", o.groups, ", weight of size ", w.sizes(),
               ", expected input", x.sizes(), " to have ", w.size(1) * o.groups, " channels, but got ", channels,
               " channels instead");
    p.cin = channels;
    p.cout = w.size(0);
    p.in_sizes = window::spatial(x);
    if (o.same) {
      for (int64_t s : stride) PYDL_CHECK(s == 1, "padding='same' is not supported for strided convolutions");
      for (int i = 0; i < nd; ++i) padding[i] = dilation[i] * (p.kernel_sizes[i] - 1) / 2;  // extra pad trails
    }
    Shape padded(p.in_sizes), dilated(p.kernel_sizes);
    for (int i = 0; i < nd; ++i) {
      padded[i] = p.in_sizes[i] + (o.same ? dilation[i] * (p.kernel_sizes[i] - 1) : 2 * padding[i]);
      dilated[i] = dilation[i] * (p.kernel_sizes[i] - 1) + 1;
    }
    for (int i = 0; i < nd; ++i)
      PYDL_CHECK(padded[i] >= dilated[i], "Calculated padded input size per channel: ", window::by(padded),
                 ". Kernel size: ", window::by(dilated), ". Kernel size can't be greater than actual input size");
    for (int i = 0; i < nd; ++i) p.out_sizes.push_back((padded[i] - dilated[i]) / stride[i] + 1);
  } else {
    const Shape output_padding = window::expand("output_padding", o.output_padding, nd);
    PYDL_CHECK(channels == w.size(0), "Given transposed=1, weight of size ", w.sizes(), ", expected input",
               x.sizes(), " to have ", w.size(0), " channels, but got ", channels, " channels instead");
    PYDL_CHECK(w.size(0) % o.groups == 0, "Given groups=", o.groups, ", expected weight to be divisible by ",
               o.groups, " at dimension 0, but got weight of size ", w.sizes(), " instead");
    for (int i = 0; i < nd; ++i)
      PYDL_CHECK(output_padding[i] >= 0 && (output_padding[i] < stride[i] || output_padding[i] < dilation[i]),
                 "output padding must be smaller than either stride or dilation, but got output_padding=",
                 output_padding, ", stride=", stride, ", dilation=", dilation);
    // The transposed conv of x is the input-gradient of the conv from its output back to x.
    p.cin = w.size(1) * o.groups;
    p.cout = channels;
    p.out_sizes = window::spatial(x);
    for (int i = 0; i < nd; ++i) {
      const int64_t size = (p.out_sizes[i] - 1) * stride[i] - 2 * padding[i] +
                           dilation[i] * (p.kernel_sizes[i] - 1) + output_padding[i] + 1;
      // As in PyTorch, an output size of 0 gives an empty result in 1-D and 2-D and is an error
      // in 3-D; a negative one is always an error.
      PYDL_CHECK(size >= (nd == 3 ? 1 : 0), "Given input size per channel: ", window::by(p.out_sizes),
                 ". Calculated output size per channel is ", size, " along dim ", i, ". Output size is too small");
      p.in_sizes.push_back(size);
    }
  }
  for (int i = 0; i < nd; ++i)
    PYDL_CHECK(p.out_sizes[i] > 0, "Given input size per channel: ", window::by(p.in_sizes),
               ". Calculated output size per channel: ", window::by(p.out_sizes), ". Output size is too small");
  ConvGeometry& g = p.geom;
  g.channels = p.cin;
  window::place(g.in, p.in_sizes);
  window::place(g.out, p.out_sizes);
  window::place(g.kernel, p.kernel_sizes);
  window::place(g.stride, stride);
  window::place(g.pad, padding);
  window::place(g.dilation, dilation);
  (void)op;
  return p;
}

}  // namespace

Tensor convolution(const char* op, const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias_arg,
                   int nd, const ConvOptions& options) {
  const Tensor bias = bias_arg ? *bias_arg : Tensor();
  check_operands(op, input, weight, bias, nd, options.transposed, options.groups);
  const bool unbatched = input.dim() == nd + 1;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const ConvPlan plan = make_plan(op, x, weight, nd, options);
  Tensor y;
  if (!options.transposed) {
    y = conv_forward(x, weight, bias, plan);
  } else {
    y = conv_input_grad(x, weight, plan, "ConvolutionBackward0");
    if (bias.defined()) {
      Shape bshape(static_cast<size_t>(nd + 2), 1);
      bshape[1] = bias.size(0);
      y = add(y, view(bias, bshape));
    }
  }
  return unbatched ? squeeze(y, Shape{0}) : y;
}

}  // namespace pydl
