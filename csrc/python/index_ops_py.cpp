// Bindings of the named indexing ops (ops/indexing.cpp, ops/scatter.cpp) with PyTorch's
// signatures: pydl.<op>(input, ...), Tensor.<op>(...), Tensor.<op>_(...) where PyTorch has
// it, and out= where PyTorch has it. Each entry converts its Python arguments with the GIL
// held, then releases it around the op.
#include "autograd/inplace.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// The `value` of masked_fill / index_fill / scatter: a number (in self's dtype, marked as a
// number so that scatter knows it is value=) or a 0-d tensor.
Tensor value_arg(py::handle v, const Tensor& self, const char* op, const char* what) {
  if (py::isinstance<TensorImpl>(v)) return v.cast<Tensor>();
  PYDL_CHECK_TYPE(is_python_number(v), op, "(): argument '", what, "' must be Number or Tensor, not ",
                  py::str(py::type::handle_of(v).attr("__name__")).cast<std::string>());
  return wrap_scalar(scalar_from_python(v, what), self.dtype());
}

std::vector<Tensor> index_list(py::handle indices, const char* op) {
  PYDL_CHECK_TYPE(py::isinstance<py::tuple>(indices) || py::isinstance<py::list>(indices), op,
                  "(): argument 'indices' must be tuple of Tensors");
  std::vector<Tensor> out;
  for (auto h : indices) out.push_back(h.is_none() ? Tensor() : h.cast<Tensor>());
  return out;
}

// Whether an argument of an in-place op is a tensor that requires grad.
bool arg_requires_grad(const Tensor& t) { return t.defined() && t.requires_grad(); }
bool arg_requires_grad(const py::object& h) { return py::isinstance<TensorImpl>(h) && h.cast<Tensor>().requires_grad(); }
template <typename T>
bool arg_requires_grad(const T&) { return false; }

// Defines pydl.<name>(input, args..., *, out=None), Tensor.<name>(args...) and, when
// `inplace`, Tensor.<name>_(args...) from one `fn(OutArg, self, args...)`.
template <typename... A, typename... Extra>
void def_op(py::module_& m, TensorClass& cls, const char* name, Tensor (*fn)(OutArg, const Tensor&, A...),
            bool inplace, bool out, const char* doc, const Extra&... extra) {
  if (out) {
    m.def(name, [fn, name](const Tensor& self, A... a, py::object o) {
      std::optional<Tensor> t = out_tensor(o, name);
      return t ? fn(OutArg::to(*t), self, a...) : fn(OutArg{}, self, a...);
    }, py::arg("input"), extra..., py::arg("out") = py::none(), doc);
  } else {
    m.def(name, [fn](const Tensor& self, A... a) { return fn(OutArg{}, self, a...); }, py::arg("input"), extra..., doc);
  }
  cls.def(name, [fn](const Tensor& self, A... a) { return fn(OutArg{}, self, a...); }, extra..., doc);
  if (inplace) {
    // Under autograd the in-place form is the functional one on self's old value, recorded.
    std::string inplace_name = std::string(name) + "_";
    cls.def(inplace_name.c_str(), [fn, inplace_name](Tensor self, A... a) {
      if (autograd::inplace_needs_grad(self, autograd::GradMode::is_enabled() && (arg_requires_grad(a) || ...)))
        return autograd::record_inplace(inplace_name.c_str(), self, [&](const Tensor& old) { return fn(OutArg{}, old, a...); });
      return fn(OutArg::self(self), self, a...);
    }, extra..., doc);
  }
}

// Thin wrappers: Python arguments in, GIL released around the op.
#define NOGIL py::gil_scoped_release nogil

