// Random numbers: pydl.Generator, the global seeding functions and the random factories.
#include "backend/backend.h"
#include "core/philox.h"
#include "ops/ops.h"
#include "autograd/inplace.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

Generator* gen_ptr(const py::object& g) { return g.is_none() ? nullptr : g.cast<Generator*>(); }

// t.uniform_() and the other random fills: drawn straight into t, or, when t is in the autograd
// graph, into a fresh tensor written over t as a recorded overwrite (t's old value gets no grad).
template <typename Draw>
Tensor drawn_into(Tensor t, const char* op, const Draw& draw) {
  if (!autograd::inplace_needs_grad(t, false)) return draw(t);
  Tensor fresh = empty(t.sizes(), t.dtype(), t.device());
  draw(fresh);
  return autograd::record_overwrite(op, t, fresh);
}

std::optional<ScalarType> opt_dtype(const py::object& o) {
  if (o.is_none()) return std::nullopt;
  return o.cast<ScalarType>();
}

Device opt_dev(const py::object& o) { return canonical_device(o.is_none() ? Device(DeviceType::CPU) : device_from_python(o)); }

// State tensor: 16 bytes, the seed then the offset (uint8, like PyTorch's ByteTensor states).
Tensor pack_state(const Generator& g) {
  Tensor s = empty(Shape{16}, ScalarType::UInt8, Device(DeviceType::CPU));
  uint64_t v[2] = {g.initial_seed(), g.offset()};
  std::memcpy(s.data_ptr(), v, 16);
  return s;
}

void unpack_state(Generator& g, const Tensor& s) {
  PYDL_CHECK_TYPE(s.dtype() == ScalarType::UInt8, "RNG state must be a pydl.uint8 tensor, got ", s.dtype());
  PYDL_CHECK(s.numel() == 16 && s.device().is_cpu(), "RNG state is wrong size: expected 16 bytes on the CPU, got ",
             s.numel());
  Tensor c = contiguous(s);
  uint64_t v[2];
  std::memcpy(v, c.data_ptr(), 16);
  g.set_state(v[0], v[1]);
}

// A seed as PyTorch takes it: any Python int in [-2^63, 2^64), negative ones wrapping to uint64.
uint64_t seed_from_python(const py::object& seed) {
  PYDL_CHECK_TYPE(PyLong_Check(seed.ptr()) || PyIndex_Check(seed.ptr()), "manual_seed expected an int as seed, got ",
                  py::str(py::type::handle_of(seed).attr("__name__")).cast<std::string>());
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(seed.ptr()));
  if (!index) throw py::error_already_set();
  if (index.attr("__ge__")(py::int_(0)).cast<bool>()) {
    unsigned long long v = PyLong_AsUnsignedLongLong(index.ptr());
    if (PyErr_Occurred()) {
      PyErr_Clear();
      PYDL_CHECK_VALUE(false, "Overflow when unpacking long (seed must be below 2**64)");
    }
    return static_cast<uint64_t>(v);
  }
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  PYDL_CHECK_VALUE(!overflow, "Overflow when unpacking long (seed must be at least -2**63)");
  return static_cast<uint64_t>(v);
}

}  // namespace

