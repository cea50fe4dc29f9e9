// Reordering, repetition and broadcasting: flip, roll, rot90, movedim, repeat, tile,
// repeat_interleave, broadcast_to/tensors/shapes, meshgrid. Each is a view, or one copy (or a few
// block copies) from a view of the input into a fresh output through the copy primitive.
#include <algorithm>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl {

void copy_no_overlap(const Tensor& dst, const Tensor& src, const char* op) {
  if (dst.numel() == 0) return;
  ElementwiseIter iter(dst, {src}, op);
  backend(dst.device().type).copy(iter);
}

Tensor flip(const Tensor& t, const Shape& dims) {
  const int64_t nd = t.dim();
  std::vector<bool> flipped(std::max<int64_t>(nd, 1), false);
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, nd);
    PYDL_CHECK(!flipped[w], "dim ", w, " appears multiple times in the list of dims");
    flipped[w] = true;
  }
  Tensor out = empty_like(t, std::nullopt, std::nullopt);
  if (t.numel() == 0) return out;
  Shape strides = t.strides();
  int64_t offset = t.storage_offset();
  for (int64_t d = 0; d < nd; ++d) {
    if (!flipped[d]) continue;
    offset += (t.sizes()[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  // A reversed view with negative strides that only the copy primitive sees (it takes any signed
  // byte strides); users never get negative strides, which pydl's views do not allow.
  Tensor reversed(std::make_shared<TensorImpl>(t.impl()->storage(), t.sizes(), strides, offset, t.dtype(),
                                               t.impl()->version_counter()));
  copy_no_overlap(out, reversed, "flip");
  if (autograd::needs_grad({&t}))
    autograd::record("FlipBackward0", {t}, {out}, {}, {}, [dims](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{flip(c.grad(), dims)};
    });
  return out;
}

static Tensor roll_impl(const Tensor& t, const Shape& shifts, const Shape& dims);

Tensor roll(const Tensor& t, const Shape& shifts, const Shape& dims) {
  Tensor out;
  {
    autograd::AutoGradMode no_record(false);
    out = roll_impl(t, shifts, dims);  // built from copies and views: recorded as one op here
  }
  if (!autograd::needs_grad({&t})) return out;
  Shape back = shifts;
  for (int64_t& s : back) s = -s;
  autograd::record("RollBackward0", {t}, {out}, {}, {}, [back, dims](const autograd::BackwardContext& c) {
    return std::vector<Tensor>{roll(c.grad(), back, dims)};
  });
  return out;
}

static Tensor roll_impl(const Tensor& t, const Shape& shifts, const Shape& dims) {
  PYDL_CHECK(!shifts.empty(), "`shifts` required");
  if (dims.empty()) {  // roll the flattened tensor, then restore the shape
    PYDL_CHECK(shifts.size() == 1, "shifts and dimensions must align. shifts: ", shifts.size(), ", dims:0");
    return view(roll_impl(reshape(t, Shape{t.numel()}), shifts, Shape{0}), t.sizes());
  }
  PYDL_CHECK(shifts.size() == dims.size(), "shifts and dimensions must align. shifts: ", shifts.size(),
             ", dims:", dims.size());
  const int64_t nd = t.dim();
  Shape shift(std::max<int64_t>(nd, 1), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], nd);
    const int64_t size = nd ? t.sizes()[d] : 1;
    if (size > 0) shift[d] = ((shift[d] + shifts[i] % size) % size + size) % size;
  }
  Tensor out = empty_like(t, std::nullopt, std::nullopt);
  std::vector<int64_t> rolled;
  for (int64_t d = 0; d < nd; ++d)
    if (shift[d] != 0) rolled.push_back(d);
  if (rolled.empty()) {
    copy_no_overlap(out, t, "roll");
    return out;
  }
  // Each rolled dim splits into two blocks that swap places: 2^k block copies in one pass.
  // Many rolled dims would mean too many blocks, so they are rolled a few at a time.
  constexpr size_t kMaxAtOnce = 4;
  if (rolled.size() > kMaxAtOnce) {
    Shape first_shifts, first_dims, rest_shifts, rest_dims;
    for (size_t i = 0; i < rolled.size(); ++i) {
      (i < kMaxAtOnce ? first_shifts : rest_shifts).push_back(shift[rolled[i]]);
      (i < kMaxAtOnce ? first_dims : rest_dims).push_back(rolled[i]);
    }
    return roll_impl(roll_impl(t, first_shifts, first_dims), rest_shifts, rest_dims);
  }
  for (uint32_t mask = 0; mask < (1u << rolled.size()); ++mask) {
    Tensor src = t, dst = out;
    for (size_t j = 0; j < rolled.size(); ++j) {
      const int64_t d = rolled[j], s = shift[d], n = t.sizes()[d];
      if (mask & (1u << j)) {  // the last s elements move to the front
        src = narrow(src, d, n - s, s);
        dst = narrow(dst, d, 0, s);
      } else {
        src = narrow(src, d, 0, n - s);
        dst = narrow(dst, d, s, n - s);
      }
    }
    copy_no_overlap(dst, src, "roll");
  }
  return out;
}

