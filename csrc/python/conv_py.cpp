// Bindings of convolution, fold/unfold and pooling (csrc/ops/conv.cpp, fold.cpp, pool.cpp) into
// pydl._C._nn with torch.nn.functional's signatures: window parameters as an int or a tuple,
// conv padding also 'same' / 'valid', pooling stride=None meaning the kernel size. The
// top-level forms PyTorch also has (torch.conv2d, torch.max_pool2d, ...) are added to pydl.
#include <string>

#include "python/bindings.h"

namespace pydl::python {
namespace {

using py::arg;

Shape ints(py::handle h, const char* op, const char* name) {
  return shape_from_python(h, (std::string(op) + "(): argument '" + name + "'").c_str());
}

// Conv padding: an int, a tuple, or 'same' / 'valid'.
void parse_padding(py::handle h, const char* op, ConvOptions& o) {
  if (py::isinstance<py::str>(h)) {
    const std::string s = h.cast<std::string>();
    PYDL_CHECK(s == "same" || s == "valid", "Invalid padding string: '", s, "'");
    o.same = s == "same";
    o.padding = Shape{0};
    return;
  }
  o.padding = ints(h, op, "padding");
}

Tensor conv(const char* op, int nd, const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, py::handle stride,
            py::handle padding, py::handle dilation, int64_t groups) {
  ConvOptions o;
  o.stride = ints(stride, op, "stride");
  parse_padding(padding, op, o);
  o.dilation = ints(dilation, op, "dilation");
  o.groups = groups;
  py::gil_scoped_release nogil;
  return convolution(op, x, w, b, nd, o);
}

Tensor conv_transpose(const char* op, int nd, const Tensor& x, const Tensor& w, const std::optional<Tensor>& b,
                      py::handle stride, py::handle padding, py::handle output_padding, int64_t groups,
                      py::handle dilation) {
  ConvOptions o;
  o.transposed = true;
  o.stride = ints(stride, op, "stride");
  PYDL_CHECK_TYPE(!py::isinstance<py::str>(padding), op, "(): argument 'padding' must be tuple of ints, not str");
  o.padding = ints(padding, op, "padding");
  o.output_padding = ints(output_padding, op, "output_padding");
  o.dilation = ints(dilation, op, "dilation");
  o.groups = groups;
  py::gil_scoped_release nogil;
  return convolution(op, x, w, b, nd, o);
}

PoolOptions pool_options(const char* op, py::handle kernel, py::handle stride, py::handle padding,
                         py::handle dilation, bool ceil_mode) {
  PoolOptions o;
  o.kernel_size = ints(kernel, op, "kernel_size");
  // stride=None (or an empty tuple, as torch accepts) means the kernel size.
  if (!stride.is_none()) o.stride = ints(stride, op, "stride");
  o.padding = ints(padding, op, "padding");
  o.dilation = ints(dilation, op, "dilation");
  o.ceil_mode = ceil_mode;
  return o;
}

int64_t non_negative(int64_t v, const char* op) {
  PYDL_CHECK(v >= 0, op, ": elements of output_size must be greater than or equal to 0 but received ", v);
  return v;
}

// Adaptive output sizes: an int, or a tuple whose None entries keep the input's size (-1).
Shape output_size(py::handle h, const char* op) {
  if (py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h)) {
    Shape s;
    for (py::handle item : h) s.push_back(item.is_none() ? -1 : non_negative(ints(item, op, "output_size")[0], op));
    return s;
  }
  Shape s = ints(h, op, "output_size");
  for (int64_t& v : s) v = non_negative(v, op);
  return s;
}

py::object pair_or_first(const TensorPair& r, bool both) {
  if (both) return py::make_tuple(r.first, r.second);
  return py::cast(r.first);
}

void def_conv(py::module_& m, py::module_& root, int nd) {
  static const char* names[3] = {"conv1d", "conv2d", "conv3d"};
  static const char* tnames[3] = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d"};
  const char* name = names[nd - 1];
  const char* tname = tnames[nd - 1];
  auto f = [name, nd](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, py::object stride,
                      py::object padding, py::object dilation, int64_t groups) {
    return conv(name, nd, x, w, b, stride, padding, dilation, groups);
  };
  const std::string doc = std::string(name) +
                          "(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor: "
                          "cross-correlation over " + std::to_string(nd) +
                          " spatial dims; padding may be 'same' or 'valid'.";
  for (py::module_* mod : {&m, &root})
    mod->def(name, f, arg("input"), arg("weight"), arg("bias") = py::none(), arg("stride") = 1, arg("padding") = 0,
             arg("dilation") = 1, arg("groups") = 1, doc.c_str());
  auto t = [tname, nd](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, py::object stride,
                       py::object padding, py::object output_padding, int64_t groups, py::object dilation) {
    return conv_transpose(tname, nd, x, w, b, stride, padding, output_padding, groups, dilation);
  };
  const std::string tdoc = std::string(tname) +
                           "(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)"
                           " -> Tensor: the transposed convolution (the gradient of " + name +
                           " with respect to its input), weight [in, out / groups, kernel...].";
  for (py::module_* mod : {&m, &root})
    mod->def(tname, t, arg("input"), arg("weight"), arg("bias") = py::none(), arg("stride") = 1, arg("padding") = 0,
             arg("output_padding") = 0, arg("groups") = 1, arg("dilation") = 1, tdoc.c_str());
}

void def_pools(py::module_& m, py::module_& root, int nd) {
  static const char* max_names[3] = {"max_pool1d", "max_pool2d", "max_pool3d"};
  static const char* maxi_names[3] = {"max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices"};
  static const char* avg_names[3] = {"avg_pool1d", "avg_pool2d", "avg_pool3d"};
  static const char* aavg_names[3] = {"adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d"};
  static const char* amax_names[3] = {"adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"};
  static const char* amaxi_names[3] = {"adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
                                       "adaptive_max_pool3d_with_indices"};
  const char* mx = max_names[nd - 1];
  auto max_fn = [mx, nd](const Tensor& x, py::object k, py::object s, py::object p, py::object d, bool ceil_mode,
                         bool return_indices) {
    PoolOptions o = pool_options(mx, k, s, p, d, ceil_mode);
    o.return_indices = return_indices;
    TensorPair r;
    {
      py::gil_scoped_release nogil;
      r = max_pool(mx, x, nd, o);
    }
    return pair_or_first(r, return_indices);
  };
  const std::string max_doc = std::string(mx) +
      "(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False): the "
      "maximum of each window (stride defaults to kernel_size); indices are flat positions in each input plane.";
  for (py::module_* mod : {&m, &root})
    mod->def(mx, max_fn, arg("input"), arg("kernel_size"), arg("stride") = py::none(), arg("padding") = 0,
             arg("dilation") = 1, arg("ceil_mode") = false, arg("return_indices") = false, max_doc.c_str());
  m.def(maxi_names[nd - 1], [max_fn](const Tensor& x, py::object k, py::object s, py::object p, py::object d,
                                     bool ceil_mode, bool) { return max_fn(x, k, s, p, d, ceil_mode, true); },
        arg("input"), arg("kernel_size"), arg("stride") = py::none(), arg("padding") = 0, arg("dilation") = 1,
        arg("ceil_mode") = false, arg("return_indices") = true, "max_pool with return_indices=True.");

  const char* av = avg_names[nd - 1];
  auto avg_fn = [av, nd](const Tensor& x, py::object k, py::object s, py::object p, bool ceil_mode,
                         bool count_include_pad, std::optional<int64_t> divisor_override) {
    PoolOptions o = pool_options(av, k, s, p, py::int_(1), ceil_mode);
    o.count_include_pad = count_include_pad;
    PYDL_CHECK(!divisor_override || *divisor_override != 0, av, ": divisor must be not zero");
    o.divisor_override = divisor_override.value_or(0);
    py::gil_scoped_release nogil;
    return avg_pool(av, x, nd, o);
  };
  const std::string avg_doc = std::string(av) +
      "(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True"
      + (nd > 1 ? ", divisor_override=None" : "") + "): the mean of each window.";
  if (nd == 1) {
    auto avg1 = [avg_fn](const Tensor& x, py::object k, py::object s, py::object p, bool ceil_mode, bool cip) {
      return avg_fn(x, k, s, p, ceil_mode, cip, std::nullopt);
    };
    for (py::module_* mod : {&m, &root})
      mod->def(av, avg1, arg("input"), arg("kernel_size"), arg("stride") = py::none(), arg("padding") = 0,
               arg("ceil_mode") = false, arg("count_include_pad") = true, avg_doc.c_str());
  } else {
    m.def(av, avg_fn, arg("input"), arg("kernel_size"), arg("stride") = py::none(), arg("padding") = 0,
          arg("ceil_mode") = false, arg("count_include_pad") = true, arg("divisor_override") = py::none(),
          avg_doc.c_str());
  }

  const char* aa = aavg_names[nd - 1];
  auto aavg = [aa, nd](const Tensor& x, py::object size) {
    Shape s = output_size(size, aa);
    py::gil_scoped_release nogil;
    return adaptive_avg_pool(aa, x, nd, s);
  };
  const std::string aavg_doc = std::string(aa) + "(input, output_size): average pooling to a given output size.";
  m.def(aa, aavg, arg("input"), arg("output_size"), aavg_doc.c_str());
  if (nd == 1) root.def(aa, aavg, arg("input"), arg("output_size"), aavg_doc.c_str());

  const char* am = amax_names[nd - 1];
  auto amax = [am, nd](const Tensor& x, py::object size, bool return_indices) {
    Shape s = output_size(size, am);
    TensorPair r;
    {
      py::gil_scoped_release nogil;
      r = adaptive_max_pool(am, x, nd, s, return_indices);
    }
    return pair_or_first(r, return_indices);
  };
  const std::string amax_doc = std::string(am) +
                               "(input, output_size, return_indices=False): max pooling to a given output size.";
  m.def(am, amax, arg("input"), arg("output_size"), arg("return_indices") = false, amax_doc.c_str());
  m.def(amaxi_names[nd - 1], [amax](const Tensor& x, py::object size, bool) { return amax(x, size, true); },
        arg("input"), arg("output_size"), arg("return_indices") = true, "adaptive max pooling with indices.");
  if (nd == 1)
    root.def(am, [amax](const Tensor& x, py::object size) { return amax(x, size, true); }, arg("input"),
             arg("output_size"), "adaptive_max_pool1d returning (values, indices), as torch.adaptive_max_pool1d.");
}

}  // namespace