void init_random(py::module_& m) {
  // Philox4x32-10 itself, for known-answer tests: the 4 output words for key `seed` and counter
  // (block, stream) as 64-bit halves.
  m.def("_philox", [](py::object seed, py::object block, py::object stream) {
    Philox4 x = philox4x32_10(seed_from_python(seed), seed_from_python(block), seed_from_python(stream));
    return py::make_tuple(x.w[0], x.w[1], x.w[2], x.w[3]);
  }, py::arg("seed"), py::arg("block"), py::arg("stream") = 0);

  py::class_<Generator, std::shared_ptr<Generator>>(m, "Generator",
      "A Philox random-number generator: a seed and a counter. Pass it as generator= for reproducible draws.")
      .def(py::init([](py::object device) {
             Device d = device.is_none() ? Device(DeviceType::CPU) : device_from_python(device);
             return std::make_shared<Generator>(d.is_cpu() ? d : canonical_device(d));
           }), py::arg("device") = "cpu")
      .def("manual_seed", [](py::object self, py::object seed) {
        self.cast<Generator&>().manual_seed(seed_from_python(seed));
        return self;
      }, py::arg("seed"))
      .def("seed", &Generator::seed)
      .def("initial_seed", &Generator::initial_seed)
      .def("get_state", &pack_state)
      .def("set_state", [](py::object self, const Tensor& s) { unpack_state(self.cast<Generator&>(), s); return self; })
      .def_property_readonly("device", &Generator::device);

  m.def("manual_seed", [](py::object seed) {
    manual_seed_all(seed_from_python(py::int_(seed)));  // PyTorch takes int(seed)
  }, py::arg("seed"), "Seeds the default generators of every device.");
  m.def("seed", [] {
    uint64_t s = default_generator(Device(DeviceType::CPU)).seed();
    manual_seed_all(s);
    return s;
  }, "Seeds every default generator non-deterministically; returns the seed.");
  m.def("initial_seed", [] { return default_generator(Device(DeviceType::CPU)).initial_seed(); });
  m.def("get_rng_state", [] { return pack_state(default_generator(Device(DeviceType::CPU))); });
  m.def("set_rng_state", [](const Tensor& s) { unpack_state(default_generator(Device(DeviceType::CPU)), s); },
        py::arg("new_state"));
  m.def("_cuda_manual_seed", [](py::object seed, int device) {
    default_generator(Device(DeviceType::CUDA, device)).manual_seed(seed_from_python(seed));
  });
  m.def("_default_generator", [](py::object device) -> Generator& {
    return default_generator(device_from_python(device));
  }, py::return_value_policy::reference);

  auto def_float_draw = [&](const char* name, bool normal) {
    m.def(name, [=](py::args size, py::object size_kw, py::object generator, py::object dtype, py::object device,
                    bool rg, py::object, py::object) {
      ScalarType dt = opt_dtype(dtype).value_or(default_dtype());
      PYDL_CHECK(is_floating(dt), name, "(): expected a floating point dtype, got ", dt);
      Tensor t = empty(size_from_args(size, size_kw, name), dt, opt_dev(device));
      if (normal) normal_(t, 0.0, 1.0, gen_ptr(generator));
      else uniform_(t, 0.0, 1.0, gen_ptr(generator));
      t.impl()->version_counter()->version = 0;
      return finish_factory(t, rg);
    }, py::arg("size") = py::none(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
       py::arg("device") = py::none(), py::arg("requires_grad") = false, py::arg("layout") = py::none(),
       py::arg("pin_memory") = py::none(),
       normal ? "Samples from the standard normal distribution." : "Samples uniformly from [0, 1).");
  };
  def_float_draw("rand", false);
  def_float_draw("randn", true);

  m.def("randint", [](py::args args, py::object size_kw, py::object generator, py::object dtype, py::object device,
                      bool rg, py::object low_kw, py::object high_kw) {
    // randint(high, size) or randint(low, high, size); any of them may come as a keyword.
    std::vector<py::object> pos;
    for (py::handle a : args) pos.push_back(py::reinterpret_borrow<py::object>(a));
    PYDL_CHECK_TYPE(pos.size() <= 3, "randint() takes at most 3 positional arguments (low, high, size)");
    py::object size = size_kw;
    if (size.is_none()) {
      PYDL_CHECK_TYPE(!pos.empty() && (pos.size() >= 2 || !high_kw.is_none()), "randint() missing required argument 'size'");
      size = pos.back();
      pos.pop_back();
    }
    PYDL_CHECK_TYPE(pos.size() <= 2, "randint() got too many positional arguments");
    py::object low_o = low_kw, high_o = high_kw;
    if (pos.size() == 2) {
      PYDL_CHECK_TYPE(low_o.is_none() && high_o.is_none(), "randint() got multiple values for 'low'/'high'");
      low_o = pos[0];
      high_o = pos[1];
    } else if (pos.size() == 1) {
      PYDL_CHECK_TYPE(high_o.is_none(), "randint() got multiple values for argument 'high'");
      high_o = pos[0];
    }
    PYDL_CHECK_TYPE(!high_o.is_none(), "randint() missing required argument 'high'");
    int64_t low = low_o.is_none() ? 0 : int_from_python(low_o, "randint(): low");
    int64_t high = int_from_python(high_o, "randint(): high");
    Tensor t = empty(shape_from_python(size, "randint(): size"), opt_dtype(dtype).value_or(ScalarType::Int64),
                     opt_dev(device));
    random_int_(t, low, high, gen_ptr(generator));
    t.impl()->version_counter()->version = 0;
    return finish_factory(t, rg);
  }, py::arg("size") = py::none(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false, py::arg("low") = py::none(),
     py::arg("high") = py::none(),
     "Random integers in [low, high): randint(high, size) or randint(low, high, size).");

  m.def("randperm", [](int64_t n, py::object generator, py::object dtype, py::object device, bool rg) {
    return finish_factory(randperm(n, opt_dtype(dtype).value_or(ScalarType::Int64), opt_dev(device), gen_ptr(generator)), rg);
  }, py::arg("n"), py::kw_only(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false, "A random permutation of 0..n-1.");

  m.def("bernoulli", [](const Tensor& input, py::object p, py::object generator) {
    if (p.is_none()) return bernoulli(input, gen_ptr(generator));
    // bernoulli(input, p): input only gives the shape and dtype, every draw uses p.
    Tensor out = empty_like(input, std::nullopt, std::nullopt);
    bernoulli_(out, p.cast<double>(), gen_ptr(generator));
    out.impl()->version_counter()->version = 0;
    return out;
  }, py::arg("input"), py::arg("p") = py::none(), py::kw_only(), py::arg("generator") = py::none(),
     "Draws 0/1 with the probabilities in `input` (or with probability p, shaped like input).");

  auto multinomial_py = [](const Tensor& input, int64_t num_samples, bool replacement, py::object generator) {
    return multinomial(input, num_samples, replacement, gen_ptr(generator));
  };
  m.def("multinomial", multinomial_py, py::arg("input"), py::arg("num_samples"), py::arg("replacement") = false,
        py::kw_only(), py::arg("generator") = py::none(),
        "Indices drawn from the categorical distributions in the rows of `input` (non-negative weights, "
        "not necessarily normalised), with or without replacement.");

  m.def("normal", [](py::object mean, py::object std, py::object size, py::object generator, py::object dtype,
                     py::object device) -> Tensor {
    bool mt = py::isinstance<TensorImpl>(mean), st = py::isinstance<TensorImpl>(std);
    if (!mt && !st) {
      PYDL_CHECK_TYPE(!size.is_none(), "normal(float mean, float std) needs a size");
      Tensor t = empty(shape_from_python(size, "normal(): size"), opt_dtype(dtype).value_or(default_dtype()),
                       opt_dev(device));
      normal_(t, mean.cast<double>(), std.cast<double>(), gen_ptr(generator));
      t.impl()->version_counter()->version = 0;
      return t;
    }
    // A number next to a tensor takes the tensor's dtype: the result has the tensor's dtype, as in PyTorch.
    if (!st) {
      double sv = std.cast<double>();
      PYDL_CHECK(sv >= 0.0, "normal expects std >= 0.0, but found std ", sv);
    }
    auto number_as = [](py::object v, const Tensor& like, const char* what) {  // cast, not checked like fill_
      Tensor d = full(Shape{}, scalar_from_python(v, what), ScalarType::Float64, like.device());
      return to(d, like.dtype(), std::nullopt, false);
    };
    Tensor m_t = mt ? mean.cast<Tensor>() : number_as(mean, std.cast<Tensor>(), "mean");
    Tensor s_t = st ? std.cast<Tensor>() : number_as(std, m_t, "std");
    return normal(m_t, s_t, gen_ptr(generator));
  }, py::arg("mean"), py::arg("std") = 1.0, py::arg("size") = py::none(), py::kw_only(),
     py::arg("generator") = py::none(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     "Samples from normal distributions with the given mean(s) and std(s).");

  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("multinomial", multinomial_py, py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(),
          py::arg("generator") = py::none());
  cls.def("uniform_", [](Tensor t, double from, double to, py::object g) {
        return drawn_into(t, "uniform_", [&](Tensor& d) { return uniform_(d, from, to, gen_ptr(g)); });
      },
          py::arg("from_") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("normal_", [](Tensor t, double mean, double std, py::object g) {
        return drawn_into(t, "normal_", [&](Tensor& d) { return normal_(d, mean, std, gen_ptr(g)); });
      },
           py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("bernoulli_", [](Tensor t, py::object p, py::object g) -> Tensor {
        if (!py::isinstance<TensorImpl>(p))
          return drawn_into(t, "bernoulli_", [&](Tensor& d) { return bernoulli_(d, p.cast<double>(), gen_ptr(g)); });
        // Per-element probabilities, broadcast to t's shape.
        Tensor probs = p.cast<Tensor>();
        if (!is_floating(probs.dtype())) probs = to(probs, default_dtype(), std::nullopt, false);
        Tensor draws = bernoulli(expand(probs, t.sizes()), gen_ptr(g));
        return copy_recorded(t, draws);
      }, py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = py::none())
      .def("random_", [](Tensor t, std::optional<int64_t> from, std::optional<int64_t> to, py::object g) {
        if (from && to) return random_int_(t, *from, *to, gen_ptr(g));
        if (from) return random_int_(t, 0, *from, gen_ptr(g));  // random_(to)
        // random_(): PyTorch's default range, [0, max] for integers and [0, 2^digits] for floats,
        // so that every value is exact. (int64 stops at 2^63 - 2: the range must fit in int64.)
        int64_t high = 0;
        switch (t.dtype()) {
          case ScalarType::Bool: high = 2; break;
          case ScalarType::UInt8: high = 256; break;
          case ScalarType::Int8: high = 128; break;
          case ScalarType::Int16: high = 32768; break;
          case ScalarType::Int32: high = int64_t(1) << 31; break;
          case ScalarType::Int64: high = INT64_MAX; break;
          case ScalarType::Float16: high = (int64_t(1) << 11) + 1; break;
          case ScalarType::BFloat16: high = (int64_t(1) << 8) + 1; break;
          case ScalarType::Float32: high = (int64_t(1) << 24) + 1; break;
          case ScalarType::Float64: high = (int64_t(1) << 53) + 1; break;
        }
        return random_int_(t, 0, high, gen_ptr(g));
      }, py::arg("from_") = py::none(), py::arg("to") = py::none(), py::kw_only(), py::arg("generator") = py::none());
}

}  // namespace pydl::python
