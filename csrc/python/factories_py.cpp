// Factories (tensor, zeros, arange, ...) and dtype functions (promote_types, result_type, ...).
#include "backend/backend.h"
#include "core/dispatch.h"
#include "core/type_promotion.h"
#include "ops/ops.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

// --- pydl.tensor(data): walk nested sequences, infer shape and dtype, then fill.
struct DataWalk {
  Shape shape;
  std::vector<py::object> leaves;
  std::optional<ScalarType> dtype;  // promoted over the leaves

  void note(ScalarType t) { dtype = dtype ? promote_types(*dtype, t) : t; }

  void walk(py::handle obj, size_t depth) {
    PYDL_CHECK_VALUE(depth < 64, "tensor(): data is nested too deeply");
    if (py::isinstance<TensorImpl>(obj)) {
      Tensor t = obj.cast<Tensor>();
      PYDL_CHECK_VALUE(t.dim() == 0, "only one element tensors can be converted to Python scalars");
      leaf_shape(depth);
      note(t.dtype());
      leaves.push_back(py::reinterpret_borrow<py::object>(obj));
      return;
    }
    if (is_numpy_array(obj) && obj.attr("ndim").cast<int>() > 0) {
      walk_sequence(obj.attr("tolist")(), depth, dtype_from_numpy(obj.attr("dtype")));
      return;
    }
    if (py::isinstance<py::sequence>(obj) && !py::isinstance<py::str>(obj) && !py::isinstance<py::bytes>(obj)) {
      walk_sequence(obj, depth, std::nullopt);
      return;
    }
    PYDL_CHECK_TYPE(is_python_number(obj), "Could not infer dtype of ",
                    py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>());
    leaf_shape(depth);
    if (py::hasattr(obj, "dtype")) {
      auto t = dtype_from_numpy(obj.attr("dtype"));
      PYDL_CHECK_TYPE(t.has_value(), "tensor(): unsupported NumPy scalar type");
      note(*t);
    } else {
      note(scalar_from_python(obj, "data").natural_dtype());
    }
    leaves.push_back(py::reinterpret_borrow<py::object>(obj));
  }

  void walk_sequence(py::handle obj, size_t depth, std::optional<ScalarType> forced) {
    auto seq = py::reinterpret_borrow<py::sequence>(obj);
    int64_t n = static_cast<int64_t>(seq.size());
    if (shape.size() == depth) {
      PYDL_CHECK_VALUE(leaves.empty(), "expected sequence of length ", 0, " at dim ", depth, " (got ", n, ")");
      shape.push_back(n);
    } else {
      PYDL_CHECK_VALUE(shape.size() > depth && shape[depth] == n, "expected sequence of length ",
                       shape.size() > depth ? shape[depth] : 0, " at dim ", depth, " (got ", n, ")");
    }
    if (forced) note(*forced);
    for (int64_t i = 0; i < n; ++i) {
      if (forced) {
        py::object item = seq[i];
        if (py::isinstance<py::sequence>(item)) walk_sequence(item, depth + 1, forced);
        else { leaf_shape(depth + 1); leaves.push_back(item); }
      } else {
        walk(seq[i], depth + 1);
      }
    }
  }

  void leaf_shape(size_t depth) {
    PYDL_CHECK_VALUE(shape.size() == depth, "expected sequence of length ", shape.size() > depth ? shape[depth] : 0,
                     " at dim ", depth, " (got a scalar)");
  }
};

}  // namespace

