// NumPy interop without copies: from_numpy and Tensor.numpy() share memory, with PyTorch's
// errors for arrays and tensors that cannot be shared.
#include <pybind11/numpy.h>

#include "ops/ops.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

std::string numpy_name(ScalarType t) {
  return t == ScalarType::Bool ? "bool" : dtype_name(t);
}

// Keeps a Python object alive while a Storage points into its memory.
void release_pyobject(void* ctx) {
  py::gil_scoped_acquire gil;
  Py_XDECREF(static_cast<PyObject*>(ctx));
}

}  // namespace

bool is_numpy_array(py::handle h) {
  static py::handle ndarray = py::object(py::module_::import("numpy").attr("ndarray")).release();
  return py::isinstance(h, ndarray);
}

std::optional<ScalarType> dtype_from_numpy(py::handle np_dtype) {
  py::object d = py::module_::import("numpy").attr("dtype")(np_dtype);
  std::string name = py::str(d.attr("name"));
  for (int i = 0; i < kNumScalarTypes; ++i) {
    auto t = static_cast<ScalarType>(i);
    if (t != ScalarType::BFloat16 && name == numpy_name(t)) return t;
  }
  return std::nullopt;
}

Tensor from_numpy(py::handle obj) {
  PYDL_CHECK_TYPE(is_numpy_array(obj), "expected np.ndarray (got ",
                  py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>(), ")");
  py::array arr = py::reinterpret_borrow<py::array>(obj);
  auto dtype = dtype_from_numpy(arr.attr("dtype"));
  PYDL_CHECK_TYPE(dtype.has_value(), "can't convert np.ndarray of type numpy.",
                  py::str(arr.attr("dtype").attr("name")).cast<std::string>(),
                  ". The only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.");
  PYDL_CHECK_VALUE(arr.attr("dtype").attr("isnative").cast<bool>(),
                   "given numpy array has byte order different from the native byte order. Conversion between byte "
                   "orders is currently not supported.");
  if (!arr.writeable()) {
    // With warnings turned into errors (-W error), the warning is an exception to propagate.
    if (PyErr_WarnEx(PyExc_UserWarning,
                     "The given NumPy array is not writable, and pydl does not support non-writable tensors. This "
                     "means writing to this tensor will result in undefined behavior.", 1) < 0) {
      throw py::error_already_set();
    }
  }
  const int64_t item = static_cast<int64_t>(itemsize(*dtype));
  Shape sizes, strides;
  for (py::ssize_t d = 0; d < arr.ndim(); ++d) {
    int64_t st = arr.strides(d);
    PYDL_CHECK_VALUE(st >= 0, "At least one stride in the given numpy array is negative, and tensors with negative "
                     "strides are not currently supported. (You can probably work around this by making a copy of "
                     "your array  with array.copy().) ");
    PYDL_CHECK_VALUE(st % item == 0, "given numpy array strides not a multiple of the element byte size. Copy the "
                     "numpy array to reallocate the memory.");
    sizes.push_back(arr.shape(d));
    strides.push_back(st / item);
  }
  int64_t elements = required_storage_elements(sizes, strides, 0);
  Py_INCREF(arr.ptr());
  auto storage = Storage::wrap(const_cast<void*>(arr.data()), static_cast<size_t>(elements * item),
                               Device(DeviceType::CPU), &release_pyobject, arr.ptr());
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), sizes, strides, 0, *dtype, nullptr));
}

static py::array to_numpy(const Tensor& t, bool force) {
  Tensor src = t;
  if (force) {
    src = detach(t);
    if (!src.device().is_cpu()) src = to(src, std::nullopt, Device(DeviceType::CPU), false);
  }
  PYDL_CHECK(!src.requires_grad(), "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
             "instead.");
  PYDL_CHECK_TYPE(src.device().is_cpu(), "can't convert ", src.device(), " device type tensor to numpy. Use "
                  "Tensor.cpu() to copy the tensor to host memory first.");
  PYDL_CHECK_TYPE(src.dtype() != ScalarType::BFloat16, "Got unsupported ScalarType BFloat16 (NumPy has no bfloat16; "
                  "use tensor.float().numpy())");
  std::vector<py::ssize_t> shape(src.sizes().begin(), src.sizes().end());
  std::vector<py::ssize_t> strides;
  for (int64_t s : src.strides()) strides.push_back(s * static_cast<int64_t>(src.itemsize()));
  // The array's base owns a reference to the storage, so the memory outlives the tensor.
  auto* keep = new std::shared_ptr<Storage>(src.impl()->storage());
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(py::dtype(numpy_name(src.dtype())), shape, strides, src.data_ptr(), base);
}

void init_interop(py::module_& m) {
  m.def("from_numpy", &from_numpy, py::arg("ndarray"),
        "A tensor sharing memory with a NumPy array (changes to one show in the other).");
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("numpy", [](const Tensor& t, bool force) { return to_numpy(t, force); }, py::kw_only(),
          py::arg("force") = false, "A NumPy array sharing memory with this CPU tensor.");
}

}  // namespace pydl::python
