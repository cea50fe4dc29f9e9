// Bindings of the elementwise math ops: functions (pydl.exp(x, out=...)), Tensor methods and
// in-place variants (x.exp(), x.exp_()); the Python operators are in operators_py.cpp. Each
// call converts its arguments, releases the GIL and goes straight to the C++ op.
#include "ops/ops.h"
#include "python/bindings.h"

namespace pydl::python {

// A tensor, or a Python number wrapped as a 0-d tensor that promotes like a number; nullopt
// for anything else.
std::optional<Tensor> as_operand(py::handle h) {
  Tensor t;
  if (tensor_from_python(h.ptr(), &t)) return t;
  if (is_python_number(h)) return wrap_scalar(scalar_from_python(h, "other"));
  return std::nullopt;
}

Tensor operand(py::handle h, const char* op, const char* arg) {
  std::optional<Tensor> t = as_operand(h);
  PYDL_CHECK_TYPE(t.has_value(), op, "(): argument '", arg, "' must be Tensor or Number, not ", type_name(h));
  return *t;
}

// out= keyword: None or a tensor.
std::optional<Tensor> out_tensor(const py::object& out, const char* op) {
  if (out.is_none()) return std::nullopt;
  PYDL_CHECK_TYPE(py::isinstance<TensorImpl>(out), op, "(): argument 'out' must be Tensor, not ", type_name(out));
  return out.cast<Tensor>();
}

// Runs f(OutArg) for out=None / out=t, returning the result (the out tensor itself when given).
// An op bound under its PyTorch name and aliases (pydl.abs and pydl.absolute).
template <typename Op>
struct NamedOp {
  const char* name;
  Op op;
  std::vector<const char*> aliases;
  std::vector<std::string> names() const {
    std::vector<std::string> all{name};
    for (const char* a : aliases) all.emplace_back(a);
    return all;
  }
};

static const std::vector<NamedOp<UnaryOp>>& unary_bindings() {
  static const std::vector<NamedOp<UnaryOp>> table = {
      {"neg", UnaryOp::Neg, {"negative"}}, {"abs", UnaryOp::Abs, {"absolute"}}, {"sign", UnaryOp::Sign, {}},
      {"square", UnaryOp::Square, {}}, {"floor", UnaryOp::Floor, {}}, {"ceil", UnaryOp::Ceil, {}},
      {"trunc", UnaryOp::Trunc, {"fix"}}, {"frac", UnaryOp::Frac, {}},
      {"bitwise_not", UnaryOp::BitwiseNot, {}}, {"logical_not", UnaryOp::LogicalNot, {}},
      {"isnan", UnaryOp::IsNan, {}}, {"isinf", UnaryOp::IsInf, {}}, {"isposinf", UnaryOp::IsPosInf, {}},
      {"isneginf", UnaryOp::IsNegInf, {}}, {"isfinite", UnaryOp::IsFinite, {}},
      {"exp", UnaryOp::Exp, {}}, {"exp2", UnaryOp::Exp2, {}}, {"expm1", UnaryOp::Expm1, {}},
      {"log", UnaryOp::Log, {}}, {"log2", UnaryOp::Log2, {}}, {"log10", UnaryOp::Log10, {}},
      {"log1p", UnaryOp::Log1p, {}}, {"sqrt", UnaryOp::Sqrt, {}}, {"rsqrt", UnaryOp::Rsqrt, {}},
      {"reciprocal", UnaryOp::Reciprocal, {}}, {"sin", UnaryOp::Sin, {}}, {"cos", UnaryOp::Cos, {}},
      {"tan", UnaryOp::Tan, {}}, {"asin", UnaryOp::Asin, {"arcsin"}}, {"acos", UnaryOp::Acos, {"arccos"}},
      {"atan", UnaryOp::Atan, {"arctan"}}, {"sinh", UnaryOp::Sinh, {}}, {"cosh", UnaryOp::Cosh, {}},
      {"tanh", UnaryOp::Tanh, {}}, {"asinh", UnaryOp::Asinh, {"arcsinh"}}, {"acosh", UnaryOp::Acosh, {"arccosh"}},
      {"atanh", UnaryOp::Atanh, {"arctanh"}}, {"sigmoid", UnaryOp::Sigmoid, {}}, {"erf", UnaryOp::Erf, {}},
      {"erfc", UnaryOp::Erfc, {}}, {"erfinv", UnaryOp::Erfinv, {}}, {"relu", UnaryOp::Relu, {}},
  };
  return table;
}

static const std::vector<NamedOp<BinaryOp>>& binary_bindings() {
  static const std::vector<NamedOp<BinaryOp>> table = {
      {"mul", BinaryOp::Mul, {"multiply"}}, {"true_divide", BinaryOp::Div, {}},
      {"floor_divide", BinaryOp::DivFloor, {}}, {"remainder", BinaryOp::Remainder, {}},
      {"fmod", BinaryOp::Fmod, {}}, {"atan2", BinaryOp::Atan2, {"arctan2"}}, {"hypot", BinaryOp::Hypot, {}},
      {"maximum", BinaryOp::Maximum, {}}, {"minimum", BinaryOp::Minimum, {}}, {"fmax", BinaryOp::Fmax, {}},
      {"fmin", BinaryOp::Fmin, {}}, {"bitwise_and", BinaryOp::BitwiseAnd, {}},
      {"bitwise_or", BinaryOp::BitwiseOr, {}}, {"bitwise_xor", BinaryOp::BitwiseXor, {}},
      {"bitwise_left_shift", BinaryOp::LeftShift, {}}, {"bitwise_right_shift", BinaryOp::RightShift, {}},
      {"copysign", BinaryOp::Copysign, {}}, {"xlogy", BinaryOp::Xlogy, {}},
      {"eq", BinaryOp::Eq, {}}, {"ne", BinaryOp::Ne, {"not_equal"}}, {"lt", BinaryOp::Lt, {"less"}},
      {"le", BinaryOp::Le, {"less_equal"}}, {"gt", BinaryOp::Gt, {"greater"}},
      {"ge", BinaryOp::Ge, {"greater_equal"}}, {"logical_and", BinaryOp::LogicalAnd, {}},
      {"logical_or", BinaryOp::LogicalOr, {}}, {"logical_xor", BinaryOp::LogicalXor, {}},
  };
  return table;
}

void init_math(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  for (const NamedOp<UnaryOp>& ub : unary_bindings()) {
    const UnaryOp op = ub.op;
    const char* doc_name = ub.name;
    for (const std::string& n : ub.names()) {
      std::string doc = std::string(doc_name) + "(input, *, out=None) -> Tensor: elementwise " + doc_name + ", like torch." + doc_name + ".";
      m.def(n.c_str(), [op, doc_name](const Tensor& x, py::object out) {
        return with_out(out, doc_name, [&](OutArg d) { return unary(op, x, {}, d); });
      }, py::arg("input"), py::kw_only(), py::arg("out") = py::none(), doc.c_str());
      cls.def(n.c_str(), [op](const Tensor& x) { py::gil_scoped_release nogil; return unary(op, x); }, doc.c_str());
      cls.def((n + "_").c_str(), [op](Tensor x) { return in_place(x, [&](OutArg d) { return unary(op, x, {}, d); }); },
              ("In-place " + n + "; returns self.").c_str());
    }
  }
  for (const NamedOp<BinaryOp>& bb : binary_bindings()) {
    const BinaryOp op = bb.op;
    const char* nm = bb.name;
    for (const std::string& n : bb.names()) {
      std::string doc = std::string(nm) + "(input, other, *, out=None) -> Tensor: elementwise, with broadcasting and "
                        "type promotion, like torch." + nm + ".";
      m.def(n.c_str(), [op, nm](py::object a, py::object b, py::object out) {
        Tensor ta = operand(a, nm, "input"), tb = operand(b, nm, "other");
        return with_out(out, nm, [&](OutArg d) { return binary(op, ta, tb, {}, d); });
      }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("out") = py::none(), doc.c_str());
      cls.def(n.c_str(), [op, nm](const Tensor& a, py::object b) {
        Tensor tb = operand(b, nm, "other");
        py::gil_scoped_release nogil;
        return binary(op, a, tb);
      }, py::arg("other"), doc.c_str());
      cls.def((n + "_").c_str(), [op, nm](Tensor a, py::object b) {
        Tensor tb = operand(b, nm, "other");
        return in_place(a, [&](OutArg d) { return binary(op, a, tb, {}, d); });
      }, py::arg("other"));
    }
  }
}

}  // namespace pydl::python
