#include "ops/elementwise.h"

#include "autograd/node.h"
#include "core/convert.h"
#include "core/dispatch.h"

namespace pydl {

// Floats are held in float64 so that no precision is lost before the op casts the number to its
// compute dtype (float64_tensor + 0.1 must add 0.1, not float32(0.1)); type promotion only looks
// at the number's kind.
Tensor wrap_scalar(const Scalar& s) {
  return wrap_scalar(s, s.is_float() ? ScalarType::Float64 : s.natural_dtype());
}

Tensor wrap_scalar(const Scalar& s, ScalarType dtype) {
  Tensor t = empty(Shape{}, dtype, Device(DeviceType::CPU));
  PYDL_DISPATCH_ALL_TYPES(dtype, "wrap_scalar", [&] { *t.data<scalar_t>() = s.to<scalar_t>(); });
  t.impl()->set_wrapped_number(true);
  return t;
}

ScalarType result_type(std::initializer_list<Tensor> operands) {
  ResultTypeState state;
  for (const Tensor& t : operands) {
    if (t.impl()->is_wrapped_number()) {
      ScalarType d = t.dtype();  // a number's kind is all that counts, at the default sizes
      state.add_scalar(d == ScalarType::Bool ? Scalar(true) : is_floating(d) ? Scalar(0.0) : Scalar(int64_t(0)));
    } else {
      state.add_tensor(t.dtype(), t.dim() == 0);
    }
  }
  return state.result();
}

Tensor cast_operand(const Tensor& t, ScalarType dtype) {
  if (t.dtype() == dtype) return t;
  if (t.impl()->is_wrapped_number()) {  // cheap: no iterator for one number
    Scalar v = PYDL_DISPATCH_ALL_TYPES(t.dtype(), "cast", [&]() -> Scalar {
      scalar_t x = *t.data<scalar_t>();
      if constexpr (std::is_same_v<scalar_t, bool>) return Scalar(x);
      else if constexpr (std::is_integral_v<scalar_t>) return Scalar(static_cast<int64_t>(x));
      else return Scalar(static_cast<double>(x));
    });
    return wrap_scalar(v, dtype);
  }
  return to(t, dtype, std::nullopt, false);
}

namespace detail {

static bool same_view(const Tensor& a, const Tensor& b) {
  return a.data_ptr() == b.data_ptr() && a.sizes() == b.sizes() && a.strides() == b.strides() &&
         a.itemsize() == b.itemsize();
}

// The device all operands live on. Wrapped numbers and 0-d CPU tensors may join any device.
static Device common_device(const char* op, const std::vector<Tensor>& inputs, const Tensor* out) {
  const Tensor* first = nullptr;
  for (const Tensor& t : inputs)
    if (!(t.device().is_cpu() && t.dim() == 0)) { first = &t; break; }
  Device dev = first ? first->device() : (inputs.empty() ? Device(DeviceType::CPU) : inputs[0].device());
  auto check = [&](const Tensor& t) {
    if (t.device() == dev || (t.device().is_cpu() && t.dim() == 0)) return;
    PYDL_FAIL(op, ": Expected all tensors to be on the same device, but found at least two devices, ",
              dev.str(), " and ", t.device().str(), "!");
  };
  for (const Tensor& t : inputs) check(t);
  if (out) {
    PYDL_CHECK(out->device() == dev, op, ": Expected out tensor to have device ", dev.str(), ", but got ",
               out->device().str(), " instead");
  }
  return dev;
}

// A new result tensor: laid out like the first input that has the full shape and is dense
// (so exp(x.t()) is computed and returned in x.t()'s layout, as in PyTorch), else contiguous.
static Tensor allocate_result(const Shape& shape, ScalarType dtype, Device dev, const std::vector<Tensor>& inputs) {
  for (const Tensor& t : inputs) {
    if (t.sizes() == shape && !t.is_contiguous() && is_non_overlapping_and_dense(t))
      return empty_like(t, dtype, dev);
    if (t.sizes() == shape) break;
  }
  return empty(shape, dtype, dev);
}

// out= writes are never recorded by autograd, and the in-place forms that do not go through
// autograd::record_inplace are not either: refuse them where a gradient would silently go
// wrong, with PyTorch's messages where PyTorch refuses too.
void check_autograd_target(const char* op, bool inputs_need_grad, const Tensor& out, bool inplace) {
  if (!autograd::GradMode::is_enabled() || !(inputs_need_grad || out.requires_grad())) return;
  const AutogradMeta* meta = out.impl()->autograd_meta_if_any();
  const bool leaf = !meta || !meta->grad_fn;
  PYDL_CHECK(!(inplace && leaf && out.requires_grad()),
             "a leaf Variable that requires grad is being used in an in-place operation.");
  PYDL_CHECK(inplace, op, "(): functions with out=... arguments don't support automatic differentiation, but one of "
             "the arguments requires grad.");
  PYDL_CHECK(false, op, "_: pydl does not record this in-place op for autograd; use the out-of-place form (x = x.", op,
             "(...)) or run it under pydl.no_grad().");
}

Prepared prepare_elementwise(const char* op, std::vector<Tensor> inputs, ScalarType result, OutArg dest) {
  Prepared p;
  p.inputs = std::move(inputs);
  Shape shape;
  for (const Tensor& t : p.inputs) shape = broadcast_shapes(shape, t.sizes(), op);
  Device dev = common_device(op, p.inputs, dest.out);
  if (!dest.out) {
    // 0-d CPU operands joining a CUDA op are moved to the device first.
    for (Tensor& t : p.inputs)
      if (t.device() != dev) t = to(t, std::nullopt, dev, false);
    p.target = p.final = allocate_result(shape, result, dev, p.inputs);
    return p;
  }
  Tensor& out = *dest.out;
  out.impl()->check_inference_write();
  check_autograd_target(op, autograd::needs_grad(p.inputs), out, dest.inplace);
  if (dest.inplace) {
    PYDL_CHECK(out.sizes() == shape, op, ": output with shape ", out.sizes(), " doesn't match the broadcast shape ",
               shape);
  } else if (out.sizes() != shape) {
    // PyTorch resizes out=; pydl resizes only empty outputs (`out=torch.empty(0)`) and refuses
    // to silently reallocate a tensor that holds data.
    PYDL_CHECK(out.numel() == 0 && out.is_contiguous(), op, ": out= tensor has shape ", out.sizes(),
               " but the result has shape ", shape, "; pass an out= tensor of the result's shape");
    Tensor fresh = empty(shape, out.dtype(), dev);
    out.impl()->rebind(fresh.impl()->storage(), shape, fresh.strides(), 0);
  }
  PYDL_CHECK(can_cast(result, out.dtype()), op, ": result type ", result, " can't be cast to the desired output type ",
             out.dtype());
  PYDL_CHECK(!has_internal_overlap(out), op, ": unsupported operation: more than one element of the written-to tensor "
             "refers to a single memory location. Please clone() the tensor before performing the operation.");
  for (Tensor& t : p.inputs) {
    if (t.device() != dev) t = to(t, std::nullopt, dev, false);
    // An input the kernel would read after writing over it must be copied first.
    if (!same_view(t, out) && may_overlap(t, out)) t = clone(t);
  }
  p.final = out;
  p.target = out.dtype() == result ? out : empty(shape, result, dev);
  return p;
}

void finish_elementwise(Prepared& p, OutArg dest) {
  if (!p.target.is_same(p.final)) copy_(p.final, p.target);  // bumps the version
  else if (dest.out) p.final.bump_version();
}

}  // namespace detail
}  // namespace pydl
