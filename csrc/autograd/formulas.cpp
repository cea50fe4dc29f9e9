#include "autograd/formulas.h"

#include <algorithm>

namespace pydl::autograd {

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.sizes() == shape) return g;
  const int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  Shape dims;
  for (int64_t d = 0; d < g.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.sizes()[d] != 1)) dims.push_back(d);
  Tensor r = dims.empty() ? g : sum(g, OptionalDims(dims), /*keepdim=*/true);
  return reshape(r, shape);
}

Tensor expand_reduced(const Tensor& g, const Shape& sizes, const OptionalDims& dims, bool keepdim) {
  const int64_t nd = static_cast<int64_t>(sizes.size());
  if (keepdim || nd == 0) return expand(g, sizes);
  // Put the reduced dims back as size 1, then broadcast.
  Shape kept = sizes;
  if (!dims || dims->empty()) {
    std::fill(kept.begin(), kept.end(), 1);
  } else {
    for (int64_t d : *dims) kept[d < 0 ? d + nd : d] = 1;
  }
  return expand(reshape(g, kept), sizes);
}

BackwardFn not_implemented(const char* op) {
  return [op](const BackwardContext&) -> std::vector<Tensor> {
    PYDL_CHECK_NOT_IMPLEMENTED(false, "the derivative for '", op, "' is not implemented.");
    return {};
  };
}

}  // namespace pydl::autograd