Tensor tensor_from_data(py::handle data, std::optional<ScalarType> dtype, std::optional<Device> device) {
  Device dev = device ? canonical_device(*device) : Device(DeviceType::CPU);
  if (py::isinstance<TensorImpl>(data)) return to(data.cast<Tensor>(), dtype, dev, true);
  if (is_numpy_array(data)) {
    // A private C-contiguous, native-byte-order, writable copy (ascontiguousarray would turn 0-d
    // arrays into 1-d ones, and from_numpy would warn about read-only inputs), owned by the tensor.
    py::object np_dtype = data.attr("dtype");
    if (!np_dtype.attr("isnative").cast<bool>()) np_dtype = np_dtype.attr("newbyteorder")("=");
    py::object arr = py::module_::import("numpy").attr("array")(data, py::arg("dtype") = np_dtype,
                                                                py::arg("order") = "C", py::arg("copy") = true);
    return to(from_numpy(arr), dtype, dev, false);
  }
  DataWalk w;
  w.walk(data, 0);
  ScalarType dt = dtype.value_or(w.dtype.value_or(default_dtype()));
  Tensor out = empty(w.shape, dt, Device(DeviceType::CPU));
  // Like PyTorch, numbers going into an integer dtype must fit it (tensor([300], dtype=int8) raises);
  // floating dtypes take any number (out-of-range values become inf).
  const bool checked = is_integral(dt, false);
  PYDL_DISPATCH_ALL_TYPES(dt, "tensor", [&] {
    scalar_t* p = out.data<scalar_t>();
    for (size_t i = 0; i < w.leaves.size(); ++i) {
      Scalar v = scalar_from_python(w.leaves[i], "data");
      PYDL_CHECK(!checked || !number_overflows(dt, v.is_float(), v.to_double(), v.is_float() ? 0 : v.to_int()),
                 "value cannot be converted to type ", dt, " without overflow (got ", v, ")");
      p[i] = v.to<scalar_t>();
    }
  });
  return dev.is_cpu() ? out : to(out, std::nullopt, dev, false);
}