Tensor rot90(const Tensor& t, int64_t k, const Shape& dims) {
  PYDL_CHECK(dims.size() == 2, "expected total rotation dims == 2, but got dims = ", dims.size());
  PYDL_CHECK(t.dim() >= 2, "expected total dims >= 2, but got total dims = ", t.dim());
  const int64_t a = wrap_dim(dims[0], t.dim()), b = wrap_dim(dims[1], t.dim());
  PYDL_CHECK(a != b, "expected rotation dims to be different, but got dim0 = ", dims[0], " and dim1 = ", dims[1]);
  switch (((k % 4) + 4) % 4) {
    case 1: return transpose(flip(t, Shape{b}), a, b);
    case 2: return flip(t, Shape{a, b});
    case 3: return transpose(flip(t, Shape{a}), a, b);
    default: {
      Tensor out = empty(t.sizes(), t.dtype(), t.device());
      copy_no_overlap(out, t, "rot90");
      return out;
    }
  }
}

Tensor movedim(const Tensor& t, const Shape& source, const Shape& destination) {
  PYDL_CHECK(source.size() == destination.size(), "movedim: Invalid source or destination dims: source (", source,
             " dims) should contain the same number of dims as destination (", destination, " dims)");
  const int64_t nd = t.dim();
  Shape perm(nd, -1);
  std::vector<bool> src_used(std::max<int64_t>(nd, 1), false), dst_used(std::max<int64_t>(nd, 1), false);
  for (size_t i = 0; i < source.size(); ++i) {
    const int64_t s = wrap_dim(source[i], nd), d = wrap_dim(destination[i], nd);
    PYDL_CHECK(!src_used[s], "movedim: repeated dim in `source` (", source, ")");
    PYDL_CHECK(!dst_used[d], "movedim: repeated dim in `destination` (", destination, ")");
    src_used[s] = dst_used[d] = true;
    if (nd) perm[d] = s;
  }
  // The dims not moved keep their relative order in the free slots.
  int64_t next = 0;
  for (int64_t d = 0; d < nd; ++d) {
    if (perm[d] >= 0) continue;
    while (src_used[next]) ++next;
    perm[d] = next++;
  }
  return permute(t, perm);
}

Tensor repeat(const Tensor& t, const Shape& repeats) {
  const int64_t n = static_cast<int64_t>(repeats.size());
  PYDL_CHECK(n >= t.dim(),
             "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  Shape out_shape(n), pair_sizes(2 * n), src_strides(2 * n), dst_strides(2 * n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i - (n - t.dim());
    const int64_t size = k >= 0 ? t.sizes()[k] : 1;
    out_shape[i] = size * repeats[i];
    pair_sizes[2 * i] = repeats[i];
    pair_sizes[2 * i + 1] = size;
    src_strides[2 * i] = 0;  // each repeat re-reads the same input block
    src_strides[2 * i + 1] = k >= 0 ? t.strides()[k] : 0;
  }
  for (int64_t s : out_shape)
    PYDL_CHECK(s >= 0, "Trying to create tensor with negative dimension ", s, ": ", out_shape);
  Tensor out = empty(out_shape, t.dtype(), t.device());
  if (out.numel() > 0) {
    // out (r0*s0, r1*s1, ...) is contiguous, so it is also the 2n-d (r0, s0, r1, s1, ...) array
    // into which one copy of the stride-0 expanded input writes every repeat.
    int64_t inner = 1;
    for (int64_t i = 2 * n - 1; i >= 0; --i) {
      dst_strides[i] = inner;
      inner *= pair_sizes[i];
    }
    copy_no_overlap(make_view(out, pair_sizes, dst_strides, 0),
                    make_view(t, pair_sizes, src_strides, t.storage_offset()), "repeat");
  }
  // Every input element went to one place per repeat: g as (r0, s0, r1, s1, ...) summed over the r's.
  if (is_floating(t.dtype()) && autograd::needs_grad({&t})) {
    const Shape in_sizes = t.sizes();
    autograd::record("RepeatBackward0", {t}, {out}, {}, {}, [pair_sizes, in_sizes, n](const autograd::BackwardContext& c) {
      Shape repeat_dims;
      for (int64_t i = 0; i < n; ++i) repeat_dims.push_back(2 * i);
      return std::vector<Tensor>{reshape(sum(reshape(c.grad(), pair_sizes), repeat_dims), in_sizes)};
    });
  }
  return out;
}

