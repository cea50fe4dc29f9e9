// Entry points bound straight to CPython's vectorcall protocol (METH_FASTCALL | METH_KEYWORDS)
// instead of through pybind11's dispatcher.
//
// pybind11 spends 150-300 ns per call before the bound function runs (argument vectors, the
// overload loop, keyword matching, defaults). That is most of the time of a call whose work is
// tiny and that runs on every step: requires_grad_() costs 390 ns that way against PyTorch's
// 140 ns, and a 64x64 mv half as much again as its kernel. The few such entry points parse their
// arguments here, with PyTorch's TypeError messages; everything else stays with pybind11.
#pragma once
#include <Python.h>

#include <array>
#include <cstring>
#include <string>

#include "python/casters.h"

namespace pydl::python {

// A C entry point's body: C++ exceptions become Python ones, as pybind11 does for bound
// functions. f returns a py::object (or anything convertible to one).
template <typename F>
PyObject* guarded(const F& f) {
  try {
    return py::object(f()).release().ptr();
  } catch (...) {
    py::detail::try_translate_exceptions();
    return nullptr;
  }
}

// A call's arguments matched to the parameter names of `fname(names...)`: the first
// `max_positional` may come by position (PyTorch's messages count the first `min_positional` as
// required), any by keyword. Raises PyTorch's TypeError for too many
// positional arguments, an unknown keyword and an argument given twice. `names` is kept by
// reference: pass a static array.
template <size_t N>
class CallArgs {
 public:
  CallArgs(const char* fname, const std::array<const char*, N>& names, size_t min_positional, size_t max_positional,
           PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames)
      : fname_(fname), names_(names) {
    if (static_cast<size_t>(nargs) > max_positional) {
      const std::string count = min_positional == max_positional
                                    ? std::to_string(max_positional)
                                    : str("from ", min_positional, " to ", max_positional);
      throw py::type_error(str(fname, "() takes ", count, " positional arguments but ", nargs, " were given"));
    }
    for (Py_ssize_t i = 0; i < nargs; ++i) values_[i] = args[i];
    const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; ++k) {
      const char* key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
      if (!key) throw py::error_already_set();
      size_t i = 0;
      while (i < N && std::strcmp(names[i], key) != 0) ++i;
      if (i == N) throw py::type_error(str(fname, "() got an unexpected keyword argument '", key, "'"));
      if (values_[i]) throw py::type_error(str(fname, "() got multiple values for argument '", key, "'"));
      values_[i] = args[nargs + k];
    }
  }

  // Argument i, or null when the call left it out.
  PyObject* operator[](size_t i) const { return values_[i]; }
  // Argument i, which the signature requires.
  PyObject* required(size_t i) const {
    if (!values_[i]) throw py::type_error(str(fname_, "() missing 1 required positional arguments: \"", names_[i], "\""));
    return values_[i];
  }
  // Argument i as a tensor (TypeError naming it otherwise).
  Tensor tensor(size_t i) const {
    Tensor t;
    if (!tensor_from_python(required(i), &t)) throw type_mismatch(i, "Tensor");
    return t;
  }
  // Argument i as a bool, `fallback` when left out. Only True and False, as in PyTorch.
  bool flag(size_t i, bool fallback) const {
    if (!values_[i]) return fallback;
    if (!PyBool_Check(values_[i])) throw type_mismatch(i, "bool");
    return values_[i] == Py_True;
  }

 private:
  py::type_error type_mismatch(size_t i, const char* expected) const {
    return py::type_error(str(fname_, "(): argument '", names_[i], "' (position ", i + 1, ") must be ", expected,
                              ", not ", Py_TYPE(values_[i])->tp_name));
  }

  const char* fname_;
  const std::array<const char*, N>& names_;
  std::array<PyObject*, N> values_{};
};

using FastFunction = PyObject* (*)(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);

// Installs `fn` as the method `name` of `type` (replacing what was there). `self` is the instance.
void def_fast_method(PyTypeObject* type, const char* name, FastFunction fn, const char* doc);
// Adds `fn` as the function `name` of module `m`; it receives `data` as its `self` argument.
void def_fast_function(py::module_& m, const char* name, FastFunction fn, const char* doc, void* data);
// The `data` a fast function was defined with.
template <typename T>
const T& fast_data(PyObject* self) {
  return *static_cast<const T*>(PyCapsule_GetPointer(self, nullptr));
}

}  // namespace pydl::python
