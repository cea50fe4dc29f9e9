// pydl._C._nn: the activation functions of torch.nn.functional, with PyTorch's signatures
// (relu(input, inplace=False), gelu(input, approximate='none'), ...). pydl.nn.functional
// re-exports them, so F.gelu(x) calls C++ directly. Also the top-level and method forms
// PyTorch has (torch.selu, x.relu_(), ...).
#include "python/bindings.h"

namespace pydl::python {

static Tensor act(UnaryOp op, Tensor x, const OpParams& p, bool inplace) {
  py::gil_scoped_release nogil;
  return inplace ? unary(op, x, p, OutArg::self(x)) : unary(op, x, p);
}

static OpParams params(double a, double b = 0, double c = 0) { return OpParams{a, b, c}; }

static Tensor hardtanh(Tensor x, double lo, double hi, bool inplace) {
  PYDL_CHECK(lo <= hi, "hardtanh: min_val cannot be greater than max_val, got ", lo, " > ", hi);
  PYDL_CHECK(x.dtype() != ScalarType::Bool, "Bool inputs not supported for hardtanh");
  PYDL_CHECK(!(x.dtype() == ScalarType::UInt8 && (lo < 0 || hi < 0)),
             "cannot do hardtanh on an unsigned type with negative limits");
  // Integer tensors keep their dtype: the bounds are whole numbers for them (relu6 on int8).
  auto bound = [&](double v) { return is_floating(x.dtype()) ? Scalar(v) : Scalar(static_cast<int64_t>(v)); };
  Scalar l = bound(lo), h = bound(hi);
  py::gil_scoped_release nogil;
  return inplace ? clamp(x, l, h, OutArg::self(x)) : clamp(x, l, h);
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

void init_nn_functional(py::module_& root) {
  py::module_ m = root.def_submodule("_nn", "Activation functions with torch.nn.functional's signatures.");
  using py::arg;
  m.def("relu", [](Tensor x, bool inplace) { return act(UnaryOp::Relu, x, {}, inplace); }, arg("input"),
        arg("inplace") = false, "max(0, x) elementwise.");
  m.def("relu6", [](Tensor x, bool inplace) { return hardtanh(x, 0.0, 6.0, inplace); }, arg("input"),
        arg("inplace") = false, "min(max(0, x), 6) elementwise.");
  m.def("leaky_relu", [](Tensor x, double slope, bool inplace) { return act(UnaryOp::LeakyRelu, x, params(slope), inplace); },
        arg("input"), arg("negative_slope") = 0.01, arg("inplace") = false, "x if x > 0 else negative_slope * x.");
  m.def("elu", [](Tensor x, double alpha, bool inplace) { return act(UnaryOp::Elu, x, params(alpha, 1.0, 1.0), inplace); },
        arg("input"), arg("alpha") = 1.0, arg("inplace") = false, "x if x > 0 else alpha * (exp(x) - 1).");
  m.def("selu", [](Tensor x, bool inplace) { return act(UnaryOp::Elu, x, params(kSeluAlpha, kSeluScale, 1.0), inplace); },
        arg("input"), arg("inplace") = false, "scale * elu(x, alpha) with the self-normalising constants.");
  m.def("celu", [](Tensor x, double alpha, bool inplace) {
    PYDL_CHECK(alpha != 0, "ZeroDivisionError: alpha cannot be 0 for CELU");
    return act(UnaryOp::Elu, x, params(alpha, 1.0, 1.0 / alpha), inplace);
  }, arg("input"), arg("alpha") = 1.0, arg("inplace") = false, "max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).");
  m.def("gelu", [](Tensor x, const std::string& approximate) {
    PYDL_CHECK(approximate == "none" || approximate == "tanh", "approximate argument must be either none or tanh.");
    return act(approximate == "tanh" ? UnaryOp::GeluTanh : UnaryOp::GeluErf, x, {}, false);
  }, arg("input"), arg("approximate") = "none", "x * Phi(x) (approximate='tanh': the tanh approximation).");
  m.def("silu", [](Tensor x, bool inplace) { return act(UnaryOp::Silu, x, {}, inplace); }, arg("input"),
        arg("inplace") = false, "x * sigmoid(x).");
  m.def("mish", [](Tensor x, bool inplace) { return act(UnaryOp::Mish, x, {}, inplace); }, arg("input"),
        arg("inplace") = false, "x * tanh(softplus(x)).");
  m.def("softplus", [](Tensor x, double beta, double threshold) {
    return act(UnaryOp::Softplus, x, params(beta, threshold), false);
  }, arg("input"), arg("beta") = 1.0, arg("threshold") = 20.0, "log(1 + exp(beta * x)) / beta, linear past threshold.");
  m.def("softsign", [](Tensor x) { return act(UnaryOp::Softsign, x, {}, false); }, arg("input"), "x / (1 + |x|).");
  m.def("hardtanh", &hardtanh, arg("input"), arg("min_val") = -1.0, arg("max_val") = 1.0, arg("inplace") = false,
        "clamp(x, min_val, max_val).");
  m.def("hardsigmoid", [](Tensor x, bool inplace) { return act(UnaryOp::Hardsigmoid, x, {}, inplace); },
        arg("input"), arg("inplace") = false, "relu6(x + 3) / 6.");
  m.def("hardswish", [](Tensor x, bool inplace) { return act(UnaryOp::Hardswish, x, {}, inplace); },
        arg("input"), arg("inplace") = false, "x * relu6(x + 3) / 6.");
  m.def("logsigmoid", [](Tensor x) { return act(UnaryOp::LogSigmoid, x, {}, false); }, arg("input"),
        "log(sigmoid(x)), computed without overflow.");
  m.def("sigmoid", [](Tensor x) { return act(UnaryOp::Sigmoid, x, {}, false); }, arg("input"), "1 / (1 + exp(-x)).");
  m.def("tanh", [](Tensor x) { return act(UnaryOp::Tanh, x, {}, false); }, arg("input"), "Hyperbolic tangent.");

  m.def("_sdpa_fused", [](const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& mask,
                          bool is_causal, double scale) {
    py::gil_scoped_release nogil;
    return scaled_dot_product_attention_fused(q, k, v, mask ? *mask : Tensor(), is_causal, scale);
  }, arg("query"), arg("key"), arg("value"), arg("attn_mask"), arg("is_causal"), arg("scale"),
        "The fused CPU kernel behind F.scaled_dot_product_attention (float32/float64, no dropout).");
  m.def("_layer_norm", [](const Tensor& x, int64_t normalized_ndim, const std::optional<Tensor>& weight,
                          const std::optional<Tensor>& bias, double eps) -> std::optional<Tensor> {
    py::gil_scoped_release nogil;
    Tensor out = layer_norm_fused(x, normalized_ndim, or_undefined(weight), or_undefined(bias), eps);
    return out.defined() ? std::optional<Tensor>(out) : std::nullopt;
  }, arg("input"), arg("normalized_ndim"), arg("weight"), arg("bias"), arg("eps"),
        "F.layer_norm's fused kernel (float32/float64), or None where it does not apply.");
  m.def("_cross_entropy", [](const Tensor& input, const Tensor& target, int64_t ignore_index,
                             const std::string& reduction) -> std::optional<Tensor> {
    py::gil_scoped_release nogil;
    Tensor out = cross_entropy_fused(input, target, ignore_index, reduction);
    return out.defined() ? std::optional<Tensor>(out) : std::nullopt;
  }, arg("input"), arg("target"), arg("ignore_index"), arg("reduction"),
        "F.cross_entropy's fused kernel for (N, C) logits and class indices, or None where it does not apply.");
  m.def("_batch_norm_train", [](const Tensor& x, const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                                double eps) -> std::optional<std::tuple<Tensor, Tensor, Tensor>> {
    py::gil_scoped_release nogil;
    std::vector<Tensor> r = batch_norm_fused(x, or_undefined(weight), or_undefined(bias), eps);
    if (r.empty()) return std::nullopt;
    return std::make_tuple(r[0], r[1], r[2]);
  }, arg("input"), arg("weight"), arg("bias"), arg("eps"),
        "F.batch_norm's fused training kernel: (output, batch mean, biased batch variance), or None.");

  // Top-level and method forms PyTorch also has.
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(root.attr("Tensor"));
  root.def("selu", [](Tensor x) { return act(UnaryOp::Elu, x, params(kSeluAlpha, kSeluScale, 1.0), false); }, arg("input"));
  root.def("celu", [](Tensor x, double alpha) { return act(UnaryOp::Elu, x, params(alpha, 1.0, 1.0 / alpha), false); },
           arg("input"), arg("alpha") = 1.0);
  root.def("relu_", [](Tensor x) { return act(UnaryOp::Relu, x, {}, true); }, arg("input"));
  cls.def("relu6", [](Tensor x) { return hardtanh(x, 0.0, 6.0, false); });
}

}  // namespace pydl::python
