// Conversions from Python objects (numbers, sizes, devices) shared by all binding files.
#include <climits>

#include "backend/backend.h"
#include "python/bindings.h"

namespace pydl::python {

std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

static bool is_numpy_bool(py::handle h) {
  std::string mod = py::str(py::type::handle_of(h).attr("__module__"));
  std::string name = type_name(h);
  return mod == "numpy" && (name == "bool_" || name == "bool");
}

int64_t int_from_python(py::handle h, const char* what) {
  PYDL_CHECK_TYPE(!PyBool_Check(h.ptr()) && !PyFloat_Check(h.ptr()) && (PyLong_Check(h.ptr()) || PyIndex_Check(h.ptr())),
                  what, " must be int, not ", type_name(h));
  int overflow = 0;
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
  if (!index) throw py::error_already_set();
  long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  PYDL_CHECK(!overflow, "Overflow when unpacking long (", what, ")");
  return static_cast<int64_t>(v);
}

bool is_python_number(py::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o)) return true;
  if (py::isinstance<TensorImpl>(h)) return h.cast<Tensor>().numel() == 1;
  // NumPy scalars (np.float32(1.5), np.int64(3)) and 0-d arrays.
  std::string mod = py::str(py::type::handle_of(h).attr("__module__"));
  return mod == "numpy" && py::hasattr(h, "ndim") && h.attr("ndim").cast<int>() == 0 &&
         h.attr("dtype").attr("kind").cast<std::string>().find_first_of("biuf") != std::string::npos;
}

Scalar scalar_from_python(py::handle h, const char* what) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o) || is_numpy_bool(h)) return Scalar(PyObject_IsTrue(o) == 1);
  if (PyFloat_Check(o)) return Scalar(PyFloat_AsDouble(o));
  if (PyLong_Check(o)) return Scalar(int_from_python(h, what));
  if (py::isinstance<TensorImpl>(h)) {
    Tensor t = h.cast<Tensor>();
    PYDL_CHECK(t.numel() == 1, "a Tensor with ", t.numel(), " elements cannot be converted to Scalar");
    return scalar_from_python(h.attr("item")(), what);
  }
  if (py::hasattr(h, "dtype") && py::hasattr(h, "item")) return scalar_from_python(h.attr("item")(), what);
  if (PyIndex_Check(o)) return Scalar(int_from_python(h, what));
  PYDL_CHECK_TYPE(PyNumber_Check(o), what, " must be a Number, but got ", type_name(h));
  return Scalar(py::reinterpret_steal<py::float_>(PyNumber_Float(h.ptr())).cast<double>());
}

Shape shape_from_python(py::handle h, const char* what) {
  if (PyLong_Check(h.ptr()) || (PyIndex_Check(h.ptr()) && !py::isinstance<py::sequence>(h)))
    return Shape{int_from_python(h, what)};
  PYDL_CHECK_TYPE(py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h), what,
                  " must be a tuple of ints, but got ", type_name(h));
  auto seq = py::reinterpret_borrow<py::sequence>(h);
  Shape out;
  out.reserve(seq.size());
  for (size_t i = 0; i < seq.size(); ++i) {
    py::object item = seq[i];
    PYDL_CHECK_TYPE(!PyBool_Check(item.ptr()) && !PyFloat_Check(item.ptr()) &&
                    (PyLong_Check(item.ptr()) || PyIndex_Check(item.ptr())), what,
                    " must be tuple of ints, but found element of type ", type_name(item), " at pos ", i);
    out.push_back(int_from_python(item, what));
  }
  return out;
}

Shape size_from_args(const py::args& args, const py::object& size_kw, const char* op) {
  if (args.size() == 0) {
    PYDL_CHECK_TYPE(!size_kw.is_none(), op, "() missing required argument 'size'");
    return shape_from_python(size_kw, str(op, "(): argument 'size'").c_str());
  }
  PYDL_CHECK_TYPE(size_kw.is_none(), op, "() got multiple values for argument 'size'");
  if (args.size() == 1 && py::isinstance<py::sequence>(args[0]))
    return shape_from_python(args[0], str(op, "(): argument 'size'").c_str());
  return shape_from_python(args, str(op, "(): argument 'size'").c_str());
}

Device device_from_python(py::handle h) {
  if (py::isinstance<Device>(h)) return h.cast<Device>();
  if (py::isinstance<py::str>(h)) return Device(h.cast<std::string>());
  if (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr())) {
    int64_t i = int_from_python(h, "device");
    PYDL_CHECK(i >= 0 && i < 128, "Device index must not be negative, got ", i);
    return Device(DeviceType::CUDA, static_cast<int>(i));
  }
  PYDL_CHECK_TYPE(false, "expected a pydl.device, a string or an int as device, but got ", type_name(h));
  return Device();
}

std::optional<Device> optional_device(const py::object& h) {
  if (h.is_none()) return std::nullopt;
  return device_from_python(h);
}

Tensor finish_factory(Tensor t, bool requires_grad) {
  if (requires_grad) t.impl()->set_requires_grad(true);
  return t;
}

void init_device(py::module_& m) {
  py::class_<Device>(m, "device", "A device: pydl.device('cpu'), pydl.device('cuda:0'), pydl.device('cuda', 1).")
      .def(py::init([](py::object spec, py::object index) {
             if (!index.is_none()) {
               Device d(spec.cast<std::string>());
               PYDL_CHECK(d.index < 0, "type (string) must not include an index because index was passed "
                          "explicitly: ", spec.cast<std::string>());
               int64_t i = int_from_python(index, "index");
               PYDL_CHECK(i >= 0, "Device index must not be negative");
               PYDL_CHECK(d.is_cuda() || i == 0, "CPU device index must be -1 or zero, got ", i);
               return Device(d.type, static_cast<int>(i));
             }
             return device_from_python(spec);
           }),
           py::arg("type"), py::arg("index") = py::none())
      .def_property_readonly("type", [](const Device& d) { return std::string(device_type_name(d.type)); })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        if (d.index < 0) return py::object(py::none());
        return py::object(py::int_(int(d.index)));
      })
      .def("__str__", &Device::str)
      .def("__repr__", [](const Device& d) {
        return d.index < 0 ? str("device(type='", device_type_name(d.type), "')")
                           : str("device(type='", device_type_name(d.type), "', index=", int(d.index), ")");
      })
      .def("__eq__", [](const Device& a, py::object b) {
        if (!py::isinstance<Device>(b)) return false;
        return a == b.cast<Device>();
      })
      .def("__hash__", [](const Device& d) { return std::hash<int>()(static_cast<int>(d.type) * 256 + d.index); })
      .def("__reduce__", [](const Device& d) { return py::make_tuple(py::module_::import("pydl").attr("device"), py::make_tuple(d.str())); });
}

}  // namespace pydl::python
