// x[index] / x[index] = v: ints, slices (positive steps), None and Ellipsis give views; tensors,
// lists, NumPy arrays and bools are advanced indices, read with pydl::index (a copy) and written
// with index_put_. Basic-only assignment writes through the view (copy_ or fill_).
#include "ops/ops.h"
#include "autograd/inplace.h"
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

[[noreturn]] void bad_index(py::handle h) {
  std::string name = py::str(py::type::handle_of(h).attr("__name__")).cast<std::string>();
  PYDL_CHECK_INDEX(false, "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                   "indices (got ", name, ")");
  throw std::logic_error("unreachable");
}

// A tensor, NumPy array or (non-string) sequence used as an index, as a tensor on `dev`;
// undefined for anything else. Empty lists index with no elements (int64, not float).
Tensor as_index_tensor(py::handle h, Device dev) {
  Tensor t;
  if (py::isinstance<TensorImpl>(h)) {
    t = h.cast<Tensor>();
  } else if (is_numpy_array(h) ||
             (py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h) && !py::isinstance<py::bytes>(h))) {
    t = tensor_from_data(h, std::nullopt, dev);
    if (t.numel() == 0 && is_floating(t.dtype())) t = to(t, ScalarType::Int64, std::nullopt, false);
  } else {
    return t;
  }
  PYDL_CHECK_INDEX(is_integral(t.dtype(), true), "tensors used as indices must be long, int, byte or bool tensors");
  return t;
}

// `self[index]` as a view of self (ints, slices, None, ...) plus the advanced indices (tensors,
// lists, arrays, bools) still to apply to that view, one slot per view dim (PyTorch's order:
// ints select first, so they never count as advanced indices).
struct ParsedIndex {
  Tensor view;
  std::vector<Tensor> advanced;  // empty when the index is basic
};

