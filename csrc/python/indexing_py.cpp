// Basic indexing: ints, slices (positive steps), None, Ellipsis and tuples of them give views;
// assignment writes through such a view (copy_ with broadcasting, or fill_ for numbers).
// Advanced indexing (integer/bool tensors and lists) belongs to the op library.
#include "ops/ops.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

bool is_int_like(py::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) return false;
  if (PyLong_Check(o)) return true;
  if (py::isinstance<TensorImpl>(h)) {
    Tensor t = h.cast<Tensor>();
    return t.dim() == 0 && is_integral(t.dtype(), false);
  }
  return PyIndex_Check(o) && !py::isinstance<py::sequence>(h);
}

Tensor apply_index(const Tensor& self, py::handle index) {
  std::vector<py::handle> items;
  py::tuple holder;
  if (py::isinstance<py::tuple>(index)) {
    holder = py::reinterpret_borrow<py::tuple>(index);
    for (auto h : holder) items.push_back(h);
  } else {
    items.push_back(index);
  }
  // How many tensor dims the index consumes (ints and slices do; None and ... do not).
  int64_t consumed = 0, ellipses = 0;
  for (auto h : items) {
    if (h.is_none()) continue;
    if (h.ptr() == Py_Ellipsis) { ++ellipses; continue; }
    if (is_int_like(h) || PySlice_Check(h.ptr())) { ++consumed; continue; }
    PYDL_CHECK_NOT_IMPLEMENTED(false, "indexing with ", py::str(py::type::handle_of(h).attr("__name__")).cast<std::string>(),
                               " (advanced indexing) is not supported yet; use ints, slices, None and ...");
  }
  PYDL_CHECK_INDEX(ellipses <= 1, "an index can only have a single ellipsis ('...')");
  PYDL_CHECK_INDEX(consumed <= self.dim(), "too many indices for tensor of dimension ", self.dim());
  Tensor t = self;
  int64_t dim = 0;
  for (auto h : items) {
    if (h.is_none()) {
      t = unsqueeze(t, dim++);
    } else if (h.ptr() == Py_Ellipsis) {
      dim += self.dim() - consumed;
    } else if (is_int_like(h)) {
      t = select(t, dim, int_from_python(h, "index"));
    } else {
      auto opt = [](PyObject* o) -> std::optional<int64_t> {
        if (o == Py_None) return std::nullopt;
        return int_from_python(o, "slice indices");
      };
      auto* sl = reinterpret_cast<PySliceObject*>(h.ptr());
      auto st = opt(sl->step);
      PYDL_CHECK_VALUE(!st || *st > 0, "step must be greater than zero");
      t = slice(t, dim, opt(sl->start), opt(sl->stop), st.value_or(1));
      ++dim;
    }
  }
  if (t.is_same(self)) t = detach(self);  // x[...] and x[()] are views, not the same object
  return t;
}

}  // namespace

void init_indexing(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("__getitem__", [](const Tensor& self, py::handle index) { return apply_index(self, index); });
  cls.def("__setitem__", [](const Tensor& self, py::handle index, py::handle value) {
    Tensor target = apply_index(self, index);
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
