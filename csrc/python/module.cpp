// PYBIND11_MODULE(_C): the dtype singletons, exception translation, and the init_* functions
// of the other binding files. Bindings hold no logic: they parse arguments and call csrc/ops.
#include <pybind11/pybind11.h>

#include "core/cpu_isa.h"
#include "python/bindings.h"

namespace pydl::python {

// Borrowed forever: py::object statics would be released after the interpreter is gone.
static py::handle g_dtype_objects[kNumScalarTypes];

py::object dtype_object(ScalarType t) { return py::reinterpret_borrow<py::object>(g_dtype_objects[static_cast<int>(t)]); }

bool is_dtype_object(py::handle h) { return py::isinstance<DTypeObject>(h); }

static void init_dtypes(py::module_& m) {
  py::class_<DTypeObject>(m, "dtype", "A tensor element type, e.g. pydl.float32.")
      .def_property_readonly("is_floating_point", [](const DTypeObject& d) { return is_floating(d.type); })
      .def_property_readonly("is_signed", [](const DTypeObject& d) { return is_signed(d.type); })
      .def_property_readonly("is_complex", [](const DTypeObject&) { return false; })
      .def_property_readonly("itemsize", [](const DTypeObject& d) { return itemsize(d.type); })
      .def("to_real", [](const DTypeObject& d) { return d.type; })
      .def("__repr__", [](const DTypeObject& d) { return std::string("pydl.") + dtype_name(d.type); })
      .def("__reduce__", [](const DTypeObject& d) { return std::string(dtype_name(d.type)); });
  for (int i = 0; i < kNumScalarTypes; ++i) {
    auto t = static_cast<ScalarType>(i);
    g_dtype_objects[i] = py::cast(DTypeObject{t}).release();
    m.attr(dtype_name(t)) = g_dtype_objects[i];
  }
}

static void init_errors(py::module_& m) {
  static PyObject* oom = PyErr_NewException("pydl._C.OutOfMemoryError", PyExc_RuntimeError, nullptr);
  m.attr("OutOfMemoryError") = py::handle(oom);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const OutOfMemoryError& e) {
      PyErr_SetString(oom, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(oom, "out of memory (std::bad_alloc)");
    }
  });
}

}  // namespace pydl::python

PYBIND11_MODULE(_C, m) {
  using namespace pydl::python;
  m.doc() = "pydl's compiled core: tensors, ops, autograd and device backends.";
  init_errors(m);
  init_dtypes(m);
  init_device(m);
  init_tensor(m);
  init_indexing(m);
  init_factories(m);
  init_random(m);
  init_interop(m);
  init_config(m);
  init_allocator(m);
  init_dlpack(m);
  init_math(m);
  init_operators(m);
  init_autograd(m);
  init_function(m);
  init_math_args(m);
  init_nn_functional(m);
  init_reduce(m);
  // shape and joining ops: cat, stack, split, flip, roll, repeat, tril, meshgrid, view functions
  init_shape(m);
  init_index_ops(m);  // after init_nn_functional: adds one_hot to _nn
  init_sorting(m);
  init_reduce_stats(m);  // after init_sorting: shares pydl.return_types
  init_scan(m);
  init_softmax(m);  // after init_nn_functional: adds softmax, log_softmax, softmin to _nn
  init_linalg(m);   // after init_reduce_stats (pydl._C._linalg) and init_nn_functional (linear)
  init_conv(m);     // after init_nn_functional (adds to _nn)
  init_rnn(m);      // after init_nn_functional (adds to _nn)
  init_optim(m);    // pydl._C._optim: the optimizer steps
}
