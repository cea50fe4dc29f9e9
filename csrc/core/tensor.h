// TensorImpl holds a tensor's metadata (sizes, strides, offset, dtype, device, version counter,
// autograd fields) over a shared Storage; Tensor is the cheap refcounted handle C++ code passes
// around. The Python class pydl.Tensor is TensorImpl itself (see python/tensor_py.cpp), so each
// TensorImpl has at most one Python object.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/small_vector.h"
#include "core/storage.h"

namespace pydl {

class TensorImpl;
class Tensor;

namespace autograd {
class Node;
}

// Autograd state, in use from a tensor's first use of autograd (see csrc/autograd/). It lives
// inside TensorImpl rather than apart: every output an op records needs one, and a heap block
// each was a measurable part of recording.
struct AutogradMeta {
  bool requires_grad = false;  // set on leaves by the user; true on every output with a grad_fn
  bool retains_grad = false;   // a non-leaf whose .grad the engine fills (retain_grad())
  std::shared_ptr<TensorImpl> grad;
  // The node that computed this tensor (null for leaves) and which of its outputs it is.
  std::shared_ptr<autograd::Node> grad_fn;
  uint32_t output_nr = 0;
  // A leaf's AccumulateGrad node, shared by every graph that uses the leaf while one is alive.
  std::weak_ptr<autograd::Node> grad_accumulator;
  // Leaf hooks: run on the incoming gradient before it is accumulated (non-leaf tensors keep
  // theirs on grad_fn), and after accumulation, with the tensor.
  std::vector<std::function<Tensor(const Tensor&)>> hooks;
  std::vector<std::function<void(const Tensor&)>> post_accumulate_hooks;
};

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, Shape sizes, Shape strides, int64_t storage_offset,
             ScalarType dtype, std::shared_ptr<VersionCounter> version);
  ~TensorImpl();

  const Shape& sizes() const { return sizes_; }
  const Shape& strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t numel() const { return numel_; }
  int64_t storage_offset() const { return storage_offset_; }
  ScalarType dtype() const { return dtype_; }
  size_t itemsize() const { return pydl::itemsize(dtype_); }
  Device device() const { return storage_->device(); }
  bool is_contiguous() const { return is_contiguous_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  // Address of element [0, 0, ...] (may point past the end for empty tensors).
  void* data_ptr() const {
    return static_cast<char*>(storage_->data()) + storage_offset_ * static_cast<int64_t>(itemsize());
  }
  const std::shared_ptr<VersionCounter>& version_counter() const { return version_; }
  uint32_t version() const { return version_->version.load(std::memory_order_relaxed); }
  void bump_version() {
    if (inference_) check_inference_write();
    version_->version.fetch_add(1, std::memory_order_relaxed);
  }
  // Made under inference_mode (see autograd/grad_mode.h).
  bool is_inference() const { return inference_; }
  void set_inference(bool inference) { inference_ = inference; }
  // Raises PyTorch's error for an in-place write into an inference tensor outside the mode.
  void check_inference_write() const;

  bool requires_grad() const;
  void set_requires_grad(bool r);  // checks the dtype can carry gradients
  AutogradMeta& autograd_meta() {  // in use from the first call
    has_autograd_ = true;
    return autograd_;
  }
  AutogradMeta* autograd_meta_if_any() const { return has_autograd_ ? &autograd_ : nullptr; }

  // A view made while grad mode is on remembers the tensor it views (the root: a view of a view
  // names the first tensor), and the version its history was built at. An in-place write
  // through the view moves the base's history onto a CopySlices node, and a view whose version
  // moved on gets its history rebuilt from the base's (autograd/inplace.cpp), so views never
  // keep a stale graph, as in PyTorch.
  const std::shared_ptr<TensorImpl>& view_base() const { return view_base_; }
  bool is_differentiable_view() const { return view_base_ && differentiable_view_; }
  uint32_t view_version() const { return view_version_; }
  void set_view_base(std::shared_ptr<TensorImpl> base, bool differentiable) {
    view_base_ = std::move(base);
    differentiable_view_ = differentiable;
    view_version_ = version();
  }
  void set_view_version(uint32_t v) { view_version_ = v; }

  // A 0-d tensor made from a Python number for an op (x + 2.5): type promotion treats it as a
  // number, weaker than any tensor (see core/type_promotion.h).
  bool is_wrapped_number() const { return wrapped_number_; }
  void set_wrapped_number(bool w) { wrapped_number_ = w; }

  // Rebinds metadata in place (used by as_strided_ / view-like in-place ops).
  void set_sizes_and_strides(Shape sizes, Shape strides, int64_t storage_offset);
  // Takes other's memory, geometry and dtype, keeping this tensor's identity and autograd
  // record: `t.data = other`, which nn.Module.to() uses to convert parameters in place.
  void set_data(const TensorImpl& other) {
    dtype_ = other.dtype_;
    rebind(other.storage_, other.sizes_, other.strides_, other.storage_offset_);
  }
  // Points this tensor at other memory (an out= tensor resized to fit a result).
  void rebind(std::shared_ptr<Storage> storage, Shape sizes, Shape strides, int64_t storage_offset);

 private:
  void refresh();  // recomputes numel_ and is_contiguous_

  std::shared_ptr<Storage> storage_;
  Shape sizes_;
  Shape strides_;
  int64_t storage_offset_;
  int64_t numel_ = 1;
  ScalarType dtype_;
  bool is_contiguous_ = true;
  bool wrapped_number_ = false;
  bool differentiable_view_ = false;
  bool inference_ = false;
  uint32_t view_version_ = 0;
  std::shared_ptr<VersionCounter> version_;
  std::shared_ptr<TensorImpl> view_base_;
  bool has_autograd_ = false;
  mutable AutogradMeta autograd_;  // mutable: autograd_meta_if_any() hands it out from const
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  const Shape& sizes() const { return impl_->sizes(); }
  const Shape& strides() const { return impl_->strides(); }
  int64_t dim() const { return impl_->dim(); }
  int64_t numel() const { return impl_->numel(); }
  int64_t size(int64_t d) const;    // negative dims wrap; IndexError when out of range
  int64_t stride(int64_t d) const;
  ScalarType dtype() const { return impl_->dtype(); }
  size_t itemsize() const { return impl_->itemsize(); }
  Device device() const { return impl_->device(); }
  int64_t storage_offset() const { return impl_->storage_offset(); }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  void* data_ptr() const { return impl_->data_ptr(); }
  template <typename T> T* data() const { return static_cast<T*>(impl_->data_ptr()); }
  bool requires_grad() const { return impl_->requires_grad(); }
  void bump_version() const { impl_->bump_version(); }

 private:
  std::shared_ptr<TensorImpl> impl_;
};


