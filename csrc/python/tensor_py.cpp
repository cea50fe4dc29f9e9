// pydl.Tensor: the bound TensorImpl. Properties and methods parse Python arguments and call
// the ops in csrc/ops; Python-only conveniences (repr, pickling) are added in pydl/_tensor.py.
#include <pybind11/numpy.h>

#include "backend/backend.h"
#include "core/dispatch.h"
#include "ops/ops.h"
#include "python/bindings.h"
#include "python/fast_call.h"

namespace pydl::python {

// view(2, 3) / view((2, 3)) / view([2, 3]); `op` is "view(): argument 'size'".
Shape dims_from_args(const py::args& args, const char* op) {
  if (args.size() == 0) {
    std::string name(op);
    PYDL_CHECK_TYPE(false, name.substr(0, name.find('(')), "() missing 1 required positional argument");
  }
  // A tensor is a sequence too, but a 0-d integer tensor passed alone is one size (view(t)).
  if (args.size() == 1 && py::isinstance<py::sequence>(args[0]) && !py::isinstance<TensorImpl>(args[0]))
    return shape_from_python(args[0], op);
  return shape_from_python(args, op);
}

py::object size_object(const Shape& s) {
  static py::handle size_cls = py::object(py::module_::import("pydl._size").attr("Size")).release();
  return size_cls(py::cast(s));
}

namespace {

// A Python number from element 0 of a one-element tensor (any device).
py::object item(const Tensor& t) {
  PYDL_CHECK(t.numel() == 1, "a Tensor with ", t.numel(), " elements cannot be converted to Scalar");
  Tensor c = contiguous(to(t, std::nullopt, Device(DeviceType::CPU), false));
  return PYDL_DISPATCH_ALL_TYPES(t.dtype(), "item", [&]() -> py::object {
    scalar_t v = *c.data<scalar_t>();
    if constexpr (std::is_same<scalar_t, bool>::value) return py::bool_(v);
    else if constexpr (std::is_integral<scalar_t>::value) return py::int_(static_cast<int64_t>(v));
    else return py::float_(static_cast<double>(static_cast<compute_t<scalar_t>>(v)));
  });
}

// int(v) as an exact int: py::int_ would keep a bool (an int subclass), which __index__ and
// __int__ must not return.
py::object exact_int(const py::object& v) {
  PyObject* r = PyNumber_Long(v.ptr());
  if (!r) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(r);
}

py::object tolist(const Tensor& t) {
  Tensor c = contiguous(to(t, std::nullopt, Device(DeviceType::CPU), false));
  if (t.dim() == 0) return item(c);
  py::list out;
  for (int64_t i = 0; i < t.sizes()[0]; ++i) out.append(tolist(select(c, 0, i)));
  return out;
}

// Tensor.to(...) accepts (dtype), (device), (device, dtype), (tensor) plus keywords.
Tensor to_method(const Tensor& self, const py::args& args, const py::kwargs& kw) {
  std::optional<ScalarType> dtype;
  std::optional<Device> device;
  bool copy = false;
  for (auto a : args) {
    if (is_dtype_object(a)) dtype = a.cast<ScalarType>();
    else if (py::isinstance<TensorImpl>(a)) {
      Tensor other = a.cast<Tensor>();
      dtype = other.dtype();
      device = other.device();
    } else device = device_from_python(a);
  }
  for (auto item : kw) {
    std::string k = item.first.cast<std::string>();
    if (k == "dtype" && !item.second.is_none()) dtype = item.second.cast<ScalarType>();
    else if (k == "device" && !item.second.is_none()) device = device_from_python(item.second);
    else if (k == "copy") copy = item.second.cast<bool>();
    else if (k != "non_blocking" && k != "memory_format" && k != "dtype" && k != "device")
      PYDL_CHECK_TYPE(false, "to() got an unexpected keyword argument '", k, "'");
  }
  return to(self, dtype, device, copy);
}

// Tensor.requires_grad_(requires_grad=True): bound as a fast method (python/fast_call.h), since
// a training loop calls it on every batch it wants gradients for.
PyObject* requires_grad_method(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&] {
    static const std::array<const char*, 1> names{"requires_grad"};
    const CallArgs<1> call("requires_grad_", names, 0, 1, args, nargs, kwnames);
    Tensor t;
    PYDL_CHECK(tensor_from_python(self, &t), "requires_grad_(): the tensor was never initialised");
    t.impl()->set_requires_grad(call.flag(0, true));
    return py::reinterpret_borrow<py::object>(self);  // self, as in PyTorch: x.requires_grad_() is x
  });
}

}  // namespace