void init_factories(py::module_& m) {
  auto dt = [](const py::object& o) -> std::optional<ScalarType> {
    if (o.is_none()) return std::nullopt;
    return o.cast<ScalarType>();
  };
  auto dev = [](const py::object& o) { return o.is_none() ? Device(DeviceType::CPU) : device_from_python(o); };

  m.def("tensor", [=](py::handle data, py::object dtype, py::object device, bool rg, py::object) {
    return finish_factory(tensor_from_data(data, dt(dtype), optional_device(device)), rg);
  }, py::arg("data"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false, py::arg("pin_memory") = py::none(),
     "A new tensor holding a copy of `data` (nested sequences, NumPy arrays, numbers or tensors).");

  m.def("as_tensor", [=](py::handle data, py::object dtype, py::object device) -> Tensor {
    if (py::isinstance<TensorImpl>(data)) return to(data.cast<Tensor>(), dt(dtype), optional_device(device), false);
    if (is_numpy_array(data) && dtype_from_numpy(data.attr("dtype"))) {
      Tensor shared = from_numpy(data);
      return to(shared, dt(dtype), optional_device(device), false);
    }
    return tensor_from_data(data, dt(dtype), optional_device(device));
  }, py::arg("data"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     "Converts data to a tensor, sharing memory with NumPy arrays and tensors when dtype and device allow.");

  auto def_filled = [&](const char* name, std::optional<Scalar> value) {
    m.def(name, [=](py::args size, py::object size_kw, py::object out, py::object dtype, py::object device, bool rg,
                    py::object, py::object) {
      Shape s = size_from_args(size, size_kw, name);
      std::optional<ScalarType> d = dt(dtype);
      Tensor t = value ? full(s, *value, d.value_or(default_dtype()), dev(device))
                       : empty(s, d.value_or(default_dtype()), canonical_device(dev(device)));
      if (!out.is_none()) {
        Tensor o = out.cast<Tensor>();
        PYDL_CHECK(o.sizes() == s, name, "(): out= has shape ", o.sizes(), " but the result has shape ", s);
        copy_(o, to(t, o.dtype(), o.device(), false));
        return o;
      }
      return finish_factory(t, rg);
    }, py::arg("size") = py::none(), py::arg("out") = py::none(), py::arg("dtype") = py::none(),
       py::arg("device") = py::none(), py::arg("requires_grad") = false, py::arg("layout") = py::none(),
       py::arg("pin_memory") = py::none(),
       value ? "A tensor of the given size filled with a constant." : "An uninitialised tensor of the given size.");
  };
  def_filled("zeros", Scalar(int64_t(0)));
  def_filled("ones", Scalar(int64_t(1)));
  def_filled("empty", std::nullopt);

  m.def("full", [=](py::object size, const Scalar& v, py::object dtype, py::object device, bool rg) {
    return finish_factory(full(shape_from_python(size, "full(): argument 'size'"), v, dt(dtype), dev(device)), rg);
  }, py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false, "A tensor filled with fill_value.");

  m.def("empty_strided", [=](py::object size, py::object stride, py::object dtype, py::object device, bool rg) {
    return finish_factory(empty_strided(shape_from_python(size, "size"), shape_from_python(stride, "stride"),
                                        dt(dtype).value_or(default_dtype()), canonical_device(dev(device))), rg);
  }, py::arg("size"), py::arg("stride"), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false);

  auto def_like = [&](const char* name, int kind) {  // 0 empty, 1 zeros, 2 ones, 3 full
    auto body = [=](const Tensor& t, std::optional<Scalar> v, py::object dtype, py::object device, bool rg) {
      Tensor out = empty_like(t, dt(dtype), optional_device(device));
      if (kind == 1) zero_(out);
      if (kind == 2) fill_(out, Scalar(int64_t(1)));
      if (kind == 3) fill_(out, *v);
      out.impl()->version_counter()->version = 0;
      return finish_factory(out, rg);
    };
    if (kind == 3) {
      m.def(name, [=](const Tensor& t, const Scalar& v, py::object dtype, py::object device, bool rg, py::object) {
        return body(t, v, dtype, device, rg);
      }, py::arg("input"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
         py::arg("device") = py::none(), py::arg("requires_grad") = false, py::arg("memory_format") = py::none());
    } else {
      m.def(name, [=](const Tensor& t, py::object dtype, py::object device, bool rg, py::object) {
        return body(t, std::nullopt, dtype, device, rg);
      }, py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
         py::arg("requires_grad") = false, py::arg("memory_format") = py::none());
    }
  };
  def_like("empty_like", 0);
  def_like("zeros_like", 1);
  def_like("ones_like", 2);
  def_like("full_like", 3);

  m.def("arange", [=](const Scalar& a, std::optional<Scalar> b, const Scalar& step, py::object dtype,
                      py::object device, bool rg) {
    Scalar start = b ? a : Scalar(int64_t(0));
    Scalar end = b ? *b : a;
    return finish_factory(arange(start, end, step, dt(dtype), dev(device)), rg);
  }, py::arg("start"), py::arg("end") = py::none(), py::arg("step") = 1, py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false,
     "arange(end) or arange(start, end, step): values from start (inclusive) to end (exclusive).");

  m.def("linspace", [=](const Scalar& s, const Scalar& e, int64_t steps, py::object dtype, py::object device, bool rg) {
    return finish_factory(linspace(s, e, steps, dt(dtype), dev(device)), rg);
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false, "`steps` evenly spaced values from start to end.");

  m.def("logspace", [=](const Scalar& s, const Scalar& e, int64_t steps, double base, py::object dtype,
                        py::object device, bool rg) {
    return finish_factory(logspace(s, e, steps, base, dt(dtype), dev(device)), rg);
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::arg("base") = 10.0, py::kw_only(),
     py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false,
     "base ** linspace(start, end, steps).");

  m.def("eye", [=](int64_t n, std::optional<int64_t> mm, py::object dtype, py::object device, bool rg) {
    return finish_factory(eye(n, mm, dt(dtype), dev(device)), rg);
  }, py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false, "The n x m identity matrix.");

  // --- dtypes and promotion
  m.def("get_default_dtype", &default_dtype, "The default floating dtype (pydl.float32 unless changed).");
  m.def("set_default_dtype", &set_default_dtype, py::arg("d"), "Sets the default floating dtype.");
  m.def("promote_types", &promote_types, py::arg("type1"), py::arg("type2"),
        "The smallest dtype both arguments can be converted to without losing category.");
  m.def("can_cast", &can_cast, py::arg("from_"), py::arg("to"), "Whether PyTorch's casting rules allow from_ -> to.");
  m.def("result_type", [](py::handle a, py::handle b) {
    ResultTypeState state;
    for (py::handle h : {a, b}) {
      if (py::isinstance<TensorImpl>(h)) {
        Tensor t = h.cast<Tensor>();
        state.add_tensor(t.dtype(), t.dim() == 0);
      } else {
        PYDL_CHECK_TYPE(is_python_number(h), "result_type(): expected a Tensor or a Number, got ",
                        py::str(py::type::handle_of(h).attr("__name__")).cast<std::string>());
        state.add_scalar(scalar_from_python(h, "result_type"));
      }
    }
    return state.result();
  }, py::arg("tensor1"), py::arg("tensor2"),
     "The dtype an arithmetic op on these operands produces (dimensioned tensors > 0-d tensors > numbers).");
}

}  // namespace pydl::python