// --- Construction -------------------------------------------------------------------------
Shape contiguous_strides(const Shape& sizes);
// A fresh, uninitialised tensor.
Tensor empty(const Shape& sizes, ScalarType dtype, Device device);
Tensor empty_strided(const Shape& sizes, const Shape& strides, ScalarType dtype, Device device);
// A view: same storage and version counter as `base`, new geometry (checked against the storage).
Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t storage_offset);
// Same memory, new TensorImpl, no autograd history (detach()).
Tensor alias(const Tensor& t);

// Number of bytes [first, last) an (sizes, strides, offset) view can touch, relative to the
// storage start, or 0 elements for an empty view.
int64_t required_storage_elements(const Shape& sizes, const Shape& strides, int64_t offset);
// True when the tensor's elements exactly cover a dense block (some permutation of contiguous).
bool is_non_overlapping_and_dense(const Tensor& t);
// True when two elements of `t` can alias one memory location (a size>1 dim with stride 0).
bool has_internal_overlap(const Tensor& t);
// True when `a` and `b` read or write any common byte.
bool may_overlap(const Tensor& a, const Tensor& b);

// The broadcast shape of a and b (NumPy's rule); RuntimeError naming `op` when they don't match.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Wraps a possibly negative dim into [0, ndim); IndexError naming the valid range otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim);
int64_t shape_numel(const Shape& sizes);

}  // namespace pydl
