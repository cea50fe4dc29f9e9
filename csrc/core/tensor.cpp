#include "core/tensor.h"

#include <algorithm>
#include <numeric>

#include "autograd/grad_mode.h"

namespace pydl {

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage, Shape sizes, Shape strides,
                       int64_t storage_offset, ScalarType dtype,
                       std::shared_ptr<VersionCounter> version)
    : storage_(std::move(storage)),
      sizes_(std::move(sizes)),
      strides_(std::move(strides)),
      storage_offset_(storage_offset),
      dtype_(dtype),
      // A fresh tensor counts on its storage's counter: aliasing shares the storage's block.
      version_(version ? std::move(version) : std::shared_ptr<VersionCounter>(storage_, &storage_->version_counter())) {
  inference_ = autograd::InferenceMode::is_enabled();
  refresh();
}

void TensorImpl::check_inference_write() const {
  PYDL_CHECK(!inference_ || autograd::InferenceMode::is_enabled(),
             "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
             "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.");
}

void TensorImpl::refresh() {
  numel_ = shape_numel(sizes_);
  // Contiguous = row-major with size-1 dims free to have any stride (PyTorch's definition).
  is_contiguous_ = true;
  if (numel_ == 0) return;
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (sizes_[d] == 1) continue;
    if (strides_[d] != expected) {
      is_contiguous_ = false;
      return;
    }
    expected *= sizes_[d];
  }
}

void TensorImpl::set_sizes_and_strides(Shape sizes, Shape strides, int64_t storage_offset) {
  sizes_ = std::move(sizes);
  strides_ = std::move(strides);
  storage_offset_ = storage_offset;
  refresh();
}

void TensorImpl::rebind(std::shared_ptr<Storage> storage, Shape sizes, Shape strides, int64_t storage_offset) {
  // The counter stays this tensor's (and its value with it), but one held in the old storage
  // would keep that memory alive: move it out.
  if (version_.get() == &storage_->version_counter()) {
    auto own = std::make_shared<VersionCounter>();
    own->version.store(version());
    version_ = std::move(own);
  }
  storage_ = std::move(storage);
  set_sizes_and_strides(std::move(sizes), std::move(strides), storage_offset);
}

TensorImpl::~TensorImpl() = default;

bool TensorImpl::requires_grad() const {
  const bool own = autograd_.requires_grad;
  // A differentiable view written through its base (or another view) since its history was
  // built takes part in autograd exactly when the base does; a leaf view keeps its own flag.
  if (view_base_ && differentiable_view_ && version() != view_version_)
    return view_base_->requires_grad() || (own && !autograd_.grad_fn);
  return own;
}

void TensorImpl::set_requires_grad(bool r) {
  if (!r && !has_autograd_) return;
  PYDL_CHECK(r || !autograd_.grad_fn,
             "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a "
             "subgraph that doesn't require differentiation use var_no_grad = var.detach().");
  PYDL_CHECK(!r || !inference_ || autograd::InferenceMode::is_enabled(),
             "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.");
  PYDL_CHECK(!r || is_floating(dtype_),
             "only Tensors of floating point dtype can require gradients (got ", dtype_, ")");
  autograd_meta().requires_grad = r;
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  int64_t n = std::max<int64_t>(ndim, 1);  // a 0-d tensor accepts dim 0 and -1, like PyTorch
  PYDL_CHECK_INDEX(dim >= -n && dim < n, "Dimension out of range (expected to be in range of [",
                   -n, ", ", n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

int64_t shape_numel(const Shape& sizes) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t s : sizes) overflow |= __builtin_mul_overflow(n, s, &n);
  // A zero anywhere makes the product 0 whatever overflowed before it.
  for (int64_t s : sizes)
    if (s == 0) return 0;
  PYDL_CHECK(!overflow, "numel: integer multiplication overflow (sizes ", sizes, ")");
  return n;
}

int64_t Tensor::size(int64_t d) const {
  if (dim() == 0) PYDL_CHECK_INDEX(false, "Dimension specified as ", d, " but tensor has no dimensions");
  return sizes()[wrap_dim(d, dim())];
}

int64_t Tensor::stride(int64_t d) const {
  if (dim() == 0) PYDL_CHECK_INDEX(false, "Dimension specified as ", d, " but tensor has no dimensions");
  return strides()[wrap_dim(d, dim())];
}

Shape contiguous_strides(const Shape& sizes) {
  Shape strides(sizes.size());
  int64_t s = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    strides[d] = s;
    s *= std::max<int64_t>(sizes[d], 1);
  }
  return strides;
}

static void check_sizes(const Shape& sizes, const char* op) {
  for (int64_t s : sizes) PYDL_CHECK(s >= 0, op, ": negative dimension ", s, " in size ", sizes);
}

static size_t checked_nbytes(int64_t elements, ScalarType dtype, const Shape& sizes) {
  // Refuse sizes whose byte count overflows instead of allocating a wrapped-around size.
  constexpr int64_t kMaxBytes = int64_t(1) << 62;
  PYDL_CHECK(elements <= kMaxBytes / static_cast<int64_t>(itemsize(dtype)),
             "Trying to create tensor with size ", sizes, ": too many elements for dtype ", dtype);
  return static_cast<size_t>(elements) * itemsize(dtype);
}