Tensor tile(const Tensor& t, const Shape& dims) {
  Shape reps = dims;
  while (static_cast<int64_t>(reps.size()) < t.dim()) reps.insert(reps.begin(), 1);
  return repeat(t, reps);
}

// The input of repeat_interleave and the dim it repeats along (dim=None: the flattened input).
static std::pair<Tensor, int64_t> interleave_input(const Tensor& t, std::optional<int64_t> dim) {
  if (!dim || t.dim() == 0) {
    if (dim) wrap_dim(*dim, 0);
    return {reshape(t, Shape{t.numel()}), 0};
  }
  return {t, wrap_dim(*dim, t.dim())};
}

static void check_output_size(std::optional<int64_t> output_size, int64_t total) {
  PYDL_CHECK(!output_size || *output_size == total, "allocated size does not match required size");
}

Tensor repeat_interleave(const Tensor& t, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  PYDL_CHECK(repeats >= 0, "Repeats must be non-negative");
  auto [in, d] = interleave_input(t, dim);
  const int64_t size = in.sizes()[d];
  check_output_size(output_size, size * repeats);
  Shape out_shape = in.sizes();
  out_shape[d] = size * repeats;
  Tensor out = empty(out_shape, t.dtype(), t.device());
  // One copy: out viewed as (..., size, repeats, ...) from the input expanded along a new dim.
  Shape pair = in.sizes();
  pair.insert(pair.begin() + d + 1, repeats);
  if (out.numel() > 0) copy_no_overlap(view(out, pair), expand(unsqueeze(in, d + 1), pair), "repeat_interleave");
  if (is_floating(t.dtype()) && autograd::needs_grad({&t})) {  // summed back over the repeats
    const Shape in_sizes = t.sizes();
    autograd::record("RepeatInterleaveBackward0", {t}, {out}, {}, {}, [pair, d, in_sizes](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{reshape(sum(reshape(c.grad(), pair), Shape{d + 1}), in_sizes)};
    });
  }
  return out;
}

// repeats as int64 values on the host, checked to be a 0-d or 1-D integer tensor.
static std::vector<int64_t> host_repeats(const Tensor& repeats) {
  PYDL_CHECK(repeats.dim() <= 1, "repeats must be 0-dim or 1-dim tensor");
  PYDL_CHECK_NOT_IMPLEMENTED(repeats.dtype() == ScalarType::Int64 || repeats.dtype() == ScalarType::Int32,
                             "\"repeat_interleave_cpu\" not implemented for '", repeats.dtype(), "'");
  Tensor host = contiguous(to(repeats, ScalarType::Int64, Device(DeviceType::CPU), false));
  const int64_t* p = host.data<int64_t>();
  std::vector<int64_t> v(p, p + host.numel());
  for (int64_t r : v) PYDL_CHECK(r >= 0, "repeats can not be negative");
  return v;
}

