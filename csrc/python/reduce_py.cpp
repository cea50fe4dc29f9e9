// Bindings of the reductions: pydl.sum(input, dim=None, keepdim=False, *, dtype=None, out=None)
// and friends, with their Tensor methods. `dim` is an int, a sequence of ints or None, and
// `axis` is accepted for it, as in PyTorch.
#include "python/bindings.h"

namespace pydl::python {

OptionalDims dims_from_python(py::handle dim, py::handle axis, const char* op) {
  if (!axis.is_none()) {
    PYDL_CHECK_TYPE(dim.is_none(), op, "() got multiple values for argument 'dim' (also given as 'axis')");
    dim = axis;
  }
  if (dim.is_none()) return std::nullopt;
  if (py::isinstance<py::sequence>(dim)) return shape_from_python(dim, "dim");
  return Shape{int_from_python(dim, "dim")};
}

namespace {

using py::arg;
using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// fn(x, dims, keepdim, dtype, dest) as pydl.<name> (with out=) and Tensor.<name>.
template <typename Fn>
void def_sum_like(py::module_& m, TensorClass& cls, const char* name, Fn fn, const char* doc) {
  m.def(name, [fn, name](const Tensor& x, py::object dim, bool keepdim, OptionalDtype dtype, py::object out,
                         py::object axis) {
    OptionalDims dims = dims_from_python(dim, axis, name);
    return with_out(out, name, [&](OutArg d) { return fn(x, dims, keepdim, dtype, d); });
  }, arg("input"), arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(), arg("dtype") = py::none(),
        arg("out") = py::none(), arg("axis") = py::none(), doc);
  cls.def(name, [fn, name](const Tensor& x, py::object dim, bool keepdim, OptionalDtype dtype, py::object axis) {
    OptionalDims dims = dims_from_python(dim, axis, name);
    py::gil_scoped_release nogil;
    return fn(x, dims, keepdim, dtype, OutArg{});
  }, arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(), arg("dtype") = py::none(),
          arg("axis") = py::none(), doc);
}

// fn(x, dims, keepdim, dest) as pydl.<name> (with out=) and Tensor.<name>.
template <typename Fn>
void def_dims_keepdim(py::module_& m, TensorClass& cls, const char* name, Fn fn, const char* doc) {
  m.def(name, [fn, name](const Tensor& x, py::object dim, bool keepdim, py::object out, py::object axis) {
    OptionalDims dims = dims_from_python(dim, axis, name);
    return with_out(out, name, [&](OutArg d) { return fn(x, dims, keepdim, d); });
  }, arg("input"), arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(), arg("out") = py::none(),
        arg("axis") = py::none(), doc);
  cls.def(name, [fn, name](const Tensor& x, py::object dim, bool keepdim, py::object axis) {
    OptionalDims dims = dims_from_python(dim, axis, name);
    py::gil_scoped_release nogil;
    return fn(x, dims, keepdim, OutArg{});
  }, arg("dim") = py::none(), arg("keepdim") = false, py::kw_only(), arg("axis") = py::none(), doc);
}

}  // namespace

void init_reduce(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  def_sum_like(m, cls, "sum", &sum, "Sum over `dim` (every dim when None). Integer inputs sum in int64.");
  def_sum_like(m, cls, "nansum", &nansum, "Sum over `dim`, treating NaN as zero.");
  def_sum_like(m, cls, "mean", &mean, "Mean over `dim` (every dim when None); needs a floating dtype.");
  def_sum_like(m, cls, "nanmean", &nanmean, "Mean over `dim` of the elements that are not NaN.");
  def_sum_like(m, cls, "prod", &prod, "Product over `dim` (every dim when None). Integer inputs multiply in int64.");
  def_dims_keepdim(m, cls, "amax", &amax, "Maximum over `dim` (every dim when None or ()); NaN propagates.");
  def_dims_keepdim(m, cls, "amin", &amin, "Minimum over `dim` (every dim when None or ()); NaN propagates.");
  def_dims_keepdim(m, cls, "all", &all, "True where every element over `dim` is nonzero.");
  def_dims_keepdim(m, cls, "any", &any, "True where some element over `dim` is nonzero.");
  auto count = [](const Tensor& x, py::object dim) {
    OptionalDims dims = dims_from_python(dim, py::none(), "count_nonzero");
    py::gil_scoped_release nogil;
    return count_nonzero(x, dims);
  };
  m.def("count_nonzero", count, arg("input"), arg("dim") = py::none(), "Number of nonzero elements over `dim` (int64).");
  cls.def("count_nonzero", count, arg("dim") = py::none(), "Number of nonzero elements over `dim` (int64).");
}

}  // namespace pydl::python
