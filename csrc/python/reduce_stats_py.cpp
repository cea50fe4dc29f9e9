// Bindings of the reductions with richer signatures: max/min (three overloads, as in PyTorch),
// argmax/argmin, aminmax, var/std with `correction` or the legacy `unbiased`, var_mean/std_mean,
// logsumexp, norm and pydl.linalg.vector_norm, trace, allclose, equal.
#include <cmath>

#include "python/bindings.h"

namespace pydl::python {
namespace {

using py::arg;
using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// max(input) / max(input, dim, keepdim=False, *, out=None) / max(input, other, *, out=None).
template <bool IsMax>
py::object max_or_min(const ReturnType& rt, const Tensor& x, py::object dim, bool keepdim, py::object out) {
  const char* name = IsMax ? "max" : "min";
  if (dim.is_none()) {
    PYDL_CHECK_TYPE(out.is_none(), name, "(): out= needs dim (or another tensor)");
    Tensor r;
    {
      py::gil_scoped_release nogil;
      r = IsMax ? max(x) : min(x);
    }
    return py::cast(r);
  }
  if (py::isinstance<TensorImpl>(dim)) {  // the elementwise overload
    Tensor other = dim.cast<Tensor>();
    return py::cast(with_out(out, name, [&](OutArg d) {
      return binary(IsMax ? BinaryOp::Maximum : BinaryOp::Minimum, x, other, {}, d);
    }));
  }
  const int64_t d = int_from_python(dim, "dim");
  return call_pair(rt, out, name, [&](OutPair o) { return IsMax ? max(x, d, keepdim, o) : min(x, d, keepdim, o); });
}

// var/std arguments: (dim, unbiased, keepdim) positionally, or dim= with correction= / unbiased=.
struct VarArgs {
  OptionalDims dims;
  double correction = 1;
  bool keepdim = false;
};

VarArgs var_args(const py::args& args, const py::kwargs& kw, const char* op) {
  VarArgs v;
  std::optional<bool> unbiased;
  size_t i = 0;
  py::object dim = py::none();
  if (args.size() > 0 && PyBool_Check(args[0].ptr())) {
    unbiased = args[0].cast<bool>();  // var(input, unbiased)
    i = 1;
  } else if (args.size() > 0) {
    dim = args[0];
    i = 1;
    if (args.size() > 1) unbiased = args[1].cast<bool>();
    if (args.size() > 2) v.keepdim = args[2].cast<bool>();
    i = args.size();
  }
  PYDL_CHECK_TYPE(i == args.size(), op, "() takes at most 3 positional arguments after input");
  std::optional<double> correction;
  for (auto item : kw) {
    const std::string key = py::str(item.first);
    if (key == "dim" || key == "axis") dim = py::reinterpret_borrow<py::object>(item.second);
    else if (key == "keepdim") v.keepdim = item.second.cast<bool>();
    else if (key == "unbiased") unbiased = item.second.cast<bool>();
    else if (key == "correction") correction = item.second.is_none() ? std::nullopt : std::optional(item.second.cast<double>());
    else PYDL_CHECK_TYPE(key == "out", op, "() got an unexpected keyword argument '", key, "'");
  }
  PYDL_CHECK(!(unbiased && correction), op, "(): cannot specify both correction and unbiased arguments");
  if (correction) v.correction = *correction;
  if (unbiased) v.correction = *unbiased ? 1 : 0;
  v.dims = dims_from_python(dim, py::none(), op);
  return v;
}

template <typename Fn>
void def_var_like(py::module_& m, TensorClass& cls, const char* name, Fn fn, const char* doc) {
  m.def(name, [fn, name](const Tensor& x, py::args args, py::kwargs kw) {
    VarArgs v = var_args(args, kw, name);
    py::object out = kw.contains("out") ? py::reinterpret_borrow<py::object>(kw["out"]) : py::none();
    return with_out(out, name, [&](OutArg d) { return fn(x, v.dims, v.correction, v.keepdim, d); });
  }, arg("input"), doc);
  cls.def(name, [fn, name](const Tensor& x, py::args args, py::kwargs kw) {
    VarArgs v = var_args(args, kw, name);
    py::gil_scoped_release nogil;
    return fn(x, v.dims, v.correction, v.keepdim, OutArg{});
  }, doc);
}

double norm_order(py::handle p, const char* op) {
  if (py::isinstance<py::str>(p)) {
    const std::string s = py::str(p);
    PYDL_CHECK_NOT_IMPLEMENTED(s != "nuc", op, "(): the nuclear norm needs an SVD, which pydl does not have yet");
    PYDL_CHECK(s == "fro", op, "(): p must be a number, 'fro' or 'nuc', got '", s, "'");
    return 2.0;
  }
  return p.cast<double>();
}

}  // namespace

void init_reduce_stats(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  const ReturnType max_t = return_type(m, "max", {"values", "indices"});
  const ReturnType min_t = return_type(m, "min", {"values", "indices"});
  const ReturnType aminmax_t = return_type(m, "aminmax", {"min", "max"});

  const char* max_doc = "max(input) -> the largest element; max(input, dim, keepdim=False) -> (values, indices) "
                        "of the largest along dim (first index on ties; NaN wins); max(input, other) -> maximum.";
  const char* min_doc = "min(input) / min(input, dim, keepdim=False) -> (values, indices) / min(input, other): "
                        "as max, for the smallest.";
  m.def("max", [max_t](const Tensor& x, py::object dim, bool keepdim, py::object out) {
    return max_or_min<true>(max_t, x, dim, keepdim, out);
  }, arg("input"), arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(), arg("out") = py::none(), max_doc);
  cls.def("max", [max_t](const Tensor& x, py::object dim, bool keepdim) {
    return max_or_min<true>(max_t, x, dim, keepdim, py::none());
  }, arg("dim") = py::none(), arg("keepdim") = false, max_doc);
  m.def("min", [min_t](const Tensor& x, py::object dim, bool keepdim, py::object out) {
    return max_or_min<false>(min_t, x, dim, keepdim, out);
  }, arg("input"), arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(), arg("out") = py::none(), min_doc);
  cls.def("min", [min_t](const Tensor& x, py::object dim, bool keepdim) {
    return max_or_min<false>(min_t, x, dim, keepdim, py::none());
  }, arg("dim") = py::none(), arg("keepdim") = false, min_doc);

  for (bool is_max : {true, false}) {
    const char* name = is_max ? "argmax" : "argmin";
    auto fn = [is_max](const Tensor& x, std::optional<int64_t> dim, bool keepdim, OutArg d) {
      return is_max ? argmax(x, dim, keepdim, d) : argmin(x, dim, keepdim, d);
    };
    const char* doc = is_max ? "Index of the largest element (of the flattened tensor when dim is None)."
                             : "Index of the smallest element (of the flattened tensor when dim is None).";
    m.def(name, [fn, name](const Tensor& x, std::optional<int64_t> dim, bool keepdim, py::object out) {
      return with_out(out, name, [&](OutArg d) { return fn(x, dim, keepdim, d); });
    }, arg("input"), arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(), arg("out") = py::none(), doc);
    cls.def(name, [fn](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
      py::gil_scoped_release nogil;
      return fn(x, dim, keepdim, OutArg{});
    }, arg("dim") = py::none(), arg("keepdim") = false, doc);
  }

  auto aminmax_fn = [aminmax_t](const Tensor& x, std::optional<int64_t> dim, bool keepdim, py::object out) {
    return call_pair(aminmax_t, out, "aminmax", [&](OutPair o) { return aminmax(x, dim, keepdim, o); });
  };
  m.def("aminmax", aminmax_fn, arg("input"), py::kw_only(), arg("dim") = py::none(), arg("keepdim") = false,
        arg("out") = py::none(), "(min, max) over dim (every element when None).");
  cls.def("aminmax", [aminmax_fn](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
    return aminmax_fn(x, dim, keepdim, py::none());
  }, py::kw_only(), arg("dim") = py::none(), arg("keepdim") = false, "(min, max) over dim.");

  def_var_like(m, cls, "var", &var, "Variance over dim, dividing by N - correction (default 1, Bessel's).");
  def_var_like(m, cls, "std", &std_dev, "Standard deviation over dim, dividing by N - correction (default 1).");
  for (bool is_std : {false, true}) {
    const char* name = is_std ? "std_mean" : "var_mean";
    m.def(name, [is_std, name](const Tensor& x, py::args args, py::kwargs kw) {
      VarArgs v = var_args(args, kw, name);
      py::gil_scoped_release nogil;
      TensorPair r = is_std ? std_mean(x, v.dims, v.correction, v.keepdim) : var_mean(x, v.dims, v.correction, v.keepdim);
      return std::make_tuple(r.first, r.second);
    }, arg("input"), is_std ? "(std, mean) over dim in one call." : "(var, mean) over dim in one call.");
  }

  auto lse = [](const Tensor& x, py::object dim, bool keepdim, py::object out) {
    OptionalDims dims = dims_from_python(dim, py::none(), "logsumexp");
    return with_out(out, "logsumexp", [&](OutArg d) { return logsumexp(x, dims, keepdim, d); });
  };
  m.def("logsumexp", lse, arg("input"), arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(),
        arg("out") = py::none(), "log(sum(exp(input))) over dim, computed without overflow.");
  cls.def("logsumexp", [lse](const Tensor& x, py::object dim, bool keepdim) { return lse(x, dim, keepdim, py::none()); },
          arg("dim") = py::none(), arg("keepdim") = false, "log(sum(exp(self))) over dim, computed without overflow.");

  auto norm_fn = [](const Tensor& x, py::object p, py::object dim, bool keepdim, py::object out,
                    OptionalDtype dtype) {
    const double ord = norm_order(p, "norm");
    OptionalDims dims = dims_from_python(dim, py::none(), "norm");
    return with_out(out, "norm", [&](OutArg d) { return vector_norm(x, ord, dims, keepdim, dtype, d); });
  };
  const char* norm_doc = "The p-norm of input over dim (all elements when None); p='fro' is the 2-norm.";
  m.def("norm", norm_fn, arg("input"), arg("p") = "fro", arg("dim") = py::none(), arg("keepdim") = false,
        arg("out") = py::none(), arg("dtype") = py::none(), norm_doc);
  cls.def("norm", [norm_fn](const Tensor& x, py::object p, py::object dim, bool keepdim, OptionalDtype dtype) {
    return norm_fn(x, p, dim, keepdim, py::none(), dtype);
  }, arg("p") = "fro", arg("dim") = py::none(), arg("keepdim") = false, arg("dtype") = py::none(), norm_doc);
  py::module_ linalg = m.def_submodule("_linalg", "pydl.linalg's compiled functions.");
  linalg.def("vector_norm", [](const Tensor& x, double ord, py::object dim, bool keepdim, OptionalDtype dtype,
                               py::object out) {
    OptionalDims dims = dims_from_python(dim, py::none(), "linalg.vector_norm");
    return with_out(out, "linalg.vector_norm", [&](OutArg d) { return vector_norm(x, ord, dims, keepdim, dtype, d); });
  }, arg("x"), arg("ord") = 2.0, arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(),
             arg("dtype") = py::none(), arg("out") = py::none(),
             "sum(|x|**ord)**(1/ord) over dim; ord may be inf, -inf or 0 (the count of nonzeros).");

  auto trace_fn = [](const Tensor& x) {
    py::gil_scoped_release nogil;
    return trace(x);
  };
  m.def("trace", trace_fn, arg("input"), "Sum of the main diagonal of a matrix (integers sum in int64).");
  cls.def("trace", trace_fn, "Sum of the main diagonal of a matrix (integers sum in int64).");
  auto allclose_fn = [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    py::gil_scoped_release nogil;
    return allclose(a, b, rtol, atol, equal_nan);
  };
  const char* allclose_doc = "True when every |input - other| <= atol + rtol * |other| (broadcasting).";
  m.def("allclose", allclose_fn, arg("input"), arg("other"), arg("rtol") = 1e-05, arg("atol") = 1e-08,
        arg("equal_nan") = false, allclose_doc);
  cls.def("allclose", allclose_fn, arg("other"), arg("rtol") = 1e-05, arg("atol") = 1e-08, arg("equal_nan") = false,
          allclose_doc);
  auto equal_fn = [](const Tensor& a, const Tensor& b) {
    py::gil_scoped_release nogil;
    return equal(a, b);
  };
  m.def("equal", equal_fn, arg("input"), arg("other"), "True when both tensors have the same shape and elements.");
  cls.def("equal", equal_fn, arg("other"), "True when both tensors have the same shape and elements.");
}

}  // namespace pydl::python