PyTypeObject* g_tensor_type = nullptr;

void init_tensor(py::module_& m) {
  using T = const Tensor&;
  py::class_<Storage, std::shared_ptr<Storage>>(m, "UntypedStorage",
      "The bytes behind a tensor and all its views (Tensor.untyped_storage()).")
      .def("data_ptr", [](const Storage& s) { return reinterpret_cast<uintptr_t>(s.data()); })
      .def("nbytes", &Storage::nbytes)
      .def("size", &Storage::nbytes)
      .def("__len__", &Storage::nbytes)
      .def("element_size", [](const Storage&) { return 1; })
      .def_property_readonly("device", &Storage::device)
      .def("__repr__", [](const Storage& s) {
        return str("pydl.UntypedStorage(nbytes=", s.nbytes(), ", device='", s.device().str(), "')");
      });
  py::class_<TensorImpl, std::shared_ptr<TensorImpl>> cls(m, "Tensor", py::dynamic_attr(),
      "A multi-dimensional array of one dtype on one device, with views that share memory.");
  g_tensor_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  def_fast_method(g_tensor_type, "requires_grad_", &requires_grad_method,
                  "requires_grad_(requires_grad=True) -> Tensor: sets whether autograd records operations on this "
                  "leaf tensor, in place; returns self.");
  // torch.Tensor's legacy constructor, which subclasses (nn.Parameter) build on: Tensor(t) shares
  // t's memory without its history, Tensor(data) copies a sequence or array in the default
  // dtype, Tensor(*sizes) is uninitialised, Tensor() is empty.
  cls.def(py::init([](py::args args) {
    if (args.size() == 1 && py::isinstance<TensorImpl>(args[0])) return alias(args[0].cast<Tensor>()).impl_ptr();
    if (args.size() == 1 && !py::isinstance<py::int_>(args[0]))
      return tensor_from_data(args[0], default_dtype(), std::nullopt).impl_ptr();
    Shape sizes;
    for (py::handle a : args) sizes.push_back(int_from_python(a, "Tensor(): size"));
    return empty(args.size() ? sizes : Shape{0}, default_dtype(), Device(DeviceType::CPU)).impl_ptr();
  }));
  cls
      // --- metadata
      .def_property_readonly("shape", [](T t) { return size_object(t.sizes()); })
      .def("size", [](T t, py::object dim) -> py::object {
        if (dim.is_none()) return size_object(t.sizes());
        return py::int_(t.size(int_from_python(dim, "size(): dim")));
      }, py::arg("dim") = py::none(), "The shape (a pydl.Size), or the size of one dim.")
      .def("stride", [](T t, py::object dim) -> py::object {
        if (dim.is_none()) return py::cast(t.strides());
        return py::int_(t.stride(int_from_python(dim, "stride(): dim")));
      }, py::arg("dim") = py::none(), "Strides in elements (a tuple), or the stride of one dim.")
      .def_property_readonly("dtype", [](T t) { return t.dtype(); })
      .def_property_readonly("device", [](T t) { return t.device(); })
      .def_property_readonly("ndim", [](T t) { return t.dim(); })
      .def("dim", [](T t) { return t.dim(); })
      .def("ndimension", [](T t) { return t.dim(); })
      .def("numel", [](T t) { return t.numel(); })
      .def("nelement", [](T t) { return t.numel(); })
      .def("element_size", [](T t) { return t.itemsize(); })
      .def_property_readonly("itemsize", [](T t) { return t.itemsize(); })
      .def_property_readonly("nbytes", [](T t) { return t.numel() * static_cast<int64_t>(t.itemsize()); })
      .def("storage_offset", [](T t) { return t.storage_offset(); })
      .def("untyped_storage", [](T t) { return t.impl()->storage(); },
           "The storage this tensor views; views of one tensor return the same storage.")
      .def("data_ptr", [](T t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def("is_contiguous", [](T t, py::kwargs) { return t.is_contiguous(); })
      .def("is_floating_point", [](T t) { return is_floating(t.dtype()); })
      .def("is_signed", [](T t) { return is_signed(t.dtype()); })
      .def_property_readonly("is_cuda", [](T t) { return t.device().is_cuda(); })
      .def_property_readonly("is_cpu", [](T t) { return t.device().is_cpu(); })
      .def("get_device", [](T t) { return t.device().is_cpu() ? -1 : int(t.device().index); })
      .def("_version_counter_value", [](T t) { return t.impl()->version(); })
      .def_property_readonly("_version", [](T t) { return t.impl()->version(); })
      .def_property_readonly("_base", [](T t) -> Tensor {
        return t.impl()->view_base() ? Tensor(t.impl()->view_base()) : Tensor();
      }, "The tensor this one is a view of (None when it is not a view).")
      .def("_is_view", [](T t) { return t.impl()->view_base() != nullptr; })
      // --- autograd fields (the autograd engine extends these)
      .def_property("requires_grad", [](T t) { return t.requires_grad(); },
                    [](T t, py::handle r) {
                      PYDL_CHECK(PyBool_Check(r.ptr()), "requires_grad must be a bool");
                      t.impl()->set_requires_grad(r.ptr() == Py_True);
                    })
      .def_property("grad",
          [](T t) -> Tensor {
            auto* meta = t.impl()->autograd_meta_if_any();
            if (meta && meta->grad_fn && !meta->retains_grad) {
              if (PyErr_WarnEx(PyExc_UserWarning, "The .grad attribute of a Tensor that is not a leaf Tensor is "
                               "being accessed. Its .grad attribute won't be populated during autograd.backward(). "
                               "If you indeed want the .grad field to be populated for a non-leaf Tensor, use "
                               ".retain_grad() on the non-leaf Tensor.", 1) != 0)
                throw py::error_already_set();  // warnings turned into errors
            }
            return meta && meta->grad ? Tensor(meta->grad) : Tensor();
          },
          [](T t, py::object g) {
            if (g.is_none()) {
              if (auto* meta = t.impl()->autograd_meta_if_any()) meta->grad.reset();
              return;
            }
            PYDL_CHECK_TYPE(py::isinstance<TensorImpl>(g), "assigned grad expected to be a Tensor or None but got grad "
                            "of type ", py::str(py::type::handle_of(g).attr("__name__")).cast<std::string>());
            Tensor grad = g.cast<Tensor>();
            PYDL_CHECK(grad.sizes() == t.sizes(), "attempting to assign a gradient of size '", grad.sizes(),
                       "' to a tensor of size '", t.sizes(), "'. Please ensure that the gradient and the tensor "
                       "are the same size");
            PYDL_CHECK(grad.dtype() == t.dtype(), "attempting to assign a gradient with dtype '", grad.dtype(),
                       "' to a tensor with dtype '", t.dtype(), "'. The gradient must match the tensor's dtype");
            PYDL_CHECK(grad.device() == t.device(), "assigned grad has data located on a different device");
            t.impl()->autograd_meta().grad = grad.impl_ptr();
          })
      .def("detach", [](T t) { return detach(t); }, "A new tensor sharing memory, cut from the autograd graph.")
      .def("detach_", [](T t) {
        PYDL_CHECK(!t.impl()->is_differentiable_view(), "Can't detach views in-place. Use detach() instead.");
        if (AutogradMeta* meta = t.impl()->autograd_meta_if_any()) {
          meta->grad_fn.reset();
          meta->requires_grad = false;
        }
        return t;
      }, "Cuts this tensor from the autograd graph in place (it becomes a leaf).")
      .def_property("data", [](T t) { return detach(t); }, [](T t, T other) {
        PYDL_CHECK(other.device().type == t.device().type, "data set to a tensor that requires gradients must match "
                   "the device type: this tensor is on ", t.device().str(), ", the new data on ",
                   other.device().str());
        t.impl()->set_data(*other.impl());
        t.bump_version();
      }, "The tensor's values without autograd history; assigning replaces them (dtype and shape included).")
      // --- views
      .def("view", [](T t, py::args args) -> Tensor {
        if (args.size() == 1 && is_dtype_object(args[0])) return view_dtype(t, args[0].cast<ScalarType>());
        return view(t, dims_from_args(args, "view(): argument 'size'"));
      }, "A view with another shape (or dtype) over the same memory; raises when strides do not allow it.")
      .def("view_as", [](T t, T other) { return view(t, other.sizes()); })
      .def("reshape", [](T t, py::args args) { return reshape(t, dims_from_args(args, "reshape(): argument 'shape'")); },
           "Like view, but copies when the strides do not allow a view.")
      .def("reshape_as", [](T t, T other) { return reshape(t, other.sizes()); })
      .def("permute", [](T t, py::args args) { return permute(t, dims_from_args(args, "permute(): argument 'dims'")); })
      .def("transpose", &transpose, py::arg("dim0"), py::arg("dim1"))
      .def("swapaxes", &transpose, py::arg("axis0"), py::arg("axis1"))
      .def("t", &t_)
      .def_property_readonly("T", &reverse_dims)
      .def_property_readonly("mT", &matrix_transpose)
      .def_property_readonly("H", &t_)
      .def_property_readonly("mH", &matrix_transpose)
      .def("adjoint", &matrix_transpose)
      .def("expand", [](T t, py::args args) { return expand(t, dims_from_args(args, "expand(): argument 'size'")); })
      .def("expand_as", [](T t, T other) { return expand(t, other.sizes()); })
      .def("squeeze", [](T t, py::object dim) {
        if (dim.is_none()) return squeeze(t, std::nullopt);
        return squeeze(t, shape_from_python(dim, "squeeze(): argument 'dim'"));
      }, py::arg("dim") = py::none())
      .def("unsqueeze", &unsqueeze, py::arg("dim"))
      .def("flatten", &flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("unflatten", [](T t, int64_t dim, py::object sizes) {
        PYDL_CHECK_TYPE(py::isinstance<py::sequence>(sizes), "unflatten(): argument 'sizes' must be tuple of ints, not ",
                        py::str(py::type::handle_of(sizes).attr("__name__")).cast<std::string>());
        return unflatten(t, dim, shape_from_python(sizes, "unflatten(): argument 'sizes'"));
      }, py::arg("dim"), py::arg("sizes"))
      .def("narrow", &narrow, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("select", &select, py::arg("dim"), py::arg("index"))
      .def("as_strided", [](T t, const Shape& size, const Shape& stride, std::optional<int64_t> offset) {
        return as_strided(t, size, stride, offset);
      }, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none())
      .def("diagonal", &diagonal, py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1)
      .def("unfold", &unfold, py::arg("dimension"), py::arg("size"), py::arg("step"))
      .def("contiguous", [](T t, py::kwargs) { return contiguous(t); })
      // --- copies and conversions
      .def("clone", [](T t, py::kwargs) { return clone(t); })
      .def("copy_", [](Tensor t, T src, bool) { return copy_recorded(t, src); }, py::arg("src"), py::arg("non_blocking") = false)
      .def("to", &to_method, "to(dtype) / to(device) / to(device, dtype) / to(other): converted (or the same) tensor.")
      .def("cpu", [](T t) { return to(t, std::nullopt, Device(DeviceType::CPU), false); })
      .def("cuda", [](T t, py::object device, bool) {
        Device d = device.is_none() ? Device(DeviceType::CUDA) : device_from_python(device);
        if (d.is_cpu()) d = Device(DeviceType::CUDA);
        return to(t, std::nullopt, d, false);
      }, py::arg("device") = py::none(), py::arg("non_blocking") = false)
      .def("type_as", [](T t, T other) { return to(t, other.dtype(), std::nullopt, false); })
      .def("float", [](T t) { return to(t, ScalarType::Float32, std::nullopt, false); })
      .def("double", [](T t) { return to(t, ScalarType::Float64, std::nullopt, false); })
      .def("half", [](T t) { return to(t, ScalarType::Float16, std::nullopt, false); })
      .def("bfloat16", [](T t) { return to(t, ScalarType::BFloat16, std::nullopt, false); })
      .def("long", [](T t) { return to(t, ScalarType::Int64, std::nullopt, false); })
      .def("int", [](T t) { return to(t, ScalarType::Int32, std::nullopt, false); })
      .def("short", [](T t) { return to(t, ScalarType::Int16, std::nullopt, false); })
      .def("char", [](T t) { return to(t, ScalarType::Int8, std::nullopt, false); })
      .def("byte", [](T t) { return to(t, ScalarType::UInt8, std::nullopt, false); })
      .def("bool", [](T t) { return to(t, ScalarType::Bool, std::nullopt, false); })
      .def("fill_", [](Tensor t, py::object v) {
        if (py::isinstance<TensorImpl>(v)) {  // a 0-d tensor value is cast like copy_ (wraps), as in PyTorch
          Tensor value = v.cast<Tensor>();
          PYDL_CHECK(value.dim() == 0, "fill_ only supports 0-dimension value tensor but got tensor with ",
                     value.dim(), " dimensions.");
          return copy_recorded(t, value);
        }
        return fill_recorded(t, scalar_from_python(v, "fill_(): argument 'value'"));
      }, py::arg("value"))
      .def("zero_", [](Tensor t) { return fill_recorded(t, Scalar(int64_t(0))); })
      .def("item", &item, "The value of a one-element tensor as a Python number.")
      .def("tolist", &tolist, "The tensor as (nested) Python lists of numbers.")
      // --- Python protocol
      .def("__len__", [](T t) {
        PYDL_CHECK_TYPE(t.dim() > 0, "len() of a 0-d tensor");
        return t.sizes()[0];
      })
      .def("__iter__", [](T t) {
        PYDL_CHECK_TYPE(t.dim() > 0, "iteration over a 0-d tensor");
        py::list rows;
        for (int64_t i = 0; i < t.sizes()[0]; ++i) rows.append(py::cast(select(t, 0, i)));
        return py::iter(rows);
      })
      .def("__bool__", [](T t) {
        PYDL_CHECK(t.numel() == 1, "Boolean value of Tensor with ", t.numel() == 0 ? "no values" : "more than one value",
                   " is ambiguous");
        return PyObject_IsTrue(item(t).ptr()) == 1;
      })
      .def("__index__", [](T t) {
        PYDL_CHECK_TYPE(is_integral(t.dtype(), true) && t.numel() == 1,
                        "only integer tensors of a single element can be converted to an index");
        return exact_int(item(t));
      })
      .def("__int__", [](T t) {
        PYDL_CHECK_VALUE(t.numel() == 1, "only one element tensors can be converted to Python scalars");
        return exact_int(item(t));
      })
      .def("__float__", [](T t) {
        PYDL_CHECK_VALUE(t.numel() == 1, "only one element tensors can be converted to Python scalars");
        return py::float_(item(t));
      })
      .def("new_empty", [](T t, py::args args, py::object dtype, py::object device, bool rg) {
        auto dt = dtype.is_none() ? t.dtype() : dtype.cast<ScalarType>();
        auto dev = device.is_none() ? t.device() : canonical_device(device_from_python(device));
        return finish_factory(empty(size_from_args(args, py::none(), "new_empty"), dt, dev), rg);
      }, py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false)
      .def("new_full", [](T t, py::object size, const Scalar& v, py::object dtype, py::object device, bool rg) {
        auto dt = dtype.is_none() ? t.dtype() : dtype.cast<ScalarType>();
        auto dev = device.is_none() ? t.device() : device_from_python(device);
        return finish_factory(full(shape_from_python(size, "new_full(): size"), v, dt, dev), rg);
      }, py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
         py::arg("device") = py::none(), py::arg("requires_grad") = false);
}

}  // namespace pydl::python
