#include "python/fast_call.h"

namespace pydl::python {
namespace {

// Lives as long as the interpreter holds the callable, that is, for good (pybind11 keeps its
// own function records the same way).
PyMethodDef* method_def(const char* name, FastFunction fn, const char* doc) {
  return new PyMethodDef{name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(fn)),
                         METH_FASTCALL | METH_KEYWORDS, doc};
}

}  // namespace

void def_fast_method(PyTypeObject* type, const char* name, FastFunction fn, const char* doc) {
  auto descr = py::reinterpret_steal<py::object>(PyDescr_NewMethod(type, method_def(name, fn, doc)));
  if (!descr || PyObject_SetAttrString(reinterpret_cast<PyObject*>(type), name, descr.ptr()) != 0)
    throw py::error_already_set();
}

void def_fast_function(py::module_& m, const char* name, FastFunction fn, const char* doc, void* data) {
  py::capsule self(data);
  auto f = py::reinterpret_steal<py::object>(
      PyCFunction_NewEx(method_def(name, fn, doc), self.ptr(), py::str(m.attr("__name__")).ptr()));
  if (!f) throw py::error_already_set();
  m.attr(name) = f;
}

}  // namespace pydl::python
