// Bindings of the elementwise ops whose signatures carry more than tensors: add/sub (alpha),
// div (rounding_mode), pow, clamp/clip, round(decimals), nan_to_num, logit, where, lerp,
// addcmul/addcdiv, isclose.
#include <cmath>
#include <limits>

#include "core/dispatch.h"
#include "python/bindings.h"

namespace pydl::python {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// Defines pydl.<name>(input, ...), Tensor.<name>(...) and Tensor.<name>_(...) from one body
// `op(self, args, kwargs, OutArg)`; `out=` is taken from kwargs for the function form.
template <typename Op>
static void def_three_ways(py::module_& m, TensorClass& cls, const char* name, const Op& op, const char* doc) {
  m.def(name, [op, name](const Tensor& x, py::args args, py::kwargs kw) {
    std::optional<Tensor> o;
    if (kw.contains("out")) {
      o = out_tensor(kw["out"], name);
      PyDict_DelItemString(kw.ptr(), "out");
    }
    return o ? op(x, args, kw, OutArg::to(*o)) : op(x, args, kw, OutArg{});
  }, py::arg("input"), doc);
  cls.def(name, [op](const Tensor& x, py::args args, py::kwargs kw) { return op(x, args, kw, OutArg{}); }, doc);
  cls.def((std::string(name) + "_").c_str(),
          [op](Tensor x, py::args args, py::kwargs kw) { return op(x, args, kw, OutArg::self(x)); });
}

// Positional-or-keyword argument `i` / `key`, or `fallback`.
static py::object arg(const py::args& args, const py::kwargs& kw, size_t i, const char* key, py::object fallback) {
  if (args.size() > i) return args[i];
  if (kw.contains(key)) return kw[key];
  return fallback;
}

static std::optional<Scalar> optional_scalar(py::handle h, const char* what) {
  if (h.is_none()) return std::nullopt;
  return scalar_from_python(h, what);
}

static Tensor clamp_any(const Tensor& x, py::handle lo, py::handle hi, OutArg d) {
  const bool tensor_bound = py::isinstance<TensorImpl>(lo) || py::isinstance<TensorImpl>(hi);
  if (!tensor_bound) {
    auto mn = optional_scalar(lo, "min"), mx = optional_scalar(hi, "max");
    py::gil_scoped_release nogil;
    return clamp(x, mn, mx, d);
  }
  PYDL_CHECK(!lo.is_none() || !hi.is_none(), "torch.clamp: At least one of 'min' or 'max' must not be None");
  // A missing tensor bound is +-inf (or the dtype's limit), which never wins.
  auto bound = [&](py::handle h, bool is_min) -> Tensor {
    if (!h.is_none()) return operand(h, "clamp", is_min ? "min" : "max");
    const ScalarType dt = x.dtype();
    if (is_floating(dt)) return wrap_scalar(Scalar(is_min ? -INFINITY : INFINITY), dt);
    return PYDL_DISPATCH_ALL_TYPES(dt, "clamp", [&] {
      return wrap_scalar(Scalar(static_cast<int64_t>(is_min ? std::numeric_limits<scalar_t>::lowest()
                                                            : std::numeric_limits<scalar_t>::max())), dt);
    });
  };
  Tensor tl = bound(lo, true), th = bound(hi, false);
  py::gil_scoped_release nogil;
  return clamp(x, tl, th, d);
}

void init_math_args(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));

  // --- add / sub / div / pow: the first operand may be a number too (torch.add(2, t)).
  auto add_like = [](bool is_sub) {
    return [is_sub](py::object a, py::object b, py::object alpha, py::object out) {
      const char* nm = is_sub ? "sub" : "add";
      Tensor ta = operand(a, nm, "input"), tb = operand(b, nm, "other");
      Scalar al = scalar_from_python(alpha, "alpha");
      return with_out(out, nm, [&](OutArg d) { return is_sub ? sub(ta, tb, al, d) : add(ta, tb, al, d); });
    };
  };
  for (const char* n : {"add", "sub", "subtract"}) {
    const bool is_sub = n[0] == 's';
    m.def(n, add_like(is_sub), py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1,
          py::arg("out") = py::none(), "input + alpha * other (input - alpha * other for sub), with broadcasting.");
    cls.def(n, [is_sub](const Tensor& a, py::object b, py::object alpha) {
      Tensor tb = operand(b, is_sub ? "sub" : "add", "other");
      Scalar al = scalar_from_python(alpha, "alpha");
      py::gil_scoped_release nogil;
      return is_sub ? sub(a, tb, al) : add(a, tb, al);
    }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
    cls.def((std::string(n) + "_").c_str(), [is_sub](Tensor a, py::object b, py::object alpha) {
      Tensor tb = operand(b, is_sub ? "sub" : "add", "other");
      Scalar al = scalar_from_python(alpha, "alpha");
      return in_place(a, [&](OutArg d) { return is_sub ? sub(a, tb, al, d) : add(a, tb, al, d); });
    }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  }
  auto mode_of = [](const py::object& mode) { return mode.is_none() ? std::string() : mode.cast<std::string>(); };
  for (const char* n : {"div", "divide"}) {
    m.def(n, [mode_of](py::object a, py::object b, py::object mode, py::object out) {
      Tensor ta = operand(a, "div", "input"), tb = operand(b, "div", "other");
      std::string md = mode_of(mode);
      return with_out(out, "div", [&](OutArg d) { return div(ta, tb, md, d); });
    }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none(),
          py::arg("out") = py::none(), "input / other; rounding_mode None (true division), 'trunc' or 'floor'.");
    cls.def(n, [mode_of](const Tensor& a, py::object b, py::object mode) {
      Tensor tb = operand(b, "div", "other");
      std::string md = mode_of(mode);
      py::gil_scoped_release nogil;
      return div(a, tb, md);
    }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
    cls.def((std::string(n) + "_").c_str(), [mode_of](Tensor a, py::object b, py::object mode) {
      Tensor tb = operand(b, "div", "other");
      std::string md = mode_of(mode);
      return in_place(a, [&](OutArg d) { return div(a, tb, md, d); });
    }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  }
  auto pow_any = [](py::object base, py::object exponent, OutArg d) {
    if (py::isinstance<TensorImpl>(base) && !py::isinstance<TensorImpl>(exponent)) {
      Scalar e = scalar_from_python(exponent, "exponent");
      Tensor b = base.cast<Tensor>();
      py::gil_scoped_release nogil;
      return pow(b, e, d);
    }
    Tensor tb = operand(base, "pow", "input"), te = operand(exponent, "pow", "exponent");
    py::gil_scoped_release nogil;
    return binary(BinaryOp::Pow, tb, te, {}, d);
  };
  m.def("pow", [pow_any](py::object base, py::object exponent, py::object out) {
    std::optional<Tensor> o = out_tensor(out, "pow");
    return o ? pow_any(base, exponent, OutArg::to(*o)) : pow_any(base, exponent, {});
  }, py::arg("input"), py::arg("exponent"), py::kw_only(), py::arg("out") = py::none(),
        "input ** exponent elementwise (either may be a number).");
  cls.def("pow", [pow_any](py::object self, py::object e) { return pow_any(self, e, {}); }, py::arg("exponent"));
  cls.def("pow_", [pow_any](py::object self, py::object e) {
    Tensor s = self.cast<Tensor>();
    return pow_any(self, e, OutArg::self(s));
  }, py::arg("exponent"));

  // --- clamp / clip and friends
  const char* clamp_doc = "clamp(input, min=None, max=None, *, out=None): elementwise min(max(input, min), max).";
  for (const char* n : {"clamp", "clip"}) {
    def_three_ways(m, cls, n, [](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
      return clamp_any(x, arg(a, kw, 0, "min", py::none()), arg(a, kw, 1, "max", py::none()), d);
    }, clamp_doc);
  }
  def_three_ways(m, cls, "clamp_min", [](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
    return clamp_any(x, arg(a, kw, 0, "min", py::none()), py::none(), d);
  }, "clamp_min(input, min): elementwise max(input, min).");
  def_three_ways(m, cls, "clamp_max", [](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
    return clamp_any(x, py::none(), arg(a, kw, 0, "max", py::none()), d);
  }, "clamp_max(input, max): elementwise min(input, max).");
  def_three_ways(m, cls, "round", [](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
    int64_t decimals = arg(a, kw, 0, "decimals", py::int_(0)).cast<int64_t>();
    py::gil_scoped_release nogil;
    if (decimals == 0) return unary(UnaryOp::Round, x, {}, d);
    OpParams p{static_cast<double>(decimals)};
    return unary(UnaryOp::RoundDecimals, x, p, d);
  }, "round(input, *, decimals=0): round half to even, to `decimals` decimal places.");
  def_three_ways(m, cls, "nan_to_num", [](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
    auto value = [&](size_t i, const char* key, double fallback) {
      py::object v = arg(a, kw, i, key, py::none());
      return v.is_none() ? fallback : scalar_from_python(v, key).to_double();
    };
    const ScalarType dt = x.dtype();
    const double big = dt == ScalarType::Float16 ? 65504.0 : dt == ScalarType::BFloat16 ? 3.3895313892515355e38
                     : dt == ScalarType::Float32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
    OpParams p{value(0, "nan", 0.0), value(1, "posinf", big), value(2, "neginf", -big)};
    py::gil_scoped_release nogil;
    return unary(UnaryOp::NanToNum, x, p, d);
  }, "nan_to_num(input, nan=0.0, posinf=None, neginf=None): replace NaN and infinities.");
  def_three_ways(m, cls, "logit", [](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
    py::object eps = arg(a, kw, 0, "eps", py::none());
    OpParams p;
    p.has_a = !eps.is_none();
    p.a = p.has_a ? eps.cast<double>() : 0.0;
    py::gil_scoped_release nogil;
    return unary(UnaryOp::Logit, x, p, d);
  }, "logit(input, eps=None): log(p / (1 - p)), with input clamped to [eps, 1 - eps] when eps is given.");

  // --- ternary
  m.def("where", [](const Tensor& cond, py::object a, py::object b, py::object out) {
    Tensor ta = operand(a, "where", "input"), tb = operand(b, "where", "other");
    return with_out(out, "where", [&](OutArg d) { return where(cond, ta, tb, d); });
  }, py::arg("condition"), py::arg("input"), py::arg("other"), py::kw_only(), py::arg("out") = py::none(),
        "where(condition, input, other): input where condition is True, else other (numbers allowed).");
  cls.def("where", [](const Tensor& self, const Tensor& cond, py::object other) {
    Tensor tb = operand(other, "where", "other");
    py::gil_scoped_release nogil;
    return where(cond, self, tb);
  }, py::arg("condition"), py::arg("other"));
  def_three_ways(m, cls, "lerp", [](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
    Tensor end = operand(arg(a, kw, 0, "end", py::none()), "lerp", "end");
    Tensor w = operand(arg(a, kw, 1, "weight", py::none()), "lerp", "weight");
    py::gil_scoped_release nogil;
    return lerp(x, end, w, d);
  }, "lerp(input, end, weight): input + weight * (end - input).");
  for (const char* n : {"addcmul", "addcdiv"}) {
    const bool is_mul = n[4] == 'm';
    def_three_ways(m, cls, n, [is_mul](const Tensor& x, py::args a, py::kwargs kw, OutArg d) {
      Tensor t1 = arg(a, kw, 0, "tensor1", py::none()).cast<Tensor>();
      Tensor t2 = arg(a, kw, 1, "tensor2", py::none()).cast<Tensor>();
      Scalar v = scalar_from_python(arg(a, kw, 2, "value", py::int_(1)), "value");
      py::gil_scoped_release nogil;
      return is_mul ? addcmul(x, t1, t2, v, d) : addcdiv(x, t1, t2, v, d);
    }, is_mul ? "addcmul(input, tensor1, tensor2, *, value=1): input + value * tensor1 * tensor2."
              : "addcdiv(input, tensor1, tensor2, *, value=1): input + value * tensor1 / tensor2.");
  }
  auto isclose_fn = [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    py::gil_scoped_release nogil;
    return isclose(a, b, rtol, atol, equal_nan);
  };
  m.def("isclose", isclose_fn, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08,
        py::arg("equal_nan") = false, "Elementwise |input - other| <= atol + rtol * |other|.");
  cls.def("isclose", isclose_fn, py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08,
          py::arg("equal_nan") = false);
}

}  // namespace pydl::python
