// Bindings of the shape and joining ops (ops/joining.cpp, shape.cpp, triangle.cpp) and the
// function forms of the view ops that are Tensor methods (reshape, transpose, ...).
#include "python/bindings.h"

namespace pydl::python {
namespace {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// A list or tuple of tensors (a tensor is a sequence too, but not a tensor list).
std::vector<Tensor> tensor_list(py::handle h, const char* op) {
  PYDL_CHECK_TYPE(py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h), op,
                  "(): argument 'tensors' (position 1) must be tuple of Tensors, not ", type_name(h));
  std::vector<Tensor> out;
  size_t i = 0;
  for (py::handle item : h) {
    PYDL_CHECK_TYPE(py::isinstance<TensorImpl>(item), "expected Tensor as element ", i, " in argument 0, but got ",
                    type_name(item));
    out.push_back(item.cast<Tensor>());
    ++i;
  }
  return out;
}

// Runs a copying op with the GIL released (arguments already parsed).
template <typename F>
Tensor nogil(const F& f) {
  py::gil_scoped_release release;
  return f();
}

py::tuple to_tuple(const std::vector<Tensor>& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = py::cast(ts[i]);
  return out;
}

// Tensors given as varargs or as one list/tuple: meshgrid(a, b) / meshgrid([a, b]).
std::vector<Tensor> tensors_from_args(const py::args& args, const char* op) {
  if (args.size() == 1 && !py::isinstance<TensorImpl>(args[0])) return tensor_list(args[0], op);
  return tensor_list(args, op);
}

// `*dims` of a method, one sequence, or the keyword `key`: x.flip(0, 1) / x.flip((0, 1)) / x.flip(dims=0).
Shape method_dims(const py::args& args, const py::kwargs& kw, const char* key, const char* op) {
  if (args.size() == 0 && kw.contains(key)) return shape_from_python(kw[key], op);
  return dims_from_args(args, op);
}

std::optional<int64_t> optional_int(const py::object& h, const char* what) {
  if (h.is_none()) return std::nullopt;
  return int_from_python(h, what);
}

py::tuple split_any(const Tensor& t, const py::object& size_or_sizes, int64_t dim) {
  if (py::isinstance<py::sequence>(size_or_sizes) && !py::isinstance<TensorImpl>(size_or_sizes))
    return to_tuple(split_with_sizes(t, shape_from_python(size_or_sizes, "split(): argument 'split_size'"), dim));
  return to_tuple(split(t, int_from_python(size_or_sizes, "split(): argument 'split_size'"), dim));
}

py::tuple tensor_split_any(const Tensor& t, const py::object& arg, int64_t dim) {
  if (py::isinstance<TensorImpl>(arg)) {
    Tensor idx = arg.cast<Tensor>();
    PYDL_CHECK(idx.dtype() == ScalarType::Int64, "tensor_split expected tensor_indices_or_sections to have dtype of "
               "long, but got ", idx.dtype());
    PYDL_CHECK(idx.dim() <= 1, "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
               "one-dimensional tensor, but got a tensor with ", idx.dim(), " dims");
    Tensor host = contiguous(to(idx, std::nullopt, Device(DeviceType::CPU), false));
    const int64_t* p = host.data<int64_t>();
    if (idx.dim() == 0) return to_tuple(tensor_split(t, *p, dim));
    return to_tuple(tensor_split_indices(t, Shape(p, p + host.numel()), dim));
  }
  if (py::isinstance<py::sequence>(arg))
    return to_tuple(tensor_split_indices(t, shape_from_python(arg, "tensor_split(): argument 'indices'"), dim));
  return to_tuple(tensor_split(t, int_from_python(arg, "tensor_split(): argument 'sections'"), dim));
}

// tensor_split(input, indices_or_sections, dim=0), also with sections= / indices= keywords.
py::tuple tensor_split_args(const Tensor& t, const py::args& args, const py::kwargs& kw) {
  py::object what, dim = py::int_(0);
  if (args.size() > 0) what = args[0];
  if (args.size() > 1) dim = args[1];
  for (const char* k : {"indices_or_sections", "sections", "indices", "tensor_indices_or_sections"})
    if (kw.contains(k)) what = kw[k];
  if (kw.contains("dim")) dim = kw["dim"];
  PYDL_CHECK_TYPE(what, "tensor_split() missing required argument 'indices_or_sections'");
  return tensor_split_any(t, what, int_from_python(dim, "tensor_split(): argument 'dim'"));
}

Tensor repeat_interleave_any(const Tensor& t, const py::object& repeats, const py::object& dim,
                             const py::object& output_size) {
  auto d = optional_int(dim, "repeat_interleave(): argument 'dim'");
  auto n = optional_int(output_size, "repeat_interleave(): argument 'output_size'");
  if (py::isinstance<TensorImpl>(repeats)) {
    Tensor r = repeats.cast<Tensor>();
    return nogil([&] { return repeat_interleave(t, r, d, n); });
  }
  const int64_t r = int_from_python(repeats, "repeat_interleave(): argument 'repeats'");
  return nogil([&] { return repeat_interleave(t, r, d, n); });
}

py::object atleast(const py::args& args, int64_t n) {
  if (args.size() == 1 && py::isinstance<TensorImpl>(args[0])) return py::cast(atleast_nd(args[0].cast<Tensor>(), n));
  std::vector<Tensor> ts = tensors_from_args(args, n == 1 ? "atleast_1d" : n == 2 ? "atleast_2d" : "atleast_3d");
  for (Tensor& t : ts) t = atleast_nd(t, n);
  return to_tuple(ts);
}

// Functions over a tensor list with out=: cat, stack, hstack, ...
template <typename Op>
void def_joining(py::module_& m, const char* name, const Op& op, const char* doc) {
  m.def(name, [op, name](py::handle tensors, py::object out) {
    std::vector<Tensor> ts = tensor_list(tensors, name);
    return with_out(out, name, [&](OutArg d) { return op(ts, d); });
  }, py::arg("tensors"), py::kw_only(), py::arg("out") = py::none(), doc);
}

}  // namespace

