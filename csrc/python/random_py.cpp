// Random numbers: pydl.Generator, the global seeding functions and the random factories.
#include "backend/backend.h"
#include "ops/ops.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

Generator* gen_ptr(const py::object& g) { return g.is_none() ? nullptr : g.cast<Generator*>(); }

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

}  // namespace

void init_random(py::module_& m) {
  py::class_<Generator, std::shared_ptr<Generator>>(m, "Generator",
      "A Philox random-number generator: a seed and a counter. Pass it as generator= for reproducible draws.")
      .def(py::init([](py::object device) {
             Device d = device.is_none() ? Device(DeviceType::CPU) : device_from_python(device);
             return std::make_shared<Generator>(d.is_cpu() ? d : canonical_device(d));
           }), py::arg("device") = "cpu")
      .def("manual_seed", [](py::object self, py::object seed) {
        self.cast<Generator&>().manual_seed(static_cast<uint64_t>(int_from_python(seed, "seed")));
        return self;
      }, py::arg("seed"))
      .def("seed", &Generator::seed)
      .def("initial_seed", &Generator::initial_seed)
      .def("get_state", &pack_state)
      .def("set_state", [](py::object self, const Tensor& s) { unpack_state(self.cast<Generator&>(), s); return self; })
      .def_property_readonly("device", &Generator::device);

  m.def("manual_seed", [](py::object seed) {
    int64_t s = int_from_python(seed, "manual_seed(): seed");
    manual_seed_all(static_cast<uint64_t>(s));
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
    default_generator(Device(DeviceType::CUDA, device)).manual_seed(static_cast<uint64_t>(int_from_python(seed, "seed")));
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
                      bool rg) {
    // randint(high, size) or randint(low, high, size)
    PYDL_CHECK_TYPE(args.size() >= 1 && args.size() <= 3, "randint() expects (high, size) or (low, high, size)");
    py::object size = size_kw;
    size_t n = args.size();
    if (size.is_none()) {
      PYDL_CHECK_TYPE(n >= 2, "randint() missing required argument 'size'");
      size = args[n - 1];
      --n;
    }
    int64_t low = n == 2 ? int_from_python(args[0], "randint(): low") : 0;
    int64_t high = int_from_python(args[n - 1], "randint(): high");
    Tensor t = empty(shape_from_python(size, "randint(): size"), opt_dtype(dtype).value_or(ScalarType::Int64),
                     opt_dev(device));
    random_int_(t, low, high, gen_ptr(generator));
    t.impl()->version_counter()->version = 0;
    return finish_factory(t, rg);
  }, py::arg("size") = py::none(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false,
     "Random integers in [low, high): randint(high, size) or randint(low, high, size).");

  m.def("randperm", [](int64_t n, py::object generator, py::object dtype, py::object device, bool rg) {
    return finish_factory(randperm(n, opt_dtype(dtype).value_or(ScalarType::Int64), opt_dev(device), gen_ptr(generator)), rg);
  }, py::arg("n"), py::kw_only(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false, "A random permutation of 0..n-1.");

  m.def("bernoulli", [](const Tensor& p, py::object generator) { return bernoulli(p, gen_ptr(generator)); },
        py::arg("input"), py::kw_only(), py::arg("generator") = py::none(),
        "Draws 0/1 with the probabilities in `input`.");

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
    Tensor m_t = mt ? mean.cast<Tensor>() : full(Shape{}, scalar_from_python(mean, "mean"), default_dtype(), std.cast<Tensor>().device());
    Tensor s_t = st ? std.cast<Tensor>() : full(Shape{}, scalar_from_python(std, "std"), default_dtype(), m_t.device());
    return normal(m_t, s_t, gen_ptr(generator));
  }, py::arg("mean"), py::arg("std") = 1.0, py::arg("size") = py::none(), py::kw_only(),
     py::arg("generator") = py::none(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     "Samples from normal distributions with the given mean(s) and std(s).");

  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("uniform_", [](Tensor t, double from, double to, py::object g) { return uniform_(t, from, to, gen_ptr(g)); },
          py::arg("from_") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("normal_", [](Tensor t, double mean, double std, py::object g) { return normal_(t, mean, std, gen_ptr(g)); },
           py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("bernoulli_", [](Tensor t, double p, py::object g) { return bernoulli_(t, p, gen_ptr(g)); },
           py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = py::none())
      .def("random_", [](Tensor t, int64_t from, std::optional<int64_t> to, py::object g) {
        return to ? random_int_(t, from, *to, gen_ptr(g)) : random_int_(t, 0, from, gen_ptr(g));
      }, py::arg("from_"), py::arg("to") = py::none(), py::kw_only(), py::arg("generator") = py::none());
}

}  // namespace pydl::python
