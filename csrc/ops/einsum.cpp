// einsum, tensordot and kron: contractions built from views, sum and the batched matrix product,
// so every contraction that is a matrix product runs as one GEMM ('bij,bjk->bik',
// 'bhqd,bhkd->bhqk', 'ij,kj->ik' with the transpose as packing order), and autograd comes from
// the ops they are made of.
//
// einsum, as in PyTorch: repeated subscripts in one operand take its diagonal; every operand is
// then lined up (permute + unsqueeze, views) on one list of labels, output labels first; the
// operands are contracted left to right, each pair as one bmm over (batch, kept-left, summed,
// kept-right) dims, summing a label as soon as no later operand has it.
#include <algorithm>
#include <cctype>
#include <numeric>
#include <string>

#include "ops/elementwise.h"
#include "ops/ops.h"

namespace pydl {
namespace {

constexpr int kLetters = 52;  // A-Z then a-z; ellipsis dims get the labels after these

int letter_label(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' : c - 'a' + 26; }
char label_letter(int l) { return static_cast<char>(l < 26 ? 'A' + l : 'a' + l - 26); }

// One term of the equation: letter labels, and where the ellipsis stands (-1: none).
struct Term {
  std::vector<int> letters;
  int ellipsis_at = -1;
};

Term parse_term(const std::string& eq, size_t begin, size_t end) {
  Term t;
  for (size_t i = begin; i < end; ++i) {
    const char c = eq[i];
    if (c == ' ') continue;
    if (c == '.') {
      PYDL_CHECK(t.ellipsis_at < 0 && i + 3 <= end && eq.compare(i, 3, "...") == 0,
                 "einsum(): found '.' for operand that is not part of any ellipsis, or more than one ellipsis "
                 "in one term, in \"", eq, "\"");
      t.ellipsis_at = static_cast<int>(t.letters.size());
      i += 2;
      continue;
    }
    PYDL_CHECK(std::isalpha(static_cast<unsigned char>(c)), "einsum(): invalid subscript given at index ", i,
               " in the equation string, subscripts must be in [a-zA-Z]");
    t.letters.push_back(letter_label(c));
  }
  return t;
}

// The labels of a term's dims for an operand of `ndim` dims, ellipsis dims numbered so that
// they align from the right across operands (`ell` = the most ellipsis dims of any operand).
std::vector<int> dim_labels(const Term& t, int64_t ndim, int64_t ell, size_t index) {
  const int64_t n_letters = static_cast<int64_t>(t.letters.size());
  const int64_t covered = t.ellipsis_at >= 0 ? ndim - n_letters : 0;
  PYDL_CHECK(t.ellipsis_at >= 0 ? covered >= 0 : n_letters == ndim, "einsum(): the number of subscripts in the "
             "equation (", n_letters, ") does not match the number of dimensions (", ndim, ") for operand ", index,
             t.ellipsis_at >= 0 ? "" : " and no ellipsis was given");
  std::vector<int> labels;
  for (int64_t i = 0; i <= n_letters; ++i) {
    if (i == t.ellipsis_at)
      for (int64_t e = 0; e < covered; ++e) labels.push_back(static_cast<int>(kLetters + ell - covered + e));
    if (i < n_letters) labels.push_back(t.letters[i]);
  }
  return labels;
}

// a and b (same rank, broadcastable) multiplied and summed over `sum_dims`, via one bmm. The
// result keeps the rank, with size 1 at the summed dims.
Tensor sum_product(Tensor a, Tensor b, const std::vector<bool>& summed) {
  const int64_t rank = a.dim();
  Shape batch, lo, ro, contracted, other;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t sa = a.size(d), sb = b.size(d);
    if (summed[d]) {
      if (sa == 1 && sb != 1) b = sum(b, Shape{d}, true);
      else if (sb == 1 && sa != 1) a = sum(a, Shape{d}, true);
      (sa != 1 && sb != 1 ? contracted : other).push_back(d);
    } else if (sa != 1 && sb != 1) {
      batch.push_back(d);
    } else if (sa != 1) {
      lo.push_back(d);
    } else if (sb != 1) {
      ro.push_back(d);
    } else {
      other.push_back(d);
    }
  }
  auto extent = [](const Tensor& t, const Shape& dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= t.size(d);
    return n;
  };
  auto concat = [](std::initializer_list<const Shape*> parts) {
    Shape s;
    for (const Shape* p : parts)
      for (int64_t d : *p) s.push_back(d);
    return s;
  };
  const int64_t nb = extent(a, batch), m = extent(a, lo), k = extent(a, contracted), n = extent(b, ro);
  const Tensor am = reshape(permute(a, concat({&batch, &lo, &contracted, &ro, &other})), Shape{nb, m, k});
  const Tensor bm = reshape(permute(b, concat({&batch, &contracted, &ro, &lo, &other})), Shape{nb, k, n});
  // bmm's [nb, m, n] back to rank dims: batch, lo, ro sizes, then 1 for the summed and others.
  const Shape order = concat({&batch, &lo, &ro, &contracted, &other});
  Shape sizes;
  for (size_t i = 0; i < order.size(); ++i) {
    const int64_t d = order[i];
    const bool kept = i < batch.size() + lo.size() + ro.size();
    sizes.push_back(kept ? std::max(a.size(d), b.size(d)) : 1);
  }
  Shape inverse(rank);
  for (int64_t i = 0; i < rank; ++i) inverse[order[i]] = i;
  return permute(reshape(bmm(am, bm), sizes), inverse);
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  PYDL_CHECK(!operands.empty(), "einsum(): must provide at least one operand");
  const size_t arrow = equation.find("->");
  const size_t lhs_end = arrow == std::string::npos ? equation.size() : arrow;
  std::vector<Term> terms;
  for (size_t begin = 0;;) {
    const size_t comma = std::min(equation.find(',', begin), lhs_end);
    terms.push_back(parse_term(equation, begin, comma));
    if (comma >= lhs_end) break;
    begin = comma + 1;
  }
  PYDL_CHECK(terms.size() == operands.size(), "einsum(): ", terms.size() < operands.size() ? "more" : "fewer",
             " operands were provided than specified in the equation (", terms.size(), " terms, ", operands.size(),
             " operands)");
  for (const Tensor& t : operands) {
    PYDL_CHECK(t.dtype() == operands[0].dtype(), "einsum(): expected all operands to have the same dtype, but got ",
               operands[0].dtype(), " and ", t.dtype());
  }
  int64_t ell = 0;
  for (size_t i = 0; i < terms.size(); ++i)
    if (terms[i].ellipsis_at >= 0)
      ell = std::max<int64_t>(ell, operands[i].dim() - static_cast<int64_t>(terms[i].letters.size()));
  const int n_labels = static_cast<int>(kLetters + ell);

  // Each operand with one dim per distinct label (repeated labels -> their diagonal).
  std::vector<Tensor> ops;
  std::vector<std::vector<int>> labels;
  std::vector<int> count(n_labels, 0);
  for (size_t i = 0; i < operands.size(); ++i) {
    Tensor t = operands[i];
    std::vector<int> l = dim_labels(terms[i], t.dim(), ell, i);
    for (size_t d = 0; d < l.size(); ++d) {
      for (size_t e = d + 1; e < l.size();) {
        if (l[e] != l[d]) { ++e; continue; }
        PYDL_CHECK(t.size(d) == t.size(e), "einsum(): subscript ", label_letter(l[d]), " is repeated for operand ",
                   i, " but the sizes don't match, ", t.size(d), " != ", t.size(e));
        t = movedim(diagonal(t, 0, d, e), Shape{-1}, Shape{static_cast<int64_t>(d)});
        l.erase(l.begin() + e);
      }
    }
    for (int x : l) ++count[x];
    ops.push_back(t);
    labels.push_back(l);
  }

  // The output labels: given after "->", else the ellipsis then the letters used once, sorted.
  std::vector<int> out;
  if (arrow != std::string::npos) {
    const Term t = parse_term(equation, arrow + 2, equation.size());
    for (size_t i = 0; i <= t.letters.size(); ++i) {
      if (static_cast<int>(i) == t.ellipsis_at)
        for (int64_t e = 0; e < ell; ++e) out.push_back(static_cast<int>(kLetters + e));
      if (i == t.letters.size()) break;
      const int x = t.letters[i];
      PYDL_CHECK(count[x] > 0, "einsum(): output subscript ", label_letter(x),
                 " does not appear in the equation for any input operand");
      PYDL_CHECK(std::find(out.begin(), out.end(), x) == out.end(), "einsum(): output subscript ", label_letter(x),
                 " appears more than once in the output");
      out.push_back(x);
    }
  } else {
    // "Used once" counts the equation's letters, so 'ii' (a trace) is summed, not kept.
    std::vector<int> written(kLetters, 0);
    for (const Term& t : terms)
      for (int x : t.letters) ++written[x];
    for (int64_t e = 0; e < ell; ++e) out.push_back(static_cast<int>(kLetters + e));
    for (int x = 0; x < kLetters; ++x)
      if (written[x] == 1) out.push_back(x);
  }

  // One order for all labels: output first, then the summed ones; operands lined up on it.
  std::vector<int> position(n_labels, -1);
  int rank = 0;
  for (int x : out) position[x] = rank++;
  for (int x = 0; x < n_labels; ++x)
    if (count[x] > 0 && position[x] < 0) position[x] = rank++;
  for (size_t i = 0; i < ops.size(); ++i) {
    Shape perm(labels[i].size());
    std::iota(perm.begin(), perm.end(), 0);
    std::sort(perm.begin(), perm.end(), [&](int64_t p, int64_t q) { return position[labels[i][p]] <
                                                                           position[labels[i][q]]; });
    Tensor t = permute(ops[i], perm);
    std::vector<bool> has(rank, false);
    for (int x : labels[i]) has[position[x]] = true;
    for (int p = 0; p < rank; ++p)
      if (!has[p]) t = unsqueeze(t, p);
    ops[i] = t;
  }
  for (int p = 0; p < rank; ++p) {  // every label's size must agree (or be 1 from the lining up)
    int64_t size = 1;
    for (const Tensor& t : ops) {
      PYDL_CHECK(t.size(p) == 1 || size == 1 || t.size(p) == size, "einsum(): operands do not broadcast with "
                 "remapped shapes: sizes ", size, " and ", t.size(p), " for one subscript in \"", equation, "\"");
      size = std::max(size, t.size(p));
    }
  }

  // Contract left to right; a summed label is summed once no later operand has it.
  const int n_out = static_cast<int>(out.size());
  Tensor result = ops[0];
  for (size_t i = 1; i < ops.size(); ++i) {
    std::vector<bool> summed(rank, false);
    for (int p = n_out; p < rank; ++p) {
      summed[p] = true;
      for (size_t j = i + 1; j < ops.size() && summed[p]; ++j) summed[p] = ops[j].size(p) == 1;
    }
    result = sum_product(result, ops[i], summed);
  }
  if (rank > n_out) {
    Shape rest(rank - n_out);
    std::iota(rest.begin(), rest.end(), n_out);
    result = sum(result, rest, false);
  }
  return result;
}

Tensor tensordot(const Tensor& a, const Tensor& b, const Shape& dims_a, const Shape& dims_b) {
  PYDL_CHECK(dims_a.size() == dims_b.size(), "tensordot: both dimension lists should have same length, got ",
             dims_a.size(), " and ", dims_b.size());
  PYDL_CHECK(a.dtype() == b.dtype(), "tensordot: expected both tensors to have the same dtype, but got ", a.dtype(),
             " and ", b.dtype());
  std::vector<bool> used_a(a.dim(), false), used_b(b.dim(), false);
  Shape ca, cb;
  int64_t k = 1;
  for (size_t i = 0; i < dims_a.size(); ++i) {
    const int64_t da = wrap_dim(dims_a[i], a.dim()), db = wrap_dim(dims_b[i], b.dim());
    PYDL_CHECK(a.size(da) == b.size(db), "tensordot: contracted dimensions need to match, but first has size ",
               a.size(da), " in dim ", da, " and second has size ", b.size(db), " in dim ", db);
    PYDL_CHECK(!used_a[da] && !used_b[db], "tensordot: a dim appears more than once in the dimension lists");
    used_a[da] = used_b[db] = true;
    ca.push_back(da), cb.push_back(db);
    k *= a.size(da);
  }
  // a as [free_a, contracted] and b as [contracted, free_b]: one mm.
  Shape perm_a, perm_b = cb, out_shape;
  int64_t m = 1, n = 1;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (!used_a[d]) perm_a.push_back(d), out_shape.push_back(a.size(d)), m *= a.size(d);
  for (int64_t d : ca) perm_a.push_back(d);
  for (int64_t d = 0; d < b.dim(); ++d)
    if (!used_b[d]) perm_b.push_back(d), out_shape.push_back(b.size(d)), n *= b.size(d);
  const Tensor am = reshape(permute(a, perm_a), Shape{m, k}), bm = reshape(permute(b, perm_b), Shape{k, n});
  return reshape(mm(am, bm), out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  PYDL_CHECK(dims >= 0, "tensordot expects dims >= 0, but got dims=", dims);
  PYDL_CHECK(dims <= a.dim() && dims <= b.dim(), "tensordot expects dims < ndim_a or ndim_b, but got dims=", dims);
  Shape da, db;
  for (int64_t i = 0; i < dims; ++i) da.push_back(a.dim() - dims + i), db.push_back(i);
  return tensordot(a, b, da, db);
}

// kron: a's dim i and b's dim i interleaved as (a_i, b_i) and multiplied by broadcasting, then
// each pair merged: result[i * b_i + j] = a[i] * b[j] along every dim.
Tensor kron(const Tensor& a, const Tensor& b, OutArg dest) {
  const int64_t nd = std::max(a.dim(), b.dim());
  Shape sa(nd, 1), sb(nd, 1), out(nd);
  for (int64_t i = 0; i < a.dim(); ++i) sa[nd - a.dim() + i] = a.size(i);
  for (int64_t i = 0; i < b.dim(); ++i) sb[nd - b.dim() + i] = b.size(i);
  Shape ia, ib;
  for (int64_t d = 0; d < nd; ++d) {
    ia.push_back(sa[d]), ia.push_back(1);
    ib.push_back(1), ib.push_back(sb[d]);
    out[d] = sa[d] * sb[d];
  }
  const Tensor r = reshape(binary(BinaryOp::Mul, reshape(a, ia), reshape(b, ib)), out);
  if (!dest.out) return r;
  detail::check_autograd_target("kron", r.requires_grad(), *dest.out, false);
  return store_result("kron", r, dest);
}

}  // namespace pydl
