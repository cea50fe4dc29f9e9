// Bindings of the sorting and searching ops (csrc/ops/sorting.cpp, searching.cpp): functions,
// Tensor methods, out= (a pair of tensors for ops returning (values, indices)), and the
// pydl.return_types named tuples they return.
#include <array>

#include "python/bindings.h"

namespace pydl::python {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

static std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

std::optional<std::array<Tensor, 2>> out_pair(const py::object& out, const char* op) {
  if (out.is_none()) return std::nullopt;
  const bool seq = py::isinstance<py::tuple>(out) || py::isinstance<py::list>(out);
  PYDL_CHECK_TYPE(seq && py::len(out) == 2 && py::isinstance<TensorImpl>(out[py::int_(0)]) &&
                      py::isinstance<TensorImpl>(out[py::int_(1)]),
                  op, "(): argument 'out' must be a tuple of two Tensors (values, indices), not ", type_name(out));
  return std::array<Tensor, 2>{out[py::int_(0)].cast<Tensor>(), out[py::int_(1)].cast<Tensor>()};
}

static int64_t dim_or_last(const std::optional<int64_t>& dim) { return dim.value_or(-1); }

// unique's result: the values alone, or a tuple with the inverse and/or counts asked for.
static py::object unique_result(const std::tuple<Tensor, Tensor, Tensor>& r, bool inverse, bool counts) {
  if (!inverse && !counts) return py::cast(std::get<0>(r));
  py::list items;
  items.append(py::cast(std::get<0>(r)));
  if (inverse) items.append(py::cast(std::get<1>(r)));
  if (counts) items.append(py::cast(std::get<2>(r)));
  return py::tuple(items);
}

// searchsorted's `side` ("left" / "right") agrees with `right`; returns the effective right.
static bool resolve_side(bool right, const std::optional<std::string>& side) {
  if (!side) return right;
  PYDL_CHECK(*side == "left" || *side == "right",
             "torch.searchsorted(): side can only be 'left' or 'right' but got ", *side);
  PYDL_CHECK(!(right && *side == "left"),
             "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True");
  return *side == "right";
}

void init_sorting(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
  const ReturnType sort_t = return_type(m, "sort", {"values", "indices"});
  const ReturnType topk_t = return_type(m, "topk", {"values", "indices"});
  const ReturnType kthvalue_t = return_type(m, "kthvalue", {"values", "indices"});
  const ReturnType median_t = return_type(m, "median", {"values", "indices"});
  const ReturnType nanmedian_t = return_type(m, "nanmedian", {"values", "indices"});
  const ReturnType mode_t = return_type(m, "mode", {"values", "indices"});

  // --- sort / argsort / msort
  auto sort_fn = [sort_t](const Tensor& x, int64_t dim, bool descending, bool stable, py::object out) {
    return call_pair(sort_t, out, "sort", [&](OutPair o) { return sort(x, dim, descending, stable, o); });
  };
  const char* sort_doc =
      "sort(input, dim=-1, descending=False, *, stable=False, out=None) -> (values, indices): the elements of "
      "input sorted along dim. NaN sorts above every number; equal elements keep their order (the CPU sort is "
      "always stable).";
  m.def("sort", sort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
        py::arg("stable") = false, py::arg("out") = py::none(), sort_doc);
  cls.def("sort", [sort_fn](const Tensor& x, int64_t dim, bool descending, bool stable) {
    return sort_fn(x, dim, descending, stable, py::none());
  }, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false, sort_doc);

  auto argsort_fn = [](const Tensor& x, int64_t dim, bool descending, bool stable) {
    py::gil_scoped_release nogil;
    return argsort(x, dim, descending, stable);
  };
  const char* argsort_doc = "argsort(input, dim=-1, descending=False, *, stable=False): the int64 indices that "
                            "sort input along dim (sort(...).indices).";
  m.def("argsort", argsort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
        py::arg("stable") = false, argsort_doc);
  cls.def("argsort", argsort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
          py::arg("stable") = false, argsort_doc);

  const char* msort_doc = "msort(input, *, out=None): input sorted along its first dim (sort(input, 0).values).";
  m.def("msort", [](const Tensor& x, py::object out) {
    return with_out(out, "msort", [&](OutArg d) { return msort(x, d); });
  }, py::arg("input"), py::kw_only(), py::arg("out") = py::none(), msort_doc);
  cls.def("msort", [](const Tensor& x) {
    py::gil_scoped_release nogil;
    return msort(x);
  }, msort_doc);

  // --- topk / kthvalue
  auto topk_fn = [topk_t](const Tensor& x, int64_t k, std::optional<int64_t> dim, bool largest, bool sorted,
                          py::object out) {
    return call_pair(topk_t, out, "topk", [&](OutPair o) { return topk(x, k, dim_or_last(dim), largest, sorted, o); });
  };
  const char* topk_doc = "topk(input, k, dim=-1, largest=True, sorted=True, *, out=None) -> (values, indices): "
                         "the k largest (or smallest) elements along dim.";
  m.def("topk", topk_fn, py::arg("input"), py::arg("k"), py::arg("dim") = py::none(), py::arg("largest") = true,
        py::arg("sorted") = true, py::kw_only(), py::arg("out") = py::none(), topk_doc);
  cls.def("topk", [topk_fn](const Tensor& x, int64_t k, std::optional<int64_t> dim, bool largest, bool sorted) {
    return topk_fn(x, k, dim, largest, sorted, py::none());
  }, py::arg("k"), py::arg("dim") = py::none(), py::arg("largest") = true, py::arg("sorted") = true, topk_doc);

  auto kth_fn = [kthvalue_t](const Tensor& x, int64_t k, std::optional<int64_t> dim, bool keepdim, py::object out) {
    return call_pair(kthvalue_t, out, "kthvalue",
                     [&](OutPair o) { return kthvalue(x, k, dim_or_last(dim), keepdim, o); });
  };
  const char* kth_doc = "kthvalue(input, k, dim=-1, keepdim=False, *, out=None) -> (values, indices): the k-th "
                        "smallest element along dim and its index.";
  m.def("kthvalue", kth_fn, py::arg("input"), py::arg("k"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
        py::kw_only(), py::arg("out") = py::none(), kth_doc);
  cls.def("kthvalue", [kth_fn](const Tensor& x, int64_t k, std::optional<int64_t> dim, bool keepdim) {
    return kth_fn(x, k, dim, keepdim, py::none());
  }, py::arg("k"), py::arg("dim") = py::none(), py::arg("keepdim") = false, kth_doc);

  // --- median / nanmedian / mode
  struct Median { const char* name; bool nan; ReturnType rt; const char* doc; };
  for (const Median& md : {Median{"median", false, median_t,
                                  "median(input, dim=None, keepdim=False, *, out=None): the lower median. Without "
                                  "dim, a 0-d tensor over all elements; with dim, (values, indices) along dim. NaN "
                                  "when a NaN is present."},
                           Median{"nanmedian", true, nanmedian_t,
                                  "nanmedian(input, dim=None, keepdim=False, *, out=None): median ignoring NaNs "
                                  "(NaN only where all are NaN)."}}) {
    auto fn = [md](const Tensor& x, std::optional<int64_t> dim, bool keepdim, py::object out) -> py::object {
      if (!dim) {
        PYDL_CHECK_TYPE(out.is_none(), md.name, "(): out= needs dim (median of all elements returns one tensor)");
        Tensor r;
        {
          py::gil_scoped_release nogil;
          r = md.nan ? nanmedian(x) : median(x);
        }
        return py::cast(r);
      }
      return call_pair(md.rt, out, md.name, [&](OutPair o) {
        return md.nan ? nanmedian(x, *dim, keepdim, o) : median(x, *dim, keepdim, o);
      });
    };
    m.def(md.name, fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("out") = py::none(), md.doc);
    cls.def(md.name, [fn](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
      return fn(x, dim, keepdim, py::none());
    }, py::arg("dim") = py::none(), py::arg("keepdim") = false, md.doc);
  }

  auto mode_fn = [mode_t](const Tensor& x, int64_t dim, bool keepdim, py::object out) {
    return call_pair(mode_t, out, "mode", [&](OutPair o) { return mode(x, dim, keepdim, o); });
  };
  const char* mode_doc = "mode(input, dim=-1, keepdim=False, *, out=None) -> (values, indices): the most frequent "
                         "value along dim (the smallest among ties) and the last index holding it.";
  m.def("mode", mode_fn, py::arg("input"), py::arg("dim") = -1, py::arg("keepdim") = false, py::kw_only(),
        py::arg("out") = py::none(), mode_doc);
  cls.def("mode", [mode_fn](const Tensor& x, int64_t dim, bool keepdim) {
    return mode_fn(x, dim, keepdim, py::none());
  }, py::arg("dim") = -1, py::arg("keepdim") = false, mode_doc);

  // --- unique / unique_consecutive (results always sorted, as torch's CPU unique)
  auto unique_fn = [](const Tensor& x, bool sorted, bool inverse, bool counts, std::optional<int64_t> dim) {
    std::tuple<Tensor, Tensor, Tensor> r;
    {
      py::gil_scoped_release nogil;
      r = dim ? unique_dim(x, *dim, inverse, counts) : unique(x, inverse, counts);
    }
    return unique_result(r, inverse, counts);
  };
  const char* unique_doc = "unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None): the "
                           "distinct elements in ascending order, with the index of each input element in them "
                           "(return_inverse) and how often each occurs (return_counts). With dim, the distinct slices along dim.";
  m.def("unique", unique_fn, py::arg("input"), py::arg("sorted") = true, py::arg("return_inverse") = false,
        py::arg("return_counts") = false, py::arg("dim") = py::none(), unique_doc);
  cls.def("unique", unique_fn, py::arg("sorted") = true, py::arg("return_inverse") = false,
          py::arg("return_counts") = false, py::arg("dim") = py::none(), unique_doc);

  auto unique_consecutive_fn = [](const Tensor& x, bool inverse, bool counts, std::optional<int64_t> dim) {
    std::tuple<Tensor, Tensor, Tensor> r;
    {
      py::gil_scoped_release nogil;
      r = dim ? unique_consecutive_dim(x, *dim, inverse, counts) : unique_consecutive(x, inverse, counts);
    }
    return unique_result(r, inverse, counts);
  };
  const char* uc_doc = "unique_consecutive(input, return_inverse=False, return_counts=False, dim=None): collapses "
                       "each run of equal consecutive elements (slices along dim, when given) to one.";
  m.def("unique_consecutive", unique_consecutive_fn, py::arg("input"), py::arg("return_inverse") = false,
        py::arg("return_counts") = false, py::arg("dim") = py::none(), uc_doc);
  cls.def("unique_consecutive", unique_consecutive_fn, py::arg("return_inverse") = false,
          py::arg("return_counts") = false, py::arg("dim") = py::none(), uc_doc);

  // --- searchsorted / bucketize
  m.def("searchsorted", [](const Tensor& seq, py::object values, bool out_int32, bool right,
                           std::optional<std::string> side, py::object out, std::optional<Tensor> sorter) {
    Tensor v = operand(values, "searchsorted", "values");
    const bool r = resolve_side(right, side);
    return with_out(out, "searchsorted", [&](OutArg d) { return searchsorted(seq, v, out_int32, r, sorter, d); });
  }, py::arg("sorted_sequence"), py::arg("values"), py::kw_only(), py::arg("out_int32") = false,
        py::arg("right") = false, py::arg("side") = py::none(), py::arg("out") = py::none(),
        py::arg("sorter") = py::none(),
        "searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, out=None, sorter=None): "
        "indices where values would be inserted into the innermost dim of sorted_sequence to keep it sorted.");
  m.def("bucketize", [](py::object input, const Tensor& boundaries, bool out_int32, bool right, py::object out) {
    Tensor x = operand(input, "bucketize", "input");
    return with_out(out, "bucketize", [&](OutArg d) { return bucketize(x, boundaries, out_int32, right, d); });
  }, py::arg("input"), py::arg("boundaries"), py::kw_only(), py::arg("out_int32") = false, py::arg("right") = false,
        py::arg("out") = py::none(),
        "bucketize(input, boundaries, *, out_int32=False, right=False, out=None): the index of the bucket of 1-D "
        "boundaries each input element falls in (searchsorted(boundaries, input, right=right)).");
}

}  // namespace pydl::python
