// F.unfold (im2col) and F.fold (col2im) on 4-D (or unbatched 3-D) inputs, each the other's
// gradient. They run the backend's im2col/col2im one image at a time, so the result comes out
// contiguous in PyTorch's [N, C * kh * kw, L] layout (the primitives' own layout puts images
// inside rows, for the convolution's batched GEMM).
#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"
#include "ops/window.h"

namespace pydl {
namespace {

struct FoldPlan {
  ConvGeometry geom;  // batch 1
  Shape image;        // the [H, W] of the image side
};

FoldPlan plan(const char* op, const Shape& image, const Shape& kernel, const Shape& dilation, const Shape& padding,
              const Shape& stride) {
  const Shape k = window::expand("kernel_size", kernel, 2, "fold/unfold dimensions");
  const Shape d = window::expand("dilation", dilation, 2, "fold/unfold dimensions");
  const Shape p = window::expand("padding", padding, 2, "fold/unfold dimensions");
  const Shape s = window::expand("stride", stride, 2, "fold/unfold dimensions");
  for (int i = 0; i < 2; ++i) {
    PYDL_CHECK(k[i] > 0, op, ": kernel size should be greater than zero, but got kernel_size=", k);
    PYDL_CHECK(s[i] > 0, op, ": stride should be greater than zero, but got stride=", s);
    PYDL_CHECK(d[i] > 0, op, ": dilation should be greater than zero, but got dilation=", d);
    PYDL_CHECK(p[i] >= 0, op, ": padding should be non-negative, but got padding=", p);
  }
  FoldPlan f;
  f.image = image;
  Shape blocks;
  for (int i = 0; i < 2; ++i) blocks.push_back((image[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1);
  PYDL_CHECK(blocks[0] >= 1 && blocks[1] >= 1 && image[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1 >= 0 &&
                 image[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1 >= 0,
             "Given input with spatial size ", image, ", kernel_size=", k, ", dilation=", d, ", padding=", p,
             ", calculated shape of the array of sliding blocks as ", blocks, ", but its components must be at least one.");
  window::place(f.geom.in, image);
  window::place(f.geom.out, blocks);
  window::place(f.geom.kernel, k);
  window::place(f.geom.stride, s);
  window::place(f.geom.pad, p);
  window::place(f.geom.dilation, d);
  return f;
}

// One image's cols as the primitive's [rows, 1, L] layout and its image as [1, C, 1, H, W].
Tensor image_cols(const Tensor& cols, int64_t b) {
  const int64_t rows = cols.size(1), l = cols.size(2);
  return make_view(cols, {rows, 1, l}, {l, l, 1}, cols.storage_offset() + b * rows * l);
}
Tensor image_5d(const Tensor& img, int64_t b) { return window::as_5d(window::rows(img, b, 1)); }

Tensor unfold_batched(const Tensor& x, const FoldPlan& f);
Tensor fold_batched(const Tensor& cols, const FoldPlan& f);

Tensor unfold_batched(const Tensor& x, const FoldPlan& f) {
  const int64_t n = x.size(0), c = x.size(1), k = f.geom.kernel_numel(), l = f.geom.out_numel();
  Tensor cols = empty({n, c * k, l}, x.dtype(), x.device());
  if (cols.numel() > 0) {
    ConvGeometry g = f.geom;
    g.channels = c;
    for (int64_t b = 0; b < n; ++b) backend(x.device().type).im2col(image_cols(cols, b), image_5d(x, b), g);
  }
  if (is_floating(x.dtype()) && autograd::needs_grad({&x}))
    autograd::record("Im2ColBackward0", {x}, {cols}, {}, {}, [f](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{fold_batched(c.grad(), f)};
    });
  return cols;
}

Tensor fold_batched(const Tensor& cols_in, const FoldPlan& f) {
  const int64_t n = cols_in.size(0), k = f.geom.kernel_numel(), c = cols_in.size(1) / k;
  const Tensor cols = contiguous(cols_in);
  Tensor img = empty({n, c, f.image[0], f.image[1]}, cols.dtype(), cols.device());
  if (img.numel() > 0) {
    ConvGeometry g = f.geom;
    g.channels = c;
    for (int64_t b = 0; b < n; ++b) backend(cols.device().type).col2im(image_5d(img, b), image_cols(cols, b), g);
  }
  if (is_floating(img.dtype()) && autograd::needs_grad({&cols_in}))
    autograd::record("Col2ImBackward0", {cols_in}, {img}, {}, {}, [f](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{unfold_batched(c.grad(), f)};
    });
  return img;
}

}  // namespace

Tensor im2col(const Tensor& input, const Shape& kernel_size, const Shape& dilation, const Shape& padding,
              const Shape& stride) {
  PYDL_CHECK(((input.dim() == 3 || input.dim() == 4) && input.numel() > 0) || (input.dim() == 4 && input.size(0) == 0),
             "Input Error: Only 3D or 4D input Tensors are supported (got ", input.dim(), "D)");
  PYDL_CHECK_NOT_IMPLEMENTED(input.dtype() != ScalarType::Bool, "\"im2col\" not implemented for 'Bool'");
  const bool unbatched = input.dim() == 3;
  const Tensor x = unbatched ? unsqueeze(input, 0) : input;
  const FoldPlan f = plan("im2col", window::spatial(x), kernel_size, dilation, padding, stride);
  const Tensor cols = unfold_batched(x, f);
  return unbatched ? squeeze(cols, Shape{0}) : cols;
}

Tensor col2im(const Tensor& input, const Shape& output_size, const Shape& kernel_size, const Shape& dilation,
              const Shape& padding, const Shape& stride) {
  PYDL_CHECK(((input.dim() == 2 || input.dim() == 3) && input.numel() > 0) || (input.dim() == 3 && input.size(0) == 0),
             "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions "
             "for input, but got: ", input.sizes());
  PYDL_CHECK_NOT_IMPLEMENTED(is_floating(input.dtype()), "\"col2im\" not implemented for '", input.dtype(), "'");
  const bool unbatched = input.dim() == 2;
  const Tensor cols = unbatched ? unsqueeze(input, 0) : input;
  const Shape out = window::expand("output_size", output_size, 2, "fold/unfold dimensions");
  const FoldPlan f = plan("col2im", out, kernel_size, dilation, padding, stride);
  const int64_t k = f.geom.kernel_numel(), l = f.geom.out_numel();
  PYDL_CHECK(cols.size(1) % k == 0, "Expected size of input's dimension 1 to be divisible by the product of "
             "kernel_size, but got input.size(1)=", cols.size(1), " and kernel_size=", window::expand("kernel_size", kernel_size, 2));
  PYDL_CHECK(cols.size(2) == l, "Given output_size=", out, ", kernel_size=", window::expand("kernel_size", kernel_size, 2),
             ", expected size of input's dimension 2 to match the calculated number of sliding blocks ",
             f.geom.out[1], " * ", f.geom.out[2], " = ", l, ", but got input.size(2)=", cols.size(2), ".");
  const Tensor img = fold_batched(cols, f);
  return unbatched ? squeeze(img, Shape{0}) : img;
}

}  // namespace pydl
