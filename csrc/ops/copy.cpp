// copy_ and the ops built on it: contiguous, clone, to, fill_, zero_.
#include "autograd/formulas.h"
#include "backend/backend.h"
#include "core/convert.h"
#include "ops/ops.h"

namespace pydl {

static void check_writable(const Tensor& t, const char* op) {
  PYDL_CHECK(!has_internal_overlap(t), op, ": unsupported operation: more than one element of the written-to "
             "tensor refers to a single memory location. Please clone() the tensor before performing the operation.");
}

// Empty tensor shaped like t in t's memory layout (PyTorch's preserve_format, see empty_like).
static Tensor empty_preserving_layout(const Tensor& t, ScalarType dtype, Device device) {
  return empty_like(t, dtype, device);
}

// Copies between devices: stage src as a contiguous block of dst's dtype and shape on its own
// device, move the bytes, then scatter into dst's layout on dst's device if needed.
static void copy_across_devices(Tensor& dst, const Tensor& src) {
  Tensor staged = empty(dst.sizes(), dst.dtype(), src.device());
  {
    ElementwiseIter iter(staged, {src}, "copy_");
    backend(src.device().type).copy(iter);
  }
  Tensor landing = dst.is_contiguous() ? dst : empty(dst.sizes(), dst.dtype(), dst.device());
  size_t nbytes = static_cast<size_t>(dst.numel()) * dst.itemsize();
  if (src.device().is_cpu()) {
    backend(dst.device().type).copy_from_host(landing.data_ptr(), staged.data_ptr(), nbytes, dst.device().index);
  } else if (dst.device().is_cpu()) {
    backend(src.device().type).copy_to_host(landing.data_ptr(), staged.data_ptr(), nbytes, src.device().index);
  } else {  // between two GPUs: through the host
    Tensor host = empty(dst.sizes(), dst.dtype(), Device(DeviceType::CPU));
    backend(src.device().type).copy_to_host(host.data_ptr(), staged.data_ptr(), nbytes, src.device().index);
    backend(dst.device().type).copy_from_host(landing.data_ptr(), host.data_ptr(), nbytes, dst.device().index);
  }
  if (!landing.is_same(dst)) {
    ElementwiseIter iter(dst, {landing}, "copy_");
    backend(dst.device().type).copy(iter);
  }
}

Tensor& copy_(Tensor& dst, const Tensor& src) {
  check_writable(dst, "copy_");
  dst.impl()->check_inference_write();
  if (!dst.is_same(src)) {
    Tensor s = src;
    // Reading and writing overlapping memory in one pass would read already-written values.
    bool same_view = s.data_ptr() == dst.data_ptr() && s.strides() == dst.strides() && s.sizes() == dst.sizes() &&
                     s.dtype() == dst.dtype();
    if (!same_view && may_overlap(dst, s)) s = clone(s);
    if (dst.device() == s.device()) {
      ElementwiseIter iter(dst, {s}, "copy_");
      if (dst.numel() > 0) backend(dst.device().type).copy(iter);
    } else {
      ElementwiseIter check(dst, {s}, "copy_");  // shape check before any transfer
      if (dst.numel() > 0) copy_across_devices(dst, s);
    }
  }
  dst.bump_version();
  return dst;
}

// A copy's gradient is the incoming one, cast back to the source's dtype and device.
static Tensor record_copy(const char* name, const Tensor& src, const Tensor& out) {
  if (!autograd::needs_grad({&src}) || !is_floating(out.dtype())) return out;
  const ScalarType dt = src.dtype();
  const Device dev = src.device();
  autograd::record(name, {src}, {out}, {}, {}, [dt, dev](const autograd::BackwardContext& c) {
    return std::vector<Tensor>{to(c.grad(), dt, dev, false)};
  });
  return out;
}

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = empty(t.sizes(), t.dtype(), t.device());
  ElementwiseIter iter(out, {t}, "contiguous");
  backend(t.device().type).copy(iter);
  return record_copy("CloneBackward0", t, out);
}

Tensor clone(const Tensor& t) {
  Tensor out = empty_preserving_layout(t, t.dtype(), t.device());
  ElementwiseIter iter(out, {t}, "clone");
  if (t.numel() > 0) backend(t.device().type).copy(iter);
  return record_copy("CloneBackward0", t, out);
}

Tensor to(const Tensor& t, std::optional<ScalarType> dtype, std::optional<Device> device, bool copy) {
  ScalarType dt = dtype.value_or(t.dtype());
  Device dev = device ? canonical_device(*device) : t.device();
  if (!copy && dt == t.dtype() && dev == t.device()) return t;
  Tensor out = empty_preserving_layout(t, dt, dev);
  {
    autograd::AutoGradMode no_record(false);  // copy_ into a fresh tensor: recorded as one op below
    copy_(out, t);
  }
  out.impl()->version_counter()->version = 0;  // a fresh tensor, not a modified one
  return record_copy("ToCopyBackward0", t, out);
}

// Like PyTorch's Scalar.to<T>(): a number the dtype cannot hold is an error, not a silent wrap.
static void check_fill_value(ScalarType dtype, const Scalar& value) {
  PYDL_CHECK(!number_overflows(dtype, value.is_float(), value.to_double(), value.is_float() ? 0 : value.to_int()),
             "value ", value, " cannot be converted to type ", dtype, " without overflow");
}

Tensor& fill_(Tensor& t, const Scalar& value) {
  // No internal-overlap check: every element gets the same value, so PyTorch allows fill_ (and
  // zero_) on expanded tensors.
  check_fill_value(t.dtype(), value);
  t.impl()->check_inference_write();
  if (t.numel() > 0) backend(t.device().type).fill(t, value);
  t.bump_version();
  return t;
}

Tensor& zero_(Tensor& t) { return fill_(t, Scalar(int64_t(0))); }

Tensor& copy_recorded(Tensor& dst, const Tensor& src) {
  if (autograd::inplace_needs_grad(dst, autograd::needs_grad({&src}))) return autograd::record_overwrite("copy_", dst, src);
  return copy_(dst, src);
}

Tensor& fill_recorded(Tensor& t, const Scalar& value) {
  if (!autograd::inplace_needs_grad(t, false)) return fill_(t, value);
  check_fill_value(t.dtype(), value);
  return autograd::record_overwrite("fill_", t, wrap_scalar(value, t.dtype()));
}

}  // namespace pydl