Tensor empty(const Shape& sizes, ScalarType dtype, Device device) {
  check_sizes(sizes, "empty");
  int64_t n = 1;
  for (int64_t s : sizes) {
    PYDL_CHECK(s == 0 || n <= (int64_t(1) << 62) / s, "Trying to create tensor with size ", sizes,
               ": too many elements");
    n *= s;
  }
  auto storage = Storage::allocate(checked_nbytes(n, dtype, sizes), device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), sizes, contiguous_strides(sizes), 0,
                                             dtype, nullptr));
}

int64_t required_storage_elements(const Shape& sizes, const Shape& strides, int64_t offset) {
  for (int64_t s : sizes)
    if (s == 0) return 0;
  int64_t last = offset;  // index of the furthest element
  bool overflow = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    int64_t span;
    overflow |= __builtin_mul_overflow(sizes[d] - 1, strides[d], &span);
    overflow |= __builtin_add_overflow(last, span, &last);
  }
  overflow |= __builtin_add_overflow(last, int64_t(1), &last);
  PYDL_CHECK(!overflow, "Storage size calculation overflowed with sizes=", sizes, " and strides=", strides);
  return last;
}

Tensor empty_strided(const Shape& sizes, const Shape& strides, ScalarType dtype, Device device) {
  check_sizes(sizes, "empty_strided");
  PYDL_CHECK(sizes.size() == strides.size(), "empty_strided: mismatch in length of strides and shape (",
             strides.size(), " vs ", sizes.size(), ")");
  for (int64_t s : strides) PYDL_CHECK(s >= 0, "empty_strided: negative strides are not supported, got ", strides);
  int64_t n = required_storage_elements(sizes, strides, 0);
  auto storage = Storage::allocate(checked_nbytes(n, dtype, sizes), device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), sizes, strides, 0, dtype, nullptr));
}

Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t storage_offset) {
  PYDL_CHECK(storage_offset >= 0, "as_strided: Negative storage offset ", storage_offset);
  for (int64_t s : sizes) PYDL_CHECK(s >= 0, "as_strided: negative size in ", sizes);
  for (int64_t s : strides) PYDL_CHECK(s >= 0, "as_strided: negative strides are not supported, got ", strides);
  PYDL_CHECK(sizes.size() == strides.size(), "as_strided: mismatch in length of strides and shape (", strides.size(),
             " vs ", sizes.size(), ")");
  shape_numel(sizes);  // raises when the element count overflows int64
  int64_t need = required_storage_elements(sizes, strides, storage_offset);
  int64_t have = static_cast<int64_t>(base.impl()->storage()->nbytes() / base.itemsize());
  PYDL_CHECK(need <= have, "setStorage: sizes ", sizes, ", strides ", strides, ", storage offset ",
             storage_offset, ", and itemsize ", base.itemsize(), " requiring a storage size of ",
             static_cast<uint64_t>(need) * base.itemsize(), " are out of bounds for storage of size ",
             base.impl()->storage()->nbytes());
  auto view = std::make_shared<TensorImpl>(base.impl()->storage(), std::move(sizes), std::move(strides),
                                           storage_offset, base.dtype(), base.impl()->version_counter());
  const std::shared_ptr<TensorImpl>& root = base.impl()->view_base() ? base.impl()->view_base() : base.impl_ptr();
  view->set_view_base(root, autograd::GradMode::is_enabled());
  view->set_inference(base.impl()->is_inference());  // a view of a normal tensor stays normal, as in PyTorch
  return Tensor(std::move(view));
}

Tensor alias(const Tensor& t) {
  auto a = std::make_shared<TensorImpl>(t.impl()->storage(), t.sizes(), t.strides(), t.storage_offset(), t.dtype(),
                                        t.impl()->version_counter());
  a->set_inference(t.impl()->is_inference());
  return Tensor(std::move(a));
}

bool is_non_overlapping_and_dense(const Tensor& t) {
  if (t.is_contiguous()) return true;
  int64_t nd = t.dim();
  std::vector<int64_t> perm(nd);
  std::iota(perm.begin(), perm.end(), 0);
  // Sort dims by stride; size-1 dims go wherever (their strides do not matter).
  std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    if (t.sizes()[a] < 2) return false;
    if (t.sizes()[b] < 2) return true;
    return t.strides()[a] < t.strides()[b];
  });
  int64_t expected = 1;
  for (int64_t d : perm) {
    int64_t sz = t.sizes()[d];
    if (sz == 1) continue;
    if (t.strides()[d] != expected) return false;
    expected *= sz;
  }
  return true;
}

bool has_internal_overlap(const Tensor& t) {
  if (t.numel() == 0) return false;  // nothing to write, e.g. from_numpy(np.zeros((0, 4))) has strides (0, 0)
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.sizes()[d] > 1 && t.strides()[d] == 0) return true;
  return false;
}

bool may_overlap(const Tensor& a, const Tensor& b) {
  if (a.numel() == 0 || b.numel() == 0) return false;
  if (a.impl()->storage() != b.impl()->storage()) return false;
  auto span = [](const Tensor& t) {
    int64_t first = t.storage_offset() * static_cast<int64_t>(t.itemsize());
    int64_t last = required_storage_elements(t.sizes(), t.strides(), t.storage_offset()) *
                   static_cast<int64_t>(t.itemsize());
    return std::make_pair(first, last);
  };
  auto sa = span(a), sb = span(b);
  return sa.first < sb.second && sb.first < sa.second;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    PYDL_CHECK(x == y || x == 1 || y == 1, op, ": the size of tensor a (", x, ") must match the size of tensor b (",
               y, ") at non-singleton dimension ", i, " (shapes ", a, " and ", b, ")");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

}  // namespace pydl
