// Bindings of the matrix products (csrc/ops/linalg.cpp): pydl.mm / bmm / mv / dot / vdot /
// outer (ger) / matmul with out=, the add* forms with beta= and alpha= and their in-place
// Tensor methods, einsum / tensordot / kron (csrc/ops/einsum.cpp), pydl.linalg.matmul and torch.nn.functional.linear in pydl._C._nn.
#include "python/bindings.h"
#include "python/fast_call.h"

namespace pydl::python {

using py::arg;
using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;
using ProductFn = Tensor (*)(const Tensor&, const Tensor&, OutArg);
using AddProductFn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const Scalar&, const Scalar&, OutArg);

namespace {

// pydl.<name>(input, other, *, out=None), a fast function (python/fast_call.h): on small
// operands pybind11's dispatch cost as much as the product. One per product, for good.
struct Product {
  const char* name;
  ProductFn fn;
  std::array<const char*, 3> params;  // input, <other>, out
};

PyObject* call_product(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return guarded([&] {
    const Product& p = fast_data<Product>(self);
    const CallArgs<3> call(p.name, p.params, 2, 2, args, nargs, kwnames);
    const Tensor a = call.tensor(0), b = call.tensor(1);
    const auto out = py::reinterpret_borrow<py::object>(call[2] ? call[2] : Py_None);
    return py::cast(with_out(out, p.name, [&](OutArg d) { return p.fn(a, b, d); }, a.numel() + b.numel()));
  });
}

// pydl.<name>(input, other, *, out=None) and Tensor.<name>(other); `other` is the second name.
void def_product(py::module_& m, TensorClass& cls, const char* name, const char* other, ProductFn fn,
                 const char* doc) {
  def_fast_function(m, name, &call_product, doc, new Product{name, fn, {"input", other, "out"}});
  cls.def(name, [fn](const Tensor& a, const Tensor& b) {
    return without_gil_if_large(a.numel() + b.numel(), [&] { return fn(a, b, OutArg{}); });
  }, arg(other), doc);
}

// pydl.<name>(input, m1, m2, *, beta=1, alpha=1, out=None), Tensor.<name> and Tensor.<name>_.
void def_add_product(py::module_& m, TensorClass& cls, const char* name, const char* m1, const char* m2,
                     AddProductFn fn, const char* doc) {
  const Scalar one(int64_t{1});
  m.def(name, [fn, name](const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta,
                         const Scalar& alpha, py::object out) {
    return with_out(out, name, [&](OutArg d) { return fn(input, a, b, beta, alpha, d); });
  }, arg("input"), arg(m1), arg(m2), py::kw_only(), arg("beta") = one, arg("alpha") = one, arg("out") = py::none(),
     doc);
  cls.def(name, [fn](const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
    py::gil_scoped_release nogil;
    return fn(input, a, b, beta, alpha, OutArg{});
  }, arg(m1), arg(m2), py::kw_only(), arg("beta") = one, arg("alpha") = one, doc);
  cls.def((std::string(name) + "_").c_str(), [fn](Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta,
                                                  const Scalar& alpha) {
    return in_place(input, [&](OutArg d) { return fn(input, a, b, beta, alpha, d); });
  }, arg(m1), arg(m2), py::kw_only(), arg("beta") = one, arg("alpha") = one,
     (std::string("In-place version of ") + name + ": self = beta * self + alpha * product.").c_str());
}

}  // namespace

