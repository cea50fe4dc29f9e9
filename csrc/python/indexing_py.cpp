// Basic indexing: ints, slices (positive steps), None, bools, Ellipsis and tuples of them give views;
// assignment writes through such a view (copy_ with broadcasting, or fill_ for numbers).
// Advanced indexing (integer/bool tensors and lists) belongs to the op library.
#include "ops/ops.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

bool is_numpy_bool(py::handle h) {
  std::string mod = py::str(py::type::handle_of(h).attr("__module__"));
  std::string name = py::str(py::type::handle_of(h).attr("__name__"));
  return mod == "numpy" && (name == "bool_" || name == "bool");
}

bool is_int_like(py::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) return false;
  if (PyLong_Check(o)) return true;
  if (py::isinstance<TensorImpl>(h)) {
    Tensor t = h.cast<Tensor>();
    return t.dim() == 0 && is_integral(t.dtype(), false);
  }
  return PyIndex_Check(o) && !py::isinstance<py::sequence>(h) && !is_numpy_bool(h);
}

// True / False (Python bools, NumPy bools and 0-d bool tensors) index like None, then keep the
// new dim (True) or empty it (False), as in PyTorch and NumPy.
std::optional<bool> as_bool_index(py::handle h) {
  if (PyBool_Check(h.ptr()) || is_numpy_bool(h)) return PyObject_IsTrue(h.ptr()) == 1;
  if (py::isinstance<TensorImpl>(h)) {
    Tensor t = h.cast<Tensor>();
    if (t.dim() == 0 && t.dtype() == ScalarType::Bool) return h.attr("item")().cast<bool>();
  }
  return std::nullopt;
}

// Sequences and tensors would be advanced indexing (not supported yet); anything else is invalid.
[[noreturn]] void bad_index(py::handle h) {
  std::string name = py::str(py::type::handle_of(h).attr("__name__")).cast<std::string>();
  if (py::isinstance<TensorImpl>(h)) {
    Tensor t = h.cast<Tensor>();
    PYDL_CHECK_INDEX(is_integral(t.dtype(), true), "tensors used as indices must be long, int, byte or bool tensors");
  }
  bool advanced = py::isinstance<TensorImpl>(h) || is_numpy_array(h) ||
                  (py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h) && !py::isinstance<py::bytes>(h));
  PYDL_CHECK_NOT_IMPLEMENTED(!advanced, "indexing with ", name, " (advanced indexing) is not supported yet; use "
                             "ints, slices, None and ...");
  PYDL_CHECK_INDEX(false, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                   "indices (got ", name, ")");
  throw std::logic_error("unreachable");
}

// The view `self[index]` selects. Bools are advanced indices in PyTorch and NumPy, so reading
// with one (copy_bools) gives a fresh contiguous tensor rather than a view.
Tensor apply_index(const Tensor& self, py::handle index, bool copy_bools) {
  std::vector<py::handle> items;
  py::tuple holder;
  if (py::isinstance<py::tuple>(index)) {
    holder = py::reinterpret_borrow<py::tuple>(index);
    for (auto h : holder) items.push_back(h);
  } else {
    items.push_back(index);
  }
  // How many tensor dims the index consumes (ints and slices do; None, bools and ... do not).
  int64_t consumed = 0, ellipses = 0;
  bool has_bool = false;
  for (auto h : items) {
    if (h.is_none()) continue;
    if (h.ptr() == Py_Ellipsis) { ++ellipses; continue; }
    if (is_int_like(h) || PySlice_Check(h.ptr())) { ++consumed; continue; }
    if (as_bool_index(h)) { has_bool = true; continue; }
    bad_index(h);
  }
  PYDL_CHECK_INDEX(ellipses <= 1, "an index can only have a single ellipsis ('...')");
  PYDL_CHECK_INDEX(self.dim() > 0 || consumed == 0, "invalid index of a 0-dim tensor. Use `tensor.item()` in "
                   "Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
  PYDL_CHECK_INDEX(consumed <= self.dim(), "too many indices for tensor of dimension ", self.dim());
  Tensor t = self;
  int64_t dim = 0;
  std::vector<int64_t> bool_dims;  // where each bool inserted its size-1 dim
  bool all_true = true;
  for (auto h : items) {
    if (h.is_none()) {
      t = unsqueeze(t, dim++);
    } else if (h.ptr() == Py_Ellipsis) {
      dim += self.dim() - consumed;
    } else if (is_int_like(h)) {
      t = select(t, dim, int_from_python(h, "index"));
    } else if (PySlice_Check(h.ptr())) {
      // PySlice_Unpack converts __index__ objects, clamps huge bounds and rejects a zero step
      // (ValueError: slice step cannot be zero).
      Py_ssize_t start, stop, step;
      if (PySlice_Unpack(h.ptr(), &start, &stop, &step) < 0) throw py::error_already_set();
      PYDL_CHECK_VALUE(step > 0, "step must be greater than zero");
      auto* sl = reinterpret_cast<PySliceObject*>(h.ptr());
      std::optional<int64_t> lo, hi;
      if (sl->start != Py_None) lo = start;
      if (sl->stop != Py_None) hi = stop;
      t = slice(t, dim, lo, hi, step);
      ++dim;
    } else {
      all_true &= *as_bool_index(h);
      t = unsqueeze(t, dim);
      bool_dims.push_back(dim++);
    }
  }
  if (!bool_dims.empty()) {
    // Like PyTorch, all bools together index one dim (size 1, or 0 if any is False). It stays where
    // the bools are when they are adjacent and moves to the front otherwise (advanced indexing).
    int64_t first = bool_dims.front();
    bool adjacent = bool_dims.back() - first == static_cast<int64_t>(bool_dims.size()) - 1;
    if (bool_dims.size() > 1) t = squeeze(t, Shape(bool_dims.begin() + 1, bool_dims.end()));
    if (!adjacent) {
      Shape perm{first};
      for (int64_t d = 0; d < t.dim(); ++d)
        if (d != first) perm.push_back(d);
      t = permute(t, perm);
      first = 0;
    }
    if (!all_true) t = slice(t, first, 0, 0, 1);
  }
  if (has_bool && copy_bools) {
    Tensor c = contiguous(t);
    return c.is_same(t) ? clone(t) : c;
  }
  if (t.is_same(self)) t = detach(self);  // x[...] and x[()] are views, not the same object
  return t;
}

}  // namespace

void init_indexing(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("__getitem__", [](const Tensor& self, py::handle index) { return apply_index(self, index, true); });
  cls.def("__setitem__", [](const Tensor& self, py::handle index, py::handle value) {
    Tensor target = apply_index(self, index, false);
    if (py::isinstance<TensorImpl>(value)) {
      copy_(target, value.cast<Tensor>());
    } else if (is_python_number(value)) {
      fill_(target, scalar_from_python(value, "value"));
    } else {
      copy_(target, tensor_from_data(value, self.dtype(), self.device()));
    }
  });
}

}  // namespace pydl::python
