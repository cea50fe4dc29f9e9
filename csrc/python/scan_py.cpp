// Bindings of the scans along a dim (csrc/ops/scan.cpp): cumsum, cumprod (with dtype=, out= and
// the in-place Tensor.cumsum_ / cumprod_), cummax, cummin (pydl.return_types named tuples, out=
// a pair) and logcumsumexp.
#include "python/bindings.h"

namespace pydl::python {

using py::arg;
using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

namespace {

// fn(x, dim, dtype, dest) as pydl.<name> (out=), Tensor.<name> and Tensor.<name>_.
template <typename Fn>
void def_accumulate(py::module_& m, TensorClass& cls, const char* name, const std::string& inplace, Fn fn,
                    const char* doc) {
  m.def(name, [fn, name](const Tensor& x, int64_t dim, OptionalDtype dtype, py::object out) {
    return with_out(out, name, [&](OutArg d) { return fn(x, dim, dtype, d); });
  }, arg("input"), arg("dim"), py::kw_only(), arg("dtype") = py::none(), arg("out") = py::none(), doc);
  cls.def(name, [fn](const Tensor& x, int64_t dim, OptionalDtype dtype) {
    py::gil_scoped_release nogil;
    return fn(x, dim, dtype, OutArg{});
  }, arg("dim"), py::kw_only(), arg("dtype") = py::none(), doc);
  cls.def(inplace.c_str(), [fn](Tensor& x, int64_t dim, OptionalDtype dtype) {
    return in_place(x, [&](OutArg d) { return fn(x, dim, dtype, d); });
  }, arg("dim"), py::kw_only(), arg("dtype") = py::none(), "In-place version of the scan of the same name.");
}

// fn(x, dim, out_pair) as pydl.<name> (out=(values, indices)) and Tensor.<name>.
template <typename Fn>
void def_extreme(py::module_& m, TensorClass& cls, const char* name, Fn fn, const char* doc) {
  const ReturnType rt = return_type(m, name, {"values", "indices"});
  m.def(name, [fn, rt, name](const Tensor& x, int64_t dim, py::object out) {
    return call_pair(rt, out, name, [&](OutPair o) { return fn(x, dim, o); });
  }, arg("input"), arg("dim"), py::kw_only(), arg("out") = py::none(), doc);
  cls.def(name, [fn, rt, name](const Tensor& x, int64_t dim) {
    return call_pair(rt, py::none(), name, [&](OutPair o) { return fn(x, dim, o); });
  }, arg("dim"), doc);
}

}  // namespace

void init_scan(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  def_accumulate(m, cls, "cumsum", "cumsum_", &cumsum,
                 "cumsum(input, dim, *, dtype=None, out=None) -> Tensor: running sums along dim. Integer and bool "
                 "inputs sum in int64 unless dtype is given; float32 accumulates in double.");
  def_accumulate(m, cls, "cumprod", "cumprod_", &cumprod,
                 "cumprod(input, dim, *, dtype=None, out=None) -> Tensor: running products along dim. Integer and "
                 "bool inputs multiply in int64 unless dtype is given; float32 accumulates in double.");
  def_extreme(m, cls, "cummax", &cummax,
              "cummax(input, dim, *, out=None) -> (values, indices): the running maximum along dim and the index "
              "where it was found. Equal values take the later index; NaN, once seen, stays.");
  def_extreme(m, cls, "cummin", &cummin,
              "cummin(input, dim, *, out=None) -> (values, indices): the running minimum along dim and the index "
              "where it was found. Equal values take the later index; NaN, once seen, stays.");
  const char* lcse_doc =
      "logcumsumexp(input, dim, *, out=None) -> Tensor: log of the running sums of exp(input) along dim, "
      "computed without overflow. Floating dtypes only.";
  m.def("logcumsumexp", [](const Tensor& x, int64_t dim, py::object out) {
    return with_out(out, "logcumsumexp", [&](OutArg d) { return logcumsumexp(x, dim, d); });
  }, arg("input"), arg("dim"), py::kw_only(), arg("out") = py::none(), lcse_doc);
  cls.def("logcumsumexp", [](const Tensor& x, int64_t dim) {
    py::gil_scoped_release nogil;
    return logcumsumexp(x, dim);
  }, arg("dim"), lcse_doc);
}

}  // namespace pydl::python