Tensor index_select_(OutArg d, const Tensor& s, int64_t dim, Tensor idx) { NOGIL; return index_select(s, dim, idx, d); }
Tensor gather_(OutArg d, const Tensor& s, int64_t dim, Tensor idx, bool) { NOGIL; return gather(s, dim, idx, d); }
Tensor take_(OutArg d, const Tensor& s, Tensor idx) { NOGIL; return take(s, idx, d); }
Tensor take_along_dim_(OutArg d, const Tensor& s, Tensor idx, std::optional<int64_t> dim) {
  NOGIL;
  return take_along_dim(s, idx, dim, d);
}
Tensor masked_select_(OutArg d, const Tensor& s, Tensor mask) { NOGIL; return masked_select(s, mask, d); }
Tensor masked_fill_(OutArg d, const Tensor& s, Tensor mask, py::object value) {
  Tensor v = value_arg(value, s, "masked_fill", "value");
  NOGIL;
  return masked_fill(s, mask, v, d);
}
Tensor masked_scatter_(OutArg d, const Tensor& s, Tensor mask, Tensor src) {
  NOGIL;
  return masked_scatter(s, mask, src, d);
}
Tensor scatter_(OutArg d, const Tensor& s, int64_t dim, Tensor idx, py::object src, py::object value,
                py::object reduce) {
  PYDL_CHECK_TYPE(src.is_none() != value.is_none(), "scatter(): expected exactly one of 'src' and 'value'");
  Tensor v = value_arg(src.is_none() ? value : src, s, "scatter", src.is_none() ? "value" : "src");
  std::string r = reduce.is_none() ? "" : reduce.cast<std::string>();
  NOGIL;
  return scatter(s, dim, idx, v, r, d);
}
Tensor scatter_add_(OutArg d, const Tensor& s, int64_t dim, Tensor idx, Tensor src) {
  NOGIL;
  return scatter(s, dim, idx, src, "add", d);
}
Tensor scatter_reduce_(OutArg d, const Tensor& s, int64_t dim, Tensor idx, Tensor src, std::string reduce,
                       bool include_self) {
  NOGIL;
  return scatter_reduce(s, dim, idx, src, reduce, include_self, d);
}
Tensor index_add_(OutArg d, const Tensor& s, int64_t dim, Tensor idx, Tensor src, Scalar alpha) {
  NOGIL;
  return index_add(s, dim, idx, src, alpha, d);
}
Tensor index_copy_(OutArg d, const Tensor& s, int64_t dim, Tensor idx, Tensor src) {
  NOGIL;
  return index_copy(s, dim, idx, src, d);
}
Tensor index_fill_(OutArg d, const Tensor& s, int64_t dim, Tensor idx, py::object value) {
  Tensor v = value_arg(value, s, "index_fill", "value");
  NOGIL;
  return index_fill(s, dim, idx, v, d);
}
Tensor index_put_py(OutArg d, const Tensor& s, py::object indices, Tensor values, bool accumulate) {
  std::vector<Tensor> idx = index_list(indices, "index_put");
  NOGIL;
  if (!d.inplace) return index_put(s, idx, values, accumulate);
  Tensor self = s;
  return index_put_(self, idx, values, accumulate);
}
Tensor put_py(OutArg d, const Tensor& s, Tensor idx, Tensor src, bool accumulate) {
  NOGIL;
  return put(s, idx, src, accumulate, d);
}
Tensor histc_(OutArg d, const Tensor& s, int64_t bins, Scalar min, Scalar max) {
  NOGIL;
  return histc(s, bins, min, max, d);
}

#undef NOGIL

py::object nonzero_py(const Tensor& self, bool as_tuple, std::optional<Tensor> out) {
  Tensor r;
  {
    py::gil_scoped_release nogil;
    r = out ? nonzero(self, OutArg::to(*out)) : nonzero(self);
  }
  if (!as_tuple) return py::cast(r);
  // One index tensor per dim (a 0-d input counts as 1-d, as in PyTorch).
  const int64_t n = std::max<int64_t>(self.dim(), 1);
  py::tuple t(n);
  for (int64_t d = 0; d < n; ++d)
    t[d] = self.dim() == 0 ? py::cast(full({r.size(0)}, Scalar(int64_t(0)), ScalarType::Int64, self.device()))
                           : py::cast(contiguous(select(r, 1, d)));
  return t;
}

}  // namespace