Tensor repeat_interleave(const Tensor& t, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  std::vector<int64_t> reps = host_repeats(repeats);
  if (reps.size() == 1) return repeat_interleave(t, reps[0], dim, output_size);  // broadcasts
  auto [in, d] = interleave_input(t, dim);
  const int64_t size = in.sizes()[d];
  PYDL_CHECK(static_cast<int64_t>(reps.size()) == size, "repeats must have the same size as input along dim, but got "
             "repeats.size(0) = ", reps.size(), " and input.size(", d, ") = ", size);
  int64_t total = 0;
  for (int64_t r : reps) total += r;
  check_output_size(output_size, total);
  Shape out_shape = in.sizes();
  out_shape[d] = total;
  Tensor out = empty(out_shape, t.dtype(), t.device());
  for (int64_t i = 0, offset = 0; i < size && out.numel() > 0; ++i) {
    if (reps[i] == 0) continue;
    Tensor dst = narrow(out, d, offset, reps[i]);
    copy_no_overlap(dst, expand(narrow(in, d, i, 1), dst.sizes()), "repeat_interleave");
    offset += reps[i];
  }
  if (is_floating(t.dtype()) && autograd::needs_grad({&t})) {
    // Output slice j came from input slice source[j]: g added back there.
    Tensor source = repeat_interleave(arange(Scalar(int64_t{0}), Scalar(size), Scalar(int64_t{1}), ScalarType::Int64,
                                             t.device()), repeats, std::nullopt, std::nullopt);
    const Shape in_sizes = in.sizes(), t_sizes = t.sizes();
    autograd::record("RepeatInterleaveBackward0", {t}, {out}, {source}, {},
                     [d, in_sizes, t_sizes](const autograd::BackwardContext& c) {
      const Tensor zeros = full(in_sizes, Scalar(0.0), c.grad().dtype(), c.grad().device());
      return std::vector<Tensor>{reshape(index_add(zeros, d, c.saved[0], c.grad(), Scalar(int64_t{1})), t_sizes)};
    });
  }
  return out;
}

Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size) {
  host_repeats(repeats);  // the checks
  Tensor r = reshape(repeats, Shape{repeats.numel()});
  Tensor idx = arange(Scalar(int64_t(0)), Scalar(r.numel()), Scalar(int64_t(1)), repeats.dtype(), repeats.device());
  return repeat_interleave(idx, r, 0, output_size);
}

Tensor broadcast_to(const Tensor& t, const Shape& sizes) { return expand(t, sizes); }

Shape broadcast_shapes(const std::vector<Shape>& shapes) {
  Shape out;
  for (const Shape& s : shapes) {
    for (int64_t v : s) PYDL_CHECK_VALUE(v >= 0, "Attempting to broadcast a dimension with negative length! (", s, ")");
    while (s.size() > out.size()) out.insert(out.begin(), 1);
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Shape& s = shapes[i];
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t& o = out[out.size() - s.size() + k];
      const int64_t v = s[k];
      if (v == o || v == 1) continue;
      PYDL_CHECK(o == 1, "Attempting to broadcast a dimension of length ", v, " at ",
                 static_cast<int64_t>(k) - static_cast<int64_t>(s.size()), "! Mismatching argument at index ", i,
                 " had ", s, "; but expected shape should be broadcastable to ", out);
      o = v;
    }
  }
  return out;
}

std::vector<Tensor> broadcast_tensors(const std::vector<Tensor>& tensors) {
  Shape shape;
  for (const Tensor& t : tensors) shape = broadcast_shapes(shape, t.sizes(), "broadcast_tensors");
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(expand(t, shape));
  return out;
}

std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors, const std::string& indexing) {
  PYDL_CHECK(!tensors.empty(), "meshgrid expects a non-empty TensorList");
  PYDL_CHECK(indexing == "ij" || indexing == "xy",
             "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ", indexing);
  const size_t n = tensors.size();
  for (const Tensor& t : tensors) {
    PYDL_CHECK(t.dim() <= 1, "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of "
               "shape ", t.sizes());
    PYDL_CHECK(t.dtype() == tensors[0].dtype(), "meshgrid expects all tensors to have the same dtype");
    PYDL_CHECK(t.device() == tensors[0].device(), "meshgrid expects all tensors to have the same device");
  }
  // 'xy' (Cartesian) indexing swaps the roles of the first two inputs.
  std::vector<size_t> pos(n);
  for (size_t i = 0; i < n; ++i) pos[i] = i;
  if (indexing == "xy" && n >= 2) std::swap(pos[0], pos[1]);
  Shape grid(n);
  for (size_t i = 0; i < n; ++i) grid[pos[i]] = tensors[i].numel();
  std::vector<Tensor> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Shape s(n, 1);
    s[pos[i]] = tensors[i].numel();
    out.push_back(expand(view(tensors[i], s), grid));
  }
  return out;
}

}  // namespace pydl