ParsedIndex parse_index(const Tensor& self, py::handle index) {
  std::vector<py::handle> items;
  py::tuple holder;
  if (py::isinstance<py::tuple>(index)) {
    holder = py::reinterpret_borrow<py::tuple>(index);
    for (auto h : holder) items.push_back(h);
  } else {
    items.push_back(index);
  }
  // Classify first: how many dims the index consumes decides where `...` expands.
  enum Kind { kNone, kEllipsis, kInt, kSlice, kBool, kTensor };
  std::vector<Kind> kinds;
  std::vector<Tensor> tensors(items.size());
  int64_t consumed = 0, ellipses = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    py::handle h = items[i];
    Kind k;
    if (h.is_none()) k = kNone;
    else if (h.ptr() == Py_Ellipsis) k = kEllipsis;
    else if (is_int_like(h)) k = kInt;
    else if (PySlice_Check(h.ptr())) k = kSlice;
    else if (as_bool_index(h)) k = kBool;
    else {
      Tensor t = as_index_tensor(h, self.device());
      if (!t.defined()) bad_index(h);
      tensors[i] = t;
      k = t.dim() == 0 && t.dtype() != ScalarType::Bool ? kInt : t.dim() == 0 ? kBool : kTensor;
    }
    kinds.push_back(k);
    if (k == kEllipsis) ++ellipses;
    if (k == kInt || k == kSlice) ++consumed;
    if (k == kTensor) consumed += tensors[i].dtype() == ScalarType::Bool || tensors[i].dtype() == ScalarType::UInt8
                                      ? tensors[i].dim() : 1;
  }
  PYDL_CHECK_INDEX(ellipses <= 1, "an index can only have a single ellipsis ('...')");
  PYDL_CHECK_INDEX(self.dim() > 0 || consumed == 0, "invalid index of a 0-dim tensor. Use `tensor.item()` in "
                   "Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
  PYDL_CHECK_INDEX(consumed <= self.dim(), "too many indices for tensor of dimension ", self.dim());
  Tensor t = self;
  int64_t dim = 0;
  std::vector<std::pair<int64_t, Tensor>> adv;  // (view dim, index)
  for (size_t i = 0; i < items.size(); ++i) {
    py::handle h = items[i];
    switch (kinds[i]) {
      case kNone: t = unsqueeze(t, dim++); break;
      case kEllipsis: dim += self.dim() - consumed; break;
      case kInt:
        t = select(t, dim, tensors[i].defined() ? py::cast(tensors[i]).attr("item")().cast<int64_t>()
                                                : int_from_python(h, "index"));
        break;
      case kSlice: {
        // PySlice_Unpack converts __index__ objects, clamps huge bounds and rejects a zero step
        // (ValueError: slice step cannot be zero).
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(h.ptr(), &start, &stop, &step) < 0) throw py::error_already_set();
        PYDL_CHECK_VALUE(step > 0, "step must be greater than zero");
        auto* sl = reinterpret_cast<PySliceObject*>(h.ptr());
        std::optional<int64_t> lo, hi;
        if (sl->start != Py_None) lo = start;
        if (sl->stop != Py_None) hi = stop;
        t = slice(t, dim++, lo, hi, step);
        break;
      }
      case kBool: {
        // True / False index a new size-1 dim with [0] / [] (NumPy's 0-d mask).
        const bool b = tensors[i].defined() ? py::cast(tensors[i]).attr("item")().cast<bool>() : *as_bool_index(h);
        t = unsqueeze(t, dim);
        adv.emplace_back(dim++, b ? full({1}, Scalar(int64_t(0)), ScalarType::Int64, self.device())
                                  : empty({0}, ScalarType::Int64, self.device()));
        break;
      }
      case kTensor: {
        const Tensor& x = tensors[i];
        adv.emplace_back(dim, x);
        dim += x.dtype() == ScalarType::Bool || x.dtype() == ScalarType::UInt8 ? x.dim() : 1;
        break;
      }
    }
  }
  ParsedIndex p;
  p.view = t;
  if (!adv.empty()) {
    p.advanced.resize(t.dim());
    for (auto& [d, x] : adv) p.advanced[d] = x;
  }
  return p;
}

}  // namespace

void init_indexing(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("__getitem__", [](const Tensor& self, py::handle index) {
    ParsedIndex p = parse_index(self, index);
    if (p.advanced.empty()) return p.view.is_same(self) ? detach(self) : p.view;  // x[...] is a view, not x
    py::gil_scoped_release nogil;
    return pydl::index(p.view, p.advanced);
  });
  cls.def("__setitem__", [](const Tensor& self, py::handle index, py::handle value) {
    ParsedIndex p = parse_index(self, index);
    Tensor v;
    if (py::isinstance<TensorImpl>(value)) {
      v = value.cast<Tensor>();
    } else if (is_python_number(value)) {
      Scalar s = scalar_from_python(value, "value");
      if (p.advanced.empty()) {
        Tensor target = p.view;
        py::gil_scoped_release nogil;
        fill_recorded(target, s);
        return;
      }
      v = full({}, s, self.dtype(), self.device());
    } else {
      v = tensor_from_data(value, self.dtype(), self.device());
    }
    py::gil_scoped_release nogil;
    // Leading size-1 dims of the value never matter for broadcasting; PyTorch drops them.
    while (v.dim() > 0 && v.size(0) == 1) v = select(v, 0, 0);
    Tensor target = p.view;
    if (p.advanced.empty()) {
      copy_recorded(target, v);
    } else if (autograd::inplace_needs_grad(target, autograd::needs_grad({&v}))) {
      autograd::record_inplace("index_put_", target, [&](const Tensor& old) {
        return index_put(old, p.advanced, to(v, self.dtype(), std::nullopt, false), false);
      });
    } else {
      index_put_(target, p.advanced, to(v, self.dtype(), std::nullopt, false), false);
    }
  });
}

}  // namespace pydl::python