void init_shape(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  using T = const Tensor&;

  // --- joining
  for (const char* name : {"cat", "concat", "concatenate"}) {
    const char* dim_name = std::string(name) == "concatenate" ? "axis" : "dim";
    m.def(name, [](py::handle tensors, int64_t dim, py::object out) {
      std::vector<Tensor> ts = tensor_list(tensors, "cat");
      return with_out(out, "cat", [&](OutArg d) { return cat(ts, dim, d); });
    }, py::arg("tensors"), py::arg(dim_name) = 0, py::kw_only(), py::arg("out") = py::none(),
       "Concatenates tensors along an existing dim (inputs promoted to a common dtype; 1-D empty "
       "tensors are skipped).");
  }
  m.def("stack", [](py::handle tensors, int64_t dim, py::object out) {
    std::vector<Tensor> ts = tensor_list(tensors, "stack");
    return with_out(out, "stack", [&](OutArg d) { return stack(ts, dim, d); });
  }, py::arg("tensors"), py::arg("dim") = 0, py::kw_only(), py::arg("out") = py::none(),
     "Joins equal-shaped tensors along a new dim.");
  def_joining(m, "hstack", [](const std::vector<Tensor>& ts, OutArg d) { return hstack(ts, d); },
              "Stacks column-wise (along dim 0 for 1-D inputs, else dim 1).");
  for (const char* name : {"vstack", "row_stack"})
    def_joining(m, name, [](const std::vector<Tensor>& ts, OutArg d) { return vstack(ts, d); },
                "Stacks row-wise: cat of atleast_2d inputs along dim 0.");
  def_joining(m, "dstack", [](const std::vector<Tensor>& ts, OutArg d) { return dstack(ts, d); },
              "Stacks depth-wise: cat of atleast_3d inputs along dim 2.");
  def_joining(m, "column_stack", [](const std::vector<Tensor>& ts, OutArg d) { return column_stack(ts, d); },
              "Stacks 0-d/1-D inputs as columns (and 2-D ones as they are) along dim 1.");
  m.def("atleast_1d", [](py::args a) { return atleast(a, 1); }, "Views with at least 1 dim.");
  m.def("atleast_2d", [](py::args a) { return atleast(a, 2); }, "Views with at least 2 dims.");
  m.def("atleast_3d", [](py::args a) { return atleast(a, 3); }, "Views with at least 3 dims.");

  // --- splitting (views)
  m.def("split", &split_any, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0,
        "Views of pieces of split_size (the last may be smaller), or of the given sizes.");
  cls.def("split", &split_any, py::arg("split_size"), py::arg("dim") = 0, "See pydl.split.");
  for (bool method : {false, true}) {
    auto f = [](T t, const Shape& sizes, int64_t dim) { return to_tuple(split_with_sizes(t, sizes, dim)); };
    if (method)
      cls.def("split_with_sizes", f, py::arg("split_sizes"), py::arg("dim") = 0, "See pydl.split_with_sizes.");
    else m.def("split_with_sizes", f, py::arg("input"), py::arg("split_sizes"), py::arg("dim") = 0,
               "Views of the given sizes along dim.");
  }
  auto chunk_f = [](T t, int64_t chunks, int64_t dim) { return to_tuple(chunk(t, chunks, dim)); };
  m.def("chunk", chunk_f, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0,
        "At most `chunks` views of equal size (ceil(size / chunks)) along dim.");
  cls.def("chunk", chunk_f, py::arg("chunks"), py::arg("dim") = 0, "See pydl.chunk.");
  auto unbind_f = [](T t, int64_t dim) { return to_tuple(unbind(t, dim)); };
  m.def("unbind", unbind_f, py::arg("input"), py::arg("dim") = 0, "The slices along dim, as a tuple of views.");
  cls.def("unbind", unbind_f, py::arg("dim") = 0, "See pydl.unbind.");
  m.def("tensor_split", &tensor_split_args, py::arg("input"),
        "Views split into `sections` near-equal parts, or at the given indices (NumPy's array_split).");
  cls.def("tensor_split", &tensor_split_args, "tensor_split(indices_or_sections, dim=0): see pydl.tensor_split.");

  // --- reordering
  m.def("flip", [](T t, py::object dims) {
    Shape d = shape_from_python(dims, "flip(): argument 'dims'");
    return nogil([&] { return flip(t, d); });
  },
        py::arg("input"), py::arg("dims"), "A copy with the order of elements reversed along dims.");
  cls.def("flip", [](T t, py::args a, py::kwargs kw) {
    Shape d = method_dims(a, kw, "dims", "flip(): argument 'dims'");
    return nogil([&] { return flip(t, d); });
  }, "flip(*dims): see pydl.flip.");
  auto fliplr_f = [](T t) {
    PYDL_CHECK(t.dim() >= 2, "Input must be >= 2-d.");
    return nogil([&] { return flip(t, Shape{1}); });
  };
  auto flipud_f = [](T t) {
    PYDL_CHECK(t.dim() >= 1, "Input must be >= 1-d.");
    return nogil([&] { return flip(t, Shape{0}); });
  };
  m.def("fliplr", fliplr_f, py::arg("input"), "flip along dim 1.");
  m.def("flipud", flipud_f, py::arg("input"), "flip along dim 0.");
  cls.def("fliplr", fliplr_f, "See pydl.fliplr.");
  cls.def("flipud", flipud_f, "See pydl.flipud.");
  auto roll_f = [](T t, py::object shifts, py::object dims) {
    Shape d = dims.is_none() ? Shape{} : shape_from_python(dims, "roll(): argument 'dims'");
    Shape s = shape_from_python(shifts, "roll(): argument 'shifts'");
    return nogil([&] { return roll(t, s, d); });
  };
  m.def("roll", roll_f, py::arg("input"), py::arg("shifts"), py::arg("dims") = py::none(),
        "A copy with elements shifted cyclically along dims (the flattened tensor when dims is None).");
  cls.def("roll", roll_f, py::arg("shifts"), py::arg("dims") = py::none(), "See pydl.roll.");
  auto rot90_f = [](T t, int64_t k, const Shape& dims) { return nogil([&] { return rot90(t, k, dims); }); };
  m.def("rot90", rot90_f, py::arg("input"), py::arg("k") = 1, py::arg("dims") = Shape{0, 1},
        "Rotates by 90 degrees k times in the plane of dims, from the first towards the second.");
  cls.def("rot90", rot90_f, py::arg("k") = 1, py::arg("dims") = Shape{0, 1}, "See pydl.rot90.");
  for (const char* name : {"movedim", "moveaxis"}) {
    auto f = [name](T t, py::object src, py::object dst) {
      return movedim(t, shape_from_python(src, name), shape_from_python(dst, name));
    };
    m.def(name, f, py::arg("input"), py::arg("source"), py::arg("destination"),
          "A view with dims moved from source to destination positions; the others keep their order.");
    cls.def(name, f, py::arg("source"), py::arg("destination"), "See pydl.movedim.");
  }
  m.def("swapaxes", &transpose, py::arg("input"), py::arg("axis0"), py::arg("axis1"), "Alias of transpose.");
  m.def("swapdims", &transpose, py::arg("input"), py::arg("dim0"), py::arg("dim1"), "Alias of transpose.");
  cls.def("swapdims", &transpose, py::arg("dim0"), py::arg("dim1"), "Alias of transpose.");

  // --- repetition
  cls.def("repeat", [](T t, py::args a, py::kwargs kw) {
    Shape r = method_dims(a, kw, "repeats", "repeat(): argument 'repeats'");
    return nogil([&] { return repeat(t, r); });
  }, "A copy tiled `repeats[i]` times along each dim (new leading dims when there are more repeats).");
  m.def("tile", [](T t, py::object dims) {
    Shape d = shape_from_python(dims, "tile(): argument 'dims'");
    return nogil([&] { return tile(t, d); });
  },
        py::arg("input"), py::arg("dims"), "repeat with fewer dims than the input allowed (padded with 1s).");
  cls.def("tile", [](T t, py::args a, py::kwargs kw) {
    Shape d = method_dims(a, kw, "dims", "tile(): argument 'dims'");
    return nogil([&] { return tile(t, d); });
  }, "tile(*dims): see pydl.tile.");
  m.def("repeat_interleave", [](T t, py::object repeats, py::object dim, py::object output_size) {
    if (repeats.is_none()) {
      auto n = optional_int(output_size, "repeat_interleave(): argument 'output_size'");
      return nogil([&] { return repeat_interleave(t, n); });
    }
    return repeat_interleave_any(t, repeats, dim, output_size);
  }, py::arg("input"), py::arg("repeats") = py::none(), py::arg("dim") = py::none(), py::kw_only(),
     py::arg("output_size") = py::none(),
     "Repeats each element (each slice along dim; the flattened input when dim is None) `repeats` "
     "times; with only a repeats tensor, the indices 0..n-1 repeated.");
  cls.def("repeat_interleave", &repeat_interleave_any, py::arg("repeats"), py::arg("dim") = py::none(),
          py::kw_only(), py::arg("output_size") = py::none(), "See pydl.repeat_interleave.");

  // --- triangles and diagonals
  for (bool upper : {false, true}) {
    const char* name = upper ? "triu" : "tril";
    auto op = upper ? &triu : &tril;
    m.def(name, [op, name](T t, int64_t k, py::object out) {
      return with_out(out, name, [&](OutArg d) { return op(t, k, d); });
    }, py::arg("input"), py::arg("diagonal") = 0, py::kw_only(), py::arg("out") = py::none(),
       upper ? "The upper triangle (j - i >= diagonal) of the last two dims; zeros elsewhere."
             : "The lower triangle (j - i <= diagonal) of the last two dims; zeros elsewhere.");
    cls.def(name, [op](T t, int64_t k) { py::gil_scoped_release nogil; return op(t, k, OutArg{}); },
            py::arg("diagonal") = 0, upper ? "See pydl.triu." : "See pydl.tril.");
    cls.def((std::string(name) + "_").c_str(),
            [op](Tensor t, int64_t k) { return in_place(t, [&](OutArg d) { return op(t, k, d); }); },
            py::arg("diagonal") = 0, upper ? "In-place triu." : "In-place tril.");
  }
  m.def("diag", [](T t, int64_t k, py::object out) {
    return with_out(out, "diag", [&](OutArg d) { return diag(t, k, d); });
  }, py::arg("input"), py::arg("diagonal") = 0, py::kw_only(), py::arg("out") = py::none(),
     "1-D input: a square matrix with it on the given diagonal; 2-D input: a copy of that diagonal.");
  cls.def("diag", [](T t, int64_t k) { return diag(t, k, OutArg{}); }, py::arg("diagonal") = 0, "See pydl.diag.",
          py::call_guard<py::gil_scoped_release>());
  m.def("diag_embed", &diag_embed, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = -2,
        py::arg("dim2") = -1, "Matrices (in dims dim1, dim2) with the last dim of input on their diagonal.",
        py::call_guard<py::gil_scoped_release>());
  cls.def("diag_embed", &diag_embed, py::arg("offset") = 0, py::arg("dim1") = -2, py::arg("dim2") = -1,
          "See pydl.diag_embed.",
          py::call_guard<py::gil_scoped_release>());
  m.def("diagflat", &diagflat, py::arg("input"), py::arg("offset") = 0,
        "A square matrix with the flattened input on the given diagonal.", py::call_guard<py::gil_scoped_release>());
  cls.def("diagflat", &diagflat, py::arg("offset") = 0, "See pydl.diagflat.", py::call_guard<py::gil_scoped_release>());
  m.def("diagonal", &diagonal, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1,
        "A view of the diagonal of dims dim1, dim2 (appended as the last dim).");

  // --- broadcasting
  auto broadcast_to_f = [](T t, py::object size) {
    return broadcast_to(t, shape_from_python(size, "broadcast_to(): argument 'size'"));
  };
  m.def("broadcast_to", broadcast_to_f, py::arg("input"), py::arg("size"), "A view expanded to size (like expand).");
  cls.def("broadcast_to", broadcast_to_f, py::arg("size"), "See pydl.broadcast_to.");
  m.def("broadcast_tensors", [](py::args a) {
    return to_tuple(broadcast_tensors(tensors_from_args(a, "broadcast_tensors")));
  },
        "Views of the inputs expanded to their common broadcast shape.");
  m.def("broadcast_shapes", [](py::args a) {
    std::vector<Shape> shapes;
    for (py::handle h : a) shapes.push_back(shape_from_python(h, "broadcast_shapes(): argument 'shapes'"));
    return size_object(broadcast_shapes(shapes));
  }, "The broadcast shape of the given shapes, as a pydl.Size.");
  m.def("meshgrid", [](py::args a, py::object indexing) {
    std::vector<Tensor> ts = tensors_from_args(a, "meshgrid");
    return to_tuple(meshgrid(ts, indexing.is_none() ? "ij" : indexing.cast<std::string>()));
  }, py::kw_only(), py::arg("indexing") = py::none(),
     "Coordinate grids (expanded views) from 0-d/1-D tensors; indexing 'ij' (default) or 'xy'.");

  // --- function forms of the view ops that are Tensor methods (tensor_py.cpp)
  m.def("reshape", [](T t, py::object shape) {
    return reshape(t, shape_from_python(shape, "reshape(): argument 'shape'"));
  },
        py::arg("input"), py::arg("shape"), "A view with another shape when strides allow, else a copy.");
  m.def("transpose", &transpose, py::arg("input"), py::arg("dim0"), py::arg("dim1"), "A view with two dims swapped.");
  m.def("permute", [](T t, py::object dims) {
    return permute(t, shape_from_python(dims, "permute(): argument 'dims'"));
  },
        py::arg("input"), py::arg("dims"), "A view with dims reordered.");
  m.def("squeeze", [](T t, py::object dim) {
    if (dim.is_none()) return squeeze(t, std::nullopt);
    return squeeze(t, shape_from_python(dim, "squeeze(): argument 'dim'"));
  }, py::arg("input"), py::arg("dim") = py::none(), "A view without size-1 dims (all, or those in dim).");
  m.def("unsqueeze", &unsqueeze, py::arg("input"), py::arg("dim"), "A view with a size-1 dim inserted at dim.");
  m.def("flatten", &flatten, py::arg("input"), py::arg("start_dim") = 0, py::arg("end_dim") = -1,
        "Dims start_dim..end_dim merged into one (a view when strides allow).");
  m.def("unflatten", [](T t, int64_t dim, py::object sizes) {
    return unflatten(t, dim, shape_from_python(sizes, "unflatten(): argument 'sizes'"));
  }, py::arg("input"), py::arg("dim"), py::arg("sizes"), "A view with dim split into sizes.");
  m.def("narrow", &narrow, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"),
        "A view of length elements of dim from start.");
  m.def("select", &select, py::arg("input"), py::arg("dim"), py::arg("index"),
        "A view of one index of dim, dim removed.");
  m.def("t", &t_, py::arg("input"), "Transpose of a <= 2-D tensor.");
  m.def("as_strided", [](T t, const Shape& size, const Shape& stride, std::optional<int64_t> offset) {
    return as_strided(t, size, stride, offset);
  }, py::arg("input"), py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none(),
     "A view with the given sizes, strides and storage offset.");
  m.def("clone", [](T t, py::object) { return nogil([&] { return clone(t); }); }, py::arg("input"), py::kw_only(),
        py::arg("memory_format") = py::none(), "A copy in the same layout.");
  m.def("detach", [](T t) { return detach(t); }, py::arg("input"), "A new tensor sharing memory, cut from autograd.");
  m.def("numel", [](T t) { return t.numel(); }, py::arg("input"), "The number of elements.");
}

}  // namespace pydl::python
