// Bindings of softmax and log_softmax (csrc/ops/softmax.cpp): pydl.softmax(input, dim, dtype=None),
// Tensor.softmax(dim, dtype=None), and torch.nn.functional's softmax / log_softmax / softmin
// (input, dim=None, _stacklevel=3, dtype=None) in pydl._C._nn.
#include <algorithm>

#include "python/bindings.h"

namespace pydl::python {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;
using SoftmaxFn = Tensor (*)(const Tensor&, int64_t, OptionalDtype);

// PyTorch's legacy rule for F.softmax(x) without dim, with its deprecation warning. torch warns
// from Python two frames below F.softmax's caller (stacklevel 3); a C function has no frame of
// its own, so the same caller is stacklevel 1 here.
static int64_t implicit_dim(const char* op, int64_t ndim, int64_t stacklevel) {
  std::string msg = std::string("Implicit dimension choice for ") + op +
                    " has been deprecated. Change the call to include dim=X as an argument.";
  if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), std::max<int64_t>(1, stacklevel - 2)) < 0)
    throw py::error_already_set();
  return (ndim == 0 || ndim == 1 || ndim == 3) ? 0 : 1;
}

// F.softmax-style entry: dim=None picks the legacy dim; softmin negates the input first.
static Tensor functional(SoftmaxFn fn, const char* op, bool negate, const Tensor& x, std::optional<int64_t> dim,
                         int64_t stacklevel, OptionalDtype dtype) {
  const int64_t d = dim ? *dim : implicit_dim(op, x.dim(), stacklevel);
  py::gil_scoped_release nogil;
  return fn(negate ? unary(UnaryOp::Neg, x) : x, d, dtype);
}

void init_softmax(py::module_& m) {
  using py::arg;
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  py::module_ nn = m.attr("_nn");
  struct Entry {
    const char* name;
    SoftmaxFn fn;
    const char* doc;
  };
  const Entry entries[] = {
      {"softmax", &softmax,
       "softmax(input, dim, dtype=None): exp(x) / sum(exp(x)) along dim, computed as exp(x - max) so that "
       "it cannot overflow. dtype= casts the input first; floating dtypes only."},
      {"log_softmax", &log_softmax,
       "log_softmax(input, dim, dtype=None): log(softmax(x)) along dim, computed as x - max - "
       "log(sum(exp(x - max))). dtype= casts the input first; floating dtypes only."},
  };
  for (const Entry& e : entries) {
    SoftmaxFn fn = e.fn;
    const char* name = e.name;
    m.def(name, [fn](const Tensor& x, int64_t dim, OptionalDtype dtype) {
      py::gil_scoped_release nogil;
      return fn(x, dim, dtype);
    }, arg("input"), arg("dim"), arg("dtype") = py::none(), e.doc);
    cls.def(name, [fn](const Tensor& x, int64_t dim, OptionalDtype dtype) {
      py::gil_scoped_release nogil;
      return fn(x, dim, dtype);
    }, arg("dim"), arg("dtype") = py::none(), e.doc);
    nn.def(name, [fn, name](const Tensor& x, std::optional<int64_t> dim, int64_t stacklevel, OptionalDtype dtype) {
      return functional(fn, name, false, x, dim, stacklevel, dtype);
    }, arg("input"), arg("dim") = py::none(), arg("_stacklevel") = 3, arg("dtype") = py::none(),
       (std::string(e.doc) + " dim=None picks dim 0 for 0-, 1- and 3-d inputs, else 1, and warns "
        "(PyTorch's deprecated implicit dim).").c_str());
  }
  nn.def("softmin", [](const Tensor& x, std::optional<int64_t> dim, int64_t stacklevel, OptionalDtype dtype) {
    return functional(&softmax, "softmin", true, x, dim, stacklevel, dtype);
  }, arg("input"), arg("dim") = py::none(), arg("_stacklevel") = 3, arg("dtype") = py::none(),
     "softmin(input, dim=None, _stacklevel=3, dtype=None): softmax(-input) along dim; dim=None as for softmax.");
}

}  // namespace pydl::python