void init_index_ops(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  auto kw = py::kw_only();
  def_op(m, cls, "index_select", &index_select_, false, true,
         "index_select(input, dim, index, *, out=None): the slices of input along dim at the positions in index (1-d).",
         py::arg("dim"), py::arg("index"), kw);
  def_op(m, cls, "gather", &gather_, false, true,
         "gather(input, dim, index, *, sparse_grad=False, out=None): out[i][j] = input[index[i][j]][j] (dim 0).",
         py::arg("dim"), py::arg("index"), kw, py::arg("sparse_grad") = false);
  def_op(m, cls, "take", &take_, false, true,
         "take(input, index, *, out=None): input flattened, read at index (any shape).", py::arg("index"), kw);
  def_op(m, cls, "take_along_dim", &take_along_dim_, false, true,
         "take_along_dim(input, indices, dim=None, *, out=None): like numpy.take_along_axis.", py::arg("indices"),
         py::arg("dim") = py::none(), kw);
  def_op(m, cls, "masked_select", &masked_select_, false, true,
         "masked_select(input, mask, *, out=None): the 1-d tensor of input's elements where mask (broadcast) is True.",
         py::arg("mask"), kw);
  def_op(m, cls, "masked_fill", &masked_fill_, true, false,
         "masked_fill(input, mask, value): input with value (a number or 0-d tensor) where mask is True.",
         py::arg("mask"), py::arg("value"));
  def_op(m, cls, "masked_scatter", &masked_scatter_, true, false,
         "masked_scatter(input, mask, source): input with the True positions of mask filled from source in order.",
         py::arg("mask"), py::arg("source"));
  def_op(m, cls, "scatter", &scatter_, true, true,
         "scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None): out[index[i][j]][j] = src[i][j] "
         "(dim 0), or = value; reduce 'add' or 'multiply' combines instead.",
         py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::arg("value") = py::none(), kw,
         py::arg("reduce") = py::none());
  def_op(m, cls, "scatter_add", &scatter_add_, true, true,
         "scatter_add(input, dim, index, src, *, out=None): out[index[i][j]][j] += src[i][j] (dim 0).",
         py::arg("dim"), py::arg("index"), py::arg("src"), kw);
  def_op(m, cls, "scatter_reduce", &scatter_reduce_, true, true,
         "scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None): reduce ('sum', 'prod', "
         "'mean', 'amax', 'amin') src into input at index along dim.",
         py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), kw, py::arg("include_self") = true);
  def_op(m, cls, "index_add", &index_add_, true, true,
         "index_add(input, dim, index, source, *, alpha=1, out=None): input with alpha * source's slices added at "
         "the positions in index along dim.",
         py::arg("dim"), py::arg("index"), py::arg("source"), kw, py::arg("alpha") = 1);
  def_op(m, cls, "index_copy", &index_copy_, true, true,
         "index_copy(input, dim, index, source, *, out=None): input with source's slices copied to the positions "
         "in index along dim.",
         py::arg("dim"), py::arg("index"), py::arg("source"), kw);
  def_op(m, cls, "index_fill", &index_fill_, true, false,
         "index_fill(input, dim, index, value): input with the slices at index along dim set to value.",
         py::arg("dim"), py::arg("index"), py::arg("value"));
  def_op(m, cls, "index_put", &index_put_py, true, false,
         "index_put(input, indices, values, accumulate=False): input[indices] = values (+= with accumulate).",
         py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  def_op(m, cls, "put", &put_py, true, false,
         "put(input, index, source, accumulate=False): input flattened, with source written (or added) at index.",
         py::arg("index"), py::arg("source"), py::arg("accumulate") = false);
  def_op(m, cls, "histc", &histc_, false, true,
         "histc(input, bins=100, min=0, max=0, *, out=None): histogram of input's values in bins equal bins over "
         "[min, max] (the data's range when both are 0); values outside are ignored.",
         py::arg("bins") = 100, py::arg("min") = 0, py::arg("max") = 0, kw);

  const char* nz_doc = "nonzero(input, *, out=None, as_tuple=False): the indices of the nonzero elements, one row "
                       "each (int64 [n, input.dim()]), or one tensor per dim with as_tuple=True.";
  m.def("nonzero", &nonzero_py, py::arg("input"), kw, py::arg("as_tuple") = false, py::arg("out") = py::none(),
        nz_doc);
  cls.def("nonzero", [](const Tensor& s, bool as_tuple) { return nonzero_py(s, as_tuple, std::nullopt); }, kw,
          py::arg("as_tuple") = false, nz_doc);
  const char* aw_doc = "argwhere(input): the indices of the nonzero elements, one row each (int64 [n, input.dim()]).";
  m.def("argwhere", [](const Tensor& s) { py::gil_scoped_release nogil; return nonzero(s); }, py::arg("input"), aw_doc);
  cls.def("argwhere", [](const Tensor& s) { py::gil_scoped_release nogil; return nonzero(s); }, aw_doc);

  auto bincount_fn = [](const Tensor& s, std::optional<Tensor> weights, int64_t minlength) {
    py::gil_scoped_release nogil;
    return bincount(s, weights, minlength);
  };
  const char* bc_doc = "bincount(input, weights=None, minlength=0): the count (or summed weight) of each value of a "
                       "1-d non-negative integer tensor.";
  m.def("bincount", bincount_fn, py::arg("input"), py::arg("weights") = py::none(), py::arg("minlength") = 0, bc_doc);
  cls.def("bincount", bincount_fn, py::arg("weights") = py::none(), py::arg("minlength") = 0, bc_doc);

  py::module_ nn = m.attr("_nn");
  nn.def("one_hot", [](const Tensor& s, int64_t num_classes) {
    py::gil_scoped_release nogil;
    return one_hot(s, num_classes);
  }, py::arg("tensor"), py::arg("num_classes") = -1,
     "one_hot(tensor, num_classes=-1): int64 tensor with a trailing dim of num_classes (max + 1 when -1) holding 1 "
     "at each value's position.");
}

}  // namespace pydl::python