void init_linalg(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  def_product(m, cls, "mm", "mat2", &mm,
              "mm(input, mat2, *, out=None) -> Tensor: the (n, k) @ (k, m) matrix product. Both operands 2-D and "
              "of one dtype; float16/bfloat16 accumulate in float32, integers wrap.");
  def_product(m, cls, "bmm", "mat2", &bmm,
              "bmm(input, mat2, *, out=None) -> Tensor: batched matrix product (b, n, k) @ (b, k, m) -> (b, n, m). "
              "No broadcasting (matmul broadcasts).");
  def_product(m, cls, "mv", "vec", &mv, "mv(input, vec, *, out=None) -> Tensor: matrix (n, m) times vector (m,).");
  def_product(m, cls, "dot", "tensor", &dot,
              "dot(input, tensor, *, out=None) -> Tensor: the inner product of two 1-D tensors of one dtype, 0-d.");
  def_product(m, cls, "vdot", "other", &vdot,
              "vdot(input, other, *, out=None) -> Tensor: dot product conjugating the first vector (pydl has only "
              "real dtypes, so it equals dot).");
  def_product(m, cls, "outer", "vec2", &outer,
              "outer(input, vec2, *, out=None) -> Tensor: the outer product input[i] * vec2[j] of two 1-D tensors "
              "(types promote as for *).");
  def_product(m, cls, "ger", "vec2", &outer, "ger(input, vec2, *, out=None) -> Tensor: alias of outer.");
  def_product(m, cls, "matmul", "other", &matmul,
              "matmul(input, other, *, out=None) -> Tensor: the matrix product with PyTorch's rank rules: 1-D . 1-D "
              "is dot, 2-D @ 1-D is mv, a 1-D left operand is a row vector, and batch dims (all but the last two) "
              "broadcast. This is `input @ other`.");
  def_add_product(m, cls, "addmm", "mat1", "mat2", &addmm,
                  "addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor: beta * input + alpha * (mat1 @ "
                  "mat2), input broadcast to the product's shape. beta=0 ignores input (NaN there does not "
                  "propagate).");
  def_add_product(m, cls, "baddbmm", "batch1", "batch2", &baddbmm,
                  "baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor: beta * input + alpha * "
                  "bmm(batch1, batch2).");
  def_add_product(m, cls, "addbmm", "batch1", "batch2", &addbmm,
                  "addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor: beta * input + alpha * the "
                  "sum over the batch of batch1[i] @ batch2[i] (one GEMM over the concatenated K).");
  def_add_product(m, cls, "addmv", "mat", "vec", &addmv,
                  "addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor: beta * input + alpha * (mat @ "
                  "vec).");

  m.def("einsum", [](const std::string& equation, py::args args) {
    // einsum(eq, a, b) or einsum(eq, [a, b]), as torch accepts both.
    std::vector<Tensor> operands;
    if (args.size() == 1 && (py::isinstance<py::list>(args[0]) || py::isinstance<py::tuple>(args[0])))
      operands = py::cast<std::vector<Tensor>>(args[0]);
    else
      operands = py::cast<std::vector<Tensor>>(args);
    py::gil_scoped_release nogil;
    return einsum(equation, operands);
  }, arg("equation"),
     "einsum(equation, *operands) -> Tensor: Einstein summation, e.g. 'bij,bjk->bik'. Subscripts are letters, "
     "'...' stands for broadcast dims, a repeated subscript in one operand takes its diagonal, and without '->' "
     "the output is the subscripts used once, sorted. Contractions that are matrix products run as one GEMM.");
  m.def("tensordot", [](const Tensor& a, const Tensor& b, py::object dims) {
    if (py::isinstance<py::int_>(dims)) {
      const int64_t n = dims.cast<int64_t>();
      py::gil_scoped_release nogil;
      return tensordot(a, b, n);
    }
    auto pair = dims.cast<std::vector<py::object>>();
    if (pair.size() != 2) throw py::type_error("tensordot expects dims to be an int or a pair of dim lists");
    auto as_dims = [](const py::object& o) {
      return py::isinstance<py::int_>(o) ? Shape{o.cast<int64_t>()} : o.cast<Shape>();
    };
    const Shape da = as_dims(pair[0]), db = as_dims(pair[1]);
    py::gil_scoped_release nogil;
    return tensordot(a, b, da, db);
  }, arg("a"), arg("b"), arg("dims") = 2,
     "tensordot(a, b, dims=2) -> Tensor: sums a * b over the last `dims` dims of a and the first of b, or over "
     "the dims listed in dims=([a dims], [b dims]); one GEMM.");
  m.def("kron", [](const Tensor& a, const Tensor& b, py::object out) {
    return with_out(out, "kron", [&](OutArg d) { return kron(a, b, d); });
  }, arg("input"), arg("other"), py::kw_only(), arg("out") = py::none(),
     "kron(input, other, *, out=None) -> Tensor: the Kronecker product (block matrix of input[i] * other).");
  cls.def("kron", [](const Tensor& a, const Tensor& b) {
    py::gil_scoped_release nogil;
    return kron(a, b);
  }, arg("other"), "kron(other) -> Tensor: the Kronecker product, see pydl.kron.");

  py::module_ linalg = m.attr("_linalg");
  linalg.def("matmul", [](const Tensor& a, const Tensor& b, py::object out) {
    return with_out(out, "linalg.matmul", [&](OutArg d) { return matmul(a, b, d); });
  }, arg("input"), arg("other"), py::kw_only(), arg("out") = py::none(), "linalg.matmul: alias of pydl.matmul.");

  py::module_ nn = m.attr("_nn");
  nn.def("linear", [](const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias) {
    py::gil_scoped_release nogil;
    return linear(x, weight, bias);
  }, arg("input"), arg("weight"), arg("bias") = py::none(),
     "linear(input, weight, bias=None) -> Tensor: input @ weight.T + bias, input (..., in_features), weight "
     "(out_features, in_features). The transpose is a view and the bias is the GEMM's initial value, so nothing "
     "extra is materialised.");
}

}  // namespace pydl::python
