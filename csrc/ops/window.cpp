// Shared helpers of the sliding-window ops (see window.h).
#include "ops/window.h"

#include <sstream>

#include "core/error.h"

namespace pydl::window {

Shape expand(const char* name, const Shape& value, int nd, const char* what) {
  if (value.size() == 1) return Shape(static_cast<size_t>(nd), value[0]);
  PYDL_CHECK(static_cast<int>(value.size()) == nd, "expected ", name, " to be a single integer value or a list of ",
             nd, " values to match the ", what, ", but got ", name, "=", value);
  return value;
}

std::string by(const Shape& v) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? " x " : "") << v[i];
  os << ")";
  return os.str();
}

Tensor as_5d(const Tensor& t) {
  Shape sizes = t.sizes(), strides = t.strides();
  while (sizes.size() < 5) {
    sizes.insert(sizes.begin() + 2, 1);
    strides.insert(strides.begin() + 2, 1);
  }
  return make_view(t, sizes, strides, t.storage_offset());
}

Tensor rows(const Tensor& t, int64_t begin, int64_t n) {
  Shape sizes = t.sizes();
  sizes[0] = n;
  return make_view(t, sizes, t.strides(), t.storage_offset() + begin * t.strides()[0]);
}

Shape spatial(const Tensor& t) { return Shape(t.sizes().begin() + 2, t.sizes().end()); }

}  // namespace pydl::window
