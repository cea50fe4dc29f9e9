// pybind11 type casters between Python objects and pydl's C++ types:
//   Tensor     <-> pydl.Tensor (the bound TensorImpl; one Python object per TensorImpl)
//   ScalarType <-> the pydl.float32, ... singletons
//   Scalar     <-  bool / int / float / NumPy scalar / one-element tensor
//   Shape      <-> sequence of ints (tuple when returned)
//   int64_t    <-  int or __index__ object, never bool or float
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/dtype.h"
#include "core/scalar.h"
#include "core/tensor.h"

namespace py = pybind11;

namespace pydl::python {

// The bound class behind `pydl.dtype`.
struct DTypeObject {
  ScalarType type;
};
py::object dtype_object(ScalarType t);          // the singleton for t
bool is_dtype_object(py::handle h);
Scalar scalar_from_python(py::handle h, const char* what);  // TypeError if not a number
bool is_python_number(py::handle h);
Shape shape_from_python(py::handle h, const char* what);     // TypeError if not a sequence of ints
// Python int -> int64 with PyTorch's errors (TypeError for bool and non-integers, RuntimeError on overflow).
int64_t int_from_python(py::handle h, const char* what);

// pydl.Tensor's type object, set when the class is bound (tensor_py.cpp).
extern PyTypeObject* g_tensor_type;

// Sets *out to the Tensor a pydl.Tensor (or subclass) instance holds and returns true; false
// for anything else, or an instance whose __init__ never ran. A type check and a pointer read,
// where pybind11's generic caster looks the type up in its registry on every call.
inline bool tensor_from_python(PyObject* o, Tensor* out) {
  if (!g_tensor_type || !PyObject_TypeCheck(o, g_tensor_type)) return false;
  auto* inst = reinterpret_cast<pybind11::detail::instance*>(o);
  pybind11::detail::value_and_holder vh = inst->get_value_and_holder();  // one C++ type: simple layout
  if (!vh.holder_constructed()) return false;
  *out = Tensor(vh.holder<std::shared_ptr<TensorImpl>>());
  return true;
}

}  // namespace pydl::python

namespace pybind11::detail {

template <>
struct type_caster<pydl::Tensor> {
  PYBIND11_TYPE_CASTER(pydl::Tensor, const_name("Tensor"));
  bool load(handle src, bool convert) {
    if (pydl::python::tensor_from_python(src.ptr(), &value)) return true;
    copyable_holder_caster<pydl::TensorImpl, std::shared_ptr<pydl::TensorImpl>> holder;
    if (!holder.load(src, convert)) return false;
    value = pydl::Tensor(static_cast<std::shared_ptr<pydl::TensorImpl>>(holder));
    return true;
  }
  static handle cast(const pydl::Tensor& t, return_value_policy, handle) {
    if (!t.defined()) return none().release();
    // Returns the existing Python object when this TensorImpl already has one.
    return type_caster_base<pydl::TensorImpl>::cast_holder(t.impl(), &t.impl_ptr());
  }
};

template <>
struct type_caster<pydl::ScalarType> {
  PYBIND11_TYPE_CASTER(pydl::ScalarType, const_name("dtype"));
  bool load(handle src, bool) {
    if (!pydl::python::is_dtype_object(src)) return false;
    value = src.cast<pydl::python::DTypeObject&>().type;
    return true;
  }
  static handle cast(pydl::ScalarType t, return_value_policy, handle) {
    return pydl::python::dtype_object(t).release();
  }
};

template <>
struct type_caster<pydl::Scalar> {
  PYBIND11_TYPE_CASTER(pydl::Scalar, const_name("Number"));
  bool load(handle src, bool) {
    if (!pydl::python::is_python_number(src)) return false;
    value = pydl::python::scalar_from_python(src, "argument");
    return true;
  }
  static handle cast(const pydl::Scalar& s, return_value_policy, handle) {
    if (s.is_bool()) return pybind11::bool_(s.to_bool()).release();
    if (s.is_int()) return pybind11::int_(s.to_int()).release();
    return pybind11::float_(s.to_double()).release();
  }
};

// int64 arguments (dims, sizes, indices) follow PyTorch's parser: ints and objects with
// __index__ are accepted, but bool and float are not (x.unsqueeze(True) is a TypeError).
template <>
struct type_caster<int64_t> {
  PYBIND11_TYPE_CASTER(int64_t, const_name("int"));
  bool load(handle src, bool) {
    PyObject* o = src.ptr();
    if (!o || PyBool_Check(o) || PyFloat_Check(o) || !(PyLong_Check(o) || PyIndex_Check(o))) return false;
    value = pydl::python::int_from_python(src, "argument");  // RuntimeError on overflow, like PyTorch
    return true;
  }
  static handle cast(int64_t v, return_value_policy, handle) { return PyLong_FromLongLong(v); }
};

template <>
struct type_caster<pydl::Shape> {
  PYBIND11_TYPE_CASTER(pydl::Shape, const_name("Sequence[int]"));
  bool load(handle src, bool) {
    if (!isinstance<sequence>(src) || isinstance<str>(src)) return false;
    try {
      value = pydl::python::shape_from_python(src, "size");
    } catch (const pydl::Error&) {
      return false;
    }
    return true;
  }
  static handle cast(const pydl::Shape& s, return_value_policy, handle) {
    tuple t(s.size());
    for (size_t i = 0; i < s.size(); ++i) t[i] = int_(s[i]);
    return t.release();
  }
};

}  // namespace pybind11::detail