void init_conv(py::module_& root) {
  py::module_ m = root.attr("_nn").cast<py::module_>();
  for (int nd = 1; nd <= 3; ++nd) {
    def_conv(m, root, nd);
    def_pools(m, root, nd);
  }
  m.def("unfold", [](const Tensor& x, py::object k, py::object d, py::object p, py::object s) {
    Shape kk = ints(k, "unfold", "kernel_size"), dd = ints(d, "unfold", "dilation");
    Shape pp = ints(p, "unfold", "padding"), ss = ints(s, "unfold", "stride");
    py::gil_scoped_release nogil;
    return im2col(x, kk, dd, pp, ss);
  }, arg("input"), arg("kernel_size"), arg("dilation") = 1, arg("padding") = 0, arg("stride") = 1,
     "unfold(input, kernel_size, dilation=1, padding=0, stride=1): sliding blocks of a [N, C, H, W] input as "
     "columns [N, C * prod(kernel_size), L] (im2col).");
  m.def("fold", [](const Tensor& x, py::object out, py::object k, py::object d, py::object p, py::object s) {
    Shape oo = ints(out, "fold", "output_size"), kk = ints(k, "fold", "kernel_size");
    Shape dd = ints(d, "fold", "dilation"), pp = ints(p, "fold", "padding"), ss = ints(s, "fold", "stride");
    py::gil_scoped_release nogil;
    return col2im(x, oo, kk, dd, pp, ss);
  }, arg("input"), arg("output_size"), arg("kernel_size"), arg("dilation") = 1, arg("padding") = 0,
     arg("stride") = 1,
     "fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1): the adjoint of unfold, summing "
     "overlapping blocks into [N, C, *output_size] (col2im).");
}

}  // namespace pydl::python
